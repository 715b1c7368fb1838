"""``TensorBase``: the part of the Tensor that knows no op (storage, shape and dtype,
autograd state, conversion, the in-place machinery, printing), and ``Size``.

The ops in :mod:`glassnet.ops` work on ``TensorBase`` (every Tensor is one) and build
results with ``TensorBase._wrap``, which makes instances of the full
:class:`glassnet.Tensor` (registered by :mod:`glassnet.tensor`), so this module is
below the ops and imports none of them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet import autograd
from glassnet.utils.hooks import RemovableHandle

if TYPE_CHECKING:
    from glassnet.tensor import Tensor
from glassnet.backend import FLOAT_DTYPES, device_of, get_default_dtype, to_dtype
from glassnet.backend import _CPU, to_host
from glassnet._tensor_device import TensorDevice

__all__ = ["TensorBase", "Size", "is_tensor", "numel"]


def _infer_array(data, dtype=None):
    """Convert ``data`` to an ndarray following PyTorch's dtype inference."""
    if isinstance(data, TensorBase):
        arr = data._data
    elif isinstance(data, np.ndarray):
        arr = data
    elif isinstance(data, np.generic):
        arr = np.asarray(data)
    else:
        arr = np.asarray(data)
        # NOTE: Python floats become the default dtype (float32), ints stay int64,
        # as torch.tensor does; NumPy would give float64.
        if arr.dtype == np.float64:
            arr = arr.astype(get_default_dtype())
        elif arr.dtype.kind in "iu":
            arr = arr.astype(np.int64)
    if dtype is not None:
        arr = arr.astype(to_dtype(dtype), copy=False)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"tensor: unsupported data type {arr.dtype}")
    return arr


def _is_device_array(data) -> bool:
    """An ndarray of the backend's array module (NumPy, or CuPy on a GPU)."""
    return isinstance(data, np.ndarray) or type(data).__module__.startswith("cupy")


class TensorBase(TensorDevice):
    """The core of :class:`glassnet.Tensor`: storage, metadata, autograd state, conversion
    and the in-place machinery; no op.  ``glassnet.Tensor`` adds the op methods, one
    mixin per op family (:mod:`glassnet.ops.methods`).  The constructor's arguments are
    documented on :class:`glassnet.Tensor`.
    """

    __array_priority__ = 1000  # so that ndarray (op) Tensor defers to Tensor

    # Views (see autograd._mark_view): the base tensor whose storage this one shares,
    # and the array function that takes the base's array to this one's.
    _base = None
    _view_fn = None
    _view_dups = False
    _view_tracked = False
    _view_version = 0

    def __init__(self, *args, requires_grad: bool = False, dtype=None):
        dtype = to_dtype(dtype) or get_default_dtype()
        if not args:
            arr = np.empty((0,), dtype)
        elif isinstance(args[0], Size) or all(
                isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
            arr = np.zeros(_shape(args), dtype)
        elif len(args) == 1:
            arr = np.array(_infer_array(args[0], dtype), copy=True)
        else:
            raise TypeError(f"Tensor: expected a shape (ints) or one array_like, got "
                            f"{len(args)} arguments")
        self._data = arr
        self.grad = None
        self._ctx = None
        self._vc = [0]
        self._hooks = {}
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _coerce(cls, value) -> "Tensor":
        """A Python number or array_like as a Tensor (used by ``Function.apply``)."""
        if isinstance(value, TensorBase):
            return value
        return cls._wrap(_infer_array(value))

    @classmethod
    def _wrap(cls, data, requires_grad: bool = False):
        """Wrap an ndarray without copying or dtype inference (internal)."""
        t = _TENSOR_CLASS[0].__new__(_TENSOR_CLASS[0])
        t._data = data if _is_device_array(data) else np.asarray(data)
        t.grad = None
        t._ctx = None
        t._vc = [0]
        t._hooks = {}
        t._retains_grad = False
        t.requires_grad = requires_grad
        return t

    def _wrap_grad(self, g):
        return TensorBase._wrap(g)

    @property
    def data(self) -> "Tensor":
        """A detached Tensor sharing this tensor's storage, as ``torch.Tensor.data``.

        In-place changes through it (``p.data.mul_(0.5)``) change this tensor and are not
        seen by autograd.  Assigning ``t.data = other`` replaces the storage (shape and
        dtype may change); parameters keep their identity.
        """
        return TensorBase._wrap(self._data)

    @data.setter
    def data(self, value) -> None:
        if isinstance(value, TensorBase):
            self._data = value._data
        elif _is_device_array(value):
            self._data = value
        else:
            raise TypeError(f"Tensor.data: expected a Tensor, got {type(value).__name__}")
        self._base = None
        self._view_fn = None

    # -- autograd ------------------------------------------------------------
    @property
    def grad_fn(self):
        return self._ctx

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def _version(self) -> int:
        """How many times this tensor's storage was written in place (shared by views)."""
        return self._vc[0]

    @_version.setter
    def _version(self, value: int) -> None:
        self._vc = [int(value)]

    def _grad_edge(self):
        """The graph node a consumer of this tensor must send its gradient to: its
        grad_fn, or the tensor itself for a leaf.  A view whose base was changed in place
        since its grad_fn was made gets a fresh one first (torch regenerates it too)."""
        if (self._base is not None and self._view_tracked
                and self._vc[0] != self._view_version and self._base.requires_grad):
            self._ctx = autograd.view_grad_fn(self)
            self.requires_grad = True
            self._view_version = self._vc[0]
        return self._ctx if self._ctx is not None else self

    @property
    def _is_view(self) -> bool:
        return self._base is not None

    def is_view(self) -> bool:
        """Glassnet extra: True when this tensor shares its base's storage (a view)."""
        return self._base is not None

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if requires_grad and self._data.dtype not in FLOAT_DTYPES:
            raise RuntimeError(f"requires_grad_: only floating point tensors can require "
                               f"gradients, got dtype {self._data.dtype}")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_: you can only change requires_grad flags of "
                               "leaf variables")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for a non-leaf tensor after backward."""
        if self._ctx is not None:
            self._retains_grad = True

    def register_hook(self, hook):
        """Register ``hook(grad) -> Tensor or None`` run when this tensor's grad is computed."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that "
                               "doesn't require gradient")
        handle = RemovableHandle(self._hooks)
        self._hooks[handle.id] = hook
        return handle

    def register_post_accumulate_grad_hook(self, hook):
        """Register ``hook(tensor) -> None``, run on a leaf after backward adds into
        its ``.grad`` (torch's name; DistributedDataParallel's buckets use it)."""
        if self._ctx is not None:
            raise RuntimeError("register_post_accumulate_grad_hook: post accumulate grad "
                               "hooks cannot be registered on non-leaf tensors")
        if not self.requires_grad:
            raise RuntimeError("register_post_accumulate_grad_hook: cannot register a hook "
                               "on a tensor that doesn't require gradient")
        hooks = self.__dict__.setdefault("_post_acc_hooks", {})
        autograd._note_post_accumulate_hook()
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def backward(self, gradient=None, retain_graph: bool = False) -> None:
        """Compute gradients of this tensor w.r.t. graph leaves (see ``autograd.backward``)."""
        autograd.backward(self, gradient, retain_graph=retain_graph)

    def detach(self) -> "Tensor":
        """A new tensor sharing storage (and, as torch, the version counter), cut from the
        graph."""
        t = TensorBase._wrap(self._data)
        t._vc = self._vc
        return t

    def detach_(self) -> "Tensor":
        self._ctx = None
        self.requires_grad = False
        return self

    # -- conversion ------------------------------------------------------------
    def _check_host(self, fn: str) -> None:
        if type(self._data) is not np.ndarray and device_of(self._data) != _CPU:
            raise TypeError(f"{fn}: can't convert {device_of(self._data)} device type tensor "
                            f"to numpy; use Tensor.cpu() to copy the tensor to host memory "
                            f"first")

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The values as a NumPy array sharing this tensor's memory; with ``force=True``
        (as torch) a host copy of a device tensor or of one that requires grad."""
        if force:
            return to_host(self._data)
        self._check_host("numpy")
        if self.requires_grad:
            raise RuntimeError("numpy: can't call numpy() on a tensor that requires grad; "
                               "use tensor.detach().numpy()")
        return self._data

    def item(self):
        if self._data.size != 1:
            raise ValueError(f"item: only one element tensors can be converted to Python "
                             f"scalars, got shape {tuple(self.shape)}")
        if autograd._tracers:
            autograd._trace_scalar(self, "item")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def __array__(self, dtype=None, copy=None):
        self._check_host("__array__")
        return self._data if dtype is None else self._data.astype(dtype)

    def __format__(self, format_spec: str) -> str:
        # NOTE: as PyTorch, a 0-d tensor formats as its Python number (f"{loss:.4f}").
        if self._data.ndim == 0:
            return format(self.item(), format_spec)
        return object.__format__(self, format_spec)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self._data.size} elements is "
                               f"ambiguous")
        if autograd._tracers:
            autograd._trace_scalar(self, "bool")
        return bool(self._data.reshape(()))

    def __index__(self):
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        if autograd._tracers:
            autograd._trace_scalar(self, "index")
        return int(self._data.reshape(()))

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __hash__(self):
        return id(self)

    # -- metadata --------------------------------------------------------------
    @property
    def shape(self):
        return Size(self._data.shape)

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[dim]

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel
    ndimension = dim

    def data_ptr(self) -> int:
        """Address of the first element (``ndarray.ctypes.data``; on a GPU the device
        pointer)."""
        if type(self._data) is not np.ndarray and device_of(self._data).type == "cuda":
            return int(self._data.data.ptr)
        return self._data.ctypes.data

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return int(self._data.nbytes)

    def stride(self, dim: int | None = None):
        """Steps between elements along each dimension, in elements (not bytes)."""
        strides = tuple(st // self._data.itemsize for st in self._data.strides)
        return strides if dim is None else strides[dim]

    def storage_offset(self) -> int:
        """Offset of the first element in the storage shared with the base, in elements."""
        if self._base is None or not isinstance(self._data, np.ndarray):
            return 0
        start = self._data.__array_interface__["data"][0]
        base_start = self._base._data.__array_interface__["data"][0]
        return (start - base_start) // self._data.itemsize

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    def is_signed(self) -> bool:
        return self._data.dtype.kind in "ifc"

    def is_nonzero(self) -> bool:
        """The truth of a one-element tensor (raises for other sizes, as torch)."""
        if self._data.size != 1:
            raise RuntimeError(f"is_nonzero: Boolean value of Tensor with "
                               f"{self._data.size} elements is ambiguous")
        return bool(self._data.reshape(()))

    def is_same_size(self, other: "Tensor") -> bool:
        return tuple(self.shape) == tuple(other.shape)

    @property
    def layout(self):
        """``glassnet.strided``: glassnet tensors are dense and strided."""
        from glassnet.backend import strided

        return strided

    # NOTE: host memory is what a DataLoader's pin_memory would give; shared memory and
    # inference tensors do not exist separately in glassnet.
    def pin_memory(self) -> "Tensor":
        return self

    def is_pinned(self) -> bool:
        return False

    def share_memory_(self) -> "Tensor":
        return self

    def is_shared(self) -> bool:
        return False

    def is_inference(self) -> bool:
        return False

    @property
    def retains_grad(self) -> bool:
        """True when ``retain_grad()`` was called on this non-leaf tensor."""
        return bool(self._retains_grad)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def apply_(self, callable) -> "Tensor":
        """Apply a Python function to each element, in place (CPU only, slow, as torch;
        not differentiable)."""
        flat = self._data.reshape(-1)
        new = np.array([callable(v) for v in flat.tolist()], dtype=self.dtype)
        return self._inplace_apply("apply_", lambda _: new.reshape(self.shape))

    def map_(self, other: "Tensor", callable) -> "Tensor":
        """``self[i] = callable(self[i], other[i])`` elementwise, in place (``other``
        broadcast to this shape; not differentiable)."""
        o = np.broadcast_to(other._data, self.shape).reshape(-1).tolist()
        new = np.array([callable(a, b) for a, b in zip(self._data.reshape(-1).tolist(), o)],
                       dtype=self.dtype)
        return self._inplace_apply("map_", lambda _: new.reshape(self.shape))

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    # -- in-place operations (torch's semantics) -----------------------------------
    # NOTE: an in-place method computes its result out of place from a snapshot of this
    # tensor (so that arrays saved for backward are never overwritten), writes it into
    # this tensor's storage, bumps the version counter shared with its views, and, when
    # autograd records, moves this tensor onto the result's graph node (for a view: its
    # base gets a copy-slices node, see ``autograd.rebase_inplace``).  The methods
    # themselves (``add_``, ``copy_``, ``__setitem__`` ...) live in ``ops/inplace.py``.
    def _bump(self) -> None:
        self._vc[0] += 1

    def _inplace_apply(self, name: str, compute, others=()) -> "Tensor":
        """Set this tensor to ``compute(src)``, where ``src`` holds its current values."""
        grad_mode = autograd.is_grad_enabled()
        if self._base is not None:
            self._grad_edge()  # a stale view first joins its base's current graph
            if grad_mode and not self._view_tracked and self._base.requires_grad:
                raise RuntimeError(f"{name}: a view was created in no_grad mode and is being "
                                   f"modified inplace with grad mode enabled")
        recording = grad_mode and (
            self.requires_grad or any(isinstance(o, TensorBase) and o.requires_grad
                                      for o in others))
        if not recording:
            with autograd.no_grad():
                result = compute(self)
                self._write(name, result)
            if autograd._tracers:
                autograd._trace_alias(self, result)
            return self
        if self.requires_grad and self._ctx is None and self._base is None:
            raise RuntimeError(f"{name}: a leaf Variable that requires grad is being used in "
                               f"an in-place operation")
        base = self._base
        if base is not None and base.requires_grad:
            if base._ctx is None:
                raise RuntimeError(f"{name}: a view of a leaf Variable that requires grad is "
                                   f"being used in an in-place operation")
        src = TensorBase._wrap(self._data.copy(), requires_grad=self.requires_grad)
        src._ctx = self._ctx
        if autograd._tracers:
            autograd._trace_alias(src, self)
        result = compute(src)
        if not isinstance(result, TensorBase):
            result = TensorBase._wrap(np.asarray(result))
        self._write(name, result)
        autograd.rebase_inplace(self, result)
        if autograd._tracers:
            autograd._trace_alias(self, result)
        return self

    def _write(self, name: str, new) -> "Tensor":
        """Copy ``new`` (a Tensor or array, broadcastable) into this tensor's storage."""
        new = new._data if isinstance(new, TensorBase) else np.asarray(new)
        if _KIND_RANK[new.dtype.kind] > _KIND_RANK[self.dtype.kind]:
            raise RuntimeError(f"{name}: result type {new.dtype} can't be cast to the "
                               f"desired output type {self.dtype}")
        if np.broadcast_shapes(new.shape, self.shape) != self.shape:
            raise RuntimeError(f"{name}: output with shape {tuple(self.shape)} doesn't match "
                               f"the broadcast shape {new.shape}")
        if new is not self._data:
            try:
                self._data[...] = new
            except ValueError as e:  # read-only storage: an expanded (broadcast) view
                raise RuntimeError(f"{name}: unsupported operation: more than one element of "
                                   f"the written-to tensor refers to a single memory "
                                   f"location ({e})") from None
        self._bump()
        return self

    # -- printing ----------------------------------------------------------------
    def __repr__(self):
        where = device_of(self._data)
        host = self._data if where == _CPU else to_host(self._data)
        body = np.array2string(host, separator=", ", prefix="tensor(", precision=4)
        extras = [] if where == _CPU else [f"device='{where}'"]
        if self._data.dtype not in (np.dtype(np.float32), np.dtype(np.int64),
                                   np.dtype(np.bool_)):
            extras.append(f"dtype=glassnet.{self._data.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{self._ctx.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"


class Size(tuple):
    """Shape tuple, as ``torch.Size``; slicing gives a Size."""

    def __getitem__(self, index):
        out = super().__getitem__(index)
        return Size(out) if isinstance(index, slice) else out

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self):
        return f"glassnet.Size({list(self)})"


# Promotion categories: an in-place result may not move up (float into an int tensor).
_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _unwrap_index(index):
    """Replace Tensors inside an index by their arrays."""
    if isinstance(index, TensorBase):
        return index._data
    if isinstance(index, tuple):
        return tuple(i._data if isinstance(i, TensorBase) else i for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or s < 0:
            raise ValueError(f"size must be a sequence of non-negative ints, got {size}")
    return tuple(int(s) for s in size)


def is_tensor(obj) -> bool:
    return isinstance(obj, TensorBase)


def numel(input: TensorBase) -> int:
    """The number of elements of ``input``."""
    if not isinstance(input, TensorBase):
        raise TypeError(f"numel: input must be a Tensor, got {type(input).__name__}")
    return input.numel()


# The full Tensor class (glassnet.tensor.Tensor), set once by glassnet.tensor: op results
# and ``_wrap`` are instances of it.
_TENSOR_CLASS = [TensorBase]


def register_tensor_class(cls) -> None:
    """Called once by :mod:`glassnet.tensor` with the class that carries the op methods."""
    _TENSOR_CLASS[0] = cls
    autograd.register_tensor_class(cls)
