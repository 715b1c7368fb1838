"""The numba kernels of :mod:`glassnet.ops.kernels.lstm` (imported only where numba is
installed): one LSTM time step's element-wise work in one pass over the batch rows,
rows spread over the threads. The operations and their order are those of the NumPy
code in :mod:`glassnet.ops.recurrent`, so the results are the same bits; the ``tanh``
calls stay NumPy's (vectorised; the C library's, one value at a time, took 5x longer
than the whole step's other work)."""
from numba import njit, prange


@njit(parallel=True, cache=True)
def cell_forward(a, d, scale, shift, dscale, c_prev, c):
    """``a``: the step's ``tanh`` of the pre-activations ``(B, 4H)`` (sigmoid gates
    pre-scaled by 1/2), overwritten with the gates i, f, g, o; ``d``: their local
    derivatives; ``c``: the new cell ``f * c_prev + i * g``."""
    rows, four = a.shape
    hidden = four // 4
    one = a.dtype.type(1)
    for b in prange(rows):
        for q in range(four):
            u = a[b, q]
            d[b, q] = (one - u * u) * dscale[q]
            a[b, q] = u * scale[q] + shift[q]
        for j in range(hidden):
            c[b, j] = a[b, hidden + j] * c_prev[b, j] + a[b, j] * a[b, 2 * hidden + j]


@njit(parallel=True, cache=True)
def cell_backward(dh, gy, dc, gates, tc, c_prev, deriv, d):
    """From the gradients reaching the step's hidden state (``dh + gy``) and cell
    (``dc``): the pre-activation gradients ``d`` ``(B, 4H)``; ``dc`` is overwritten with
    the gradient carried to the previous cell."""
    rows, hidden = dh.shape
    one = dh.dtype.type(1)
    for b in prange(rows):
        for j in range(hidden):
            i = gates[b, j]
            f = gates[b, hidden + j]
            g = gates[b, 2 * hidden + j]
            o = gates[b, 3 * hidden + j]
            t = tc[b, j]
            d_h = dh[b, j] + gy[b, j]
            d[b, 3 * hidden + j] = d_h * t * deriv[b, 3 * hidden + j]
            d_c = dc[b, j] + d_h * o * (one - t * t)
            d[b, j] = d_c * g * deriv[b, j]
            d[b, hidden + j] = d_c * c_prev[b, j] * deriv[b, hidden + j]
            d[b, 2 * hidden + j] = d_c * i * deriv[b, 2 * hidden + j]
            dc[b, j] = d_c * f
