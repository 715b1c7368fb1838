"""Comparisons, logic, bitwise ops and value tests: never differentiable (their results
are bool or integer tensors, as in PyTorch).

Examples
--------
>>> import glassnet
>>> glassnet.greater(glassnet.tensor([1, 3]), 2).tolist()
[False, True]
"""
from __future__ import annotations

import numpy as np

from glassnet.backend import get_array_module
from glassnet._tensor_base import TensorBase as Tensor

__all__ = [
    "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
    "not_equal", "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and",
    "bitwise_or", "bitwise_xor", "bitwise_not", "isnan", "isinf", "isfinite", "isposinf",
    "isneginf", "isreal", "signbit", "allclose", "isclose", "equal",
]


def _raw(x):
    return x._data if isinstance(x, Tensor) else x


def _binary(np_name, name, doc):
    def op(input, other):
        a, b = _raw(input), _raw(other)
        xp = get_array_module(a if hasattr(a, "dtype") else np.asarray(a))
        return Tensor._wrap(xp.asarray(getattr(xp, np_name)(a, b)))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


def _unary(np_name, name, doc):
    def op(input):
        a = _raw(input)
        xp = get_array_module(a)
        return Tensor._wrap(xp.asarray(getattr(xp, np_name)(a)))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


eq = _binary("equal", "eq", "``input == other`` elementwise, as a bool tensor.")
ne = _binary("not_equal", "ne", "``input != other`` elementwise, as a bool tensor.")
lt = _binary("less", "lt", "``input < other`` elementwise, as a bool tensor.")
le = _binary("less_equal", "le", "``input <= other`` elementwise, as a bool tensor.")
gt = _binary("greater", "gt", "``input > other`` elementwise, as a bool tensor.")
ge = _binary("greater_equal", "ge", "``input >= other`` elementwise, as a bool tensor.")
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
logical_and = _binary("logical_and", "logical_and", "Elementwise logical AND (bool).")
logical_or = _binary("logical_or", "logical_or", "Elementwise logical OR (bool).")
logical_xor = _binary("logical_xor", "logical_xor", "Elementwise logical XOR (bool).")
logical_not = _unary("logical_not", "logical_not", "Elementwise logical NOT (bool).")
isnan = _unary("isnan", "isnan", "True where the element is NaN.")
isinf = _unary("isinf", "isinf", "True where the element is +inf or -inf.")
isfinite = _unary("isfinite", "isfinite", "True where the element is neither NaN nor inf.")
isposinf = _unary("isposinf", "isposinf", "True where the element is +inf.")
isneginf = _unary("isneginf", "isneginf", "True where the element is -inf.")
isreal = _unary("isreal", "isreal", "True where the element is real (always, for real "
                "dtypes).")
signbit = _unary("signbit", "signbit", "True where the sign bit is set (also for -0.0).")


def _bitwise(np_name, name, doc, unary=False):
    base = (_unary if unary else _binary)(np_name, name, doc)

    def op(*xs):
        for x in xs:
            a = _raw(x)
            if hasattr(a, "dtype") and a.dtype.kind == "f":
                raise TypeError(f"{name}: expects integer or bool tensors, got {a.dtype}")
        return base(*xs)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


bitwise_and = _bitwise("bitwise_and", "bitwise_and", "Bitwise AND of integer/bool tensors.")
bitwise_or = _bitwise("bitwise_or", "bitwise_or", "Bitwise OR of integer/bool tensors.")
bitwise_xor = _bitwise("bitwise_xor", "bitwise_xor", "Bitwise XOR of integer/bool tensors.")
bitwise_not = _bitwise("invert", "bitwise_not", "Bitwise NOT of an integer/bool tensor.",
                       unary=True)


def allclose(input, other, rtol=1e-5, atol=1e-8, equal_nan=False) -> bool:
    """True when ``|input - other| <= atol + rtol * |other|`` everywhere."""
    return bool(np.allclose(_raw(input), _raw(other), rtol=rtol, atol=atol,
                            equal_nan=equal_nan))


def isclose(input, other, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Elementwise ``|input - other| <= atol + rtol * |other|`` as a bool tensor."""
    return Tensor._wrap(np.asarray(np.isclose(_raw(input), _raw(other), rtol=rtol,
                                              atol=atol, equal_nan=equal_nan)))


def equal(input, other) -> bool:
    """True when both tensors have the same shape and elements."""
    return input.shape == other.shape and bool(np.array_equal(input._data, other._data))
