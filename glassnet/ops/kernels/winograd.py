"""The data transforms of Winograd's F(2x2, 3x3) convolution in one pass each, on all
cores, compiled with numba: the input's zero-padded 4x4 patches to ``B^T d B`` (which the
NumPy path does as a phase-split copy plus eight ufunc passes), the products' 4x4 tiles
to the cropped 2x2 outputs ``A^T m A`` (NumPy: four passes plus a strided scatter), and,
for the weight gradient, the output gradient's 2x2 blocks to ``A g A^T``. The NumPy
stages of :mod:`glassnet.ops._conv_winograd` stay the reference, bit-equal to these (the
same additions in the same order), and run F(4x4, 3x3), other arrays and everything
under
:class:`glassnet.ops.kernels._threads.disabled`."""
from __future__ import annotations

import numpy as np

from glassnet.ops.kernels import _threads as pool

__all__ = ["available", "takes", "input_tiles", "output_tiles", "grad_tiles"]

_build = pool.loader("_winograd_numba")



def available() -> bool:
    """True when numba imports (the kernels compile on first call)."""
    return _build() is not None


def takes(x) -> bool:
    """Whether the kernels take array ``x`` (a 4-D NumPy float32/float64 array)."""
    return (type(x) is np.ndarray and x.ndim == 4 and x.dtype in (np.float32, np.float64)
            and not pool.is_disabled() and available())


def input_tiles(x, v, pads, th, wq) -> None:
    """Fill ``v: (4, 4, C, n, th*wq)`` with the transformed tiles of ``x: (n, C, H, W)``
    padded by ``pads = (top, left)`` (zeros past the bottom/right edge); tile column
    ``wq - 1`` of every row is zero."""
    with pool.LOCK:
        _build().input_tiles(np.ascontiguousarray(x), v, int(pads[0]), int(pads[1]),
                             int(th), int(wq))


def output_tiles(mt, y, wq) -> None:
    """Write the outputs of the products ``mt: (4, 4, O, n, th*wq)`` into
    ``y: (n, O, Ho, Wo)`` (C-contiguous), cropped to it."""
    with pool.LOCK:
        _build().output_tiles(mt, y, int(wq))


def grad_tiles(gy, wt, th, wq) -> None:
    """Fill ``wt: (4, 4, O, n, th*wq)`` with the transformed 2x2 blocks ``A g A^T`` of
    the output gradient ``gy: (n, O, Ho, Wo)`` (the weight gradient's second operand);
    tile column ``wq - 1`` of every row is zero."""
    with pool.LOCK:
        _build().grad_tiles(np.ascontiguousarray(gy), wt, int(th), int(wq))
