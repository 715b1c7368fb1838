"""Creation and random sampling of tensors: ``tensor``, ``zeros``, ``arange``, ``randn``,
``randint``, ``normal``, ``bernoulli``, ``multinomial`` ... (torch's names and defaults).

Floats become the default dtype (float32) and ints int64, as in torch; ``device=`` puts
the result on a device (``"cpu"``, the default, or ``"cuda"`` through CuPy: the values
are made in host memory and copied there) and ``requires_grad=`` makes a leaf that
requires grad.  Random draws always come from the host generator, so one seed gives the
same numbers on every device (torch's CUDA streams differ from its CPU streams).
Random functions draw from the default generator seeded by
``glassnet.manual_seed``, or from ``generator=``.
"""
from __future__ import annotations

import numpy as np

from glassnet.backend import (default_generator, device, get_default_dtype, to_device,
                              to_dtype, to_host)
from glassnet.tensor import Tensor
from glassnet._tensor_base import _infer_array, _shape

__all__ = [
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty",
    "zeros_like", "ones_like", "full_like", "empty_like", "arange", "linspace", "eye",
    "rand", "randn", "randint", "randperm", "normal", "rand_like", "randn_like",
    "FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor",
    "IntTensor", "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor",
]


# ---------------------------------------------------------------------------
# Creation
# ---------------------------------------------------------------------------
def tensor(data, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Create a tensor by copying ``data`` (floats -> float32, ints -> int64) on
    ``device`` (default: the CPU, or ``data``'s device when it is a Tensor)."""
    _check_device(device, "tensor")
    if isinstance(data, Tensor):
        arr = data._data.astype(to_dtype(dtype) or data.dtype, copy=True)
        where = data.device if device is None else device
        return Tensor._wrap(to_device(arr, where, "tensor")).requires_grad_(requires_grad)
    arr = _infer_array(data, dtype)
    return _make(np.array(arr, copy=True), requires_grad, device, "tensor")


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Convert to a Tensor, sharing memory when possible (a Tensor already of this dtype
    and on this device is returned as is)."""
    _check_device(device, "as_tensor")
    if isinstance(data, Tensor):
        return data.to(device, to_dtype(dtype))
    return Tensor._wrap(to_device(_infer_array(data, dtype), device or "cpu", "as_tensor"))


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (dtype kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(array).__name__}")
    return Tensor._wrap(array)


def _check_device(where, fn: str) -> None:
    """Validate PyTorch's ``device=`` (None, a str, an int or a glassnet.device)."""
    if where is None or isinstance(where, device):
        return
    if isinstance(where, bool) or not isinstance(where, (str, int, np.integer)):
        raise TypeError(f"{fn}: device must be a str, an int or a glassnet.device, got "
                        f"{type(where).__name__} {where!r}")
    device(where)


def _make(arr, requires_grad, where=None, fn: str = "tensor"):
    """Wrap host array ``arr``, copied to device ``where`` when one is given."""
    if where is not None:
        arr = to_device(arr, where, fn)
    return Tensor._wrap(arr).requires_grad_(requires_grad)


def _like_device(t, where):
    """The device of a ``*_like`` result: ``where``, else the input's device."""
    return t.device if where is None and isinstance(t, Tensor) else where


def zeros(*size, dtype=None, requires_grad=False, device=None) -> Tensor:
    _check_device(device, "zeros")
    return _make(np.zeros(_shape(size), to_dtype(dtype) or get_default_dtype()), requires_grad,
                 device, "zeros")


def ones(*size, dtype=None, requires_grad=False, device=None) -> Tensor:
    _check_device(device, "ones")
    return _make(np.ones(_shape(size), to_dtype(dtype) or get_default_dtype()), requires_grad,
                 device, "ones")


def empty(*size, dtype=None, requires_grad=False, device=None) -> Tensor:
    _check_device(device, "empty")
    return zeros(*size, dtype=dtype, requires_grad=requires_grad, device=device)


def full(size, fill_value, dtype=None, requires_grad=False, device=None) -> Tensor:
    _check_device(device, "full")
    if dtype is None:
        dtype = (np.int64 if isinstance(fill_value, (int, np.integer))
                 and not isinstance(fill_value, bool) else
                 np.bool_ if isinstance(fill_value, bool) else get_default_dtype())
    return _make(np.full(_shape((size,)), fill_value, to_dtype(dtype)), requires_grad, device,
                 "full")


def zeros_like(t, dtype=None, requires_grad=False, device=None) -> Tensor:
    _check_device(device, "zeros_like")
    return _make(np.zeros(t.shape, to_dtype(dtype) or t.dtype), requires_grad,
                 _like_device(t, device), "zeros_like")


def ones_like(t, dtype=None, requires_grad=False, device=None) -> Tensor:
    _check_device(device, "ones_like")
    return _make(np.ones(t.shape, to_dtype(dtype) or t.dtype), requires_grad,
                 _like_device(t, device), "ones_like")


def empty_like(t, dtype=None, requires_grad=False, device=None) -> Tensor:
    _check_device(device, "empty_like")
    return zeros_like(t, dtype, requires_grad, device)


def full_like(t, fill_value, dtype=None, requires_grad=False, device=None) -> Tensor:
    _check_device(device, "full_like")
    return _make(np.full(t.shape, fill_value, to_dtype(dtype) or t.dtype), requires_grad,
                 _like_device(t, device), "full_like")


def _check_count(v, name, fn):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{fn}: {name} must be an int, got {type(v).__name__} {v!r}")
    if v < 0:
        raise ValueError(f"{fn}: {name} must be non-negative, got {v}")


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None) -> Tensor:
    _check_device(device, "arange")
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError(f"arange: step must be nonzero, got {step!r}")
    if (end - start) * step < 0:
        raise ValueError(f"arange: upper bound and lower bound are inconsistent with the "
                         f"sign of step: start={start!r}, end={end!r}, step={step!r}")
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else get_default_dtype()
    return _make(np.arange(start, end, step).astype(to_dtype(dtype)), requires_grad, device,
                 "arange")


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None) -> Tensor:
    _check_device(device, "linspace")
    _check_count(steps, "steps", "linspace")
    arr = np.linspace(start, end, steps).astype(to_dtype(dtype) or get_default_dtype())
    return _make(arr, requires_grad, device, "linspace")


def eye(n, m=None, dtype=None, requires_grad=False, device=None) -> Tensor:
    _check_device(device, "eye")
    _check_count(n, "n", "eye")
    if m is not None:
        _check_count(m, "m", "eye")
    return _make(np.eye(n, m, dtype=to_dtype(dtype) or get_default_dtype()), requires_grad,
                 device, "eye")


def rand(*size, generator=None, dtype=None, requires_grad=False, device=None) -> Tensor:
    _check_device(device, "rand")
    rng = generator or default_generator()
    arr = rng.random(_shape(size), dtype=np.float64).astype(
        to_dtype(dtype) or get_default_dtype())
    return _make(arr, requires_grad, device, "rand")


def randn(*size, generator=None, dtype=None, requires_grad=False, device=None) -> Tensor:
    _check_device(device, "randn")
    rng = generator or default_generator()
    arr = rng.standard_normal(_shape(size)).astype(to_dtype(dtype) or get_default_dtype())
    return _make(arr, requires_grad, device, "randn")


def rand_like(t, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    _check_device(device, "rand_like")
    return rand(*t.shape, generator=generator, dtype=dtype or t.dtype,
                requires_grad=requires_grad, device=_like_device(t, device))


def randn_like(t, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    _check_device(device, "randn_like")
    return randn(*t.shape, generator=generator, dtype=dtype or t.dtype,
                 requires_grad=requires_grad, device=_like_device(t, device))


def randperm(n: int, generator=None, dtype=None, requires_grad: bool = False,
             device=None) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64 unless ``dtype``)."""
    _check_device(device, "randperm")
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        raise ValueError(f"randperm: n must be a non-negative int, got {n!r}")
    rng = generator or default_generator()
    return _make(rng.permutation(int(n)).astype(to_dtype(dtype) or np.int64), requires_grad,
                 device, "randperm")


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
        to_dtype(dtype) or np.int64), requires_grad, device, "randint")


def normal(mean, std=1.0, size=None, generator=None, dtype=None, device=None,
           requires_grad=False) -> Tensor:
    _check_device(device, "normal")
    rng = generator or default_generator()
    m = to_host(mean._data) if isinstance(mean, Tensor) else mean
    s = to_host(std._data) if isinstance(std, Tensor) else std
    if device is None:  # as torch: on the device of a Tensor mean (or std)
        device = next((a.device for a in (mean, std) if isinstance(a, Tensor)), None)
    arr = rng.normal(m, s, size=None if size is None else _shape((size,)))
    like = mean.dtype if isinstance(mean, Tensor) else std.dtype if isinstance(
        std, Tensor) else get_default_dtype()
    return _make(np.asarray(arr).astype(to_dtype(dtype) or like), requires_grad, device,
                 "normal")


# ---------------------------------------------------------------------------
# Legacy typed constructors: torch.FloatTensor([1, 2]), isinstance(x, torch.LongTensor)
# ---------------------------------------------------------------------------
class _TensorType(type):
    """The metaclass of the legacy typed constructors: calling one makes a Tensor of its
    dtype (``FloatTensor(2, 3)``, ``LongTensor([1, 2])``); ``isinstance`` checks the
    dtype, as in torch."""

    def __call__(cls, *args, **kwargs):
        return Tensor(*args, dtype=cls.dtype, **kwargs)

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __repr__(cls):
        return f"<class 'glassnet.{cls.__name__}'>"


def _legacy(name, dtype):
    return _TensorType(name, (), {"dtype": np.dtype(dtype), "__module__": "glassnet",
                                  "__doc__": f"Legacy constructor of {np.dtype(dtype)} "
                                             f"tensors (``torch.{name}``)."})


FloatTensor = _legacy("FloatTensor", np.float32)
DoubleTensor = _legacy("DoubleTensor", np.float64)
HalfTensor = _legacy("HalfTensor", np.float16)
LongTensor = _legacy("LongTensor", np.int64)
IntTensor = _legacy("IntTensor", np.int32)
ShortTensor = _legacy("ShortTensor", np.int16)
CharTensor = _legacy("CharTensor", np.int8)
ByteTensor = _legacy("ByteTensor", np.uint8)
BoolTensor = _legacy("BoolTensor", np.bool_)
