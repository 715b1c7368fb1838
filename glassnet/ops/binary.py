"""Smooth binary maths with broadcasting: atan2, hypot, logaddexp, logaddexp2, xlogy,
copysign (re-exported by :mod:`glassnet.ops.elementwise`, the whole elementwise table).

Each is a :class:`_Binary`: the value and its two partial derivatives, both gradients
reduced to their operand's shape with ``sum_to``.
"""
from __future__ import annotations

import numpy as np

from glassnet.autograd import Function, sum_to
from glassnet.backend import get_array_module
from glassnet.ops._coerce import _float_operands

__all__ = ["atan2", "arctan2", "hypot", "logaddexp", "logaddexp2", "xlogy", "copysign"]


class _Binary(Function):
    """Base of the smooth binary ops: ``out = f(a, b)``; ``da``/``db`` give the partial
    derivatives from ``a, b, out``; both gradients are reduced with ``sum_to``."""

    def forward(self, a, b):
        with np.errstate(all="ignore"):
            out = self.f(get_array_module(a), a, b)
        self.save_for_backward(a, b, out)
        return out

    def backward(self, g):
        a, b, out = self.saved_tensors
        xp = get_array_module(a)
        ga = gb = None
        with np.errstate(all="ignore"):
            if self.needs_input_grad[0]:
                ga = sum_to((g * self.da(xp, a, b, out)).astype(g.dtype), a.shape)
            if self.needs_input_grad[1]:
                gb = sum_to((g * self.db(xp, a, b, out)).astype(g.dtype), b.shape)
        return ga, gb


class Atan2(_Binary):
    f = staticmethod(lambda xp, a, b: xp.arctan2(a, b))
    da = staticmethod(lambda xp, a, b, out: b / (a * a + b * b))
    db = staticmethod(lambda xp, a, b, out: -a / (a * a + b * b))


class Hypot(_Binary):
    f = staticmethod(lambda xp, a, b: xp.hypot(a, b))
    da = staticmethod(lambda xp, a, b, out: a / out)
    db = staticmethod(lambda xp, a, b, out: b / out)


class LogAddExp(_Binary):
    f = staticmethod(lambda xp, a, b: xp.logaddexp(a, b))
    da = staticmethod(lambda xp, a, b, out: xp.exp(a - out))
    db = staticmethod(lambda xp, a, b, out: xp.exp(b - out))


class LogAddExp2(_Binary):
    f = staticmethod(lambda xp, a, b: xp.logaddexp2(a, b))
    da = staticmethod(lambda xp, a, b, out: xp.exp2(a - out))
    db = staticmethod(lambda xp, a, b, out: xp.exp2(b - out))


class Xlogy(_Binary):
    # NOTE: 0 * log(y) is 0 (also for y <= 0), NaN only where y is NaN, as PyTorch; its
    # d/dx is log(y), set to 0 where x == 0 and y <= 0; d/dy = x / y.
    f = staticmethod(lambda xp, a, b: xp.where((a == 0) & ~xp.isnan(b), 0, a * xp.log(b)))
    da = staticmethod(lambda xp, a, b, out: xp.where((a == 0) & (b <= 0), 0, xp.log(b)))
    db = staticmethod(lambda xp, a, b, out: a / b)


class Copysign(_Binary):
    # NOTE: d/da = sign(a) * sign(out), 0 at a == 0; ``b`` only gives a sign: gradient 0.
    f = staticmethod(lambda xp, a, b: xp.copysign(a, b))
    da = staticmethod(lambda xp, a, b, out: xp.where(a == 0, 0, xp.sign(a) * xp.sign(out)))
    db = staticmethod(lambda xp, a, b, out: xp.zeros_like(b))



def atan2(input, other):
    """Elementwise ``atan(input / other)`` in the quadrant of ``(other, input)``."""
    return Atan2.apply(*_float_operands(input, other))


arctan2 = atan2


def hypot(input, other):
    """Elementwise ``sqrt(input**2 + other**2)`` without overflow."""
    return Hypot.apply(*_float_operands(input, other))


def logaddexp(input, other):
    """Elementwise ``log(exp(input) + exp(other))``, computed stably."""
    return LogAddExp.apply(*_float_operands(input, other))


def logaddexp2(input, other):
    """Elementwise ``log2(2**input + 2**other)``, computed stably."""
    return LogAddExp2.apply(*_float_operands(input, other))


def xlogy(input, other):
    """Elementwise ``input * log(other)``, 0 where ``input == 0`` (unless ``other`` is
    NaN)."""
    return Xlogy.apply(*_float_operands(input, other))


def copysign(input, other):
    """``|input|`` with the sign of ``other``, elementwise."""
    return Copysign.apply(*_float_operands(input, other))
