"""Detection ops with ``torchvision.ops`` names and semantics.

Boxes and the IoU family, (batched) non-maximum suppression, RoIPool / RoIAlign and their
multi-scale pooler, the sigmoid focal loss, and the detection helpers that torchvision
keeps in ``torchvision.models.detection`` (``AnchorGenerator``, ``Matcher``,
``BalancedPositiveNegativeSampler``, ``BoxCoder``).  ``roi_align``, ``roi_pool``, the
IoU family and the focal loss are differentiable, as in torchvision.
"""
from __future__ import annotations

from glassnet.vision.ops.anchors import AnchorGenerator
from glassnet.vision.ops.box_coder import BoxCoder
from glassnet.vision.ops.boxes import (
    box_area, box_convert, box_iou, clip_boxes_to_image, complete_box_iou, distance_box_iou,
    generalized_box_iou, generalized_box_iou_loss, remove_small_boxes,
)
from glassnet.vision.ops.focal_loss import sigmoid_focal_loss
from glassnet.vision.ops.matcher import BalancedPositiveNegativeSampler, Matcher
from glassnet.vision.ops.nms import batched_nms, nms
from glassnet.vision.ops.poolers import LevelMapper, MultiScaleRoIAlign
from glassnet.vision.ops.roi import RoIAlign, RoIPool, roi_align, roi_pool

__all__ = [
    "box_area", "box_convert", "box_iou", "generalized_box_iou", "distance_box_iou",
    "complete_box_iou", "generalized_box_iou_loss", "clip_boxes_to_image",
    "remove_small_boxes", "nms", "batched_nms", "roi_pool", "roi_align", "RoIPool",
    "RoIAlign", "LevelMapper", "MultiScaleRoIAlign", "sigmoid_focal_loss",
    "AnchorGenerator", "Matcher", "BalancedPositiveNegativeSampler", "BoxCoder",
]
