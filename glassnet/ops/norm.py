"""Normalisation ops with fused analytic backwards.

:class:`StatNorm` is the one kernel behind batch, layer, group and instance norm: they
differ only in which elements share a mean and variance (the *stat view*) and which
share an affine weight and bias (the *affine view*), both free reshapes of the input:

==============  =====================  ===========  ==================  ============
op              stat view              stat axes    affine view         param view
==============  =====================  ===========  ==================  ============
batch_norm      (N, C, S)              (0, 2)       (N, C, S)           (1, C, 1)
instance_norm   (N, C, S)              (2,)         (N, C, S)           (1, C, 1)
group_norm      (N, G, C/G * S)        (2,)         (N, C, S)           (1, C, 1)
layer_norm      (R, D)                 (1,)         (R, D)              (1, D)
==============  =====================  ===========  ==================  ============

with ``S`` the product of the spatial sizes, ``R`` the product of the leading dims and
``D`` the product of ``normalized_shape``.  The validated public API is
:mod:`glassnet.nn._functional.norm`.

Reference for the fused backward: Ioffe & Szegedy, "Batch Normalization", ICML 2015,
arXiv:1502.03167, section 3.
"""
from __future__ import annotations

import math

import numpy as np

from glassnet.autograd import Function, sum_to
from glassnet.backend import get_array_module

# Only Function classes live here: nothing is meant for ``from glassnet.ops.norm import *``.
__all__: list = []


class StatNorm(Function):
    """``y = (x - mean) / sqrt(var + eps) * weight + bias`` over a stat view.

    Positional inputs: ``x``, then ``weight`` if ``has_weight``, then ``bias`` if
    ``has_bias`` (each of any shape with ``prod(param_view)`` elements).

    Attributes (keyword arguments of ``apply``)
    -------------------------------------------
    stat_view, stat_axes : tuple
        Reshape of ``x`` and the axes reduced for each mean/variance.
    affine_view, param_view : tuple
        Reshape of ``x`` and of the parameters for the affine transform.
    eps : float
        Added to the variance.
    stats : tuple of arrays or None
        ``(mean, var)`` broadcastable against the stat view: normalise with these fixed
        statistics (eval mode) instead of the batch's.
    running : tuple or None
        ``(running_mean, running_var, momentum)``: arrays of shape ``(C,)`` updated IN
        PLACE with the batch statistics, averaged over every axis of the stat view but
        axis 1 (the channel axis; used by batch and instance norm).
    relu : bool
        Fuse a ReLU: ``max(y, 0)`` in the same pass (per-channel parameters only: batch
        and instance norm). Backward recomputes the mask ``y > 0`` from the saved ``x``
        (the same expression as forward, so the same bits), so neither the
        pre-activation nor a mask is kept, and the ReLU's gradient is applied inside
        the two backward passes (``glassnet.nn.norm.batch_norm_relu``).
    """

    def forward(self, x, *params, stat_view, stat_axes, affine_view, param_view, eps,
                has_weight, has_bias, stats=None, running=None, relu=False):
        xp = get_array_module(x)
        xs = x.reshape(stat_view)
        weight = params[0].reshape(param_view) if has_weight else None
        bias = params[int(has_weight)].reshape(param_view) if has_bias else None
        self.meta = (x.shape, stat_view, stat_axes, affine_view, param_view,
                     [p.shape for p in params], has_weight, has_bias, stats is None)
        self.weight = weight
        self.fused = _per_channel(stat_view, stat_axes, affine_view, param_view)
        self.relu = relu
        if relu and not self.fused:
            raise ValueError("StatNorm: relu=True needs per-channel parameters (batch or "
                             f"instance norm), got stat view {stat_view}, param view "
                             f"{param_view}")
        if stats is None and self.fused and _bn_kernels().supports(xs, stat_axes):
            # Batch norm in three passes (glassnet.ops.kernels.batchnorm).
            k = _bn_kernels()
            m64, v64 = k.moments(xs)
            mean = m64.astype(x.dtype).reshape(1, -1, 1)
            var = v64.astype(x.dtype).reshape(1, -1, 1)
            invstd = 1 / xp.sqrt(var + eps)
            if running is not None:
                self._update_running(mean, var, xs.shape, stat_axes, *running)
            self.invstd = invstd
            self.save_for_backward(x)
            self.mean = mean
            scale = invstd * weight if has_weight else invstd
            shift = bias if has_bias else xp.zeros_like(scale)
            self.pre = (mean, scale, shift)
            return k.normalize(xs, mean, scale, shift, relu).reshape(x.shape)
        if stats is None:
            mean = _sum(xs, stat_axes) / _count(xs.shape, stat_axes)
            xc = xs - mean
            # NOTE: the biased variance (divide by n) normalises; the running estimate
            # below uses the unbiased one (n / (n - 1)), as in PyTorch.
            var = _sumprod(xc, xc, stat_axes) / _count(xs.shape, stat_axes)
            invstd = 1 / xp.sqrt(var + eps)
            if running is not None:
                self._update_running(mean, var, xs.shape, stat_axes, *running)
        else:
            mean, var = (s.astype(x.dtype, copy=False) for s in stats)
            invstd = (1 / xp.sqrt(var + eps)).astype(x.dtype, copy=False)
            if self.fused:
                # Fixed statistics (eval): y = x * scale + shift in two passes, as torch's
                # inference batch norm computes it, instead of subtract, scale, shift.
                self.save_for_backward(x)
                self.mean, self.invstd = mean, invstd
                scale = invstd * weight if has_weight else invstd
                if _bn_kernels().supports(xs, stat_axes):  # one pass, all cores
                    shift = bias if has_bias else xp.zeros_like(scale)
                    self.pre = (mean, scale, shift)
                    return _bn_kernels().normalize(xs, mean, scale, shift,
                                                   relu).reshape(x.shape)
                shift = bias - mean * scale if has_bias else -mean * scale
                self.pre = (None, scale, shift)  # y = x * scale + shift
                y = xs * scale
                y += shift
                return _relu_(y, relu).reshape(x.shape)
            xc = xs - mean
        self.invstd = invstd
        if self.fused:
            # Batch / instance norm: the parameters vary only along kept axes, so the
            # whole affine map folds into one per-channel scale on ``x - mean`` (in
            # place), and backward recomputes from ``x`` instead of keeping ``xhat``.
            self.save_for_backward(x)
            self.mean = mean
            scale = invstd * weight if has_weight else invstd
            self.pre = (mean, scale, bias if has_bias else xp.zeros_like(scale))
            xc *= scale
            if has_bias:
                xc += bias
            return _relu_(xc, relu).reshape(x.shape)
        xhat = (xc * invstd).reshape(affine_view)
        y = xhat * weight if has_weight else xhat.copy()
        if has_bias:
            y += bias
        self.xhat = xhat
        return y.reshape(x.shape)

    @staticmethod
    def _update_running(mean, var, shape, stat_axes, running_mean, running_var, momentum):
        n = int(math.prod([shape[a] for a in stat_axes]))
        other = tuple(a for a in range(len(shape)) if a != 1)
        batch_mean = mean.mean(axis=other)
        batch_var = var.mean(axis=other) * (n / (n - 1))
        running_mean[...] = (1 - momentum) * running_mean + momentum * batch_mean
        running_var[...] = (1 - momentum) * running_var + momentum * batch_var

    def backward(self, g):
        (x_shape, stat_view, stat_axes, affine_view, param_view, param_shapes, has_weight,
         has_bias, batch_stats) = self.meta
        if self.fused:
            return self._fused_backward(g)
        xhat = self.xhat
        ga = g.reshape(affine_view)
        grads = [None] * (1 + has_weight + has_bias)
        if has_weight and self.needs_input_grad[1]:
            grads[1] = sum_to(ga * xhat, param_view).reshape(param_shapes[0])
        if has_bias and self.needs_input_grad[1 + has_weight]:
            grads[1 + has_weight] = sum_to(ga, param_view).reshape(param_shapes[-1])
        if self.needs_input_grad[0]:
            gxhat = (ga * self.weight if has_weight else ga).reshape(stat_view)
            if batch_stats:
                # NOTE: mean and variance depend on x too; the fused form is
                # dx = invstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)).
                xh = xhat.reshape(stat_view)
                gx = gxhat - gxhat.mean(axis=stat_axes, keepdims=True)
                gx -= xh * (gxhat * xh).mean(axis=stat_axes, keepdims=True)
                gx *= self.invstd
            else:
                gx = gxhat * self.invstd
            grads[0] = gx.reshape(x_shape)
        return tuple(grads)

    def _fused_backward(self, g):
        """Backward of the per-channel case from per-channel sums of ``g`` and ``g * x``.

        With ``A = weight * invstd``, ``m1 = mean(g)`` and ``m2 = mean(g * xhat)`` over the
        stat axes, ``dx = A (g - m1 - xhat m2) = A g + B x + C`` where ``B = -A invstd m2``
        and ``C = -A m1 - B mean``: two multiply-adds over the data after two reductions.
        """
        (x_shape, stat_view, stat_axes, _, param_view, param_shapes, has_weight, has_bias,
         batch_stats) = self.meta
        (x,) = self.saved_tensors
        xs, gs = x.reshape(stat_view), g.reshape(stat_view)
        mean, invstd = self.mean, self.invstd
        need_w = has_weight and self.needs_input_grad[1]
        grads = [None] * (1 + has_weight + has_bias)
        k = _bn_kernels() if _bn_kernels().supports(xs, stat_axes) else None
        relu = None  # the fused ReLU's gradient, inside the kernels: (mean, scale, shift)
        if self.relu:
            if k is not None and batch_stats:  # forward: (x - mean) * scale + shift
                relu = self.pre
            else:  # the ReLU's gradient first, in NumPy
                gs = _where(self._pre_activation(xs) > 0, gs, gs * 0)
        if k is not None:
            # one read pass for both sums (float64), glassnet.ops.kernels.batchnorm
            s1, s2 = k.grad_sums(gs, xs, relu)
            sum_g = s1.astype(g.dtype).reshape(mean.shape)
            # sum(g * xhat) = invstd * (sum(g * x) - mean * sum(g)), in float64
            sum_gxhat = invstd * (s2 - mean.reshape(-1).astype(np.float64) * s1).astype(
                g.dtype).reshape(mean.shape)
        else:
            sum_g = _sum(gs, stat_axes)
        if k is None and (need_w or (batch_stats and self.needs_input_grad[0])):
            # sum(g * xhat) = invstd * (sum(g * x) - mean * sum(g))
            sum_gxhat = invstd * (_sumprod(gs, xs, stat_axes) - mean * sum_g)
        if need_w:
            grads[1] = sum_to(sum_gxhat, param_view).reshape(param_shapes[0])
        if has_bias and self.needs_input_grad[1 + has_weight]:
            grads[1 + has_weight] = sum_to(sum_g, param_view).reshape(param_shapes[-1])
        if self.needs_input_grad[0]:
            a = invstd * self.weight if has_weight else invstd
            if batch_stats:
                n = _count(xs.shape, stat_axes)
                b = -a * invstd * (sum_gxhat / n)
                c = -a * (sum_g / n) - b * mean
                if k is not None:
                    gx = k.grad_input(gs, xs, a, b, c, relu)
                else:
                    gx = gs * a
                    tmp = xs * b
                    gx += tmp
                    gx += c
            else:
                gx = gs * a
            grads[0] = gx.reshape(x_shape)
        return tuple(grads)

    def _pre_activation(self, xs):
        """The fused ReLU's input, recomputed from ``xs`` by the forward's expression
        (``self.pre``: ``(mean, scale, shift)``, that of the kernels and of the NumPy
        training path; mean None: eval's ``x * scale + shift``)."""
        mean, scale, shift = self.pre
        y = xs * scale if mean is None else (xs - mean) * scale
        y += shift
        return y


def _where(cond, a, b):
    return get_array_module(a).where(cond, a, b)


def _relu_(y, relu):
    """``y`` with a ReLU applied in place when ``relu`` (NaN stays NaN, as
    ``glassnet.nn.functional.relu``)."""
    if relu:
        get_array_module(y).maximum(y, 0, out=y)
    return y


def _bn_kernels():
    from glassnet.ops.kernels import batchnorm

    return batchnorm


def _per_channel(stat_view, stat_axes, affine_view, param_view) -> bool:
    """Whether the affine parameters vary only along axes that are not reduced."""
    if tuple(stat_view) != tuple(affine_view) or len(param_view) != len(stat_view):
        return False
    return all(param_view[a] == 1 for a in stat_axes)


def _count(shape, axes) -> int:
    return int(math.prod([shape[a] for a in axes]))


_LETTERS = "abcdefgh"


def _sumprod(a, b, axes):
    """``(a * b).sum(axes, keepdims=True)`` in one pass (no product array)."""
    return _einsum_sum(axes, a, b)


def _sum(a, axes):
    """``a.sum(axes, keepdims=True)``; einsum's loop is ~3x faster than ``sum`` over
    non-adjacent axes such as batch norm's ``(0, 2)``."""
    return _einsum_sum(axes, a)


def _einsum_sum(axes, *arrays):
    a = arrays[0]
    xp = get_array_module(a)
    sub = _LETTERS[:a.ndim]
    keep = "".join(sub[i] for i in range(a.ndim) if i not in axes)
    out = xp.einsum(",".join([sub] * len(arrays)) + f"->{keep}", *arrays)
    return out.reshape(tuple(1 if i in axes else a.shape[i] for i in range(a.ndim)))


def _window_sum(a, before: int, after: int):
    """Sum of ``a`` over a window along axis 1, zero-padded ``before``/``after``."""
    xp = get_array_module(a)
    c = a.shape[1]
    width = [(0, 0)] * a.ndim
    width[1] = (before, after)
    padded = xp.pad(a, width)
    out = padded[:, :c].copy()
    # A loop over the (small) window offsets, vectorised over batch, channels and pixels.
    for offset in range(1, before + after + 1):
        out += padded[:, offset:offset + c]
    return out


class LocalResponseNorm(Function):
    """``y_c = x_c / (k + alpha / size * sum_{window(c)} x_j^2) ** beta`` across channels.

    The window of channel ``c`` is ``[c - size // 2, c + (size - 1) // 2]`` with zeros
    outside ``[0, C)``: PyTorch's formula (an average pool of ``x^2`` over ``size``
    channels), Krizhevsky et al., "ImageNet Classification with Deep CNNs", NIPS 2012.
    """

    def forward(self, x, size, alpha, beta, k):
        denom = k + (alpha / size) * _window_sum(x * x, size // 2, (size - 1) // 2)
        scale = denom ** -beta
        self.save_for_backward(x)
        self.denom, self.scale, self.params = denom, scale, (size, alpha, beta)
        return x * scale

    def backward(self, g):
        (x,) = self.saved_tensors
        size, alpha, beta = self.params
        t = g * x * self.scale / self.denom
        # NOTE: channel j lies in the windows of channels j - (size-1)//2 .. j + size//2,
        # so the transposed window swaps the two paddings.
        back = _window_sum(t, (size - 1) // 2, size // 2)
        return g * self.scale - (2 * alpha * beta / size) * x * back


class Normalize(Function):
    """``x / max(||x||_p, eps)`` along ``dim``."""

    def forward(self, x, p, dim, eps):
        xp = get_array_module(x)
        ax = xp.abs(x)
        if p == 2:
            norm = xp.sqrt((x * x).sum(axis=dim, keepdims=True))
        elif p == 1:
            norm = ax.sum(axis=dim, keepdims=True)
        elif p == float("inf"):
            norm = ax.max(axis=dim, keepdims=True)
        else:
            norm = (ax ** p).sum(axis=dim, keepdims=True) ** (1 / p)
        denom = xp.maximum(norm, x.dtype.type(eps))
        self.save_for_backward(x)
        self.norm, self.denom, self.params = norm, denom, (p, dim, eps)
        return x / denom

    def backward(self, g):
        (x,) = self.saved_tensors
        norm, denom = self.norm, self.denom
        p, dim, eps = self.params
        xp = get_array_module(g)
        gx = g / denom
        # NOTE: clamp_min passes the gradient where norm >= eps (ties included); below eps
        # the denominator is the constant eps.
        active = norm >= eps
        coef = xp.where(active, (g * x).sum(axis=dim, keepdims=True) / (denom * denom), 0)
        safe = xp.where(norm > 0, norm, 1)
        if p == 2:
            dnorm = x / safe
        elif p == 1:
            dnorm = xp.sign(x)
        elif p == float("inf"):
            # NOTE: ties for the max share the gradient equally (PyTorch's amax rule).
            hit = xp.abs(x) == norm
            dnorm = xp.sign(x) * hit / hit.sum(axis=dim, keepdims=True)
        else:
            ax = xp.abs(x)
            with np.errstate(divide="ignore", invalid="ignore"):
                dnorm = xp.where(ax > 0, xp.sign(x) * (ax / safe) ** (p - 1), 0)
        return (gx - coef * dnorm).astype(x.dtype, copy=False)


class RMSNorm(Function):
    """``y = x / sqrt(mean(x^2) + eps) * weight`` over the trailing ``D`` values of each row.

    ``forward(x, weight=None, *, view, eps)`` with ``view = (R, D)`` a reshape of ``x`` and
    ``weight`` of ``D`` elements (Zhang & Sennrich 2019, arXiv:1910.07467).
    """

    def forward(self, x, weight=None, *, view, eps):
        xp = get_array_module(x)
        xs = x.reshape(view)
        rrms = 1.0 / xp.sqrt((xs * xs).mean(axis=1, keepdims=True) + x.dtype.type(eps))
        xhat = xs * rrms
        self.rrms, self.xhat, self.x_shape = rrms, xhat, x.shape
        self.w = None if weight is None else weight.reshape(1, -1)
        self.weight_shape = None if weight is None else weight.shape
        out = xhat if weight is None else xhat * self.w
        return out.reshape(x.shape)

    def backward(self, g):
        gs = g.reshape(self.xhat.shape)
        gxhat = gs if self.w is None else gs * self.w
        xhat = self.xhat
        gx = self.rrms * (gxhat - xhat * (gxhat * xhat).mean(axis=1, keepdims=True))
        if self.w is None:
            return (gx.reshape(self.x_shape),)
        gw = (gs * xhat).sum(axis=0)
        return gx.reshape(self.x_shape), gw.reshape(self.weight_shape)


class ChannelWindowNorm(Function):
    """``y = x * (k + alpha / size * (M @ x^2)) ** -beta`` with ``M`` a ``(C, C)`` 0/1
    matrix that says which channels enter each channel's window (axis 1 of ``x``).

    ``torch.nn.CrossMapLRN2d`` is this op with the window of its legacy Lua port (see
    :func:`cross_map_window`); the channel mix is one GEMM, never a loop over channels.
    """

    def forward(self, x, *, window, size, alpha, beta, k):
        xp = get_array_module(x)
        m = xp.asarray(window, dtype=x.dtype)
        n, c = x.shape[:2]
        sq = (x * x).reshape(n, c, -1)
        denom = (k + (alpha / size) * xp.matmul(m, sq)).reshape(x.shape)
        scale = denom ** -beta
        self.save_for_backward(x)
        self.m, self.denom, self.scale, self.params = m, denom, scale, (size, alpha, beta)
        return x * scale

    def backward(self, g):
        (x,) = self.saved_tensors
        size, alpha, beta = self.params
        n, c = x.shape[:2]
        t = (g * x * self.scale / self.denom).reshape(n, c, -1)
        back = get_array_module(g).matmul(self.m.T, t).reshape(x.shape)
        return g * self.scale - (2 * alpha * beta / size) * x * back


def cross_map_window(channels: int, size: int) -> np.ndarray:
    """The ``(C, C)`` window matrix of ``torch.nn.CrossMapLRN2d``.

    NOTE: torch's running-sum loop never subtracts channel 0 once it has entered, so
    channel ``c > pre_pad`` sums channel 0 plus ``[c - pre_pad + 1, c + pre_pad - 1]``
    with ``pre_pad = (size - 1) // 2 + 1``; channels ``c <= pre_pad`` sum
    ``[0, c + pre_pad - 1]``. This differs from LocalResponseNorm's window; glassnet
    reproduces torch's forward exactly (and differentiates it exactly).
    """
    pre = int((size - 1) / 2 + 1)
    c = np.arange(channels)
    j = np.arange(channels)
    hi = c[:, None] + pre - 1
    lo = np.where(c > pre, c - pre + 1, 0)[:, None]
    m = (j[None, :] >= lo) & (j[None, :] <= hi)
    m[c > pre, 0] = True
    return m.astype(np.float64)
