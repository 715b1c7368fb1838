"""The numba kernels of :mod:`glassnet.ops.kernels.batchnorm` (imported only where numba
is installed). Module-level functions, so that numba's on-disk cache finds them."""
import numpy as np
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
def normalize(x, mean, scale, shift, out, relu):
    """``out[n, c] = (x[n, c] - mean[c]) * scale[c] + shift[c]`` in one pass (the mean
    is subtracted first, as in the reference, so a large mean costs no precision); with
    ``relu`` then ``max(., 0)`` as the ReLU kernel (NaN stays NaN), in the same pass."""
    n_, c_, l_ = x.shape
    for p in prange(n_ * c_):
        n = p // c_
        c = p - n * c_
        m = mean[c]
        a = scale[c]
        b = shift[c]
        src = x[n, c]
        dst = out[n, c]
        if relu:
            for t in range(l_):
                v = _pre(src[t], m, a, b)
                dst[t] = v if (v > 0 or v != v) else 0
        else:
            for t in range(l_):
                dst[t] = _pre(src[t], m, a, b)


@njit(inline="always")
def _pre(x, m, a, b):
    # The batch norm's output before a fused ReLU; the backward kernels recompute it
    # with this same expression (no fastmath contraction anywhere it is used), so their
    # mask ``pre > 0`` is the forward's bit for bit.
    return (x - m) * a + b


@njit(inline="always")
def _masked(g, x, m, a, b, zero):
    # The ReLU's backward ``g * (pre > 0)`` (as relu_grad: g * 0 where masked; ``zero``
    # of g's dtype: ``g * 0`` would be float64 for a float32 g, and so would everything
    # computed from it).
    return g if _pre(x, m, a, b) > 0 else g * zero


# ``reassoc`` (not full fastmath) lets LLVM vectorise the float64 sums without fusing
# the multiply-add of ``_pre`` into one rounding (the fused ReLU's mask must be the
# forward's).
@njit(parallel=True, cache=True, fastmath={"reassoc"})
def grad_sums(g, x, sum_g, sum_gx, mean, scale, shift, relu):
    """Per-channel ``sum(g)`` and ``sum(g * x)`` in one read pass (float64 sums); with
    ``relu``, of the fused ReLU's gradient ``g * (pre > 0)`` (``pre`` recomputed from
    ``x``, ``mean``, ``scale``, ``shift`` as :func:`normalize` did)."""
    n_, c_, l_ = x.shape
    for c in prange(c_):
        m, a, b = mean[c], scale[c], shift[c]
        zero = g.dtype.type(0)
        masked = np.empty(l_ if relu else 0, g.dtype)
        s1 = 0.0
        s2 = 0.0
        for n in range(n_):
            gr = g[n, c]
            xr = x[n, c]
            if relu:  # the masked row first: the sums below are then the unfused ones
                for t in range(l_):
                    masked[t] = _masked(gr[t], xr[t], m, a, b, zero)
                gr = masked[:l_]
            for t in range(l_):
                s1 += gr[t]
                s2 += gr[t] * xr[t]
        sum_g[c] = s1
        sum_gx[c] = s2


@njit(parallel=True, cache=True)
def grad_input(g, x, a, b, c0, out, mean, scale, shift, relu):
    """``out[n, c] = a[c] g[n, c] + b[c] x[n, c] + c0[c]`` in one pass; with ``relu``,
    ``g`` masked as in :func:`grad_sums`."""
    n_, c_, l_ = x.shape
    for p in prange(n_ * c_):
        n = p // c_
        c = p - n * c_
        av = a[c]
        bv = b[c]
        cv = c0[c]
        m, sa, sb = mean[c], scale[c], shift[c]
        zero = g.dtype.type(0)
        gr = g[n, c]
        xr = x[n, c]
        dst = out[n, c]
        if relu:
            for t in range(l_):
                dst[t] = av * _masked(gr[t], xr[t], m, sa, sb, zero) + bv * xr[t] + cv
        else:
            for t in range(l_):
                dst[t] = av * gr[t] + bv * xr[t] + cv
