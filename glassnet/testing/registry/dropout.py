"""Op registry rows: dropout.

PyTorch draws its masks from its own generator, so no row has a torch parity test
(``torch_fn=None``); the forward is checked by known-answer and statistical tests in
``tests/nn/test_functional_dropout.py``.  The gradient check still runs: each row's
``fn`` passes a freshly seeded ``generator=`` so that every call draws the same mask.
"""
from __future__ import annotations

import numpy as np

import glassnet.nn.functional as F
from glassnet.testing.op_registry import OpInfo, Sample

_NOTES = "random mask: forward tested statistically in tests/nn/test_functional_dropout.py"


def _seeded(fn):
    def call(x, **kwargs):
        return fn(x, generator=np.random.default_rng(0), **kwargs)

    call.__name__ = fn.__name__
    return call


def _samples(cases):
    def samples(rng):
        return [Sample((rng.standard_normal(shape),), dict(kw), desc=f"{shape} {kw}")
                for shape, kw in cases]

    return samples


_TRAIN = {"training": True}
ROWS = [
    OpInfo("dropout", _seeded(F.dropout), None, _samples([
        ((1, 5), {"p": 0.3}), ((2, 3, 5), {}), ((4, 3, 3, 3), {"p": 0.8}), ((7,), {"p": 0.0}),
        ((3, 4), {"p": 1.0}), ((2, 5), {"p": 0.5, "training": False})]), notes=_NOTES),
    OpInfo("dropout1d", _seeded(F.dropout1d), None, _samples([
        ((1, 4, 5), {"p": 0.3}), ((3, 5, 3), {}), ((6, 7), {"p": 0.5}),
        ((2, 3, 4), {"p": 1.0}), ((2, 3, 5), {"training": False})]), notes=_NOTES),
    OpInfo("dropout2d", _seeded(F.dropout2d), None, _samples([
        ((1, 4, 3, 3), {"p": 0.3}), ((3, 5, 2, 3), {}), ((6, 3, 3), {"p": 0.5}),
        ((2, 3, 2, 2), {"p": 0.0}), ((2, 3, 2, 2), {"training": False})]), notes=_NOTES),
    OpInfo("dropout3d", _seeded(F.dropout3d), None, _samples([
        ((1, 4, 2, 2, 3), {"p": 0.3}), ((2, 5, 2, 3, 2), {}), ((6, 3, 2, 2), {"p": 0.5}),
        ((2, 3, 2, 2, 2), {"p": 1.0}), ((2, 3, 2, 2, 2), {"training": False})]), notes=_NOTES),
    OpInfo("alpha_dropout", _seeded(F.alpha_dropout), None, _samples([
        ((1, 5), {"p": 0.3, **_TRAIN}), ((2, 3, 5), _TRAIN), ((4, 3, 3, 3), {"p": 0.1, **_TRAIN}),
        ((7,), {"p": 1.0, **_TRAIN}), ((3, 4), {"p": 0.5})]), notes=_NOTES),
    OpInfo("feature_alpha_dropout", _seeded(F.feature_alpha_dropout), None, _samples([
        ((1, 4, 5), {"p": 0.3, **_TRAIN}), ((3, 5, 2, 3), _TRAIN), ((6, 7), {"p": 0.5, **_TRAIN}),
        ((2, 3, 4), {"p": 1.0, **_TRAIN}), ((2, 3, 5), {})]), notes=_NOTES),
]
