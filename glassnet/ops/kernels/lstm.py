"""One LSTM time step's element-wise work (gates, cell, hidden state, and their
gradients) in one pass on all cores, compiled with numba; used by
:class:`glassnet.ops.recurrent.LSTMLayer` for steps without a length mask or a
projection, on plain C-contiguous NumPy float arrays: forward 4 passes (NumPy's two
``tanh``, one kernel, one product) instead of 11, backward one instead of 12. The NumPy
code there stays the reference, which the tests compare with bit for bit; everything
else, and everything under :class:`glassnet.ops.kernels._threads.disabled`, runs it.
"""
from __future__ import annotations

import numpy as np

from glassnet.ops.kernels import _threads as pool

__all__ = ["available", "cell_forward", "cell_backward"]

_build = pool.loader("_lstm_numba")



def available() -> bool:
    """True when numba imports (the kernels compile on first call)."""
    return _build() is not None


def _ok(*arrays) -> bool:
    dt = arrays[0].dtype
    return (not pool.is_disabled() and dt in (np.float32, np.float64)
            and all(type(x) is np.ndarray and x.dtype == dt and x.flags.c_contiguous
                    for x in arrays)
            and available())


def cell_forward(a, d, scale, shift, dscale, c_prev, c, tc, h) -> bool:
    """Gates, derivatives, new cell ``c``, its tanh ``tc`` and new hidden state ``h`` of
    one step from its pre-activations ``a`` (see ``_lstm_numba.cell_forward``); False,
    having done nothing, when the kernels do not take these arrays."""
    if not _ok(a, d, scale, shift, dscale, c_prev, c, tc, h):
        return False
    np.tanh(a, out=a)
    with pool.LOCK:
        _build().cell_forward(a, d, scale, shift, dscale, c_prev, c)
    np.tanh(c, out=tc)
    np.multiply(a[:, 3 * c.shape[1]:], tc, out=h)
    return True


def cell_backward(dh, gy, dc, gates, tc, c_prev, deriv, d) -> bool:
    """See ``_lstm_numba.cell_backward``; False, having done nothing, when the kernels
    do not take these arrays."""
    if not _ok(dh, gy, dc, gates, tc, c_prev, deriv, d):
        return False
    with pool.LOCK:
        _build().cell_backward(dh, gy, dc, gates, tc, c_prev, deriv, d)
    return True
