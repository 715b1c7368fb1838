"""Elementwise ops: arithmetic with broadcasting, unary maths, clamp, where, casts."""
from __future__ import annotations

import numbers

import numpy as np

from glassnet.autograd import Function, sum_to
from glassnet.backend import get_array_module, get_default_dtype
from glassnet.tensor import Tensor

__all__ = [
    "add", "sub", "mul", "div", "true_divide", "pow", "neg", "exp", "log", "log1p", "log2",
    "log10", "expm1", "sqrt", "rsqrt", "abs", "sign", "clamp", "clip", "maximum", "minimum",
    "where", "square", "reciprocal", "sin", "cos", "atan", "arctan", "cast", "clone", "eq",
    "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_not", "isnan", "isinf", "isfinite",
    "floor", "ceil", "round", "trunc", "fmod", "remainder", "floor_divide", "lerp",
    "masked_fill", "nan_to_num", "allclose", "isclose", "equal",
]


# ---------------------------------------------------------------------------
# Operand coercion (PyTorch's promotion for Python scalars)
# ---------------------------------------------------------------------------
def _scalar_array(value, like: np.ndarray) -> np.ndarray:
    """A 0-d array for a Python scalar combined with array ``like``."""
    if isinstance(value, (bool, np.bool_)):
        dtype = like.dtype
    elif isinstance(value, numbers.Integral):
        dtype = like.dtype if like.dtype != np.bool_ else np.int64
    elif isinstance(value, numbers.Real):
        # NOTE: int tensor * 0.5 gives the default float dtype, as in PyTorch.
        dtype = like.dtype if like.dtype.kind == "f" else get_default_dtype()
    else:
        raise TypeError(f"unsupported operand type {type(value).__name__}")
    return get_array_module(like).asarray(value, dtype=dtype)


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


# ---------------------------------------------------------------------------
# Binary arithmetic
# ---------------------------------------------------------------------------
class Add(Function):
    def forward(self, a, b):
        self.shapes = (a.shape, b.shape)
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
        self.save_for_backward(a, b)
        return a * b

    def backward(self, g):
        a, b = self.saved_tensors
        ga = sum_to(g * b, a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(g * a, b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a / b

    def backward(self, g):
        a, b = self.saved_tensors
        ga = sum_to(g / b, a.shape) if self.needs_input_grad[0] else None
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


def mul(input, other):
    """Elementwise product with broadcasting."""
    a, b = _operands(input, other)
    return Mul.apply(a, b)


def div(input, other, rounding_mode=None):
    """Elementwise true division (``rounding_mode`` 'trunc'/'floor' give no gradient)."""
    a, b = _operands(input, other)
    if rounding_mode is None:
        if a.dtype.kind != "f":
            a, b = cast(a, get_default_dtype()), cast(b, get_default_dtype())
        return Div.apply(a, b)
    if rounding_mode == "floor":
        return Tensor._wrap(np.floor_divide(a._data, b._data))
    if rounding_mode == "trunc":
        return Tensor._wrap(np.trunc(a._data / b._data).astype(a.dtype))
    raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got "
                     f"{rounding_mode!r}")


true_divide = div


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


# ---------------------------------------------------------------------------
# Unary maths
# ---------------------------------------------------------------------------
class Neg(Function):
    def forward(self, a):
        return -a

    def backward(self, g):
        return -g


class Exp(Function):
    def forward(self, a):
        out = get_array_module(a).exp(a)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        return g * self.saved_tensors[0]


class Expm1(Function):
    def forward(self, a):
        out = get_array_module(a).expm1(a)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        return g * (self.saved_tensors[0] + 1)


class Log(Function):
    def forward(self, a):
        self.save_for_backward(a)
        return get_array_module(a).log(a)

    def backward(self, g):
        return g / self.saved_tensors[0]


class Log2(Function):
    def forward(self, a):
        self.save_for_backward(a)
        return get_array_module(a).log2(a)

    def backward(self, g):
        a = self.saved_tensors[0]
        return g / (a * a.dtype.type(np.log(2.0)))


class Log10(Function):
    def forward(self, a):
        self.save_for_backward(a)
        return get_array_module(a).log10(a)

    def backward(self, g):
        a = self.saved_tensors[0]
        return g / (a * a.dtype.type(np.log(10.0)))


class Log1p(Function):
    def forward(self, a):
        self.save_for_backward(a)
        return get_array_module(a).log1p(a)

    def backward(self, g):
        return g / (1 + self.saved_tensors[0])


class Sqrt(Function):
    def forward(self, a):
        out = get_array_module(a).sqrt(a)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        return g / (2 * self.saved_tensors[0])


class Rsqrt(Function):
    def forward(self, a):
        out = 1 / get_array_module(a).sqrt(a)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        out = self.saved_tensors[0]
        return g * (-0.5 * out * out * out)


class Abs(Function):
    def forward(self, a):
        self.save_for_backward(a)
        return get_array_module(a).abs(a)

    def backward(self, g):
        # NOTE: the subgradient at 0 is 0 (sign(0) = 0), as in PyTorch.
        return g * get_array_module(g).sign(self.saved_tensors[0])


class Sin(Function):
    def forward(self, a):
        self.save_for_backward(a)
        return get_array_module(a).sin(a)

    def backward(self, g):
        return g * get_array_module(g).cos(self.saved_tensors[0])


class Cos(Function):
    def forward(self, a):
        self.save_for_backward(a)
        return get_array_module(a).cos(a)

    def backward(self, g):
        return -g * get_array_module(g).sin(self.saved_tensors[0])


class Atan(Function):
    def forward(self, a):
        self.save_for_backward(a)
        return get_array_module(a).arctan(a)

    def backward(self, g):
        a = self.saved_tensors[0]
        return g / (1 + a * a)


class ZeroGrad(Function):
    """Piecewise-constant functions (sign, floor, round...): gradient zero everywhere."""

    def forward(self, a, fn):
        return fn(a)

    def backward(self, g):
        return g * 0


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


class Cast(Function):
    def forward(self, a, dtype):
        self.in_dtype = a.dtype
        return a.astype(dtype)

    def backward(self, g):
        return g.astype(self.in_dtype)


class Clone(Function):
    def forward(self, a):
        return a.copy()

    def backward(self, g):
        return g


def _unary(cls):
    def fn(input):
        if not isinstance(input, Tensor):
            input = Tensor._wrap(np.asarray(input))
        if input.dtype.kind != "f":
            input = cast(input, get_default_dtype())
        return cls.apply(input)

    return fn


neg_ = Neg
exp = _unary(Exp)
expm1 = _unary(Expm1)
log = _unary(Log)
log2 = _unary(Log2)
log10 = _unary(Log10)
log1p = _unary(Log1p)
sqrt = _unary(Sqrt)
rsqrt = _unary(Rsqrt)
sin = _unary(Sin)
cos = _unary(Cos)
atan = _unary(Atan)
arctan = atan
atan.__doc__ = "Elementwise arctangent."
exp.__doc__ = "Elementwise e**x."
log.__doc__ = "Elementwise natural logarithm."
sqrt.__doc__ = "Elementwise square root."


def neg(input):
    """Elementwise negation."""
    return Neg.apply(input)


def abs(input):
    """Elementwise absolute value (gradient 0 at 0)."""
    return Abs.apply(input)


def sign(input):
    """Elementwise sign; zero gradient."""
    return ZeroGrad.apply(input, fn=np.sign)


def floor(input):
    return ZeroGrad.apply(input, fn=np.floor)


def ceil(input):
    return ZeroGrad.apply(input, fn=np.ceil)


def round(input, decimals=0):
    return ZeroGrad.apply(input, fn=lambda a: np.round(a, decimals))


def trunc(input):
    return ZeroGrad.apply(input, fn=np.trunc)


def square(input):
    """``input ** 2``."""
    return mul(input, input)


def reciprocal(input):
    """``1 / input``."""
    return div(1.0, input)


def clamp(input, min=None, max=None):
    """Clamp into ``[min, max]``; min/max may be numbers or tensors.

    NOTE: if min > max, every element becomes max (PyTorch's rule).
    """
    if min is None and max is None:
        raise ValueError("clamp: at least one of min or max must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = maximum(out, min if isinstance(min, Tensor) else full_like_scalar(out, min))
        if max is not None:
            out = minimum(out, max if isinstance(max, Tensor) else full_like_scalar(out, max))
        return out
    if min is not None and max is not None and min > max:
        min = max
    return Clamp.apply(input, min=min, max=max)


clip = clamp


def full_like_scalar(t, value):
    return Tensor._wrap(np.asarray(value, dtype=t.dtype))


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


def cast(input, dtype):
    """Convert to ``dtype``; differentiable between floating dtypes."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f" or input.dtype.kind != "f":
        return Tensor._wrap(input._data.astype(dtype))
    return Cast.apply(input, dtype=dtype)


def clone(input):
    """A copy that stays in the graph."""
    return Clone.apply(input)


def lerp(input, end, weight):
    """``input + weight * (end - input)``."""
    return add(input, mul(sub(end, input), weight))


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    return Tensor._wrap(np.nan_to_num(input._data, nan=nan, posinf=posinf, neginf=neginf))


# ---------------------------------------------------------------------------
# Comparisons and logic (never differentiable)
# ---------------------------------------------------------------------------
def _cmp(np_fn):
    def fn(input, other):
        a = input._data if isinstance(input, Tensor) else input
        b = other._data if isinstance(other, Tensor) else other
        return Tensor._wrap(np.asarray(np_fn(a, b)))

    return fn


eq = _cmp(np.equal)
ne = _cmp(np.not_equal)
lt = _cmp(np.less)
le = _cmp(np.less_equal)
gt = _cmp(np.greater)
ge = _cmp(np.greater_equal)
logical_and = _cmp(np.logical_and)
logical_or = _cmp(np.logical_or)
fmod = _cmp(np.fmod)
remainder = _cmp(np.remainder)
floor_divide = _cmp(np.floor_divide)


def logical_not(input):
    return Tensor._wrap(np.logical_not(input._data))


def isnan(input):
    return Tensor._wrap(np.isnan(input._data))


def isinf(input):
    return Tensor._wrap(np.isinf(input._data))


def isfinite(input):
    return Tensor._wrap(np.isfinite(input._data))


def allclose(input, other, rtol=1e-5, atol=1e-8, equal_nan=False) -> bool:
    return bool(np.allclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(input, other, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Elementwise ``|input - other| <= atol + rtol * |other|`` as a bool tensor."""
    a = input._data if isinstance(input, Tensor) else input
    b = other._data if isinstance(other, Tensor) else other
    return Tensor._wrap(np.asarray(np.isclose(a, b, rtol=rtol, atol=atol,
                                              equal_nan=equal_nan)))


def equal(input, other) -> bool:
    return input.shape == other.shape and bool(np.array_equal(input._data, other._data))
