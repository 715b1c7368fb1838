"""Greedy non-maximum suppression with ``torchvision.ops.nms`` / ``batched_nms``
semantics, vectorised by blocks of 256 boxes (no ``N x N`` matrix, no loop over single boxes)."""
from __future__ import annotations

import numpy as np

from glassnet.tensor import Tensor

__all__ = ["nms", "batched_nms"]

_NMS_BLOCK = 256          # boxes resolved together (one (B, B) IoU matrix)
_NMS_PAIRS = 1 << 22      # pairwise IoUs evaluated at once when suppressing later boxes


def _overlaps(c, i, j, thr, cat):
    """``IoU(i, j) > thr`` for index arrays ``i`` (rows) and ``j`` (columns).

    ``c`` holds the coordinate columns and areas in the boxes' dtype.  The arithmetic
    follows torchvision's CPU kernel operation by operation in that dtype, so borderline
    IoUs round identically; the comparison with the (double) threshold is in float64.
    """
    x1, y1, x2, y2, area = c
    i = i[:, None]
    w = np.minimum(x2[i], x2[j])
    w -= np.maximum(x1[i], x1[j])
    np.maximum(w, 0, out=w)
    h = np.minimum(y2[i], y2[j])
    h -= np.maximum(y1[i], y1[j])
    np.maximum(h, 0, out=h)
    inter = w
    inter *= h
    union = area[i] + area[j]
    union -= inter
    # NOTE: two empty boxes (clipped to the image border) have IoU 0 / 0 = NaN, which
    # does not exceed the threshold: neither suppresses the other, as torchvision's kernel.
    with np.errstate(invalid="ignore", divide="ignore"):
        inter /= union
    over = inter > np.float64(thr)
    if cat is not None:
        over &= cat[i] == cat[j]
    return over


def _resolve_block(over: np.ndarray) -> np.ndarray:
    """Greedy NMS inside one block given ``over[i, j]`` (i before j, IoU > threshold).

    The greedy result is the unique fixed point of ``keep[j] = not any(keep[i] and
    over[i, j] for i < j)``.  Jacobi iteration from all-True reaches it: after t steps the
    first t entries are final, and it usually settles in a handful of steps (Cluster-NMS,
    Zheng et al. 2020, arXiv:2005.03572).
    """
    m = over.shape[0]
    keep = np.ones(m, dtype=bool)
    if not over.any():
        return keep
    ov = over.astype(np.float32)
    for _ in range(m + 1):
        new = (keep.astype(np.float32) @ ov) == 0
        if np.array_equal(new, keep):
            break
        keep = new
    return keep


def _nms_sorted(boxes: np.ndarray, thr: float, cat=None) -> np.ndarray:
    """Boolean keep-mask of greedy NMS on boxes sorted by decreasing score.

    With categories ``cat``, the boxes must be grouped by category (each group sorted by
    score); a block then only suppresses the later boxes of the categories it holds.
    """
    n = boxes.shape[0]
    x1, y1, x2, y2 = (np.ascontiguousarray(boxes[:, k]) for k in range(4))
    c = (x1, y1, x2, y2, (x2 - x1) * (y2 - y1))
    alive = np.ones(n, dtype=bool)
    for start in range(0, n, _NMS_BLOCK):
        stop = min(start + _NMS_BLOCK, n)
        cand = start + np.flatnonzero(alive[start:stop])
        if cand.size == 0:
            continue
        # Greedy inside the block: only earlier (higher-scoring) boxes suppress.
        over = np.triu(_overlaps(c, cand, cand, thr, cat), k=1)
        keep = _resolve_block(over)
        alive[cand[~keep]] = False
        kept = cand[keep]
        # Every kept box of the block suppresses the later boxes it overlaps.
        end = n if cat is None else int(np.searchsorted(cat, cat[stop - 1], side="right"))
        rest = stop + np.flatnonzero(alive[stop:end])
        step = max(1, _NMS_PAIRS // kept.size)
        for r0 in range(0, rest.size, step):
            cols = rest[r0:r0 + step]
            hit = _overlaps(c, kept, cols, thr, cat).any(axis=0)
            alive[cols[hit]] = False
    return alive


def _check_nms_inputs(fn, boxes, scores, iou_threshold):
    if not isinstance(boxes, Tensor) or boxes.ndim != 2 or boxes.shape[-1] != 4:
        got = tuple(boxes.shape) if isinstance(boxes, Tensor) else type(boxes).__name__
        raise ValueError(f"{fn}: boxes must be a Tensor of shape (N, 4), got {got}")
    if boxes.dtype.kind != "f":
        raise TypeError(f"{fn}: boxes must be a floating tensor, got {boxes.dtype}")
    if not isinstance(scores, Tensor) or scores.shape != (boxes.shape[0],):
        got = tuple(scores.shape) if isinstance(scores, Tensor) else type(scores).__name__
        raise ValueError(f"{fn}: scores must be a Tensor of shape (N,) = "
                         f"({boxes.shape[0]},) matching boxes, got {got}")
    if not isinstance(iou_threshold, (int, float, np.number)):
        raise TypeError(f"{fn}: iou_threshold must be a float, got "
                        f"{type(iou_threshold).__name__}")


def _descending(scores: np.ndarray, cat=None) -> np.ndarray:
    """Indices by decreasing score, NaN first (torch's descending sort puts NaN above
    +inf; NumPy's would put it last), equal scores in index order; grouped by ``cat``
    first when given."""
    keys = (-scores, ~np.isnan(scores)) + (() if cat is None else (cat,))
    return np.lexsort(keys)


def _nms_indices(boxes: np.ndarray, scores: np.ndarray, thr: float, cat=None) -> np.ndarray:
    # NOTE: a stable descending sort keeps equal scores in index order, as torchvision's
    # CPU kernel does (scores.sort(stable=True, descending=True)).
    if cat is None:
        order = _descending(scores)
        return order[_nms_sorted(boxes[order], float(thr))].astype(np.int64)
    # Per category: group by category, by decreasing score inside a group.
    order = _descending(scores, cat)
    kept = np.sort(order[_nms_sorted(boxes[order], float(thr), cat[order])])
    return kept[_descending(scores[kept])].astype(np.int64)


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Greedy non-maximum suppression.

    Visits boxes by decreasing score; a box is dropped when its IoU with an already kept
    box is ``> iou_threshold``.  Equal scores are visited in index order (torchvision's
    CPU order).  Vectorised by blocks of 256 boxes: each block is resolved with a
    fixed-point iteration and then suppresses all later boxes at once, so memory stays
    ``O(256 * N)`` and no ``N x N`` matrix is formed.

    Parameters
    ----------
    boxes : Tensor
        Floating xyxy boxes.
    scores : Tensor
        Score of each box.
    iou_threshold : float
        Boxes with IoU ``> iou_threshold`` against a higher-scoring kept box are removed.

    Returns
    -------
    Tensor
        int64 indices of the kept boxes, sorted by decreasing score.

    Shape
    -----
    - boxes: ``(N, 4)``, scores: ``(N)``
    - output: ``(K)``, ``K <= N``

    Examples
    --------
    >>> import glassnet as gn
    >>> from glassnet.vision.ops import nms
    >>> b = gn.tensor([[0.0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]])
    >>> nms(b, gn.tensor([0.9, 0.8, 0.7]), 0.5).tolist()
    [0, 2]
    """
    _check_nms_inputs("nms", boxes, scores, iou_threshold)
    if boxes.shape[0] == 0:
        return Tensor._wrap(np.zeros(0, np.int64))
    return Tensor._wrap(_nms_indices(boxes._data, scores._data, iou_threshold))


def batched_nms(boxes: Tensor, scores: Tensor, idxs: Tensor, iou_threshold: float) -> Tensor:
    """Non-maximum suppression within each category ``idxs`` independently.

    As torchvision on CPU: up to 1000 boxes use the coordinate-offset trick (each
    category's boxes are shifted by ``idx * (max coordinate + 1)`` so that categories
    never overlap, then one :func:`nms`); larger inputs group the boxes by category and
    run the blockwise NMS with a same-category mask, which equals torchvision's
    per-category loop.  Equal scores come out in index order (above 1000 boxes
    torchvision orders them with an unstable sort, i.e. in no specified order).

    Parameters
    ----------
    boxes : Tensor
        Floating xyxy boxes.
    scores : Tensor
        Score of each box.
    idxs : Tensor
        Integer category of each box.
    iou_threshold : float
        IoU above which a lower-scoring box of the same category is removed.

    Returns
    -------
    Tensor
        int64 indices of the kept boxes, sorted by decreasing score.

    Shape
    -----
    - boxes: ``(N, 4)``, scores: ``(N)``, idxs: ``(N)``
    - output: ``(K)``
    """
    _check_nms_inputs("batched_nms", boxes, scores, iou_threshold)
    if not isinstance(idxs, Tensor) or idxs.shape != (boxes.shape[0],):
        got = tuple(idxs.shape) if isinstance(idxs, Tensor) else type(idxs).__name__
        raise ValueError(f"batched_nms: idxs must be a Tensor of shape (N,) = "
                         f"({boxes.shape[0]},), got {got}")
    b, s, cat = boxes._data, scores._data, idxs._data
    if b.shape[0] == 0:
        return Tensor._wrap(np.zeros(0, np.int64))
    if b.size > 4000:
        return Tensor._wrap(_nms_indices(b, s, iou_threshold, cat))
    # Coordinate trick, in the boxes' dtype as torchvision computes it.
    offsets = cat.astype(b.dtype) * (b.max() + b.dtype.type(1))
    return Tensor._wrap(_nms_indices(b + offsets[:, None], s, iou_threshold))
