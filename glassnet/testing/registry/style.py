"""Op registry rows: the losses of neural style transfer (``glassnet.apps.style``).

Each is a composition of covered ops; the rows check their gradients (float64 finite
differences) and their values and gradients against the same formulas in plain torch
(PyTorch's neural-style tutorial: ``G = F F^T / (C H W)``, ``mse_loss``)."""
from __future__ import annotations

import numpy as np

from glassnet.apps.style import content_loss, gram_matrix, style_loss, total_variation_loss
from glassnet.testing.op_registry import OpInfo, Sample


def _feature_samples(rng, pair: bool, gram_target: bool = False):
    shapes = [((1, 3, 4, 5), (1, 3, 4, 5), "batch 1"), ((2, 4, 3, 3), (2, 4, 3, 3), "batch 2"),
              ((1, 1, 2, 7), (1, 1, 2, 7), "one channel"),
              ((2, 5, 1, 3), (2, 5, 1, 3), "H = 1"),
              ((1, 6, 5, 2), (1, 6, 5, 2), "odd channels")]
    out = []
    for a, b, desc in shapes:
        args = (rng.standard_normal(a),)
        if pair:
            args += (rng.standard_normal(b),)
        out.append(Sample(args, desc=desc))
    if gram_target:  # the style image may have another size; or a precomputed Gram
        out.append(Sample((rng.standard_normal((1, 3, 4, 5)), rng.standard_normal((1, 3, 6, 2))),
                          desc="target of another size"))
        out.append(Sample((rng.standard_normal((2, 3, 3, 4)), rng.standard_normal((2, 3, 3))),
                          desc="Gram target"))
    return out


def _tv_samples(rng):
    return [Sample((rng.standard_normal(s),), desc=d) for s, d in (
        ((1, 3, 4, 5), "batch 1 RGB"), ((2, 1, 2, 2), "2x2"), ((1, 2, 7, 3), "odd"),
        ((3, 3, 5, 5), "batch 3"), ((1, 1, 2, 9), "H = 2"))]


def _t_gram(torch, x):
    n, c, h, w = x.shape
    f = x.reshape(n, c, h * w)
    return f @ f.transpose(1, 2) / (c * h * w)


def _t_content(torch, x, t):
    return torch.nn.functional.mse_loss(x, t)


def _t_style(torch, x, t):
    g = t if t.ndim == 3 else _t_gram(torch, t)
    return torch.nn.functional.mse_loss(_t_gram(torch, x), g)


def _t_tv(torch, x):
    dy = x[:, :, 1:, :] - x[:, :, :-1, :]
    dx = x[:, :, :, 1:] - x[:, :, :, :-1]
    return (dy ** 2).mean() + (dx ** 2).mean()


ROWS: list = [
    OpInfo("gram_matrix", gram_matrix, _t_gram, lambda rng: _feature_samples(rng, False)),
    OpInfo("content_loss", content_loss, _t_content, lambda rng: _feature_samples(rng, True)),
    OpInfo("style_loss", style_loss, _t_style,
           lambda rng: _feature_samples(rng, True, gram_target=True)),
    OpInfo("total_variation_loss", total_variation_loss, _t_tv, _tv_samples),
]
