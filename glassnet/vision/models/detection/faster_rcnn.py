"""Faster R-CNN (Ren, He, Girshick, Sun, NeurIPS 2015, arXiv:1506.01497), a two-stage
detector, with torchvision's structure and names (``backbone``, ``rpn.head``,
``roi_heads.box_head``, ``roi_heads.box_predictor``), and ``fasterrcnn_small`` for small
grey images (MNISTDetection).

Stage 1, the region proposal network (RPN): objectness and box offsets for every
anchor; trained on a sample of 256 anchors per image, half positive where possible
(IoU >= 0.7 with a ground truth, or its best anchor) and half negative (IoU < 0.3);
its top boxes after NMS are the proposals.  Stage 2: each proposal's features are
pooled to 7x7 with RoIAlign, and a two-layer box head classifies them (K + 1 classes,
0 = background) and refines their boxes per class.
"""
from __future__ import annotations

import numpy as np

from glassnet import nn
from glassnet.models._registry import register_model
from glassnet.autograd import no_grad
from glassnet.nn import functional as F
from glassnet.tensor import Tensor
from glassnet.vision.models.detection._utils import (BackboneWithFPN, SmallBackbone,
                                                     check_targets, images_to_batch)
from glassnet.vision.models.detection.retinanet import _flatten_levels, _nms_dict
from glassnet.vision.ops import (AnchorGenerator, BalancedPositiveNegativeSampler, BoxCoder,
                                 Matcher, MultiScaleRoIAlign, batched_nms, box_iou,
                                 clip_boxes_to_image, remove_small_boxes)

__all__ = ["FasterRCNN", "RegionProposalNetwork", "RPNHead", "RoIHeads", "TwoMLPHead",
           "FastRCNNPredictor", "fasterrcnn_small"]


class RPNHead(nn.Module):
    """A 3x3 conv + ReLU, then 1x1 convs to ``A`` objectness logits and ``4 A`` box
    offsets per location (torchvision's names: ``conv``, ``cls_logits``, ``bbox_pred``)."""

    def __init__(self, in_channels: int, num_anchors: int):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(in_channels, in_channels, 3, padding=1),
                                  nn.ReLU(inplace=True))
        self.cls_logits = nn.Conv2d(in_channels, num_anchors, 1)
        self.bbox_pred = nn.Conv2d(in_channels, num_anchors * 4, 1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, std=0.01)
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        t = [self.conv(f) for f in x]
        return ([self.cls_logits(f) for f in t], [self.bbox_pred(f) for f in t])


class RegionProposalNetwork(nn.Module):
    """Proposals from anchors: objectness + offsets, top-k per level, NMS.

    Parameters follow torchvision's: ``fg_iou_thresh`` 0.7, ``bg_iou_thresh`` 0.3,
    ``batch_size_per_image`` 256, ``positive_fraction`` 0.5, ``pre_nms_top_n`` and
    ``post_nms_top_n`` dicts with ``"training"`` / ``"testing"`` keys, ``nms_thresh``.
    """

    def __init__(self, anchor_generator: AnchorGenerator, head: RPNHead,
                 fg_iou_thresh: float = 0.7, bg_iou_thresh: float = 0.3,
                 batch_size_per_image: int = 256, positive_fraction: float = 0.5,
                 pre_nms_top_n=None, post_nms_top_n=None, nms_thresh: float = 0.7,
                 score_thresh: float = 0.0):
        super().__init__()
        self.anchor_generator = anchor_generator
        self.head = head
        self.box_coder = BoxCoder(weights=(1.0, 1.0, 1.0, 1.0))
        self.proposal_matcher = Matcher(fg_iou_thresh, bg_iou_thresh,
                                        allow_low_quality_matches=True)
        self.fg_bg_sampler = BalancedPositiveNegativeSampler(batch_size_per_image,
                                                             positive_fraction)
        self._pre_nms_top_n = pre_nms_top_n or {"training": 2000, "testing": 1000}
        self._post_nms_top_n = post_nms_top_n or {"training": 2000, "testing": 1000}
        self.nms_thresh = nms_thresh
        self.score_thresh = score_thresh
        self.last_stats: dict = {}

    def _mode(self) -> str:
        return "training" if self.training else "testing"

    def filter_proposals(self, proposals, objectness, image_size, level_sizes) -> list:
        """Per image: the ``pre_nms_top_n`` best per level, clipped, small ones removed,
        NMS per level, the ``post_nms_top_n`` best overall (arrays, no grad)."""
        pre, post = self._pre_nms_top_n[self._mode()], self._post_nms_top_n[self._mode()]
        bounds = np.cumsum([0] + list(level_sizes))
        out = []
        for i in range(objectness.shape[0]):
            boxes_all, scores_all, levels_all = [], [], []
            for lvl, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
                s = objectness[i, lo:hi]
                top = np.argsort(-s, kind="stable")[:pre] + lo
                boxes_all.append(proposals[i, top])
                scores_all.append(objectness[i, top])
                levels_all.append(np.full(top.size, lvl))
            boxes = clip_boxes_to_image(Tensor._wrap(np.concatenate(boxes_all)), image_size)
            scores = 1.0 / (1.0 + np.exp(-np.clip(np.concatenate(scores_all), -50, 50)))
            levels = np.concatenate(levels_all)
            keep = remove_small_boxes(boxes, 1e-3)._data
            keep = keep[scores[keep] >= self.score_thresh]
            b, s, lv = boxes._data[keep], scores[keep], levels[keep]
            # NOTE: NMS per level, as torchvision (batched_nms over the level index)
            k = batched_nms(Tensor._wrap(b), Tensor._wrap(s.astype(np.float32)),
                            Tensor._wrap(lv.astype(np.int64)), self.nms_thresh)._data[:post]
            out.append(b[k])
        return out

    def forward(self, image_size, features, targets=None):
        logits, deltas = self.head(features)
        anchors = self.anchor_generator(image_size, [tuple(f.shape[-2:]) for f in features])
        a = self.anchor_generator.num_anchors_per_location()
        level_sizes = [f.shape[-2] * f.shape[-1] * n for f, n in zip(features, a)]
        objectness = _flatten_levels(logits, 1)[:, :, 0]  # (N, A_total)
        pred_deltas = _flatten_levels(deltas, 4)  # (N, A_total, 4)
        n = objectness.shape[0]
        with no_grad():
            proposals = self.box_coder.decode_single(
                pred_deltas.detach().reshape(-1, 4),
                Tensor._wrap(np.tile(anchors._data, (n, 1))))._data.reshape(n, -1, 4)
        boxes = self.filter_proposals(proposals, objectness._data, image_size, level_sizes)
        losses = {}
        if self.training:
            losses = self.compute_loss(objectness, pred_deltas, anchors, targets)
        return boxes, losses

    def compute_loss(self, objectness, pred_deltas, anchors, targets) -> dict:
        """BCE on the 256 sampled anchors per image and smooth-L1 (beta 1/9) on the
        sampled positives, both divided by the number sampled (torchvision's)."""
        labels, matched_gt = [], []
        for boxes, _ in targets:
            if len(boxes) == 0:
                labels.append(np.zeros(anchors.shape[0], np.float32))
                matched_gt.append(np.zeros((anchors.shape[0], 4), np.float32))
                continue
            m = self.proposal_matcher(box_iou(Tensor._wrap(boxes), anchors))._data
            lab = (m >= 0).astype(np.float32)
            lab[m == Matcher.BETWEEN_THRESHOLDS] = -1.0  # ignored
            labels.append(lab)
            matched_gt.append(boxes[np.clip(m, 0, None)])
        pos, neg = self.fg_bg_sampler([Tensor._wrap(lab) for lab in labels])
        pos = np.stack([p._data.astype(bool) for p in pos])
        neg = np.stack([q._data.astype(bool) for q in neg])
        img_p, anc_p = np.nonzero(pos)
        img_s, anc_s = np.nonzero(pos | neg)
        count = max(1, img_s.size)
        lab = np.stack(labels)
        obj_loss = F.binary_cross_entropy_with_logits(
            objectness[img_s, anc_s], Tensor._wrap(lab[img_s, anc_s]), reduction="sum") / count
        if img_p.size:
            gt = np.stack(matched_gt)[img_p, anc_p]
            target = self.box_coder.encode_single(Tensor._wrap(gt), anchors[anc_p])
            box_loss = F.smooth_l1_loss(pred_deltas[img_p, anc_p], target, reduction="sum",
                                        beta=1.0 / 9) / count
        else:
            box_loss = (pred_deltas * 0.0).sum()
        valid = lab >= 0
        self.last_stats = {"anchors": int(lab.size), "positive": int((lab == 1).sum()),
                           "negative": int(((lab == 0) & valid).sum()),
                           "ignored": int((~valid).sum()), "sampled_positive": int(img_p.size),
                           "sampled": int(img_s.size)}
        return {"loss_objectness": obj_loss, "loss_rpn_box_reg": box_loss}


class TwoMLPHead(nn.Module):
    """Flatten, then two fully connected layers with ReLU (``fc6``, ``fc7``)."""

    def __init__(self, in_channels: int, representation_size: int):
        super().__init__()
        self.fc6 = nn.Linear(in_channels, representation_size)
        self.fc7 = nn.Linear(representation_size, representation_size)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.fc7(F.relu(self.fc6(x.flatten(1)))))


class FastRCNNPredictor(nn.Module):
    """Class scores (``cls_score``, K + 1) and per-class box offsets (``bbox_pred``)."""

    def __init__(self, in_channels: int, num_classes: int):
        super().__init__()
        self.cls_score = nn.Linear(in_channels, num_classes)
        self.bbox_pred = nn.Linear(in_channels, num_classes * 4)

    def forward(self, x: Tensor):
        return self.cls_score(x), self.bbox_pred(x)


class RoIHeads(nn.Module):
    """Second stage: sample proposals (IoU 0.5 foreground, ``batch_size_per_image`` per
    image with ``positive_fraction`` positives), RoIAlign, box head, predictor;
    cross-entropy over K + 1 classes and smooth-L1 on the true class's box offsets."""

    def __init__(self, box_roi_pool, box_head, box_predictor, fg_iou_thresh: float = 0.5,
                 bg_iou_thresh: float = 0.5, batch_size_per_image: int = 512,
                 positive_fraction: float = 0.25, bbox_reg_weights=None,
                 score_thresh: float = 0.05, nms_thresh: float = 0.5,
                 detections_per_img: int = 100):
        super().__init__()
        self.box_roi_pool = box_roi_pool
        self.box_head = box_head
        self.box_predictor = box_predictor
        self.proposal_matcher = Matcher(fg_iou_thresh, bg_iou_thresh,
                                        allow_low_quality_matches=False)
        self.fg_bg_sampler = BalancedPositiveNegativeSampler(batch_size_per_image,
                                                             positive_fraction)
        self.box_coder = BoxCoder(bbox_reg_weights or (10.0, 10.0, 5.0, 5.0))
        self.score_thresh = score_thresh
        self.nms_thresh = nms_thresh
        self.detections_per_img = detections_per_img

    def select_training_samples(self, proposals, targets):
        """Ground truth joins the proposals; each is matched and sampled (arrays)."""
        props, labels, gts = [], [], []
        for p, (boxes, lab) in zip(proposals, targets):
            p = np.concatenate([p, boxes]) if len(boxes) else p
            if len(boxes):
                m = self.proposal_matcher(box_iou(Tensor._wrap(boxes), Tensor._wrap(p)))._data
                cls = lab[np.clip(m, 0, None)].copy()
                cls[m == Matcher.BELOW_LOW_THRESHOLD] = 0  # background
                cls[m == Matcher.BETWEEN_THRESHOLDS] = -1  # ignored
                gt = boxes[np.clip(m, 0, None)]
            else:
                cls = np.zeros(len(p), np.int64)
                gt = np.zeros((len(p), 4), np.float32)
            props.append(p)
            labels.append(cls)
            gts.append(gt)
        pos, neg = self.fg_bg_sampler([Tensor._wrap(c) for c in labels])
        out = []
        for p, c, g, ps, ng in zip(props, labels, gts, pos, neg):
            keep = np.flatnonzero(ps._data | ng._data)
            out.append((p[keep], c[keep], g[keep]))
        return out

    def forward(self, features, proposals, image_size, targets=None):
        samples = None
        if self.training:
            samples = self.select_training_samples(proposals, targets)
            proposals = [s[0] for s in samples]
        rois = [Tensor._wrap(p.astype(np.float32).reshape(-1, 4)) for p in proposals]
        pooled = self.box_roi_pool(features, rois, [image_size] * len(rois))
        class_logits, box_regression = self.box_predictor(self.box_head(pooled))
        if self.training:
            return [], self.compute_loss(class_logits, box_regression, samples)
        return self.postprocess(class_logits, box_regression, proposals, image_size), {}

    def compute_loss(self, class_logits, box_regression, samples) -> dict:
        labels = np.concatenate([s[1] for s in samples])
        props = np.concatenate([s[0] for s in samples])
        gts = np.concatenate([s[2] for s in samples])
        cls_loss = F.cross_entropy(class_logits, Tensor._wrap(labels.astype(np.int64)))
        pos = np.flatnonzero(labels > 0)
        if pos.size:
            dt = box_regression._data.dtype  # float64 heads: float64 targets
            target = self.box_coder.encode_single(Tensor._wrap(gts[pos].astype(dt)),
                                                  Tensor._wrap(props[pos].astype(dt)))
            k = class_logits.shape[1]
            pred = box_regression.reshape(-1, k, 4)[pos, labels[pos]]
            box_loss = F.smooth_l1_loss(pred, target, reduction="sum",
                                        beta=1.0 / 9) / max(1, labels.size)
        else:
            box_loss = (box_regression * 0.0).sum()
        return {"loss_classifier": cls_loss, "loss_box_reg": box_loss}

    def postprocess(self, class_logits, box_regression, proposals, image_size) -> list:
        logits = class_logits._data
        scores = np.exp(logits - logits.max(axis=1, keepdims=True))
        scores /= scores.sum(axis=1, keepdims=True)
        k = logits.shape[1]
        counts = [len(p) for p in proposals]
        props = np.concatenate(proposals).astype(np.float32).reshape(-1, 4)
        boxes = self.box_coder.decode_single(box_regression.detach(), Tensor._wrap(props))
        boxes = clip_boxes_to_image(boxes.reshape(-1, k, 4), image_size)._data  # (R, K, 4)
        out, start = [], 0
        for c in counts:
            b = boxes[start:start + c, 1:].reshape(-1, 4)  # drop the background class
            s = scores[start:start + c, 1:].reshape(-1)
            lab = np.tile(np.arange(1, k), c)
            keep = np.flatnonzero(s > self.score_thresh)
            b, s, lab = b[keep], s[keep], lab[keep]
            w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
            big = (w >= 1e-2) & (h >= 1e-2)
            out.append(_nms_dict(b[big], s[big], lab[big], self.nms_thresh,
                                 self.detections_per_img))
            start += c
        return out


class FasterRCNN(nn.Module):
    """Two-stage detector: backbone (+ FPN), region proposal network, RoI heads.

    ``num_classes`` includes the background (label 0), as torchvision's: objects are
    labelled ``1 .. num_classes - 1``.  ``model(images, targets)`` in training mode
    returns ``{"loss_objectness", "loss_rpn_box_reg", "loss_classifier",
    "loss_box_reg"}``; in eval mode a list of ``{"boxes", "scores", "labels"}``.
    """

    def __init__(self, backbone, num_classes: int, rpn: RegionProposalNetwork,
                 roi_heads: RoIHeads):
        super().__init__()
        if num_classes < 2:
            raise ValueError(f"FasterRCNN: num_classes must be >= 2 (background + one "
                             f"class), got {num_classes}")
        self.backbone = backbone
        self.rpn = rpn
        self.roi_heads = roi_heads
        self.num_classes = num_classes

    def forward(self, images, targets=None):
        x = images_to_batch(images, "FasterRCNN")
        tgts = None
        if self.training:
            tgts = check_targets(targets, x.shape[0], "FasterRCNN")
            for i, (_, lab) in enumerate(tgts):
                if len(lab) and (lab.min() < 1 or lab.max() >= self.num_classes):
                    raise ValueError(f"FasterRCNN: targets[{i}]['labels'] must be in [1, "
                                     f"{self.num_classes}) (0 is the background), got "
                                     f"{lab.tolist()}")
        feats = self.backbone(x)
        image_size = tuple(x.shape[-2:])
        proposals, rpn_losses = self.rpn(image_size, list(feats.values()), tgts)
        if not self.training:
            with no_grad():
                return self.roi_heads(feats, proposals, image_size)[0]
        _, det_losses = self.roi_heads(feats, proposals, image_size, tgts)
        return {**rpn_losses, **det_losses}


@register_model
def fasterrcnn_small(num_classes: int = 11, in_channels: int = 1, **kwargs) -> FasterRCNN:
    """Faster R-CNN for small grey images (MNISTDetection, 96x96; ``num_classes`` = 10
    digits + background): retinanet_small's backbone and FPN (strides 8 and 16), an RPN
    with 6 anchors per location on both levels (0.7/0.3 matching, 256 sampled, 1:1),
    RoIAlign 7x7 from the stride-8 level, 32 sampled proposals per image (25%
    positive), a two-layer box head of ``representation_size`` (128) units."""
    from glassnet.vision.models.detection.retinanet import (SMALL_ANCHOR_SIZES,
                                                            SMALL_ASPECT_RATIOS)

    backbone = BackboneWithFPN(SmallBackbone(in_channels), out_channels=64)
    anchors = AnchorGenerator(SMALL_ANCHOR_SIZES, SMALL_ASPECT_RATIOS)
    rpn = RegionProposalNetwork(
        anchors, RPNHead(64, anchors.num_anchors_per_location()[0]),
        pre_nms_top_n={"training": 300, "testing": 150},
        post_nms_top_n={"training": 100, "testing": 50})
    # NOTE: every digit (10-40 px) maps to the stride-8 level under torchvision's level
    # rule (canonical 224 px at level 4), so the boxes are pooled from that map alone.
    pool = MultiScaleRoIAlign(["c3"], output_size=7, sampling_ratio=2)
    size = kwargs.pop("representation_size", 128)
    heads = RoIHeads(pool, TwoMLPHead(64 * 7 * 7, size), FastRCNNPredictor(size, num_classes),
                     batch_size_per_image=kwargs.pop("box_batch_size_per_image", 32),
                     **kwargs)
    return FasterRCNN(backbone, num_classes, rpn, heads)
