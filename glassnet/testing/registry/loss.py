"""Op registry rows: losses and distances.

Weights are passed positionally (so they become tensors) and listed in ``nondiff``
when PyTorch does not differentiate them.  Samples keep away from the kinks (l1 at 0,
smooth_l1 at ``|d| = beta``, hinges exactly at their margin) so that finite differences
are valid.
"""
from __future__ import annotations

import numpy as np

from glassnet.nn import functional as F
from glassnet.nn._functional import loss_more as F2
from glassnet.testing.op_registry import OpInfo, Sample


def _tf(torch):
    return torch.nn.functional


def _away(rng, shape, lo=0.15, hi=1.5):
    """Random values with ``lo <= |v| <= hi`` (off the kink at 0)."""
    return rng.uniform(lo, hi, shape) * rng.choice([-1.0, 1.0], shape)


def _kinked(rng, shape, kink):
    """Differences whose magnitudes avoid ``kink`` by at least 0.1 (both sides hit)."""
    mag = np.where(rng.random(shape) < 0.5, rng.uniform(0.05, 0.9, shape) * kink,
                   kink + rng.uniform(0.1, 1.0, shape))
    return mag * rng.choice([-1.0, 1.0], shape)


def _labels(rng, shape, dtype=np.float64):
    return rng.choice([-1, 1], shape).astype(dtype)


def _probs(rng, shape, axis=1):
    p = rng.uniform(0.1, 1.0, shape)
    return p / p.sum(axis=axis, keepdims=True)


# ---------------------------------------------------------------------------
# Regression
# ---------------------------------------------------------------------------
def _regression_samples(kink=None):
    def samples(rng):
        def pair(shape, tshape=None):
            t = rng.standard_normal(shape if tshape is None else tshape)
            d = _kinked(rng, shape, kink) if kink else _away(rng, shape)
            return t + d, t

        x, t = pair((3, 4))
        out = [Sample((x, t), desc="mean")]
        x, t = pair((2, 3, 2))
        out.append(Sample((x, t), {"reduction": "sum"}, desc="sum"))
        x, t = pair((5,))
        out.append(Sample((x, t), {"reduction": "none"}, desc="none, 1-D"))
        x, t = pair((1, 3))
        out.append(Sample((x, t), desc="batch 1"))
        x, t = pair((2, 3, 4, 2))
        out.append(Sample((x, t), {"reduction": "none"}, desc="4-D"))
        x, t = pair((3, 4), (4,))
        out.append(Sample((x, t), desc="target broadcast (warns)"))
        return out
    return samples


def _weighted(rng, base):
    """Add weighted samples (weight is differentiable in PyTorch) to a regression row."""
    out = base(rng)
    x, t = out[0].args
    w = rng.uniform(0.2, 2.0, x.shape)
    out.append(Sample((x, t, w), desc="weight, mean"))
    out.append(Sample((x, t, w), {"reduction": "sum"}, desc="weight, sum"))
    out.append(Sample((x, t, w), {"reduction": "none"}, desc="weight, none"))
    return out


def _smooth_l1_samples(rng):
    out = _regression_samples(kink=1.0)(rng)
    x = rng.standard_normal((3, 4))
    out.append(Sample((x, x - _kinked(rng, (3, 4), 0.5)), {"beta": 0.5}, desc="beta 0.5"))
    out.append(Sample((x, x - _away(rng, (3, 4))), {"beta": 0.0}, desc="beta 0 is l1"))
    return out


def _huber_samples(rng):
    out = _weighted(rng, _regression_samples(kink=1.0))
    x = rng.standard_normal((3, 4))
    out.append(Sample((x, x - _kinked(rng, (3, 4), 2.0)), {"delta": 2.0}, desc="delta 2"))
    return out


# ---------------------------------------------------------------------------
# Classification
# ---------------------------------------------------------------------------
def _targets(rng, n_shape, c, ignore=()):
    t = rng.integers(0, c, n_shape).astype(np.int64)
    flat = t.reshape(-1)
    for k, v in enumerate(ignore):
        flat[k * 2] = v
    return t


def _class_samples(rng, smoothing=False):
    ls = {"label_smoothing": 0.2} if smoothing else {}
    out = [
        Sample((rng.standard_normal((4, 5)), _targets(rng, (4,), 5)), dict(ls), desc="mean"),
        Sample((rng.standard_normal((4, 5)), _targets(rng, (4,), 5), rng.uniform(0.2, 2, 5)),
               dict(ls), desc="weight", nondiff=(2,)),
        Sample((rng.standard_normal((6, 3)), _targets(rng, (6,), 3, ignore=(-100, -100)),
                rng.uniform(0.2, 2, 3)), dict(ls), desc="weight + ignored targets",
               nondiff=(2,)),
        Sample((rng.standard_normal((5, 4)), _targets(rng, (5,), 4, ignore=(2,))),
               dict(ls, ignore_index=2, reduction="sum"), desc="ignore_index=2, sum"),
        Sample((rng.standard_normal((5, 4)), _targets(rng, (5,), 4, ignore=(-100,))),
               dict(ls, reduction="none"), desc="none with ignored"),
        Sample((rng.standard_normal((2, 3, 3, 2)), _targets(rng, (2, 3, 2), 3, ignore=(-100,)),
                rng.uniform(0.2, 2, 3)), dict(ls), desc="spatial (N, C, H, W), weight",
               nondiff=(2,)),
        Sample((rng.standard_normal((2, 3, 4)), _targets(rng, (2, 4), 3)),
               dict(ls, reduction="none"), desc="(N, C, L), none"),
        Sample((rng.standard_normal((1, 6)), _targets(rng, (1,), 6)), dict(ls),
               desc="batch 1"),
        Sample((rng.standard_normal(5), np.array(3, dtype=np.int64)), dict(ls),
               desc="unbatched (C,)"),
        Sample((rng.standard_normal(5), np.array(1, dtype=np.int64)),
               dict(ls, reduction="none"), desc="unbatched (C,), none"),
    ]
    return out


def _ce_samples(rng):
    out = _class_samples(rng) + _class_samples(rng, smoothing=True)
    # Probability targets (differentiable, as in PyTorch).
    out += [
        Sample((rng.standard_normal((4, 5)), _probs(rng, (4, 5))), desc="probabilities"),
        Sample((rng.standard_normal((4, 5)), _probs(rng, (4, 5)), rng.uniform(0.2, 2, 5)),
               {"label_smoothing": 0.1}, desc="probabilities, weight, smoothing",
               nondiff=(2,)),
        Sample((rng.standard_normal((2, 3, 2, 2)), _probs(rng, (2, 3, 2, 2))),
               {"reduction": "none"}, desc="spatial probabilities, none"),
        Sample((rng.standard_normal(4), _probs(rng, (4,), axis=0)), {"reduction": "sum"},
               desc="unbatched probabilities"),
        Sample((rng.standard_normal((3, 4)), _probs(rng, (3, 4))),
               {"reduction": "sum", "label_smoothing": 0.3}, desc="probabilities, sum"),
    ]
    return out


def _bce_samples(rng, logits):
    def x(shape):
        return rng.standard_normal(shape) * 2 if logits else rng.uniform(0.05, 0.95, shape)

    out = [
        Sample((x((3, 4)), rng.uniform(0, 1, (3, 4))), desc="mean"),
        Sample((x((3, 4)), rng.uniform(0, 1, (3, 4))), {"reduction": "sum"}, desc="sum"),
        Sample((x((2, 3, 2)), rng.integers(0, 2, (2, 3, 2)).astype(np.float64)),
               {"reduction": "none"}, desc="hard targets, none"),
        Sample((x((3, 4)), rng.uniform(0, 1, (3, 4)), rng.uniform(0.2, 2, (4,))),
               desc="weight broadcast over rows", nondiff=(2,)),
        Sample((x((1, 5)), rng.uniform(0, 1, (1, 5)), rng.uniform(0.2, 2, (1, 5))),
               {"reduction": "none"}, desc="batch 1, weight", nondiff=(2,)),
        Sample((x((6,)), rng.uniform(0, 1, (6,))), desc="1-D"),
    ]
    if logits:
        out += [
            Sample((x((3, 4)), rng.uniform(0, 1, (3, 4)), None, rng.uniform(0.5, 3, (4,))),
                   desc="pos_weight (C,) broadcast", nondiff=(3,)),
            Sample((x((2, 3, 4)), rng.uniform(0, 1, (2, 3, 4)), rng.uniform(0.2, 2, (3, 1)),
                    rng.uniform(0.5, 3, (4,))), {"reduction": "none"},
                   desc="weight and pos_weight, none", nondiff=(2, 3)),
            Sample((np.array([-30.0, -5.0, 0.5, 5.0, 30.0]), rng.uniform(0, 1, 5)),
                   {"reduction": "sum"}, desc="large logits"),
        ]
    return out


def _kl_samples(rng):
    def logp(shape):
        z = rng.standard_normal(shape)
        return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))

    return [
        Sample((logp((3, 4)), _probs(rng, (3, 4), axis=-1)), {"reduction": "batchmean"},
               desc="batchmean"),
        Sample((logp((3, 4)), _probs(rng, (3, 4), axis=-1)), desc="mean"),
        Sample((logp((2, 3, 4)), _probs(rng, (2, 3, 4), axis=-1)), {"reduction": "sum"},
               desc="sum"),
        Sample((logp((3, 4)), _probs(rng, (3, 4), axis=-1)), {"reduction": "none"},
               desc="none"),
        Sample((logp((3, 4)), logp((3, 4))), {"reduction": "batchmean", "log_target": True},
               desc="log_target"),
        Sample((logp((1, 5)), logp((1, 5))), {"reduction": "none", "log_target": True},
               desc="log_target, batch 1, none"),
    ]


# ---------------------------------------------------------------------------
# Margin losses and distances
# ---------------------------------------------------------------------------
def _np_dist(a, b, p, eps=1e-6):
    d = np.abs(a - b + eps)
    if p == np.inf:
        return d.max(-1)
    return (d ** p).sum(-1) ** (1 / p)


def _triplet_samples(rng):
    cases = [((4, 3), {}), ((5, 2), {"p": 1, "reduction": "sum"}),
             ((4, 3), {"swap": True, "reduction": "none"}), ((3,), {"margin": 0.5}),
             ((1, 4), {"p": 3, "margin": 2.0}), ((6, 3), {"swap": True, "margin": 0.7})]
    out = []
    for shape, kw in cases:
        while True:  # keep away from the hinge and from ties in swap's min
            a, pos, neg = (rng.standard_normal(shape) for _ in range(3))
            p = kw.get("p", 2)
            dp, dn, ds = _np_dist(a, pos, p), _np_dist(a, neg, p), _np_dist(pos, neg, p)
            if kw.get("swap"):
                if np.any(np.abs(dn - ds) < 0.05):
                    continue
                dn = np.minimum(dn, ds)
            if np.all(np.abs(kw.get("margin", 1.0) + dp - dn) > 0.05):
                break
        out.append(Sample((a, pos, neg), kw, desc=str(kw)))
    return out


def _margin_ranking_samples(rng):
    out = []
    for shape, kw in [((5,), {}), ((6,), {"margin": 0.5, "reduction": "sum"}),
                      ((4,), {"margin": 0.2, "reduction": "none"}), ((1,), {"margin": 1.0}),
                      ((7,), {"margin": -0.3})]:
        x1, t = rng.standard_normal(shape), _labels(rng, shape)
        # -t (x1 - x2) + margin = away, off the hinge
        x2 = x1 + t * (_away(rng, shape, 0.1, 1.0) - kw.get("margin", 0.0))
        out.append(Sample((x1, x2, t), kw, desc=str(kw)))
    return out


def _hinge_samples(rng):
    def x(shape, margin=1.0):  # distances off the hinge at margin
        return np.abs(margin + _away(rng, shape, 0.1, 0.9 * margin))

    return [
        Sample((x((3, 4)), _labels(rng, (3, 4))), desc="mean", nondiff=(1,)),
        Sample((x((5,), 2.0), _labels(rng, (5,))), {"margin": 2.0, "reduction": "sum"},
               desc="margin 2, sum", nondiff=(1,)),
        Sample((x((2, 3)), _labels(rng, (2, 3), np.int64)), {"reduction": "none"},
               desc="int64 targets, none"),
        Sample((x((1, 4)), _labels(rng, (1, 4))), desc="batch 1", nondiff=(1,)),
        Sample((rng.standard_normal((6,)) * 0.2 + 0.5, _labels(rng, (6,))),
               {"margin": 1.5}, desc="margin 1.5", nondiff=(1,)),
    ]


def _soft_margin_samples(rng):
    return [
        Sample((rng.standard_normal((3, 4)), _labels(rng, (3, 4))), desc="mean",
               nondiff=(1,)),
        Sample((rng.standard_normal((5,)), _labels(rng, (5,))), {"reduction": "sum"},
               desc="sum", nondiff=(1,)),
        Sample((rng.standard_normal((2, 3, 2)), _labels(rng, (2, 3, 2))),
               {"reduction": "none"}, desc="none", nondiff=(1,)),
        Sample((rng.standard_normal((1, 3)) * 10, _labels(rng, (1, 3))), desc="large",
               nondiff=(1,)),
        Sample((rng.standard_normal((4,)), _labels(rng, (4,), np.int64)),
               desc="int64 targets"),
    ]


def _cosine_embedding_samples(rng):
    out = []
    for shape, kw in [((4, 3), {}), ((5, 2), {"margin": 0.3, "reduction": "sum"}),
                      ((3, 4), {"margin": -0.2, "reduction": "none"}), ((3,), {}),
                      ((1, 5), {"margin": 0.1}), ((6, 3), {"margin": 0.5})]:
        while True:
            x1, x2 = rng.standard_normal(shape), rng.standard_normal(shape)
            cos = (x1 * x2).sum(-1) / np.sqrt((x1 * x1).sum(-1) * (x2 * x2).sum(-1))
            if np.all(np.abs(cos - kw.get("margin", 0.0)) > 0.05):
                break
        t = _labels(rng, shape[:-1], np.int64)
        out.append(Sample((x1, x2, t), kw, desc=str(kw)))
    return out


def _multi_margin_samples(rng):
    return [
        Sample((rng.standard_normal((4, 5)), _targets(rng, (4,), 5)), desc="p=1"),
        Sample((rng.standard_normal((4, 5)), _targets(rng, (4,), 5)),
               {"p": 2, "reduction": "sum"}, desc="p=2, sum"),
        Sample((rng.standard_normal((3, 4)), _targets(rng, (3,), 4), rng.uniform(0.2, 2, 4)),
               {"margin": 0.5}, desc="weight, margin", nondiff=(2,)),
        Sample((rng.standard_normal((3, 4)), _targets(rng, (3,), 4)), {"reduction": "none"},
               desc="none"),
        Sample((rng.standard_normal(5), np.array(2, dtype=np.int64)), {"p": 2},
               desc="unbatched"),
        Sample((rng.standard_normal((1, 3)), _targets(rng, (1,), 3)), desc="batch 1"),
    ]


def _cosine_similarity_samples(rng):
    return [
        Sample((rng.standard_normal((3, 4)), rng.standard_normal((3, 4))), desc="dim 1"),
        Sample((rng.standard_normal((3, 4)), rng.standard_normal((4,))), {"dim": -1},
               desc="broadcast x2"),
        Sample((rng.standard_normal((2, 3, 4)), rng.standard_normal((3, 4))), {"dim": 1},
               desc="3-D, dim 1, broadcast"),
        Sample((rng.standard_normal((4, 2)), rng.standard_normal((4, 2))), {"dim": 0},
               desc="dim 0"),
        Sample((rng.standard_normal((1, 5)), rng.standard_normal((1, 5)) * 1e-3),
               {"eps": 1e-12}, desc="small but unclamped norm"),
    ]


def _pairwise_samples(rng):
    def r(*s):
        return rng.standard_normal(s)

    return [
        Sample((r(4, 3), r(4, 3)), desc="p=2"),
        Sample((r(4, 3), r(4, 3)), {"p": 1.0}, desc="p=1"),
        Sample((r(4, 3), r(4, 3)), {"p": float("inf")}, desc="p=inf"),
        Sample((r(3, 5), r(5)), {"p": 3.0, "keepdim": True}, desc="p=3, broadcast, keepdim"),
        Sample((r(4), r(4)), desc="1-D"),
        Sample((r(1, 2), r(1, 2)), {"p": 1.5, "eps": 0.0}, desc="batch 1, p=1.5"),
    ]


def _multilabel_targets(rng, n, c):
    """Rows of distinct classes in random order, cut by a -1 at a random place."""
    t = np.argsort(rng.random((n, c)), axis=1).astype(np.int64)
    for row, k in zip(t, rng.integers(0, c + 1, n)):
        if k < c:
            row[k] = -1
    return t


def _multilabel_margin_samples(rng):
    r = rng.standard_normal
    return [
        Sample((r((4, 5)), _multilabel_targets(rng, 4, 5)), desc="mean"),
        Sample((r((3, 4)), _multilabel_targets(rng, 3, 4)), {"reduction": "sum"}, desc="sum"),
        Sample((r((3, 6)), _multilabel_targets(rng, 3, 6)), {"reduction": "none"},
               desc="none"),
        Sample((r(5), _multilabel_targets(rng, 1, 5)[0]), desc="unbatched"),
        Sample((r((1, 3)), np.array([[2, -1, 0]])), desc="batch 1, one target"),
        Sample((r((2, 3)), np.array([[0, 1, 2], [-1, 0, 1]])), desc="all / no targets"),
    ]


def _multilabel_soft_samples(rng):
    def y(shape):
        return (rng.random(shape) < 0.5).astype(np.float64)

    return [
        Sample((rng.standard_normal((4, 3)) * 2, y((4, 3))), desc="mean"),
        Sample((rng.standard_normal((3, 5)), y((3, 5)), rng.uniform(0.2, 2, 5)),
               {"reduction": "sum"}, desc="class weight, sum", nondiff=(1, 2)),
        Sample((rng.standard_normal((2, 4)), rng.random((2, 4))), {"reduction": "none"},
               desc="soft targets, none", nondiff=(1,)),
        Sample((rng.standard_normal(5), y(5)), desc="unbatched"),
        Sample((rng.standard_normal((1, 3)), y((1, 3)), rng.uniform(0.2, 2, (1, 3))),
               desc="batch 1, full weight", nondiff=(1, 2)),
    ]


def _poisson_samples(rng):
    u = rng.uniform
    counts = rng.integers(0, 6, (3, 4)).astype(np.float64)
    return [
        Sample((rng.standard_normal((3, 4)), u(0.1, 4, (3, 4))), desc="log input"),
        Sample((u(0.2, 3, (3, 4)), u(0.1, 4, (3, 4))), {"log_input": False}, desc="rate"),
        Sample((rng.standard_normal((3, 4)), counts), {"full": True, "reduction": "sum"},
               desc="full, counts", nondiff=(1,)),
        Sample((u(0.2, 3, (2, 5)), u(1.2, 4, (2, 5))),
               {"log_input": False, "full": True, "reduction": "none"}, desc="rate full"),
        Sample((rng.standard_normal((1, 3)), u(0.1, 2, (3,))), desc="broadcast target"),
        Sample((u(0.2, 3, 4), u(0, 2, 4)), {"log_input": False, "eps": 0.1}, desc="eps"),
    ]


def _gaussian_samples(rng):
    r, u = rng.standard_normal, rng.uniform
    return [
        Sample((r((4, 3)), r((4, 3)), u(0.2, 2, (4, 3))), desc="heteroscedastic"),
        Sample((r((4, 3)), r((4, 3)), u(0.2, 2, (4,))), {"full": True}, desc="var (N,)"),
        Sample((r((2, 3, 2)), r((2, 3, 2)), u(0.2, 2, (2, 1, 2))), {"reduction": "sum"},
               desc="var with one dim 1"),
        Sample((r((3, 2)), r((3, 2)), u(0.2, 2, (3, 2))), {"eps": 0.5, "reduction": "none"},
               desc="clamped var"),
        Sample((r((1, 4)), r((1, 4)), u(0.5, 2, (1, 1))), desc="batch 1, one variance"),
        Sample((r(5), r(5), 0.7), desc="float var"),
    ]


def _triplet_distance_samples(rng):
    r = rng.standard_normal
    return [
        Sample((r((4, 5)), r((4, 5)), r((4, 5))), desc="default distance"),
        Sample((r((3, 4)), r((3, 4)), r((3, 4))), {"margin": 0.5, "swap": True},
               desc="swap"),
        Sample((r((3, 4)), r((3, 4)), r((3, 4))), {"reduction": "none", "margin": 2.0},
               desc="none"),
        Sample((r(6), r(6), r(6)), {"reduction": "sum"}, desc="unbatched"),
        Sample((r((1, 3)), r((1, 3)), r((1, 3))), {"margin": 3.0}, desc="batch 1"),
    ]


ROWS: list = [
    OpInfo("mse_loss", lambda x, t, w=None, **k: F.mse_loss(x, t, weight=w, **k),
           lambda torch, x, t, w=None, **k: _tf(torch).mse_loss(x, t, weight=w, **k),
           lambda rng: _weighted(rng, _regression_samples())),
    OpInfo("l1_loss", lambda x, t, w=None, **k: F.l1_loss(x, t, weight=w, **k),
           lambda torch, x, t, w=None, **k: _tf(torch).l1_loss(x, t, weight=w, **k),
           lambda rng: _weighted(rng, _regression_samples())),
    OpInfo("smooth_l1_loss", F.smooth_l1_loss,
           lambda torch, *a, **k: _tf(torch).smooth_l1_loss(*a, **k), _smooth_l1_samples),
    OpInfo("huber_loss", lambda x, t, w=None, **k: F.huber_loss(x, t, weight=w, **k),
           lambda torch, x, t, w=None, **k: _tf(torch).huber_loss(x, t, weight=w, **k),
           _huber_samples),
    OpInfo("cross_entropy", lambda x, t, w=None, **k: F.cross_entropy(x, t, weight=w, **k),
           lambda torch, x, t, w=None, **k: _tf(torch).cross_entropy(x, t, weight=w, **k),
           _ce_samples),
    OpInfo("nll_loss", lambda x, t, w=None, **k: F.nll_loss(x, t, weight=w, **k),
           lambda torch, x, t, w=None, **k: _tf(torch).nll_loss(x, t, weight=w, **k),
           _class_samples),
    OpInfo("binary_cross_entropy",
           lambda x, t, w=None, **k: F.binary_cross_entropy(x, t, weight=w, **k),
           lambda torch, x, t, w=None, **k: _tf(torch).binary_cross_entropy(x, t, w, **k),
           lambda rng: _bce_samples(rng, logits=False)),
    OpInfo("binary_cross_entropy_with_logits",
           lambda x, t, w=None, pw=None, **k: F.binary_cross_entropy_with_logits(
               x, t, weight=w, pos_weight=pw, **k),
           lambda torch, x, t, w=None, pw=None, **k:
               _tf(torch).binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=pw, **k),
           lambda rng: _bce_samples(rng, logits=True)),
    OpInfo("kl_div", F.kl_div, lambda torch, *a, **k: _tf(torch).kl_div(*a, **k), _kl_samples),
    OpInfo("triplet_margin_loss", F.triplet_margin_loss,
           lambda torch, *a, **k: _tf(torch).triplet_margin_loss(*a, **k), _triplet_samples),
    OpInfo("margin_ranking_loss", F.margin_ranking_loss,
           lambda torch, *a, **k: _tf(torch).margin_ranking_loss(*a, **k),
           _margin_ranking_samples),
    OpInfo("hinge_embedding_loss", F.hinge_embedding_loss,
           lambda torch, *a, **k: _tf(torch).hinge_embedding_loss(*a, **k), _hinge_samples),
    OpInfo("soft_margin_loss", F.soft_margin_loss,
           lambda torch, x, t, **k: _tf(torch).soft_margin_loss(x, t.to(x.dtype), **k),
           _soft_margin_samples),
    OpInfo("cosine_embedding_loss", F.cosine_embedding_loss,
           lambda torch, *a, **k: _tf(torch).cosine_embedding_loss(*a, **k),
           _cosine_embedding_samples),
    OpInfo("multi_margin_loss",
           lambda x, t, w=None, **k: F.multi_margin_loss(x, t, weight=w, **k),
           lambda torch, x, t, w=None, **k: _tf(torch).multi_margin_loss(x, t, weight=w, **k),
           _multi_margin_samples),
    OpInfo("cosine_similarity", F.cosine_similarity,
           lambda torch, *a, **k: _tf(torch).cosine_similarity(*a, **k),
           _cosine_similarity_samples),
    OpInfo("pairwise_distance", F.pairwise_distance,
           lambda torch, *a, **k: _tf(torch).pairwise_distance(*a, **k), _pairwise_samples),
    OpInfo("multilabel_margin_loss", F2.multilabel_margin_loss,
           lambda torch, *a, **k: _tf(torch).multilabel_margin_loss(*a, **k),
           _multilabel_margin_samples),
    OpInfo("multilabel_soft_margin_loss",
           lambda x, t, w=None, **k: F2.multilabel_soft_margin_loss(x, t, weight=w, **k),
           lambda torch, x, t, w=None, **k: _tf(torch).multilabel_soft_margin_loss(
               x, t, weight=w, **k), _multilabel_soft_samples),
    OpInfo("poisson_nll_loss", F2.poisson_nll_loss,
           lambda torch, *a, **k: _tf(torch).poisson_nll_loss(*a, **k), _poisson_samples),
    OpInfo("gaussian_nll_loss", F2.gaussian_nll_loss,
           lambda torch, *a, **k: _tf(torch).gaussian_nll_loss(*a, **k), _gaussian_samples),
    OpInfo("triplet_margin_with_distance_loss", F2.triplet_margin_with_distance_loss,
           lambda torch, *a, **k: _tf(torch).triplet_margin_with_distance_loss(*a, **k),
           _triplet_distance_samples),
]
