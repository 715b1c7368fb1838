"""2-D max and average pooling in one pass on all cores, compiled with numba: max
pooling for inference (no argmax), for training with the tap of every maximum (torch's
choices on ties, NaN and windows of -inf), and its backward pass (each gradient added at
its maximum's input position); average pooling and its backward pass, bit-equal to the
NumPy code (the same additions in the same order). The NumPy code of
:class:`glassnet.ops.pool.MaxPool2d` / :class:`~glassnet.ops.pool.AvgPool2d` (a padded
phase grid, one pass per tap) stays the reference, which the tests compare with, and
runs everything else: 3-D pooling, other arrays, and everything under
:class:`glassnet.ops.kernels._threads.disabled`."""
from __future__ import annotations

import numpy as np

from glassnet.ops.kernels import _threads as pool

__all__ = ["available", "max_pool", "max_pool_arg", "max_pool_grad", "avg_pool",
           "avg_pool_grad"]

_build = pool.loader("_pool_numba")



def available() -> bool:
    """True when numba imports (the kernel compiles on first call)."""
    return _build() is not None


def max_pool(x, win):
    """The max-pooled ``(N, C, *win.out_size)`` of ``x`` (2-D windows), or None when
    the kernel does not take it."""
    if not _ok(x, win):
        return None
    out = np.empty(x.shape[:2] + tuple(win.out_size), dtype=x.dtype)
    with pool.LOCK:
        _build().max_pool(np.ascontiguousarray(x), out, *win.kernel, *win.stride, *win.pad,
                          *win.dilation)
    return out


def max_pool_arg(x, win):
    """``(pooled, taps)``: :func:`max_pool` and the ``int32`` tap of every maximum
    ``(N, C, *out_size)`` (torch's choices on ties, NaN and windows of -inf), or None."""
    if not _ok(x, win):
        return None
    out = np.empty(x.shape[:2] + tuple(win.out_size), dtype=x.dtype)
    arg = np.empty(out.shape, dtype=np.int32)
    with pool.LOCK:
        _build().max_pool_arg(np.ascontiguousarray(x), out, arg, *win.kernel, *win.stride,
                              *win.pad, *win.dilation)
    return out, arg


def max_pool_grad(g, arg, in_shape, win):
    """The input gradient ``(N, C, *in_size)`` of :func:`max_pool_arg` for ``g``, or
    None when the kernel does not take ``g``."""
    if not _ok(g, win):
        return None
    gx = np.zeros(in_shape, dtype=g.dtype)
    with pool.LOCK:
        _build().max_pool_grad(np.ascontiguousarray(g), arg, gx, *win.kernel, *win.stride,
                               *win.pad, *win.dilation)
    return gx


def avg_pool(x, win, divisor):
    """The average-pooled ``(N, C, *win.out_size)`` of ``x`` (2-D windows; ``divisor`` a
    number or an ``out_size`` array), or None when the kernel does not take it."""
    if not _ok(x, win):
        return None
    out = np.empty(x.shape[:2] + tuple(win.out_size), dtype=x.dtype)
    with pool.LOCK:
        if _tiled(win):
            _build().avg_pool_tiled(np.ascontiguousarray(x), _div(divisor, win, x.dtype),
                                    out, *win.kernel)
        else:
            _build().avg_pool(np.ascontiguousarray(x), _div(divisor, win, x.dtype), out,
                              *win.kernel, *win.stride, *win.pad, *win.dilation)
    return out


def avg_pool_grad(g, in_shape, win, divisor):
    """The input gradient ``(N, C, *in_size)`` of :func:`avg_pool` for ``g``, or None."""
    if not _ok(g, win):
        return None
    gx = np.zeros(in_shape, dtype=g.dtype)
    with pool.LOCK:
        if _tiled(win):
            _build().avg_pool_tiled_grad(np.ascontiguousarray(g),
                                         _div(divisor, win, g.dtype), gx, *win.kernel)
        else:
            _build().avg_pool_grad(np.ascontiguousarray(g), _div(divisor, win, g.dtype),
                                   gx, *win.kernel, *win.stride, *win.pad, *win.dilation)
    return gx


def _tiled(win) -> bool:
    """Windows that tile the input: stride = kernel, no padding or dilation, each window
    inside the input (no ceil-mode window hanging over the edge)."""
    return (tuple(win.stride) == tuple(win.kernel) and not any(win.pad)
            and all(d == 1 for d in win.dilation)
            and all(o * k <= i for o, k, i in zip(win.out_size, win.kernel, win.in_size)))


def _div(divisor, win, dtype):
    # the reference divides by ``asarray(divisor, dtype)``: the same rounding here
    d = np.asarray(divisor, dtype=dtype)
    return np.ascontiguousarray(np.broadcast_to(d, tuple(win.out_size)))


def _ok(x, win) -> bool:
    return (win.nd == 2 and type(x) is np.ndarray and x.ndim == 4
            and x.dtype in (np.float32, np.float64) and not pool.is_disabled()
            and available())
