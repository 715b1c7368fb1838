"""Loss and distance Functions with fused analytic backward passes.

Each class works on raw arrays; the validated public API lives in
:mod:`glassnet.nn._functional.loss`.  Class-index losses work on ``(N, C, *)`` input with
the class axis 1 and ``(N, *)`` targets; an unbatched ``(C,)`` input is handled by adding
a batch axis inside ``forward``.  Reductions follow PyTorch: ``'none'`` keeps the
per-element loss, ``'sum'`` adds it up and ``'mean'`` divides the sum by a denominator
(the element count, or the total target weight for the weighted class losses).
"""
from __future__ import annotations

import math

import numpy as np

from glassnet.autograd import Function, sum_to
from glassnet.backend import get_array_module

__all__ = [
    "PointwiseLoss", "NLLLoss", "CrossEntropy", "CrossEntropyProb", "BinaryCrossEntropy",
    "BinaryCrossEntropyWithLogits", "KLDiv", "SoftMargin", "HingeEmbedding",
    "MarginRanking", "CosineEmbedding", "MultiMargin", "PairwiseDistance",
    "CosineSimilarity",
]

# PyTorch's EPSILON in aten/src/ATen/native/Loss.cpp (cosine_embedding_loss, bce backward).
_EPSILON = 1e-12


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
def _scalar(v, dtype, xp):
    """``v`` (a Python number or a 0-d sum) as a scalar of ``dtype``, without a host copy.

    A CuPy 0-d array (a weight total) cannot become a NumPy scalar implicitly, so it is
    cast on the device instead.
    """
    if xp is np or not hasattr(v, "astype"):
        return dtype.type(v)
    return v.astype(dtype)


def _reduce(loss, reduction, denom=None):
    """Apply ``reduction`` to the unreduced ``loss``; ``'mean'`` divides by ``denom``."""
    xp = get_array_module(loss)
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return xp.asarray(total, dtype=loss.dtype)
    denom = loss.size if denom is None else denom
    # NOTE: an empty batch, or every target ignored, gives 0 / 0 = nan, as in PyTorch.
    with np.errstate(invalid="ignore", divide="ignore"):
        return xp.asarray(total / _scalar(denom, loss.dtype, xp), dtype=loss.dtype)


def _expand(g, shape, reduction, denom=None):
    """Gradient of the reduced loss with respect to each element of the unreduced loss."""
    xp = get_array_module(g)
    if reduction == "none":
        return g.reshape(shape)
    if reduction == "mean":
        denom = int(math.prod(shape)) if denom is None else denom
        with np.errstate(invalid="ignore", divide="ignore"):
            g = g / _scalar(denom, g.dtype, xp)
    return xp.broadcast_to(g, shape)


def _softplus(z):
    """log(1 + exp(z)) without overflow."""
    xp = get_array_module(z)
    return xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))


def _log_softmax(x):
    """log_softmax over axis 1, shifted by the max for stability."""
    xp = get_array_module(x)
    z = x - x.max(axis=1, keepdims=True)
    return z - xp.log(xp.exp(z).sum(axis=1, keepdims=True))


def _pick(x, idx):
    """``x[n, idx[n, *], *]`` for ``x`` of shape (N, C, *) and ``idx`` of shape (N, *)."""
    xp = get_array_module(x)
    return xp.take_along_axis(x, idx[:, None], axis=1)[:, 0]


def _class_weights(t, weight, ignore_index, dtype):
    """Safe indices, the mask of counted targets and each target's weight (0 if ignored)."""
    xp = get_array_module(t)
    valid = t != ignore_index
    safe = xp.where(valid, t, 0)
    if weight is None:
        return safe, valid, valid.astype(dtype)
    return safe, valid, xp.where(valid, weight[safe], 0).astype(dtype)


def _class_axis_shape(weight, ndim):
    """Shape (1, C, 1, ...) that broadcasts a per-class weight against (N, C, *)."""
    return (1, weight.shape[0]) + (1,) * (ndim - 2)


# ---------------------------------------------------------------------------
# Regression losses
# ---------------------------------------------------------------------------
class PointwiseLoss(Function):
    """mse / l1 / smooth_l1 / huber of ``d = input - target``, optionally weighted.

    ``kind`` picks the loss and ``param`` is ``beta`` (smooth_l1) or ``delta`` (huber).
    An optional third input is a per-element weight (differentiable, as in PyTorch);
    'mean' then divides by ``weight.sum()`` for mse and l1 and by the element count for
    huber, as ``torch.nn.functional`` does.
    """

    def forward(self, x, t, w=None, kind="mse", reduction="mean", param=1.0):
        xp = get_array_module(x)
        d = x - t
        a = xp.abs(d)
        if kind == "mse":
            loss = d * d
        elif kind == "l1":
            loss = a
        elif kind == "smooth_l1" and param == 0:
            loss = a  # NOTE: beta = 0 is exactly l1 (PyTorch special-cases it too).
        elif kind == "smooth_l1":
            loss = xp.where(a < param, 0.5 * d * d / param, a - 0.5 * param)
        else:  # huber
            loss = xp.where(a < param, 0.5 * d * d, param * (a - 0.5 * param))
        self.meta = (x.shape, t.shape, kind, reduction, param)
        self.d, self.w, self.loss, self.denom = d, w, loss, None
        if w is not None:
            loss = loss * w
            if kind in ("mse", "l1") and reduction == "mean":
                self.denom = w.sum()
        self.out = _reduce(loss, reduction, self.denom)
        return self.out

    def backward(self, g):
        xp = get_array_module(g)
        x_shape, t_shape, kind, reduction, param = self.meta
        d, w = self.d, self.w
        gl = _expand(g, d.shape, reduction, self.denom)
        if kind == "mse":
            dd = 2 * d
        elif kind == "l1" or (kind == "smooth_l1" and param == 0):
            dd = xp.sign(d)  # NOTE: the subgradient at d = 0 is 0, as in PyTorch.
        elif kind == "smooth_l1":
            dd = xp.where(xp.abs(d) < param, d / param, xp.sign(d))
        else:
            dd = xp.clip(d, -param, param)
        gd = gl * dd if w is None else gl * w * dd
        gx = sum_to(gd, x_shape) if self.needs_input_grad[0] else None
        gt = sum_to(-gd, t_shape) if self.needs_input_grad[1] else None
        if w is None:
            return gx, gt
        gw = None
        if self.needs_input_grad[2]:
            if self.denom is not None:  # d(sum(w l) / sum(w)) / dw = (l - out) / sum(w)
                gw = gl * (self.loss - self.out)
            else:
                gw = gl * self.loss
            gw = sum_to(gw, w.shape)
        return gx, gt, gw


# ---------------------------------------------------------------------------
# Classification losses
# ---------------------------------------------------------------------------
class NLLLoss(Function):
    """Negative log-likelihood: ``-weight[t] * input[n, t, *]``, 0 where t == ignore_index.

    'mean' divides by the sum of the weights of the counted targets (PyTorch's rule).
    """

    def forward(self, x, t, weight=None, ignore_index=-100, reduction="mean"):
        xp = get_array_module(x)
        self.in_shape = x.shape
        if x.ndim == 1:
            x, t = x[None], t[None]
        safe, valid, wt = _class_weights(t, weight, ignore_index, x.dtype)
        loss = xp.where(valid, -wt * _pick(x, safe), 0).astype(x.dtype)
        self.meta = (x.shape, safe, valid, wt, reduction, wt.sum())
        out = _reduce(loss, reduction, self.meta[5])
        return out.reshape(()) if len(self.in_shape) == 1 else out

    def backward(self, g):
        xp = get_array_module(g)
        shape, safe, valid, wt, reduction, total = self.meta
        # NOTE: where, so that all-ignored 'mean' (0 / 0) gives zero gradients as PyTorch.
        gi = xp.where(valid, _expand(g, safe.shape, reduction, total), 0)
        grad = xp.zeros(shape, dtype=g.dtype)
        # Each (n, *) position has one target, so a put (not an add) is enough.
        xp.put_along_axis(grad, safe[:, None], (-wt * gi)[:, None], axis=1)
        return grad.reshape(self.in_shape), None


class CrossEntropy(Function):
    """log_softmax + NLL with class-index targets and label smoothing, fused.

    With smoothing ``s`` over ``C`` classes, the per-element loss is
    ``(1 - s) * nll + (s / C) * sum_c(-weight[c] * log p[c])`` (ignored targets give 0)
    and 'mean' divides both terms by the total weight of the counted targets, which is
    PyTorch's ``cross_entropy_loss_label_smoothing``.
    """

    def forward(self, x, t, weight=None, ignore_index=-100, reduction="mean",
                label_smoothing=0.0):
        xp = get_array_module(x)
        self.in_shape = x.shape
        if x.ndim == 1:
            x, t = x[None], t[None]
        logp = _log_softmax(x)
        safe, valid, wt = _class_weights(t, weight, ignore_index, x.dtype)
        loss = -wt * _pick(logp, safe)
        s, c = label_smoothing, x.shape[1]
        wb = 1 if weight is None else weight.reshape(_class_axis_shape(weight, x.ndim))
        if s > 0:
            smooth = -(logp * wb).sum(axis=1)
            loss = (1 - s) * loss + (s / c) * smooth
        # NOTE: where, not a product with the 0/1 mask, so -inf logits stay out of ignored rows.
        loss = xp.where(valid, loss, 0).astype(x.dtype)
        self.logp, self.wb = logp, wb
        self.meta = (safe, valid, wt, reduction, wt.sum(), s, weight)
        out = _reduce(loss, reduction, self.meta[4])
        return out.reshape(()) if len(self.in_shape) == 1 else out

    def backward(self, g):
        xp = get_array_module(g)
        safe, valid, wt, reduction, total, s, weight = self.meta
        logp, wb = self.logp, self.wb
        c = logp.shape[1]
        gi = xp.where(valid, _expand(g, safe.shape, reduction, total), 0)
        # d loss / d x = (1 - s) * w[t] * (p - onehot) + (s / C) * (p * sum(w) - w)
        a = gi * ((1 - s) * wt)
        coef = a
        if s > 0:
            b = gi * (s / c)
            coef = a + b * (c if weight is None else weight.sum())
        grad = xp.exp(logp) * coef[:, None]
        if s > 0:
            grad -= b[:, None] * wb
        idx = safe[:, None]
        xp.put_along_axis(grad, idx, xp.take_along_axis(grad, idx, axis=1) - a[:, None],
                          axis=1)
        return grad.reshape(self.in_shape), None


class CrossEntropyProb(Function):
    """log_softmax + cross entropy against class probabilities, fused.

    The loss is ``-sum_c weight[c] * t'[c] * log p[c]`` with the smoothed target
    ``t' = (1 - s) * t + s / C``; 'mean' divides by the number of (n, *) positions.
    """

    def forward(self, x, t, weight=None, reduction="mean", label_smoothing=0.0):
        self.shapes = (x.shape, t.shape)
        if x.ndim == 1:
            x, t = x[None], t[None]
        s, c = label_smoothing, x.shape[1]
        logp = _log_softmax(x)
        wb = 1 if weight is None else weight.reshape(_class_axis_shape(weight, x.ndim))
        tw = (t * (1 - s) + s / c) * wb if s > 0 else t * wb
        loss = -(tw * logp).sum(axis=1)
        self.logp, self.tw, self.wb, self.meta = logp, tw, wb, (reduction, s, loss.shape)
        out = _reduce(loss, reduction)
        return out.reshape(()) if len(self.shapes[0]) == 1 else out

    def backward(self, g):
        xp = get_array_module(g)
        reduction, s, loss_shape = self.meta
        gi = _expand(g, loss_shape, reduction)[:, None]
        gx = gt = None
        if self.needs_input_grad[0]:
            gx = gi * (xp.exp(self.logp) * self.tw.sum(axis=1, keepdims=True) - self.tw)
            gx = gx.reshape(self.shapes[0])
        if self.needs_input_grad[1]:
            gt = (gi * (-(1 - s) * self.wb * self.logp)).reshape(self.shapes[1])
        return gx, gt


class BinaryCrossEntropy(Function):
    """``-weight * (t log x + (1 - t) log(1 - x))`` with each log clamped at -100."""

    def forward(self, x, t, weight=None, reduction="mean"):
        xp = get_array_module(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            # NOTE: PyTorch clamps the logs at -100 so that x = 0 or 1 gives a finite loss.
            log_x = xp.maximum(xp.log(x), -100)
            log_1mx = xp.maximum(xp.log1p(-x), -100)
        loss = -(t * log_x + (1 - t) * log_1mx)
        if weight is not None:
            loss = loss * weight
        self.save_for_backward(x, t)
        self.meta = (weight, reduction, loss.shape)
        return _reduce(loss, reduction)

    def backward(self, g):
        xp = get_array_module(g)
        x, t = self.saved_tensors
        weight, reduction, shape = self.meta
        gi = _expand(g, shape, reduction)
        if weight is not None:
            gi = gi * weight
        gx = gt = None
        if self.needs_input_grad[0]:
            # NOTE: PyTorch's backward bounds the denominator x (1 - x) below by 1e-12.
            gx = sum_to(gi * (x - t) / xp.maximum((1 - x) * x, _EPSILON), x.shape)
        if self.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                gt = sum_to(gi * (xp.log1p(-x) - xp.log(x)), t.shape)
        return gx, gt


class BinaryCrossEntropyWithLogits(Function):
    """``weight * ((1 - t) x - (1 + (pos_weight - 1) t) log sigmoid(x))``, overflow-free."""

    def forward(self, x, t, weight=None, pos_weight=None, reduction="mean"):
        # NOTE: log sigmoid(x) = -softplus(-x) never exponentiates a large positive number.
        log_sig = -_softplus(-x)
        if pos_weight is None:
            loss = (1 - t) * x - log_sig
        else:
            loss = (1 - t) * x - (1 + (pos_weight - 1) * t) * log_sig
        if weight is not None:
            loss = loss * weight
        self.save_for_backward(x, t)
        self.log_sig = log_sig
        self.meta = (weight, pos_weight, reduction, loss.shape)
        return _reduce(loss, reduction)

    def backward(self, g):
        xp = get_array_module(g)
        x, t = self.saved_tensors
        weight, pos_weight, reduction, shape = self.meta
        gi = _expand(g, shape, reduction)
        if weight is not None:
            gi = gi * weight
        sig = xp.exp(self.log_sig)
        gx = gt = None
        if pos_weight is None:
            if self.needs_input_grad[0]:
                gx = gi * (sig - t)
            if self.needs_input_grad[1]:
                gt = gi * -x
        else:
            pt = pos_weight * t
            if self.needs_input_grad[0]:
                gx = gi * ((pt + 1 - t) * sig - pt)
            if self.needs_input_grad[1]:
                gt = gi * (-x - (pos_weight - 1) * self.log_sig)
        gx = None if gx is None else sum_to(gx, x.shape)
        gt = None if gt is None else sum_to(gt, t.shape)
        return gx, gt


class KLDiv(Function):
    """Pointwise KL divergence ``t (log t - x)`` (or ``exp(t) (t - x)`` for log targets).

    ``reduction='batchmean'`` divides the sum by ``input.shape[0]``.
    """

    def forward(self, x, t, reduction="mean", log_target=False):
        xp = get_array_module(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            if log_target:
                et = xp.exp(t)
                loss = et * (t - x)
            else:
                et = t
                # NOTE: xlogy: 0 * log 0 counts as 0, as in PyTorch.
                loss = xp.where(t == 0, 0, t * xp.log(t)).astype(x.dtype) - t * x
        denom = None
        if reduction == "batchmean":
            reduction, denom = "mean", (x.shape[0] if x.ndim else 1)
        self.save_for_backward(x, t)
        self.et, self.meta = et, (reduction, denom, loss.shape, log_target)
        return _reduce(loss, reduction, denom)

    def backward(self, g):
        xp = get_array_module(g)
        x, t = self.saved_tensors
        reduction, denom, shape, log_target = self.meta
        gi = _expand(g, shape, reduction, denom)
        gx = sum_to(-self.et * gi, x.shape) if self.needs_input_grad[0] else None
        gt = None
        if self.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                dt = self.et * (t - x + 1) if log_target else xp.log(t) + 1 - x
            gt = sum_to(dt * gi, t.shape)
        return gx, gt


# ---------------------------------------------------------------------------
# Margin losses (targets are labels, not differentiated, except margin_ranking's)
# ---------------------------------------------------------------------------
class SoftMargin(Function):
    """``log(1 + exp(-t x))``, computed as a stable softplus."""

    def forward(self, x, t, reduction="mean"):
        z = -t * x
        loss = _softplus(z)
        self.save_for_backward(x, t)
        self.meta = (reduction, loss.shape, z)
        return _reduce(loss, reduction)

    def backward(self, g):
        xp = get_array_module(g)
        x, t = self.saved_tensors
        reduction, shape, z = self.meta
        gi = _expand(g, shape, reduction)
        return sum_to(gi * -t * xp.exp(-_softplus(-z)), x.shape), None


class HingeEmbedding(Function):
    """``x`` where t != -1 plus ``max(0, margin - x)`` where t != 1 (PyTorch's composite)."""

    def forward(self, x, t, margin=1.0, reduction="mean"):
        xp = get_array_module(x)
        pos, neg = t != -1, t != 1
        mc = margin - x
        loss = xp.where(neg, xp.maximum(mc, 0), 0) + xp.where(pos, x, 0)
        # NOTE: clamp_min passes the gradient at margin - x == 0 (PyTorch's >= rule).
        self.dl = pos.astype(x.dtype) - (neg & (mc >= 0)).astype(x.dtype)
        self.meta = (x.shape, reduction, loss.shape)
        return _reduce(loss.astype(x.dtype), reduction)

    def backward(self, g):
        x_shape, reduction, shape = self.meta
        return sum_to(_expand(g, shape, reduction) * self.dl, x_shape), None


class MarginRanking(Function):
    """``max(0, -t (x1 - x2) + margin)``; all three inputs are differentiable."""

    def forward(self, x1, x2, t, margin=0.0, reduction="mean"):
        xp = get_array_module(x1)
        diff = x1 - x2
        z = -t * diff + margin
        loss = xp.maximum(z, 0)
        self.active = (z >= 0).astype(loss.dtype)
        self.save_for_backward(t)
        self.meta = (x1.shape, x2.shape, reduction, loss.shape, diff)
        return _reduce(loss, reduction)

    def backward(self, g):
        (t,) = self.saved_tensors
        s1, s2, reduction, shape, diff = self.meta
        ga = _expand(g, shape, reduction) * self.active
        g1 = sum_to(-t * ga, s1) if self.needs_input_grad[0] else None
        g2 = sum_to(t * ga, s2) if self.needs_input_grad[1] else None
        gt = sum_to(-diff * ga, t.shape) if self.needs_input_grad[2] else None
        return g1, g2, gt


class CosineEmbedding(Function):
    """``1 - cos`` where t == 1 and ``max(0, cos - margin)`` where t == -1.

    ``cos = <x1, x2> / sqrt((|x1|^2 + 1e-12) (|x2|^2 + 1e-12))`` over the last axis.
    """

    def forward(self, x1, x2, t, margin=0.0, reduction="mean"):
        xp = get_array_module(x1)
        m1 = (x1 * x1).sum(axis=-1) + _EPSILON
        m2 = (x2 * x2).sum(axis=-1) + _EPSILON
        den = xp.sqrt(m1 * m2)
        cos = (x1 * x2).sum(axis=-1) / den
        pos, neg = t == 1, t == -1
        loss = xp.where(pos, 1 - cos, 0) + xp.where(neg, xp.maximum(cos - margin, 0), 0)
        dcos = -pos.astype(cos.dtype) + (neg & (cos - margin >= 0)).astype(cos.dtype)
        self.save_for_backward(x1, x2)
        self.meta = (m1, m2, den, cos, dcos, reduction, loss.shape)
        return _reduce(loss.astype(x1.dtype), reduction)

    def backward(self, g):
        x1, x2 = self.saved_tensors
        m1, m2, den, cos, dcos, reduction, shape = self.meta
        gc = (_expand(g, shape, reduction) * dcos)[..., None]
        den, cos = den[..., None], cos[..., None]
        g1 = sum_to(gc * (x2 / den - cos * x1 / m1[..., None]), x1.shape)
        g2 = sum_to(gc * (x1 / den - cos * x2 / m2[..., None]), x2.shape)
        return g1, g2, None


class MultiMargin(Function):
    """``sum_{j != y} weight[y] * max(0, margin - x[y] + x[j]) ** p / C`` per sample."""

    def forward(self, x, t, p=1, margin=1.0, weight=None, reduction="mean"):
        xp = get_array_module(x)
        self.in_shape = x.shape
        if x.ndim == 1:
            x, t = x[None], t[None]
        c = x.shape[1]
        z = margin - _pick(x, t)[:, None] + x
        mask = z > 0
        xp.put_along_axis(mask, t[:, None], False, axis=1)
        h = xp.where(mask, z if p == 1 else z * z, 0)
        wy = 1 if weight is None else weight[t][:, None]
        loss = (h * wy).sum(axis=1) / x.dtype.type(c)
        self.meta = (t, z, mask, wy, p, reduction, loss.shape)
        out = _reduce(loss.astype(x.dtype), reduction)
        return out.reshape(()) if len(self.in_shape) == 1 else out

    def backward(self, g):
        xp = get_array_module(g)
        t, z, mask, wy, p, reduction, shape = self.meta
        gi = _expand(g, shape, reduction)[:, None] / z.dtype.type(z.shape[1])
        dh = (mask.astype(z.dtype) if p == 1 else xp.where(mask, 2 * z, 0)) * wy * gi
        # The target column gets minus the sum over the others (its own entry is masked).
        xp.put_along_axis(dh, t[:, None], -dh.sum(axis=1, keepdims=True), axis=1)
        return dh.astype(z.dtype).reshape(self.in_shape), None


# ---------------------------------------------------------------------------
# Distances
# ---------------------------------------------------------------------------
class PairwiseDistance(Function):
    """``norm(x1 - x2 + eps, p)`` over the last axis (PyTorch adds eps to the difference)."""

    def forward(self, x1, x2, p=2.0, eps=1e-6, keepdim=False):
        xp = get_array_module(x1)
        d = x1 - x2 + eps
        a = xp.abs(d)
        if p == 0:
            n = (a != 0).sum(axis=-1, keepdims=True).astype(d.dtype)
        elif p == np.inf:
            n = a.max(axis=-1, keepdims=True)
        elif p == 1:
            n = a.sum(axis=-1, keepdims=True)
        elif p == 2:
            n = xp.sqrt((d * d).sum(axis=-1, keepdims=True))
        else:
            n = ((a ** p).sum(axis=-1, keepdims=True)) ** (1.0 / p)
        self.meta = (x1.shape, x2.shape, d, n, p, keepdim)
        return n if keepdim else n[..., 0]

    def backward(self, g):
        xp = get_array_module(g)
        s1, s2, d, n, p, keepdim = self.meta
        g = g if keepdim else g[..., None]
        if p == 0:
            dn = xp.zeros_like(d)
        elif p == 1:
            dn = xp.sign(d)
        elif p == np.inf:
            # NOTE: ties for the max share the gradient equally, as PyTorch's amax does.
            hit = (xp.abs(d) == n).astype(d.dtype)
            dn = xp.sign(d) * hit / hit.sum(axis=-1, keepdims=True)
        else:
            # NOTE: the norm is not differentiable at 0; PyTorch returns 0 there.
            safe = xp.where(n > 0, n, 1)
            num = d if p == 2 else xp.sign(d) * xp.abs(d) ** (p - 1)
            dn = xp.where(n > 0, num / (safe if p == 2 else safe ** (p - 1)), 0)
        gd = (g * dn).astype(d.dtype)
        g1 = sum_to(gd, s1) if self.needs_input_grad[0] else None
        g2 = sum_to(-gd, s2) if self.needs_input_grad[1] else None
        return g1, g2


class CosineSimilarity(Function):
    """``sum(x1 / max(|x1|, eps) * x2 / max(|x2|, eps))`` over ``dim`` (broadcasting).

    Each norm is clamped separately, as in PyTorch >= 1.12; the clamp is applied to the
    value only, so the gradient flows through the unclamped norm (PyTorch does the clamp
    in place under ``no_grad``).
    """

    def forward(self, x1, x2, dim=1, eps=1e-8):
        xp = get_array_module(x1)
        b1, b2 = xp.broadcast_arrays(x1, x2)
        n1 = xp.sqrt((b1 * b1).sum(axis=dim, keepdims=True))
        n2 = xp.sqrt((b2 * b2).sum(axis=dim, keepdims=True))
        c1, c2 = xp.maximum(n1, eps), xp.maximum(n2, eps)
        out = ((b1 / c1) * (b2 / c2)).sum(axis=dim, keepdims=True)
        self.meta = (x1.shape, x2.shape, b1, b2, n1, n2, c1, c2, out, dim)
        return xp.squeeze(out, axis=dim)

    def backward(self, g):
        xp = get_array_module(g)
        s1, s2, b1, b2, n1, n2, c1, c2, out, dim = self.meta
        g = xp.expand_dims(g, dim)
        grads = []
        for k, (bx, by, nx, cx, cy, shape) in enumerate(
                ((b1, b2, n1, c1, c2, s1), (b2, b1, n2, c2, c1, s2))):
            if not self.needs_input_grad[k]:
                grads.append(None)
                continue
            # d/dx sum(x/cx * y/cy) = y / (cx cy) - out * x / (cx |x|); 0 where |x| = 0.
            # (xp.divide has no where= on CuPy, so a safe divisor and a where instead.)
            unit = xp.where(nx > 0, bx / xp.where(nx > 0, nx, 1), 0)
            unit = unit.astype(bx.dtype, copy=False)
            grads.append(sum_to(g * (by / (cx * cy) - out * unit / cx), shape))
        return tuple(grads)
