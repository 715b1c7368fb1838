"""Elementwise hot paths of the conv nets (ReLU and hardtanh/ReLU6 forward and backward,
the residual add, SGD's momentum step) on all cores, compiled with numba.

NumPy's ufuncs run on one thread, and ``g * (y > 0)`` makes two passes (a boolean
temporary, then the product). On activations of many megabytes these passes are memory-
bound, so each saved pass and each extra core count: these kernels make one pass and
spread fixed chunks over numba's threads. They only take large (``>= MIN_SIZE``)
C-contiguous plain NumPy float arrays (not subclasses such as the tests' fake device
arrays) of one dtype and shape; everything else, and everything
under :class:`disabled`, runs the NumPy reference, which the tests compare them with
bit for bit.
"""
from __future__ import annotations

import numpy as np

from glassnet.ops.kernels import _threads as pool
from glassnet.ops.kernels._threads import LOCK as _LOCK

__all__ = ["MIN_SIZE", "available", "relu", "relu_grad", "clip", "clip_grad", "add",
           "tanh_grad", "sigmoid_grad", "sgd_momentum"]

_build = pool.loader("_elementwise_numba")

MIN_SIZE = 1 << 16  # below this a kernel call costs more than it saves



def available() -> bool:
    """True when numba imports (the kernels compile on first call)."""
    return _build() is not None


def _ok(*arrays) -> bool:
    a = arrays[0]
    return (type(a) is np.ndarray and a.size >= MIN_SIZE
            and a.dtype in (np.float32, np.float64) and not pool.is_disabled()
            and all(type(b) is np.ndarray and b.dtype == a.dtype and b.shape == a.shape
                    and b.flags.c_contiguous for b in arrays)
            and available())


def relu(x):
    """``maximum(x, 0)``, or None when the kernels do not take ``x``."""
    if not _ok(x):
        return None
    out = np.empty_like(x)
    with _LOCK:
        _build().relu(x.reshape(-1), out.reshape(-1))
    return out


def relu_grad(g, y):
    """``g * (y > 0)``, or None when the kernels do not take these arrays."""
    return _binary("relu_grad", g, y)


def tanh_grad(g, t):
    """``g * (1 - t * t)`` (``t = tanh(x)``), or None when the kernels do not take these
    arrays."""
    return _binary("tanh_grad", g, t)


def sigmoid_grad(g, s):
    """``g * s * (1 - s)`` (``s = sigmoid(x)``), or None when the kernels do not take
    these arrays."""
    return _binary("sigmoid_grad", g, s)


def _binary(name, a, b):
    if not _ok(a, b):
        return None
    out = np.empty_like(a)
    with _LOCK:
        getattr(_build(), name)(a.reshape(-1), b.reshape(-1), out.reshape(-1))
    return out


def clip(x, lo, hi):
    """``clip(x, lo, hi)`` (hardtanh, relu6), or None when the kernels do not take ``x``."""
    if not _ok(x):
        return None
    out = np.empty_like(x)
    with _LOCK:
        _build().clip(x.reshape(-1), x.dtype.type(lo), x.dtype.type(hi), out.reshape(-1))
    return out


def clip_grad(g, x, lo, hi):
    """``g * ((x > lo) & (x < hi))``, or None when the kernels do not take these arrays."""
    if not _ok(g, x):
        return None
    out = np.empty_like(g)
    with _LOCK:
        _build().clip_grad(g.reshape(-1), x.reshape(-1), x.dtype.type(lo), x.dtype.type(hi),
                           out.reshape(-1))
    return out


def sgd_momentum(p, g, buf, *, lr, momentum, dampening, weight_decay, nesterov,
                 maximize) -> bool:
    """SGD's momentum step in place on ``p`` and ``buf`` in one pass (the same roundings
    as the NumPy code of :class:`glassnet.optim.SGD`); False when the kernels do not take
    these arrays (nothing is changed then)."""
    if not (_ok(p, g, buf) and p.flags.writeable and buf.flags.writeable):
        return False
    t = p.dtype.type
    with _LOCK:
        _build().sgd_momentum(p.reshape(-1), g.reshape(-1), buf.reshape(-1), t(lr),
                              t(momentum), t(1 - dampening), t(weight_decay),
                              bool(nesterov), bool(maximize))
    return True


def add(a, b):
    """``a + b`` for two arrays of one shape and dtype, or None."""
    return _binary("add", a, b)
