"""Operand coercion shared by the elementwise families: PyTorch's type promotion for
tensors and Python scalars, and the differentiable dtype cast."""
from __future__ import annotations

import numbers

import numpy as np

from glassnet.autograd import Function
from glassnet.backend import get_array_module, get_default_dtype
from glassnet._tensor_base import TensorBase as Tensor


def _scalar_array(value, like: np.ndarray) -> np.ndarray:
    """A 0-d array for a Python scalar combined with array ``like``."""
    if isinstance(value, (bool, np.bool_)):
        dtype = like.dtype
    elif isinstance(value, numbers.Integral):
        dtype = like.dtype if like.dtype != np.bool_ else np.int64
        info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else None
        if info is not None and not info.min <= value <= info.max:
            # NOTE: torch casts the scalar to the tensor's integer dtype modulo 2**bits
            # (uint8 + (-3) adds 253, and wraps); NumPy 2 raises OverflowError instead.
            bits = info.bits
            value = int(value) & ((1 << bits) - 1)
            if info.min < 0 and value > info.max:
                value -= 1 << bits
    elif isinstance(value, numbers.Real):
        # NOTE: int tensor * 0.5 gives the default float dtype, as in PyTorch.
        dtype = like.dtype if like.dtype.kind == "f" else get_default_dtype()
    else:
        raise TypeError(f"unsupported operand type {type(value).__name__}")
    return get_array_module(like).asarray(value, dtype=dtype)


def _promote(a: Tensor, b: Tensor):
    # NOTE: PyTorch lets a 0-d tensor of the same category not change the dtype; a
    # float tensor of any rank wins over an integer tensor.
    if a.ndim == 0 and b.ndim > 0 and a.dtype.kind == b.dtype.kind:
        return b.dtype
    if b.ndim == 0 and a.ndim > 0 and a.dtype.kind == b.dtype.kind:
        return a.dtype
    if a.dtype.kind == "f" and b.dtype.kind != "f":
        return a.dtype
    if b.dtype.kind == "f" and a.dtype.kind != "f":
        return b.dtype
    return np.result_type(a.dtype, b.dtype)


def _operands(a, b):
    """Return two Tensors of a common dtype (scalars adopt the tensor's dtype)."""
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        if a.dtype != b.dtype:
            dt = _promote(a, b)
            a = cast(a, dt) if a.dtype != dt else a
            b = cast(b, dt) if b.dtype != dt else b
        return a, b
    if isinstance(a, Tensor):
        if isinstance(b, np.ndarray):
            return _operands(a, Tensor._wrap(b))
        arr = _scalar_array(b, a._data)
        if arr.dtype != a.dtype:
            a = cast(a, arr.dtype)
        return a, Tensor._wrap(arr)
    if isinstance(b, Tensor):
        b2, a2 = _operands(b, a)
        return a2, b2
    return Tensor._wrap(np.asarray(a)), Tensor._wrap(np.asarray(b))


def _float_operands(a, b):
    """:func:`_operands`, then integer results promoted to the default float dtype."""
    a, b = _operands(a, b)
    if a.dtype.kind != "f":
        dt = get_default_dtype()
        a, b = cast(a, dt), cast(b, dt)
    return a, b


def _tensor(x, fn, name="input"):
    """``x`` as a Tensor (arrays and numbers are wrapped); other types are refused."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (np.ndarray, numbers.Number)):
        return Tensor._wrap(np.asarray(x))
    raise TypeError(f"{fn}: {name} must be a Tensor, got {type(x).__name__}")


def _float_tensor(x, fn, name="input"):
    """``x`` as a floating Tensor (integer and bool inputs become the default dtype)."""
    x = _tensor(x, fn, name)
    return x if x.dtype.kind == "f" else cast(x, get_default_dtype())


class Cast(Function):
    def forward(self, a, dtype):
        self.in_dtype = a.dtype
        return a.astype(dtype)

    def backward(self, g):
        return g.astype(self.in_dtype)


def cast(input, dtype):
    """Convert to ``dtype``; differentiable between floating dtypes."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f" or input.dtype.kind != "f":
        return Tensor._wrap(input._data.astype(dtype))
    return Cast.apply(input, dtype=dtype)


class NoDerivative(Function):
    """An op PyTorch records but cannot differentiate (floor_divide, heaviside, unique,
    bincount with weights): the forward works and ``backward`` raises, as PyTorch's
    ``NotImplemented`` node."""

    def forward(self, *arrays, fn, name):
        self.op_name = name
        with np.errstate(divide="ignore", invalid="ignore"):  # float // 0 is inf, silently
            return fn(*arrays)

    def backward(self, g):
        raise RuntimeError(f"the derivative for '{self.op_name}' is not implemented")
