"""Order statistics: sort, argsort, topk, median, nanmedian, kthvalue, mode, quantile,
nanquantile; and the non-differentiable counting ops unique, bincount, histc,
searchsorted, bucketize.

NOTE on ties: ``kthvalue``/``median`` with ``dim`` return the index that a stable sort
puts at the requested rank (PyTorch documents no choice and its CPU kernel differs in
some tie patterns; the values always agree); ``mode`` returns the smallest of the most
frequent values and its last index, as PyTorch's CPU kernel. The gradient goes to the
returned index; without ``dim``, ``median``/``nanmedian`` share it among the tied
elements, as PyTorch.

Examples
--------
>>> import glassnet
>>> glassnet.median(glassnet.tensor([[3., 1., 2., 5.]]), dim=1).values.tolist()
[2.0]
"""
from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from glassnet.autograd import Function
from glassnet.backend import get_array_module as _xp
from glassnet.ops._coerce import NoDerivative
from glassnet.ops._dims import _axes, dim_aliases
from glassnet.ops.indexing import gather
from glassnet._tensor_base import TensorBase as Tensor

__all__ = [
    "sort", "argsort", "msort", "topk", "median", "nanmedian", "kthvalue", "mode",
    "quantile", "nanquantile", "unique", "bincount", "histc", "searchsorted", "bucketize",
]

SortResult = namedtuple("sort", ["values", "indices"])
TopkResult = namedtuple("topk", ["values", "indices"])
MedianResult = namedtuple("median", ["values", "indices"])
NanmedianResult = namedtuple("nanmedian", ["values", "indices"])
KthvalueResult = namedtuple("kthvalue", ["values", "indices"])
ModeResult = namedtuple("mode", ["values", "indices"])


def _axis(dim, ndim, fn):
    return _axes(dim, ndim, fn)[0] if ndim else 0


def _stable_argsort(d, axis, descending=False):
    """Stable sort order along ``axis``. NOTE: NaN counts as the largest value, as in
    PyTorch: last when ascending, first when descending (ties keep their order)."""
    xp = _xp(d)
    if d.dtype == np.bool_:
        d = d.astype(np.int8)
    if not descending:
        return xp.argsort(d, axis=axis, kind="stable")
    if d.dtype.kind != "f":
        return xp.argsort(-d, axis=axis, kind="stable")
    nan = xp.isnan(d)
    # Primary key: NaN first; secondary: larger values first.
    return xp.lexsort((-xp.where(nan, 0, d), ~nan), axis=axis)


class TakeIndex(Function):
    """``a`` at one index per slice along ``axis``; the gradient goes to that index."""

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
        pos = xp.arange(shape[axis]).reshape([-1 if i == axis else 1
                                              for i in range(len(shape))])
        return ((pos == xp.expand_dims(self.indices, axis)) * g).astype(g.dtype)


class SelectEven(Function):
    """A value chosen from all of ``a`` (global median): the gradient is shared evenly
    by the elements equal to it (NaN counts as equal to NaN), as PyTorch's
    evenly_distribute_backward."""

    def forward(self, a, value):
        self.save_for_backward(a)
        self.value = value
        return _xp(a).asarray(value, dtype=a.dtype)

    def backward(self, g):
        (a,) = self.saved_tensors
        xp = _xp(a)
        v = self.value
        mask = xp.isnan(a) if np.isnan(v) else (a == v)
        return (g * mask / builtins.max(int(mask.sum()), 1)).astype(g.dtype)


def _select(input, idx, axis, keepdim, result):
    values = TakeIndex.apply(input, indices=idx, axis=axis, keepdim=keepdim)
    idx = _xp(idx).expand_dims(idx, axis) if keepdim else idx
    return result(values, Tensor._wrap(idx.astype(np.int64)))


def _rank_index(d, axis, rank):
    """Original index of the element a stable sort puts at ``rank`` (array over slices)."""
    xp = _xp(d)
    order = _stable_argsort(d, axis)
    return xp.take_along_axis(order, xp.expand_dims(rank, axis), axis).squeeze(axis)


@dim_aliases
def sort(input, dim=-1, descending=False, stable=False):
    """Sorted values and indices along ``dim`` (values differentiable via gather)."""
    d = input._data
    idx = _stable_argsort(d, dim, descending).astype(np.int64)
    idx_t = Tensor._wrap(idx)
    return SortResult(gather(input, dim, idx_t), idx_t)


@dim_aliases
def argsort(input, dim=-1, descending=False, stable=False):
    """Indices that sort ``input`` along ``dim``."""
    return sort(input, dim, descending, stable).indices


def msort(input):
    """``sort(input, dim=0).values``."""
    return sort(input, 0).values


@dim_aliases
def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (or smallest) values and their indices along ``dim``."""
    if not 0 <= k <= input.shape[dim]:
        raise ValueError(f"topk: k must be in [0, {input.shape[dim]}], got {k}")
    d = input._data
    xp = _xp(d)
    idx = _stable_argsort(d, dim, descending=largest)
    idx = xp.take(idx, xp.arange(k), axis=dim).astype(np.int64)
    idx_t = Tensor._wrap(idx)
    return TopkResult(gather(input, dim, idx_t), idx_t)


def _median(input, dim, keepdim, ignore_nan):
    name = "nanmedian" if ignore_nan else "median"
    result = NanmedianResult if ignore_nan else MedianResult
    d = input._data
    xp = _xp(d)
    if dim is None:
        flat = d.reshape(-1)
        if flat.size == 0:
            raise RuntimeError(f"{name}: cannot compute the median of an empty tensor")
        nan = xp.isnan(flat) if flat.dtype.kind == "f" else xp.zeros(flat.shape, bool)
        valid = flat[~nan]
        if (nan.any() and not ignore_nan) or valid.size == 0:
            value = np.nan
        else:
            value = xp.sort(valid)[(valid.size - 1) // 2]
        return SelectEven.apply(input, value=value)
    if input.ndim == 0:
        return result(input, Tensor._wrap(xp.asarray(0, dtype=np.int64)))
    axis = _axis(dim, input.ndim, name)
    n = d.shape[axis]
    if n == 0:
        raise IndexError(f"{name}: cannot reduce dim {dim} of size 0")
    nan = xp.isnan(d) if d.dtype.kind == "f" else xp.zeros(d.shape, bool)
    n_valid = n - nan.sum(axis=axis)
    rank = xp.maximum((n_valid - 1) // 2, 0) if ignore_nan else \
        xp.full(n_valid.shape, (n - 1) // 2)
    idx = _rank_index(d, axis, rank)
    if not ignore_nan:
        # NOTE: a slice with NaN has median NaN at its first NaN, as PyTorch.
        idx = xp.where(nan.any(axis=axis), nan.argmax(axis=axis), idx)
    return _select(input, idx, axis, keepdim, result)


@dim_aliases
def median(input, dim=None, keepdim=False):
    """The lower median of all elements, or ``(values, indices)`` along ``dim``.

    For an even count it is the smaller of the two middle values (not their mean); a
    slice containing NaN has median NaN.
    """
    return _median(input, dim, keepdim, ignore_nan=False)


@dim_aliases
def nanmedian(input, dim=None, keepdim=False):
    """:func:`median` ignoring NaN (NaN only where a slice is all NaN)."""
    return _median(input, dim, keepdim, ignore_nan=True)


@dim_aliases
def kthvalue(input, k, dim=-1, keepdim=False):
    """The ``k``-th smallest element (1-based) along ``dim`` and its index."""
    d = input._data
    if input.ndim == 0:
        d = d.reshape(1)
    axis = _axis(dim, input.ndim, "kthvalue")
    n = d.shape[axis]
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
        raise ValueError(f"kthvalue: k must be an int in [1, {n}], got {k!r}")
    rank = _xp(d).full(np.delete(d.shape, axis).tolist() or (), k - 1)
    idx = _rank_index(d, axis, rank)
    if input.ndim == 0:
        return KthvalueResult(input, Tensor._wrap(np.asarray(0, dtype=np.int64)))
    return _select(input, idx, axis, keepdim, KthvalueResult)


@dim_aliases
def mode(input, dim=-1, keepdim=False):
    """The most frequent value along ``dim`` (the smallest of them on ties) and the
    index of its last occurrence."""
    d = input._data
    if input.ndim == 0:
        return ModeResult(input, Tensor._wrap(np.asarray(0, dtype=np.int64)))
    axis = _axis(dim, input.ndim, "mode")
    xp = _xp(d)
    order = _stable_argsort(d, axis)
    sv = xp.take_along_axis(d, order, axis)
    n = d.shape[axis]
    pos = xp.arange(n).reshape([-1 if i == axis else 1 for i in range(d.ndim)])
    first = xp.take(sv, [0], axis=axis)
    start = xp.concatenate([xp.ones_like(first, dtype=bool),
                            xp.take(sv, xp.arange(1, n), axis=axis)
                            != xp.take(sv, xp.arange(n - 1), axis=axis)], axis=axis)
    run_start = xp.maximum.accumulate(xp.where(start, pos, 0), axis=axis)
    count = pos - run_start + 1  # running length of each run of equal values
    # The first maximum is the end of the smallest value's run; that position holds the
    # value's last original index (stable sort).
    j = count.argmax(axis=axis)
    idx = xp.take_along_axis(order, xp.expand_dims(j, axis), axis).squeeze(axis)
    return _select(input, idx, axis, keepdim, ModeResult)


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan):
    from glassnet.ops import elementwise as ew
    from glassnet.ops.shape import movedim, reshape

    name = "nanquantile" if ignore_nan else "quantile"
    if interpolation not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise ValueError(f"{name}: interpolation must be 'linear', 'lower', 'higher', "
                         f"'midpoint' or 'nearest', got {interpolation!r}")
    if input.dtype.kind != "f":
        raise TypeError(f"{name}: input must be float32 or float64, got {input.dtype}")
    qa = q._data if isinstance(q, Tensor) else np.asarray(q, dtype=np.float64)
    scalar_q = qa.ndim == 0
    if qa.ndim > 1 or ((qa < 0) | (qa > 1)).any():
        raise ValueError(f"{name}: q must be a scalar or 1-D tensor with values in [0, 1], "
                         f"got {qa.tolist()}")
    qa = qa.reshape(-1).astype(np.float64)
    x = reshape(input, -1) if dim is None else input
    if x.ndim == 0:
        x = reshape(x, 1)
    axis = 0 if dim is None else _axis(dim, input.ndim, name)
    n = x.shape[axis]
    if n == 0:
        raise ValueError(f"{name}: input must be non-empty along dim {dim}")
    xp = _xp(x._data)
    sv = sort(x, axis).values
    nan = xp.isnan(x._data)
    n_valid = (n - nan.sum(axis=axis, keepdims=True)) if ignore_nan else \
        xp.full(nan.sum(axis=axis, keepdims=True).shape, n)
    qshape = [-1 if i == axis else 1 for i in range(x.ndim)]
    pos = qa.reshape(qshape) * xp.maximum(n_valid - 1, 0)  # (.., Q, ..) along axis
    if interpolation == "nearest":
        pos = xp.round(pos)  # NOTE: half to even, as torch.round
    lo = xp.floor(pos).astype(np.int64)
    hi = xp.ceil(pos).astype(np.int64)
    if interpolation == "lower":
        hi = lo
    elif interpolation == "higher":
        lo = hi
    weight = 0.5 if interpolation == "midpoint" else (pos - lo)
    v_lo = gather(sv, axis, Tensor._wrap(lo))
    v_hi = gather(sv, axis, Tensor._wrap(hi))
    w = Tensor._wrap(xp.broadcast_to(xp.asarray(weight, dtype=x.dtype), lo.shape).copy())
    out = ew.add(v_lo, ew.mul(ew.sub(v_hi, v_lo), w))
    bad = (n_valid == 0) if ignore_nan else nan.any(axis=axis, keepdims=True)
    if bad.any():
        out = ew.where(Tensor._wrap(xp.broadcast_to(bad, lo.shape)),
                       Tensor._wrap(xp.asarray(np.nan, dtype=x.dtype)), out)
    out = movedim(out, axis, 0)  # the q dimension first, as PyTorch
    if keepdim:
        shape = [1] * input.ndim if dim is None else list(input.shape)
        if dim is not None:
            shape[axis] = 1
        out = reshape(out, *([len(qa)] + shape))
    else:
        out = reshape(out, *([len(qa)] + [s for i, s in enumerate(x.shape) if i != axis]
                             if dim is not None else [len(qa)]))
    return reshape(out, *out.shape[1:]) if scalar_q else out


@dim_aliases
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The ``q``-quantiles of ``input`` (all elements, or along ``dim``), interpolating
    between the two nearest ranks as PyTorch (``interpolation='linear'``, 'lower',
    'higher', 'midpoint', 'nearest'). A slice containing NaN gives NaN.

    Shape
    -----
    With a 1-D ``q`` of length Q the output has a leading dimension Q; a scalar ``q``
    gives none. The reduced dimension is dropped, or kept with size 1 if ``keepdim``.
    """
    return _quantile(input, q, dim, keepdim, interpolation, ignore_nan=False)


@dim_aliases
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """:func:`quantile` ignoring NaN (NaN only where a slice is all NaN)."""
    return _quantile(input, q, dim, keepdim, interpolation, ignore_nan=True)
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
    if input.requires_grad and d.dtype.kind == "f":
        # NOTE: recorded without a derivative, as PyTorch (backward raises).
        out = NoDerivative.apply(input, fn=lambda a: values, name="unique")
    else:
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
    out = out.astype(w.dtype if w.dtype == np.float32 else np.float64)
    if isinstance(weights, Tensor) and weights.requires_grad:
        # NOTE: recorded without a derivative, as PyTorch (backward raises).
        return NoDerivative.apply(weights, fn=lambda a: out, name="bincount")
    return Tensor._wrap(out)


def histc(input, bins=100, min=0, max=0):
    """Histogram of ``input`` with ``bins`` equal-width bins on ``[min, max]`` (the data's
    range if both are 0; elements outside are ignored; ``max`` goes to the last bin).
    Not differentiable; the result has ``input``'s float dtype."""
    d = input._data
    if d.dtype.kind != "f":
        raise TypeError(f"histc: input must be a floating tensor, got {d.dtype}")
    if not isinstance(bins, (int, np.integer)) or bins <= 0:
        raise ValueError(f"histc: bins must be a positive int, got {bins!r}")
    lo, hi = float(min), float(max)
    if lo == hi and d.size:
        lo, hi = float(d.min()), float(d.max())
    if lo == hi:  # NOTE: PyTorch widens an empty range by 1 on each side
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise ValueError(f"histc: max must be larger than min, got min={min}, max={max}")
    x = d.reshape(-1)
    x = x[(x >= lo) & (x <= hi)]
    idx = ((x - lo) * bins / (hi - lo)).astype(np.int64)
    idx = np.minimum(idx, bins - 1)
    return Tensor._wrap(np.bincount(idx, minlength=bins).astype(d.dtype))


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """Indices where the elements of ``input`` would be inserted into the innermost
    dimension of ``sorted_sequence`` to keep it sorted (``right``/``side='right'``: after
    equal elements). Not differentiable.

    Shape
    -----
    ``sorted_sequence``: ``(M,)`` or ``(*, M)``; ``input``: any shape, or ``(*, K)``
    with the same leading dims; output: ``input``'s shape.
    """
    seq = sorted_sequence._data if isinstance(sorted_sequence, Tensor) else \
        np.asarray(sorted_sequence)
    vals = input._data if isinstance(input, Tensor) else np.asarray(input)
    if side is not None:
        if side not in ("left", "right"):
            raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
        if right and side == "left":
            raise ValueError("searchsorted: side='left' and right=True conflict")
        right = side == "right"
    if sorter is not None:
        s = sorter._data if isinstance(sorter, Tensor) else np.asarray(sorter)
        seq = np.take_along_axis(seq, s, axis=-1)
    if seq.ndim == 1:
        out = np.searchsorted(seq, vals, side="right" if right else "left")
    else:
        if seq.shape[:-1] != vals.shape[:-1]:
            raise ValueError(f"searchsorted: leading dims of sorted_sequence "
                             f"{seq.shape[:-1]} and input {vals.shape[:-1]} must match")
        # Count the boundaries below each value (vectorised over rows).
        cmp = seq[..., None, :] <= vals[..., :, None] if right else \
            seq[..., None, :] < vals[..., :, None]
        out = cmp.sum(axis=-1)
    return Tensor._wrap(np.asarray(out).astype(np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """Index of the bucket of each element: ``boundaries[i-1] < x <= boundaries[i]``
    (``right=True``: ``boundaries[i-1] <= x < boundaries[i]``). Not differentiable."""
    b = boundaries._data if isinstance(boundaries, Tensor) else np.asarray(boundaries)
    if b.ndim != 1:
        raise ValueError(f"bucketize: boundaries must be 1-D, got shape {b.shape}")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)
