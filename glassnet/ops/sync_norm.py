"""Batch norm whose batch statistics span every rank of a process group (SyncBatchNorm).

Forward: the per-channel count and sum are all-reduced, giving the global mean; then
the sum of squared deviations from it is all-reduced, giving the global biased variance
(two passes, as a single process computes them, so float32 loses nothing to the
``E[x^2] - E[x]^2`` cancellation).  Backward: with ``xhat = (x - mean) * invstd`` and
``N`` the global count,

    dx = weight * invstd * (dy - sum(dy) / N - xhat * sum(dy * xhat) / N)

where both sums run over every rank (one all-reduce), which is the gradient of the sum
of all ranks' losses; ``grad_weight = sum(dy * xhat)`` and ``grad_bias = sum(dy)`` stay
local, and DistributedDataParallel averages them with the other gradients (torch's
``SyncBatchNorm`` backward, ``torch/nn/modules/_functions.py``).

The communication is the attribute ``allreduce(array) -> None`` (an in-place sum over
the ranks), so this op knows nothing of MPI; the identity gives plain batch norm.
"""
from __future__ import annotations

import numpy as np

from glassnet.autograd import Function

__all__: list = []


class SyncBatchNormFn(Function):
    """``y = (x - mean) / sqrt(var + eps) * weight + bias`` with group-wide statistics.

    Positional inputs: ``x`` of shape ``(N, C, *)``, then ``weight`` if ``has_weight``,
    then ``bias`` if ``has_bias`` (each ``(C,)``).  Attributes: ``eps``, ``allreduce``,
    ``running`` (``(running_mean, running_var, momentum)`` updated IN PLACE with the
    group's mean and unbiased variance, or None).
    """

    def forward(self, x, *params, eps, has_weight, has_bias, allreduce, running=None):
        n, c = x.shape[0], x.shape[1]
        xs = x.reshape(n, c, -1)
        # Global count and mean (one all-reduce of C + 1 numbers).
        stats = np.empty(c + 1, dtype=np.float64 if x.dtype == np.float64 else x.dtype)
        stats[:c] = xs.sum(axis=(0, 2))
        stats[c] = xs.shape[0] * xs.shape[2]
        allreduce(stats)
        count = float(stats[c])
        if count <= 1:
            raise ValueError(f"SyncBatchNorm: Expected more than 1 value per channel when "
                             f"training over the group, got {int(count)}")
        mean = (stats[:c] / count).astype(x.dtype, copy=False)
        xc = xs - mean[None, :, None]
        # NOTE: two passes (sum of squared deviations from the global mean) instead of
        # E[x^2] - E[x]^2, which cancels catastrophically in float32 when |mean| >> std.
        m2 = np.einsum("ncs,ncs->c", xc, xc)
        allreduce(m2)
        var = m2 / count
        invstd = 1.0 / np.sqrt(var + eps)
        if running is not None:
            running_mean, running_var, momentum = running
            running_mean[...] = (1 - momentum) * running_mean + momentum * mean
            running_var[...] = ((1 - momentum) * running_var
                                + momentum * var * (count / (count - 1)))
        self.xhat = xc * invstd[None, :, None]
        self.invstd = invstd
        self.count = count
        self.allreduce = allreduce
        self.shape = x.shape
        self.has_weight, self.has_bias = has_weight, has_bias
        self.weight = params[0] if has_weight else None
        y = self.xhat * params[0][None, :, None] if has_weight else self.xhat.copy()
        if has_bias:
            y += params[int(has_weight)][None, :, None]
        return y.reshape(x.shape)

    def backward(self, grad_out):
        c = self.shape[1]
        g = grad_out.reshape(self.shape[0], c, -1)
        sum_dy = g.sum(axis=(0, 2))
        sum_dy_xhat = np.einsum("ncs,ncs->c", g, self.xhat)
        grads = []
        if self.needs_input_grad[0]:
            total = np.concatenate([sum_dy, sum_dy_xhat])
            self.allreduce(total)  # every rank's loss depends on this rank's x
            scale = self.invstd if self.weight is None else self.invstd * self.weight
            dx = g - (total[:c] / self.count)[None, :, None]
            dx -= self.xhat * (total[c:] / self.count)[None, :, None]
            dx *= scale[None, :, None]
            grads.append(dx.reshape(self.shape))
        else:
            grads.append(None)
        k = 1
        if self.has_weight:
            grads.append(sum_dy_xhat.astype(grad_out.dtype, copy=False)
                         if self.needs_input_grad[k] else None)
            k += 1
        if self.has_bias:
            grads.append(sum_dy.astype(grad_out.dtype, copy=False)
                         if self.needs_input_grad[k] else None)
        return tuple(grads)
