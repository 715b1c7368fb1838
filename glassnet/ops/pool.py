"""Pooling ops: max / average pooling, their adaptive forms, and max unpooling.

Windowed pools reuse the phase-grid :class:`~glassnet.ops.conv.Window` of the conv ops:
each kernel tap is one contiguous ``(N, C, Ho * Wq)`` view of the padded input, so a
pool is a loop over the ``kh * kw`` taps (never over pixels), and its backward adds one
masked or scaled block per tap back into the grid (no ``np.add.at``).

Adaptive pools use bins ``start = floor(i * H / out)``, ``end = ceil((i + 1) * H / out)``
(PyTorch's); both are separable: the average is ``A_h @ x @ A_w^T`` with two small
averaging matrices, the max is a max over columns followed by a max over rows.
"""
from __future__ import annotations

import numpy as np

from glassnet.autograd import Function, is_grad_enabled
from glassnet.backend import get_array_module
from glassnet.ops.conv import Window

__all__ = ["MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d",
           "MaxUnpool2d", "adaptive_bins", "first_valid_tap"]


def first_valid_tap(win: Window):
    """Index of the first in-bounds tap of every canvas position ``(Ho, Wq)``."""
    ho = np.arange(win.Ho)
    wo = np.arange(win.Wq)
    # smallest i with ho * sh - pt + i * dh >= 0
    i0 = np.maximum(0, -((ho * win.sh - win.pt) // win.dh))
    j0 = np.maximum(0, -((wo * win.sw - win.pl) // win.dw))
    i0 = np.minimum(i0, win.kh - 1)
    j0 = np.minimum(j0, win.kw - 1)
    return (i0[:, None] * win.kw + j0[None, :]).reshape(-1)


def _tap_to_flat_index(arg, win: Window):
    """Map tap ids ``(N, C, Ho, Wo)`` to flat indices into each ``H * W`` input plane."""
    xp = get_array_module(arg)
    i, j = xp.divmod(arg.astype(np.int64), win.kw)
    h = xp.arange(win.Ho)[:, None] * win.sh - win.pt + i * win.dh
    w = xp.arange(win.Wo)[None, :] * win.sw - win.pl + j * win.dw
    return h * win.W + w


def _tiles(win: Window):
    """True for non-overlapping, unpadded, undilated windows (the classic 2x2/2 pool)."""
    return ((win.sh, win.sw) == (win.kh, win.kw) and win.pt == win.pl == 0
            and win.dh == win.dw == 1 and win.Ho * win.kh <= win.H
            and win.Wo * win.kw <= win.W)


def _tile_taps(x, win: Window):
    """The ``(N, C, Ho, Wo)`` strided view of every tap of a tiled window (no copy)."""
    return [x[:, :, i:i + win.kh * win.Ho:win.kh, j:j + win.kw * win.Wo:win.kw]
            for i in range(win.kh) for j in range(win.kw)]


class MaxPool2d(Function):
    """Max over each window; ``side['indices']`` receives torch-style flat indices.

    ``forward(x, *, window, side=None)`` with ``x: (N, C, H, W)``. Tiled windows (stride
    = kernel, no padding or dilation) read strided views of ``x``; the others read the
    contiguous taps of a ``-inf``-padded phase grid.
    """

    def forward(self, x, *, window, side=None):
        win = window
        self.win = win
        self.in_shape = x.shape
        self.tiled = _tiles(win)
        if self.tiled:
            taps = _tile_taps(x, win)
        else:
            xq = win.to_grid(x, fill=-np.inf)
            taps = [win.tap(xq, t) for t in range(win.ntaps)]
        xp = get_array_module(x)
        # NOTE: np.maximum propagates NaN, as torch's max pooling does.
        cur = taps[0].copy()
        for t in range(1, win.ntaps):
            xp.maximum(cur, taps[t], out=cur)
        need_arg = side is not None or (self.needs_input_grad[0] and is_grad_enabled())
        if need_arg:
            arg = self._argmax(taps, cur, None if self.tiled else first_valid_tap(win))
            out_arg = arg if self.tiled else win.crop(arg)
            if side is not None:
                side["indices"] = _tap_to_flat_index(out_arg, win)
            self.arg = arg
        return cur if self.tiled else xp.ascontiguousarray(win.crop(cur))

    @staticmethod
    def _argmax(taps, cur, first):
        # NOTE: ties go to the first maximum in window scan order (row-major), as torch:
        # scan the taps backwards so the earliest equal tap is written last.
        xp = get_array_module(cur)
        dtype = np.uint8 if len(taps) <= 255 else np.int32
        arg = xp.zeros(cur.shape, dtype=dtype)
        for t in range(len(taps) - 1, -1, -1):
            xp.copyto(arg, t, where=taps[t] == cur)
        if xp.isfinite(cur).all():
            return arg
        # A window whose in-bounds values are all -inf matches its -inf padding too;
        # torch keeps the first in-bounds element there.
        if first is not None:
            first = xp.asarray(first.astype(dtype))
            xp.copyto(arg, xp.broadcast_to(first, arg.shape), where=cur == -np.inf)
        # NOTE: a NaN is the max of its window; torch reports the last NaN in scan order.
        for t in range(len(taps)):
            xp.copyto(arg, t, where=xp.isnan(taps[t]))
        return arg

    def backward(self, g):
        win, arg = self.win, self.arg
        xp = get_array_module(g)
        if self.tiled:
            gx = xp.zeros(self.in_shape, dtype=g.dtype)
            for t, view in enumerate(_tile_taps(gx, win)):
                xp.multiply(g, arg == t, out=view)  # windows are disjoint: plain writes
            return gx
        gp = win.pad_canvas(g)
        gq = win.new_grid(g.shape[0], g.shape[1], g)
        tmp = xp.empty_like(gp)
        for t in range(win.ntaps):
            xp.multiply(gp, arg == t, out=tmp)
            view = win.tap(gq, t)
            view += tmp
        return win.from_grid(gq)


class AvgPool2d(Function):
    """Window sums divided by ``divisor`` (an ``(Ho, Wo)`` array or a number).

    ``forward(x, *, window, divisor)`` with ``x: (N, C, H, W)``.
    """

    def forward(self, x, *, window, divisor):
        win = window
        self.win, self.divisor = win, divisor
        self.in_shape = x.shape
        self.tiled = _tiles(win)
        if self.tiled:
            taps = _tile_taps(x, win)
        else:
            xq = win.to_grid(x)
            taps = [win.tap(xq, t) for t in range(win.ntaps)]
        acc = taps[0].copy()
        for t in range(1, win.ntaps):
            acc += taps[t]
        if not self.tiled:
            acc = win.crop(acc)
        xp = get_array_module(x)
        out = xp.empty((x.shape[0], x.shape[1], win.Ho, win.Wo), dtype=x.dtype)
        xp.divide(acc, xp.asarray(divisor, dtype=x.dtype), out=out)
        return out

    def backward(self, g):
        win = self.win
        xp = get_array_module(g)
        gd = g / xp.asarray(self.divisor, dtype=g.dtype)
        if self.tiled:
            gx = xp.zeros(self.in_shape, dtype=g.dtype)
            for view in _tile_taps(gx, win):
                view[...] = gd  # windows are disjoint: plain writes
            return gx
        gp = win.pad_canvas(gd)
        gq = win.new_grid(g.shape[0], g.shape[1], g)
        for t in range(win.ntaps):
            view = win.tap(gq, t)
            view += gp
        return win.from_grid(gq)


# -----------------------------------------------------------------------------
# Adaptive pools
# -----------------------------------------------------------------------------
def adaptive_bins(size: int, out: int):
    """PyTorch's adaptive bins: ``start = floor(i*size/out)``, ``end = ceil((i+1)*size/out)``."""
    i = np.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)
    return start, end


def _averaging_matrix(size, out, dtype):
    start, end = adaptive_bins(size, out)
    cols = np.arange(size)
    inside = (cols[None, :] >= start[:, None]) & (cols[None, :] < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def _separable(x, a_h, a_w):
    """``a_h @ x @ a_w.T`` over the last two axes of ``x`` (two plain GEMMs)."""
    lead = x.shape[:-2]
    h, w = x.shape[-2:]
    xp = get_array_module(x)
    t = xp.ascontiguousarray(x).reshape(-1, w) @ a_w.T  # (B*H, ow)
    ow = a_w.shape[0]
    t = xp.ascontiguousarray(t.reshape(-1, h, ow).transpose(0, 2, 1)).reshape(-1, h)
    y = (t @ a_h.T).reshape(-1, ow, a_h.shape[0]).transpose(0, 2, 1)
    return xp.ascontiguousarray(y).reshape(lead + (a_h.shape[0], ow))


class AdaptiveAvgPool2d(Function):
    """``forward(x, *, output_size)``: mean over PyTorch's adaptive bins."""

    def forward(self, x, *, output_size):
        oh, ow = output_size
        self.in_shape = x.shape
        h, w = x.shape[-2:]
        if oh == 1 and ow == 1:
            self.mats = None
            return x.mean(axis=(-2, -1), keepdims=True)
        # The small averaging matrices are built on the host, then moved to x's device.
        xp = get_array_module(x)
        self.mats = (xp.asarray(_averaging_matrix(h, oh, x.dtype)),
                     xp.asarray(_averaging_matrix(w, ow, x.dtype)))
        return _separable(x, *self.mats)

    def backward(self, g):
        if self.mats is None:
            h, w = self.in_shape[-2:]
            return get_array_module(g).broadcast_to(g / (h * w), self.in_shape).copy()
        a_h, a_w = self.mats
        return _separable(g, a_h.T, a_w.T)


def _adaptive_max_1d(x, axis, out):
    """Max and argmax over adaptive bins along ``axis`` (-1 or -2) of ``x``."""
    size = x.shape[axis]
    start, end = adaptive_bins(size, out)
    k = int((end - start).max())
    # NOTE: bins shorter than k repeat their last element, which never changes the max
    # nor the first-occurrence argmax.
    idx = np.minimum(start[:, None] + np.arange(k)[None, :], end[:, None] - 1)
    xp = get_array_module(x)
    idx = xp.asarray(idx)  # host geometry -> x's device
    if axis == -1:
        win = x[..., idx]  # (..., out, k)
        arg = win.argmax(axis=-1)
        val = xp.take_along_axis(win, arg[..., None], axis=-1)[..., 0]
        pos = idx[xp.arange(out), arg]
    else:
        win = x[..., idx, :]  # (..., out, k, W)
        arg = win.argmax(axis=-2)
        val = xp.take_along_axis(win, arg[..., None, :], axis=-2)[..., 0, :]
        pos = idx[xp.arange(out)[:, None], arg]
    return val, pos


class AdaptiveMaxPool2d(Function):
    """``forward(x, *, output_size, side=None)``: max over PyTorch's adaptive bins.

    ``side['indices']`` receives flat indices into each ``H * W`` plane.
    """

    def forward(self, x, *, output_size, side=None):
        oh, ow = output_size
        n, c, h, w = x.shape
        self.in_shape = x.shape
        # Max over the columns of each bin, then over its rows: the first maximum of the
        # rectangle in row-major order, as torch's scan.
        vw, col = _adaptive_max_1d(x, -1, ow)  # (N, C, H, ow)
        val, row = _adaptive_max_1d(vw, -2, oh)  # (N, C, oh, ow)
        col = get_array_module(x).take_along_axis(col, row, axis=-2)
        flat = row * w + col
        self.flat = flat
        if side is not None:
            side["indices"] = flat
        return val

    def backward(self, g):
        n, c, h, w = self.in_shape
        xp = get_array_module(g)
        plane = xp.arange(n * c, dtype=np.int64)[:, None] * (h * w)
        pos = (self.flat.reshape(n * c, -1) + plane).ravel()
        # NOTE: adaptive bins may overlap, so an input can receive several gradients.
        gx = xp.bincount(pos, weights=g.ravel(), minlength=n * c * h * w)
        return gx.astype(g.dtype, copy=False).reshape(self.in_shape)


class MaxUnpool2d(Function):
    """Scatter ``x`` to ``indices`` in zero planes of ``output_size``.

    ``forward(x, indices, *, output_size)`` with ``x, indices: (N, C, H, W)``.
    """

    def forward(self, x, indices, *, output_size):
        n, c = x.shape[:2]
        self.idx = indices.reshape(n, c, -1)
        self.in_shape = x.shape
        xp = get_array_module(x)
        out = xp.zeros((n, c, output_size[0] * output_size[1]), dtype=x.dtype)
        # NOTE: with repeated indices the last write wins on NumPy (torch leaves it
        # undefined, and so does CuPy's scatter).
        if hasattr(xp, "put_along_axis"):
            xp.put_along_axis(out, self.idx, x.reshape(n, c, -1), axis=2)
        else:  # older CuPy: the same scatter by advanced indexing
            rows = xp.arange(n)[:, None, None]
            chans = xp.arange(c)[None, :, None]
            out[rows, chans, self.idx] = x.reshape(n, c, -1)
        return out.reshape(n, c, *output_size)

    def backward(self, g):
        n, c = g.shape[:2]
        gx = get_array_module(g).take_along_axis(g.reshape(n, c, -1), self.idx, axis=2)
        return gx.reshape(self.in_shape), None
