"""The numba kernel of :mod:`glassnet.ops.kernels.pool` (imported only where numba is
installed): 2-D max pooling (with or without the taps of the maxima) and its backward
pass, one pass over each plane, planes spread over the threads."""
import numpy as np
from numba import njit, prange


@njit(inline="always")
def _cols(off, sw, w_, wo):
    """The output columns ``j`` whose tap at column offset ``off`` is in bounds:
    ``0 <= j*sw + off < w_`` (floor division), as a range ``[j0, j1)``."""
    j0 = 0
    while j0 * sw + off < 0:
        j0 += 1
    return j0, min(wo, (w_ - 1 - off) // sw + 1)


@njit(inline="always")
def _split(row, ev, od):
    """``ev``/``od`` = the even/odd columns of ``row`` (stride-2 taps then read contiguous
    slices: strided loads do not vectorise)."""
    for q in range(od.shape[0]):
        ev[q] = row[2 * q]
        od[q] = row[2 * q + 1]
    if ev.shape[0] > od.shape[0]:
        ev[od.shape[0]] = row[2 * od.shape[0]]


@njit(inline="always")
def _columns(ev, od, off, j0, j1):
    """Columns ``2*j + off`` (``j0 <= j < j1``) of a row split by :func:`_split`: one
    contiguous slice, as ``2*j + off = 2*(j + off // 2) + off % 2``."""
    half = off // 2
    return (ev if off % 2 == 0 else od)[j0 + half:j1 + half]


@njit(parallel=True, cache=True)
def max_pool(x, out, kh, kw, sh, sw, ph, pw, dh, dw):
    """``out[n, c, i, j]`` = max of the window at ``(i*sh - ph, j*sw - pw)``, taps
    ``dh``/``dw`` apart, over its in-bounds values, taps in row-major order; a NaN in the
    window gives NaN (as ``np.maximum``); a window with nothing in bounds gives -inf.
    Each output row is one accumulator row, updated tap by tap over the columns whose
    tap is in bounds (a loop without branches on the bounds)."""
    n_, c_, h_, w_ = x.shape
    ho, wo = out.shape[2], out.shape[3]
    ninf = x.dtype.type(-np.inf)
    split = sw == 2 and dw == 1
    for p in prange(n_ * c_):
        n = p // c_
        c = p - n * c_
        src = x[n, c]
        dst = out[n, c]
        ev = np.empty((w_ + 1) // 2, x.dtype)
        od = np.empty(w_ // 2, x.dtype)
        for i in range(ho):
            acc = dst[i]
            acc[:] = ninf
            for u in range(kh):
                r = i * sh - ph + u * dh
                if r < 0 or r >= h_:
                    continue
                row = src[r]
                if split:
                    _split(row, ev, od)
                    for v in range(kw):
                        off = v - pw
                        j0, j1 = _cols(off, 2, w_, wo)
                        seg = _columns(ev, od, off, j0, j1)
                        a_ = acc[j0:j1]
                        for t in range(j1 - j0):
                            val = seg[t]
                            a = a_[t]
                            a_[t] = val if (val > a or val != val) else a
                    continue
                for v in range(kw):
                    off = v * dw - pw
                    j0, j1 = _cols(off, sw, w_, wo)
                    for j in range(j0, j1):
                        val = row[j * sw + off]
                        a = acc[j]
                        acc[j] = val if (val > a or val != val) else a


@njit(parallel=True, cache=True)
def max_pool_arg(x, out, arg, kh, kw, sh, sw, ph, pw, dh, dw):
    """:func:`max_pool` and, in ``arg``, the tap (``u*kw + v``) that gave each maximum:
    the first maximum in scan order, the last NaN, or the first in-bounds tap of a
    window of -inf (torch's choices)."""
    n_, c_, h_, w_ = x.shape
    ho, wo = out.shape[2], out.shape[3]
    ninf = x.dtype.type(-np.inf)
    split = sw == 2 and dw == 1
    for p in prange(n_ * c_):
        n = p // c_
        c = p - n * c_
        src = x[n, c]
        ev = np.empty((w_ + 1) // 2, x.dtype)
        od = np.empty(w_ // 2, x.dtype)
        for i in range(ho):
            acc = out[n, c, i]
            at = arg[n, c, i]
            acc[:] = ninf
            at[:] = -1
            for u in range(kh):
                r = i * sh - ph + u * dh
                if r < 0 or r >= h_:
                    continue
                row = src[r]
                if split:
                    _split(row, ev, od)
                    for v in range(kw):
                        off = v - pw
                        j0, j1 = _cols(off, 2, w_, wo)
                        seg = _columns(ev, od, off, j0, j1)
                        a_ = acc[j0:j1]
                        t_ = at[j0:j1]
                        t = u * kw + v
                        for q in range(j1 - j0):
                            val = seg[q]
                            if t_[q] < 0 or val > a_[q] or val != val:
                                a_[q] = val
                                t_[q] = t
                    continue
                for v in range(kw):
                    off = v * dw - pw
                    j0, j1 = _cols(off, sw, w_, wo)
                    t = u * kw + v
                    for j in range(j0, j1):
                        val = row[j * sw + off]
                        if at[j] < 0 or val > acc[j] or val != val:
                            acc[j] = val
                            at[j] = t


@njit(parallel=True, cache=True)
def max_pool_grad(g, arg, gx, kh, kw, sh, sw, ph, pw, dh, dw):
    """Adds each ``g[n, c, i, j]`` into ``gx`` at the input position of its tap
    ``arg[n, c, i, j]`` (``gx`` zero on entry); planes in parallel, each plane's outputs
    in order."""
    n_, c_, ho, wo = g.shape
    for p in prange(n_ * c_):
        n = p // c_
        c = p - n * c_
        dst = gx[n, c]
        for i in range(ho):
            for j in range(wo):
                t = arg[n, c, i, j]
                if t < 0:
                    continue
                u = t // kw
                v = t - u * kw
                dst[i * sh - ph + u * dh, j * sw - pw + v * dw] += g[n, c, i, j]


@njit(parallel=True, cache=True)
def avg_pool(x, div, out, kh, kw, sh, sw, ph, pw, dh, dw):
    """``out[n, c, i, j]`` = the sum of the window's taps in row-major order (a tap
    outside the input adds +0, as the reference's zero-padded grid does) divided by
    ``div[i, j]``; each output row is one accumulator row, updated tap by tap."""
    n_, c_, h_, w_ = x.shape
    ho, wo = out.shape[2], out.shape[3]
    zero = x.dtype.type(0)
    for p in prange(n_ * c_):
        n = p // c_
        c = p - n * c_
        src = x[n, c]
        dst = out[n, c]
        for i in range(ho):
            acc = dst[i]
            for u in range(kh):
                r = i * sh - ph + u * dh
                inside = 0 <= r < h_
                for v in range(kw):
                    off = v * dw - pw
                    j0, j1 = _cols(off, sw, w_, wo)
                    if not inside:
                        j0 = j1 = wo
                    j1 = max(j0, j1)
                    if u == 0 and v == 0:
                        acc[:j0] = zero
                        if inside:
                            row = src[r]
                            for j in range(j0, j1):
                                acc[j] = row[j * sw + off]
                        acc[j1:] = zero
                        continue
                    for j in range(j0):
                        acc[j] = acc[j] + zero
                    if inside:
                        row = src[r]
                        for j in range(j0, j1):
                            acc[j] = acc[j] + row[j * sw + off]
                    for j in range(j1, wo):
                        acc[j] = acc[j] + zero
            d = div[i]
            for j in range(wo):
                acc[j] = acc[j] / d[j]


@njit(parallel=True, cache=True)
def avg_pool_grad(g, div, gx, kh, kw, sh, sw, ph, pw, dh, dw):
    """Adds ``g[n, c, i, j] / div[i, j]`` into ``gx`` (zero on entry) at every in-bounds
    tap of window ``(i, j)``, tap by tap over the plane (the reference's order)."""
    n_, c_, ho, wo = g.shape
    h_, w_ = gx.shape[2], gx.shape[3]
    for p in prange(n_ * c_):
        n = p // c_
        c = p - n * c_
        gd = g[n, c] / div
        dst = gx[n, c]
        for u in range(kh):
            for v in range(kw):
                off = v * dw - pw
                j0, j1 = _cols(off, sw, w_, wo)
                for i in range(ho):
                    r = i * sh - ph + u * dh
                    if r < 0 or r >= h_:
                        continue
                    row = dst[r]
                    src = gd[i]
                    for j in range(j0, j1):
                        row[j * sw + off] += src[j]


@njit(parallel=True, cache=True)
def avg_pool_tiled(x, div, out, kh, kw):
    """:func:`avg_pool` for windows that tile the input (stride = kernel, no padding, no
    dilation, every window inside: LeNet's 2x2): the same taps in the same order, without
    the bounds bookkeeping per tap and row."""
    n_, c_ = x.shape[0], x.shape[1]
    ho, wo = out.shape[2], out.shape[3]
    for p in prange(n_ * c_):
        n = p // c_
        c = p - n * c_
        src = x[n, c]
        dst = out[n, c]
        for i in range(ho):
            acc = dst[i]
            row = src[i * kh]
            for j in range(wo):
                acc[j] = row[j * kw]
            for v in range(1, kw):
                for j in range(wo):
                    acc[j] = acc[j] + row[j * kw + v]
            for u in range(1, kh):
                row = src[i * kh + u]
                for v in range(kw):
                    for j in range(wo):
                        acc[j] = acc[j] + row[j * kw + v]
            d = div[i]
            for j in range(wo):
                acc[j] = acc[j] / d[j]


@njit(parallel=True, cache=True)
def avg_pool_tiled_grad(g, div, gx, kh, kw):
    """:func:`avg_pool_grad` for tiling windows (see :func:`avg_pool_tiled`): each input
    value under a window receives that window's ``g / div`` once (added to the zero it
    holds on entry, as the plane-wide loop does: -0.0 becomes +0.0 the same way)."""
    n_, c_, ho, wo = g.shape
    zero = gx.dtype.type(0)
    for p in prange(n_ * c_):
        n = p // c_
        c = p - n * c_
        gd = g[n, c] / div
        dst = gx[n, c]
        for i in range(ho):
            src = gd[i]
            for u in range(kh):
                row = dst[i * kh + u]
                for v in range(kw):
                    for j in range(wo):
                        row[j * kw + v] = zero + src[j]
