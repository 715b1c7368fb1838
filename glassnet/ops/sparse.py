"""Embedding lookup: ``weight[input]`` with a scatter-sum backward.

The backward sums the output gradient rows of equal indices without ``np.add.at``: the
indices are sorted once, and ``np.add.reduceat`` sums each run of equal indices in one
vectorised call. The validated public API is :mod:`glassnet.nn._functional.sparse`.
"""
from __future__ import annotations

import numpy as np

from glassnet.autograd import Function

# Only Function classes live here.
__all__: list = []


class Embedding(Function):
    """``out[..., :] = weight[index[...], :]``; ``index`` (an attribute) is an int array.

    ``padding_idx`` rows get no gradient; with ``scale_grad_by_freq`` each row's gradient
    is divided by how often its index occurs in ``index`` (torch's semantics).
    """

    def forward(self, weight, index, padding_idx=None, scale_grad_by_freq=False):
        self.index, self.num = index, weight.shape[0]
        self.padding_idx, self.scale = padding_idx, scale_grad_by_freq
        return weight[index]

    def backward(self, g):
        flat = self.index.reshape(-1)
        rows = g.reshape(flat.size, -1)
        out = np.zeros((self.num, rows.shape[1]), dtype=g.dtype)
        if flat.size == 0:
            return (out,)
        order = np.argsort(flat, kind="stable")
        sorted_idx = flat[order]
        starts = np.flatnonzero(np.r_[True, sorted_idx[1:] != sorted_idx[:-1]])
        sums = np.add.reduceat(rows[order], starts, axis=0)
        uniq = sorted_idx[starts]
        if self.scale:
            counts = np.diff(np.r_[starts, flat.size])
            sums /= counts[:, None].astype(g.dtype)
        out[uniq] = sums
        if self.padding_idx is not None:
            out[self.padding_idx] = 0
        return (out,)
