"""``Tensor``: an n-dimensional array with reverse-mode autograd, and creation functions.

A Tensor holds ``.data`` (a NumPy array), ``.grad`` (a Tensor or None), ``requires_grad``
and ``grad_fn`` (the :class:`~glassnet.autograd.Function` that produced it, None for a
leaf).  Operators and methods are attached in :mod:`glassnet.ops`, where each op lives.
"""
from __future__ import annotations

import numpy as np

from glassnet import autograd
from glassnet.backend import (FLOAT_DTYPES, default_generator, get_default_dtype, to_dtype)

__all__ = [
    "Tensor", "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty",
    "zeros_like", "ones_like", "full_like", "empty_like", "arange", "linspace", "eye",
    "rand", "randn", "randint", "normal", "rand_like", "randn_like", "is_tensor",
]


def _infer_array(data, dtype=None):
    """Convert ``data`` to an ndarray following PyTorch's dtype inference."""
    if isinstance(data, Tensor):
        arr = data.data
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


class Tensor:
    """A multi-dimensional array that records operations for autograd.

    Parameters
    ----------
    data : array_like
        Values; Python floats become float32, ints int64 (PyTorch's inference).
    requires_grad : bool
        Whether gradients should be accumulated into ``.grad`` by ``backward``.
    dtype : dtype, optional
        Cast the data to this dtype.
    """

    __array_priority__ = 1000  # so that ndarray (op) Tensor defers to Tensor

    def __init__(self, data, requires_grad: bool = False, dtype=None):
        arr = _infer_array(data, dtype)
        if arr is data or (isinstance(data, Tensor) and arr is data.data):
            arr = np.array(arr, copy=True)
        self.data = arr
        self.grad = None
        self._ctx = None
        self._version = 0
        self._hooks = {}
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, data, requires_grad: bool = False):
        """Wrap an ndarray without copying or dtype inference (internal)."""
        t = cls.__new__(cls)
        t.data = data if isinstance(data, np.ndarray) else np.asarray(data)
        t.grad = None
        t._ctx = None
        t._version = 0
        t._hooks = {}
        t._retains_grad = False
        t.requires_grad = requires_grad
        return t

    def _wrap_grad(self, g):
        return Tensor._wrap(g)

    # -- autograd ------------------------------------------------------------
    @property
    def grad_fn(self):
        return self._ctx

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if requires_grad and self.data.dtype not in FLOAT_DTYPES:
            raise RuntimeError(f"requires_grad_: only floating point tensors can require "
                               f"gradients, got dtype {self.data.dtype}")
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
        """A new tensor sharing data, cut from the graph."""
        return Tensor._wrap(self.data)

    def detach_(self) -> "Tensor":
        self._ctx = None
        self.requires_grad = False
        return self

    # -- conversion ------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        if self.requires_grad:
            raise RuntimeError("numpy: can't call numpy() on a tensor that requires grad; "
                               "use tensor.detach().numpy()")
        return self.data

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item: only one element tensors can be converted to Python "
                             f"scalars, got shape {tuple(self.shape)}")
        return self.data.reshape(()).item()

    def tolist(self):
        return self.data.tolist()

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self.data.size} elements is "
                               f"ambiguous")
        return bool(self.data.reshape(()))

    def __index__(self):
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.data.reshape(()))

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    def __hash__(self):
        return id(self)

    # -- metadata --------------------------------------------------------------
    @property
    def shape(self):
        return Size(self.data.shape)

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def dim(self) -> int:
        return self.data.ndim

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self.data.shape)
        return self.data.shape[dim]

    def numel(self) -> int:
        return int(self.data.size)

    def element_size(self) -> int:
        return self.data.itemsize

    def is_floating_point(self) -> bool:
        return self.data.dtype.kind == "f"

    @property
    def device(self) -> str:
        return "cpu"

    def to(self, *args, **kwargs) -> "Tensor":
        """Cast to a dtype (device strings are accepted and ignored on CPU)."""
        dtype = kwargs.get("dtype")
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif not isinstance(a, str):
                dtype = a
        if dtype is None or to_dtype(dtype) == self.dtype:
            return self
        from glassnet.ops.elementwise import cast

        return cast(self, to_dtype(dtype))

    def type(self, dtype):
        return self.to(dtype)

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

    def cpu(self):
        return self

    def clone(self) -> "Tensor":
        from glassnet.ops.elementwise import clone

        return clone(self)

    def contiguous(self) -> "Tensor":
        return self

    def is_contiguous(self) -> bool:
        return True

    # -- in-place (outside autograd) ---------------------------------------------
    def _check_inplace(self, name):
        if autograd.is_grad_enabled() and self.requires_grad and self.is_leaf:
            raise RuntimeError(f"{name}: a leaf Variable that requires grad is being used in "
                               f"an in-place operation")

    def _bump(self):
        self._version += 1

    def __setitem__(self, index, value) -> None:
        self._check_inplace("__setitem__")
        if self._ctx is not None and autograd.is_grad_enabled():
            raise RuntimeError("__setitem__: in-place assignment into a tensor that is part "
                               "of a graph is not supported; use torch-style functional ops")
        index = _unwrap_index(index)
        self.data[index] = value.data if isinstance(value, Tensor) else value
        self._bump()

    def copy_(self, src) -> "Tensor":
        self._check_inplace("copy_")
        src = src.data if isinstance(src, Tensor) else np.asarray(src)
        self.data[...] = src
        self._bump()
        return self

    def fill_(self, value) -> "Tensor":
        self._check_inplace("fill_")
        self.data[...] = value
        self._bump()
        return self

    def zero_(self) -> "Tensor":
        return self.fill_(0)

    def _inplace(self, name, new):
        self._check_inplace(name)
        self.data[...] = new
        self._bump()
        return self

    def add_(self, other, alpha=1):
        o = other.data if isinstance(other, Tensor) else other
        return self._inplace("add_", self.data + alpha * o)

    def sub_(self, other, alpha=1):
        o = other.data if isinstance(other, Tensor) else other
        return self._inplace("sub_", self.data - alpha * o)

    def mul_(self, other):
        o = other.data if isinstance(other, Tensor) else other
        return self._inplace("mul_", self.data * o)

    def div_(self, other):
        o = other.data if isinstance(other, Tensor) else other
        return self._inplace("div_", self.data / o)

    def clamp_(self, min=None, max=None):
        return self._inplace("clamp_", np.clip(self.data, min, max))

    def uniform_(self, a=0.0, b=1.0, generator=None):
        rng = generator or default_generator()
        return self._inplace("uniform_", rng.uniform(a, b, self.data.shape))

    def normal_(self, mean=0.0, std=1.0, generator=None):
        rng = generator or default_generator()
        return self._inplace("normal_", rng.normal(mean, std, self.data.shape))

    # -- printing ----------------------------------------------------------------
    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4)
        extras = []
        if self.data.dtype not in (np.dtype(np.float32), np.dtype(np.int64),
                                   np.dtype(np.bool_)):
            extras.append(f"dtype=glassnet.{self.data.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{self._ctx.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"


class Size(tuple):
    """Shape tuple, as ``torch.Size``."""

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self):
        return f"glassnet.Size({list(self)})"


def _unwrap_index(index):
    """Replace Tensors inside an index by their arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


# ---------------------------------------------------------------------------
# Creation
# ---------------------------------------------------------------------------
def tensor(data, dtype=None, requires_grad: bool = False) -> Tensor:
    """Create a tensor by copying ``data`` (floats -> float32, ints -> int64)."""
    arr = _infer_array(data, dtype)
    return Tensor._wrap(np.array(arr, copy=True)).requires_grad_(requires_grad)


def as_tensor(data, dtype=None) -> Tensor:
    """Convert to a Tensor, sharing memory when possible."""
    if isinstance(data, Tensor) and (dtype is None or to_dtype(dtype) == data.dtype):
        return data
    return Tensor._wrap(_infer_array(data, dtype))


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (dtype kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(array).__name__}")
    return Tensor._wrap(array)


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or s < 0:
            raise ValueError(f"size must be a sequence of non-negative ints, got {size}")
    return tuple(int(s) for s in size)


def _make(arr, requires_grad):
    return Tensor._wrap(arr).requires_grad_(requires_grad)


def zeros(*size, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.zeros(_shape(size), to_dtype(dtype) or get_default_dtype()), requires_grad)


def ones(*size, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.ones(_shape(size), to_dtype(dtype) or get_default_dtype()), requires_grad)


def empty(*size, dtype=None, requires_grad=False) -> Tensor:
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False) -> Tensor:
    if dtype is None:
        dtype = (np.int64 if isinstance(fill_value, (int, np.integer))
                 and not isinstance(fill_value, bool) else
                 np.bool_ if isinstance(fill_value, bool) else get_default_dtype())
    return _make(np.full(_shape((size,)), fill_value, to_dtype(dtype)), requires_grad)


def zeros_like(t, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.zeros(t.shape, to_dtype(dtype) or t.dtype), requires_grad)


def ones_like(t, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.ones(t.shape, to_dtype(dtype) or t.dtype), requires_grad)


def empty_like(t, dtype=None, requires_grad=False) -> Tensor:
    return zeros_like(t, dtype, requires_grad)


def full_like(t, fill_value, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.full(t.shape, fill_value, to_dtype(dtype) or t.dtype), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False) -> Tensor:
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else get_default_dtype()
    return _make(np.arange(start, end, step).astype(to_dtype(dtype)), requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False) -> Tensor:
    arr = np.linspace(start, end, steps).astype(to_dtype(dtype) or get_default_dtype())
    return _make(arr, requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.eye(n, m, dtype=to_dtype(dtype) or get_default_dtype()), requires_grad)


def rand(*size, generator=None, dtype=None, requires_grad=False) -> Tensor:
    rng = generator or default_generator()
    arr = rng.random(_shape(size), dtype=np.float64).astype(
        to_dtype(dtype) or get_default_dtype())
    return _make(arr, requires_grad)


def randn(*size, generator=None, dtype=None, requires_grad=False) -> Tensor:
    rng = generator or default_generator()
    arr = rng.standard_normal(_shape(size)).astype(to_dtype(dtype) or get_default_dtype())
    return _make(arr, requires_grad)


def rand_like(t, generator=None, dtype=None) -> Tensor:
    return rand(*t.shape, generator=generator, dtype=dtype or t.dtype)


def randn_like(t, generator=None, dtype=None) -> Tensor:
    return randn(*t.shape, generator=generator, dtype=dtype or t.dtype)


def randint(low, high=None, size=(), generator=None, dtype=None) -> Tensor:
    if high is None:
        low, high = 0, low
    rng = generator or default_generator()
    return Tensor._wrap(rng.integers(low, high, size=_shape((size,))).astype(
        to_dtype(dtype) or np.int64))


def normal(mean, std, size=None, generator=None, dtype=None) -> Tensor:
    rng = generator or default_generator()
    m = mean.data if isinstance(mean, Tensor) else mean
    s = std.data if isinstance(std, Tensor) else std
    arr = rng.normal(m, s, size=None if size is None else _shape((size,)))
    like = mean.dtype if isinstance(mean, Tensor) else std.dtype if isinstance(
        std, Tensor) else get_default_dtype()
    return Tensor._wrap(np.asarray(arr).astype(to_dtype(dtype) or like))
