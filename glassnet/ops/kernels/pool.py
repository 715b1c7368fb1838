"""2-D max pooling without its argmax (inference: ``no_grad``, or an input that needs no
gradient) in one pass on all cores, compiled with numba. :class:`glassnet.ops.pool.
MaxPool2d`'s NumPy code (a ``-inf``-padded phase grid, then one ``maximum`` pass per tap)
stays the reference, which the tests compare with bit for bit, and runs everything else:
the argmax a backward pass needs, 3-D pooling, other arrays, and everything under
:class:`glassnet.ops.kernels._threads.disabled`."""
from __future__ import annotations

import numpy as np

from glassnet.ops.kernels import _threads as pool

__all__ = ["available", "max_pool"]

_kernels = None
_missing = False


def available() -> bool:
    """True when numba imports (the kernel compiles on first call)."""
    return _build() is not None


def max_pool(x, win):
    """The max-pooled ``(N, C, *win.out_size)`` of ``x`` (2-D windows), or None when
    the kernel does not take it."""
    if (win.nd != 2 or type(x) is not np.ndarray or x.ndim != 4
            or x.dtype not in (np.float32, np.float64) or pool.is_disabled()
            or not available()):
        return None
    out = np.empty(x.shape[:2] + tuple(win.out_size), dtype=x.dtype)
    with pool.LOCK:
        _build().max_pool(np.ascontiguousarray(x), out, *win.kernel, *win.stride, *win.pad,
                          *win.dilation)
    return out


def _build():
    global _kernels, _missing
    if _kernels is None and not _missing:
        _kernels = pool.load("_pool_numba")
        _missing = _kernels is None
    return _kernels
