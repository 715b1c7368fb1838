"""Reductions: sum, mean, prod, max/min, amax/amin, aminmax, var/std, logsumexp, arg*,
norm, all/any, nansum/nanmean.

Every reduction accepts NumPy's spellings ``axis=``/``keepdims=`` (one decorator,
:func:`glassnet.ops._dims.dim_aliases`). The scans (cumsum, cummax, ...) live in
:mod:`glassnet.ops.scan` and the order statistics (sort, median, quantile, ...) in
:mod:`glassnet.ops.order`; both are re-exported here.

Examples
--------
>>> import glassnet
>>> glassnet.tensor([[1., 2.], [3., 4.]]).sum(axis=0, keepdims=True).tolist()
[[4.0, 6.0]]
"""
from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from glassnet.autograd import Function
from glassnet.backend import get_array_module as _xp
from glassnet.ops import order as _order
from glassnet.ops import scan as _scan
from glassnet.ops._coerce import cast
from glassnet.ops._dims import _axes, _expand_back, dim_aliases
from glassnet.ops.order import *  # noqa: F401,F403
from glassnet.ops.scan import *  # noqa: F401,F403
from glassnet._tensor_base import TensorBase as Tensor

__all__ = [
    "sum", "mean", "prod", "max", "min", "amax", "amin", "aminmax", "var", "std",
    "var_mean", "std_mean", "logsumexp", "argmax", "argmin", "norm", "all", "any",
    "count_nonzero", "nansum", "nanmean",
] + _order.__all__ + _scan.__all__

MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])
AminmaxResult = namedtuple("aminmax", ["min", "max"])


class Sum(Function):
    def forward(self, a, axes, keepdim):
        self.meta = (a.shape, axes, keepdim)
        return a.sum(axis=axes, keepdims=keepdim)

    def backward(self, g):
        shape, axes, keepdim = self.meta
        return _xp(g).broadcast_to(_expand_back(g, shape, axes, keepdim), shape).copy()


class Mean(Function):
    def forward(self, a, axes, keepdim):
        self.meta = (a.shape, axes, keepdim)
        self.count = int(math.prod([a.shape[i] for i in axes])) if axes else 1
        return a.mean(axis=axes, keepdims=keepdim)

    def backward(self, g):
        shape, axes, keepdim = self.meta
        g = _expand_back(g, shape, axes, keepdim) / g.dtype.type(self.count)
        return _xp(g).broadcast_to(g, shape).copy()


class Prod(Function):
    def forward(self, a, axis, keepdim):
        self.save_for_backward(a)
        self.meta = (axis, keepdim)
        return a.prod(axis=axis, keepdims=keepdim)

    def backward(self, g):
        (a,) = self.saved_tensors
        axis, keepdim = self.meta
        if axis is None:
            flat = a.reshape(-1)
            return (g.reshape(1) * _prod_of_others(flat, 0)).reshape(a.shape)
        g = g if keepdim else _xp(g).expand_dims(g, axis)
        return g * _prod_of_others(a, axis)


def _prod_of_others(a, axis):
    # NOTE: exclusive products from the left and from the right: correct with zeros,
    # where out / x would divide by zero.
    xp = _xp(a)
    a = xp.moveaxis(a, axis, -1)
    ones = xp.ones(a.shape[:-1] + (1,), a.dtype)
    left = xp.cumprod(xp.concatenate([ones, a[..., :-1]], axis=-1), axis=-1)
    right = xp.cumprod(xp.concatenate([ones, a[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return xp.moveaxis(left * right, -1, axis)


class GatherMax(Function):
    """Values at given indices along ``axis`` (max/min with dim): the gradient goes to the
    returned index only."""

    def forward(self, a, indices, axis, keepdim):
        self.meta = (a.shape, axis, keepdim)
        self.indices = indices
        xp = _xp(a)
        out = xp.take_along_axis(a, xp.expand_dims(indices, axis), axis)
        return out if keepdim else xp.squeeze(out, axis)

    def backward(self, g):
        shape, axis, keepdim = self.meta
        xp = _xp(g)
        g = g if keepdim else xp.expand_dims(g, axis)
        # The gradient goes to the returned index only: a one-hot mask along ``axis``.
        pos = xp.arange(shape[axis]).reshape([-1 if i == axis else 1
                                              for i in range(len(shape))])
        return (pos == xp.expand_dims(self.indices, axis)) * g


class AMax(Function):
    """amax/amin and full max()/min(): the gradient is split evenly among ties."""

    def forward(self, a, axes, keepdim, take_max):
        out = a.max(axis=axes, keepdims=True) if take_max else a.min(axis=axes, keepdims=True)
        self.save_for_backward(a)
        self.out = out
        self.meta = (axes, keepdim)
        return out if keepdim else out.reshape(
            [s for i, s in enumerate(a.shape) if i not in axes])

    def backward(self, g):
        (a,) = self.saved_tensors
        axes, keepdim = self.meta
        # NOTE: ties share the gradient equally (PyTorch's evenly_distribute_backward).
        mask = (a == self.out)
        count = mask.sum(axis=axes, keepdims=True)
        g = _expand_back(g, a.shape, axes, keepdim)
        return (g * mask / count).astype(a.dtype)


class Var(Function):
    def forward(self, a, axes, correction, keepdim):
        n = int(math.prod([a.shape[i] for i in axes])) if axes else 1
        self.mean = a.mean(axis=axes, keepdims=True)
        self.save_for_backward(a)
        self.meta = (axes, keepdim, n - correction)
        d = a - self.mean
        with np.errstate(divide="ignore", invalid="ignore"):
            return (d * d).sum(axis=axes, keepdims=keepdim) / a.dtype.type(n - correction)

    def backward(self, g):
        (a,) = self.saved_tensors
        axes, keepdim, denom = self.meta
        g = _expand_back(g, a.shape, axes, keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g * 2 * (a - self.mean) / a.dtype.type(denom)).astype(a.dtype)


class LogSumExp(Function):
    def forward(self, a, axes, keepdim):
        m = a.max(axis=axes, keepdims=True)
        # NOTE: subtract the max for stability; an all -inf slice keeps m finite.
        xp = _xp(a)
        m = xp.where(xp.isfinite(m), m, 0)
        s = xp.exp(a - m).sum(axis=axes, keepdims=True)
        out = xp.log(s) + m
        self.save_for_backward(a)
        self.out = out
        self.meta = (axes, keepdim)
        return out if keepdim else out.reshape(
            [d for i, d in enumerate(a.shape) if i not in axes])

    def backward(self, g):
        (a,) = self.saved_tensors
        axes, keepdim = self.meta
        g = _expand_back(g, a.shape, axes, keepdim)
        return g * _xp(g).exp(a - self.out)


class Norm(Function):
    def forward(self, a, p, axes, keepdim):
        self.save_for_backward(a)
        self.meta = (p, axes, keepdim)
        xp = _xp(a)
        x = xp.abs(a)
        if p == float("inf"):
            out = x.max(axis=axes, keepdims=True)
        elif p == 2:
            out = xp.sqrt((x * x).sum(axis=axes, keepdims=True))
        elif p == 1:
            out = x.sum(axis=axes, keepdims=True)
        else:
            out = (x ** p).sum(axis=axes, keepdims=True) ** (1.0 / p)
        self.out = out.astype(a.dtype)
        return self.out if keepdim else self.out.reshape(
            [d for i, d in enumerate(a.shape) if i not in axes])

    def backward(self, g):
        (a,) = self.saved_tensors
        p, axes, keepdim = self.meta
        g = _expand_back(g, a.shape, axes, keepdim)
        out = self.out
        xp = _xp(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == float("inf"):
                mask = xp.abs(a) == out
                gx = g * xp.sign(a) * mask / mask.sum(axis=axes, keepdims=True)
            elif p == 1:
                gx = g * xp.sign(a)
            elif p == 2:
                # NOTE: the norm is not differentiable at 0; PyTorch returns 0 there.
                gx = xp.where(out == 0, 0, g * a / out)
            else:
                gx = xp.where(out == 0, 0,
                              g * a * xp.abs(a) ** (p - 2) / out ** (p - 1))
        return gx.astype(a.dtype)


def _float(x, fn):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}: input must be a Tensor, got {type(x).__name__}")
    return x


@dim_aliases
def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over ``dim`` (all dims if None; int or tuple). Bool/int inputs sum to int64."""
    input = _float(input, "sum")
    if dtype is not None:
        input = cast(input, dtype)
    elif input.dtype.kind in "biu":
        input = cast(input, np.int64)
    return Sum.apply(input, axes=_axes(dim, input.ndim, "sum"), keepdim=keepdim)


@dim_aliases
def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Arithmetic mean over ``dim``; requires a floating dtype (as PyTorch)."""
    input = _float(input, "mean")
    if dtype is not None:
        input = cast(input, dtype)
    if input.dtype.kind != "f":
        raise TypeError(f"mean: input dtype must be floating point, got {input.dtype}")
    return Mean.apply(input, axes=_axes(dim, input.ndim, "mean"), keepdim=keepdim)


@dim_aliases
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """:func:`sum` treating NaN as 0 (their gradient is 0)."""
    from glassnet.ops.elementwise import where

    input = _float(input, "nansum")
    if input.dtype.kind == "f":
        nan = Tensor._wrap(_xp(input._data).isnan(input._data))
        input = where(nan, Tensor._wrap(_xp(input._data).asarray(0, input.dtype)), input)
    return sum(input, dim, keepdim, dtype=dtype)


@dim_aliases
def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """:func:`mean` over the non-NaN elements (NaN where a slice is all NaN)."""
    from glassnet.ops.elementwise import div

    input = _float(input, "nanmean")
    if dtype is not None:
        input = cast(input, dtype)
    if input.dtype.kind != "f":
        raise TypeError(f"nanmean: input dtype must be floating point, got {input.dtype}")
    count = sum(Tensor._wrap(~_xp(input._data).isnan(input._data)), dim, keepdim)
    with np.errstate(invalid="ignore", divide="ignore"):
        return div(nansum(input, dim, keepdim), cast(count, input.dtype))


@dim_aliases
def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product over one ``dim`` (or all elements); int/bool inputs multiply in int64."""
    input = _float(input, "prod")
    if dtype is not None:
        input = cast(input, dtype)
    elif input.dtype.kind in "biu":
        input = cast(input, np.int64)
    axis = None if dim is None else _axes(dim, input.ndim, "prod")[0]
    return Prod.apply(input, axis=axis, keepdim=keepdim and dim is not None)


def _extreme(input, dim, keepdim, take_max, other=None):
    name = "max" if take_max else "min"
    if isinstance(dim, Tensor):  # torch.max(a, b) is maximum
        from glassnet.ops.elementwise import maximum, minimum

        return maximum(input, dim) if take_max else minimum(input, dim)
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError(f"{name}: cannot reduce an empty tensor")
        return AMax.apply(input, axes=_axes(None, input.ndim), keepdim=False,
                          take_max=take_max)
    axis = _axes(dim, input.ndim, name)[0] if input.ndim else None
    if input.ndim == 0:
        return (MaxResult if take_max else MinResult)(
            input, Tensor._wrap(_xp(input._data).asarray(0)))
    # NOTE: ties: the first index (NumPy's argmax), which is where PyTorch's CPU kernel
    # sends the values, indices and the gradient.
    xp = _xp(input._data)
    idx = xp.argmax(input._data, axis=axis) if take_max else xp.argmin(input._data, axis=axis)
    values = GatherMax.apply(input, indices=idx, axis=axis, keepdim=keepdim)
    idx_t = Tensor._wrap((np.expand_dims(idx, axis) if keepdim else idx).astype(np.int64))
    return (MaxResult if take_max else MinResult)(values, idx_t)


@dim_aliases
def max(input, dim=None, keepdim=False):
    """Maximum of all elements, or ``(values, indices)`` along ``dim``.

    ``max(a, b)`` with a tensor second argument is :func:`maximum`.
    """
    return _extreme(input, dim, keepdim, True)


@dim_aliases
def min(input, dim=None, keepdim=False):
    """Minimum of all elements, or ``(values, indices)`` along ``dim``."""
    return _extreme(input, dim, keepdim, False)


@dim_aliases
def amax(input, dim=(), keepdim=False):
    """Maximum over ``dim`` (tuple allowed; all dims if empty); ties share the
    gradient."""
    return AMax.apply(input, axes=_axes(dim if dim != () else None, input.ndim, "amax"),
                      keepdim=keepdim, take_max=True)


@dim_aliases
def amin(input, dim=(), keepdim=False):
    """Minimum over ``dim`` (tuple allowed; all dims if empty); ties share the
    gradient."""
    return AMax.apply(input, axes=_axes(dim if dim != () else None, input.ndim, "amin"),
                      keepdim=keepdim, take_max=False)


@dim_aliases
def aminmax(input, *, dim=None, keepdim=False):
    """``(min, max)`` over all elements or one ``dim``; ties share each gradient."""
    if dim is not None and not isinstance(dim, (int, np.integer)):
        raise TypeError(f"aminmax: dim must be an int or None, got {type(dim).__name__}")
    d = () if dim is None else dim
    return AminmaxResult(amin(input, d, keepdim), amax(input, d, keepdim))


def _correction(unbiased, correction, fn):
    if correction is not None and unbiased is not None:
        raise ValueError(f"{fn}: pass either unbiased or correction, not both")
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


@dim_aliases
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance with Bessel's ``correction`` (default 1, i.e. unbiased)."""
    if isinstance(dim, bool):  # var(x, False): torch's positional unbiased
        dim, unbiased = None, dim
    c = _correction(unbiased, correction, "var")
    return Var.apply(input, axes=_axes(dim, input.ndim, "var"), correction=c,
                     keepdim=keepdim)


@dim_aliases
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation: ``sqrt(var)``."""
    from glassnet.ops.unary import sqrt

    return sqrt(var(input, dim, unbiased, keepdim, correction=correction))


@dim_aliases
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var, mean)`` over ``dim`` (see :func:`var`)."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


@dim_aliases
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std, mean)`` over ``dim`` (see :func:`var`)."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


@dim_aliases
def logsumexp(input, dim, keepdim=False):
    """``log(sum(exp(x)))`` computed stably by subtracting the max."""
    return LogSumExp.apply(input, axes=_axes(dim, input.ndim, "logsumexp"), keepdim=keepdim)


def _arg_extreme(input, dim, keepdim, take_max):
    d = input._data
    xp = _xp(d)
    f = xp.argmax if take_max else xp.argmin
    fn = "argmax" if take_max else "argmin"
    if d.size == 0 and (dim is None or d.ndim == 0 or d.shape[_axes(dim, d.ndim, fn)[0]] == 0):
        raise IndexError(f"{fn}: cannot take the {fn} of an empty dimension (input shape "
                         f"{tuple(d.shape)}, dim={dim}); specify a non-empty dim")
    if dim is None:
        out = f(d)
        if keepdim:
            out = xp.asarray(out).reshape((1,) * d.ndim)
        return Tensor._wrap(xp.asarray(out).astype(np.int64))
    axis = _axes(dim, d.ndim, "argmax" if take_max else "argmin")
    if d.ndim == 0:
        return Tensor._wrap(xp.asarray(0, dtype=np.int64))
    return Tensor._wrap(f(d, axis=axis[0], keepdims=keepdim).astype(np.int64))


@dim_aliases
def argmax(input, dim=None, keepdim=False):
    """Index of the maximum (first on ties); flattened when ``dim`` is None."""
    return _arg_extreme(input, dim, keepdim, True)


@dim_aliases
def argmin(input, dim=None, keepdim=False):
    """Index of the minimum (first on ties); flattened when ``dim`` is None."""
    return _arg_extreme(input, dim, keepdim, False)


@dim_aliases
def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """Vector p-norm over ``dim`` (all elements if None); p in {'fro', 1, 2, inf, float}."""
    if dtype is not None:
        input = cast(input, dtype)
    if p in ("fro", None):
        p = 2
    if not isinstance(p, (int, float)) or p <= 0:
        raise ValueError(f"norm: p must be 'fro' or a positive number, got {p!r}")
    return Norm.apply(input, p=p, axes=_axes(dim, input.ndim, "norm"), keepdim=keepdim)


def _logical(input, dim, keepdim, fn):
    d = input._data
    xp = _xp(d)
    axes = None if dim is None else _axes(dim, d.ndim, fn.__name__)
    return Tensor._wrap(xp.asarray(fn(d, axis=axes, keepdims=keepdim)))


@dim_aliases
def all(input, dim=None, keepdim=False):
    """True where every element along ``dim`` (int or tuple; all if None) is nonzero."""
    return _logical(input, dim, keepdim, _xp(input._data).all)


@dim_aliases
def any(input, dim=None, keepdim=False):
    """True where some element along ``dim`` (int or tuple; all if None) is nonzero."""
    return _logical(input, dim, keepdim, _xp(input._data).any)


@dim_aliases
def count_nonzero(input, dim=None):
    """Number of nonzero elements along ``dim`` (int or tuple; all if None)."""
    xp = _xp(input._data)
    axes = None if dim is None else _axes(dim, input.ndim, "count_nonzero")
    return Tensor._wrap(xp.asarray(xp.count_nonzero(input._data, axis=axes), dtype=np.int64))
