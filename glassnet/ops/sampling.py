"""Resampling ops: separable nearest / linear interpolation along chosen axes.

Each axis is resampled by a *plan*: output position ``o`` reads input ``i0[o]`` (nearest)
or blends ``w0[o] * x[i0[o]] + w1[o] * x[i1[o]]`` (linear). The plans follow PyTorch's
source-index formulas (see :mod:`glassnet.nn._functional.sampling`). Index arrays are
non-decreasing in ``o``, so the adjoint (a scatter-add) sums the runs of equal indices
with a few gathers (as many as the longest run): no ``np.add.at``, no per-pixel loop,
and no ``ufunc.reduceat`` (which CuPy lacks).
"""
from __future__ import annotations

import numpy as np

from glassnet.autograd import Function
from glassnet.backend import get_array_module

__all__ = ["Resample", "linear_plan", "nearest_plan"]


def nearest_plan(in_size, out_size, scale, exact, shortcuts):
    """Source indices of nearest-neighbour resampling (torch's ``floor(dst * scale)``).

    ``scale`` is ``1 / scale_factor`` when the caller gave a scale factor, else
    ``in_size / out_size`` (torch's ``compute_scales_value``).
    """
    if shortcuts and not exact:
        # NOTE: torch's image kernels special-case these sizes (``nearest_idx``), even when
        # the formula below would give other indices for the given scale_factor.
        if out_size == in_size:
            return (None, np.arange(out_size), None, None)
        if out_size == 2 * in_size:
            return (None, np.arange(out_size) // 2, None, None)
    # NOTE: torch evaluates nearest source indices in float32 for every input dtype.
    f32 = np.float32
    dst = np.arange(out_size, dtype=f32)
    if exact:  # 'nearest-exact': pixel centres, floor((dst + 0.5) * scale)
        src = np.floor((dst + f32(0.5)) * f32(scale))
    else:
        # NOTE: 'nearest' is torch's historical rule floor(dst * scale), shifted by half a
        # pixel against 'nearest-exact' (and against OpenCV / PIL).
        src = np.floor(dst * f32(scale))
    return (None, np.minimum(src.astype(np.int64), in_size - 1), None, None)


def linear_plan(in_size, out_size, scale, align_corners, dtype):
    """Indices and weights of linear resampling (torch's ``area_pixel_*`` formulas)."""
    ft = np.dtype(dtype).type
    if out_size == in_size:  # torch copies an axis whose size does not change
        return (None, np.arange(out_size), None, None)
    dst = np.arange(out_size, dtype=dtype)
    if align_corners:
        s = ft(in_size - 1) / ft(out_size - 1) if out_size > 1 else ft(0)
        src = s * dst
    else:
        src = ft(scale) * (dst + ft(0.5)) - ft(0.5)
        # NOTE: torch clamps negative source coordinates to 0 (first output pixels of
        # an upsampling copy the edge pixel) instead of extrapolating.
        src = np.maximum(src, ft(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    lam1 = np.clip(src - i0.astype(dtype), ft(0), ft(1)).astype(dtype)
    lam0 = (ft(1) - lam1).astype(dtype)
    i1 = i0 + (i0 < in_size - 1)
    return (lam0, i0, lam1, i1)


def _along(v, axis, ndim, xp):
    """Host weights ``v`` as an array of ``xp`` that broadcasts along ``axis``."""
    shape = [1] * ndim
    shape[axis] = -1
    return xp.asarray(v).reshape(shape)


def _is_identity(idx, size):
    return idx.shape[0] == size and np.array_equal(idx, np.arange(size))


def _take(x, idx, axis):
    if _is_identity(idx, x.shape[axis]):
        return x
    xp = get_array_module(x)
    return xp.take(x, xp.asarray(idx), axis=axis)


def _scatter_sorted(g, idx, axis, size):
    """Adjoint of ``take(x, idx, axis)`` for non-decreasing ``idx``: sum the runs.

    Input ``j`` receives the run ``g[a_j], ..., g[a_j + len_j - 1]`` of the outputs that
    read it. With ``k`` the longest run, the sum is ``k`` gathers of ``g`` padded with one
    zero slice (short and empty runs read the zero), added in run order, which is the
    order ``np.add.reduceat`` sums in. A gather replaces reduceat, which CuPy lacks.
    """
    if _is_identity(idx, size):
        return g
    xp = get_array_module(g)
    # Runs, on the host: input j is read by outputs starts[j] .. starts[j] + counts[j] - 1
    counts = np.bincount(idx, minlength=size)
    starts = np.cumsum(counts) - counts
    k = int(counts.max())
    zero = idx.shape[0]  # index of the zero slice appended to g
    r = np.arange(k)
    src = np.where(r[None, :] < counts[:, None], starts[:, None] + r[None, :], zero)
    pad = [(0, 0)] * g.ndim
    pad[axis] = (0, 1)
    gz = xp.pad(g, pad)
    src = xp.asarray(src)
    out = xp.take(gz, src[:, 0], axis=axis)
    for t in range(1, k):
        out += xp.take(gz, src[:, t], axis=axis)
    return out


class Resample(Function):
    """Apply per-axis plans in order: ``forward(x, *, plans)`` with
    ``plans = ((axis, (w0, i0, w1, i1)), ...)``; nearest plans have ``w0 = None``.

    Plans are host (NumPy) geometry; each step moves what it needs to ``x``'s device."""

    def forward(self, x, *, plans):
        self.plans = plans
        self.sizes = []
        xp = get_array_module(x)
        y = x
        for axis, (w0, i0, w1, i1) in plans:
            self.sizes.append(y.shape[axis])
            if w0 is None:
                y = _take(y, i0, axis)
            else:
                y = _take(y, i0, axis) * _along(w0, axis, y.ndim, xp) \
                    + _take(y, i1, axis) * _along(w1, axis, y.ndim, xp)
        return y

    def backward(self, g):
        xp = get_array_module(g)
        for (axis, (w0, i0, w1, i1)), size in zip(reversed(self.plans), reversed(self.sizes)):
            if w0 is None:
                g = _scatter_sorted(g, i0, axis, size)
            else:
                g = _scatter_sorted(g * _along(w0, axis, g.ndim, xp), i0, axis, size) \
                    + _scatter_sorted(g * _along(w1, axis, g.ndim, xp), i1, axis, size)
        return g
