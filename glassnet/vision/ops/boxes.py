"""Box utilities with ``torchvision.ops`` semantics: areas, format conversion, the IoU
family, clipping and filtering (NMS lives in :mod:`glassnet.vision.ops.nms` and is
re-exported here, as torchvision keeps it in ``torchvision.ops.boxes``).

Boxes are Tensors of shape ``(N, 4)`` in ``(x1, y1, x2, y2)`` ("xyxy") format unless a
function says otherwise.  The IoU family, :func:`box_convert`, :func:`box_area`,
:func:`clip_boxes_to_image` and :func:`generalized_box_iou_loss` are composed of
differentiable glassnet ops, so gradients flow to the box coordinates as they do in
torchvision.  :func:`nms`, :func:`batched_nms` and :func:`remove_small_boxes` return
int64 indices and are not differentiable.
"""
from __future__ import annotations

import numpy as np

from glassnet.ops.elementwise import atan, clamp, maximum, minimum, pow, where
from glassnet.ops.reduce import mean, sum
from glassnet.ops.shape import stack
from glassnet.tensor import Tensor
from glassnet.vision.ops.nms import batched_nms, nms

__all__ = [
    "box_area", "box_convert", "box_iou", "generalized_box_iou", "distance_box_iou",
    "complete_box_iou", "generalized_box_iou_loss", "clip_boxes_to_image",
    "remove_small_boxes", "nms", "batched_nms",
]

_FORMATS = ("xyxy", "xywh", "cxcywh")


# ---------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------
def _check_boxes(boxes, name: str, fn: str, ordered: bool = True, min_ndim: int = 2):
    """Validate a boxes Tensor of shape ``(..., N, 4)`` (xyxy with x1 <= x2, y1 <= y2)."""
    if not isinstance(boxes, Tensor):
        raise TypeError(f"{fn}: {name} must be a Tensor, got {type(boxes).__name__}")
    rule = " with x1 <= x2 and y1 <= y2" if ordered else ""
    if boxes.ndim < min_ndim or boxes.shape[-1] != 4:
        raise ValueError(f"{fn}: {name} must have shape (N, 4){rule}, got shape "
                         f"{tuple(boxes.shape)}")
    if boxes.dtype.kind not in "fiu":
        raise TypeError(f"{fn}: {name} must have a numeric dtype, got {boxes.dtype}")
    if ordered:
        d = boxes._data.reshape(-1, 4)
        bad = np.flatnonzero((d[:, 2] < d[:, 0]) | (d[:, 3] < d[:, 1]))
        if bad.size:
            raise ValueError(f"{fn}: {name} must have shape (N, 4){rule}, got box "
                             f"{int(bad[0])} = {d[bad[0]].tolist()}")
    return boxes


def _upcast(boxes: Tensor) -> Tensor:
    """torchvision's ``_upcast``: float16 -> float32, small ints -> int32."""
    if boxes.dtype.kind == "f":
        return boxes if boxes.dtype in (np.float32, np.float64) else boxes.float()
    return boxes if boxes.dtype in (np.int32, np.int64) else boxes.int()


# ---------------------------------------------------------------------------
# Area and format conversion
# ---------------------------------------------------------------------------
def box_area(boxes: Tensor, fmt: str = "xyxy") -> Tensor:
    """Area of each box.

    Parameters
    ----------
    boxes : Tensor
        Boxes in format ``fmt``.
    fmt : {'xyxy', 'xywh', 'cxcywh'}
        Box format (torchvision's ``fmt`` argument).

    Returns
    -------
    Tensor
        ``(x2 - x1) * (y2 - y1)`` for xyxy, ``w * h`` otherwise.

    Shape
    -----
    - boxes: ``(*, 4)``
    - output: ``(*)``

    Examples
    --------
    >>> import glassnet as gn
    >>> from glassnet.vision.ops import box_area
    >>> box_area(gn.tensor([[0.0, 0.0, 2.0, 3.0]])).tolist()
    [6.0]
    """
    _check_boxes(boxes, "boxes", "box_area", ordered=False, min_ndim=1)
    if fmt not in _FORMATS:
        raise ValueError(f"box_area: fmt must be one of {_FORMATS}, got {fmt!r}")
    boxes = _upcast(boxes)
    if fmt == "xyxy":
        return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
    return boxes[..., 2] * boxes[..., 3]


def _to_xyxy(boxes: Tensor, fmt: str) -> Tensor:
    a, b, c, d = (boxes[..., k] for k in range(4))
    if fmt == "xywh":
        return stack([a, b, a + c, b + d], dim=-1)
    # cxcywh
    return stack([a - 0.5 * c, b - 0.5 * d, a + 0.5 * c, b + 0.5 * d], dim=-1)


def _from_xyxy(boxes: Tensor, fmt: str) -> Tensor:
    x1, y1, x2, y2 = (boxes[..., k] for k in range(4))
    if fmt == "xywh":
        return stack([x1, y1, x2 - x1, y2 - y1], dim=-1)
    # cxcywh
    return stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], dim=-1)


def box_convert(boxes: Tensor, in_fmt: str, out_fmt: str) -> Tensor:
    """Convert boxes between ``'xyxy'``, ``'xywh'`` and ``'cxcywh'`` (differentiable).

    ``xyxy`` is corners ``(x1, y1, x2, y2)``; ``xywh`` is top-left corner, width and
    height; ``cxcywh`` is centre, width and height.

    Parameters
    ----------
    boxes : Tensor
        Boxes in ``in_fmt``.
    in_fmt, out_fmt : {'xyxy', 'xywh', 'cxcywh'}
        Source and target formats.

    Returns
    -------
    Tensor
        Boxes in ``out_fmt`` (a copy when the formats are equal).

    Shape
    -----
    - boxes: ``(*, 4)``
    - output: ``(*, 4)``

    Examples
    --------
    >>> import glassnet as gn
    >>> from glassnet.vision.ops import box_convert
    >>> box_convert(gn.tensor([[1.0, 2.0, 3.0, 4.0]]), "xywh", "xyxy").tolist()
    [[1.0, 2.0, 4.0, 6.0]]
    """
    _check_boxes(boxes, "boxes", "box_convert", ordered=False, min_ndim=1)
    for name, f in (("in_fmt", in_fmt), ("out_fmt", out_fmt)):
        if f not in _FORMATS:
            raise ValueError(f"box_convert: {name} must be one of {_FORMATS}, got {f!r}")
    if in_fmt == out_fmt:
        return boxes.clone()
    if in_fmt != "xyxy":
        boxes = _to_xyxy(boxes, in_fmt)
    if out_fmt != "xyxy":
        boxes = _from_xyxy(boxes, out_fmt)
    return boxes


# ---------------------------------------------------------------------------
# The IoU family
# ---------------------------------------------------------------------------
def _inter_union(boxes1: Tensor, boxes2: Tensor):
    """Pairwise intersection and union areas, ``(..., N, M)`` each (torchvision's order)."""
    area1 = box_area(boxes1)
    area2 = box_area(boxes2)
    lt = maximum(boxes1[..., :, None, :2], boxes2[..., None, :, :2])
    rb = minimum(boxes1[..., :, None, 2:], boxes2[..., None, :, 2:])
    # NOTE: disjoint boxes give negative widths; clamp(min=0) zeroes them (and their grad).
    wh = clamp(_upcast(rb - lt), min=0)
    inter = wh[..., 0] * wh[..., 1]
    union = area1[..., :, None] + area2[..., None, :] - inter
    return inter, union


def _enclosing_wh(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    lti = minimum(boxes1[..., :, None, :2], boxes2[..., None, :, :2])
    rbi = maximum(boxes1[..., :, None, 2:], boxes2[..., None, :, 2:])
    return clamp(_upcast(rbi - lti), min=0)


def _pair_check(fn: str, boxes1, boxes2):
    _check_boxes(boxes1, "boxes1", fn)
    _check_boxes(boxes2, "boxes2", fn)
    if boxes1.shape[:-2] != boxes2.shape[:-2]:
        raise ValueError(f"{fn}: boxes1 and boxes2 must have the same leading dimensions, "
                         f"got {tuple(boxes1.shape)} and {tuple(boxes2.shape)}")


def box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Pairwise intersection-over-union (Jaccard index) of two sets of xyxy boxes.

    ``IoU = |A ∩ B| / |A ∪ B|``.  Two degenerate (zero-area) boxes give ``0 / 0 = nan``,
    as in torchvision.

    Parameters
    ----------
    boxes1, boxes2 : Tensor
        Boxes ``(x1, y1, x2, y2)`` with ``x1 <= x2`` and ``y1 <= y2``.

    Returns
    -------
    Tensor
        IoU of every pair, in ``[0, 1]``.

    Shape
    -----
    - boxes1: ``(N, 4)`` (or ``(*, N, 4)``)
    - boxes2: ``(M, 4)`` (or ``(*, M, 4)``)
    - output: ``(N, M)`` (or ``(*, N, M)``)

    Examples
    --------
    >>> import glassnet as gn
    >>> from glassnet.vision.ops import box_iou
    >>> a = gn.tensor([[0.0, 0.0, 2.0, 2.0]]); b = gn.tensor([[1.0, 0.0, 3.0, 2.0]])
    >>> round(box_iou(a, b).item(), 4)
    0.3333
    """
    _pair_check("box_iou", boxes1, boxes2)
    inter, union = _inter_union(boxes1, boxes2)
    return inter / union


def generalized_box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Pairwise generalized IoU (Rezatofighi et al., CVPR 2019, arXiv:1902.09630).

    ``GIoU = IoU - (|C| - |A ∪ B|) / |C|`` with ``C`` the smallest enclosing box; in
    ``[-1, 1]``.

    Parameters
    ----------
    boxes1, boxes2 : Tensor
        xyxy boxes with ``x1 <= x2`` and ``y1 <= y2``.

    Returns
    -------
    Tensor
        GIoU of every pair.

    Shape
    -----
    - boxes1: ``(N, 4)``, boxes2: ``(M, 4)``
    - output: ``(N, M)``
    """
    _pair_check("generalized_box_iou", boxes1, boxes2)
    inter, union = _inter_union(boxes1, boxes2)
    iou = inter / union
    whi = _enclosing_wh(boxes1, boxes2)
    areai = whi[..., 0] * whi[..., 1]
    return iou - (areai - union) / areai


def _box_diou_iou(boxes1: Tensor, boxes2: Tensor, eps: float):
    inter, union = _inter_union(boxes1, boxes2)
    iou = inter / union
    whi = _enclosing_wh(boxes1, boxes2)
    # NOTE: eps (1e-7) keeps the squared diagonal of two identical points positive.
    diagonal_distance_squared = whi[..., 0] ** 2 + whi[..., 1] ** 2 + eps
    x_p = (boxes1[..., 0] + boxes1[..., 2]) / 2
    y_p = (boxes1[..., 1] + boxes1[..., 3]) / 2
    x_g = (boxes2[..., 0] + boxes2[..., 2]) / 2
    y_g = (boxes2[..., 1] + boxes2[..., 3]) / 2
    centers_distance_squared = (_upcast(x_p[..., :, None] - x_g[..., None, :]) ** 2
                                + _upcast(y_p[..., :, None] - y_g[..., None, :]) ** 2)
    return iou - centers_distance_squared / diagonal_distance_squared, iou


def distance_box_iou(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> Tensor:
    """Pairwise distance IoU (Zheng et al., AAAI 2020, arXiv:1911.08287).

    ``DIoU = IoU - ρ²(centres) / (c² + eps)`` with ``c`` the diagonal of the smallest
    enclosing box.

    Parameters
    ----------
    boxes1, boxes2 : Tensor
        xyxy boxes with ``x1 <= x2`` and ``y1 <= y2``.
    eps : float
        Added to ``c²`` to avoid division by zero (torchvision's default 1e-7).

    Returns
    -------
    Tensor
        DIoU of every pair.

    Shape
    -----
    - boxes1: ``(N, 4)``, boxes2: ``(M, 4)``
    - output: ``(N, M)``
    """
    _pair_check("distance_box_iou", boxes1, boxes2)
    boxes1, boxes2 = _upcast(boxes1), _upcast(boxes2)
    diou, _ = _box_diou_iou(boxes1, boxes2, eps)
    return diou


def complete_box_iou(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> Tensor:
    """Pairwise complete IoU (Zheng et al., AAAI 2020, arXiv:1911.08287).

    ``CIoU = DIoU - alpha * v`` with ``v = 4/pi² (atan(w1/h1) - atan(w2/h2))²`` and
    ``alpha = v / (1 - IoU + v + eps)``.

    Parameters
    ----------
    boxes1, boxes2 : Tensor
        xyxy boxes with ``x1 <= x2`` and ``y1 <= y2``.
    eps : float
        Stabiliser of DIoU's denominator and of ``alpha`` (torchvision's 1e-7).

    Returns
    -------
    Tensor
        CIoU of every pair.

    Shape
    -----
    - boxes1: ``(N, 4)``, boxes2: ``(M, 4)``
    - output: ``(N, M)``
    """
    _pair_check("complete_box_iou", boxes1, boxes2)
    boxes1, boxes2 = _upcast(boxes1), _upcast(boxes2)
    diou, iou = _box_diou_iou(boxes1, boxes2, eps)
    w_pred = boxes1[..., :, None, 2] - boxes1[..., :, None, 0]
    h_pred = boxes1[..., :, None, 3] - boxes1[..., :, None, 1]
    w_gt = boxes2[..., None, :, 2] - boxes2[..., None, :, 0]
    h_gt = boxes2[..., None, :, 3] - boxes2[..., None, :, 1]
    v = (4 / np.pi ** 2) * pow(atan(w_pred / h_pred) - atan(w_gt / h_gt), 2)
    # NOTE: alpha is a constant for the gradient (torchvision computes it under no_grad).
    alpha = (v / (1 - iou + v + eps)).detach()
    return diou - alpha * v


def generalized_box_iou_loss(boxes1: Tensor, boxes2: Tensor, reduction: str = "none",
                             eps: float = 1e-7) -> Tensor:
    """Elementwise GIoU loss ``1 - GIoU(boxes1[i], boxes2[i])`` (torchvision's formula).

    Parameters
    ----------
    boxes1, boxes2 : Tensor
        Matched xyxy boxes (predictions and targets).
    reduction : {'none', 'mean', 'sum'}
        Reduction of the per-box losses.
    eps : float
        Added to the union and enclosing areas (1e-7).

    Returns
    -------
    Tensor
        The loss, reduced as requested.

    Shape
    -----
    - boxes1, boxes2: ``(N, 4)`` (or ``(*, 4)``, same shape)
    - output: ``(N)`` for ``'none'``, scalar otherwise
    """
    fn = "generalized_box_iou_loss"
    _check_boxes(boxes1, "boxes1", fn, min_ndim=1)
    _check_boxes(boxes2, "boxes2", fn, min_ndim=1)
    if boxes1.shape != boxes2.shape:
        raise ValueError(f"{fn}: boxes1 and boxes2 must have the same shape, got "
                         f"{tuple(boxes1.shape)} and {tuple(boxes2.shape)}")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{fn}: reduction must be 'none', 'mean' or 'sum', got "
                         f"{reduction!r}")
    if boxes1.dtype.kind != "f":
        boxes1 = boxes1.float()
    if boxes2.dtype.kind != "f":
        boxes2 = boxes2.float()
    x1, y1, x2, y2 = (boxes1[..., k] for k in range(4))
    x1g, y1g, x2g, y2g = (boxes2[..., k] for k in range(4))
    xkis1, ykis1 = maximum(x1, x1g), maximum(y1, y1g)
    xkis2, ykis2 = minimum(x2, x2g), minimum(y2, y2g)
    mask = (ykis2._data > ykis1._data) & (xkis2._data > xkis1._data)
    intsctk = where(mask, (xkis2 - xkis1) * (ykis2 - ykis1), 0.0)
    unionk = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - intsctk
    iouk = intsctk / (unionk + eps)
    xc1, yc1 = minimum(x1, x1g), minimum(y1, y1g)
    xc2, yc2 = maximum(x2, x2g), maximum(y2, y2g)
    area_c = (xc2 - xc1) * (yc2 - yc1)
    loss = 1 - (iouk - (area_c - unionk) / (area_c + eps))
    if reduction == "mean":
        return mean(loss) if loss.numel() > 0 else 0.0 * sum(loss)
    if reduction == "sum":
        return sum(loss)
    return loss


# ---------------------------------------------------------------------------
# Clipping and filtering
# ---------------------------------------------------------------------------
def clip_boxes_to_image(boxes: Tensor, size) -> Tensor:
    """Clip xyxy boxes to an image of size ``(height, width)`` (differentiable).

    Parameters
    ----------
    boxes : Tensor
        xyxy boxes.
    size : tuple of int
        ``(height, width)``.

    Returns
    -------
    Tensor
        Boxes with x in ``[0, width]`` and y in ``[0, height]``.

    Shape
    -----
    - boxes: ``(*, 4)``
    - output: ``(*, 4)``
    """
    _check_boxes(boxes, "boxes", "clip_boxes_to_image", ordered=False, min_ndim=1)
    try:
        height, width = size
    except (TypeError, ValueError):
        raise ValueError(f"clip_boxes_to_image: size must be (height, width), got "
                         f"{size!r}") from None
    boxes_x = clamp(boxes[..., 0::2], min=0, max=width)
    boxes_y = clamp(boxes[..., 1::2], min=0, max=height)
    return stack([boxes_x, boxes_y], dim=boxes.ndim).reshape(boxes.shape)


def remove_small_boxes(boxes: Tensor, min_size: float) -> Tensor:
    """Indices of the boxes whose width and height are both ``>= min_size``.

    Parameters
    ----------
    boxes : Tensor
        xyxy boxes.
    min_size : float
        Minimum side length.

    Returns
    -------
    Tensor
        int64 indices of the kept boxes, increasing.

    Shape
    -----
    - boxes: ``(N, 4)``
    - output: ``(K)``
    """
    _check_boxes(boxes, "boxes", "remove_small_boxes", ordered=False, min_ndim=1)
    d = boxes._data
    keep = ((d[..., 2] - d[..., 0]) >= min_size) & ((d[..., 3] - d[..., 1]) >= min_size)
    return Tensor._wrap(np.flatnonzero(keep).astype(np.int64))
