"""``Tensor``: an n-dimensional array with reverse-mode autograd, and creation functions.

A Tensor holds ``.data`` (a NumPy array), ``.grad`` (a Tensor or None), ``requires_grad``
and ``grad_fn`` (the :class:`~glassnet.autograd.Function` that produced it, None for a
leaf).  Operators and methods are attached in :mod:`glassnet.ops`, where each op lives.
"""
from __future__ import annotations

import numpy as np

from glassnet import autograd
from glassnet.backend import (FLOAT_DTYPES, default_generator, device, get_default_dtype,
                              to_dtype)

__all__ = [
    "Tensor", "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty",
    "zeros_like", "ones_like", "full_like", "empty_like", "arange", "linspace", "eye",
    "rand", "randn", "randint", "randperm", "normal", "rand_like", "randn_like",
    "bernoulli", "multinomial", "is_tensor", "numel",
]


def _infer_array(data, dtype=None):
    """Convert ``data`` to an ndarray following PyTorch's dtype inference."""
    if isinstance(data, Tensor):
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


class Tensor:
    """A multi-dimensional array that records operations for autograd.

    As ``torch.Tensor``, the constructor makes a tensor of the default float dtype
    (float32): ``Tensor(2, 3)`` has shape ``(2, 3)`` (zero-filled; PyTorch leaves it
    uninitialised) and ``Tensor([1, 2])`` copies the data as float32.  Use
    :func:`glassnet.tensor` to infer the dtype from the data.

    Parameters
    ----------
    *args : ints, Size, or one array_like
        A shape, or the data to copy.
    requires_grad : bool
        Whether gradients should be accumulated into ``.grad`` by ``backward``.
    dtype : dtype, optional
        Glassnet extra: the dtype instead of float32.
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
        return as_tensor(value)

    @classmethod
    def _wrap(cls, data, requires_grad: bool = False):
        """Wrap an ndarray without copying or dtype inference (internal)."""
        t = cls.__new__(cls)
        t._data = data if _is_device_array(data) else np.asarray(data)
        t.grad = None
        t._ctx = None
        t._vc = [0]
        t._hooks = {}
        t._retains_grad = False
        t.requires_grad = requires_grad
        return t

    def _wrap_grad(self, g):
        return Tensor._wrap(g)

    @property
    def data(self) -> "Tensor":
        """A detached Tensor sharing this tensor's storage, as ``torch.Tensor.data``.

        In-place changes through it (``p.data.mul_(0.5)``) change this tensor and are not
        seen by autograd.  Assigning ``t.data = other`` replaces the storage (shape and
        dtype may change); parameters keep their identity.
        """
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value) -> None:
        if isinstance(value, Tensor):
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
        from glassnet.utils_hooks import RemovableHandle

        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that "
                               "doesn't require gradient")
        handle = RemovableHandle(self._hooks)
        self._hooks[handle.id] = hook
        return handle

    def backward(self, gradient=None, retain_graph: bool = False) -> None:
        """Compute gradients of this tensor w.r.t. graph leaves (see ``autograd.backward``)."""
        autograd.backward(self, gradient, retain_graph=retain_graph)

    def detach(self) -> "Tensor":
        """A new tensor sharing storage (and, as torch, the version counter), cut from the
        graph."""
        t = Tensor._wrap(self._data)
        t._vc = self._vc
        return t

    def detach_(self) -> "Tensor":
        self._ctx = None
        self.requires_grad = False
        return self

    # -- conversion ------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        if self.requires_grad:
            raise RuntimeError("numpy: can't call numpy() on a tensor that requires grad; "
                               "use tensor.detach().numpy()")
        return self._data

    def item(self):
        if self._data.size != 1:
            raise ValueError(f"item: only one element tensors can be converted to Python "
                             f"scalars, got shape {tuple(self.shape)}")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def __array__(self, dtype=None, copy=None):
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
        return bool(self._data.reshape(()))

    def __index__(self):
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
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
        """Address of the first element (``ndarray.ctypes.data``)."""
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

    @property
    def device(self) -> device:
        return device("cpu")

    # NOTE: glassnet tensors live on the CPU (a CuPy backend is a later step); these are
    # torch's answers for a CPU tensor.
    is_cuda = property(lambda self: False, doc="False: the tensor is not on a CUDA device.")
    is_xpu = property(lambda self: False, doc="False: the tensor is not on an XPU.")
    is_mps = property(lambda self: False, doc="False: the tensor is not on an MPS device.")
    is_cpu = property(lambda self: True, doc="True: the tensor is in host memory.")
    is_sparse = property(lambda self: False, doc="False: glassnet tensors are dense.")
    is_quantized = property(lambda self: False, doc="False: not a quantized tensor.")
    is_meta = property(lambda self: False, doc="False: the tensor has real storage.")

    def get_device(self) -> int:
        """The device ordinal: -1 for a CPU tensor, as torch."""
        return -1

    def to(self, *args, **kwargs) -> "Tensor":
        """Cast to a dtype, as ``Tensor.to(dtype)``, ``.to(device, dtype)``, ``.to(other)``.

        Devices (``"cpu"``, ``glassnet.device(...)``) are accepted and ignored, since
        glassnet computes on the CPU.  Returns ``self`` when nothing changes, unless
        ``copy=True``.
        """
        dtype, copy = parse_to_args(args, kwargs, "Tensor.to")
        if dtype is None or dtype == self.dtype:
            return self.clone() if copy else self
        from glassnet.ops.elementwise import cast

        return cast(self, dtype)

    def type(self, dtype):
        return self.to(dtype)

    def type_as(self, other: "Tensor") -> "Tensor":
        """This tensor cast to ``other``'s dtype."""
        return self.to(other.dtype)

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def long(self):
        return self.to(np.int64)

    def int(self):
        return self.to(np.int32)

    def bool(self):
        return self.to(np.bool_)

    def half(self):
        return self.to(np.float16)

    def short(self):
        return self.to(np.int16)

    def byte(self):
        return self.to(np.uint8)

    def char(self):
        return self.to(np.int8)

    def cpu(self):
        return self

    def cuda(self, device=None, non_blocking: bool = False):
        """Raises, as torch does on a machine without CUDA: glassnet has no GPU backend
        yet; device-agnostic code picks ``"cpu"`` through ``glassnet.cuda.is_available()``."""
        raise RuntimeError("cuda: glassnet was not built with a CUDA backend; use "
                           "glassnet.cuda.is_available() to choose the device")

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

    def clone(self) -> "Tensor":
        from glassnet.ops.elementwise import clone

        return clone(self)

    def contiguous(self) -> "Tensor":
        """This tensor if its elements are in row-major order, else a row-major copy."""
        return self if self.is_contiguous() else self.clone()

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    # -- factories with this tensor's dtype (``x.new_zeros(...)``) -------------------
    def new_tensor(self, data, dtype=None, requires_grad: bool = False) -> "Tensor":
        """A copy of ``data`` with this tensor's dtype (unless ``dtype``)."""
        return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, requires_grad: bool = False) -> "Tensor":
        return zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad: bool = False) -> "Tensor":
        return ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, requires_grad: bool = False) -> "Tensor":
        return empty(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, requires_grad: bool = False) -> "Tensor":
        return full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)

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
            self.requires_grad or any(isinstance(o, Tensor) and o.requires_grad
                                      for o in others))
        if not recording:
            with autograd.no_grad():
                return self._write(name, compute(self))
        if self.requires_grad and self._ctx is None and self._base is None:
            raise RuntimeError(f"{name}: a leaf Variable that requires grad is being used in "
                               f"an in-place operation")
        base = self._base
        if base is not None and base.requires_grad:
            if base._ctx is None:
                raise RuntimeError(f"{name}: a view of a leaf Variable that requires grad is "
                                   f"being used in an in-place operation")
        src = Tensor._wrap(self._data.copy(), requires_grad=self.requires_grad)
        src._ctx = self._ctx
        result = compute(src)
        if not isinstance(result, Tensor):
            result = Tensor._wrap(np.asarray(result))
        self._write(name, result)
        autograd.rebase_inplace(self, result)
        return self

    def _write(self, name: str, new) -> "Tensor":
        """Copy ``new`` (a Tensor or array, broadcastable) into this tensor's storage."""
        new = new._data if isinstance(new, Tensor) else np.asarray(new)
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
        body = np.array2string(self._data, separator=", ", prefix="tensor(", precision=4)
        extras = []
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


def parse_to_args(args, kwargs, fn: str):
    """Read ``.to(...)``'s arguments: ``(dtype or None, copy)``; devices are ignored.

    Accepts ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(tensor)`` and the
    keywords ``dtype``, ``device``, ``non_blocking``, ``copy``, ``memory_format``.
    """
    unknown = set(kwargs) - {"dtype", "device", "non_blocking", "copy", "memory_format"}
    if unknown:
        raise TypeError(f"{fn}: unexpected keyword arguments {sorted(unknown)}")
    dtype = kwargs.get("dtype")
    if kwargs.get("device") is not None:
        device(kwargs["device"])  # validates the device
    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, (str, device)):
            device(a)  # validates the device string
        elif isinstance(a, bool):
            continue  # non_blocking / copy given positionally
        else:
            dtype = a
    return to_dtype(dtype), bool(kwargs.get("copy", False))


def _unwrap_index(index):
    """Replace Tensors inside an index by their arrays."""
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, tuple):
        return tuple(i._data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    """The number of elements of ``input``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"numel: input must be a Tensor, got {type(input).__name__}")
    return input.numel()


# ---------------------------------------------------------------------------
# Creation
# ---------------------------------------------------------------------------
def tensor(data, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Create a tensor by copying ``data`` (floats -> float32, ints -> int64)."""
    _check_device(device, "tensor")
    arr = _infer_array(data, dtype)
    return Tensor._wrap(np.array(arr, copy=True)).requires_grad_(requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Convert to a Tensor, sharing memory when possible."""
    _check_device(device, "as_tensor")
    if isinstance(data, Tensor) and (dtype is None or to_dtype(dtype) == data.dtype):
        return data
    return Tensor._wrap(_infer_array(data, dtype))


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (dtype kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(array).__name__}")
    return Tensor._wrap(array)


def _check_device(where, fn: str) -> None:
    """Accept PyTorch's ``device=`` (None, a string or a device); glassnet is CPU-only."""
    if where is not None and not isinstance(where, (str, device)):
        raise TypeError(f"{fn}: device must be a str or glassnet.device, got "
                        f"{type(where).__name__}")
    if where is not None:
        device(where)


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or s < 0:
            raise ValueError(f"size must be a sequence of non-negative ints, got {size}")
    return tuple(int(s) for s in size)


def _make(arr, requires_grad):
    return Tensor._wrap(arr).requires_grad_(requires_grad)


def zeros(*size, dtype=None, requires_grad=False, device=None) -> Tensor:
    _check_device(device, "zeros")
    return _make(np.zeros(_shape(size), to_dtype(dtype) or get_default_dtype()), requires_grad)


def ones(*size, dtype=None, requires_grad=False, device=None) -> Tensor:
    _check_device(device, "ones")
    return _make(np.ones(_shape(size), to_dtype(dtype) or get_default_dtype()), requires_grad)


def empty(*size, dtype=None, requires_grad=False, device=None) -> Tensor:
    _check_device(device, "empty")
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False, device=None) -> Tensor:
    _check_device(device, "full")
    if dtype is None:
        dtype = (np.int64 if isinstance(fill_value, (int, np.integer))
                 and not isinstance(fill_value, bool) else
                 np.bool_ if isinstance(fill_value, bool) else get_default_dtype())
    return _make(np.full(_shape((size,)), fill_value, to_dtype(dtype)), requires_grad)


def zeros_like(t, dtype=None, requires_grad=False, device=None) -> Tensor:
    _check_device(device, "zeros_like")
    return _make(np.zeros(t.shape, to_dtype(dtype) or t.dtype), requires_grad)


def ones_like(t, dtype=None, requires_grad=False, device=None) -> Tensor:
    _check_device(device, "ones_like")
    return _make(np.ones(t.shape, to_dtype(dtype) or t.dtype), requires_grad)


def empty_like(t, dtype=None, requires_grad=False, device=None) -> Tensor:
    _check_device(device, "empty_like")
    return zeros_like(t, dtype, requires_grad)


def full_like(t, fill_value, dtype=None, requires_grad=False, device=None) -> Tensor:
    _check_device(device, "full_like")
    return _make(np.full(t.shape, fill_value, to_dtype(dtype) or t.dtype), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None) -> Tensor:
    _check_device(device, "arange")
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else get_default_dtype()
    return _make(np.arange(start, end, step).astype(to_dtype(dtype)), requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None) -> Tensor:
    _check_device(device, "linspace")
    arr = np.linspace(start, end, steps).astype(to_dtype(dtype) or get_default_dtype())
    return _make(arr, requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False, device=None) -> Tensor:
    _check_device(device, "eye")
    return _make(np.eye(n, m, dtype=to_dtype(dtype) or get_default_dtype()), requires_grad)


def rand(*size, generator=None, dtype=None, requires_grad=False, device=None) -> Tensor:
    _check_device(device, "rand")
    rng = generator or default_generator()
    arr = rng.random(_shape(size), dtype=np.float64).astype(
        to_dtype(dtype) or get_default_dtype())
    return _make(arr, requires_grad)


def randn(*size, generator=None, dtype=None, requires_grad=False, device=None) -> Tensor:
    _check_device(device, "randn")
    rng = generator or default_generator()
    arr = rng.standard_normal(_shape(size)).astype(to_dtype(dtype) or get_default_dtype())
    return _make(arr, requires_grad)


def rand_like(t, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    _check_device(device, "rand_like")
    return rand(*t.shape, generator=generator, dtype=dtype or t.dtype,
                requires_grad=requires_grad)


def randn_like(t, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    _check_device(device, "randn_like")
    return randn(*t.shape, generator=generator, dtype=dtype or t.dtype,
                 requires_grad=requires_grad)


def randperm(n: int, generator=None, dtype=None, requires_grad: bool = False,
             device=None) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64 unless ``dtype``)."""
    _check_device(device, "randperm")
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        raise ValueError(f"randperm: n must be a non-negative int, got {n!r}")
    rng = generator or default_generator()
    return _make(rng.permutation(int(n)).astype(to_dtype(dtype) or np.int64), requires_grad)


def randint(low, high=None, size=(), generator=None, dtype=None, device=None,
            requires_grad=False) -> Tensor:
    """Uniform integers in ``[low, high)``; ``randint(high, size)`` as in PyTorch."""
    _check_device(device, "randint")
    if isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    rng = generator or default_generator()
    return _make(rng.integers(low, high, size=_shape((size,))).astype(
        to_dtype(dtype) or np.int64), requires_grad)


def normal(mean, std=1.0, size=None, generator=None, dtype=None, device=None,
           requires_grad=False) -> Tensor:
    _check_device(device, "normal")
    rng = generator or default_generator()
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    arr = rng.normal(m, s, size=None if size is None else _shape((size,)))
    like = mean.dtype if isinstance(mean, Tensor) else std.dtype if isinstance(
        std, Tensor) else get_default_dtype()
    return _make(np.asarray(arr).astype(to_dtype(dtype) or like), requires_grad)


def bernoulli(input: Tensor, p=None, *, generator=None) -> Tensor:
    """0/1 draws with probabilities ``input`` (or the scalar ``p``), in ``input``'s dtype.

    Not differentiable.
    """
    if not isinstance(input, Tensor) or input.dtype.kind != "f":
        raise TypeError(f"bernoulli: input must be a floating Tensor, got "
                        f"{getattr(input, 'dtype', type(input).__name__)}")
    prob = input._data if p is None else np.full(input.shape, p)
    if prob.size and not ((prob >= 0).all() and (prob <= 1).all()):
        raise ValueError("bernoulli: probabilities must be in [0, 1]")
    rng = generator or default_generator()
    return Tensor._wrap((rng.random(input.shape) < prob).astype(input.dtype))


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator=None) -> Tensor:
    """Indices drawn from the categorical distributions in the rows of ``input``.

    ``input`` holds non-negative weights (not necessarily normalised), shape ``(K,)``
    or ``(N, K)``; the result is int64 of shape ``(num_samples,)`` or
    ``(N, num_samples)``.  Without ``replacement`` each row's indices are distinct.
    """
    fn = "multinomial"
    if not isinstance(input, Tensor) or input.ndim not in (1, 2):
        raise ValueError(f"{fn}: input must be a 1-D or 2-D Tensor, got "
                         f"{getattr(input, 'shape', type(input).__name__)}")
    w = input._data.astype(np.float64).reshape(-1, input.shape[-1])
    if (w < 0).any() or not np.isfinite(w).all():
        raise ValueError(f"{fn}: weights must be finite and non-negative")
    if (w.sum(axis=1) <= 0).any():
        raise ValueError(f"{fn}: every row of weights must have a positive sum")
    if not replacement and num_samples > int((w > 0).sum(axis=1).min()):
        raise ValueError(f"{fn}: cannot sample {num_samples} > number of categories with "
                         f"non-zero weight without replacement")
    rng = generator or default_generator()
    rows = [rng.choice(w.shape[1], num_samples, replace=replacement, p=row / row.sum())
            for row in w]
    out = np.asarray(rows, dtype=np.int64)
    return Tensor._wrap(out[0] if input.ndim == 1 else out)


autograd.register_tensor_class(Tensor)
