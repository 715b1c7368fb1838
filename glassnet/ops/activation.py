"""Activation ops: one ``Function`` per activation, each with an analytic backward.

Forward and backward work on raw arrays of the input's floating dtype (float32 stays
float32).  Gradients at the kinks follow PyTorch exactly; each choice is marked with a
``# NOTE:``.  ``sigmoid``, ``tanh`` and ``relu`` have their one public wrapper here
(``glassnet.relu``, ``Tensor.relu``, ``nn.functional.relu``); the other activations' are in
:mod:`glassnet.nn._functional.activation`.  Softmax and log-softmax are in
:mod:`glassnet.ops.softmax`.
"""
from __future__ import annotations

import math

import numpy as np

from glassnet.autograd import Function, sum_to
from glassnet.backend import get_array_module, get_default_dtype
from glassnet._tensor_base import TensorBase as Tensor
from glassnet.ops.kernels import elementwise as _ew

__all__ = ["sigmoid", "tanh", "relu"]

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


# ---------------------------------------------------------------------------
# Stable array helpers
# ---------------------------------------------------------------------------
def stable_sigmoid(x):
    """``1 / (1 + exp(-x))`` without overflow for large ``|x|``."""
    xp = get_array_module(x)
    # NOTE: exp(-x) overflows for x << 0; use e = exp(-|x|) <= 1 and pick the algebraically
    # equal form on each side: 1/(1+e) for x >= 0 and e/(1+e) for x < 0.
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


def softplus_array(x):
    """``log(1 + exp(x))`` computed as ``max(x, 0) + log1p(exp(-|x|))`` (no overflow)."""
    xp = get_array_module(x)
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


# W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23
# (1969) 631-637, doi:10.1090/S0025-5718-1969-0247736-4 (coefficients of CALERF).
# numpy has no erf and glassnet depends on numpy only; relative error ~1e-16.
_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
          3.20937758913846947e03, 1.85777706184603153e-1)
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
          2.84423683343917062e03)
_ERF_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
          2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
          2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_ERF_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
          1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
          3.43936767414372164e03, 1.23033935480374942e03)
_ERF_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
          1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_ERF_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
          6.05183413124413191e-2, 2.33520497626869185e-3)


def _horner(t, num_top, num, den, steps):
    """``(num_top t^k + num[0] t^(k-1) + ...)`` and the matching monic denominator."""
    p = t * num_top
    q = t.copy()
    for i in range(steps):
        p += num[i]
        p *= t
        q += den[i]
        q *= t
    return p, q


def erf(x):
    """Elementwise error function of a floating array (Cody's three-range rational fit).

    Computed in the input's dtype (float32 stays float32, float16 goes through float32);
    each range is evaluated only on the elements that fall in it.
    """
    xp = get_array_module(x)
    dtype = x.dtype if x.dtype in (np.float32, np.float64) else np.dtype(np.float32)
    # NOTE: erf(10) == 1 in float64; clipping keeps inf inputs from producing inf - inf.
    y = xp.minimum(xp.abs(x.astype(dtype, copy=False)), dtype.type(10))
    out = xp.empty_like(y)
    # |x| <= 0.46875: erf = x * P(x^2) / Q(x^2)
    small = y <= 0.46875
    ys = y[small]
    p, q = _horner(ys * ys, _ERF_A[4], _ERF_A, _ERF_B, 3)
    out[small] = ys * (p + _ERF_A[3]) / (q + _ERF_B[3])
    # |x| > 0.46875: erf = 1 - erfc, with erfc = exp(-x^2) * R(|x|)
    rest = ~small
    yr = y[rest]
    # 0.46875 < |x| <= 4: R = P(|x|) / Q(|x|)
    p, q = _horner(yr, _ERF_C[8], _ERF_C, _ERF_D, 7)
    ratio = (p + _ERF_C[7]) / (q + _ERF_D[7])
    big = yr > 4
    if big.any():
        # |x| > 4: R = (1/sqrt(pi) - S(1/x^2) / x^2) / |x|
        yb = yr[big]
        inv = 1 / (yb * yb)
        p, q = _horner(inv, _ERF_P[5], _ERF_P, _ERF_Q, 4)
        ratio[big] = (1 / math.sqrt(math.pi) - inv * (p + _ERF_P[4]) / (q + _ERF_Q[4])) / yb
    # NOTE: exp(-y^2) is split as exp(-r^2) * exp(-(y-r)(y+r)) with r = y rounded down to
    # 1/16, as in CALERF, to keep the rounding error of y^2 out of the exponent.
    r = xp.trunc(yr * 16) / 16
    ratio *= xp.exp(-r * r) * xp.exp(-(yr - r) * (yr + r))
    out[rest] = 1 - ratio
    return (xp.sign(x) * out).astype(x.dtype, copy=False)


# ---------------------------------------------------------------------------
# Sigmoid family
# ---------------------------------------------------------------------------
class Sigmoid(Function):
    def forward(self, x):
        out = stable_sigmoid(x)
        self.out = out
        return out

    def backward(self, g):
        s = self.out
        gx = _ew.sigmoid_grad(g, s)
        return g * s * (1 - s) if gx is None else gx


class Tanh(Function):
    def forward(self, x):
        out = get_array_module(x).tanh(x)
        self.out = out
        return out

    def backward(self, g):
        t = self.out
        gx = _ew.tanh_grad(g, t)
        return g * (1 - t * t) if gx is None else gx


class Hardsigmoid(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return get_array_module(x).clip(x / 6 + 0.5, 0, 1)

    def backward(self, g):
        (x,) = self.saved_tensors
        # NOTE: zero gradient at both kinks x = -3 and x = 3 (strict inequalities).
        return g * ((x > -3) & (x < 3)) / 6


class LogSigmoid(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return -softplus_array(-x)

    def backward(self, g):
        (x,) = self.saved_tensors
        return g * stable_sigmoid(-x)


class SiLU(Function):
    def forward(self, x):
        s = stable_sigmoid(x)
        self.save_for_backward(x)
        self.s = s
        return x * s

    def backward(self, g):
        (x,) = self.saved_tensors
        s = self.s
        return g * s * (1 + x * (1 - s))


class Swish(Function):
    """``x * sigmoid(beta * x)`` with ``beta`` a (broadcastable) tensor."""

    def forward(self, x, beta):
        s = stable_sigmoid(beta * x)
        self.save_for_backward(x, beta)
        self.s = s
        return x * s

    def backward(self, g):
        x, beta = self.saved_tensors
        s = self.s
        ds = s * (1 - s)
        gx = sum_to(g * (s + x * beta * ds), x.shape) if self.needs_input_grad[0] else None
        gb = sum_to(g * x * x * ds, beta.shape) if self.needs_input_grad[1] else None
        return gx, gb


class Tanhshrink(Function):
    def forward(self, x):
        t = get_array_module(x).tanh(x)
        self.t = t
        return x - t

    def backward(self, g):
        return g * self.t * self.t


class Softsign(Function):
    def forward(self, x):
        d = 1 + get_array_module(x).abs(x)
        self.d = d
        return x / d

    def backward(self, g):
        return g / (self.d * self.d)


class Hardshrink(Function):
    """``x`` where ``|x| > lambd``, else 0."""

    def forward(self, x, lambd):
        keep = get_array_module(x).abs(x) > lambd
        self.keep = keep
        return x * keep

    def backward(self, g):
        # NOTE: zero gradient AT |x| = lambd (torch tests -lambd <= x <= lambd).
        return g * self.keep


class Softshrink(Function):
    """``x - lambd * sign(x)`` where ``|x| > lambd``, else 0 (``lambd >= 0``)."""

    def forward(self, x, lambd):
        xp = get_array_module(x)
        keep = xp.abs(x) > lambd
        self.keep = keep
        return xp.where(keep, x - xp.sign(x) * x.dtype.type(lambd), x.dtype.type(0))

    def backward(self, g):
        # NOTE: zero gradient AT |x| = lambd, as hardshrink.
        return g * self.keep


# ---------------------------------------------------------------------------
# Rectifier family
# ---------------------------------------------------------------------------
class ReLU(Function):
    # Large float arrays take the one-pass, all-core kernels of
    # glassnet.ops.kernels.elementwise (None: the NumPy lines below).
    def forward(self, x):
        out = _ew.relu(x)
        if out is None:
            out = get_array_module(x).maximum(x, 0)
        self.out = out
        return out

    def backward(self, g):
        # NOTE: relu'(0) = 0, as in PyTorch (threshold_backward on the output <= 0).
        gx = _ew.relu_grad(g, self.out)
        return g * (self.out > 0) if gx is None else gx


class Hardtanh(Function):
    """Clamp to ``[min_val, max_val]``; also relu6 (0, 6)."""

    def forward(self, x, min_val, max_val):
        self.save_for_backward(x)
        self.bounds = (min_val, max_val)
        out = _ew.clip(x, min_val, max_val)
        return get_array_module(x).clip(x, min_val, max_val) if out is None else out

    def backward(self, g):
        (x,) = self.saved_tensors
        lo, hi = self.bounds
        # NOTE: zero gradient AT both bounds (hardtanh_backward uses x <= min or x >= max),
        # unlike clamp, whose gradient passes at the bounds.
        gx = _ew.clip_grad(g, x, lo, hi)
        return g * ((x > lo) & (x < hi)) if gx is None else gx


class Threshold(Function):
    def forward(self, x, threshold, value):
        self.save_for_backward(x)
        self.threshold = threshold
        return get_array_module(x).where(x > threshold, x, x.dtype.type(value))

    def backward(self, g):
        (x,) = self.saved_tensors
        # NOTE: zero gradient for x <= threshold (the replaced values), including equality.
        return g * (x > self.threshold)


class LeakyReLU(Function):
    """Also rrelu in eval mode (slope (lower + upper) / 2)."""

    def forward(self, x, negative_slope):
        self.save_for_backward(x)
        self.slope = negative_slope
        return get_array_module(x).where(x > 0, x, x * negative_slope)

    def backward(self, g):
        (x,) = self.saved_tensors
        # NOTE: at x = 0 the gradient is negative_slope (PyTorch tests x > 0).
        return get_array_module(g).where(x > 0, g, g * self.slope)


class RReLUTrain(Function):
    """Randomised leaky ReLU: a slope ~ U(lower, upper) per non-positive element."""

    def forward(self, x, lower, upper, rng):
        xp = get_array_module(x)
        # NOTE: the slopes are drawn on the host from a numpy Generator and then moved to
        # x's module, so a seed gives the same slopes on CPU and GPU.
        slopes = xp.asarray(rng.uniform(lower, upper, size=x.shape).astype(x.dtype))
        # NOTE: as in PyTorch, x <= 0 draws a slope (x = 0 then has gradient = slope).
        noise = xp.where(x <= 0, slopes, x.dtype.type(1))
        self.noise = noise
        return x * noise

    def backward(self, g):
        return g * self.noise


class PReLU(Function):
    """Leaky ReLU with a learnt slope; ``weight`` is pre-shaped to broadcast on dim 1."""

    def forward(self, x, weight):
        self.save_for_backward(x, weight)
        return get_array_module(x).where(x > 0, x, weight * x)

    def backward(self, g):
        x, w = self.saved_tensors
        xp = get_array_module(g)
        pos = x > 0
        gx = xp.where(pos, g, g * w) if self.needs_input_grad[0] else None
        gw = None
        if self.needs_input_grad[1]:
            gw = sum_to(xp.where(pos, 0, g * x).astype(g.dtype), w.shape)
        return gx, gw


class ELU(Function):
    """``scale * (x if x > 0 else alpha * (exp(input_scale * x) - 1))``: elu, selu, celu."""

    def forward(self, x, alpha, scale, input_scale):
        xp = get_array_module(x)
        self.save_for_backward(x)
        self.coef = (alpha, scale, input_scale)
        neg = xp.expm1(xp.minimum(x, 0) * input_scale) * (alpha * scale)
        return xp.where(x > 0, x * scale, neg)

    def backward(self, g):
        (x,) = self.saved_tensors
        alpha, scale, input_scale = self.coef
        xp = get_array_module(g)
        # NOTE: x = 0 takes the exponential branch: slope alpha * scale * input_scale
        # (elu: alpha, selu: alpha * scale, celu: 1), as in PyTorch's elu_backward.
        dneg = xp.exp(xp.minimum(x, 0) * input_scale) * (alpha * scale * input_scale)
        return g * xp.where(x > 0, x.dtype.type(scale), dneg)


class GELU(Function):
    def forward(self, x, approximate):
        xp = get_array_module(x)
        self.save_for_backward(x)
        self.approximate = approximate
        if approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            t = xp.tanh(k * (x + 0.044715 * x * x * x))
            self.t = t
            return 0.5 * x * (1 + t)
        cdf = 0.5 * (1 + erf(x * (1 / math.sqrt(2))))
        self.cdf = cdf
        return x * cdf

    def backward(self, g):
        (x,) = self.saved_tensors
        xp = get_array_module(g)
        if self.approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            t = self.t
            dinner = k * (1 + 3 * 0.044715 * x * x)
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dinner)
        pdf = xp.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
        return g * (self.cdf + x * pdf)


class Softplus(Function):
    def forward(self, x, beta, threshold):
        xp = get_array_module(x)
        self.save_for_backward(x)
        self.params = (beta, threshold)
        bx = x * beta
        # NOTE: above the threshold softplus is the identity (PyTorch's linear switch).
        return xp.where(bx > threshold, x, softplus_array(bx) / beta)

    def backward(self, g):
        (x,) = self.saved_tensors
        beta, threshold = self.params
        bx = x * beta
        return get_array_module(g).where(bx > threshold, g, g * stable_sigmoid(bx))


class Mish(Function):
    def forward(self, x):
        xp = get_array_module(x)
        t = xp.tanh(softplus_array(x))
        self.save_for_backward(x)
        self.t = t
        return x * t

    def backward(self, g):
        (x,) = self.saved_tensors
        t = self.t
        return g * (t + x * stable_sigmoid(x) * (1 - t * t))


class Hardswish(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return x * get_array_module(x).clip(x + 3, 0, 6) / 6

    def backward(self, g):
        (x,) = self.saved_tensors
        xp = get_array_module(g)
        # NOTE: PyTorch: 0 for x <= -3, x/3 + 1/2 for -3 < x < 3, 1 for x >= 3 (so the
        # gradient is 0 at -3 and 1 at 3).
        inner = xp.where(x < 3, x / 3 + 0.5, x.dtype.type(1))
        return g * xp.where(x <= -3, x.dtype.type(0), inner)


class GLU(Function):
    """``a * sigmoid(b)`` where ``a, b`` are the two halves of ``x`` along ``dim``."""

    def forward(self, x, dim):
        xp = get_array_module(x)
        a, b = xp.split(x, 2, axis=dim)
        s = stable_sigmoid(b)
        self.save_for_backward(x)
        self.a, self.s, self.dim = a, s, dim
        return a * s

    def backward(self, g):
        a, s = self.a, self.s
        ga = g * s
        gb = g * a * s * (1 - s)
        return get_array_module(g).concatenate([ga, gb], axis=self.dim)


# ---------------------------------------------------------------------------
# Tensor-level functions (bound as Tensor methods)
# ---------------------------------------------------------------------------
def _as_float(input: Tensor, fn: str) -> Tensor:
    from glassnet.ops.elementwise import cast

    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}: input must be a Tensor, got {type(input).__name__}")
    if input.dtype.kind != "f":
        # NOTE: integer tensors are promoted to the default float dtype, as in PyTorch.
        input = cast(input, get_default_dtype())
    return input


def sigmoid(input: Tensor) -> Tensor:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, stable for large ``|x|``.

    The one public wrapper of the op: ``glassnet.sigmoid``, ``Tensor.sigmoid`` and
    ``nn.functional.sigmoid`` are this function.

    Parameters
    ----------
    input : Tensor
        Integer tensors are promoted to float32.

    Returns
    -------
    Tensor
        Values in ``[0, 1]``.

    Shape
    -----
    input: ``(*)``; output: ``(*)``.

    Examples
    --------
    >>> import glassnet, glassnet.nn.functional as F
    >>> F.sigmoid(glassnet.tensor([0.0])).tolist()
    [0.5]
    """
    return Sigmoid.apply(_as_float(input, "sigmoid"))


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent (``glassnet.tanh``, ``Tensor.tanh``, ``nn.functional.tanh``).

    Parameters
    ----------
    input : Tensor
        Integer tensors are promoted to float32.

    Returns
    -------
    Tensor
        Values in ``[-1, 1]``.

    Shape
    -----
    input: ``(*)``; output: ``(*)``.
    """
    return Tanh.apply(_as_float(input, "tanh"))


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """Rectified linear unit ``max(x, 0)``; the gradient at 0 is 0, as in PyTorch.

    ``glassnet.relu``, ``Tensor.relu`` and ``nn.functional.relu`` are this function.

    Parameters
    ----------
    input : Tensor
        Any dtype (integer tensors stay integer).
    inplace : bool
        Accepted for PyTorch compatibility; the result is always a new tensor (the values
        are the same; use ``x.relu_()`` for a true in-place update).

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(*)``; output: ``(*)``.

    Examples
    --------
    >>> import glassnet, glassnet.nn.functional as F
    >>> F.relu(glassnet.tensor([-1.0, 0.0, 2.0])).tolist()
    [0.0, 0.0, 2.0]
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"relu: input must be a Tensor, got {type(input).__name__}")
    return ReLU.apply(input)
