"""RetinaNet (Lin, Goyal, Girshick, He, Dollar, "Focal Loss for Dense Object Detection",
ICCV 2017, arXiv:1708.02002), a one-stage detector, with torchvision's structure and
module names (``backbone``, ``anchor_generator``, ``head.classification_head``,
``head.regression_head``), and ``retinanet_small``, a version for small grey images
(MNISTDetection) that trains on a CPU.

One pass: every anchor of every pyramid level gets class scores (sigmoid per class, no
background class) and box offsets.  Training matches anchors to ground truth at IoU
0.5 (foreground) / 0.4 (background, ignored between), with each ground truth's best
anchors kept; the classification loss is the focal loss (or, for comparison,
``classification_loss="ce"``: plain binary cross-entropy) summed over all non-ignored
anchors, the box loss L1 over the foreground ones (torchvision's; its
``regression_head._loss_type`` may also be "smooth_l1" or "giou"), both divided by the
number of foreground anchors.
"""
from __future__ import annotations

import math

import numpy as np

from glassnet import nn
from glassnet.models._registry import register_model
from glassnet.autograd import no_grad
from glassnet.nn import functional as F
from glassnet.ops.shape import cat
from glassnet.tensor import Tensor
from glassnet.vision.models.detection._utils import (BackboneWithFPN, SmallBackbone,
                                                     check_targets, images_to_batch)
from glassnet.vision.ops import (AnchorGenerator, BoxCoder, Matcher, batched_nms, box_iou,
                                 clip_boxes_to_image, generalized_box_iou_loss,
                                 sigmoid_focal_loss)

__all__ = ["RetinaNet", "RetinaNetHead", "RetinaNetClassificationHead",
           "RetinaNetRegressionHead", "retinanet_small"]


def _head_convs(in_channels: int, num_convs: int) -> nn.Sequential:
    layers = []
    for _ in range(num_convs):
        layers += [nn.Conv2d(in_channels, in_channels, 3, padding=1), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


def _flatten_levels(outputs, per_anchor: int) -> Tensor:
    """``[(N, A * P, H, W)]`` per level -> ``(N, sum H W A, P)`` in anchor order."""
    flat = []
    for o in outputs:
        n, _, h, w = o.shape
        flat.append(o.reshape(n, -1, per_anchor, h, w).permute(0, 3, 4, 1, 2)
                    .reshape(n, -1, per_anchor))
    return cat(flat, dim=1)


class RetinaNetClassificationHead(nn.Module):
    """Class logits of every anchor: ``num_convs`` 3x3 convs + ReLU, then a 3x3 conv to
    ``A * K`` channels whose bias starts at ``-log((1 - prior) / prior)`` (so every
    anchor starts at probability ``prior`` = 0.01, the paper's initialisation)."""

    def __init__(self, in_channels: int, num_anchors: int, num_classes: int,
                 prior_probability: float = 0.01, num_convs: int = 4):
        super().__init__()
        self.conv = _head_convs(in_channels, num_convs)
        self.cls_logits = nn.Conv2d(in_channels, num_anchors * num_classes, 3, padding=1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, std=0.01)
                nn.init.constant_(m.bias, 0)
        nn.init.constant_(self.cls_logits.bias, -math.log((1 - prior_probability)
                                                          / prior_probability))
        self.num_classes = num_classes
        self.num_anchors = num_anchors

    def forward(self, x) -> Tensor:
        return _flatten_levels([self.cls_logits(self.conv(f)) for f in x], self.num_classes)


class RetinaNetRegressionHead(nn.Module):
    """Box offsets of every anchor: ``num_convs`` 3x3 convs + ReLU, then ``A * 4``.

    ``_loss_type`` (torchvision's attribute) picks the box loss: "l1" (the default, as
    torchvision's RetinaNet), "smooth_l1" (beta 1, torchvision's) or "giou" (on the
    decoded boxes, as torchvision's RetinaNet v2).
    """

    _LOSS_TYPES = ("l1", "smooth_l1", "giou")

    def __init__(self, in_channels: int, num_anchors: int, num_convs: int = 4):
        super().__init__()
        self.conv = _head_convs(in_channels, num_convs)
        self.bbox_reg = nn.Conv2d(in_channels, num_anchors * 4, 3, padding=1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, std=0.01)
                nn.init.constant_(m.bias, 0)
        self._loss_type = "l1"

    def forward(self, x) -> Tensor:
        return _flatten_levels([self.bbox_reg(self.conv(f)) for f in x], 4)


class RetinaNetHead(nn.Module):
    """The two subnets, shared across pyramid levels."""

    def __init__(self, in_channels: int, num_anchors: int, num_classes: int,
                 num_convs: int = 4):
        super().__init__()
        self.classification_head = RetinaNetClassificationHead(
            in_channels, num_anchors, num_classes, num_convs=num_convs)
        self.regression_head = RetinaNetRegressionHead(in_channels, num_anchors, num_convs)

    def forward(self, x) -> dict:
        return {"cls_logits": self.classification_head(x),
                "bbox_regression": self.regression_head(x)}


class RetinaNet(nn.Module):
    """One-stage detector: backbone + FPN, anchors, class and box subnets.

    Parameters
    ----------
    backbone : nn.Module
        Returns an OrderedDict of feature maps (finest first) with ``out_channels``.
    num_classes : int
        Object classes (no background class: labels are ``0 .. num_classes - 1``).
    anchor_generator : AnchorGenerator, optional
        One entry of sizes per feature map; by default torchvision's for five FPN levels
        (sizes 32-512 at three scales each, ratios 0.5, 1, 2).
    head : RetinaNetHead, optional
    score_thresh, nms_thresh, detections_per_img, topk_candidates
        Inference: per level, the ``topk_candidates`` best scores above
        ``score_thresh`` are decoded, then per-class NMS at ``nms_thresh``.
    fg_iou_thresh, bg_iou_thresh : float
        Anchor matching (0.5 / 0.4).
    classification_loss : {"focal", "ce"}
        The focal loss (``focal_alpha``, ``focal_gamma``), or binary cross-entropy.

    Notes
    -----
    ``model(images, targets)`` in training mode returns ``{"classification": ...,
    "bbox_regression": ...}``; in eval mode ``model(images)`` returns one dict per
    image with ``boxes`` ``(D, 4)``, ``scores`` ``(D,)`` and ``labels`` ``(D,)``.  After
    each loss, :attr:`last_stats` holds the anchor statistics of the batch: the fraction
    of background anchors and the share of the classification loss due to easy
    background anchors (probability of their true label above 0.9).
    """

    def __init__(self, backbone, num_classes: int, anchor_generator=None, head=None,
                 score_thresh: float = 0.05, nms_thresh: float = 0.5,
                 detections_per_img: int = 300, fg_iou_thresh: float = 0.5,
                 bg_iou_thresh: float = 0.4, topk_candidates: int = 1000,
                 classification_loss: str = "focal", focal_alpha: float = 0.25,
                 focal_gamma: float = 2.0):
        super().__init__()
        if classification_loss not in ("focal", "ce"):
            raise ValueError(f"RetinaNet: classification_loss must be 'focal' or 'ce', got "
                             f"{classification_loss!r}")
        if num_classes < 1:
            raise ValueError(f"RetinaNet: num_classes must be >= 1, got {num_classes}")
        self.backbone = backbone
        if anchor_generator is None:  # torchvision's _default_anchorgen
            sizes = tuple((x, int(x * 2 ** (1 / 3)), int(x * 2 ** (2 / 3)))
                          for x in (32, 64, 128, 256, 512))
            anchor_generator = AnchorGenerator(sizes, ((0.5, 1.0, 2.0),) * len(sizes))
        self.anchor_generator = anchor_generator
        num_anchors = anchor_generator.num_anchors_per_location()[0]
        self.head = head or RetinaNetHead(backbone.out_channels, num_anchors, num_classes)
        self.num_classes = num_classes
        self.proposal_matcher = Matcher(fg_iou_thresh, bg_iou_thresh,
                                        allow_low_quality_matches=True)
        self.box_coder = BoxCoder(weights=(1.0, 1.0, 1.0, 1.0))
        self.score_thresh = score_thresh
        self.nms_thresh = nms_thresh
        self.detections_per_img = detections_per_img
        self.topk_candidates = topk_candidates
        self.classification_loss = classification_loss
        self.focal_alpha = focal_alpha
        self.focal_gamma = focal_gamma
        self.last_stats: dict = {}

    # ---------------------------------------------------------------- training
    def _match(self, targets, anchors: Tensor):
        """Per image: matched GT index per anchor (-1 background, -2 ignored)."""
        out = []
        for boxes, _ in targets:
            if len(boxes) == 0:
                out.append(np.full(anchors.shape[0], -1, np.int64))
                continue
            iou = box_iou(Tensor._wrap(boxes), anchors)
            out.append(self.proposal_matcher(iou)._data)
        return out

    def compute_loss(self, targets, head_outputs, anchors: Tensor) -> dict:
        """Focal (or CE) classification and smooth-L1 box losses of a batch."""
        logits, reg = head_outputs["cls_logits"], head_outputs["bbox_regression"]
        n, a, k = logits.shape
        matched = np.stack(self._match(targets, anchors))  # (N, A)
        fg = matched >= 0
        valid = matched != Matcher.BETWEEN_THRESHOLDS
        num_fg = np.maximum(1, fg.sum(axis=1))  # per image
        dt = logits._data.dtype  # float64 logits keep float64 weights (no float32 rounding)
        # one-hot class targets (N, A, K), zero for background
        cls_t = np.zeros((n, a, k), dt)
        img_i, anc_i = np.nonzero(fg)
        labels = np.concatenate([lab for _, lab in targets]) if n else np.zeros(0, np.int64)
        offsets = np.cumsum([0] + [len(b) for b, _ in targets])[:-1]
        gt_flat = offsets[img_i] + matched[img_i, anc_i]
        cls_t[img_i, anc_i, labels[gt_flat]] = 1.0
        # Classification: sum over valid anchors / foreground count, mean over images.
        w = (valid / (num_fg[:, None] * n)).astype(dt)[:, :, None]
        if self.classification_loss == "focal":
            per = sigmoid_focal_loss(logits, Tensor._wrap(cls_t), alpha=self.focal_alpha,
                                     gamma=self.focal_gamma)
        else:
            per = F.binary_cross_entropy_with_logits(logits, Tensor._wrap(cls_t),
                                                     reduction="none")
        cls_loss = (per * Tensor._wrap(np.broadcast_to(w, per.shape).copy())).sum()
        # Box regression on foreground anchors: L1 on the encoded offsets (torchvision's
        # RetinaNet; the paper and Detectron use smooth-L1, see _box_loss).
        if img_i.size:
            gt_boxes = np.concatenate([b for b, _ in targets])[gt_flat]
            rw = (1.0 / (num_fg[img_i] * n)).astype(dt)[:, None]
            box = self._box_loss(reg[img_i, anc_i], Tensor._wrap(gt_boxes), anchors[anc_i])
            box_loss = (box * Tensor._wrap(rw[:, 0] if box.ndim == 1 else rw)).sum()
        else:
            box_loss = (reg * 0.0).sum()
        self._record_stats(logits, cls_t, per, fg, valid)
        return {"classification": cls_loss, "bbox_regression": box_loss}

    def _box_loss(self, pred: Tensor, gt_boxes: Tensor, anchors: Tensor) -> Tensor:
        """Unreduced box loss of the foreground anchors, by the regression head's
        ``_loss_type`` (torchvision's ``_box_loss``): (P, 4) for "l1" / "smooth_l1", (P,)
        for "giou"."""
        loss_type = getattr(getattr(self.head, "regression_head", None), "_loss_type", "l1")
        if loss_type == "giou":
            boxes = self.box_coder.decode_single(pred, anchors)
            return generalized_box_iou_loss(boxes, gt_boxes, reduction="none")
        target = self.box_coder.encode_single(gt_boxes, anchors)
        if loss_type == "l1":
            return F.l1_loss(pred, target, reduction="none")
        if loss_type == "smooth_l1":
            return F.smooth_l1_loss(pred, target, reduction="none", beta=1.0)
        raise ValueError(f"RetinaNet: head.regression_head._loss_type must be one of "
                         f"{RetinaNetRegressionHead._LOSS_TYPES}, got {loss_type!r}")

    def _record_stats(self, logits, cls_t, per, fg, valid) -> None:
        """Background-anchor share and the loss share of easy negatives (no grad)."""
        p = 1.0 / (1.0 + np.exp(-np.clip(logits._data.astype(np.float64), -50, 50)))
        loss = per._data.astype(np.float64).sum(axis=2)  # per anchor
        bg = valid & ~fg
        # an easy background anchor: every class probability below 0.1 (p_t > 0.9)
        easy = bg & (p.max(axis=2) < 0.1)
        total = float(loss[valid].sum())
        self.last_stats = {
            "anchors": int(fg.size), "foreground": int(fg.sum()),
            "background": int(bg.sum()), "ignored": int((~valid).sum()),
            "background_fraction": float(bg.sum() / max(1, valid.sum())),
            "easy_background_fraction": float(easy.sum() / max(1, bg.sum())),
            "easy_background_loss_share": float(loss[easy].sum() / total) if total else 0.0,
            "background_loss_share": float(loss[bg].sum() / total) if total else 0.0,
        }

    # --------------------------------------------------------------- inference
    def postprocess_detections(self, head_outputs, anchors: Tensor, image_size,
                               level_sizes) -> list:
        """Per image: top candidates per level above ``score_thresh``, decoded, clipped,
        per-class NMS, the ``detections_per_img`` best."""
        logits = head_outputs["cls_logits"]._data
        reg = head_outputs["bbox_regression"]._data
        k = self.num_classes
        bounds = np.cumsum([0] + list(level_sizes))
        out = []
        for i in range(logits.shape[0]):
            boxes_all, scores_all, labels_all = [], [], []
            for lo, hi in zip(bounds[:-1], bounds[1:]):
                scores = 1.0 / (1.0 + np.exp(-np.clip(logits[i, lo:hi].reshape(-1), -50, 50)))
                keep = np.flatnonzero(scores > self.score_thresh)
                if keep.size > self.topk_candidates:
                    top = np.argpartition(-scores[keep], self.topk_candidates)
                    keep = keep[top[:self.topk_candidates]]
                anchor_idx, labels = keep // k + lo, keep % k
                boxes = self.box_coder.decode_single(Tensor._wrap(reg[i, anchor_idx]),
                                                     anchors[anchor_idx])
                boxes_all.append(clip_boxes_to_image(boxes, image_size)._data)
                scores_all.append(scores[keep])
                labels_all.append(labels)
            out.append(_nms_dict(np.concatenate(boxes_all), np.concatenate(scores_all),
                                 np.concatenate(labels_all), self.nms_thresh,
                                 self.detections_per_img))
        return out

    def forward(self, images, targets=None):
        x = images_to_batch(images, "RetinaNet")
        feats = list(self.backbone(x).values())
        image_size = tuple(x.shape[-2:])
        anchors = self.anchor_generator(image_size, [tuple(f.shape[-2:]) for f in feats])
        head_outputs = self.head(feats)
        if self.training:
            tgts = check_targets(targets, x.shape[0], "RetinaNet")
            for i, (_, lab) in enumerate(tgts):
                if len(lab) and (lab.min() < 0 or lab.max() >= self.num_classes):
                    raise ValueError(f"RetinaNet: targets[{i}]['labels'] must be in [0, "
                                     f"{self.num_classes}), got {lab.tolist()}")
            return self.compute_loss(tgts, head_outputs, anchors)
        a = self.anchor_generator.num_anchors_per_location()
        level_sizes = [f.shape[-2] * f.shape[-1] * n for f, n in zip(feats, a)]
        with no_grad():
            return self.postprocess_detections(head_outputs, anchors, image_size,
                                               level_sizes)


def _nms_dict(boxes, scores, labels, nms_thresh, limit) -> dict:
    keep = batched_nms(Tensor._wrap(boxes.astype(np.float32)),
                       Tensor._wrap(scores.astype(np.float32)),
                       Tensor._wrap(labels.astype(np.int64)), nms_thresh)._data[:limit]
    return {"boxes": Tensor._wrap(boxes[keep].astype(np.float32).reshape(-1, 4)),
            "scores": Tensor._wrap(scores[keep].astype(np.float32)),
            "labels": Tensor._wrap(labels[keep].astype(np.int64))}


# Anchors for MNISTDetection's digits (boxes 8-36 px wide, 15-39 px tall, 5th-95th
# percentiles; height / width 0.9-2.9): two sizes per level, ratios height / width, on
# the stride-8 and stride-16 maps.  91% of the boxes have an anchor at IoU >= 0.5.
SMALL_ANCHOR_SIZES = ((14, 22), (30, 42))
SMALL_ASPECT_RATIOS = ((1.0, 1.5, 2.3),) * 2


@register_model
def retinanet_small(num_classes: int = 10, in_channels: int = 1, *,
                    classification_loss: str = "focal", **kwargs) -> RetinaNet:
    """RetinaNet for small grey images (MNISTDetection, 96x96): a 4-stage, 16-128
    channel backbone, an FPN of 64 channels on strides 8 and 16, 6 anchors per
    location, heads of 2 convs (torchvision's: 4), at most 100 detections per image
    (torchvision's RetinaNet: 300; mAR@100 counts 100).

    Examples
    --------
    >>> import glassnet as gn
    >>> model = retinanet_small().eval()
    >>> sorted(model(gn.zeros(1, 1, 96, 96))[0])
    ['boxes', 'labels', 'scores']
    """
    backbone = BackboneWithFPN(SmallBackbone(in_channels), out_channels=64)
    anchors = AnchorGenerator(SMALL_ANCHOR_SIZES, SMALL_ASPECT_RATIOS)
    head = RetinaNetHead(64, anchors.num_anchors_per_location()[0], num_classes,
                         num_convs=2)
    kwargs.setdefault("detections_per_img", 100)
    return RetinaNet(backbone, num_classes, anchors, head=head,
                     classification_loss=classification_loss, **kwargs)
