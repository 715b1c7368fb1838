"""RoIAlign / RoIPool and the multi-scale pooler: known answers, a loop transcription of
torchvision's CPU kernels as reference, gradients, and torchvision parity (skipped when
torchvision is not installed)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet.testing import gradcheck
from glassnet.vision.ops import (LevelMapper, MultiScaleRoIAlign, RoIAlign, RoIPool,
                                 roi_align, roi_pool)
from glassnet.vision.ops import roi as roi_module


# ---------------------------------------------------------------------------
# Loop references (transcribed from torchvision/csrc/ops/cpu/roi_*_kernel.cpp)
# ---------------------------------------------------------------------------
def _bilinear(img, y, x):
    _, h, w = img.shape
    if y < -1.0 or y > h or x < -1.0 or x > w:
        return np.zeros(img.shape[0])
    y, x = max(y, 0.0), max(x, 0.0)
    y_low, x_low = int(y), int(x)
    if y_low >= h - 1:
        y_high = y_low = h - 1
        y = float(y_low)
    else:
        y_high = y_low + 1
    if x_low >= w - 1:
        x_high = x_low = w - 1
        x = float(x_low)
    else:
        x_high = x_low + 1
    ly, lx = y - y_low, x - x_low
    hy, hx = 1 - ly, 1 - lx
    return (hy * hx * img[:, y_low, x_low] + hy * lx * img[:, y_low, x_high]
            + ly * hx * img[:, y_high, x_low] + ly * lx * img[:, y_high, x_high])


def _naive_roi_align(x, rois, out_hw, scale, ratio, aligned):
    ph_n, pw_n = out_hw
    out = np.zeros((len(rois), x.shape[1], ph_n, pw_n))
    off = 0.5 if aligned else 0.0
    for k, r in enumerate(rois):
        sw, sh = r[1] * scale - off, r[2] * scale - off
        rw, rh = r[3] * scale - off - sw, r[4] * scale - off - sh
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        bh, bw = rh / ph_n, rw / pw_n
        gh = ratio if ratio > 0 else int(math.ceil(rh / ph_n))
        gw = ratio if ratio > 0 else int(math.ceil(rw / pw_n))
        count = max(gh * gw, 1)
        for ph in range(ph_n):
            for pw in range(pw_n):
                acc = np.zeros(x.shape[1])
                for iy in range(gh):
                    yy = sh + ph * bh + (iy + 0.5) * bh / gh
                    for ix in range(gw):
                        xx = sw + pw * bw + (ix + 0.5) * bw / gw
                        acc += _bilinear(x[int(r[0])], yy, xx)
                out[k, :, ph, pw] = acc / count
    return out


def _naive_roi_pool(x, rois, out_hw, scale):
    _, c, h, w = x.shape
    ph_n, pw_n = out_hw
    out = np.zeros((len(rois), c, ph_n, pw_n))
    for k, r in enumerate(rois):
        sw, sh, ew, eh = (int(math.floor(v * scale + 0.5)) for v in r[1:])
        rw, rh = max(ew - sw + 1, 1), max(eh - sh + 1, 1)
        for ph in range(ph_n):
            for pw in range(pw_n):
                h0 = min(max(math.floor(ph * rh / ph_n) + sh, 0), h)
                h1 = min(max(math.ceil((ph + 1) * rh / ph_n) + sh, 0), h)
                w0 = min(max(math.floor(pw * rw / pw_n) + sw, 0), w)
                w1 = min(max(math.ceil((pw + 1) * rw / pw_n) + sw, 0), w)
                if h1 > h0 and w1 > w0:
                    out[k, :, ph, pw] = x[int(r[0]), :, h0:h1, w0:w1].max(axis=(1, 2))
    return out


def _random_rois(rng, k, n_img, span, outside=0.3):
    xy = rng.uniform(-outside * span, (1 - outside / 2) * span, (k, 2))
    wh = rng.uniform(0.3, 0.8 * span, (k, 2))
    b = rng.integers(0, n_img, (k, 1))
    return np.concatenate([b, xy, xy + wh], axis=1)


# ---------------------------------------------------------------------------
# Known answers
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("aligned", [False, True])
@pytest.mark.parametrize("ratio", [-1, 1, 3])
def test_roi_align_of_constant_map_is_constant(aligned, ratio):
    x = gn.full((2, 3, 9, 11), 2.5)
    boxes = gn.tensor([[0, 1.2, 0.7, 8.9, 7.3], [1, 3.3, 2.1, 4.1, 2.9], [1, 0.6, 0.6, 10.4, 8.4]])
    out = roi_align(x, boxes, (3, 4), 1.0, ratio, aligned)
    np.testing.assert_allclose(out.data, 2.5, rtol=1e-6)


def test_roi_align_far_outside_is_zero():
    out = roi_align(gn.ones(1, 1, 5, 5), gn.tensor([[0, -30.0, -30.0, -10.0, -10.0]]), 2)
    assert out.tolist() == [[[[0.0, 0.0], [0.0, 0.0]]]]


def test_roi_align_of_linear_ramp_samples_bin_centres():
    # f(y, x) = x is reproduced exactly by bilinear sampling; with one sample per bin
    # the output is the bin centre's x.
    x = gn.tensor(np.tile(np.arange(10.0), (1, 1, 6, 1)))
    out = roi_align(x, gn.tensor([[0, 2.0, 1.0, 6.0, 5.0]]), (1, 4), 1.0, 1, False)
    np.testing.assert_allclose(out.numpy().ravel(), [2.5, 3.5, 4.5, 5.5], rtol=1e-6)


def test_roi_pool_of_ramp():
    x = gn.arange(48.0).reshape(1, 1, 6, 8)  # value 8 h + w: max at each bin's corner
    out = roi_pool(x, gn.tensor([[0, 1.0, 2.0, 6.0, 5.0]]), (2, 3))
    assert out.tolist() == [[[[26.0, 28.0, 30.0], [42.0, 44.0, 46.0]]]]


def test_roi_pool_gradient_goes_to_argmax():
    x = gn.arange(48.0).reshape(1, 1, 6, 8).requires_grad_()
    roi_pool(x, [gn.tensor([[1.0, 2.0, 6.0, 5.0]])], (2, 3)).sum().backward()
    expect = np.zeros((6, 8))
    expect[[3, 3, 3, 5, 5, 5], [2, 4, 6, 2, 4, 6]] = 1
    np.testing.assert_array_equal(x.grad.data[0, 0], expect)


def test_roi_pool_ties_take_first_maximum_and_empty_bins_are_zero():
    x = gn.ones(1, 1, 4, 4, requires_grad=True)
    out = roi_pool(x, gn.tensor([[0, 0.0, 0.0, 1.0, 1.0], [0, 9.0, 9.0, 12.0, 12.0]]), 2)
    assert out.tolist() == [[[[1.0, 1.0], [1.0, 1.0]]], [[[0.0, 0.0], [0.0, 0.0]]]]
    out.sum().backward()
    expect = np.zeros((4, 4))
    expect[:2, :2] = 1  # each 1x1 bin's only pixel
    np.testing.assert_array_equal(x.grad.data[0, 0], expect)


@pytest.mark.parametrize("dtype", [gn.float32, gn.float64])
def test_roi_pool_signed_zeros_nan_and_minus_inf(dtype):
    # Zeros of both signs tie (the first wins); NaN is skipped; an all -inf bin gives
    # -FLT_MAX and no gradient, as torchvision's kernel (initial value -FLT_MAX).
    x = np.full((1, 2, 2, 4), -1.0)
    x[0, 0, 0, 2], x[0, 0, 1, 0], x[0, 0, 0, 0] = -0.0, 0.0, np.nan
    x[0, 1] = -np.inf
    t = gn.tensor(x, dtype=dtype, requires_grad=True)
    out = roi_pool(t, gn.tensor([[0.0, 0.0, 0.0, 3.0, 1.0]], dtype=dtype), 1)
    assert out.data[0, 0, 0, 0] == 0.0
    assert out.data[0, 1, 0, 0] == -np.finfo(np.float32).max
    out.sum().backward()
    expect = np.zeros((2, 2, 4))
    expect[0, 0, 2] = 1
    np.testing.assert_array_equal(t.grad.data[0], expect)


@pytest.mark.parametrize("aligned", [False, True])
@pytest.mark.parametrize("ratio", [-1, 2])
@pytest.mark.parametrize("scale", [0.5, 1.0])
def test_roi_align_matches_loop_reference(aligned, ratio, scale):
    rng = np.random.default_rng(int(aligned) * 10 + ratio + int(scale * 4))
    x = rng.standard_normal((2, 3, 7, 9))
    rois = _random_rois(rng, 6, 2, 9 / scale)
    out = roi_align(gn.tensor(x, dtype=gn.float64), gn.tensor(rois, dtype=gn.float64),
                    (3, 2), scale, ratio, aligned)
    np.testing.assert_allclose(out.data, _naive_roi_align(x, rois, (3, 2), scale, ratio,
                                                          aligned), atol=1e-12)


@pytest.mark.parametrize("scale", [0.25, 0.5, 1.0])
def test_roi_pool_matches_loop_reference(scale):
    rng = np.random.default_rng(int(scale * 8))
    x = rng.standard_normal((2, 3, 7, 9))
    rois = _random_rois(rng, 8, 2, 9 / scale)
    for size in ((1, 1), (2, 3), (4, 4)):
        out = roi_pool(gn.tensor(x, dtype=gn.float64), gn.tensor(rois, dtype=gn.float64),
                       size, scale)
        np.testing.assert_array_equal(out.data, _naive_roi_pool(x, rois, size, scale))


def test_roi_ops_gradcheck_with_list_boxes():
    rng = np.random.default_rng(4)
    x = gn.tensor(rng.standard_normal((2, 2, 5, 6)), dtype=gn.float64, requires_grad=True)
    boxes = [gn.tensor([[0.3, 0.6, 4.4, 3.7]], dtype=gn.float64),
             gn.tensor([[1.2, -0.8, 5.9, 4.1], [2.6, 1.1, 3.3, 2.4]], dtype=gn.float64)]
    gradcheck(lambda t: roi_align(t, boxes, 2, 1.0, -1, True), [x])
    xp = gn.tensor(rng.permutation(120).reshape(2, 2, 5, 6) * 0.1, dtype=gn.float64,
                   requires_grad=True)
    gradcheck(lambda t: roi_pool(t, boxes, (2, 3)), [xp])


def test_chunked_processing_equals_single_chunk(monkeypatch):
    rng = np.random.default_rng(9)
    x = gn.tensor(rng.standard_normal((2, 4, 12, 10)), requires_grad=True)
    rois = gn.tensor(_random_rois(rng, 25, 2, 12).astype(np.float32))
    outs = []
    for chunk in (1 << 22, 64):
        monkeypatch.setattr(roi_module, "_CHUNK", chunk)
        for op in (lambda: roi_align(x, rois, 3, 1.0, -1), lambda: roi_pool(x, rois, 3)):
            x.grad = None
            o = op()
            o.backward(gn.ones(*o.shape))
            outs.append((o.detach().numpy().copy(), x.grad.numpy().copy()))
    for (o1, g1), (o2, g2) in zip(outs[:2], outs[2:]):
        np.testing.assert_allclose(o1, o2, atol=1e-6)
        np.testing.assert_allclose(g1, g2, atol=1e-5)


def test_modules_and_empty_boxes():
    x = gn.ones(1, 2, 6, 6)
    assert RoIAlign((2, 2), 0.5, 2)(x, gn.zeros(0, 5)).shape == (0, 2, 2, 2)
    assert RoIPool(3, 1.0)(x, [gn.tensor([[0.0, 0.0, 4.0, 4.0]])]).shape == (1, 2, 3, 3)
    assert "sampling_ratio=2" in repr(RoIAlign(2, 0.5, 2))


def test_roi_ops_errors():
    x = gn.ones(1, 2, 6, 6)
    with pytest.raises(ValueError, match=r"roi_align: boxes must be a Tensor of shape "
                                         r"\(K, 5\)"):
        roi_align(x, gn.zeros(3, 4), 2)
    with pytest.raises(ValueError, match=r"roi_pool: boxes\[0\] must be a Tensor of shape "
                                         r"\(L, 4\)"):
        roi_pool(x, [gn.zeros(3, 5)], 2)
    with pytest.raises(ValueError, match=r"box batch indices must lie in \[0, 0\]"):
        roi_align(x, gn.tensor([[1.0, 0, 0, 2, 2]]), 2)
    with pytest.raises(ValueError, match=r"input must have shape \(N, C, H, W\)"):
        roi_align(gn.ones(2, 6, 6), gn.zeros(0, 5), 2)
    with pytest.raises(ValueError, match="output_size must be positive"):
        roi_pool(x, gn.zeros(0, 5), (0, 2))


def test_level_mapper_known_levels():
    mapper = LevelMapper(2, 5)
    boxes = gn.tensor([[0.0, 0.0, 224.0, 224.0], [0.0, 0.0, 112.0, 112.0],
                       [0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 1000.0, 1000.0]])
    # level 4 - k_min, level 3, clamped to k_min, clamped to k_max
    assert mapper([boxes]).tolist() == [2, 1, 0, 3]


def test_multiscale_roi_align_routes_boxes_to_levels():
    rng = np.random.default_rng(2)
    feats = {"p2": gn.tensor(rng.standard_normal((1, 2, 64, 64))),
             "p3": gn.tensor(rng.standard_normal((1, 2, 32, 32))),
             "skip": gn.zeros(1, 2, 8, 8)}
    boxes = [gn.tensor([[10.0, 12.0, 40.0, 50.0], [3.0, 5.0, 250.0, 240.0]])]
    pooler = MultiScaleRoIAlign(["p2", "p3"], 3, 2, canonical_scale=100)
    out = pooler(feats, boxes, [(256, 256)])
    assert pooler.scales == [0.25, 0.125]
    np.testing.assert_allclose(out.data[0:1], roi_align(feats["p2"], [boxes[0][:1]], 3, 0.25,
                                                        2).data)
    np.testing.assert_allclose(out.data[1:], roi_align(feats["p3"], [boxes[0][1:]], 3, 0.125,
                                                       2).data)


# ---------------------------------------------------------------------------
# torchvision parity
# ---------------------------------------------------------------------------
def _tv():
    return pytest.importorskip("torchvision", reason="torchvision not installed")


def _parity(gn_fn, tv_fn, x, rois, atol=1e-5):
    import torch

    gx = gn.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    out = gn_fn(gx, gn.tensor(rois))
    ref = tv_fn(tx, torch.tensor(rois))
    np.testing.assert_allclose(out.data, ref.detach().numpy(), atol=atol, rtol=0)
    cot = np.random.default_rng(0).standard_normal(out.shape).astype(x.dtype)
    out.backward(gn.tensor(cot))
    ref.backward(torch.tensor(cot))
    np.testing.assert_allclose(gx.grad.data, tx.grad.numpy(), atol=atol, rtol=0)


@pytest.mark.parametrize("aligned", [False, True])
@pytest.mark.parametrize("ratio", [-1, 0, 2, 3])
@pytest.mark.parametrize("scale", [0.25, 0.5, 1.0])
def test_roi_align_matches_torchvision(aligned, ratio, scale):
    tv = _tv()
    rng = np.random.default_rng(100 + ratio)
    x = rng.standard_normal((2, 3, 11, 14)).astype(np.float32)
    rois = _random_rois(rng, 30, 2, 14 / scale).astype(np.float32)
    for size in (1, (2, 3), 7):
        _parity(lambda a, b: roi_align(a, b, size, scale, ratio, aligned),
                lambda a, b: tv.ops.roi_align(a, b, size, scale, ratio, aligned), x, rois)


@pytest.mark.parametrize("scale", [0.25, 0.5, 1.0])
def test_roi_pool_matches_torchvision(scale):
    tv = _tv()
    rng = np.random.default_rng(200)
    x = rng.standard_normal((2, 3, 11, 14)).astype(np.float32)
    rois = _random_rois(rng, 30, 2, 14 / scale).astype(np.float32)
    rois[:5, 1:] = np.round(rois[:5, 1:] * 2) / 2  # exact halves: C++ round() rule
    xr = np.round(x)  # many ties inside bins
    for size in (1, (2, 3), 7):
        for xx in (x, xr):
            _parity(lambda a, b: roi_pool(a, b, size, scale),
                    lambda a, b: tv.ops.roi_pool(a, b, size, scale), xx, rois)


def test_multiscale_roi_align_matches_torchvision():
    tv = _tv()
    import torch
    from collections import OrderedDict

    rng = np.random.default_rng(3)
    shapes = {"feat1": (2, 4, 64, 64), "feat2": (2, 4, 32, 32), "feat3": (2, 4, 16, 16)}
    feats = {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}
    boxes = [_random_rois(rng, 9, 1, 200.0, outside=0.0)[:, 1:].astype(np.float32) * 1.2
             for _ in range(2)]
    image_shapes = [(256, 256), (240, 250)]
    ours = MultiScaleRoIAlign(["feat1", "feat3"], 3, 2)(
        {k: gn.tensor(v) for k, v in feats.items()}, [gn.tensor(b) for b in boxes],
        image_shapes)
    ref = tv.ops.MultiScaleRoIAlign(["feat1", "feat3"], 3, 2)(
        OrderedDict((k, torch.tensor(v)) for k, v in feats.items()),
        [torch.tensor(b) for b in boxes], image_shapes)
    np.testing.assert_allclose(ours.data, ref.numpy(), atol=1e-5)
    from torchvision.ops.poolers import LevelMapper as TVLevelMapper

    tb = [torch.tensor(b) for b in boxes]
    np.testing.assert_array_equal(LevelMapper(2, 5)([gn.tensor(b) for b in boxes]).data,
                                  TVLevelMapper(2, 5)(tb).numpy())
