"""The numba kernels of :mod:`glassnet.ops.kernels.elementwise` (imported only where
numba is installed). Flat 1-D arrays, split into fixed chunks over the threads; no
fastmath, so NaN and -0.0 behave exactly as in the NumPy reference."""
from numba import njit, prange

CHUNK = 1 << 15


@njit(inline="always")
def _chunks(n):
    return (n + CHUNK - 1) // CHUNK


@njit(inline="always")
def _part(a, k):
    # Chunk k of the flat array a (a slice, indexed from 0: vectorisable).
    return a[k * CHUNK:min(a.shape[0], (k + 1) * CHUNK)]


@njit(parallel=True, cache=True)
def relu(x, out):
    """``out = maximum(x, 0)`` (NaN stays NaN, as ``np.maximum``)."""
    for k in prange(_chunks(x.shape[0])):
        xs = _part(x, k)
        os_ = _part(out, k)
        for i in range(xs.shape[0]):
            v = xs[i]
            os_[i] = v if (v > 0 or v != v) else 0


@njit(parallel=True, cache=True)
def relu_grad(g, y, out):
    """``out = g * (y > 0)`` in one pass (``y``: the forward's output)."""
    for k in prange(_chunks(g.shape[0])):
        gs = _part(g, k)
        ys = _part(y, k)
        os_ = _part(out, k)
        for i in range(gs.shape[0]):
            os_[i] = gs[i] if ys[i] > 0 else gs[i] * 0


@njit(parallel=True, cache=True)
def tanh_grad(g, t, out):
    """``out = g * (1 - t * t)`` in one pass (``t``: the forward's output)."""
    for k in prange(_chunks(g.shape[0])):
        gs = _part(g, k)
        ts = _part(t, k)
        os_ = _part(out, k)
        one = ts.dtype.type(1)
        for i in range(gs.shape[0]):
            os_[i] = gs[i] * (one - ts[i] * ts[i])


@njit(parallel=True, cache=True)
def sigmoid_grad(g, s, out):
    """``out = g * s * (1 - s)`` in one pass (``s``: the forward's output)."""
    for k in prange(_chunks(g.shape[0])):
        gs = _part(g, k)
        ss = _part(s, k)
        os_ = _part(out, k)
        one = ss.dtype.type(1)
        for i in range(gs.shape[0]):
            os_[i] = gs[i] * ss[i] * (one - ss[i])


@njit(parallel=True, cache=True)
def add(a, b, out):
    """``out = a + b`` (same shapes)."""
    for k in prange(_chunks(a.shape[0])):
        a_ = _part(a, k)
        b_ = _part(b, k)
        os_ = _part(out, k)
        for i in range(a_.shape[0]):
            os_[i] = a_[i] + b_[i]


@njit(parallel=True, cache=True)
def clip(x, lo, hi, out):
    """``out = clip(x, lo, hi)`` (NaN stays NaN, as ``np.clip``)."""
    for k in prange(_chunks(x.shape[0])):
        xs = _part(x, k)
        os_ = _part(out, k)
        for i in range(xs.shape[0]):
            v = xs[i]
            os_[i] = lo if v < lo else (hi if v > hi else v)


@njit(parallel=True, cache=True)
def clip_grad(g, x, lo, hi, out):
    """``out = g * ((x > lo) & (x < hi))`` in one pass (hardtanh's gradient)."""
    for k in prange(_chunks(g.shape[0])):
        gs = _part(g, k)
        xs = _part(x, k)
        os_ = _part(out, k)
        for i in range(gs.shape[0]):
            v = xs[i]
            os_[i] = gs[i] if (v > lo and v < hi) else gs[i] * 0


@njit(parallel=True, cache=True)
def sgd_momentum(p, g, buf, lr, momentum, damp, wd, nesterov, maximize):
    """One SGD-with-momentum step on flat arrays, in place on ``p`` and ``buf``, with the
    operations (and roundings) of ``glassnet.optim.SGD``'s NumPy code, in one pass:
    ``d = -g if maximize; d += wd * p; buf = buf * momentum + damp * d;
    p += -lr * (d + momentum * buf if nesterov else buf)``. ``damp`` is ``1 - dampening``,
    every scalar is of the arrays' dtype."""
    for k in prange(_chunks(p.shape[0])):
        ps, gs, bs = _part(p, k), _part(g, k), _part(buf, k)
        for i in range(ps.shape[0]):
            d = -gs[i] if maximize else gs[i]
            if wd != 0:
                d = d + wd * ps[i]
            b = bs[i] * momentum
            b = b + damp * d
            bs[i] = b
            step = d + momentum * b if nesterov else b
            ps[i] = ps[i] + (-lr) * step
