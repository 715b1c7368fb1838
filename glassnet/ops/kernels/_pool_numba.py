"""The numba kernel of :mod:`glassnet.ops.kernels.pool` (imported only where numba is
installed): 2-D max pooling, one pass over each output plane, planes spread over the
threads."""
import numpy as np
from numba import njit, prange


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
    for p in prange(n_ * c_):
        n = p // c_
        c = p - n * c_
        src = x[n, c]
        dst = out[n, c]
        for i in range(ho):
            acc = dst[i]
            acc[:] = ninf
            for u in range(kh):
                r = i * sh - ph + u * dh
                if r < 0 or r >= h_:
                    continue
                row = src[r]
                for v in range(kw):
                    off = v * dw - pw
                    # the columns j with 0 <= j*sw + off < w_ (floor division)
                    j0 = 0
                    while j0 * sw + off < 0:
                        j0 += 1
                    j1 = min(wo, (w_ - 1 - off) // sw + 1)
                    for j in range(j0, j1):
                        val = row[j * sw + off]
                        a = acc[j]
                        acc[j] = val if (val > a or val != val) else a
