"""The geometry of a sliding window (conv, pool, unfold): :class:`Window`.

Every sliding-window op (the convolutions of :mod:`glassnet.ops.conv`, the pools of
:mod:`glassnet.ops.pool`, unfold/fold) shares this geometry:

1. The zero-padded input is written into a *grid* whose rows are split by stride phase:
   ``xq[n, c, ri, rj, a * Wq + b] = x_padded[n, c, a * sh + ri, b * sw + rj]``.
   For stride 1 this is just the padded image (no extra copy).
2. Kernel tap ``(i, j)`` then reads the phase plane ``(i*dh % sh, j*dw % sw)`` at the flat
   offset ``(i*dh // sh) * Wq + (j*dw // sw)``, and the ``Ho`` output rows it needs are
   ONE contiguous run of ``Ho * Wq`` values. Outputs are computed on a ``Ho x Wq`` canvas
   whose last ``Wq - Wo`` columns are garbage (they wrap into the next row) and are
   cropped; gradients are zero-padded to the canvas so the garbage columns add zeros.

This turns im2col into ``kh * kw`` contiguous block copies and col2im into ``kh * kw``
contiguous block adds (no ``np.add.at``, no per-pixel loop). Columns are channel-major,
``(C_in, kh*kw, N, Ho*Wq)``, so each product of a convolution (output, input gradient,
weight gradient) is one GEMM per group over the whole batch, e.g. the forward
``(C_out/G, C_in/G * kh*kw) @ (C_in/G * kh*kw, N * Ho*Wq)``.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from glassnet.backend import get_array_module

__all__ = ["Window"]


class Window:
    """Geometry of an N-d (1 <= N <= 3 in practice) sliding window on a phase-split,
    row-pitched grid; the 2-D case is described in the module docstring.

    Parameters
    ----------
    in_hw : tuple of int
        Unpadded input size, e.g. ``(H, W)`` or ``(D, H, W)``.
    out_hw : tuple of int
        Number of window positions per spatial dim.
    kernel, stride, dilation : tuple of int
        Window geometry.
    pad : tuple of int
        Padding before the input. Padding after it is implied: every read beyond the
        input sees ``fill``.

    Notes
    -----
    Dim ``d`` of the grid has ``G_d = out_d + q_d`` rows per stride phase, with ``q_d =
    dilation_d (k_d - 1) // stride_d`` the largest tap offset, plus one spare slab in
    the first dim so that the garbage canvas entries of the last tap stay in bounds.
    The output canvas is ``out_0 x G_1 x ... x G_{N-1}`` (``L`` values); its entries
    beyond ``out_d`` in dims ``d >= 1`` are garbage, cropped by :meth:`crop`.
    """

    def __init__(self, in_hw, out_hw, kernel, stride, pad, dilation):
        self.in_size = tuple(int(v) for v in in_hw)
        self.out_size = tuple(int(v) for v in out_hw)
        self.kernel = tuple(int(v) for v in kernel)
        self.stride = tuple(int(v) for v in stride)
        self.pad = tuple(int(v) for v in pad)
        self.dilation = tuple(int(v) for v in dilation)
        nd = self.nd = len(self.in_size)
        qmax = [d * (k - 1) // s for d, k, s in zip(self.dilation, self.kernel, self.stride)]
        # NOTE: one spare slab in dim 0 so that the garbage columns of the last tap stay
        # in bounds.
        self.grid = tuple(o + q + (1 if d == 0 else 0)
                          for d, (o, q) in enumerate(zip(self.out_size, qmax)))
        self.canvas = (self.out_size[0],) + self.grid[1:]
        self.L = int(math.prod(self.canvas))
        self.plane = int(math.prod(self.grid))
        pitch = [int(math.prod(self.grid[d + 1:])) for d in range(nd)]
        self.taps = []
        for pos in np.ndindex(*self.kernel):
            phase, off = [], 0
            for d in range(nd):
                q, r = divmod(pos[d] * self.dilation[d], self.stride[d])
                phase.append(r)
                off += q * pitch[d]
            self.taps.append((tuple(phase), off))
        # Channel-major flat layout of the shifted-GEMM engine (see ``to_cgrid``): each
        # image is a block of ``cdims`` values per phase (``cplane`` in all), images one
        # after the other. In a stride-1 dim, consecutive rows (and images) SHARE their
        # zero padding: a pitch of ``in + max(pad_before, pad_after)`` instead of
        # ``in + pad_before + pad_after`` (the zeros after one row are the zeros before
        # the next), which cuts the garbage canvas positions, i.e. wasted GEMM columns,
        # e.g. from 56% to 27% on an 8x8 image with a 3x3 kernel. Strided dims keep the
        # phase-grid size ``out + q``.
        cdims = []
        for d in range(nd):
            reach = self.dilation[d] * (self.kernel[d] - 1)
            natural = self.out_size[d] + qmax[d]
            if self.stride[d] == 1:
                after = max(0, self.out_size[d] + reach - self.pad[d] - self.in_size[d])
                shared = self.in_size[d] + max(self.pad[d], after)
                cdims.append(shared if self.out_size[d] <= shared else natural)
            else:
                cdims.append(natural)
        self.cdims = tuple(cdims)
        self.crows = self.cdims[0]
        self.cplane = int(math.prod(self.cdims))
        self.nphase = int(math.prod(self.stride))
        cpitch = [int(math.prod(self.cdims[d + 1:])) for d in range(nd)]
        self.ctaps = []
        for pos in np.ndindex(*self.kernel):
            phase, off = [], 0
            for d in range(nd):
                q, r = divmod(pos[d] * self.dilation[d], self.stride[d])
                phase.append(r)
                off += q * cpitch[d]
            self.ctaps.append((int(np.ravel_multi_index(phase, self.stride)), off))
        self.maxoff = max(off for _, off in self.ctaps)
        if nd == 2:  # the 2-D names used by the pooling code
            self.H, self.W = self.in_size
            self.Ho, self.Wo = self.out_size
            self.kh, self.kw = self.kernel
            self.sh, self.sw = self.stride
            self.pt, self.pl = self.pad
            self.dh, self.dw = self.dilation
            self.Hq, self.Wq = self.grid

    @staticmethod
    def cached(in_hw, out_hw, kernel, stride, pad, dilation) -> "Window":
        """The :class:`Window` of this geometry, built once per process (a Window is
        never modified after construction; building one costs ~50-150 us, a sizeable
        share of a small model's step)."""
        return _window(*(tuple(int(v) for v in a)
                         for a in (in_hw, out_hw, kernel, stride, pad, dilation)))

    @property
    def ntaps(self) -> int:
        return len(self.taps)

    def _inside(self):
        """Slices of the padded grid holding the input, and of the input that fit."""
        full = tuple(g * s for g, s in zip(self.grid, self.stride))
        ext = tuple(min(n, f - p) for n, f, p in zip(self.in_size, full, self.pad))
        dst = tuple(slice(p, p + e) for p, e in zip(self.pad, ext))
        src = tuple(slice(0, e) for e in ext)
        return full, dst, src, ext

    def _phases(self):
        return np.ndindex(*self.stride)

    # -- grid <-> image ---------------------------------------------------------
    def to_grid(self, x, fill=0.0):
        """``(N, C, *in_size)`` image -> ``(N, C, *stride, plane)`` phase grid."""
        n, c = x.shape[:2]
        full, dst, src, _ = self._inside()
        xp = get_array_module(x)
        if fill == 0:
            grid = xp.zeros((n, c) + full, dtype=x.dtype)
        else:
            grid = xp.full((n, c) + full, fill, dtype=x.dtype)
        grid[(slice(None), slice(None)) + dst] = x[(slice(None), slice(None)) + src]
        if all(s == 1 for s in self.stride):
            return grid.reshape((n, c) + self.stride + (self.plane,))
        # One strided copy per phase (a single transpose would copy 2 values at a time).
        xq = xp.empty((n, c) + self.stride + self.grid, dtype=x.dtype)
        for r in self._phases():
            sel = tuple(slice(ri, None, si) for ri, si in zip(r, self.stride))
            xq[(slice(None), slice(None)) + r] = grid[(slice(None), slice(None)) + sel]
        return xq.reshape((n, c) + self.stride + (self.plane,))

    def from_grid(self, gq):
        """Adjoint of :meth:`to_grid` (for fill 0): phase grid -> ``(N, C, *in_size)``."""
        n, c = gq.shape[:2]
        full, dst, src, ext = self._inside()
        xp = get_array_module(gq)
        if all(s == 1 for s in self.stride):
            grid = gq.reshape((n, c) + full)
        else:
            gq = gq.reshape((n, c) + self.stride + self.grid)
            grid = xp.empty((n, c) + full, dtype=gq.dtype)
            for r in self._phases():
                sel = tuple(slice(ri, None, si) for ri, si in zip(r, self.stride))
                grid[(slice(None), slice(None)) + sel] = gq[(slice(None), slice(None)) + r]
        out = grid[(slice(None), slice(None)) + dst]
        if ext != self.in_size:  # input rows/cols that no window reads
            whole = xp.zeros((n, c) + self.in_size, dtype=gq.dtype)
            whole[(slice(None), slice(None)) + src] = out
            out = whole
        return out

    def tap(self, xq, t):
        """The ``(N, C, L)`` view that kernel tap ``t`` reads."""
        phase, off = self.taps[t]
        return xq[(slice(None), slice(None)) + phase + (slice(off, off + self.L),)]

    def new_grid(self, n, c, like):
        """Zero phase grid with the dtype and array module of the array ``like``."""
        xp = get_array_module(like)
        return xp.zeros((n, c) + self.stride + (self.plane,), dtype=like.dtype)

    # -- columns ------------------------------------------------------------------
    def im2col(self, xq):
        """``(C, ntaps, N, L)`` column tensor (ntaps contiguous block copies).

        Channel-major, so that a convolution is ONE GEMM per group over all N samples
        (many small per-sample GEMMs scale badly over BLAS threads).
        """
        n, c = xq.shape[:2]
        cols = get_array_module(xq).empty((c, self.ntaps, n, self.L), dtype=xq.dtype)
        for t in range(self.ntaps):
            cols[:, t] = self.tap(xq, t).transpose(1, 0, 2)
        return cols

    def col2im(self, cols):
        """Adjoint of :meth:`im2col`: add each tap's block back into a phase grid."""
        c, _, n = cols.shape[:3]
        gq = self.new_grid(n, c, cols)
        for t in range(self.ntaps):
            view = self.tap(gq, t)
            # NOTE: not ``tap(...)[...] +=``, which would write every value twice.
            view += cols[:, t].transpose(1, 0, 2)
        return gq

    # -- canvas <-> output ----------------------------------------------------------
    def crop(self, y):
        """``(..., L)`` canvas -> ``(..., *out_size)`` (a view)."""
        y = y.reshape(y.shape[:-1] + self.canvas)
        return y[(Ellipsis,) + tuple(slice(0, o) for o in self.out_size[1:])]

    def pad_canvas(self, g):
        """``(..., *out_size)`` -> ``(..., L)`` with zeros in the garbage entries."""
        nd = self.nd
        lead = g.shape[:-nd]
        xp = get_array_module(g)
        if self.canvas == self.out_size:
            return xp.ascontiguousarray(g).reshape(lead + (self.L,))
        out = xp.zeros(lead + self.canvas, dtype=g.dtype)
        out[(Ellipsis,) + tuple(slice(0, o) for o in self.out_size[1:])] = g
        return out.reshape(lead + (self.L,))


    # -- channel-major flat layout (the shifted-GEMM engine) --------------------------
    def _cfull(self):
        """Padded size covered by the channel-major grid, and the input slices in it."""
        full = tuple(c * s for c, s in zip(self.cdims, self.stride))
        ext = tuple(min(n, f - p) for n, f, p in zip(self.in_size, full, self.pad))
        dst = tuple(slice(p, p + e) for p, e in zip(self.pad, ext))
        src = tuple(slice(0, e) for e in ext)
        return full, dst, src, ext

    def ccols(self, n: int) -> int:
        """Number of canvas positions of a batch of ``n``: ``n * cplane``."""
        return n * self.cplane

    def _cview(self, g, n):
        """``(C, S, n*cplane + maxoff)`` buffer -> ``(C, *stride, n, *cdims)`` view."""
        c = g.shape[0]
        body = g[:, :, :n * self.cplane]
        return body.reshape((c,) + self.stride + (n,) + self.cdims, copy=False)

    def to_cgrid(self, x):
        """``(N, C, *in_size)`` image -> channel-major grid ``(C, S, N*cplane + maxoff)``.

        ``g[c, phase, n*cplane + a*pitch + ...] = x_padded[n, c, a*s + r, ...]``: every
        image's padded phase planes one after the other, so that kernel tap ``t`` reads
        ONE 2-D window ``g[:, phase_t, off_t : off_t + N*cplane]`` for the whole batch.
        """
        n, c = x.shape[:2]
        if self.nphase == 1 and self.nd == 2:  # stride 1: the compiled kernel, if any
            flat = _dense().flat_planes(x, *self.cdims, *self.pad, tail=self.maxoff)
            if flat is not None:
                return flat.reshape(c, 1, -1)
        full, dst, src, _ = self._cfull()
        xp = get_array_module(x)
        g = xp.zeros((c, self.nphase, n * self.cplane + self.maxoff), dtype=x.dtype)
        xt = x.swapaxes(0, 1)[(slice(None), slice(None)) + src]  # (C, N, *ext)
        view = self._cview(g, n)
        if self.nphase == 1:
            img = view.reshape((c, n) + full, copy=False)
            img[(slice(None), slice(None)) + dst] = xt
            return g
        padded = xp.zeros((c, n) + full, dtype=x.dtype)
        padded[(slice(None), slice(None)) + dst] = xt
        for r in self._phases():
            sel = tuple(slice(ri, None, si) for ri, si in zip(r, self.stride))
            view[(slice(None),) + r] = padded[(slice(None), slice(None)) + sel]
        return g

    def from_cgrid(self, g, n):
        """Adjoint of :meth:`to_cgrid`: channel-major grid -> ``(N, C, *in_size)``."""
        c = g.shape[0]
        if self.nphase == 1 and self.nd == 2 and g.flags.c_contiguous:
            out = _dense().from_flat_planes(g.reshape(c, -1), n, *self.in_size, *self.cdims,
                                            *self.pad)
            if out is not None:
                return out
        full, dst, src, ext = self._cfull()
        xp = get_array_module(g)
        view = self._cview(g, n)
        if self.nphase == 1:
            img = view.reshape((c, n) + full, copy=False)
        else:
            img = xp.empty((c, n) + full, dtype=g.dtype)
            for r in self._phases():
                sel = tuple(slice(ri, None, si) for ri, si in zip(r, self.stride))
                img[(slice(None), slice(None)) + sel] = view[(slice(None),) + r]
        inner = img[(slice(None), slice(None)) + dst].swapaxes(0, 1)
        if ext == self.in_size:
            return xp.ascontiguousarray(inner)
        out = xp.zeros((n, c) + self.in_size, dtype=g.dtype)
        out[(slice(None), slice(None)) + src] = inner
        return out

    def coutput(self, y, n, bias=None):
        """``(O, n*cplane)`` canvas -> a new contiguous ``(n, O, *out_size)`` array, plus
        ``bias`` per channel when given (the crop of :meth:`ccrop`, copied)."""
        if self.nd == 2 and y.flags.c_contiguous:
            out = _dense().from_flat_planes(y, n, *self.out_size, *self.cdims, 0, 0, bias)
            if out is not None:
                return out
        return _output(self.ccrop(y, n), bias)

    def ccrop(self, y, n):
        """``(O, n*cplane)`` canvas -> ``(n, O, *out_size)`` view."""
        o = y.shape[0]
        y = y.reshape((o, n) + self.cdims)
        return y[(slice(None), slice(None)) + tuple(slice(0, s) for s in self.out_size)
                 ].swapaxes(0, 1)

    def cpad(self, g):
        """``(N, O, *out_size)`` -> ``(O, N*cplane)`` canvas, zero at garbage positions."""
        n, o = g.shape[:2]
        if self.nd == 2:
            flat = _dense().flat_planes(g, *self.cdims, 0, 0)
            if flat is not None:
                return flat
        xp = get_array_module(g)
        out = xp.zeros((o, n * self.cplane), dtype=g.dtype)
        view = out.reshape((o, n) + self.cdims)
        view[(slice(None), slice(None)) + tuple(slice(0, s) for s in self.out_size)] = \
            g.swapaxes(0, 1)
        return out


def _output(y, bias=None):
    """Copy an ``(N, C, *spatial)`` view to a contiguous array, adding ``bias`` per channel
    on the way."""
    xp = get_array_module(y)
    out = xp.empty(y.shape, dtype=y.dtype)
    if bias is None:
        xp.copyto(out, y)
    else:
        xp.add(y, bias.reshape((-1,) + (1,) * (y.ndim - 2)), out=out)
    return out


def _dense():
    # The compiled layout kernels (glassnet.ops.kernels.dense; None-returning without
    # numba), imported on first use: they import nothing from here.
    from glassnet.ops.kernels import dense

    return dense


@functools.lru_cache(maxsize=1024)
def _window(in_hw, out_hw, kernel, stride, pad, dilation):
    return Window(in_hw, out_hw, kernel, stride, pad, dilation)
