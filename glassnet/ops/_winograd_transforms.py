"""Winograd F(2x2, 3x3) and F(4x4, 3x3) transforms for :mod:`glassnet.ops._conv_winograd`:
the float64 matrices (``winograd_matrices``), the straight-line programs that apply
them to tile stacks, and the reusable workspace."""
from __future__ import annotations

import math

import numpy as np


# -----------------------------------------------------------------------------
# Transform matrices (Lavin & Gray 2016, section 4.1 and 4.2), float64.
# -----------------------------------------------------------------------------
# F(2x2, 3x3): interpolation points 0, 1, -1, inf.
_BT2 = np.array([[1, 0, -1, 0],
                 [0, 1, 1, 0],
                 [0, -1, 1, 0],
                 [0, 1, 0, -1]], dtype=np.float64)
_G2 = np.array([[1, 0, 0],
                [0.5, 0.5, 0.5],
                [0.5, -0.5, 0.5],
                [0, 0, 1]], dtype=np.float64)
_AT2 = np.array([[1, 1, 1, 0],
                 [0, 1, -1, -1]], dtype=np.float64)
# F(4x4, 3x3): interpolation points 0, 1, -1, 2, -2, inf.
_BT4 = np.array([[4, 0, -5, 0, 1, 0],
                 [0, -4, -4, 1, 1, 0],
                 [0, 4, -4, -1, 1, 0],
                 [0, -2, -1, 2, 1, 0],
                 [0, 2, -1, -2, 1, 0],
                 [0, 4, 0, -5, 0, 1]], dtype=np.float64)
_G4 = np.array([[1 / 4, 0, 0],
                [-1 / 6, -1 / 6, -1 / 6],
                [-1 / 6, 1 / 6, -1 / 6],
                [1 / 24, 1 / 12, 1 / 6],
                [1 / 24, -1 / 12, 1 / 6],
                [0, 0, 1]], dtype=np.float64)
_AT4 = np.array([[1, 1, 1, 1, 1, 0],
                 [0, 1, -1, 2, -2, 0],
                 [0, 1, 1, 4, 4, 0],
                 [0, 1, -1, 8, -8, 1]], dtype=np.float64)
_MATRICES = {2: (_BT2, _G2, _AT2), 4: (_BT4, _G4, _AT4)}



def winograd_matrices(m: int):
    """``(B^T, G, A^T)`` of F(m x m, 3 x 3) as float64 arrays (copies).

    ``B^T`` is ``(a, a)``, ``G`` is ``(a, 3)``, ``A^T`` is ``(m, a)`` with ``a = m + 2``;
    ``A^T [(G g) * (B^T d)]`` is the 1-D correlation of ``d`` (length ``a``) with
    ``g`` (length 3).
    """
    if m not in _MATRICES:
        raise ValueError(f"winograd_matrices: m must be 2 or 4, got {m!r}")
    return tuple(mat.copy() for mat in _MATRICES[m])


# -----------------------------------------------------------------------------
# The 1-D transforms as ufunc programs. ``s(k)`` returns the k-th input view,
# ``d(k)`` the k-th output view (same shapes), ``t`` a list of scratch arrays of that
# shape. Each program equals its matrix (tests/ops/test_conv_winograd.py checks it);
# common subexpressions are shared so that each output costs few passes.
# -----------------------------------------------------------------------------
def _bt2(s, d, t):
    """``d = B^T s`` for F(2, 3): 4 passes."""
    np.subtract(s(0), s(2), out=d(0))
    np.add(s(1), s(2), out=d(1))
    np.subtract(s(2), s(1), out=d(2))
    np.subtract(s(1), s(3), out=d(3))


def _bt4(s, d, t):
    """``d = B^T s`` for F(4, 3): 17 passes."""
    t0, t1 = t[0], t[1]
    # rows 1, 2: (s4 - 4 s2) +- (s3 - 4 s1)
    np.multiply(s(2), -4, out=t0)
    t0 += s(4)
    np.multiply(s(1), -4, out=t1)
    t1 += s(3)
    np.add(t0, t1, out=d(1))
    np.subtract(t0, t1, out=d(2))
    # rows 3, 4: (s4 - s2) +- 2 (s3 - s1)
    np.subtract(s(4), s(2), out=t0)
    np.subtract(s(3), s(1), out=t1)
    t1 *= 2
    np.add(t0, t1, out=d(3))
    np.subtract(t0, t1, out=d(4))
    # row 0: 4 s0 - 5 s2 + s4 = 4 (s0 - s2) + (s4 - s2)
    d0 = d(0)
    np.subtract(s(0), s(2), out=d0)
    d0 *= 4
    d0 += t0
    # row 5: 4 s1 - 5 s3 + s5 = (s5 - s3) - 2 * [2 (s3 - s1)]
    d5 = d(5)
    np.subtract(s(5), s(3), out=d5)
    t1 *= 2
    d5 -= t1


def _at2(s, d, t):
    """``d = A^T s`` for F(2, 3): 4 passes."""
    d0, d1 = d(0), d(1)
    np.add(s(0), s(1), out=d0)
    d0 += s(2)
    np.subtract(s(1), s(2), out=d1)
    d1 -= s(3)


def _at4(s, d, t):
    """``d = A^T s`` for F(4, 3): 13 passes."""
    s12, d12, s34, d34, tmp = t[:5]
    np.add(s(1), s(2), out=s12)
    np.subtract(s(1), s(2), out=d12)
    np.add(s(3), s(4), out=s34)
    np.subtract(s(3), s(4), out=d34)
    d0 = d(0)
    np.add(s(0), s12, out=d0)
    d0 += s34
    np.multiply(d34, 2, out=tmp)
    np.add(d12, tmp, out=d(1))
    np.multiply(s34, 4, out=tmp)
    np.add(s12, tmp, out=d(2))
    d3 = d(3)
    np.multiply(d34, 8, out=tmp)
    np.add(d12, tmp, out=d3)
    d3 += s(5)


def _a2(s, d, t):
    """``d = A s`` (``A = (A^T)^T``, length m -> a) for F(2, 3): 4 passes."""
    np.copyto(d(0), s(0))
    np.add(s(0), s(1), out=d(1))
    np.subtract(s(0), s(1), out=d(2))
    np.negative(s(1), out=d(3))


def _a4(s, d, t):
    """``d = A s`` for F(4, 3): 12 passes."""
    t0, t1 = t[0], t[1]
    np.copyto(d(0), s(0))
    np.copyto(d(5), s(3))
    # rows 1, 2: (s0 + s2) +- (s1 + s3)
    np.add(s(0), s(2), out=t0)
    np.add(s(1), s(3), out=t1)
    np.add(t0, t1, out=d(1))
    np.subtract(t0, t1, out=d(2))
    # rows 3, 4: (s0 + 4 s2) +- 2 (s1 + 4 s3)
    np.multiply(s(2), 4, out=t0)
    t0 += s(0)
    np.multiply(s(3), 4, out=t1)
    t1 += s(1)
    t1 *= 2
    np.add(t0, t1, out=d(3))
    np.subtract(t0, t1, out=d(4))


_PROGRAMS = {2: (_bt2, _at2, _a2), 4: (_bt4, _at4, _a4)}
_SCRATCH = {2: (0, 0, 0), 4: (2, 5, 2)}  # scratch arrays needed by each program


class _Workspace:
    """Named flat buffers, allocated once per call and handed out as reshaped prefixes,
    so that every batch chunk (the last one may be smaller) reuses the same memory."""

    def __init__(self, dtype):
        self.dtype = dtype
        self._bufs = {}
        self.extra = {}  # results a worker keeps across its chunks

    def get(self, name, shape):
        size = int(math.prod(shape))
        buf = self._bufs.get(name)
        if buf is None or buf.size < size:
            buf = self._bufs[name] = np.empty(size, dtype=self.dtype)
        return buf[:size].reshape(shape)

    def scratch(self, name, count, shape):
        return [self.get(f"{name}{i}", shape) for i in range(count)]
