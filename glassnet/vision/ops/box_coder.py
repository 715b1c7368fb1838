"""Box regression targets (R-CNN parameterisation; Girshick et al., CVPR 2014,
arXiv:1311.2524, appendix C), with ``torchvision.models.detection._utils.BoxCoder``'s
formulas."""
from __future__ import annotations

import math

import numpy as np

from glassnet.ops.elementwise import clamp, exp, log
from glassnet.ops.shape import cat, stack
from glassnet.tensor import Tensor

__all__ = ["BoxCoder"]


def _check(t, name, fn, cols=4):
    if not isinstance(t, Tensor):
        raise TypeError(f"{fn}: {name} must be a Tensor, got {type(t).__name__}")
    if t.ndim != 2 or t.shape[1] % cols or t.shape[1] == 0:
        raise ValueError(f"{fn}: {name} must have shape (N, {cols}) "
                         f"{'(or (N, 4 * K)) ' if name == 'rel_codes' else ''}"
                         f"got {tuple(t.shape)}")


class BoxCoder:
    """Encode boxes as offsets from reference boxes and decode them back.

    With centres ``(x, y)``, sizes ``(w, h)`` of a reference (proposal, anchor) box ``a``
    and a target box ``g``::

        dx = wx (g_x - a_x) / a_w      dw = ww log(g_w / a_w)
        dy = wy (g_y - a_y) / a_h      dh = wh log(g_h / a_h)

    Decoding inverts this, clamping ``dw, dh`` at ``bbox_xform_clip`` before ``exp``.
    Both directions are differentiable (composed of glassnet ops).

    Parameters
    ----------
    weights : tuple of 4 float
        ``(wx, wy, ww, wh)``: (1, 1, 1, 1) for RPNs, (10, 10, 5, 5) for Fast R-CNN heads.
    bbox_xform_clip : float
        Upper bound of ``dw, dh`` (``log(1000 / 16)``) so that ``exp`` cannot overflow.

    Shape
    -----
    - encode_single: reference_boxes ``(N, 4)``, proposals ``(N, 4)`` -> ``(N, 4)``
    - decode_single: rel_codes ``(N, 4 * K)``, boxes ``(N, 4)`` -> ``(N, 4 * K)``

    Examples
    --------
    >>> import glassnet as gn
    >>> from glassnet.vision.ops import BoxCoder
    >>> coder = BoxCoder((1.0, 1.0, 1.0, 1.0))
    >>> anchors = gn.tensor([[0.0, 0.0, 10.0, 10.0]]); gt = gn.tensor([[1.0, 1.0, 11.0, 11.0]])
    >>> coder.encode_single(gt, anchors).tolist()
    [[0.10000000149011612, 0.10000000149011612, 0.0, 0.0]]
    >>> coder.decode_single(coder.encode_single(gt, anchors), anchors).tolist()
    [[1.0, 1.0, 11.0, 11.0]]
    """

    def __init__(self, weights, bbox_xform_clip: float = math.log(1000.0 / 16)):
        if len(weights) != 4:
            raise ValueError(f"BoxCoder: weights must have 4 entries (wx, wy, ww, wh), got "
                             f"{weights!r}")
        self.weights = tuple(weights)
        self.bbox_xform_clip = bbox_xform_clip

    # -- encoding --------------------------------------------------------------
    def encode(self, reference_boxes, proposals) -> tuple:
        """Encode per-image lists of boxes; returns one ``(N_i, 4)`` Tensor per image."""
        counts = [len(b) for b in reference_boxes]
        targets = self.encode_single(cat(list(reference_boxes), dim=0),
                                     cat(list(proposals), dim=0))
        return tuple(targets.split(counts, 0))

    def encode_single(self, reference_boxes: Tensor, proposals: Tensor) -> Tensor:
        """Offsets of ``reference_boxes`` (targets) relative to ``proposals``."""
        fn = "BoxCoder.encode_single"
        _check(reference_boxes, "reference_boxes", fn)
        _check(proposals, "proposals", fn)
        if reference_boxes.shape != proposals.shape:
            raise ValueError(f"{fn}: reference_boxes and proposals must have the same "
                             f"shape, got {tuple(reference_boxes.shape)} and "
                             f"{tuple(proposals.shape)}")
        dtype = reference_boxes.dtype
        wx, wy, ww, wh = (Tensor._wrap(np.asarray(w, dtype)) for w in self.weights)
        px1, py1, px2, py2 = (proposals[:, k:k + 1] for k in range(4))
        gx1, gy1, gx2, gy2 = (reference_boxes[:, k:k + 1] for k in range(4))
        ex_w = px2 - px1
        ex_h = py2 - py1
        ex_cx = px1 + 0.5 * ex_w
        ex_cy = py1 + 0.5 * ex_h
        gt_w = gx2 - gx1
        gt_h = gy2 - gy1
        gt_cx = gx1 + 0.5 * gt_w
        gt_cy = gy1 + 0.5 * gt_h
        dx = wx * (gt_cx - ex_cx) / ex_w
        dy = wy * (gt_cy - ex_cy) / ex_h
        dw = ww * log(gt_w / ex_w)
        dh = wh * log(gt_h / ex_h)
        return cat([dx, dy, dw, dh], dim=1)

    # -- decoding --------------------------------------------------------------
    def decode(self, rel_codes: Tensor, boxes) -> Tensor:
        """Decode ``rel_codes`` against per-image lists of boxes: ``(N, K, 4)``."""
        counts = [b.shape[0] for b in boxes]
        total = int(np.sum(counts))
        concat = cat(list(boxes), dim=0)
        if total > 0:
            rel_codes = rel_codes.reshape(total, -1)
        pred = self.decode_single(rel_codes, concat)
        return pred.reshape(total, -1, 4) if total > 0 else pred

    def decode_single(self, rel_codes: Tensor, boxes: Tensor) -> Tensor:
        """Boxes obtained by applying ``rel_codes`` (``(N, 4 * K)``) to ``boxes``."""
        fn = "BoxCoder.decode_single"
        _check(rel_codes, "rel_codes", fn)
        _check(boxes, "boxes", fn)
        if rel_codes.shape[0] != boxes.shape[0]:
            raise ValueError(f"{fn}: rel_codes and boxes must have the same number of rows, "
                             f"got {rel_codes.shape[0]} and {boxes.shape[0]}")
        boxes = boxes.to(rel_codes.dtype)
        widths = boxes[:, 2] - boxes[:, 0]
        heights = boxes[:, 3] - boxes[:, 1]
        ctr_x = boxes[:, 0] + 0.5 * widths
        ctr_y = boxes[:, 1] + 0.5 * heights
        wx, wy, ww, wh = self.weights
        dx = rel_codes[:, 0::4] / wx
        dy = rel_codes[:, 1::4] / wy
        # NOTE: clamp before exp: a raw regression output of 100 would overflow float32.
        dw = clamp(rel_codes[:, 2::4] / ww, max=self.bbox_xform_clip)
        dh = clamp(rel_codes[:, 3::4] / wh, max=self.bbox_xform_clip)
        pred_ctr_x = dx * widths[:, None] + ctr_x[:, None]
        pred_ctr_y = dy * heights[:, None] + ctr_y[:, None]
        pred_w = exp(dw) * widths[:, None]
        pred_h = exp(dh) * heights[:, None]
        half_w = 0.5 * pred_w
        half_h = 0.5 * pred_h
        out = stack([pred_ctr_x - half_w, pred_ctr_y - half_h, pred_ctr_x + half_w,
                     pred_ctr_y + half_h], dim=2)
        return out.flatten(1)
