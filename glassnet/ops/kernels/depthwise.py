"""Direct depthwise 2-D convolution, compiled with numba (all three passes).

A depthwise layer (``groups == C_in``, one input channel per group, ``m = C_out / C_in``
output channels per input channel) does ``kh * kw`` multiply-adds per output value: far
too little work per byte for a GEMM, and the NumPy reference
(``glassnet.ops.conv._conv_apply``) spends ``2 * kh * kw`` full passes over the output
(multiply, add) plus a padded copy of the input. These kernels read the unpadded NCHW
input once and write each output plane once, while it sits in L1/L2:

    forward      y[n, o, oh, ow]   = b[o] + sum_ij w[o, i, j] x[n, c, oh*s - p + i*d, ...]
    input grad   gx[n, c, ih, iw] += w[o, i, j] gy[n, o, oh, ow]        (o in c's group)
    weight grad  gw[o, i, j]       = sum_n,oh,ow gy[n, o, oh, ow] x[n, c, ...]

Padding is handled by clipping each tap's row range to the input, so the innermost loop
(over an output row) is branch-free and unit-stride for stride 1 (LLVM vectorises it).
Planes are spread over threads with ``prange``; each thread owns whole output planes
(forward, input gradient) or whole weight rows (weight gradient), so nothing races and
the result does not depend on the thread count. Kernels are compiled on first use and
cached on disk (numba's ``cache=True``).

numba is optional: :func:`available` says whether it imports; without it the NumPy path
runs. ``tests/ops/test_conv_algorithms.py`` checks these kernels against that path.
"""
from __future__ import annotations

import numpy as np

from glassnet.ops.kernels import _threads as pool
from glassnet.ops.kernels._threads import LOCK as _LOCK, disabled  # noqa: F401

__all__ = ["available", "supports", "forward", "input_grad", "weight_grad", "disabled"]

_load = pool.loader("_depthwise_numba")


def available() -> bool:
    """True when numba imports (the kernels compile on first call)."""
    return _build() is not None


def supports(x, w, win) -> bool:
    """Whether these kernels run this (2-D, NumPy float32/float64) depthwise layer."""
    return (not pool.is_disabled() and win is not None and win.nd == 2
            and isinstance(x, np.ndarray)
            and isinstance(w, np.ndarray) and x.dtype == w.dtype
            and x.dtype in (np.float32, np.float64) and available())


def _geometry(win):
    return (win.stride[0], win.stride[1], win.pad[0], win.pad[1], win.dilation[0],
            win.dilation[1])


def forward(x, w, b, win):
    """``(N, C, H, W)`` * ``(O, 1, kh, kw)`` (+ ``b``) -> contiguous ``(N, O, Ho, Wo)``."""
    k = _build()
    x = np.ascontiguousarray(x)
    w = np.ascontiguousarray(w)
    bias = (np.zeros(w.shape[0], dtype=x.dtype) if b is None
            else np.ascontiguousarray(b, dtype=x.dtype))
    out = np.empty((x.shape[0], w.shape[0]) + win.out_size, dtype=x.dtype)
    if win.stride == (1, 1):
        with _LOCK:
            k[3](x, w, bias, out, *_geometry(win)[2:], _threads())
    else:
        with _LOCK:
            k[0](x, w, bias, out, *_geometry(win))
    return out


def input_grad(gy, w, x_shape, win):
    """Gradient with respect to the input of :func:`forward`: ``(N, C, H, W)``."""
    k = _build()
    gx = np.empty(x_shape, dtype=gy.dtype)
    gy, w = np.ascontiguousarray(gy), np.ascontiguousarray(w)
    if win.stride == (1, 1):
        with _LOCK:
            k[4](gy, w, gx, *_geometry(win)[2:], _threads())
    else:
        with _LOCK:
            k[1](gy, w, gx, *_geometry(win))
    return gx


def weight_grad(gy, x, w_shape, win):
    """Gradient with respect to the weight of :func:`forward`: ``(O, 1, kh, kw)``."""
    k = _build()
    gw = np.empty(w_shape, dtype=gy.dtype)
    gy, x = np.ascontiguousarray(gy), np.ascontiguousarray(x)
    if win.stride == (1, 1):
        with _LOCK:
            k[5](gy, x, gw, *_geometry(win)[2:], _threads())
    else:
        with _LOCK:
            k[2](gy, x, gw, *_geometry(win))
    return gw


def _threads() -> int:
    import numba

    return numba.get_num_threads()


def _build():
    m = _load()
    if m is None:
        return None
    return (m.fwd, m.bwd_input, m.bwd_weight, m.fwd_s1, m.bwd_input_s1, m.bwd_weight_s1)
