"""Reductions: sum, mean, prod, max/min, amax/amin, var/std, logsumexp, arg*, cumsum, norm."""
from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from glassnet.autograd import Function
from glassnet.backend import get_array_module as _xp
from glassnet.tensor import Tensor

__all__ = [
    "sum", "mean", "prod", "max", "min", "amax", "amin", "var", "std", "var_mean",
    "std_mean", "logsumexp", "argmax", "argmin", "cumsum", "cumprod", "norm", "all", "any",
    "count_nonzero", "sort", "argsort", "topk", "unique", "bincount",
]

MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])
TopkResult = namedtuple("topk", ["values", "indices"])
SortResult = namedtuple("sort", ["values", "indices"])


def _axes(dim, ndim, fn="reduce"):
    """Normalise ``dim`` (None, int or sequence) into a sorted tuple of axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = []
    for d in dims:
        lim = builtins.max(ndim, 1)
        if not -lim <= d < lim:
            raise IndexError(f"{fn}: dim {d} out of range for a tensor of {ndim} dimensions")
        out.append(d % lim if ndim else 0)
    return tuple(sorted(set(out))) if ndim else ()


def _expand_back(g, in_shape, axes, keepdim):
    """Reshape a reduced gradient so it broadcasts against ``in_shape``."""
    if not keepdim:
        shape = list(in_shape)
        for a in axes:
            shape[a] = 1
        g = g.reshape(shape)
    return g


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
        self.count = int(np.prod([a.shape[i] for i in axes])) if axes else 1
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
        n = int(np.prod([a.shape[i] for i in axes])) if axes else 1
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


class CumSum(Function):
    def forward(self, a, axis):
        self.axis = axis
        return _xp(a).cumsum(a, axis=axis)

    def backward(self, g):
        ax = self.axis
        xp = _xp(g)
        return xp.flip(xp.cumsum(xp.flip(g, ax), axis=ax), ax).copy()


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


def sum(input, dim=None, keepdim=False, dtype=None):
    """Sum over ``dim`` (all dims if None). Bool/int inputs sum to int64."""
    input = _float(input, "sum")
    if dtype is not None:
        from glassnet.ops.elementwise import cast

        input = cast(input, dtype)
    elif input.dtype.kind in "biu":
        input = Tensor._wrap(input._data.astype(np.int64))
    return Sum.apply(input, axes=_axes(dim, input.ndim, "sum"), keepdim=keepdim)


def mean(input, dim=None, keepdim=False, dtype=None):
    """Arithmetic mean over ``dim``; requires a floating dtype (as PyTorch)."""
    input = _float(input, "mean")
    if dtype is not None:
        from glassnet.ops.elementwise import cast

        input = cast(input, dtype)
    if input.dtype.kind != "f":
        raise TypeError(f"mean: input dtype must be floating point, got {input.dtype}")
    return Mean.apply(input, axes=_axes(dim, input.ndim, "mean"), keepdim=keepdim)


def prod(input, dim=None, keepdim=False):
    """Product over one ``dim`` (or all elements)."""
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
        return (MaxResult if take_max else MinResult)(input, Tensor._wrap(_xp(input._data).asarray(0)))
    # NOTE: ties: the first index (NumPy's argmax), which is where PyTorch's CPU kernel
    # sends the values, indices and the gradient.
    xp = _xp(input._data)
    idx = xp.argmax(input._data, axis=axis) if take_max else xp.argmin(input._data, axis=axis)
    values = GatherMax.apply(input, indices=idx, axis=axis, keepdim=keepdim)
    idx_t = Tensor._wrap((np.expand_dims(idx, axis) if keepdim else idx).astype(np.int64))
    return (MaxResult if take_max else MinResult)(values, idx_t)


def max(input, dim=None, keepdim=False):
    """Maximum of all elements, or ``(values, indices)`` along ``dim``.

    ``max(a, b)`` with a tensor second argument is :func:`maximum`.
    """
    return _extreme(input, dim, keepdim, True)


def min(input, dim=None, keepdim=False):
    """Minimum of all elements, or ``(values, indices)`` along ``dim``."""
    return _extreme(input, dim, keepdim, False)


def amax(input, dim=None, keepdim=False):
    """Maximum over ``dim`` (tuple allowed); ties share the gradient."""
    return AMax.apply(input, axes=_axes(dim, input.ndim, "amax"), keepdim=keepdim,
                      take_max=True)


def amin(input, dim=None, keepdim=False):
    """Minimum over ``dim`` (tuple allowed); ties share the gradient."""
    return AMax.apply(input, axes=_axes(dim, input.ndim, "amin"), keepdim=keepdim,
                      take_max=False)


def _correction(unbiased, correction, fn):
    if correction is not None and unbiased is not None:
        raise ValueError(f"{fn}: pass either unbiased or correction, not both")
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance with Bessel's ``correction`` (default 1, i.e. unbiased)."""
    if isinstance(dim, bool):  # var(x, False): torch's positional unbiased
        dim, unbiased = None, dim
    c = _correction(unbiased, correction, "var")
    return Var.apply(input, axes=_axes(dim, input.ndim, "var"), correction=c,
                     keepdim=keepdim)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation: ``sqrt(var)``."""
    from glassnet.ops.elementwise import sqrt

    return sqrt(var(input, dim, unbiased, keepdim, correction=correction))


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


def logsumexp(input, dim, keepdim=False):
    """``log(sum(exp(x)))`` computed stably by subtracting the max."""
    return LogSumExp.apply(input, axes=_axes(dim, input.ndim, "logsumexp"), keepdim=keepdim)


def argmax(input, dim=None, keepdim=False):
    """Index of the maximum (first on ties); flattened when ``dim`` is None."""
    if dim is None:
        return Tensor._wrap(_xp(input._data).argmax(input._data).astype(np.int64))
    out = _xp(input._data).argmax(input._data, axis=dim, keepdims=keepdim)
    return Tensor._wrap(out.astype(np.int64))


def argmin(input, dim=None, keepdim=False):
    """Index of the minimum (first on ties); flattened when ``dim`` is None."""
    if dim is None:
        return Tensor._wrap(_xp(input._data).argmin(input._data).astype(np.int64))
    out = _xp(input._data).argmin(input._data, axis=dim, keepdims=keepdim)
    return Tensor._wrap(out.astype(np.int64))


def cumsum(input, dim):
    """Cumulative sum along ``dim``."""
    axis = _axes(dim, input.ndim, "cumsum")[0]
    return CumSum.apply(input, axis=axis)


def cumprod(input, dim):
    """Cumulative product (no gradient)."""
    return Tensor._wrap(_xp(input._data).cumprod(input._data, axis=dim))


def norm(input, p="fro", dim=None, keepdim=False):
    """Vector p-norm over ``dim`` (all elements if None); p in {'fro', 1, 2, inf, float}."""
    if p in ("fro", None):
        p = 2
    if not isinstance(p, (int, float)) or p <= 0:
        raise ValueError(f"norm: p must be 'fro' or a positive number, got {p!r}")
    return Norm.apply(input, p=p, axes=_axes(dim, input.ndim, "norm"), keepdim=keepdim)


def all(input, dim=None, keepdim=False):
    xp = _xp(input._data)
    return Tensor._wrap(xp.asarray(xp.all(input._data, axis=dim, keepdims=keepdim)))


def any(input, dim=None, keepdim=False):
    xp = _xp(input._data)
    return Tensor._wrap(xp.asarray(xp.any(input._data, axis=dim, keepdims=keepdim)))


def count_nonzero(input, dim=None):
    xp = _xp(input._data)
    return Tensor._wrap(xp.asarray(xp.count_nonzero(input._data, axis=dim), dtype=np.int64))


def sort(input, dim=-1, descending=False, stable=False):
    """Sorted values and indices (values differentiable via gather)."""
    from glassnet.ops.shape import gather

    d = input._data
    idx = _xp(d).argsort(-d if descending else d, axis=dim, kind="stable").astype(np.int64)
    idx_t = Tensor._wrap(idx)
    return SortResult(gather(input, dim, idx_t), idx_t)


def argsort(input, dim=-1, descending=False, stable=False):
    return sort(input, dim, descending, stable).indices


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (or smallest) values and their indices along ``dim``."""
    from glassnet.ops.shape import gather

    if not 0 <= k <= input.shape[dim]:
        raise ValueError(f"topk: k must be in [0, {input.shape[dim]}], got {k}")
    d = input._data
    xp = _xp(d)
    idx = xp.argsort(-d if largest else d, axis=dim, kind="stable")
    idx = xp.take(idx, xp.arange(k), axis=dim).astype(np.int64)
    idx_t = Tensor._wrap(idx)
    return TopkResult(gather(input, dim, idx_t), idx_t)


def unique(input, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None):
    """The unique elements of ``input`` (sorted), or unique slices along ``dim``.

    Returns a tensor, or ``(output, inverse_indices[, counts])`` when asked; the
    inverse indices have ``input``'s shape (``dim=None``) or length ``input.size(dim)``.
    Not differentiable.

    Examples
    --------
    >>> import glassnet
    >>> glassnet.unique(glassnet.tensor([3, 1, 3, 2])).tolist()
    [1, 2, 3]
    """
    d = input._data
    axis = None if dim is None else _axes(dim, d.ndim, "unique")[0]
    values, inverse, counts = np.unique(d, return_inverse=True, return_counts=True,
                                        axis=axis)
    out = Tensor._wrap(values)
    if not (return_inverse or return_counts):
        return out
    result = [out]
    if return_inverse:
        shape = d.shape if axis is None else (d.shape[axis],)
        result.append(Tensor._wrap(inverse.reshape(shape).astype(np.int64)))
    if return_counts:
        result.append(Tensor._wrap(counts.astype(np.int64)))
    return tuple(result)


def bincount(input, weights=None, minlength: int = 0):
    """Counts of each value in the 1-D non-negative int tensor ``input`` (or the sums
    of ``weights``); length ``max(input) + 1`` or ``minlength``.  Not differentiable."""
    d = input._data
    if d.ndim != 1 or d.dtype.kind not in "iu":
        raise ValueError(f"bincount: input must be a 1-D integer tensor, got "
                         f"{d.dtype} of shape {d.shape}")
    if d.size and d.min() < 0:
        raise ValueError("bincount: input must be non-negative")
    w = None if weights is None else (weights._data if isinstance(weights, Tensor)
                                      else np.asarray(weights))
    out = np.bincount(d, weights=w, minlength=minlength)
    if w is None:
        return Tensor._wrap(out.astype(np.int64))
    # NOTE: PyTorch keeps float32 weights' dtype only for float32; others give float64.
    return Tensor._wrap(out.astype(w.dtype if w.dtype == np.float32 else np.float64))
