"""Batch norm in fewer passes over memory, compiled with numba.

NumPy's batch norm (the reference in :class:`glassnet.ops.norm.StatNorm`) makes five
passes over the activations forward (mean, subtract, variance, scale, shift) and six
backward; these kernels make three forward (two read-only moment passes, one
``(x - mean) * scale + shift``) and two backward (one pass for ``sum(g)`` and ``sum(g * x)``, one
for ``dx = A g + B x + C``), on the ``(N, C, L)`` stat view of a batch norm, one channel
(or one plane) per thread. Sums accumulate in float64. Without numba, or off
(:class:`disabled`), the NumPy path runs; ``tests/nn/test_functional_norm.py`` checks
both.
"""
from __future__ import annotations

import numpy as np

from glassnet.ops.kernels import _threads as pool
from glassnet.ops.kernels._threads import LOCK as _LOCK, disabled  # noqa: F401

__all__ = ["available", "supports", "moments", "normalize", "grad_sums", "grad_input",
           "disabled"]

_build = pool.loader("_batchnorm_numba")




def available() -> bool:
    return _build() is not None


def supports(xs, stat_axes) -> bool:
    """A 3-D ``(N, C, L)`` NumPy float32/float64 stat view reduced over ``(0, 2)``."""
    return (not pool.is_disabled() and tuple(stat_axes) == (0, 2)
            and isinstance(xs, np.ndarray)
            and xs.ndim == 3 and xs.dtype in (np.float32, np.float64) and available())


def moments(xs):
    """``(mean, var)`` of each channel as float64 ``(C,)`` arrays."""
    c = xs.shape[1]
    mean = np.empty(c, np.float64)
    var = np.empty(c, np.float64)
    with _LOCK:
        _build().moments(np.ascontiguousarray(xs), mean, var)
    return mean, var


def normalize(xs, mean, scale, shift, relu=False):
    """``(xs - mean[c]) * scale[c] + shift[c]`` (then ``max(., 0)`` with ``relu``): a
    new ``(N, C, L)`` array."""
    out = np.empty(xs.shape, xs.dtype)
    with _LOCK:
        _build().normalize(np.ascontiguousarray(xs), _vec(mean, xs.dtype), _vec(scale, xs.dtype),
                           _vec(shift, xs.dtype), out, bool(relu))
    return out


def grad_sums(gs, xs, relu=None):
    """Per-channel ``(sum(g), sum(g * x))`` as float64 ``(C,)`` arrays; ``relu``: the
    ``(mean, scale, shift)`` of a :func:`normalize` with ``relu=True``, whose ReLU's
    gradient ``g * (pre > 0)`` is then summed instead of ``g``."""
    c = xs.shape[1]
    s1 = np.empty(c, np.float64)
    s2 = np.empty(c, np.float64)
    with _LOCK:
        _build().grad_sums(np.ascontiguousarray(gs), np.ascontiguousarray(xs), s1, s2,
                           *_relu_args(relu, xs))
    return s1, s2


def grad_input(gs, xs, a, b, c0, relu=None):
    """``a[c] g + b[c] x + c0[c]`` (``g`` masked by the ReLU as in :func:`grad_sums`
    when ``relu`` is given): a new ``(N, C, L)`` array."""
    out = np.empty(xs.shape, gs.dtype)
    with _LOCK:
        _build().grad_input(np.ascontiguousarray(gs), np.ascontiguousarray(xs),
                            _vec(a, gs.dtype), _vec(b, gs.dtype), _vec(c0, gs.dtype), out,
                            *_relu_args(relu, xs))
    return out


def _relu_args(relu, xs):
    if relu is None:
        empty = np.zeros(xs.shape[1], xs.dtype)
        return empty, empty, empty, False
    return tuple(_vec(v, xs.dtype) for v in relu) + (True,)


def _vec(v, dtype):
    return np.ascontiguousarray(np.asarray(v, dtype=dtype).reshape(-1))
