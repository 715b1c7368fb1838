"""Loss ops beyond :mod:`glassnet.ops.loss` (which is at its size limit): the multi-label
margin loss and the Poisson negative log-likelihood, each one fused Function.

The composite losses of ``torch.nn.functional`` (Gaussian NLL, multi-label soft margin,
triplet with a distance function) are written in
:mod:`glassnet.nn._functional.loss_more` from differentiable ops, as torch writes them.
"""
from __future__ import annotations

import math

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops.loss import _expand, _reduce

__all__: list = []


class MultiLabelMargin(Function):
    """``sum_{j valid} sum_{i not a target} max(0, 1 - (x[y_j] - x[i])) / C`` per sample.

    ``forward(x, t, *, reduction)`` with ``x: (N, C)`` or ``(C,)`` and ``t`` int of the same
    shape: the valid targets of a row are its entries before the first ``-1``.
    """

    def forward(self, x, t, *, reduction):
        xp = get_array_module(x)
        self.in_shape = x.shape
        if x.ndim == 1:
            x, t = x[None], t[None]
        n, c = x.shape
        # Valid target slots: before the first -1 of each row.
        valid = xp.cumprod(t >= 0, axis=1).astype(bool)  # (N, C_j)
        tc = xp.where(valid, t, 0)
        onehot = (tc[:, :, None] == xp.arange(c)[None, None, :]) & valid[:, :, None]
        is_target = onehot.any(axis=1)  # (N, C_i)
        xt = xp.take_along_axis(x, tc, axis=1)  # (N, C_j)
        z = 1 - xt[:, :, None] + x[:, None, :]  # (N, C_j, C_i)
        active = (z > 0) & valid[:, :, None] & ~is_target[:, None, :]
        loss = (z * active).sum(axis=(1, 2)) / x.dtype.type(c)
        self.meta = (active, onehot, reduction, loss.shape, c)
        out = _reduce(loss.astype(x.dtype), reduction)
        return out.reshape(()) if len(self.in_shape) == 1 else out

    def backward(self, g):
        active, onehot, reduction, shape, c = self.meta
        xp = get_array_module(g)
        gi = _expand(g, shape, reduction) / g.dtype.type(c)  # (N,)
        a = active.astype(g.dtype)
        # d z / d x[i] = +1 for the non-target column, -1 for the target column y_j.
        gx = a.sum(axis=1) - xp.einsum("nj,njc->nc", a.sum(axis=2), onehot.astype(g.dtype))
        return (gx * gi[:, None]).reshape(self.in_shape), None


class PoissonNLL(Function):
    """``exp(x) - t * x`` (``log_input``) or ``x - t * log(x + eps)``, plus Stirling's
    ``t log t - t + log(2 pi t) / 2`` where ``t > 1`` when ``full``.

    ``forward(x, t, *, log_input, full, eps, reduction)``; ``x`` and ``t`` have one shape.
    """

    def forward(self, x, t, *, log_input, full, eps, reduction):
        xp = get_array_module(x)
        self.save_for_backward(x, t)
        self.params = (log_input, full, eps, reduction)
        if log_input:
            loss = xp.exp(x) - t * x
        else:
            loss = x - t * xp.log(x + x.dtype.type(eps))
        if full:
            # NOTE: Stirling's term only for t > 1 (torch masks t <= 1 to 0); the where
            # keeps log(0) out of the t = 0 entries.
            ts = xp.where(t > 1, t, 1)
            stirling = ts * xp.log(ts) - ts + 0.5 * xp.log(2 * math.pi * ts)
            loss = loss + xp.where(t > 1, stirling, 0).astype(loss.dtype)
        self.shape = loss.shape
        return _reduce(loss.astype(x.dtype), reduction)

    def backward(self, g):
        x, t = self.saved_tensors
        log_input, full, eps, reduction = self.params
        xp = get_array_module(g)
        ge = _expand(g, self.shape, reduction)
        gx = gt = None
        if log_input:
            if self.needs_input_grad[0]:
                gx = ge * (xp.exp(x) - t)
            if self.needs_input_grad[1]:
                gt = ge * -x
        else:
            xe = x + x.dtype.type(eps)
            if self.needs_input_grad[0]:
                gx = ge * (1 - t / xe)
            if self.needs_input_grad[1]:
                gt = ge * -xp.log(xe)
        if gt is not None and full:
            ts = xp.where(t > 1, t, 1)
            gt = gt + ge * xp.where(t > 1, xp.log(ts) + 0.5 / ts, 0)
        return (None if gx is None else gx.astype(x.dtype),
                None if gt is None else gt.astype(t.dtype))
