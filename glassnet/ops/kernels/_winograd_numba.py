"""The numba kernels of :mod:`glassnet.ops.kernels.winograd` (imported only where numba
is installed): the input and output transforms of F(2x2, 3x3), each one pass over its
planes, planes spread over the threads. The additions are the NumPy programs' own
(``_bt2`` on rows then columns, ``_at2`` on columns then rows), in the same order, so the
results are bit-equal to theirs."""
import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def input_tiles(x, v, pt, pl, th, wq):
    """``v[xi, nu, c, n, ti*wq + tj] = (B^T d B)[xi, nu]`` for the 4x4 patch ``d`` of the
    zero-padded plane ``x[n, c]`` at ``(2 ti - pt, 2 tj - pl)``; the last tile of each
    row (``tj = wq - 1``, the canvas' garbage column) is zero.

    Per row of tiles: the four padded input rows are copied into a scratch (zeros past
    the edges), the row transform runs along them (contiguous), then the column
    transform over each tile's columns ``2 tj .. 2 tj + 3``."""
    n_, c_, h_, w_ = x.shape
    tw = wq - 1
    wp = 2 * tw + 2  # padded columns the tiles read
    zero = x.dtype.type(0)
    v16 = v.reshape(16, c_ * n_, th * wq)
    for p in prange(c_ * n_):
        c = p // n_
        n = p - c * n_
        src = x[n, c]
        rows = np.zeros((4, wp), x.dtype)
        t = np.empty((4, wp), x.dtype)
        q0 = max(0, pl)  # padded columns [q0, q1) are source columns [q0 - pl, q1 - pl)
        q1 = min(wp, w_ + pl)
        for ti in range(th):
            for k in range(4):
                r = 2 * ti - pt + k
                if 0 <= r < h_ and q1 > q0:
                    rows[k, q0:q1] = src[r, q0 - pl:q1 - pl]
                else:
                    rows[k, :] = zero
            for q in range(wp):  # rows: t[xi] = (B^T d)[xi]
                t[0, q] = rows[0, q] - rows[2, q]
                t[1, q] = rows[1, q] + rows[2, q]
                t[2, q] = rows[2, q] - rows[1, q]
                t[3, q] = rows[1, q] - rows[3, q]
            base = ti * wq
            for xi in range(4):
                tx = t[xi]
                o0 = v16[4 * xi, p]
                o1 = v16[4 * xi + 1, p]
                o2 = v16[4 * xi + 2, p]
                o3 = v16[4 * xi + 3, p]
                for tj in range(tw):  # columns: v[xi, nu] = (t B)[xi, nu]
                    q = 2 * tj
                    o0[base + tj] = tx[q] - tx[q + 2]
                    o1[base + tj] = tx[q + 1] + tx[q + 2]
                    o2[base + tj] = tx[q + 2] - tx[q + 1]
                    o3[base + tj] = tx[q + 1] - tx[q + 3]
                o0[base + tw] = zero
                o1[base + tw] = zero
                o2[base + tw] = zero
                o3[base + tw] = zero


@njit(parallel=True, cache=True)
def output_tiles(mt, y, wq):
    """``y[n, o, 2 ti + i, 2 tj + j] = (A^T m A)[i, j]`` for the 4x4 tile
    ``m = mt[:, :, o, n, ti*wq + tj]``, cropped to ``y`` (the garbage column is
    skipped)."""
    n_, o_, ho, wo = y.shape
    th = (ho + 1) // 2
    tw = (wo + 1) // 2
    for p in prange(o_ * n_):
        o = p // n_
        n = p - o * n_
        dst = y[n, o]
        for ti in range(th):
            for tj in range(tw):
                col = ti * wq + tj
                # columns (over nu): z[xi, j]
                z00 = (mt[0, 0, o, n, col] + mt[0, 1, o, n, col]) + mt[0, 2, o, n, col]
                z01 = (mt[0, 1, o, n, col] - mt[0, 2, o, n, col]) - mt[0, 3, o, n, col]
                z10 = (mt[1, 0, o, n, col] + mt[1, 1, o, n, col]) + mt[1, 2, o, n, col]
                z11 = (mt[1, 1, o, n, col] - mt[1, 2, o, n, col]) - mt[1, 3, o, n, col]
                z20 = (mt[2, 0, o, n, col] + mt[2, 1, o, n, col]) + mt[2, 2, o, n, col]
                z21 = (mt[2, 1, o, n, col] - mt[2, 2, o, n, col]) - mt[2, 3, o, n, col]
                z30 = (mt[3, 0, o, n, col] + mt[3, 1, o, n, col]) + mt[3, 2, o, n, col]
                z31 = (mt[3, 1, o, n, col] - mt[3, 2, o, n, col]) - mt[3, 3, o, n, col]
                # rows (over xi)
                r = 2 * ti
                q = 2 * tj
                dst[r, q] = (z00 + z10) + z20
                if q + 1 < wo:
                    dst[r, q + 1] = (z01 + z11) + z21
                if r + 1 < ho:
                    dst[r + 1, q] = (z10 - z20) - z30
                    if q + 1 < wo:
                        dst[r + 1, q + 1] = (z11 - z21) - z31


@njit(inline="always")
def _a_row(w16, k0, p, col, r0, r1):
    """Row ``(r0, r1)`` of ``A g`` times ``A^T``: ``w16[k0 .. k0 + 3, p, col]``."""
    w16[k0, p, col] = r0
    w16[k0 + 1, p, col] = r0 + r1
    w16[k0 + 2, p, col] = r0 - r1
    w16[k0 + 3, p, col] = -r1


@njit(parallel=True, cache=True)
def grad_tiles(gy, wt, th, wq):
    """``wt[k, l, o, n, ti*wq + tj] = (A g A^T)[k, l]`` for the 2x2 block ``g`` of the
    output gradient ``gy[n, o]`` at ``(2 ti, 2 tj)`` (zeros past its edges); the last
    tile of each row (the canvas' garbage column) is zero."""
    n_, o_, ho, wo = gy.shape
    tw = wq - 1
    zero = gy.dtype.type(0)
    w16 = wt.reshape(16, o_ * n_, th * wq)
    for p in prange(o_ * n_):
        o = p // n_
        n = p - o * n_
        src = gy[n, o]
        for ti in range(th):
            r = 2 * ti
            for tj in range(wq):
                col = ti * wq + tj
                if tj == tw:
                    for k in range(16):
                        w16[k, p, col] = zero
                    continue
                q = 2 * tj
                g00 = src[r, q]
                g01 = src[r, q + 1] if q + 1 < wo else zero
                g10 = src[r + 1, q] if r + 1 < ho else zero
                g11 = src[r + 1, q + 1] if (r + 1 < ho and q + 1 < wo) else zero
                # rows of A g (k = 0..3: g0, g0 + g1, g0 - g1, -g1 over the block's
                # rows), then the same over each row's two columns
                _a_row(w16, 0, p, col, g00, g01)
                _a_row(w16, 4, p, col, g00 + g10, g01 + g11)
                _a_row(w16, 8, p, col, g00 - g10, g01 - g11)
                _a_row(w16, 12, p, col, -g10, -g11)
