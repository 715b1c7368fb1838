"""COCO-style mean average precision for object detection, with torchmetrics' interface.

:class:`MeanAveragePrecision` accumulates detections and ground truth image by image
(``update(preds, target)``, lists of dicts of ``boxes``/``scores``/``labels`` as
``torchmetrics.detection.MeanAveragePrecision``) and ``compute()`` returns COCO's twelve
numbers (``map``, ``map_50``, ``map_75``, ``map_small/medium/large``, ``mar_1/10/100``,
``mar_small/medium/large``), computed exactly as the reference evaluator ``pycocotools``
(``COCOeval.evaluate`` + ``accumulate`` + ``summarize``) computes them: greedy matching of
the score-sorted detections of each image and class to the best-IoU unmatched ground
truth, per IoU threshold; crowd boxes and boxes outside an area range are ignored rather
than counted; precision made monotone and sampled at 101 recall points.

Reference: Lin et al., "Microsoft COCO: Common Objects in Context", ECCV 2014,
arXiv:1405.0312, and ``pycocotools/cocoeval.py`` (the tests compare with it to 1e-6).
"""
from __future__ import annotations

import numpy as np

from glassnet.tensor import Tensor
from glassnet._creation import from_numpy

__all__ = ["MeanAveragePrecision"]

_FORMATS = ("xyxy", "xywh", "cxcywh")
# COCO's area ranges (pixels^2): all, small < 32^2, medium < 96^2, large.
_AREA_RANGES = ((0.0, 1e10), (0.0, 32.0 ** 2), (32.0 ** 2, 96.0 ** 2), (96.0 ** 2, 1e10))


def _array(x, name: str, fn: str, dtype, ndim: int) -> np.ndarray:
    a = np.asarray(x._data if isinstance(x, Tensor) else x)
    if a.size == 0:
        a = a.reshape((0, 4) if ndim == 2 else (0,))
    if a.ndim != ndim or (ndim == 2 and a.shape[1] != 4):
        want = "(N, 4)" if ndim == 2 else "(N,)"
        raise ValueError(f"{fn}: {name} must have shape {want}, got {a.shape}")
    if a.dtype.kind not in "fiub":
        raise TypeError(f"{fn}: {name} must be numeric, got dtype {a.dtype}")
    return a.astype(dtype)


def _to_xywh(boxes: np.ndarray, box_format: str) -> np.ndarray:
    if box_format == "xywh":
        return boxes
    if box_format == "cxcywh":
        cx, cy, w, h = boxes.T
        return np.stack([cx - w / 2, cy - h / 2, w, h], axis=1)
    x1, y1, x2, y2 = boxes.T
    return np.stack([x1, y1, x2 - x1, y2 - y1], axis=1)


def _coco_iou(dt: np.ndarray, gt: np.ndarray, crowd: np.ndarray) -> np.ndarray:
    """IoU ``(D, G)`` of xywh boxes as pycocotools' ``bbIou``; a crowd box's IoU is the
    intersection over the detection's own area."""
    dx, dy, dw, dh = (c[:, None] for c in dt.T)
    gx, gy, gw, gh = (c[None, :] for c in gt.T)
    w = np.minimum(dx + dw, gx + gw) - np.maximum(dx, gx)
    h = np.minimum(dy + dh, gy + gh) - np.maximum(dy, gy)
    inter = np.where((w > 0) & (h > 0), w * h, 0.0)
    da, ga = dw * dh, gw * gh
    union = np.where(crowd[None, :], da, da + ga - inter)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(inter > 0, inter / union, 0.0)


class MeanAveragePrecision:
    """Mean average precision (mAP) and recall (mAR) for object detection, COCO-style.

    Parameters
    ----------
    box_format : {"xyxy", "xywh", "cxcywh"}
        Format of the boxes given to :meth:`update`.
    iou_type : {"bbox"}
        Only boxes (torchmetrics also offers "segm").
    iou_thresholds : list of float, optional
        Default COCO's ``0.5:0.05:0.95``.
    rec_thresholds : list of float, optional
        Default COCO's 101 points ``0:0.01:1``.
    max_detection_thresholds : list of 3 ints, optional
        Detections kept per image and class; default ``[1, 10, 100]``.
    class_metrics : bool
        Also return ``map_per_class`` and ``mar_{max}_per_class``.

    Notes
    -----
    ``update(preds, target)`` takes one dict per image: ``preds[i]`` has ``boxes``
    ``(D, 4)``, ``scores`` ``(D,)``, ``labels`` ``(D,)``; ``target[i]`` has ``boxes``
    ``(G, 4)``, ``labels`` ``(G,)`` and optionally ``iscrowd`` ``(G,)`` and ``area``
    ``(G,)`` (default the box area).  ``compute()`` returns a dict of 0-d float32 Tensors
    (as torchmetrics): ``map``, ``map_50``, ``map_75``, ``map_small``, ``map_medium``,
    ``map_large``, ``mar_1``, ``mar_10``, ``mar_100`` (named by the max-detection
    thresholds), ``mar_small``, ``mar_medium``, ``mar_large``, ``map_per_class``,
    ``mar_100_per_class`` (``-1`` unless ``class_metrics``) and ``classes``.  A value is
    ``-1`` where it is undefined (no ground truth), as in pycocotools.

    Examples
    --------
    >>> import numpy as np
    >>> m = MeanAveragePrecision()
    >>> m.update([{"boxes": np.array([[10., 10, 50, 50]]), "scores": np.array([0.9]),
    ...            "labels": np.array([3])}],
    ...          [{"boxes": np.array([[12., 10, 50, 52]]), "labels": np.array([3])}])
    >>> round(float(m.compute()["map_50"]), 3)
    1.0
    """

    def __init__(self, box_format: str = "xyxy", iou_type: str = "bbox",
                 iou_thresholds=None, rec_thresholds=None, max_detection_thresholds=None,
                 class_metrics: bool = False, extended_summary: bool = False,
                 average: str = "macro") -> None:
        fn = "MeanAveragePrecision"
        if box_format not in _FORMATS:
            raise ValueError(f"{fn}: box_format must be one of {_FORMATS}, got {box_format!r}")
        if iou_type != "bbox":
            raise ValueError(f"{fn}: iou_type must be 'bbox' (masks are not supported), got "
                             f"{iou_type!r}")
        if average != "macro":
            raise ValueError(f"{fn}: average must be 'macro', got {average!r}")
        self.box_format = box_format
        self.iou_type = iou_type
        # NOTE: exactly pycocotools' unrounded linspace values: a recall of 7/10 lies
        # *below* the threshold linspace(0, 1, 101)[70] = 0.7000000000000001, and
        # rounding the thresholds would change AP.
        self.iou_thresholds = (np.linspace(0.5, 0.95, 10) if iou_thresholds is None
                               else np.asarray(iou_thresholds, dtype=np.float64))
        self.rec_thresholds = (np.linspace(0.0, 1.0, 101) if rec_thresholds is None
                               else np.asarray(rec_thresholds, dtype=np.float64))
        mdt = [1, 10, 100] if max_detection_thresholds is None else \
            sorted(int(m) for m in max_detection_thresholds)
        if len(mdt) != 3 or mdt[0] < 1:
            raise ValueError(f"{fn}: max_detection_thresholds must be 3 positive ints, got "
                             f"{max_detection_thresholds}")
        self.max_detection_thresholds = mdt
        self.class_metrics = bool(class_metrics)
        self.extended_summary = bool(extended_summary)
        self.average = average
        self.reset()

    def reset(self) -> None:
        """Forget every image given so far."""
        self._preds: list = []  # (boxes xywh, scores, labels) per image
        self._targets: list = []  # (boxes xywh, labels, iscrowd, area) per image

    # ------------------------------------------------------------------ update
    def update(self, preds, target) -> None:
        """Add the detections ``preds`` and ground truth ``target`` of a batch of images."""
        fn = "MeanAveragePrecision.update"
        if not isinstance(preds, (list, tuple)) or not isinstance(target, (list, tuple)):
            raise TypeError(f"{fn}: preds and target must be lists of dicts, got "
                            f"{type(preds).__name__} and {type(target).__name__}")
        if len(preds) != len(target):
            raise ValueError(f"{fn}: preds and target must hold one dict per image, got "
                             f"{len(preds)} and {len(target)}")
        for i, (p, t) in enumerate(zip(preds, target)):
            for d, keys, name in ((p, ("boxes", "scores", "labels"), "preds"),
                                  (t, ("boxes", "labels"), "target")):
                missing = [k for k in keys if k not in d]
                if missing:
                    raise ValueError(f"{fn}: {name}[{i}] must have keys {keys}, missing "
                                     f"{missing}")
            boxes = _array(p["boxes"], f"preds[{i}]['boxes']", fn, np.float64, 2)
            scores = _array(p["scores"], f"preds[{i}]['scores']", fn, np.float64, 1)
            labels = _array(p["labels"], f"preds[{i}]['labels']", fn, np.int64, 1)
            if not len(boxes) == len(scores) == len(labels):
                raise ValueError(f"{fn}: preds[{i}] must have as many boxes, scores and "
                                 f"labels, got {len(boxes)}, {len(scores)}, {len(labels)}")
            gboxes = _array(t["boxes"], f"target[{i}]['boxes']", fn, np.float64, 2)
            glabels = _array(t["labels"], f"target[{i}]['labels']", fn, np.int64, 1)
            if len(gboxes) != len(glabels):
                raise ValueError(f"{fn}: target[{i}] must have as many boxes as labels, got "
                                 f"{len(gboxes)} and {len(glabels)}")
            crowd = (np.zeros(len(gboxes), bool) if "iscrowd" not in t else
                     _array(t["iscrowd"], f"target[{i}]['iscrowd']", fn, np.int64, 1) != 0)
            gxywh = _to_xywh(gboxes, self.box_format)
            area = (gxywh[:, 2] * gxywh[:, 3] if "area" not in t else
                    _array(t["area"], f"target[{i}]['area']", fn, np.float64, 1))
            if len(crowd) != len(gboxes) or len(area) != len(gboxes):
                raise ValueError(f"{fn}: target[{i}]'s iscrowd and area must have one entry "
                                 f"per box ({len(gboxes)})")
            self._preds.append((_to_xywh(boxes, self.box_format), scores, labels))
            self._targets.append((gxywh, glabels, crowd, area))

    # ----------------------------------------------------------------- evaluate
    def _classes(self) -> np.ndarray:
        labels = [p[2] for p in self._preds] + [t[1] for t in self._targets]
        return np.unique(np.concatenate(labels)) if labels else np.zeros(0, np.int64)

    def _evaluate_image(self, p, t, cls):
        """COCOeval.evaluateImg for all area ranges at once: per area range, the matches
        ``(A, T, D)``, the ignore flags of the detections ``(A, T, D)`` and of the ground
        truth ``(A, G)``, and the sorted scores ``(D,)``; None if neither exists."""
        dmask, gmask = p[2] == cls, t[1] == cls
        if not dmask.any() and not gmask.any():
            return None
        dboxes, dscores = p[0][dmask], p[1][dmask]
        order = np.argsort(-dscores, kind="mergesort")[: self.max_detection_thresholds[-1]]
        dboxes, dscores = dboxes[order], dscores[order]
        gboxes, crowd, garea = t[0][gmask], t[2][gmask], t[3][gmask]
        ranges = np.array(_AREA_RANGES)
        n_area, n_thr, n_det, n_gt = len(ranges), len(self.iou_thresholds), len(dboxes), \
            len(gboxes)
        # ground truth ignored when crowd or outside the area range, (A, G)
        g_ignore = crowd[None, :] | (garea[None, :] < ranges[:, :1]) | \
            (garea[None, :] > ranges[:, 1:])
        ious = _coco_iou(dboxes, gboxes, crowd)
        # Greedy matching, all (area range, threshold) rows at once: rows = A * T.
        rows_ignore = np.repeat(g_ignore, n_thr, axis=0)  # (A*T, G)
        thr = np.minimum(np.tile(self.iou_thresholds, n_area), 1 - 1e-10)[:, None]
        g_matched = np.zeros((n_area * n_thr, n_gt), bool)
        d_matched = np.zeros((n_area * n_thr, n_det), bool)
        d_ignore = np.zeros((n_area * n_thr, n_det), bool)
        if n_gt:
            rev = np.arange(n_gt)[::-1]
            for d in range(n_det):
                iou = ious[d][None, :]
                free = (~g_matched | crowd[None, :]) & (iou >= thr)
                # NOTE: pycocotools prefers a non-ignored match; only when none exists
                # does a detection match an ignored (crowd / out-of-range) box.  Among
                # equals it keeps the last box with the highest IoU.
                regular = free & ~rows_ignore
                cand = np.where(regular.any(axis=1, keepdims=True), regular,
                                free & rows_ignore)
                score = np.where(cand, iou, -1.0)
                best = n_gt - 1 - np.argmax(score[:, rev], axis=1)
                hit = cand.any(axis=1)
                r = np.flatnonzero(hit)
                g_matched[r, best[r]] = True
                d_matched[r, d] = True
                d_ignore[r, d] = rows_ignore[r, best[r]]
        # unmatched detections outside the area range are ignored
        darea = dboxes[:, 2] * dboxes[:, 3]
        d_out = np.repeat((darea[None, :] < ranges[:, :1]) | (darea[None, :] > ranges[:, 1:]),
                          n_thr, axis=0)
        d_ignore |= ~d_matched & d_out
        shape = (n_area, n_thr, n_det)
        return (d_matched.reshape(shape), d_ignore.reshape(shape), g_ignore, dscores)

    def _accumulate(self, classes):
        """COCOeval.accumulate: precision ``(T, R, K, A, M)`` and recall ``(T, K, A, M)``,
        -1 where a class has no (non-ignored) ground truth."""
        n_thr, n_rec = len(self.iou_thresholds), len(self.rec_thresholds)
        mdt = self.max_detection_thresholds
        n_area = len(_AREA_RANGES)
        precision = -np.ones((n_thr, n_rec, len(classes), n_area, len(mdt)))
        recall = -np.ones((n_thr, len(classes), n_area, len(mdt)))
        for k, cls in enumerate(classes):
            evals = [self._evaluate_image(p, t, cls)
                     for p, t in zip(self._preds, self._targets)]
            evals = [e for e in evals if e is not None]
            if not evals:
                continue
            for a in range(n_area):
                npig = sum(int((~e[2][a]).sum()) for e in evals)
                if npig == 0:
                    continue
                for m, max_det in enumerate(mdt):
                    scores = np.concatenate([e[3][:max_det] for e in evals])
                    order = np.argsort(-scores, kind="mergesort")
                    matched = np.concatenate([e[0][a][:, :max_det] for e in evals], axis=1)
                    ignored = np.concatenate([e[1][a][:, :max_det] for e in evals], axis=1)
                    matched, ignored = matched[:, order], ignored[:, order]
                    tp = np.cumsum(matched & ~ignored, axis=1, dtype=np.float64)
                    fp = np.cumsum(~matched & ~ignored, axis=1, dtype=np.float64)
                    n_det = tp.shape[1]
                    if n_det == 0:
                        recall[:, k, a, m] = 0.0
                        precision[:, :, k, a, m] = 0.0
                        continue
                    rc = tp / npig
                    pr = tp / (fp + tp + np.spacing(1))
                    recall[:, k, a, m] = rc[:, -1]
                    # monotone envelope: precision at recall r = max precision at >= r
                    pr = np.maximum.accumulate(pr[:, ::-1], axis=1)[:, ::-1]
                    for ti in range(n_thr):
                        idx = np.searchsorted(rc[ti], self.rec_thresholds, side="left")
                        q = np.zeros(n_rec)
                        ok = idx < n_det
                        q[ok] = pr[ti, idx[ok]]
                        # NOTE: pycocotools stops at the first out-of-range index; idx is
                        # non-decreasing, so "all in-range ones" is the same set.
                        precision[ti, :, k, a, m] = q
        return precision, recall

    def compute(self) -> dict:
        """COCO's summary numbers over every image given so far (see the class notes)."""
        classes = self._classes()
        precision, recall = self._accumulate(classes)
        mdt = self.max_detection_thresholds

        def mean(x):
            x = x[x > -1]
            return float(x.mean()) if x.size else -1.0

        def ap(t=None, a=0, m=-1):
            p = precision[:, :, :, a, m]
            if t is not None:
                hit = np.flatnonzero(np.isclose(self.iou_thresholds, t))
                if not hit.size:
                    return -1.0
                p = p[hit]
            return mean(p)

        out = {"map": ap(), "map_50": ap(0.5), "map_75": ap(0.75), "map_small": ap(a=1),
               "map_medium": ap(a=2), "map_large": ap(a=3)}
        for m, max_det in enumerate(mdt):
            out[f"mar_{max_det}"] = mean(recall[:, :, 0, m])
        out.update(mar_small=mean(recall[:, :, 1, -1]), mar_medium=mean(recall[:, :, 2, -1]),
                   mar_large=mean(recall[:, :, 3, -1]))
        res = {k: Tensor(np.array(v, dtype=np.float32)) for k, v in out.items()}
        if self.class_metrics and len(classes):
            per_ap = [mean(precision[:, :, k, 0, -1]) for k in range(len(classes))]
            per_ar = [mean(recall[:, k, 0, -1]) for k in range(len(classes))]
            res["map_per_class"] = Tensor(np.array(per_ap, dtype=np.float32))
            res[f"mar_{mdt[-1]}_per_class"] = Tensor(np.array(per_ar, dtype=np.float32))
        else:
            res["map_per_class"] = Tensor(np.array(-1.0, dtype=np.float32))
            res[f"mar_{mdt[-1]}_per_class"] = Tensor(np.array(-1.0, dtype=np.float32))
        res["classes"] = Tensor(classes.astype(np.int32))
        if self.extended_summary:
            res["precision"] = from_numpy(precision)  # float64, as computed
            res["recall"] = from_numpy(recall)
        return res

    def __repr__(self) -> str:
        return (f"MeanAveragePrecision(box_format={self.box_format!r}, "
                f"images={len(self._preds)})")
