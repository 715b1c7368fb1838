"""Plots written as PNG files with matplotlib's non-interactive Agg backend."""
from __future__ import annotations

import numpy as np

__all__ = ["plot_confusion_matrix", "plot_history", "MISSING_MATPLOTLIB"]


MISSING_MATPLOTLIB = ("matplotlib is not installed, so no plot was written "
                      "(pip install glassnet[all] adds it)")


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ImportError(MISSING_MATPLOTLIB) from None

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def plot_confusion_matrix(cm, path, class_names=None, title: str = "Confusion matrix",
                          normalize: bool = False) -> str:
    """Save a confusion matrix (rows: true class, columns: predicted) as a PNG.

    Raises ImportError (with :data:`MISSING_MATPLOTLIB`) when matplotlib is missing.
    """
    plt = _pyplot()
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"plot_confusion_matrix: cm must be a square matrix, got {cm.shape}")
    shown = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1) if normalize else cm
    n = cm.shape[0]
    names = [str(c) for c in (class_names or range(n))]
    size = max(4.0, 0.5 * n + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    im = ax.imshow(shown, cmap="Blues")
    fig.colorbar(im, ax=ax, fraction=0.046)
    ax.set_xticks(range(n), names, rotation=45 if n > 10 else 0)
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    if n <= 20:
        thresh = shown.max() / 2 if shown.size else 0
        for i in range(n):
            for j in range(n):
                txt = f"{shown[i, j]:.2f}" if normalize else str(int(cm[i, j]))
                ax.text(j, i, txt, ha="center", va="center", fontsize=8,
                        color="white" if shown[i, j] > thresh else "black")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return str(path)


def plot_history(history, path, keys=("train_loss", "val_loss")) -> str:
    """Plot per-epoch metrics from a Trainer history."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for k in keys:
        ys = [h.get(k) for h in history]
        if any(y is not None for y in ys):
            ax.plot(range(1, len(ys) + 1), ys, marker="o", label=k)
    ax.set_xlabel("epoch")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return str(path)
