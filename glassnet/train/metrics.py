"""Classification metrics on plain arrays: accuracy, top-k, confusion matrix, precision,
recall and F1 (per class and macro), and a running accumulator for a training loop.

All functions take integer labels ``(N,)`` and either predicted labels ``(N,)`` or
scores/logits ``(N, K)``.  Definitions follow scikit-learn's: for a class that is never
predicted, precision is 0 (``zero_division=0``), and likewise for recall and F1.
"""
from __future__ import annotations

import numpy as np

__all__ = ["accuracy", "topk_accuracy", "confusion_matrix", "precision_recall_f1",
           "classification_report", "MetricAccumulator", "MeanAveragePrecision"]


def _labels(x, name, fn):
    a = np.asarray(getattr(x, "data", x))
    if a.ndim == 2:
        a = a.argmax(axis=1)
    if a.ndim != 1:
        raise ValueError(f"{fn}: {name} must have shape (N,) labels or (N, K) scores, got "
                         f"{a.shape}")
    return a.astype(np.int64)


def accuracy(output, target) -> float:
    """Fraction of samples whose predicted class (argmax of ``output``) equals ``target``."""
    pred = _labels(output, "output", "accuracy")
    tgt = _labels(target, "target", "accuracy")
    if pred.shape != tgt.shape:
        raise ValueError(f"accuracy: output has {pred.shape[0]} samples but target has "
                         f"{tgt.shape[0]}")
    return float((pred == tgt).mean()) if tgt.size else 0.0


def topk_accuracy(output, target, k: int = 5) -> float:
    """Fraction of samples whose target is among the ``k`` highest scores."""
    scores = np.asarray(getattr(output, "data", output))
    tgt = _labels(target, "target", "topk_accuracy")
    if scores.ndim != 2:
        raise ValueError(f"topk_accuracy: output must have shape (N, K), got {scores.shape}")
    if not 1 <= k <= scores.shape[1]:
        raise ValueError(f"topk_accuracy: k must be in [1, {scores.shape[1]}], got {k}")
    # NOTE: argpartition puts the k largest in the last k slots (order irrelevant here).
    top = np.argpartition(scores, -k, axis=1)[:, -k:]
    return float((top == tgt[:, None]).any(axis=1).mean()) if tgt.size else 0.0


def confusion_matrix(output, target, num_classes: int | None = None) -> np.ndarray:
    """``C[i, j]`` = number of samples of true class ``i`` predicted as class ``j``."""
    pred = _labels(output, "output", "confusion_matrix")
    tgt = _labels(target, "target", "confusion_matrix")
    if num_classes is None:
        num_classes = int(max(pred.max(initial=-1), tgt.max(initial=-1))) + 1
    if tgt.size and (tgt.min() < 0 or tgt.max() >= num_classes or pred.min() < 0
                     or pred.max() >= num_classes):
        raise ValueError(f"confusion_matrix: labels must be in [0, {num_classes}), got "
                         f"target range [{tgt.min()}, {tgt.max()}], prediction range "
                         f"[{pred.min()}, {pred.max()}]")
    flat = tgt * num_classes + pred
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(
        num_classes, num_classes)


def precision_recall_f1(cm: np.ndarray) -> dict:
    """Per-class and macro precision, recall and F1 from a confusion matrix."""
    cm = np.asarray(cm, dtype=np.float64)
    tp = np.diag(cm)
    pred_pos = cm.sum(axis=0)
    true_pos = cm.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(pred_pos > 0, tp / pred_pos, 0.0)
        recall = np.where(true_pos > 0, tp / true_pos, 0.0)
        denom = precision + recall
        f1 = np.where(denom > 0, 2 * precision * recall / denom, 0.0)
    return {"precision": precision, "recall": recall, "f1": f1,
            "macro_precision": float(precision.mean()), "macro_recall": float(recall.mean()),
            "macro_f1": float(f1.mean()), "support": true_pos.astype(np.int64)}


def classification_report(cm: np.ndarray, class_names=None) -> str:
    """A plain-text table of per-class precision/recall/F1/support and the macro averages."""
    r = precision_recall_f1(cm)
    n = cm.shape[0]
    names = [str(c) for c in (class_names or range(n))]
    w = max(8, max(len(s) for s in names))
    lines = [f"{'class':>{w}}  precision  recall     f1  support"]
    for i in range(n):
        lines.append(f"{names[i]:>{w}}  {r['precision'][i]:9.4f}  {r['recall'][i]:6.4f}  "
                     f"{r['f1'][i]:6.4f}  {r['support'][i]:7d}")
    lines.append(f"{'macro':>{w}}  {r['macro_precision']:9.4f}  {r['macro_recall']:6.4f}  "
                 f"{r['macro_f1']:6.4f}  {int(r['support'].sum()):7d}")
    return "\n".join(lines)


class MetricAccumulator:
    """Accumulates loss (sample-weighted), correct counts, top-k hits and the confusion
    matrix over the batches of an epoch."""

    def __init__(self, num_classes: int | None = None, topk: int | None = None):
        self.num_classes = num_classes
        self.topk = topk
        self.reset()

    def reset(self) -> None:
        self.loss_sum = 0.0
        self.count = 0
        self.correct = 0
        self.topk_hits = 0
        self.preds: list = []
        self.targets: list = []

    def update(self, loss: float, output, target) -> None:
        scores = np.asarray(getattr(output, "data", output))
        tgt = _labels(target, "target", "MetricAccumulator.update")
        n = tgt.shape[0]
        self.loss_sum += float(loss) * n
        self.count += n
        pred = scores.argmax(axis=1) if scores.ndim == 2 else scores
        self.correct += int((pred == tgt).sum())
        if self.topk and scores.ndim == 2 and scores.shape[1] >= self.topk:
            self.topk_hits += int(round(topk_accuracy(scores, tgt, self.topk) * n))
        self.preds.append(pred.astype(np.int64))
        self.targets.append(tgt)

    def compute(self) -> dict:
        if self.count == 0:
            return {"loss": float("nan"), "accuracy": float("nan")}
        out = {"loss": self.loss_sum / self.count, "accuracy": self.correct / self.count}
        if self.topk:
            out[f"top{self.topk}"] = self.topk_hits / self.count
        cm = self.confusion_matrix()
        prf = precision_recall_f1(cm)
        out.update(macro_precision=prf["macro_precision"], macro_recall=prf["macro_recall"],
                   macro_f1=prf["macro_f1"])
        return out

    def confusion_matrix(self) -> np.ndarray:
        return confusion_matrix(np.concatenate(self.preds), np.concatenate(self.targets),
                                self.num_classes)


# Detection: COCO-style mAP (its own file; re-exported here as torchmetrics' users expect).
from glassnet.train.detection_metrics import MeanAveragePrecision  # noqa: E402
