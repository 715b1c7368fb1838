"""The numba kernels of :mod:`glassnet.ops.kernels.batchnorm` (imported only where numba
is installed). Module-level functions, so that numba's on-disk cache finds them."""
from numba import njit, prange


@njit(parallel=True, cache=True, fastmath=True)
def moments(x, mean, var):
    """Per-channel mean and biased variance of ``x (N, C, L)`` (two read passes, the
    sums in float64; fastmath only reassociates them, which lets LLVM vectorise)."""
    n_, c_, l_ = x.shape
    count = n_ * l_
    for c in prange(c_):
        s = 0.0
        for n in range(n_):
            row = x[n, c]
            for t in range(l_):
                s += row[t]
        m = s / count
        q = 0.0
        for n in range(n_):
            row = x[n, c]
            for t in range(l_):
                d = row[t] - m
                q += d * d
        mean[c] = m
        var[c] = q / count


@njit(parallel=True, cache=True)
def normalize(x, mean, scale, shift, out):
    """``out[n, c] = (x[n, c] - mean[c]) * scale[c] + shift[c]`` in one pass (the mean
    is subtracted first, as in the reference, so a large mean costs no precision)."""
    n_, c_, l_ = x.shape
    for p in prange(n_ * c_):
        n = p // c_
        c = p - n * c_
        m = mean[c]
        a = scale[c]
        b = shift[c]
        src = x[n, c]
        dst = out[n, c]
        for t in range(l_):
            dst[t] = (src[t] - m) * a + b


@njit(parallel=True, cache=True, fastmath=True)
def grad_sums(g, x, sum_g, sum_gx):
    """Per-channel ``sum(g)`` and ``sum(g * x)`` in one read pass (float64 sums)."""
    n_, c_, l_ = x.shape
    for c in prange(c_):
        s1 = 0.0
        s2 = 0.0
        for n in range(n_):
            gr = g[n, c]
            xr = x[n, c]
            for t in range(l_):
                s1 += gr[t]
                s2 += gr[t] * xr[t]
        sum_g[c] = s1
        sum_gx[c] = s2


@njit(parallel=True, cache=True)
def grad_input(g, x, a, b, c0, out):
    """``out[n, c] = a[c] g[n, c] + b[c] x[n, c] + c0[c]`` in one pass."""
    n_, c_, l_ = x.shape
    for p in prange(n_ * c_):
        n = p // c_
        c = p - n * c_
        av = a[c]
        bv = b[c]
        cv = c0[c]
        gr = g[n, c]
        xr = x[n, c]
        dst = out[n, c]
        for t in range(l_):
            dst[t] = av * gr[t] + bv * xr[t] + cv
