"""Unary elementwise maths: exponentials and logarithms, roots, trigonometric and
hyperbolic functions, error and gamma functions, rounding.

Each op is one :class:`Function` with ``f`` (the value) and ``df`` (the derivative from
the input and the output); integer and bool inputs are promoted to the default float
dtype, as PyTorch does for these functions. The special functions (``erf``, ``erfinv``,
``lgamma``, ``digamma``, ``polygamma``, ``i0``) use SciPy, imported on first use so that
``import glassnet`` stays light.

Examples
--------
>>> import glassnet
>>> glassnet.sinh(glassnet.tensor([0.0])).tolist(), glassnet.arccos(glassnet.tensor(1.0)).item()
([0.0], 0.0)
"""
from __future__ import annotations

import math

import numpy as np

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops._coerce import _float_tensor, _tensor
from glassnet._tensor_base import TensorBase as Tensor

__all__ = [
    "neg", "negative", "positive", "abs", "absolute", "sign", "sgn", "floor", "ceil",
    "round", "trunc", "fix", "frac", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p",
    "sqrt", "rsqrt", "square", "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan",
    "sinh", "cosh", "asinh", "acosh", "atanh", "arcsin", "arccos", "arctan", "arcsinh",
    "arccosh", "arctanh", "erf", "erfc", "erfinv", "logit", "sinc", "deg2rad", "rad2deg",
    "lgamma", "digamma", "polygamma", "i0", "nan_to_num",
]


def _special():
    try:
        import scipy.special
    except ImportError:  # pragma: no cover - scipy is installed with glassnet[all]
        raise ImportError("glassnet's special functions (erf, erfinv, lgamma, digamma, "
                          "polygamma, i0) need SciPy: pip install scipy") from None
    return scipy.special


class _Unary(Function):
    """Base of the smooth unary ops: ``out = f(a)``, ``grad_a = g * df(a, out)``."""

    def forward(self, a):
        with np.errstate(all="ignore"):
            out = self.f(get_array_module(a), a)
        out = out.astype(a.dtype, copy=False)
        self.save_for_backward(a, out)
        return out

    def backward(self, g):
        a, out = self.saved_tensors
        with np.errstate(all="ignore"):
            d = self.df(get_array_module(a), a, out)
        return (g * d).astype(g.dtype, copy=False)


class Exp(_Unary):
    f = staticmethod(lambda xp, a: xp.exp(a))
    df = staticmethod(lambda xp, a, out: out)


class Exp2(_Unary):
    f = staticmethod(lambda xp, a: xp.exp2(a))
    df = staticmethod(lambda xp, a, out: out * a.dtype.type(math.log(2.0)))


class Expm1(_Unary):
    f = staticmethod(lambda xp, a: xp.expm1(a))
    df = staticmethod(lambda xp, a, out: out + 1)


class Log(_Unary):
    f = staticmethod(lambda xp, a: xp.log(a))
    df = staticmethod(lambda xp, a, out: 1 / a)


class Log2(_Unary):
    f = staticmethod(lambda xp, a: xp.log2(a))
    df = staticmethod(lambda xp, a, out: 1 / (a * a.dtype.type(math.log(2.0))))


class Log10(_Unary):
    f = staticmethod(lambda xp, a: xp.log10(a))
    df = staticmethod(lambda xp, a, out: 1 / (a * a.dtype.type(math.log(10.0))))


class Log1p(_Unary):
    f = staticmethod(lambda xp, a: xp.log1p(a))
    df = staticmethod(lambda xp, a, out: 1 / (1 + a))


class Sqrt(_Unary):
    f = staticmethod(lambda xp, a: xp.sqrt(a))
    df = staticmethod(lambda xp, a, out: 1 / (2 * out))


class Rsqrt(_Unary):
    f = staticmethod(lambda xp, a: 1 / xp.sqrt(a))
    df = staticmethod(lambda xp, a, out: -0.5 * out * out * out)


class Square(_Unary):
    f = staticmethod(lambda xp, a: a * a)
    df = staticmethod(lambda xp, a, out: 2 * a)


class Reciprocal(_Unary):
    f = staticmethod(lambda xp, a: 1 / a)
    df = staticmethod(lambda xp, a, out: -out * out)


class Sin(_Unary):
    f = staticmethod(lambda xp, a: xp.sin(a))
    df = staticmethod(lambda xp, a, out: xp.cos(a))


class Cos(_Unary):
    f = staticmethod(lambda xp, a: xp.cos(a))
    df = staticmethod(lambda xp, a, out: -xp.sin(a))


class Tan(_Unary):
    f = staticmethod(lambda xp, a: xp.tan(a))
    df = staticmethod(lambda xp, a, out: 1 + out * out)


class Asin(_Unary):
    f = staticmethod(lambda xp, a: xp.arcsin(a))
    df = staticmethod(lambda xp, a, out: 1 / xp.sqrt(1 - a * a))


class Acos(_Unary):
    f = staticmethod(lambda xp, a: xp.arccos(a))
    df = staticmethod(lambda xp, a, out: -1 / xp.sqrt(1 - a * a))


class Atan(_Unary):
    f = staticmethod(lambda xp, a: xp.arctan(a))
    df = staticmethod(lambda xp, a, out: 1 / (1 + a * a))


class Sinh(_Unary):
    f = staticmethod(lambda xp, a: xp.sinh(a))
    df = staticmethod(lambda xp, a, out: xp.cosh(a))


class Cosh(_Unary):
    f = staticmethod(lambda xp, a: xp.cosh(a))
    df = staticmethod(lambda xp, a, out: xp.sinh(a))


class Asinh(_Unary):
    f = staticmethod(lambda xp, a: xp.arcsinh(a))
    df = staticmethod(lambda xp, a, out: 1 / xp.sqrt(a * a + 1))


class Acosh(_Unary):
    f = staticmethod(lambda xp, a: xp.arccosh(a))
    # NOTE: (a - 1)(a + 1) rather than a*a - 1: no cancellation near a = 1 (PyTorch's form).
    df = staticmethod(lambda xp, a, out: 1 / xp.sqrt((a - 1) * (a + 1)))


class Atanh(_Unary):
    f = staticmethod(lambda xp, a: xp.arctanh(a))
    df = staticmethod(lambda xp, a, out: 1 / (1 - a * a))


class Erf(_Unary):
    f = staticmethod(lambda xp, a: _special().erf(a))
    df = staticmethod(lambda xp, a, out: a.dtype.type(2 / math.sqrt(math.pi)) * xp.exp(-a * a))


class Erfc(_Unary):
    f = staticmethod(lambda xp, a: _special().erfc(a))
    df = staticmethod(lambda xp, a, out: a.dtype.type(-2 / math.sqrt(math.pi)) * xp.exp(-a * a))


class Erfinv(_Unary):
    f = staticmethod(lambda xp, a: _special().erfinv(a))
    df = staticmethod(lambda xp, a, out: a.dtype.type(math.sqrt(math.pi) / 2)
                      * xp.exp(out * out))


class Sinc(_Unary):
    # NOTE: sinc(0) = 1 and sinc'(0) = 0; elsewhere (cos(pi x) - sinc(x)) / x.
    f = staticmethod(lambda xp, a: xp.sinc(a))
    df = staticmethod(lambda xp, a, out: xp.where(
        a == 0, 0, (xp.cos(a.dtype.type(math.pi) * a) - out) / xp.where(a == 0, 1, a)))


class Deg2rad(_Unary):
    f = staticmethod(lambda xp, a: a * a.dtype.type(math.pi / 180))
    df = staticmethod(lambda xp, a, out: a.dtype.type(math.pi / 180))


class Rad2deg(_Unary):
    f = staticmethod(lambda xp, a: a * a.dtype.type(180 / math.pi))
    df = staticmethod(lambda xp, a, out: a.dtype.type(180 / math.pi))


class Lgamma(_Unary):
    f = staticmethod(lambda xp, a: _special().gammaln(a))
    df = staticmethod(lambda xp, a, out: _special().psi(a))


class Digamma(_Unary):
    f = staticmethod(lambda xp, a: _special().psi(a))
    df = staticmethod(lambda xp, a, out: _special().polygamma(1, a))


class I0(_Unary):
    f = staticmethod(lambda xp, a: _special().i0(a))
    df = staticmethod(lambda xp, a, out: _special().i1(a))


class Polygamma(Function):
    """``psi^(n)(a)``, the n-th derivative of the digamma function."""

    def forward(self, a, n):
        self.n = n
        self.save_for_backward(a)
        return _special().polygamma(n, a).astype(a.dtype)

    def backward(self, g):
        (a,) = self.saved_tensors
        return (g * _special().polygamma(self.n + 1, a)).astype(g.dtype)


class Logit(Function):
    def forward(self, a, eps):
        xp = get_array_module(a)
        self.eps = eps
        x = a if eps is None else xp.clip(a, eps, 1 - eps)
        self.save_for_backward(a)
        with np.errstate(all="ignore"):
            return xp.log(x / (1 - x)).astype(a.dtype)

    def backward(self, g):
        (a,) = self.saved_tensors
        eps = self.eps
        with np.errstate(all="ignore"):
            d = g / (a * (1 - a))
        if eps is not None:
            # NOTE: zero gradient where the input was clamped, as PyTorch's logit_backward.
            d = get_array_module(a).where((a < eps) | (a > 1 - eps), 0, d)
        return d.astype(g.dtype)


class Neg(Function):
    def forward(self, a):
        return -a

    def backward(self, g):
        return -g


class Abs(Function):
    def forward(self, a):
        self.save_for_backward(a)
        return get_array_module(a).abs(a)

    def backward(self, g):
        # NOTE: the subgradient at 0 is 0 (sign(0) = 0), as in PyTorch.
        return g * get_array_module(g).sign(self.saved_tensors[0])


class ZeroGrad(Function):
    """Piecewise-constant functions (sign, floor, round...): gradient zero everywhere, as
    PyTorch (which does not raise for them)."""

    def forward(self, a, fn):
        return fn(a)

    def backward(self, g):
        return g * 0


class Frac(Function):
    """``a - trunc(a)``: gradient 1."""

    def forward(self, a):
        return a - get_array_module(a).trunc(a)

    def backward(self, g):
        return g


class NanToNum(Function):
    def forward(self, a, nan, posinf, neginf):
        xp = get_array_module(a)
        self.finite = xp.isfinite(a)
        return xp.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, g):
        # NOTE: the gradient passes where the input was finite; replaced values are
        # constants (PyTorch: grad * isfinite(input)).
        return g * self.finite


# ---------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------
def _public(cls, name, doc):
    """The public wrapper of a smooth unary op ``cls`` (integer inputs become float)."""

    def op(input):
        return cls.apply(_float_tensor(input, name))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


exp = _public(Exp, "exp", "Elementwise ``e ** input``.")
exp2 = _public(Exp2, "exp2", "Elementwise ``2 ** input``.")
expm1 = _public(Expm1, "expm1", "Elementwise ``exp(input) - 1``, accurate near 0.")
log = _public(Log, "log", "Elementwise natural logarithm.")
log2 = _public(Log2, "log2", "Elementwise base-2 logarithm.")
log10 = _public(Log10, "log10", "Elementwise base-10 logarithm.")
log1p = _public(Log1p, "log1p", "Elementwise ``log(1 + input)``, accurate near 0.")
sqrt = _public(Sqrt, "sqrt", "Elementwise square root.")
rsqrt = _public(Rsqrt, "rsqrt", "Elementwise ``1 / sqrt(input)``.")
reciprocal = _public(Reciprocal, "reciprocal", "Elementwise ``1 / input``.")
sin = _public(Sin, "sin", "Elementwise sine.")
cos = _public(Cos, "cos", "Elementwise cosine.")
tan = _public(Tan, "tan", "Elementwise tangent.")
asin = _public(Asin, "asin", "Elementwise arcsine (NaN outside [-1, 1]).")
acos = _public(Acos, "acos", "Elementwise arccosine (NaN outside [-1, 1]).")
atan = _public(Atan, "atan", "Elementwise arctangent.")
sinh = _public(Sinh, "sinh", "Elementwise hyperbolic sine.")
cosh = _public(Cosh, "cosh", "Elementwise hyperbolic cosine.")
asinh = _public(Asinh, "asinh", "Elementwise inverse hyperbolic sine.")
acosh = _public(Acosh, "acosh", "Elementwise inverse hyperbolic cosine (NaN below 1).")
atanh = _public(Atanh, "atanh", "Elementwise inverse hyperbolic tangent.")
erf = _public(Erf, "erf", "Elementwise error function ``2/sqrt(pi) int_0^x exp(-t^2) dt``.")
erfc = _public(Erfc, "erfc", "Elementwise complementary error function ``1 - erf(x)``.")
erfinv = _public(Erfinv, "erfinv", "Elementwise inverse error function on (-1, 1).")
sinc = _public(Sinc, "sinc", "Elementwise normalised sinc ``sin(pi x) / (pi x)``, 1 at 0.")
deg2rad = _public(Deg2rad, "deg2rad", "Degrees to radians, elementwise.")
rad2deg = _public(Rad2deg, "rad2deg", "Radians to degrees, elementwise.")
lgamma = _public(Lgamma, "lgamma", "Elementwise ``log|Gamma(input)|``.")
digamma = _public(Digamma, "digamma", "Elementwise digamma ``d/dx log Gamma(x)``.")
i0 = _public(I0, "i0", "Elementwise modified Bessel function of the first kind, order 0.")
arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh


def square(input):
    """Elementwise ``input * input`` (integer inputs stay integer, as PyTorch)."""
    return Square.apply(_tensor(input, "square"))


def polygamma(n, input):
    """The ``n``-th derivative of the digamma function, elementwise (``n >= 0``)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"polygamma: n must be a non-negative int, got {n!r}")
    return Polygamma.apply(_float_tensor(input, "polygamma"), n=n)


def logit(input, eps=None):
    """``log(p / (1 - p))``; with ``eps`` the input is first clamped to [eps, 1 - eps].

    Shape: any; output has the input's shape.
    """
    if eps is not None and not 0 <= eps <= 0.5:
        raise ValueError(f"logit: eps must be in [0, 0.5], got {eps!r}")
    return Logit.apply(_float_tensor(input, "logit"), eps=eps)


def neg(input):
    """Elementwise negation."""
    return Neg.apply(_tensor(input, "neg"))


negative = neg


def positive(input):
    """``input`` itself (PyTorch's ``positive`` returns the tensor)."""
    return _tensor(input, "positive")


def abs(input):
    """Elementwise absolute value (gradient 0 at 0)."""
    return Abs.apply(_tensor(input, "abs"))


absolute = abs


def _piecewise(input, fn, name):
    input = _tensor(input, name)
    if input.dtype.kind in "biu":  # NOTE: integer rounding is the identity in PyTorch
        return Tensor._wrap(fn(input._data).astype(input.dtype))
    return ZeroGrad.apply(input, fn=fn)


def sign(input):
    """Elementwise sign (-1, 0 or 1); zero gradient."""
    return _piecewise(input, np.sign, "sign")


sgn = sign


def floor(input):
    """Elementwise floor; zero gradient."""
    return _piecewise(input, np.floor, "floor")


def ceil(input):
    """Elementwise ceiling; zero gradient."""
    return _piecewise(input, np.ceil, "ceil")


def round(input, *, decimals=0):
    """Round half to even (to ``decimals`` places); zero gradient."""
    return _piecewise(input, lambda a: np.round(a, decimals), "round")


def trunc(input):
    """Round towards zero; zero gradient."""
    return _piecewise(input, np.trunc, "trunc")


fix = trunc


def frac(input):
    """``input - trunc(input)`` (keeps the sign); gradient 1."""
    return Frac.apply(_float_tensor(input, "frac"))


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """Replace NaN by ``nan`` and +-inf by ``posinf``/``neginf`` (the dtype's largest
    finite values by default); the gradient passes where the input was finite."""
    input = _tensor(input, "nan_to_num")
    if input.dtype.kind != "f":
        return Tensor._wrap(input._data.copy())
    return NanToNum.apply(input, nan=nan, posinf=posinf, neginf=neginf)

