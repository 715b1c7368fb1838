"""Elementwise arithmetic with broadcasting: add, sub, mul, div, pow, fmod, remainder,
binary maths (atan2, hypot, logaddexp, xlogy, copysign...), clamp, maximum/minimum,
fmax/fmin, where, lerp, addcmul/addcdiv.

The unary maths live in :mod:`glassnet.ops.unary`, the smooth binary ones in
:mod:`glassnet.ops.binary` and the comparisons in :mod:`glassnet.ops.comparison`; this
module re-exports them, so that
``glassnet.ops.elementwise`` is the whole elementwise table.

Examples
--------
>>> import glassnet
>>> glassnet.copysign(glassnet.tensor([2.0, 3.0]), glassnet.tensor([-1.0, 1.0])).tolist()
[-2.0, 3.0]
"""
from __future__ import annotations

import numbers

import numpy as np

from glassnet.autograd import Function, sum_to
from glassnet.backend import get_array_module, get_default_dtype
from glassnet.ops import comparison as _comparison
from glassnet.ops.binary import *  # noqa: F401,F403
from glassnet.ops import unary as _unary_ops
from glassnet.ops._coerce import (  # noqa: F401  (cast, _operands: used by other families)
    Cast, NoDerivative, _float_operands, _operands, _promote, _scalar_array, _tensor, cast,
)
from glassnet.ops.comparison import *  # noqa: F401,F403
from glassnet.ops.unary import *  # noqa: F401,F403
from glassnet.ops.unary import Abs, Neg, ZeroGrad  # noqa: F401
from glassnet._tensor_base import TensorBase as Tensor
from glassnet.ops.kernels import elementwise as _ew

__all__ = [
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "pow",
    "float_power", "fmod", "remainder", "floor_divide", "atan2", "arctan2", "hypot",
    "logaddexp", "logaddexp2", "xlogy", "copysign", "heaviside", "clamp", "clip",
    "clamp_min", "clamp_max", "maximum", "minimum", "fmax", "fmin", "where", "clone",
    "lerp", "addcmul", "addcdiv", "masked_fill",
] + _unary_ops.__all__ + _comparison.__all__


# ---------------------------------------------------------------------------
# Binary arithmetic
# ---------------------------------------------------------------------------
class Add(Function):
    def forward(self, a, b):
        self.shapes = (a.shape, b.shape)
        if a.shape == b.shape and a.size >= _ew.MIN_SIZE:
            out = _ew.add(a, b)  # all cores, one pass (None: not for these arrays)
            if out is not None:
                return out
        return a + b

    def backward(self, g):
        return sum_to(g, self.shapes[0]), sum_to(g, self.shapes[1])


class Sub(Function):
    def forward(self, a, b):
        self.shapes = (a.shape, b.shape)
        return a - b

    def backward(self, g):
        gb = sum_to(-g, self.shapes[1]) if self.needs_input_grad[1] else None
        return sum_to(g, self.shapes[0]), gb


class Mul(Function):
    def forward(self, a, b):
        # NOTE: save only what a needed gradient uses (torch's rule), so that an in-place
        # edit of an operand that no gradient needs does not fail backward.
        needs = self.needs_input_grad
        self.save_for_backward(a if needs[1] else None, b if needs[0] else None)
        self.shapes = (a.shape, b.shape)
        return a * b

    def backward(self, g):
        a, b = self.saved_tensors
        ga = sum_to(g * b, self.shapes[0]) if self.needs_input_grad[0] else None
        gb = sum_to(g * a, self.shapes[1]) if self.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    def forward(self, a, b):
        self.save_for_backward(a if self.needs_input_grad[1] else None, b)
        self.a_shape = a.shape
        return a / b

    def backward(self, g):
        a, b = self.saved_tensors
        ga = sum_to(g / b, self.a_shape) if self.needs_input_grad[0] else None
        gb = sum_to(-g * a / (b * b), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Pow(Function):
    """Tensor ** tensor."""

    def forward(self, a, b):
        out = a ** b
        self.save_for_backward(a, b, out)
        return out

    def backward(self, g):
        a, b, out = self.saved_tensors
        xp = get_array_module(a)
        ga = gb = None
        if self.needs_input_grad[0]:
            # NOTE: b * a**(b-1) is 0 where b == 0 (even at a == 0), as in PyTorch.
            ga = xp.where(b == 0, 0, g * b * a ** (b - 1)).astype(a.dtype)
            ga = sum_to(ga, a.shape)
        if self.needs_input_grad[1]:
            # NOTE: d/db a**b = a**b log a; PyTorch defines it 0 where a == 0 and b >= 0.
            with np.errstate(divide="ignore", invalid="ignore"):
                lg = xp.where((a == 0) & (b >= 0), 0, out * xp.log(a))
            gb = sum_to((g * lg).astype(b.dtype), b.shape)
        return ga, gb


class PowScalar(Function):
    """Tensor ** Python number."""

    def forward(self, a, exponent):
        self.exponent = exponent
        self.save_for_backward(a)
        return a ** a.dtype.type(exponent) if a.dtype.kind == "f" else a ** exponent

    def backward(self, g):
        (a,) = self.saved_tensors
        p = self.exponent
        if p == 0:
            return g * 0
        return g * (p * a ** (p - 1)).astype(a.dtype)


class RPowScalar(Function):
    """Python number ** tensor."""

    def forward(self, a, base):
        out = a.dtype.type(base) ** a
        self.base = base
        self.save_for_backward(out)
        return out

    def backward(self, g):
        (out,) = self.saved_tensors
        return (g * out * np.log(self.base)).astype(out.dtype)


def add(input, other, alpha=1):
    """``input + alpha * other`` with broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    a, b = _operands(input, other)
    return Add.apply(a, b)


def sub(input, other, alpha=1):
    """``input - alpha * other`` with broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    a, b = _operands(input, other)
    return Sub.apply(a, b)


subtract = sub


def mul(input, other):
    """Elementwise product with broadcasting."""
    a, b = _operands(input, other)
    return Mul.apply(a, b)


multiply = mul


class IntegerDivisionByZero(RuntimeError, ZeroDivisionError):
    """Integer division or remainder by zero: torch raises ``RuntimeError:
    ZeroDivisionError``; this is both, so ported code and Python idiom both catch it."""


def _no_integer_zero_divisor(a, b, fn):
    """Raise for an integer divisor with a zero (NumPy would give 0 with a warning)."""
    if b.dtype.kind in "iu" and a.dtype.kind in "iu":
        zeros = int((b._data == 0).sum())
        if zeros:
            raise IntegerDivisionByZero(f"ZeroDivisionError: {fn}: integer division by zero "
                                        f"(other has {zeros} zero element(s), dtype "
                                        f"{b.dtype})")


def div(input, other, rounding_mode=None):
    """Elementwise true division (``rounding_mode`` 'trunc'/'floor' give no gradient)."""
    a, b = _operands(input, other)
    if rounding_mode is None:
        if a.dtype.kind != "f":
            a, b = cast(a, get_default_dtype()), cast(b, get_default_dtype())
        return Div.apply(a, b)
    if rounding_mode in ("floor", "trunc"):
        _no_integer_zero_divisor(a, b, "div")
        return RoundedDiv.apply(a, b, mode=rounding_mode)
    raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got "
                     f"{rounding_mode!r}")


true_divide = divide = div


def pow(input, exponent):
    """``input ** exponent`` (tensor or Python-number exponent)."""
    if isinstance(input, Tensor) and isinstance(exponent, numbers.Number):
        return PowScalar.apply(input, exponent=exponent)
    if isinstance(exponent, Tensor) and isinstance(input, numbers.Number):
        if exponent.dtype.kind != "f":
            exponent = cast(exponent, get_default_dtype())
        return RPowScalar.apply(exponent, base=input)
    a, b = _operands(input, exponent)
    return Pow.apply(a, b)


class Clamp(Function):
    def forward(self, a, min, max):
        self.save_for_backward(a)
        self.bounds = (min, max)
        return get_array_module(a).clip(a, min, max)

    def backward(self, g):
        # NOTE: the gradient passes where min <= x <= max (inclusive), as in PyTorch.
        (a,) = self.saved_tensors
        lo, hi = self.bounds
        mask = np.ones(a.shape, dtype=bool)
        if lo is not None:
            mask &= a >= lo
        if hi is not None:
            mask &= a <= hi
        return g * mask


class Maximum(Function):
    def forward(self, a, b, take_max):
        self.save_for_backward(a, b)
        self.take_max = take_max
        xp = get_array_module(a)
        return xp.maximum(a, b) if take_max else xp.minimum(a, b)

    def backward(self, g):
        a, b = self.saved_tensors
        # NOTE: on ties each input gets half the gradient, as in PyTorch.
        win_a = (a > b) if self.take_max else (a < b)
        tie = a == b
        wa = win_a + 0.5 * tie
        ga = sum_to(g * wa.astype(g.dtype), a.shape) if self.needs_input_grad[0] else None
        gb = (sum_to(g * (1 - wa).astype(g.dtype), b.shape)
              if self.needs_input_grad[1] else None)
        return ga, gb


class Where(Function):
    def forward(self, a, b, condition):
        self.condition = condition
        self.shapes = (a.shape, b.shape)
        return get_array_module(a).where(condition, a, b)

    def backward(self, g):
        c = self.condition
        zero = g.dtype.type(0)
        ga = sum_to(np.where(c, g, zero), self.shapes[0]) if self.needs_input_grad[0] else None
        gb = sum_to(np.where(c, zero, g), self.shapes[1]) if self.needs_input_grad[1] else None
        return ga, gb


class Clone(Function):
    def forward(self, a):
        return a.copy()

    def backward(self, g):
        return g


def clamp(input, min=None, max=None):
    """Clamp into ``[min, max]``; min/max may be numbers or tensors.

    NOTE: if min > max, every element becomes max (PyTorch's rule).
    """
    if min is None and max is None:
        raise ValueError("clamp: at least one of min or max must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = maximum(out, min if isinstance(min, Tensor) else _scalar_array(min, out._data))
        if max is not None:
            out = minimum(out, max if isinstance(max, Tensor) else _scalar_array(max, out._data))
        return out
    if min is not None and max is not None and min > max:
        min = max
    return Clamp.apply(input, min=min, max=max)


clip = clamp


def maximum(input, other):
    """Elementwise maximum; ties split the gradient equally."""
    a, b = _operands(input, other)
    return Maximum.apply(a, b, take_max=True)


def minimum(input, other):
    """Elementwise minimum; ties split the gradient equally."""
    a, b = _operands(input, other)
    return Maximum.apply(a, b, take_max=False)


def where(condition, input, other):
    """Choose ``input`` where ``condition`` is true, else ``other`` (broadcasting)."""
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor, got {cond.dtype}")
    a, b = _operands(input, other)
    out = Where.apply(a, b, condition=cond)
    if out.shape != np.broadcast_shapes(cond.shape, a.shape, b.shape):
        raise ValueError("where: condition, input and other are not broadcastable")
    return out


def masked_fill(input, mask, value):
    """Fill elements of ``input`` where ``mask`` is true with ``value``."""
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    v = value if isinstance(value, Tensor) else Tensor._wrap(np.asarray(value, input.dtype))
    return where(Tensor._wrap(np.broadcast_to(m, input.shape)), v, input)


def clone(input):
    """A copy that stays in the graph."""
    return Clone.apply(input)


def lerp(input, end, weight):
    """``input + weight * (end - input)``."""
    return add(input, mul(sub(end, input), weight))




def addcmul(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 * tensor2`` with broadcasting."""
    prod = mul(tensor1, tensor2)
    return add(input, prod if value == 1 else mul(prod, value))


def addcdiv(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 / tensor2`` with broadcasting."""
    quot = div(tensor1, tensor2)
    return add(input, quot if value == 1 else mul(quot, value))


# ---------------------------------------------------------------------------
# Rounded division, fmod, remainder
# ---------------------------------------------------------------------------
class RoundedDiv(Function):
    """``div(a, b, rounding_mode='floor'/'trunc')``: piecewise constant, so PyTorch gives
    both inputs a zero gradient."""

    def forward(self, a, b, mode):
        self.shapes = (a.shape, b.shape)
        xp = get_array_module(a)
        if mode == "floor":
            return xp.floor_divide(a, b)
        with np.errstate(all="ignore"):
            q = a / b if a.dtype.kind == "f" else xp.trunc(a / b)
        return xp.trunc(q).astype(a.dtype)

    def backward(self, g):
        return (sum_to(g * 0, self.shapes[0]), sum_to(g * 0, self.shapes[1]))


class Fmod(Function):
    """C's ``fmod``: ``a - trunc(a / b) * b`` (the sign of ``a``)."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        with np.errstate(all="ignore"):
            return get_array_module(a).fmod(a, b)

    def backward(self, g):
        a, b = self.saved_tensors
        ga = sum_to(g, a.shape) if self.needs_input_grad[0] else None
        gb = None
        if self.needs_input_grad[1]:
            # NOTE: d/db = -trunc(a / b), as PyTorch.
            with np.errstate(all="ignore"):
                gb = sum_to(-g * get_array_module(a).trunc(a / b), b.shape)
        return ga, gb


class Remainder(Function):
    """Python's ``%``: ``a - floor(a / b) * b`` (the sign of ``b``)."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        with np.errstate(all="ignore"):
            return get_array_module(a).remainder(a, b)

    def backward(self, g):
        a, b = self.saved_tensors
        ga = sum_to(g, a.shape) if self.needs_input_grad[0] else None
        gb = None
        if self.needs_input_grad[1]:
            # NOTE: d/db = -floor(a / b), as PyTorch.
            with np.errstate(all="ignore"):
                gb = sum_to(-g * get_array_module(a).floor(a / b), b.shape)
        return ga, gb


def fmod(input, other):
    """Elementwise ``input - trunc(input / other) * other`` (sign of ``input``).

    Gradient: 1 for ``input``, ``-trunc(input / other)`` for ``other``.
    """
    a, b = _operands(input, other)
    _no_integer_zero_divisor(a, b, "fmod")
    return Fmod.apply(a, b)


def remainder(input, other):
    """Elementwise ``input - floor(input / other) * other`` (sign of ``other``).

    Gradient: 1 for ``input``, ``-floor(input / other)`` for ``other``.
    """
    a, b = _operands(input, other)
    _no_integer_zero_divisor(a, b, "remainder")
    return Remainder.apply(a, b)


def floor_divide(input, other):
    """Elementwise ``floor(input / other)``. As in PyTorch, a float result that requires
    grad has no derivative: ``backward`` through it raises RuntimeError."""
    a, b = _operands(input, other)
    _no_integer_zero_divisor(a, b, "floor_divide")
    return NoDerivative.apply(a, b, fn=np.floor_divide, name="floor_divide")


def heaviside(input, values):
    """Step function: 0 where ``input < 0``, ``values`` where 0, 1 where ``> 0``.

    No derivative, as in PyTorch (``backward`` through it raises RuntimeError).
    """
    a, b = _operands(input, values)
    return NoDerivative.apply(a, b, fn=np.heaviside, name="heaviside")


# ---------------------------------------------------------------------------
# NaN-ignoring max/min, float_power
# ---------------------------------------------------------------------------
class FMax(Function):
    """fmax/fmin: NaN-ignoring max/min. NOTE: the whole gradient goes to ``a`` on ties
    and where ``b`` is NaN (PyTorch's rule; ``maximum`` splits ties instead)."""

    def forward(self, a, b, take_max):
        xp = get_array_module(a)
        self.save_for_backward(a, b)
        self.take_max = take_max
        return xp.fmax(a, b) if take_max else xp.fmin(a, b)

    def backward(self, g):
        a, b = self.saved_tensors
        xp = get_array_module(a)
        to_a = ((a >= b) if self.take_max else (a <= b)) | xp.isnan(b)
        ga = sum_to(g * to_a, a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(g * ~to_a, b.shape) if self.needs_input_grad[1] else None
        return ga, gb


def float_power(input, exponent):
    """``input ** exponent`` computed in float64 (the result is float64, as PyTorch)."""
    x = cast(_tensor(input, "float_power"), np.float64) if isinstance(
        input, (Tensor, np.ndarray)) else input
    e = cast(exponent, np.float64) if isinstance(exponent, Tensor) else exponent
    if not isinstance(x, Tensor) and not isinstance(e, Tensor):
        raise TypeError("float_power: input or exponent must be a Tensor")
    if isinstance(x, Tensor) and isinstance(e, numbers.Number):
        return pow(x, float(e))
    return pow(x if isinstance(x, Tensor) else float(x), e)


def fmax(input, other):
    """Elementwise maximum that ignores NaN (NaN only where both are NaN)."""
    a, b = _operands(input, other)
    return FMax.apply(a, b, take_max=True)


def fmin(input, other):
    """Elementwise minimum that ignores NaN (NaN only where both are NaN)."""
    a, b = _operands(input, other)
    return FMax.apply(a, b, take_max=False)


def clamp_min(input, min):
    """``clamp(input, min=min)``."""
    return clamp(input, min=min)


def clamp_max(input, max):
    """``clamp(input, max=max)``."""
    return clamp(input, max=max)
