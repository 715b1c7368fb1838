"""Op registry rows: quantisation ops (weight sharing's codebook gather, fake quantisation).

The fake-quantisation rows skip the finite-difference check: their forward is a step
function whose true derivative is 0 almost everywhere, while the backward is the
straight-through estimator; the parity test compares both passes with PyTorch's."""
from __future__ import annotations

import numpy as np

from glassnet.quantization.fake_quantize import (
    fake_quantize_per_channel_affine, fake_quantize_per_tensor_affine,
)
from glassnet.quantization.weight_sharing import shared_weight
from glassnet.testing.op_registry import OpInfo, Sample


def _labels(rng, k, *shape, frac_zero=0.3):
    lab = rng.integers(0, k, shape).astype(np.int64)
    lab[rng.random(shape) < frac_zero] = -1
    return lab


def _shared_weight(rng):
    return [Sample((rng.standard_normal(7), _labels(rng, 7, 5, 3)), desc="2-D weight"),
            Sample((rng.standard_normal(4), _labels(rng, 4, 1, 9)), desc="batch 1, odd"),
            Sample((rng.standard_normal(31), _labels(rng, 31, 4, 3, 3, 3)), desc="conv weight"),
            Sample((rng.standard_normal(1), _labels(rng, 1, 6)), desc="one centroid"),
            Sample((rng.standard_normal(5), _labels(rng, 5, 8, frac_zero=0.0)),
                   desc="no zeros")]


def _x(rng, *shape):
    return rng.standard_normal(shape) * 2.0


def _fq_tensor(rng):
    return [Sample((_x(rng, 4, 5), 0.05, 128, 0, 255), desc="quint8"),
            Sample((_x(rng, 1, 7), 0.02, 0, -128, 127), desc="batch 1, qint8, clamps"),
            Sample((_x(rng, 2, 3, 5, 5), 0.1, 3, 0, 255), desc="4-D, clamps below"),
            Sample((_x(rng, 9), 0.013, -5, -64, 63), desc="reduced range"),
            Sample((_x(rng, 3, 3), 0.5, 0, 0, 15), desc="4 bits")]


def _fq_channel(rng):
    def s(c):
        return rng.uniform(0.01, 0.1, c)

    def z(c, lo, hi):
        return rng.integers(lo, hi, c).astype(np.int64)

    return [Sample((_x(rng, 4, 5), s(4), z(4, 100, 150), 0, 0, 255), nondiff=(1,),
                   desc="rows"),
            Sample((_x(rng, 1, 7), s(7), z(7, -3, 3), 1, -128, 127), nondiff=(1,),
                   desc="batch 1, columns, qint8"),
            Sample((_x(rng, 6, 3, 3, 3), s(6), np.zeros(6, np.int64), 0, -128, 127),
                   nondiff=(1,), desc="conv weight, symmetric"),
            Sample((_x(rng, 2, 3, 5), s(5), z(5, 0, 255), 2, 0, 255), nondiff=(1,),
                   desc="last axis"),
            Sample((_x(rng, 3, 4, 2), s(4), z(4, 0, 15), 1, 0, 15), nondiff=(1,),
                   desc="4 bits, middle axis")]


def _torch_shared(torch, c, lab):
    return torch.where(lab >= 0, c[lab.clamp(min=0)], torch.zeros((), dtype=c.dtype))


ROWS = [
    OpInfo("shared_weight", shared_weight, _torch_shared, _shared_weight),
    OpInfo("fake_quantize_per_tensor_affine", fake_quantize_per_tensor_affine,
           lambda torch, x, s, z, lo, hi: torch.fake_quantize_per_tensor_affine(
               x, s, z, lo, hi), _fq_tensor, gradcheck=False,
           notes="straight-through estimator: not the derivative of the step function"),
    OpInfo("fake_quantize_per_channel_affine", fake_quantize_per_channel_affine,
           lambda torch, x, s, z, axis, lo, hi: torch.fake_quantize_per_channel_affine(
               x, s, z.to(torch.int32), axis, lo, hi), _fq_channel, gradcheck=False,
           notes="straight-through estimator: not the derivative of the step function"),
]
