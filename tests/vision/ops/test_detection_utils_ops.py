"""AnchorGenerator, Matcher, BalancedPositiveNegativeSampler and BoxCoder: known answers
and equality with torchvision.models.detection (skipped without torchvision)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet.testing import gradcheck
from glassnet.vision.ops import (AnchorGenerator, BalancedPositiveNegativeSampler, BoxCoder,
                                 Matcher)


# ---------------------------------------------------------------------------
# AnchorGenerator
# ---------------------------------------------------------------------------
def test_cell_anchors_follow_ratio_formula():
    gen = AnchorGenerator(sizes=((32, 64),), aspect_ratios=((0.25, 1.0),))
    cell = gen.cell_anchors[0].numpy()
    # ratio 0.25: h = 0.5 * size, w = 2 * size; ratios outer, sizes inner.
    np.testing.assert_array_equal(cell, [[-32, -8, 32, 8], [-64, -16, 64, 16],
                                         [-16, -16, 16, 16], [-32, -32, 32, 32]])
    assert gen.num_anchors_per_location() == [4]


def test_anchor_grid_order_and_strides():
    gen = AnchorGenerator(sizes=((8,), (16,)), aspect_ratios=(1.0, 2.0))
    anchors = gen((32, 48), [(2, 3), (1, 1)])
    assert anchors.shape == (2 * 3 * 2 + 1 * 1 * 2, 4)
    a = anchors.numpy()
    # Stride (32 // 2, 48 // 3) = (16, 16): row-major grid, two cell anchors per cell.
    cell = gen.cell_anchors[0].numpy()
    np.testing.assert_array_equal(a[0:2], cell)
    np.testing.assert_array_equal(a[2:4], cell + [16, 0, 16, 0])
    np.testing.assert_array_equal(a[6:8], cell + [0, 16, 0, 16])
    np.testing.assert_array_equal(a[12:], gen.cell_anchors[1].data)


def test_anchor_generator_errors():
    with pytest.raises(ValueError, match="one entry per feature map"):
        AnchorGenerator(sizes=((8,), (16,)), aspect_ratios=((1.0,), (1.0,), (2.0,)))
    with pytest.raises(ValueError, match="got 2 feature maps for 1 entries"):
        AnchorGenerator()((64, 64), [(4, 4), (2, 2)])


def test_anchor_generator_matches_torchvision():
    tv = pytest.importorskip("torchvision", reason="torchvision not installed")
    import torch
    from torchvision.models.detection.anchor_utils import AnchorGenerator as TVAnchors
    from torchvision.models.detection.image_list import ImageList

    sizes = ((32,), (64,), (128, 181), (256,))
    ratios = ((0.5, 1.0, 2.0), (0.5, 1.0, 2.0), (0.7, 1.3), (1.0,))
    fmaps = [(50, 38), (25, 19), (13, 10), (7, 5)]
    image = (800, 608)
    ours = AnchorGenerator(sizes, ratios)(image, fmaps)
    images = ImageList(torch.zeros(2, 3, *image), [image, (780, 600)])
    ref = TVAnchors(sizes, ratios)(images, [torch.zeros(2, 8, h, w) for h, w in fmaps])
    assert tv is not None and len(ref) == 2
    np.testing.assert_array_equal(ours.data, ref[0].numpy())
    np.testing.assert_array_equal(AnchorGenerator()((512, 512), [(32, 32)]).data,
                                  TVAnchors()(ImageList(torch.zeros(1, 3, 512, 512),
                                                        [(512, 512)]),
                                              [torch.zeros(1, 1, 32, 32)])[0].numpy())


# ---------------------------------------------------------------------------
# Matcher and sampler
# ---------------------------------------------------------------------------
def test_matcher_thresholds():
    q = gn.tensor([[0.9, 0.5, 0.1, 0.7, 0.3],
                   [0.2, 0.6, 0.0, 0.1, 0.29]])
    assert Matcher(0.7, 0.3)(q).tolist() == [0, -2, -1, 0, -2]
    assert Matcher.BELOW_LOW_THRESHOLD == -1 and Matcher.BETWEEN_THRESHOLDS == -2


def test_matcher_low_quality_matches_include_ties():
    q = gn.tensor([[0.1, 0.4, 0.4, 0.0],
                   [0.2, 0.0, 0.1, 0.8]])
    assert Matcher(0.7, 0.3)(q).tolist() == [-1, -2, -2, 1]
    # gt 0's best quality 0.4 is shared by predictions 1 and 2: both get gt 0 back.
    assert Matcher(0.7, 0.3, allow_low_quality_matches=True)(q).tolist() == [-1, 0, 0, 1]


def test_matcher_errors():
    with pytest.raises(ValueError, match="low_threshold must be <= high_threshold"):
        Matcher(0.3, 0.7)
    with pytest.raises(ValueError, match="no ground-truth boxes"):
        Matcher()(gn.zeros(0, 5))
    with pytest.raises(ValueError, match="no proposal boxes"):
        Matcher()(gn.zeros(3, 0))


def test_matcher_matches_torchvision():
    pytest.importorskip("torchvision", reason="torchvision not installed")
    import torch
    from torchvision.models.detection._utils import Matcher as TVMatcher

    rng = np.random.default_rng(0)
    q = np.round(rng.uniform(0, 1, (6, 400)), 2).astype(np.float32)  # ties included
    for low_quality in (False, True):
        for hi, lo in ((0.7, 0.3), (0.5, 0.5), (0.6, 0.4)):
            ours = Matcher(hi, lo, low_quality)(gn.tensor(q)).detach().numpy()
            ref = TVMatcher(hi, lo, low_quality)(torch.tensor(q)).numpy()
            np.testing.assert_array_equal(ours, ref)


def test_sampler_counts_and_reproducibility():
    matched = gn.tensor(np.array([1] * 10 + [0] * 50 + [-1] * 40))
    sampler = BalancedPositiveNegativeSampler(32, 0.25)
    pos, neg = sampler([matched], generator=np.random.default_rng(0))
    assert pos[0].dtype == np.uint8 and pos[0].shape == (100,)
    assert int(pos[0].data.sum()) == 8 and int(neg[0].data.sum()) == 24
    assert pos[0].data[10:].sum() == 0 and neg[0].data[:10].sum() == 0
    assert neg[0].data[60:].sum() == 0
    pos2, neg2 = sampler([matched], generator=np.random.default_rng(0))
    np.testing.assert_array_equal(pos[0].data, pos2[0].data)
    gn.manual_seed(5)
    a = sampler([matched])[1][0].numpy().copy()
    gn.manual_seed(5)
    np.testing.assert_array_equal(a, sampler([matched])[1][0].data)
    # Too few positives: negatives fill the batch.
    pos, neg = BalancedPositiveNegativeSampler(40, 0.5)([matched])
    assert int(pos[0].data.sum()) == 10 and int(neg[0].data.sum()) == 30


# ---------------------------------------------------------------------------
# BoxCoder
# ---------------------------------------------------------------------------
def _boxes(rng, n):
    xy = rng.uniform(0, 100, (n, 2))
    return np.concatenate([xy, xy + rng.uniform(2, 60, (n, 2))], 1).astype(np.float32)


def test_box_coder_round_trip_and_known_offsets():
    coder = BoxCoder((10.0, 10.0, 5.0, 5.0))
    anchors = gn.tensor([[0.0, 0.0, 10.0, 20.0]])
    gt = gn.tensor([[5.0, 0.0, 15.0, 40.0]])
    codes = coder.encode_single(gt, anchors)
    np.testing.assert_allclose(codes.data, [[5.0, 5.0, 0.0, 5 * math.log(2)]], rtol=1e-6)
    np.testing.assert_allclose(coder.decode_single(codes, anchors).data, gt.data, rtol=1e-6)


def test_box_coder_decode_clamps_and_is_differentiable():
    coder = BoxCoder((1.0, 1.0, 1.0, 1.0))
    anchors = gn.tensor([[0.0, 0.0, 16.0, 16.0]], dtype=gn.float64)
    codes = gn.tensor([[0.0, 0.0, 100.0, 0.0]], dtype=gn.float64)
    out = coder.decode_single(codes, anchors)
    np.testing.assert_allclose(out.data[0, 2] - out.data[0, 0], 1000.0)  # exp(clip) * 16
    rng = np.random.default_rng(1)
    rel = gn.tensor(rng.standard_normal((3, 8)) * 0.5, dtype=gn.float64, requires_grad=True)
    boxes = gn.tensor(_boxes(rng, 3), dtype=gn.float64)
    gradcheck(lambda r: coder.decode_single(r, boxes), [rel])


def test_box_coder_matches_torchvision():
    pytest.importorskip("torchvision", reason="torchvision not installed")
    import torch
    from torchvision.models.detection._utils import BoxCoder as TVBoxCoder

    rng = np.random.default_rng(2)
    ref_boxes, proposals = _boxes(rng, 50), _boxes(rng, 50)
    rel = (rng.standard_normal((50, 12)) * 2).astype(np.float32)
    rel[0, 2] = 30.0  # exercises the clamp
    for w in ((1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0)):
        ours, ref = BoxCoder(w), TVBoxCoder(w)
        np.testing.assert_allclose(
            ours.encode_single(gn.tensor(ref_boxes), gn.tensor(proposals)).data,
            ref.encode_single(torch.tensor(ref_boxes), torch.tensor(proposals)).numpy(),
            rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(
            ours.decode_single(gn.tensor(rel), gn.tensor(proposals)).data,
            ref.decode_single(torch.tensor(rel), torch.tensor(proposals)).numpy(),
            rtol=1e-6, atol=1e-4)
        lists = [gn.tensor(proposals[:20]), gn.tensor(proposals[20:])]
        tlists = [torch.tensor(proposals[:20]), torch.tensor(proposals[20:])]
        np.testing.assert_allclose(
            ours.decode(gn.tensor(rel), lists).data, ref.decode(torch.tensor(rel),
                                                                tlists).numpy(),
            rtol=1e-6, atol=1e-4)
        enc = ours.encode([gn.tensor(ref_boxes[:20]), gn.tensor(ref_boxes[20:])], lists)
        tenc = ref.encode([torch.tensor(ref_boxes[:20]), torch.tensor(ref_boxes[20:])],
                          tlists)
        for a, b in zip(enc, tenc):
            np.testing.assert_allclose(a.data, b.numpy(), rtol=1e-6, atol=1e-6)
