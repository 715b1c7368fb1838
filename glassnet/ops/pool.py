"""Pooling ops: max / average pooling, their adaptive forms, and max unpooling (2-D and
3-D windows; 1-D pools run on a height-1 image).

Windowed pools reuse the phase-grid :class:`~glassnet.ops.window.Window` of the conv ops:
each kernel tap is one contiguous ``(N, C, Ho * Wq)`` view of the padded input, so a
pool is a loop over the ``kh * kw`` taps (never over pixels), and its backward adds one
masked or scaled block per tap back into the grid (no ``np.add.at``).

Adaptive pools use bins ``start = floor(i * H / out)``, ``end = ceil((i + 1) * H / out)``
(PyTorch's); both are separable: the average is ``A_h @ x @ A_w^T`` with two small
averaging matrices, the max is a max over columns followed by a max over rows.
"""
from __future__ import annotations

import math

import numpy as np

from glassnet.autograd import Function, is_grad_enabled
from glassnet.backend import get_array_module
from glassnet.ops.window import Window

__all__ = ["MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d",
           "MaxUnpool2d", "adaptive_bins", "first_valid_tap"]


def first_valid_tap(win: Window):
    """Index of the first in-bounds tap of every canvas position (flattened, ``L``)."""
    tap = np.zeros(win.canvas, dtype=np.int64)
    for d in range(win.nd):
        pos = np.arange(win.canvas[d])
        # smallest i with pos * s - p + i * dil >= 0
        i0 = np.maximum(0, -((pos * win.stride[d] - win.pad[d]) // win.dilation[d]))
        i0 = np.minimum(i0, win.kernel[d] - 1)
        shape = [1] * win.nd
        shape[d] = -1
        tap = tap * win.kernel[d] + i0.reshape(shape)
    return tap.reshape(-1)


def _tap_to_flat_index(arg, win: Window):
    """Map tap ids ``(N, C, *out)`` to flat indices into each ``prod(in_size)`` plane."""
    xp = get_array_module(arg)
    rest = arg.astype(np.int64)
    coords = []
    for d in range(win.nd - 1, -1, -1):
        rest, i = xp.divmod(rest, win.kernel[d])
        shape = [1] * win.nd
        shape[d] = -1
        start = xp.arange(win.out_size[d]).reshape(shape) * win.stride[d] - win.pad[d]
        coords.append(start + i * win.dilation[d])
    flat = 0
    for d, c in zip(range(win.nd), reversed(coords)):
        flat = flat * win.in_size[d] + c
    return flat


def _tiles(win: Window):
    """True for non-overlapping, unpadded, undilated windows (the classic 2x2/2 pool)."""
    return (win.stride == win.kernel and not any(win.pad)
            and all(d == 1 for d in win.dilation)
            and all(o * k <= n for o, k, n in zip(win.out_size, win.kernel, win.in_size)))


def _tile_taps(x, win: Window):
    """The ``(N, C, *out)`` strided view of every tap of a tiled window (no copy)."""
    views = []
    for pos in np.ndindex(*win.kernel):
        sel = tuple(slice(i, i + k * o, k) for i, k, o in zip(pos, win.kernel, win.out_size))
        views.append(x[(slice(None), slice(None)) + sel])
    return views


def _pool_kernels():
    from glassnet.ops.kernels import pool

    return pool


class MaxPool2d(Function):
    """Max over each window; ``side['indices']`` receives torch-style flat indices.

    ``forward(x, *, window, side=None)`` with ``x: (N, C, *spatial)`` (2-D or 3-D).
    2-D pooling of NumPy float arrays runs the compiled kernels of
    :mod:`glassnet.ops.kernels.pool` where numba is installed. The NumPy code: tiled
    windows (stride = kernel, no padding or dilation) read strided views of ``x``; the
    others read the contiguous taps of a ``-inf``-padded phase grid.
    """

    def forward(self, x, *, window, side=None):
        win = window
        self.win = win
        self.in_shape = x.shape
        need_arg = side is not None or (self.needs_input_grad[0] and is_grad_enabled())
        self.kernel_arg = None
        if not need_arg:  # inference: the compiled one-pass kernel, where it runs
            out = _pool_kernels().max_pool(x, win)
            if out is not None:
                return out
        else:  # the compiled kernel with the taps of the maxima, where it runs
            res = _pool_kernels().max_pool_arg(x, win)
            if res is not None:
                out, self.kernel_arg = res
                if side is not None:
                    side["indices"] = _tap_to_flat_index(self.kernel_arg, win)
                return out
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
        win = self.win
        if self.kernel_arg is not None:
            gx = _pool_kernels().max_pool_grad(g, self.kernel_arg, self.in_shape, win)
            if gx is not None:
                return gx
            # a gradient the kernel does not take: the taps in the NumPy code's layout
            self.tiled = _tiles(win)
            self.arg = self.kernel_arg if self.tiled else win.pad_canvas(self.kernel_arg)
        arg = self.arg
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
    """Window sums divided by ``divisor`` (an ``out_size`` array or a number).

    ``forward(x, *, window, divisor)`` with ``x: (N, C, *spatial)`` (2-D or 3-D).
    """

    def forward(self, x, *, window, divisor):
        win = window
        self.win, self.divisor = win, divisor
        self.in_shape = x.shape
        out = _pool_kernels().avg_pool(x, win, divisor)  # 2-D, where the kernel runs
        if out is not None:
            return out
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
        out = xp.empty(x.shape[:2] + win.out_size, dtype=x.dtype)
        xp.divide(acc, xp.asarray(divisor, dtype=x.dtype), out=out)
        return out

    def backward(self, g):
        win = self.win
        gx = _pool_kernels().avg_pool_grad(g, self.in_shape, win, self.divisor)
        if gx is not None:
            return gx
        xp = get_array_module(g)
        gd = g / xp.asarray(self.divisor, dtype=g.dtype)
        if _tiles(win):
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


def _separable_nd(x, mats):
    """Apply ``mats[k]`` (``(out_k, size_k)``) along axis ``-len(mats) + k`` of ``x``."""
    if len(mats) == 2:
        return _separable(x, *mats)
    xp = get_array_module(x)
    nd = len(mats)
    for k, a in enumerate(mats):
        axis = x.ndim - nd + k
        x = xp.moveaxis(xp.tensordot(x, a, axes=([axis], [1])), -1, axis)
    return xp.ascontiguousarray(x)


class AdaptiveAvgPool2d(Function):
    """``forward(x, *, output_size)``: mean over PyTorch's adaptive bins of the last
    ``len(output_size)`` axes (2 or 3)."""

    def forward(self, x, *, output_size):
        nd = len(output_size)
        self.in_shape = x.shape
        axes = tuple(range(x.ndim - nd, x.ndim))
        if all(o == 1 for o in output_size):
            self.mats = None
            return x.mean(axis=axes, keepdims=True)
        # The small averaging matrices are built on the host, then moved to x's device.
        xp = get_array_module(x)
        self.mats = tuple(xp.asarray(_averaging_matrix(x.shape[a], o, x.dtype))
                          for a, o in zip(axes, output_size))
        return _separable_nd(x, self.mats)

    def backward(self, g):
        if self.mats is None:
            nd = g.ndim - 2
            size = int(math.prod(self.in_shape[-nd:]))
            return get_array_module(g).broadcast_to(g / size, self.in_shape).copy()
        return _separable_nd(g, tuple(a.T for a in self.mats))


def _adaptive_max_1d(x, axis, out):
    """Max and argmax (an index along ``axis``) over adaptive bins along ``axis`` < 0."""
    size = x.shape[axis]
    start, end = adaptive_bins(size, out)
    k = int((end - start).max())
    # NOTE: bins shorter than k repeat their last element, which never changes the max
    # nor the first-occurrence argmax.
    idx = np.minimum(start[:, None] + np.arange(k)[None, :], end[:, None] - 1)
    xp = get_array_module(x)
    idx = xp.asarray(idx)  # host geometry -> x's device
    xm = xp.moveaxis(x, axis, -1)
    win = xm[..., idx]  # (..., out, k)
    arg = win.argmax(axis=-1)
    val = xp.take_along_axis(win, arg[..., None], axis=-1)[..., 0]
    pos = idx[xp.arange(out), arg]
    return xp.moveaxis(val, -1, axis), xp.moveaxis(pos, -1, axis)


class AdaptiveMaxPool2d(Function):
    """``forward(x, *, output_size, side=None)``: max over PyTorch's adaptive bins of the
    last ``len(output_size)`` axes (2 or 3).

    ``side['indices']`` receives flat indices into each ``prod(spatial)`` plane.
    """

    def forward(self, x, *, output_size, side=None):
        nd = len(output_size)
        self.in_shape = x.shape
        sizes = x.shape[-nd:]
        xp = get_array_module(x)
        # Max over the last axis of each bin, then over the one before, ...: the first
        # maximum of the box in row-major order, as torch's scan. ``coords[d]`` holds,
        # for every partial result, the index along axis d of the maximum it came from.
        val, coords = x, {}
        for d in range(nd - 1, -1, -1):
            axis = d - nd
            val, pos = _adaptive_max_1d(val, axis, output_size[d])
            coords = {e: xp.take_along_axis(c, pos, axis=axis) for e, c in coords.items()}
            coords[d] = pos
        flat = 0
        for d in range(nd):
            flat = flat * sizes[d] + coords[d]
        self.flat = flat
        if side is not None:
            side["indices"] = flat
        return val

    def backward(self, g):
        n, c = self.in_shape[:2]
        plane_size = int(math.prod(self.in_shape[2:]))
        xp = get_array_module(g)
        plane = xp.arange(n * c, dtype=np.int64)[:, None] * plane_size
        pos = (self.flat.reshape(n * c, -1) + plane).ravel()
        # NOTE: adaptive bins may overlap, so an input can receive several gradients.
        gx = xp.bincount(pos, weights=g.ravel(), minlength=n * c * plane_size)
        return gx.astype(g.dtype, copy=False).reshape(self.in_shape)


class MaxUnpool2d(Function):
    """Scatter ``x`` to ``indices`` in zero planes of ``output_size``.

    ``forward(x, indices, *, output_size)`` with ``x, indices: (N, C, *spatial)``.
    """

    def forward(self, x, indices, *, output_size):
        n, c = x.shape[:2]
        self.idx = indices.reshape(n, c, -1)
        self.in_shape = x.shape
        xp = get_array_module(x)
        out = xp.zeros((n, c, int(math.prod(output_size))), dtype=x.dtype)
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
