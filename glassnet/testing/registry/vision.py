"""Op registry rows: detection ops (``glassnet.vision.ops``).

Plain PyTorch has no RoIAlign / RoIPool, so their rows only run the float64 gradient
check (``torch_fn=None``); their torchvision parity tests live in ``tests/vision/ops``.
The IoU family and the focal loss are checked against the same formulas written in plain
torch below (transcribed from torchvision 0.2x).

Samples keep away from the kinks: box coordinates are continuous random values (no ties
in the min/max of corners, no zero-width overlaps); RoIPool inputs are a permutation
scaled by 0.1, so every bin's maximum beats the runner-up by far more than the
finite-difference step; RoIAlign box corners are off the integer grid (its output is
linear in the input anyway).
"""
from __future__ import annotations

import math

import numpy as np

from glassnet.testing.op_registry import OpInfo, Sample
from glassnet.vision.ops import (complete_box_iou, distance_box_iou, generalized_box_iou,
                                 generalized_box_iou_loss, roi_align, roi_pool,
                                 sigmoid_focal_loss, box_iou)


# ---------------------------------------------------------------------------
# Box samples
# ---------------------------------------------------------------------------
def _boxes(rng, n, lead=(), span=10.0):
    xy = rng.uniform(0, span, lead + (n, 2))
    wh = rng.uniform(0.5, span / 2, lead + (n, 2))
    return np.concatenate([xy, xy + wh], axis=-1)


def _pair_samples(rng):
    out = [Sample((_boxes(rng, 3), _boxes(rng, 4)), desc="3 x 4")]
    out.append(Sample((_boxes(rng, 1), _boxes(rng, 5)), desc="single box"))
    far = _boxes(rng, 2) + 40.0
    out.append(Sample((_boxes(rng, 3), far), desc="disjoint boxes"))
    inner = _boxes(rng, 2, span=2.0) + 3.3
    outer = np.array([[0.5, 0.7, 9.1, 8.3], [2.2, 1.9, 8.8, 9.7]])
    out.append(Sample((outer, inner), desc="nested boxes"))
    out.append(Sample((_boxes(rng, 2, lead=(2,)), _boxes(rng, 3, lead=(2,))),
                      desc="leading batch dim"))
    out.append(Sample((_boxes(rng, 4, span=3.0), _boxes(rng, 3, span=3.0)),
                      desc="dense overlaps"))
    return out


def _matched_samples(rng):
    out = []
    for n, desc, kw in ((4, "none", {}), (3, "mean", {"reduction": "mean"}),
                        (5, "sum", {"reduction": "sum"}), (1, "single", {})):
        out.append(Sample((_boxes(rng, n, span=4.0), _boxes(rng, n, span=4.0)), kw, desc))
    out.append(Sample((_boxes(rng, 2), _boxes(rng, 2) + 30.0), desc="disjoint"))
    return out


# ---------------------------------------------------------------------------
# The same formulas in plain torch (torchvision.ops.boxes / giou_loss)
# ---------------------------------------------------------------------------
def _t_inter_union(torch, b1, b2):
    area1 = (b1[..., 2] - b1[..., 0]) * (b1[..., 3] - b1[..., 1])
    area2 = (b2[..., 2] - b2[..., 0]) * (b2[..., 3] - b2[..., 1])
    lt = torch.max(b1[..., :, None, :2], b2[..., None, :, :2])
    rb = torch.min(b1[..., :, None, 2:], b2[..., None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter, area1[..., :, None] + area2[..., None, :] - inter


def _t_box_iou(torch, b1, b2):
    inter, union = _t_inter_union(torch, b1, b2)
    return inter / union


def _t_enclosing(torch, b1, b2):
    lti = torch.min(b1[..., :, None, :2], b2[..., None, :, :2])
    rbi = torch.max(b1[..., :, None, 2:], b2[..., None, :, 2:])
    return (rbi - lti).clamp(min=0)


def _t_giou(torch, b1, b2):
    inter, union = _t_inter_union(torch, b1, b2)
    whi = _t_enclosing(torch, b1, b2)
    areai = whi[..., 0] * whi[..., 1]
    return inter / union - (areai - union) / areai


def _t_diou_iou(torch, b1, b2, eps=1e-7):
    inter, union = _t_inter_union(torch, b1, b2)
    iou = inter / union
    whi = _t_enclosing(torch, b1, b2)
    diag = whi[..., 0] ** 2 + whi[..., 1] ** 2 + eps
    xp, yp = (b1[..., 0] + b1[..., 2]) / 2, (b1[..., 1] + b1[..., 3]) / 2
    xg, yg = (b2[..., 0] + b2[..., 2]) / 2, (b2[..., 1] + b2[..., 3]) / 2
    dist = (xp[..., :, None] - xg[..., None, :]) ** 2 + (yp[..., :, None] - yg[..., None, :]) ** 2
    return iou - dist / diag, iou


def _t_diou(torch, b1, b2, eps=1e-7):
    return _t_diou_iou(torch, b1, b2, eps)[0]


def _t_ciou(torch, b1, b2, eps=1e-7):
    diou, iou = _t_diou_iou(torch, b1, b2, eps)
    w1 = b1[..., :, None, 2] - b1[..., :, None, 0]
    h1 = b1[..., :, None, 3] - b1[..., :, None, 1]
    w2 = b2[..., None, :, 2] - b2[..., None, :, 0]
    h2 = b2[..., None, :, 3] - b2[..., None, :, 1]
    v = (4 / math.pi ** 2) * torch.pow(torch.atan(w1 / h1) - torch.atan(w2 / h2), 2)
    with torch.no_grad():
        alpha = v / (1 - iou + v + eps)
    return diou - alpha * v


def _t_giou_loss(torch, b1, b2, reduction="none", eps=1e-7):
    x1, y1, x2, y2 = b1.unbind(-1)
    x1g, y1g, x2g, y2g = b2.unbind(-1)
    xk1, yk1 = torch.max(x1, x1g), torch.max(y1, y1g)
    xk2, yk2 = torch.min(x2, x2g), torch.min(y2, y2g)
    mask = (yk2 > yk1) & (xk2 > xk1)
    inter = torch.where(mask, (xk2 - xk1) * (yk2 - yk1), torch.zeros_like(x1))
    union = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - inter
    iou = inter / (union + eps)
    area_c = (torch.max(x2, x2g) - torch.min(x1, x1g)) * (torch.max(y2, y2g)
                                                           - torch.min(y1, y1g))
    loss = 1 - (iou - (area_c - union) / (area_c + eps))
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


# ---------------------------------------------------------------------------
# Focal loss
# ---------------------------------------------------------------------------
def _t_focal(torch, x, t, alpha=0.25, gamma=2, reduction="none"):
    p = torch.sigmoid(x)
    ce = torch.nn.functional.binary_cross_entropy_with_logits(x, t, reduction="none")
    p_t = p * t + (1 - p) * (1 - t)
    loss = ce * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * t + (1 - alpha) * (1 - t)) * loss
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


def _focal_samples(rng):
    def binary(shape):
        return rng.integers(0, 2, shape).astype(np.float64)

    x = rng.standard_normal((4, 5)) * 2
    out = [Sample((x, binary((4, 5))), desc="defaults, targets differentiable")]
    out.append(Sample((rng.standard_normal((3, 2, 4)), binary((3, 2, 4))),
                      {"reduction": "mean"}, desc="mean", nondiff=(1,)))
    out.append(Sample((rng.standard_normal(7) * 3, binary(7)),
                      {"reduction": "sum", "alpha": 0.6, "gamma": 1.5}, desc="sum"))
    out.append(Sample((rng.standard_normal((2, 3)), rng.uniform(0.05, 0.95, (2, 3))),
                      {"alpha": -1}, desc="soft targets, no alpha"))
    out.append(Sample((rng.standard_normal((1, 6)), binary((1, 6))), {"gamma": 0},
                      desc="gamma 0 (weighted BCE)"))
    out.append(Sample((np.array([-12.0, -3.5, 0.25, 4.0, 11.0]), binary(5)),
                      {"gamma": 3}, desc="large logits"))
    return out


# ---------------------------------------------------------------------------
# RoIAlign / RoIPool
# ---------------------------------------------------------------------------
def _rois(rng, k, n_img, span):
    xy = rng.uniform(-0.3 * span, 0.8 * span, (k, 2))
    wh = rng.uniform(0.6, 0.7 * span, (k, 2))
    b = rng.integers(0, n_img, (k, 1)).astype(np.float64)
    rois = np.concatenate([b, xy, xy + wh], axis=1)
    # Keep corners off the integer grid (bilinear weights kink there w.r.t. boxes).
    rois[:, 1:] = np.floor(rois[:, 1:]) + rng.uniform(0.15, 0.85, (k, 4))
    return rois


def _roi_align_samples(rng):
    out = []
    cases = (((1, 2, 5, 6), 3, 2, {}, "batch 1, adaptive"),
             ((2, 2, 6, 5), 4, (2, 3), {"sampling_ratio": 2}, "batch 2, ratio 2"),
             ((2, 1, 7, 7), 5, 2, {"spatial_scale": 0.5, "aligned": True},
              "scale 0.5, aligned"),
             ((1, 3, 4, 5), 3, 1, {"spatial_scale": 0.25, "sampling_ratio": 3},
              "scale 0.25, 1x1 output"),
             ((2, 2, 5, 5), 3, (3, 2), {"aligned": True, "sampling_ratio": -1},
              "aligned, adaptive"))
    for shape, k, size, kw, desc in cases:
        scale = kw.get("spatial_scale", 1.0)
        x = rng.standard_normal(shape)
        rois = _rois(rng, k, shape[0], max(shape[2:]) / scale)
        out.append(Sample((x, rois), {"output_size": size, **kw}, desc, nondiff=(1,)))
    return out


def _roi_pool_samples(rng):
    out = []
    cases = (((1, 2, 5, 6), 3, 2, 1.0, "batch 1"),
             ((2, 2, 6, 5), 4, (2, 3), 1.0, "batch 2, 2x3 output"),
             ((2, 1, 8, 7), 5, 3, 0.5, "scale 0.5"),
             ((1, 3, 6, 6), 3, 1, 0.25, "scale 0.25, 1x1 output"),
             ((1, 1, 5, 5), 2, 4, 1.0, "bins smaller than a pixel"))
    for shape, k, size, scale, desc in cases:
        # NOTE: a scaled permutation: distinct values, far apart, so each argmax is
        # stable under the finite-difference step.
        x = rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1
        rois = _rois(rng, k, shape[0], max(shape[2:]) / scale)
        out.append(Sample((x, rois), {"output_size": size, "spatial_scale": scale}, desc,
                          nondiff=(1,)))
    return out


ROWS: list = [
    OpInfo("box_iou", box_iou, _t_box_iou, _pair_samples),
    OpInfo("generalized_box_iou", generalized_box_iou, _t_giou, _pair_samples),
    OpInfo("distance_box_iou", distance_box_iou, _t_diou, _pair_samples),
    OpInfo("complete_box_iou", complete_box_iou, _t_ciou, _pair_samples, gradcheck=False,
           notes="alpha is detached as in torchvision, so the gradient is not the true "
                 "derivative; checked against torch instead"),
    OpInfo("generalized_box_iou_loss", generalized_box_iou_loss, _t_giou_loss,
           _matched_samples),
    OpInfo("sigmoid_focal_loss", sigmoid_focal_loss, _t_focal, _focal_samples),
    OpInfo("roi_align", roi_align, None, _roi_align_samples,
           notes="torchvision parity in tests/vision/ops"),
    OpInfo("roi_pool", roi_pool, None, _roi_pool_samples,
           notes="torchvision parity in tests/vision/ops"),
]
