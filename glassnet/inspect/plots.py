"""Plots written as PNG files with matplotlib's non-interactive Agg backend."""
from __future__ import annotations

import numpy as np

__all__ = ["plot_confusion_matrix", "plot_history", "plot_activation_histograms",
           "plot_gradient_norms", "MISSING_MATPLOTLIB"]


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


def _finish(fig, path, plt):
    """Save and close ``fig`` when ``path`` is given (returns the path), else return it."""
    if path is None:
        return fig
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return str(path)


def _layer_stats(obj):
    """``{layer: stats}`` from an ActivationStats or its ``to_dict()``; None otherwise."""
    if hasattr(obj, "to_dict") and hasattr(obj, "stats"):
        return obj.to_dict()
    if isinstance(obj, dict) and obj and all(isinstance(v, dict) and "histogram" in v
                                             for v in obj.values()):
        return obj
    return None


def _pct(v):
    return "-" if v is None else f"{100 * v:.0f}%"


def plot_activation_histograms(stats, path=None, title: str = "Activations per layer",
                               ncols: int = 5, max_layers: int | None = None):
    """A grid of activation histograms, one panel per layer.

    Parameters
    ----------
    stats : ActivationStats, its ``to_dict()``, or a dict ``row label -> either``
        One of them: a grid of its layers, ``ncols`` per row. A dict of several: one row
        per entry (e.g. per initialisation), one column per layer.
    path : str or Path, optional
        Write a PNG there and return the path; without it the Figure is returned.
    max_layers : int, optional
        Show at most this many layers, evenly spaced from first to last.

    Each panel is titled with the layer, its kind, std and the share of zeros /
    saturated values; the y axis is the fraction of values per bin.
    """
    plt = _pyplot()
    single = _layer_stats(stats)
    if single is not None:
        rows = {None: single}
    else:
        if not isinstance(stats, dict) or not stats:
            raise TypeError(f"plot_activation_histograms: stats must be an ActivationStats, "
                            f"its to_dict() or a non-empty dict of them, got "
                            f"{type(stats).__name__}")
        rows = {}
        for label, s in stats.items():
            d = _layer_stats(s)
            if d is None:
                raise TypeError(f"plot_activation_histograms: stats[{label!r}] must be an "
                                f"ActivationStats or its to_dict(), got {type(s).__name__}")
            rows[label] = d

    def pick(names):
        if max_layers is None or len(names) <= max_layers:
            return names
        idx = np.unique(np.linspace(0, len(names) - 1, max_layers).round().astype(int))
        return [names[i] for i in idx]

    if single is not None:
        names = pick(list(single))
        ncols = max(1, min(ncols, len(names)))
        nrows = max(1, -(-len(names) // ncols))
        cells = [(None, n, i // ncols, i % ncols) for i, n in enumerate(names)]
    else:
        cols = pick(list(next(iter(rows.values()))))
        nrows, ncols = len(rows), max(1, len(cols))
        cells = []
        for r, (label, d) in enumerate(rows.items()):
            names = pick(list(d))
            cells += [(label, n, r, c) for c, n in enumerate(names)]
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.6 * ncols, 2.1 * nrows + 0.6),
                             squeeze=False)
    for ax in axes.ravel():
        ax.set_visible(False)
    for label, name, r, c in cells:
        s = rows[label][name]
        ax = axes[r, c]
        ax.set_visible(True)
        counts = np.asarray(s["histogram"]["counts"], np.float64)
        edges = np.asarray(s["histogram"]["edges"], np.float64)
        if counts.size:
            frac = counts / max(counts.sum(), 1.0)
            ax.stairs(frac, edges, fill=True, alpha=0.8)
        std = "-" if s["std"] is None else f"{s['std']:.2g}"
        extra = (f"sat {_pct(s['saturated_fraction'])}" if s["saturated_fraction"] is not None
                 else f"zeros {_pct(s['zero_fraction'])}")
        ax.set_title(f"{name} ({s['kind']})\nstd {std}, {extra}", fontsize=8)
        ax.tick_params(labelsize=7)
        if r == nrows - 1 or single is not None:
            ax.set_xlabel("activation", fontsize=7)
        if c == 0:
            ax.set_ylabel("fraction" if label is None else f"{label}\nfraction", fontsize=8)
    # Fixed margins (in inches) instead of tight_layout, which costs seconds on big grids.
    h_in, w_in = fig.get_size_inches()[1], fig.get_size_inches()[0]
    fig.subplots_adjust(left=0.75 / w_in, right=1 - 0.15 / w_in, bottom=0.55 / h_in,
                        top=1 - 0.85 / h_in, wspace=0.3, hspace=0.75)
    fig.suptitle(title)
    return _finish(fig, path, plt)


def _depth_series(obj, key):
    """``(layer names, values)`` from a GradientStats (mean over records), a
    ``{layer: value}`` dict or a sequence of values."""
    if hasattr(obj, "layer_means"):
        d = obj.layer_means(key)
        return list(d), np.array(list(d.values()), np.float64)
    if isinstance(obj, dict):
        return list(obj), np.array(list(obj.values()), np.float64)
    v = np.asarray(obj, np.float64).reshape(-1)
    return [str(i + 1) for i in range(v.size)], v


def plot_gradient_norms(norms, path=None, title: str = "Gradient norm vs depth",
                        key: str = "layer_grad_norm", ylabel: str = "gradient L2 norm",
                        ax=None, logy: bool = True):
    """Gradient norm (or any per-layer quantity) against layer depth, log scale.

    Parameters
    ----------
    norms : GradientStats, dict ``layer -> value``, sequence, or dict ``label -> any of
        those``
        One line per label; a GradientStats contributes its mean over records of
        ``key`` (``'layer_grad_norm'``, ``'layer_update_ratio'``, ...).
    path : optional
        Write a PNG and return the path; else return the Figure (or ``ax`` when given).
    ax : matplotlib Axes, optional
        Draw into it (for multi-panel figures).
    """
    plt = _pyplot()
    if hasattr(norms, "layer_means") or not isinstance(norms, dict) or not norms or all(
            isinstance(v, (int, float, np.floating)) for v in norms.values()):
        series = {None: norms}
    else:
        series = norms
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(7, 4.2))
    names = None
    for label, obj in series.items():
        layer_names, vals = _depth_series(obj, key)
        x = np.arange(1, vals.size + 1)
        ax.plot(x, vals, marker="o", ms=3, label=label)
        if names is None or len(layer_names) > len(names):
            names = layer_names
    if logy:
        ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if names and len(names) <= 12 and not all(n.isdigit() for n in names):
        ax.set_xticks(np.arange(1, len(names) + 1), names, fontsize=7,
                      rotation=45 if max(len(n) for n in names) > 3 else 0)
        ax.set_xlabel("layer (input side -> output side)")
    else:
        ax.set_xlabel("layer depth (1 = input side)")
    ax.grid(True, which="both", alpha=0.3)
    if any(label is not None for label in series):
        ax.legend(fontsize=8)
    if not own:
        return ax
    fig.tight_layout()
    return _finish(fig, path, plt)
