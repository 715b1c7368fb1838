"""Convolution ops: conv1d/2d/3d, conv_transpose1d/2d/3d, unfold (im2col), fold (col2im).

The Functions are dimension-generic: 1-D runs the 2-D path on a height-1 image and 3-D
runs the same code on a 3-D :class:`Window` (its phase grid with one more axis).

Every sliding-window op (these and the pools in :mod:`glassnet.ops.pool`) shares one
piece of machinery, :class:`~glassnet.ops.window.Window` (its module describes the phase
grid, the canvas and the channel-major grid the algorithms below run on).

The conv engine has six algorithms (:data:`ALGORITHMS`, picked per layer by
:func:`choose_algorithm`, forced with :class:`use_algorithm`):

- ``"shift"`` (the default where NumPy's BLAS exposes CBLAS): the same geometry on a
  *channel-major* grid ``(C, phases, N * cplane)`` (:meth:`Window.to_cgrid`), where the
  tap-``t`` block of the whole batch is one 2-D window of that array. Then no column
  buffer is built at all: the output is ``sum_t W_t @ window_t``, the input gradient
  ``window_t += W_t^T @ gy`` and the weight gradient ``gW_t = gy @ window_t^T``, each a
  BLAS GEMM on a pitched window that accumulates in place (:mod:`glassnet.ops._blas`),
  in column chunks that stay in cache across the taps.
- ``"im2col"``: columns + one GEMM per product, as above (any array module and dtype).
- ``"depthwise"``: one input channel per group: a multiply-add per tap (the direct
  kernels of :mod:`glassnet.ops.kernels.depthwise` where numba is installed).
- ``"pointwise"``: an ungrouped 1x1 convolution is ``W @ x[n]`` on the NCHW input as it
  is (strided: on its subsampled view): one stacked GEMM, no grid, no copy back.
- ``"direct"``: ungrouped layers with few channels (ResNet-20's first two stages,
  LeNet; on AMD CPUs every layer Winograd does not take): compiled loops that keep a
  tile of output positions in L1 across all taps and input channels; strided layers on
  their stride phases (:mod:`glassnet.ops.kernels.dense`, where numba is installed).
"""
from __future__ import annotations

import numpy as np

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops._blas import product
from glassnet.ops._conv_engine import (  # noqa: F401  (public names re-exported)
    ALGORITHMS, WINOGRAD_MIN_CHANNELS, _is_depthwise, _shift_adjoint, _shift_apply,
    _shift_weight_grad, _winograd, choose_algorithm, use_algorithm, whole_window)
from glassnet.ops.window import Window, _output

__all__ = ["Window", "Conv2d", "ConvTranspose2d", "ALGORITHMS",
           "use_algorithm", "choose_algorithm"]


def _subsample_index(win):
    return (slice(None), slice(None)) + tuple(
        slice(0, (o - 1) * s + 1, s) for o, s in zip(win.out_size, win.stride))


def _subsample(x, win):
    """The input values a 1x1 window reads: ``x`` itself, or its strided view."""
    if all(s == 1 for s in win.stride) and tuple(x.shape[2:]) == win.out_size:
        return x
    return x[_subsample_index(win)]


def _dw_kernels():
    from glassnet.ops.kernels import depthwise

    return depthwise


def _dense_kernels():
    from glassnet.ops.kernels import dense

    return dense


def _nchw(y):
    """``(O, N, *spatial)`` -> ``(N, O, *spatial)`` view (and back)."""
    return y.swapaxes(0, 1)


# -----------------------------------------------------------------------------
# The three products of a (grouped) convolution, on phase grids and canvases.
#   xq: input grid (N, C, sh, sw, *), w: (O, C/G, kh, kw), y: output canvas (O, N, L)
# -----------------------------------------------------------------------------
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
    y = product(w.reshape(groups, o // groups, kg), cols)  # (G, O/G, N*L)
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
    cols = product(wg, yp.reshape(groups, o // groups, n * win.L))  # (G, Kg, N*L)
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
    gw = product(yp.reshape(groups, o // groups, n * win.L), cols.transpose(0, 2, 1))
    return gw.reshape(w_shape)


# -----------------------------------------------------------------------------
# Functions
# -----------------------------------------------------------------------------
class Conv2d(Function):
    """2-D (and 1-D/3-D) cross-correlation ``y = w * x + b``.

    ``forward(x, w, b=None, *, window, groups)`` with ``x: (N, C, H, W)``,
    ``w: (O, C/groups, kh, kw)``, ``b: (O,)``; ``window`` is a :class:`Window`. The
    algorithm (:func:`choose_algorithm`) is the shifted GEMM where a CBLAS is found, else
    im2col + GEMM; depthwise layers use a multiply-add per tap.
    """

    def forward(self, x, w, b=None, *, window, groups):
        self.save_for_backward(x, w)
        self.win, self.groups = window, groups
        self.algo = algo = choose_algorithm(x, w, groups, window)
        n = x.shape[0]
        if algo == "winograd":
            y = _winograd().winograd_conv2d(x, w, window.pad, 2, groups=groups)
            if b is not None:
                y += b.reshape(-1, 1, 1)
            return y
        if algo == "shift":
            g = window.to_cgrid(x)
            if self.needs_input_grad[1]:
                self.xq = g
            return window.coutput(_shift_apply(g, w, window, groups, n), n, b)
        if algo == "pointwise" and whole_window(window):  # a linear layer
            y = product(x.reshape(n, -1), w.reshape(w.shape[0], -1).T)
            if b is not None:
                y += b
            return y.reshape((n, w.shape[0]) + window.out_size)
        if algo == "pointwise":
            xs = _subsample(x, window).reshape(n, x.shape[1], -1)
            y = product(w.reshape(w.shape[0], -1), xs)  # (N, O, HoWo)
            if b is not None:
                y += b.reshape(-1, 1)
            return y.reshape((n, w.shape[0]) + window.out_size)
        if algo == "direct":
            y, xg = _dense_kernels().forward(x, w, b, window)
            if self.needs_input_grad[1]:
                self.xq = xg
            return y
        if algo == "depthwise" and _dw_kernels().supports(x, w, window):
            self.algo = "depthwise-direct"
            return _dw_kernels().forward(x, w, b, window)
        xq = window.to_grid(x)
        if self.needs_input_grad[1]:
            self.xq = xq
        y = _conv_apply(xq, w, window, groups)
        return _output(_nchw(window.crop(y)), b)

    def backward(self, g):
        x, w = self.saved_tensors
        win, groups = self.win, self.groups
        gx = gw = gb = None
        if self.algo == "winograd":
            wg = _winograd()
            gc = np.ascontiguousarray(g)
            if self.needs_input_grad[0]:
                gx = wg.winograd_conv2d_input_grad(gc, w, x.shape, win.pad, 2, groups=groups)
            if self.needs_input_grad[1]:
                gw = wg.winograd_conv2d_weight_grad(gc, x, w.shape, win.pad, 2, groups=groups)
        elif self.algo == "pointwise" and whole_window(win):
            n, o = g.shape[:2]
            gy = g.reshape(n, o)
            if self.needs_input_grad[0]:
                gx = product(gy, w.reshape(o, -1)).reshape(x.shape)
            if self.needs_input_grad[1]:
                gw = product(gy.T, x.reshape(n, -1)).reshape(w.shape)
        elif self.algo == "pointwise":
            xp = get_array_module(g, w)
            n, o = g.shape[:2]
            gy = g.reshape(n, o, -1)
            w2 = w.reshape(o, -1)
            if self.needs_input_grad[0]:
                gs = product(w2.T, gy)  # (N, C, Ho*Wo)
                if _subsample(x, win) is x:
                    gx = gs.reshape(x.shape)
                else:
                    gx = xp.zeros(x.shape, dtype=g.dtype)
                    gx[_subsample_index(win)] = gs.reshape(x.shape[:2] + win.out_size)
            if self.needs_input_grad[1]:
                xs = _subsample(x, win).reshape(n, x.shape[1], -1)
                gw = product(gy, xs.swapaxes(1, 2)).sum(axis=0).reshape(w.shape)
        elif self.algo == "direct":
            gx, gw = _dense_kernels().backward(g, w, getattr(self, "xq", None), x.shape, win,
                                               *self.needs_input_grad[:2])
        elif self.algo == "depthwise-direct":
            k = _dw_kernels()
            if self.needs_input_grad[0]:
                gx = k.input_grad(g, w, x.shape, win)
            if self.needs_input_grad[1]:
                gw = k.weight_grad(g, x, w.shape, win)
        elif self.algo == "shift":
            n = x.shape[0]
            gp = win.cpad(g)
            if self.needs_input_grad[0]:
                gx = win.from_cgrid(_shift_adjoint(gp, w, win, groups, x.shape[1], n), n)
            if self.needs_input_grad[1]:
                gw = _shift_weight_grad(gp, self.xq, w.shape, win, groups, n)
        else:
            gp = win.pad_canvas(_nchw(g))  # (O, N, L)
            if self.needs_input_grad[0]:
                gx = win.from_grid(_conv_adjoint(gp, w, win, groups, x.shape[1]))
            if self.needs_input_grad[1]:
                gw = _conv_weight_grad(gp, self.xq, w.shape, win, groups)
        if len(self.needs_input_grad) == 3 and self.needs_input_grad[2]:
            gb = g.sum(axis=(0,) + tuple(range(2, g.ndim)))
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
        self.algo = algo = choose_algorithm(x, w, groups, window, transposed=True)
        c_out = w.shape[1] * groups
        n = x.shape[0]
        if algo == "shift":
            xp = window.cpad(x)  # (C_in, N*cplane)
            if self.needs_input_grad[1]:
                self.xp = xp
            gq = _shift_adjoint(xp, w, window, groups, c_out, n)
            return _output(window.from_cgrid(gq, n), b)
        xp = window.pad_canvas(_nchw(x))  # (C_in, N, L)
        if self.needs_input_grad[1]:
            self.xp = xp
        return _output(window.from_grid(_conv_adjoint(xp, w, window, groups, c_out)), b)

    def backward(self, g):
        x, w = self.saved_tensors
        win, groups = self.win, self.groups
        gx = gw = gb = None
        if self.algo == "shift":
            n = x.shape[0]
            gq = win.to_cgrid(g)
            if self.needs_input_grad[0]:
                gx = win.coutput(_shift_apply(gq, w, win, groups, n), n)
            if self.needs_input_grad[1]:
                gw = _shift_weight_grad(self.xp, gq, w.shape, win, groups, n)
        else:
            gq = win.to_grid(g)
            if self.needs_input_grad[0]:
                gx = _output(_nchw(win.crop(_conv_apply(gq, w, win, groups))))
            if self.needs_input_grad[1]:
                gw = _conv_weight_grad(self.xp, gq, w.shape, win, groups)
        if len(self.needs_input_grad) == 3 and self.needs_input_grad[2]:
            gb = g.sum(axis=(0,) + tuple(range(2, g.ndim)))
        return (gx, gw, gb)[:len(self.needs_input_grad)]

