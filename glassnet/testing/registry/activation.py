"""Op registry rows: activations and the softmax family.

Samples keep a margin of at least 0.1 (well above the finite-difference step) from every
kink, so that the float64 gradient check compares smooth pieces; the exact gradients AT
the kinks are pinned by known-answer tests in ``tests/nn/test_functional_activation.py``.
"""
from __future__ import annotations

import numpy as np

import glassnet.nn.functional as F
from glassnet.testing.op_registry import OpInfo, Sample

# Shapes shared by the elementwise activations: batch 1, odd sizes, 0-d, 4-D.
_SHAPES = [(1, 3), (5,), (2, 3, 5), (1, 3, 4, 3), ()]


def _away(x, kinks, margin=0.1):
    """Push values within ``margin`` of any kink out to ``kink +- margin``."""
    x = np.array(x, dtype=np.float64)
    for k in kinks:
        near = np.abs(x - k) < margin
        x = np.where(near, k + np.where(x >= k, margin, -margin), x)
    return x


def _unary_samples(scale=2.0, kinks=(), **kwargs):
    def samples(rng):
        out = []
        for shape in _SHAPES:
            x = _away(rng.standard_normal(shape) * scale, kinks)
            out.append(Sample((x,), dict(kwargs), desc=f"shape {shape}"))
        return out

    return samples


def _kw_samples(kwarg_list, scale=2.0, kinks_of=lambda kw: ()):
    """One sample per kwargs dict, cycling through the shared shapes."""

    def samples(rng):
        out = []
        for i, kw in enumerate(kwarg_list):
            shape = _SHAPES[i % len(_SHAPES)]
            x = _away(rng.standard_normal(shape) * scale, kinks_of(kw))
            out.append(Sample((x,), dict(kw), desc=f"shape {shape} {kw}"))
        return out

    return samples


def _prelu_samples(rng):
    out = []
    for shape, wshape in [((1, 3), (3,)), ((2, 5, 4), (5,)), ((3, 2, 3, 3), (1,)),
                          ((1, 4, 3, 5), (4,)), ((7,), (1,)), ((4, 1), (1,))]:
        x = _away(rng.standard_normal(shape), (0.0,))
        w = rng.uniform(0.05, 0.5, wshape)
        out.append(Sample((x, w), desc=f"input {shape} weight {wshape}"))
    return out


def _swish_samples(rng):
    out = []
    for shape, bshape in [((1, 3), ()), ((2, 5, 4), (1,)), ((2, 3, 3, 3), (3, 1, 1)),
                          ((7,), ()), ((1, 4, 2, 3), (1, 4, 1, 1))]:
        x = rng.standard_normal(shape) * 2
        beta = rng.uniform(0.5, 2.0, bshape)
        out.append(Sample((x, beta), desc=f"input {shape} beta {bshape}"))
    out.append(Sample((rng.standard_normal((3, 4)),), {"beta": 1.7}, desc="float beta"))
    return out


def _softmax_samples(rng):
    out = []
    for shape, dim in [((1, 5), 1), ((4, 5), 0), ((2, 3, 5), -1), ((2, 3, 5), 1),
                       ((1, 3, 2, 3), 1), ((7,), 0), ((2, 3, 4), 0)]:
        x = rng.standard_normal(shape) * 3
        out.append(Sample((x,), {"dim": dim}, desc=f"shape {shape} dim {dim}"))
    # Large logits: the max-shift keeps exp from overflowing.
    out.append(Sample((rng.standard_normal((3, 4)) * 30 + 500,), {"dim": 1}, desc="large"))
    return out


def _glu_samples(rng):
    out = []
    for shape, dim in [((1, 4), -1), ((3, 6), 1), ((2, 4, 3), 1), ((4, 3), 0),
                       ((1, 2, 3, 5), 1), ((6,), 0)]:
        out.append(Sample((rng.standard_normal(shape) * 2,), {"dim": dim},
                          desc=f"shape {shape} dim {dim}"))
    return out


def _torch_swish(torch, x, beta=None, **kw):
    b = kw.get("beta", beta)
    return x * torch.sigmoid(b * x)


_HARDTANH_KW = [{}, {"min_val": -0.5, "max_val": 2.0}, {"min_val": 0.0, "max_val": 0.5},
                {"min_val": -3.0, "max_val": -1.0}, {"min_val": -1.0, "max_val": 1.0}]
_THRESHOLD_KW = [{"threshold": 0.0, "value": 0.0}, {"threshold": 0.5, "value": -2.0},
                 {"threshold": -1.0, "value": 3.0}, {"threshold": 1.0, "value": 1.0},
                 {"threshold": 0.2, "value": 0.0}]
_SOFTPLUS_KW = [{}, {"beta": 2.0}, {"beta": 0.5, "threshold": 1.0},
                {"beta": 3.0, "threshold": 2.0}, {"beta": -1.0}]

ROWS = [
    OpInfo("sigmoid", F.sigmoid, lambda torch, x: torch.sigmoid(x), _unary_samples(4.0)),
    OpInfo("hardsigmoid", F.hardsigmoid, lambda torch, x: torch.nn.functional.hardsigmoid(x),
           _unary_samples(4.0, (-3.0, 3.0))),
    OpInfo("tanh", F.tanh, lambda torch, x: torch.tanh(x), _unary_samples()),
    OpInfo("logsigmoid", F.logsigmoid, lambda torch, x: torch.nn.functional.logsigmoid(x),
           _unary_samples(5.0)),
    OpInfo("silu", F.silu, lambda torch, x: torch.nn.functional.silu(x), _unary_samples(3.0)),
    OpInfo("swish", F.swish, _torch_swish, _swish_samples),
    OpInfo("tanhshrink", F.tanhshrink, lambda torch, x: torch.nn.functional.tanhshrink(x),
           _unary_samples()),
    OpInfo("softsign", F.softsign, lambda torch, x: torch.nn.functional.softsign(x),
           _unary_samples()),
    OpInfo("hardshrink", F.hardshrink,
           lambda torch, x, **kw: torch.nn.functional.hardshrink(x, **kw),
           _kw_samples([{}, {"lambd": 1.0}, {"lambd": 0.0}, {"lambd": -0.5}, {"lambd": 0.3}],
                       kinks_of=lambda kw: (kw.get("lambd", 0.5), -kw.get("lambd", 0.5)))),
    OpInfo("softshrink", F.softshrink,
           lambda torch, x, **kw: torch.nn.functional.softshrink(x, **kw),
           _kw_samples([{}, {"lambd": 1.0}, {"lambd": 0.0}, {"lambd": 2.0}, {"lambd": 0.3}],
                       kinks_of=lambda kw: (kw.get("lambd", 0.5), -kw.get("lambd", 0.5)))),
    OpInfo("relu", F.relu, lambda torch, x: torch.relu(x), _unary_samples(2.0, (0.0,))),
    OpInfo("relu6", F.relu6, lambda torch, x: torch.nn.functional.relu6(x),
           _unary_samples(4.0, (0.0, 6.0))),
    OpInfo("hardtanh", F.hardtanh, lambda torch, x, **kw: torch.nn.functional.hardtanh(x, **kw),
           _kw_samples(_HARDTANH_KW, kinks_of=lambda kw: (kw.get("min_val", -1.0),
                                                          kw.get("max_val", 1.0)))),
    OpInfo("threshold", F.threshold,
           lambda torch, x, **kw: torch.nn.functional.threshold(x, **kw),
           _kw_samples(_THRESHOLD_KW, kinks_of=lambda kw: (kw["threshold"],))),
    OpInfo("leaky_relu", F.leaky_relu,
           lambda torch, x, **kw: torch.nn.functional.leaky_relu(x, **kw),
           _kw_samples([{}, {"negative_slope": 0.2}, {"negative_slope": -0.5},
                        {"negative_slope": 1.5}, {"negative_slope": 0.0}],
                       kinks_of=lambda kw: (0.0,))),
    OpInfo("prelu", F.prelu, lambda torch, x, w: torch.nn.functional.prelu(x, w),
           _prelu_samples),
    OpInfo("rrelu", F.rrelu, lambda torch, x, **kw: torch.nn.functional.rrelu(x, **kw),
           _kw_samples([{}, {"lower": 0.1, "upper": 0.3}, {"lower": 0.0, "upper": 1.0},
                        {"lower": 0.25, "upper": 0.25}, {"training": False}],
                       kinks_of=lambda kw: (0.0,)),
           notes="eval mode only; training mode is random and tested in tests/nn"),
    OpInfo("elu", F.elu, lambda torch, x, **kw: torch.nn.functional.elu(x, **kw),
           _kw_samples([{}, {"alpha": 0.5}, {"alpha": 2.0}, {"alpha": 1.0}, {"alpha": 0.1}],
                       kinks_of=lambda kw: (0.0,))),
    OpInfo("selu", F.selu, lambda torch, x: torch.nn.functional.selu(x),
           _unary_samples(2.0, (0.0,))),
    OpInfo("celu", F.celu, lambda torch, x, **kw: torch.nn.functional.celu(x, **kw),
           _kw_samples([{}, {"alpha": 0.5}, {"alpha": 2.0}, {"alpha": 1.0}, {"alpha": 3.0}],
                       kinks_of=lambda kw: (0.0,))),
    OpInfo("gelu", F.gelu, lambda torch, x, **kw: torch.nn.functional.gelu(x, **kw),
           _kw_samples([{}, {"approximate": "tanh"}, {"approximate": "none"},
                        {"approximate": "tanh"}, {}], scale=3.0)),
    OpInfo("softplus", F.softplus, lambda torch, x, **kw: torch.nn.functional.softplus(x, **kw),
           _kw_samples(_SOFTPLUS_KW, scale=3.0,
                       kinks_of=lambda kw: (kw.get("threshold", 20.0) / kw.get("beta", 1.0),))),
    OpInfo("mish", F.mish, lambda torch, x: torch.nn.functional.mish(x), _unary_samples(3.0)),
    OpInfo("hardswish", F.hardswish, lambda torch, x: torch.nn.functional.hardswish(x),
           _unary_samples(4.0, (-3.0, 3.0))),
    OpInfo("glu", F.glu, lambda torch, x, **kw: torch.nn.functional.glu(x, **kw), _glu_samples),
    OpInfo("softmax", F.softmax, lambda torch, x, **kw: torch.softmax(x, **kw),
           _softmax_samples),
    OpInfo("log_softmax", F.log_softmax, lambda torch, x, **kw: torch.log_softmax(x, **kw),
           _softmax_samples),
    OpInfo("softmin", F.softmin, lambda torch, x, **kw: torch.nn.functional.softmin(x, **kw),
           _softmax_samples),
]
