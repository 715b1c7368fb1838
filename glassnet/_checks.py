"""Shared input checks for public functions (like skimage's ``check_nD``).

Every message names the function, the argument, what was expected and what was got.
"""
from __future__ import annotations

import numpy as np

from glassnet._tensor_base import TensorBase

__all__ = ["check_tensor", "check_ndim", "check_float", "check_dtype", "pair", "ntuple",
           "check_positive", "check_choice"]

_FLOATS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def check_tensor(x, name: str, fn: str):
    """Raise TypeError unless ``x`` is a glassnet Tensor."""
    if not isinstance(x, TensorBase):
        raise TypeError(f"{fn}: {name} must be a Tensor, got {type(x).__name__}")
    return x


def check_ndim(x, ndim, name: str, fn: str, shape_doc: str | None = None):
    """Raise ValueError unless ``x.ndim`` is ``ndim`` (an int or a tuple of allowed ints)."""
    check_tensor(x, name, fn)
    allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if x.ndim not in allowed:
        doc = shape_doc or " or ".join(f"{d}-D" for d in allowed)
        raise ValueError(f"{fn}: {name} must have shape {doc}, got {tuple(x.shape)}")
    return x


def check_float(x, name: str, fn: str):
    """Raise TypeError unless ``x`` has a floating dtype."""
    check_tensor(x, name, fn)
    if x.dtype not in _FLOATS:
        raise TypeError(f"{fn}: {name} dtype must be float32 or float64, got {x.dtype}")
    return x


def check_dtype(x, dtypes, name: str, fn: str):
    check_tensor(x, name, fn)
    dtypes = tuple(np.dtype(d) for d in dtypes)
    if x.dtype not in dtypes:
        raise TypeError(f"{fn}: {name} dtype must be one of "
                        f"{', '.join(str(d) for d in dtypes)}, got {x.dtype}")
    return x


def ntuple(value, n: int, name: str, fn: str) -> tuple:
    """Expand an int to an n-tuple, or validate a sequence of length n."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * n
    try:
        out = tuple(int(v) for v in value)
    except TypeError:
        raise TypeError(f"{fn}: {name} must be an int or a tuple of {n} ints, got "
                        f"{value!r}") from None
    if len(out) != n:
        raise ValueError(f"{fn}: {name} must be an int or a tuple of {n} ints, got {value!r}")
    return out


def pair(value, name: str, fn: str) -> tuple:
    return ntuple(value, 2, name, fn)


def check_positive(value, name: str, fn: str, allow_zero: bool = False):
    vals = value if isinstance(value, tuple) else (value,)
    for v in vals:
        if v < 0 or (v == 0 and not allow_zero):
            rel = ">= 0" if allow_zero else "> 0"
            raise ValueError(f"{fn}: {name} must be {rel}, got {value}")
    return value


def check_choice(value, choices, name: str, fn: str):
    if value not in choices:
        raise ValueError(f"{fn}: {name} must be one of {', '.join(map(repr, choices))}, "
                         f"got {value!r}")
    return value
