"""Convolution ops: conv2d, conv_transpose2d, unfold (im2col) and fold (col2im).

Every sliding-window op (these and the pools in :mod:`glassnet.ops.pool`) shares one
piece of machinery, :class:`Window`:

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

import numpy as np

from glassnet.autograd import Function
from glassnet.backend import get_array_module

__all__ = ["Window", "Conv2d", "ConvTranspose2d", "Unfold", "Fold"]


class Window:
    """Geometry of a 2-D sliding window on a phase-split, row-pitched grid.

    Parameters
    ----------
    in_hw : (int, int)
        Unpadded input size ``(H, W)``.
    out_hw : (int, int)
        Number of window positions ``(Ho, Wo)``.
    kernel, stride, dilation : (int, int)
        Window geometry.
    pad : (int, int)
        Padding before the input (top, left). Padding after it is implied: every read
        beyond the input sees ``fill``.
    """

    def __init__(self, in_hw, out_hw, kernel, stride, pad, dilation):
        self.H, self.W = in_hw
        self.Ho, self.Wo = out_hw
        self.kh, self.kw = kernel
        self.sh, self.sw = stride
        self.pt, self.pl = pad
        self.dh, self.dw = dilation
        qi_max = self.dh * (self.kh - 1) // self.sh
        qj_max = self.dw * (self.kw - 1) // self.sw
        self.Wq = self.Wo + qj_max
        # NOTE: one spare row so that the garbage columns of the last tap stay in bounds.
        self.Hq = self.Ho + qi_max + 1
        self.L = self.Ho * self.Wq
        self.plane = self.Hq * self.Wq
        self.taps = []
        for i in range(self.kh):
            qi, ri = divmod(i * self.dh, self.sh)
            for j in range(self.kw):
                qj, rj = divmod(j * self.dw, self.sw)
                self.taps.append((ri, rj, qi * self.Wq + qj))

    @property
    def ntaps(self) -> int:
        return self.kh * self.kw

    # -- grid <-> image ---------------------------------------------------------
    def to_grid(self, x, fill=0.0):
        """``(N, C, H, W)`` image -> ``(N, C, sh, sw, Hq * Wq)`` phase grid."""
        n, c = x.shape[:2]
        sh, sw = self.sh, self.sw
        gh, gw = self.Hq * sh, self.Wq * sw
        xp = get_array_module(x)
        if fill == 0:
            grid = xp.zeros((n, c, gh, gw), dtype=x.dtype)
        else:
            grid = xp.full((n, c, gh, gw), fill, dtype=x.dtype)
        h1 = min(self.H, gh - self.pt)
        w1 = min(self.W, gw - self.pl)
        grid[:, :, self.pt:self.pt + h1, self.pl:self.pl + w1] = x[:, :, :h1, :w1]
        if sh == 1 and sw == 1:
            return grid.reshape(n, c, 1, 1, gh * gw)
        # One strided copy per phase (a single 6-D transpose would copy 2 values at a time).
        xq = xp.empty((n, c, sh, sw, self.Hq, self.Wq), dtype=x.dtype)
        for ri in range(sh):
            for rj in range(sw):
                xq[:, :, ri, rj] = grid[:, :, ri::sh, rj::sw]
        return xq.reshape(n, c, sh, sw, self.plane)

    def from_grid(self, gq):
        """Adjoint of :meth:`to_grid` (for fill 0): phase grid -> ``(N, C, H, W)``."""
        n, c = gq.shape[:2]
        sh, sw = self.sh, self.sw
        gh, gw = self.Hq * sh, self.Wq * sw
        xp = get_array_module(gq)
        if sh == 1 and sw == 1:
            grid = gq.reshape(n, c, gh, gw)
        else:
            gq = gq.reshape(n, c, sh, sw, self.Hq, self.Wq)
            grid = xp.empty((n, c, gh, gw), dtype=gq.dtype)
            for ri in range(sh):
                for rj in range(sw):
                    grid[:, :, ri::sh, rj::sw] = gq[:, :, ri, rj]
        h1 = min(self.H, gh - self.pt)
        w1 = min(self.W, gw - self.pl)
        out = grid[:, :, self.pt:self.pt + h1, self.pl:self.pl + w1]
        if h1 < self.H or w1 < self.W:  # input rows/cols that no window reads
            full = xp.zeros((n, c, self.H, self.W), dtype=gq.dtype)
            full[:, :, :h1, :w1] = out
            out = full
        return out

    def tap(self, xq, t):
        """The ``(N, C, Ho * Wq)`` view that kernel tap ``t`` reads."""
        ri, rj, off = self.taps[t]
        return xq[:, :, ri, rj, off:off + self.L]

    def new_grid(self, n, c, like):
        """Zero phase grid with the dtype and array module of the array ``like``."""
        xp = get_array_module(like)
        return xp.zeros((n, c, self.sh, self.sw, self.plane), dtype=like.dtype)

    # -- columns ------------------------------------------------------------------
    def im2col(self, xq):
        """``(C, kh*kw, N, Ho*Wq)`` column tensor (kh*kw contiguous block copies).

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
        """``(..., Ho * Wq)`` canvas -> ``(..., Ho, Wo)`` (a view)."""
        return y.reshape(y.shape[:-1] + (self.Ho, self.Wq))[..., :self.Wo]

    def pad_canvas(self, g):
        """``(..., Ho, Wo)`` -> ``(..., Ho * Wq)`` with zeros in the garbage columns."""
        lead = g.shape[:-2]
        xp = get_array_module(g)
        if self.Wq == self.Wo:
            return xp.ascontiguousarray(g).reshape(lead + (self.L,))
        out = xp.zeros(lead + (self.Ho, self.Wq), dtype=g.dtype)
        out[..., :self.Wo] = g
        return out.reshape(lead + (self.L,))


def _output(y, bias=None):
    """Copy an ``(N, C, Ho, Wo)`` view to a contiguous array, adding ``bias`` on the way."""
    xp = get_array_module(y)
    out = xp.empty(y.shape, dtype=y.dtype)
    if bias is None:
        xp.copyto(out, y)
    else:
        xp.add(y, bias.reshape((-1,) + (1,) * (y.ndim - 2)), out=out)
    return out


def _nchw(y):
    """``(O, N, Ho, Wo)`` -> ``(N, O, Ho, Wo)`` view."""
    return y.transpose(1, 0, 2, 3)


# -----------------------------------------------------------------------------
# The three products of a (grouped) convolution, on phase grids and canvases.
#   xq: input grid (N, C, sh, sw, *), w: (O, C/G, kh, kw), y: output canvas (O, N, L)
# -----------------------------------------------------------------------------
def _is_depthwise(w, groups):
    return w.shape[1] == 1 and groups > 1


def _conv_apply(xq, w, win, groups):
    """Output canvas ``(O, N, Ho*Wq)`` of the convolution of grid ``xq`` with ``w``."""
    n, c = xq.shape[:2]
    o = w.shape[0]
    xp = get_array_module(xq, w)
    if _is_depthwise(w, groups):
        # Depthwise (one input channel per group): a multiply-add per tap beats N*C tiny
        # GEMMs. m = output channels per input channel.
        m = o // c
        wt = w.reshape(c, m, win.ntaps)
        y = xp.empty((c, m, n, win.L), dtype=xq.dtype)
        tmp = xp.empty_like(y)
        for t in range(win.ntaps):
            x_t = win.tap(xq, t).transpose(1, 0, 2)[:, None]  # (C, 1, N, L)
            xp.multiply(wt[:, :, t, None, None], x_t, out=tmp if t else y)
            if t:
                y += tmp
        return y.reshape(o, n, win.L)
    kg = w.shape[1] * win.ntaps
    cols = win.im2col(xq).reshape(groups, kg, n * win.L)
    y = xp.matmul(w.reshape(groups, o // groups, kg), cols)  # (G, O/G, N*L)
    return y.reshape(o, n, win.L)


def _conv_adjoint(yp, w, win, groups, in_channels):
    """Input-grid gradient of :func:`_conv_apply` for the canvas gradient ``yp``."""
    n = yp.shape[1]
    o = w.shape[0]
    xp = get_array_module(yp, w)
    if _is_depthwise(w, groups):
        m = o // in_channels
        wt = w.reshape(in_channels, m, win.ntaps)
        y4 = yp.reshape(in_channels, m, n, win.L)
        gq = win.new_grid(n, in_channels, yp)
        tmp = xp.empty((in_channels, n, win.L), dtype=yp.dtype)
        for t in range(win.ntaps):
            if m == 1:
                xp.multiply(y4[:, 0], wt[:, 0, t, None, None], out=tmp)
            elif xp is np:
                np.einsum("cmnl,cm->cnl", y4, wt[:, :, t], out=tmp)
            else:  # cupy.einsum has no ``out=``
                tmp[...] = xp.einsum("cmnl,cm->cnl", y4, wt[:, :, t])
            view = win.tap(gq, t)
            view += tmp.transpose(1, 0, 2)
        return gq
    kg = w.shape[1] * win.ntaps
    wg = w.reshape(groups, o // groups, kg).transpose(0, 2, 1)
    cols = xp.matmul(wg, yp.reshape(groups, o // groups, n * win.L))  # (G, Kg, N*L)
    return win.col2im(cols.reshape(in_channels, win.ntaps, n, win.L))


def _conv_weight_grad(yp, xq, w_shape, win, groups):
    """Weight gradient of :func:`_conv_apply`: ``yp @ cols^T`` per group."""
    n, c = xq.shape[:2]
    o = w_shape[0]
    xp = get_array_module(yp, xq)
    if w_shape[1] == 1 and groups > 1:
        m = o // c
        y4 = yp.reshape(c, m, n, win.L)
        gw = xp.empty((c, m, win.ntaps), dtype=yp.dtype)
        for t in range(win.ntaps):
            gw[:, :, t] = xp.einsum("cmnl,ncl->cm", y4, win.tap(xq, t))
        return gw.reshape(w_shape)
    kg = w_shape[1] * win.ntaps
    cols = win.im2col(xq).reshape(groups, kg, n * win.L)
    # NOTE: the garbage canvas columns of ``cols`` hold real pixels, but ``yp`` is zero
    # there, so they contribute nothing.
    gw = xp.matmul(yp.reshape(groups, o // groups, n * win.L), cols.transpose(0, 2, 1))
    return gw.reshape(w_shape)


# -----------------------------------------------------------------------------
# Functions
# -----------------------------------------------------------------------------
class Conv2d(Function):
    """2-D cross-correlation ``y = w * x + b`` as im2col + GEMM.

    ``forward(x, w, b=None, *, window, groups)`` with ``x: (N, C, H, W)``,
    ``w: (O, C/groups, kh, kw)``, ``b: (O,)``; ``window`` is a :class:`Window`.
    """

    def forward(self, x, w, b=None, *, window, groups):
        self.save_for_backward(x, w)
        self.win, self.groups = window, groups
        xq = window.to_grid(x)
        if self.needs_input_grad[1]:
            self.xq = xq
        y = _conv_apply(xq, w, window, groups)
        return _output(_nchw(window.crop(y)), b)

    def backward(self, g):
        x, w = self.saved_tensors
        win, groups = self.win, self.groups
        gp = win.pad_canvas(_nchw(g))  # (O, N, L)
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            gx = win.from_grid(_conv_adjoint(gp, w, win, groups, x.shape[1]))
        if self.needs_input_grad[1]:
            gw = _conv_weight_grad(gp, self.xq, w.shape, win, groups)
        if len(self.needs_input_grad) == 3 and self.needs_input_grad[2]:
            gb = g.sum(axis=(0, 2, 3))
        return (gx, gw, gb)[:len(self.needs_input_grad)]


class ConvTranspose2d(Function):
    """Transposed convolution: the adjoint (input gradient) of :class:`Conv2d`.

    ``forward(x, w, b=None, *, window, groups)`` with ``x: (N, C_in, H, W)``,
    ``w: (C_in, C_out/groups, kh, kw)``; ``window`` is the geometry of the *forward*
    convolution that maps the ``(H_out, W_out)`` output back onto ``(H, W)``.
    """

    def forward(self, x, w, b=None, *, window, groups):
        self.save_for_backward(x, w)
        self.win, self.groups = window, groups
        c_out = w.shape[1] * groups
        xp = window.pad_canvas(_nchw(x))  # (C_in, N, L)
        if self.needs_input_grad[1]:
            self.xp = xp
        return _output(window.from_grid(_conv_adjoint(xp, w, window, groups, c_out)), b)

    def backward(self, g):
        x, w = self.saved_tensors
        win, groups = self.win, self.groups
        gq = win.to_grid(g)
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            gx = _output(_nchw(win.crop(_conv_apply(gq, w, win, groups))))
        if self.needs_input_grad[1]:
            gw = _conv_weight_grad(self.xp, gq, w.shape, win, groups)
        if len(self.needs_input_grad) == 3 and self.needs_input_grad[2]:
            gb = g.sum(axis=(0, 2, 3))
        return (gx, gw, gb)[:len(self.needs_input_grad)]


def _cols_to_blocks(cols, win):
    """``(C, T, N, L)`` canvas columns -> torch's ``(N, C*T, Ho*Wo)`` block matrix."""
    c, t, n = cols.shape[:3]
    blocks = win.crop(cols).transpose(2, 0, 1, 3, 4)  # (N, C, T, Ho, Wo)
    xp = get_array_module(cols)
    return xp.ascontiguousarray(blocks).reshape(n, c * t, win.Ho * win.Wo)


def _blocks_to_cols(blocks, win):
    """Inverse of :func:`_cols_to_blocks` (zeros in the garbage canvas columns)."""
    n, ct = blocks.shape[:2]
    b = blocks.reshape(n, ct // win.ntaps, win.ntaps, win.Ho, win.Wo)
    return win.pad_canvas(b.transpose(1, 2, 0, 3, 4))


class Unfold(Function):
    """im2col: ``(N, C, H, W) -> (N, C*kh*kw, Ho*Wo)`` (``torch.nn.functional.unfold``)."""

    def forward(self, x, *, window):
        self.win = window
        return _cols_to_blocks(window.im2col(window.to_grid(x)), window)

    def backward(self, g):
        win = self.win
        return win.from_grid(win.col2im(_blocks_to_cols(g, win)))


class Fold(Function):
    """col2im: ``(N, C*kh*kw, L) -> (N, C, H, W)``, summing overlapping values."""

    def forward(self, cols, *, window):
        self.win = window
        return _output(window.from_grid(window.col2im(_blocks_to_cols(cols, window))))

    def backward(self, g):
        win = self.win
        return _cols_to_blocks(win.im2col(win.to_grid(g)), win)
