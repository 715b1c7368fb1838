"""Scans along one dimension: cumsum, cumprod, cummax, cummin, logcumsumexp, diff.

Examples
--------
>>> import glassnet
>>> glassnet.cummax(glassnet.tensor([1., 3., 2., 3.]), dim=0).indices.tolist()
[0, 1, 1, 3]
"""
from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from glassnet.autograd import Function
from glassnet.backend import get_array_module as _xp
from glassnet.ops._dims import dim_aliases
from glassnet._tensor_base import TensorBase as Tensor

__all__ = ["cumsum", "cumprod", "cummax", "cummin", "logcumsumexp", "diff"]

CummaxResult = namedtuple("cummax", ["values", "indices"])
CumminResult = namedtuple("cummin", ["values", "indices"])


def _axis(dim, ndim, fn):
    lim = max(ndim, 1)
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{fn}: dim must be an int, got {type(dim).__name__}")
    if not -lim <= dim < lim:
        raise IndexError(f"{fn}: dim {dim} out of range for a tensor of {ndim} dimensions")
    return int(dim) % lim


def _flip_cumsum(g, axis):
    """``sum_{j >= i} g_j`` along ``axis`` (the adjoint of cumsum)."""
    xp = _xp(g)
    return xp.flip(xp.cumsum(xp.flip(g, axis), axis=axis), axis).copy()


class CumSum(Function):
    def forward(self, a, axis):
        self.axis = axis
        return _xp(a).cumsum(a, axis=axis)

    def backward(self, g):
        return _flip_cumsum(g, self.axis)


class CumProd(Function):
    """``out_j = prod_{i <= j} a_i``.

    NOTE: the gradient ``sum_{j >= i} g_j out_j / a_i`` divides by zero where ``a_i``
    is 0; instead, per position, the product of the elements before ``i`` times the
    suffix sums of ``g_j * prod_{i < k <= j} a_k``, computed with exclusive products that
    never divide: ``d out_j / d a_i = prefix_{<i} * prod_{i<k<=j} a_k``.
    """

    def forward(self, a, axis):
        self.axis = axis
        out = _xp(a).cumprod(a, axis=axis)
        self.save_for_backward(a, out)
        return out

    def backward(self, g):
        a, out = self.saved_tensors
        xp = _xp(a)
        axis = self.axis
        n = a.shape[axis]
        if n == 0:
            return g
        zero = a == 0
        if not zero.any():
            return (_flip_cumsum(g * out, axis) / a).astype(g.dtype)
        # Exact path with zeros: move axis last and build, for every i, the products
        # prod_{i<k<=j} a_k as a (.., n, n) triangle (n is one dimension's length).
        am = xp.moveaxis(a, axis, -1)
        gm = xp.moveaxis(g, axis, -1)
        idx = xp.arange(n)
        # logs of |a| would lose zeros; use a masked cumulative product instead:
        # tri[..., i, j] = prod_{k in (i, j]} a_k for j >= i, else 0.
        rep = xp.broadcast_to(am[..., None, :], am.shape[:-1] + (n, n)).copy()
        rep[..., idx[:, None] >= idx[None, :]] = 1  # k <= i contributes nothing
        tri = xp.cumprod(rep, axis=-1) * (idx[None, :] >= idx[:, None])
        ones = xp.ones(am.shape[:-1] + (1,), a.dtype)
        prefix = xp.cumprod(xp.concatenate([ones, am[..., :-1]], axis=-1), axis=-1)
        gx = prefix * (tri * gm[..., None, :]).sum(axis=-1)
        return xp.moveaxis(gx, -1, axis).astype(g.dtype)


class CumExtreme(Function):
    """cummax/cummin values; the gradient goes to the returned indices (summed where one
    index is returned for several positions), as PyTorch's cummaxmin_backward."""

    def forward(self, a, indices, axis):
        self.meta = (indices, axis, a.shape)
        return _xp(a).take_along_axis(a, indices, axis)

    def backward(self, g):
        from glassnet.ops.indexing import _linear_positions

        indices, axis, shape = self.meta
        lin = _linear_positions(indices, axis, shape)
        n = int(math.prod(shape))
        xp = _xp(g)
        return xp.bincount(lin.ravel(), weights=g.ravel(), minlength=n).astype(
            g.dtype).reshape(shape)


class LogCumSumExp(Function):
    def forward(self, a, axis):
        xp = _xp(a)
        # NOTE: shift by the max along the axis for stability; an all -inf slice keeps the
        # shift finite.
        m = a.max(axis=axis, keepdims=True) if a.size else a
        m = xp.where(xp.isfinite(m), m, 0)
        with np.errstate(divide="ignore"):
            out = xp.log(xp.cumsum(xp.exp(a - m), axis=axis)) + m
        self.axis = axis
        self.save_for_backward(a, out)
        return out.astype(a.dtype)

    def backward(self, g):
        a, out = self.saved_tensors
        xp = _xp(a)
        # d out_j / d a_i = exp(a_i - out_j) for i <= j: exp(a_i - s) * revcumsum(g_j
        # exp(s - out_j)) with the shift s = max(out) along the axis.
        s = out.max(axis=self.axis, keepdims=True) if out.size else out
        s = xp.where(xp.isfinite(s), s, 0)
        with np.errstate(over="ignore", invalid="ignore"):
            w = _flip_cumsum(g * xp.exp(s - out), self.axis)
            return (w * xp.exp(a - s)).astype(g.dtype)


@dim_aliases
def cumsum(input, dim, *, dtype=None):
    """Cumulative sum along ``dim`` (integer inputs accumulate in int64, as PyTorch)."""
    from glassnet.ops._coerce import cast

    if dtype is not None:
        input = cast(input, dtype)
    elif input.dtype.kind in "biu":
        input = cast(input, np.int64)
    return CumSum.apply(input, axis=_axis(dim, input.ndim, "cumsum"))


@dim_aliases
def cumprod(input, dim, *, dtype=None):
    """Cumulative product along ``dim``; differentiable, also where the input has zeros.

    Examples
    --------
    >>> import glassnet
    >>> glassnet.cumprod(glassnet.tensor([2., 0., 3.]), 0).tolist()
    [2.0, 0.0, 0.0]
    """
    from glassnet.ops._coerce import cast

    if dtype is not None:
        input = cast(input, dtype)
    elif input.dtype.kind in "biu":
        input = cast(input, np.int64)
    return CumProd.apply(input, axis=_axis(dim, input.ndim, "cumprod"))


def _cum_extreme(input, dim, take_max):
    name = "cummax" if take_max else "cummin"
    axis = _axis(dim, input.ndim, name)
    d = input._data if input.ndim else input._data.reshape(1)
    xp = _xp(d)
    acc = (xp.maximum if take_max else xp.minimum).accumulate(d, axis=axis)
    # NOTE: ties: the latest position holding the running extreme, as PyTorch (a
    # position is marked where it equals the running max/min so far).
    pos = xp.arange(d.shape[axis]).reshape([-1 if i == axis else 1 for i in range(d.ndim)])
    marked = xp.where(d == acc, pos, 0)
    idx = xp.maximum.accumulate(marked, axis=axis).astype(np.int64)
    if input.ndim == 0:
        idx = idx.reshape(())
        values = CumExtreme.apply(input.reshape(1), indices=idx.reshape(1), axis=0)
        values = values.reshape(())
    else:
        values = CumExtreme.apply(input, indices=idx, axis=axis)
    return (CummaxResult if take_max else CumminResult)(values, Tensor._wrap(idx))


@dim_aliases
def cummax(input, dim):
    """Running maximum along ``dim`` and the index where it was found (the latest on
    ties). Returns ``(values, indices)``."""
    return _cum_extreme(input, dim, True)


@dim_aliases
def cummin(input, dim):
    """Running minimum along ``dim`` and the index where it was found (the latest on
    ties). Returns ``(values, indices)``."""
    return _cum_extreme(input, dim, False)


@dim_aliases
def logcumsumexp(input, dim):
    """``log(cumsum(exp(input)))`` along ``dim``, computed stably."""
    if input.dtype.kind != "f":
        raise TypeError(f"logcumsumexp: input dtype must be floating point, got "
                        f"{input.dtype}")
    return LogCumSumExp.apply(input, axis=_axis(dim, input.ndim, "logcumsumexp"))


@dim_aliases
def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The ``n``-th forward difference along ``dim`` (``out[i] = x[i + 1] - x[i]``),
    after concatenating ``prepend``/``append`` along ``dim``.

    Shape: the size along ``dim`` becomes ``len + len(prepend) + len(append) - n``.
    """
    from glassnet.ops.elementwise import ne, sub
    from glassnet.ops.shape import cat, narrow

    if not isinstance(n, int) or n < 0:
        raise ValueError(f"diff: n must be a non-negative int, got {n!r}")
    if input.ndim == 0:
        raise ValueError("diff: expects input to be at least one-dimensional")
    axis = _axis(dim, input.ndim, "diff")
    parts = [p for p in (prepend, input, append) if p is not None]
    x = cat(parts, dim=axis) if len(parts) > 1 else input
    for _ in range(n):
        size = x.shape[axis]
        if size == 0:
            break
        hi, lo = narrow(x, axis, 1, size - 1), narrow(x, axis, 0, size - 1)
        x = ne(hi, lo) if x.dtype == np.bool_ else sub(hi, lo)
    return x
