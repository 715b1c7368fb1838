"""``ActivationStats``: the distribution of every layer's output, through forward hooks.

"Look at each layer's activation distribution after init": wrap one forward pass,

>>> import numpy as np, glassnet, glassnet.nn as nn
>>> from glassnet.inspect import ActivationStats
>>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
>>> with ActivationStats(net) as stats:
...     _ = net(glassnet.randn(16, 4))
>>> list(stats.stats)
['1']
>>> 0.0 <= stats.stats['1']['zero_fraction'] <= 1.0
True

What is measured per layer (on the latest forward call of that layer)
--------------------------------------------------------------------
``mean``, ``std``, ``min``, ``max``; ``percentiles`` (1, 5, 25, 50, 75, 95, 99 by
default); a ``histogram`` (``counts`` and ``edges``; over ``hist_range`` when given, else
over the layer's own min..max); ``zero_fraction``, the share of exact zeros (a ReLU that
outputs 0 passes no gradient); ``dead_fraction``, the share of units (features of a
``(N, F)`` output, channels of ``(N, C, ...)``) that are zero for every sample of the
batch -- dead ReLUs; ``nonfinite_fraction`` (the other numbers use the finite values).

``saturated_fraction`` depends on what the layer is, or on what follows it:

=============================== ==========================================================
layer                            saturated when
=============================== ==========================================================
``Tanh``, ``Softsign``           ``|y| > 0.99`` (the derivative is below 0.02)
``Sigmoid``                      ``y < 0.01`` or ``y > 0.99`` (derivative below 0.0099)
``Hardtanh``, ``ReLU6``          at either bound (derivative exactly 0)
``Hardsigmoid``                  ``y <= 0`` or ``y >= 1``
a layer followed by ``Tanh``     ``|x| > atanh(0.99) = 2.647`` (its output saturates the
(next in the same Sequential)    tanh that follows)
a layer followed by ``Sigmoid``  ``|x| > logit(0.99) = ln 99 = 4.595``
anything else                    not defined: ``None``
=============================== ==========================================================

The default ``layers=None`` watches every activation-function module (those of
:mod:`glassnet.nn.activation`) when the model has any, otherwise every leaf module. Pass
module names or classes to choose. A module called twice in one forward (a shared
``ReLU``) reports its latest call; ``calls`` counts them.
"""
from __future__ import annotations

import math

import numpy as np

from glassnet.inspect._select import next_sibling, select_modules

__all__ = ["ActivationStats", "activation_stats"]

DEFAULT_PERCENTILES = (1, 5, 25, 50, 75, 95, 99)
_ATANH_099 = math.atanh(0.99)          # 2.6467
_LOGIT_099 = math.log(0.99 / 0.01)     # 4.5951


def _is_activation(module) -> bool:
    return type(module).__module__ == "glassnet.nn.activation"


def _saturation_rule(module, follower):
    """``(description, fn(y) -> bool mask)`` or ``(None, None)``."""
    kind = type(module).__name__
    if kind in ("Tanh", "Softsign"):
        return "|y| > 0.99", lambda y: np.abs(y) > 0.99
    if kind == "Sigmoid":
        return "y < 0.01 or y > 0.99", lambda y: (y < 0.01) | (y > 0.99)
    if kind == "Hardtanh":
        lo, hi = float(module.min_val), float(module.max_val)
        return f"y <= {lo:g} or y >= {hi:g}", lambda y: (y <= lo) | (y >= hi)
    if kind == "ReLU6":
        return "y <= 0 or y >= 6", lambda y: (y <= 0) | (y >= 6)
    if kind == "Hardsigmoid":
        return "y <= 0 or y >= 1", lambda y: (y <= 0) | (y >= 1)
    if _is_activation(module) or follower is None:
        return None, None
    nxt = type(follower).__name__
    if nxt == "Tanh":
        return "|x| > atanh(0.99) (tanh follows)", lambda x: np.abs(x) > _ATANH_099
    if nxt == "Sigmoid":
        return "|x| > logit(0.99) (sigmoid follows)", lambda x: np.abs(x) > _LOGIT_099
    return None, None


def activation_stats(y, bins: int = 40, hist_range=None, percentiles=DEFAULT_PERCENTILES,
                     saturated=None) -> dict:
    """Statistics of one array of activations (see the module docstring).

    Parameters
    ----------
    y : ndarray or Tensor
        ``(N, *)``: batch first; units are along dim 1 (features or channels).
    bins : int
    hist_range : (float, float), optional
        Histogram range; default the finite values' min..max.
    percentiles : sequence of float in [0, 100]
    saturated : callable, optional
        ``saturated(y) -> bool mask``; ``saturated_fraction`` is None without it.
    """
    y = np.asarray(getattr(y, "_data", y))
    n = y.size
    finite = np.isfinite(y)
    vals = y[finite] if not finite.all() else y.reshape(-1)
    out = {"shape": list(y.shape), "numel": int(n),
           "nonfinite_fraction": float(1.0 - finite.mean()) if n else 0.0}
    if vals.size == 0:
        out.update(mean=None, std=None, min=None, max=None, zero_fraction=None,
                   dead_fraction=None, saturated_fraction=None,
                   percentiles={str(p): None for p in percentiles},
                   histogram={"counts": [], "edges": []})
        return out
    v64 = vals.astype(np.float64)
    out["mean"] = float(v64.mean())
    out["std"] = float(v64.std())
    out["min"] = float(v64.min())
    out["max"] = float(v64.max())
    out["percentiles"] = {f"{p:g}": float(q) for p, q in
                          zip(percentiles, np.percentile(v64, percentiles))}
    lo, hi = (out["min"], out["max"]) if hist_range is None else map(float, hist_range)
    if hi <= lo:  # a constant layer (e.g. zero init): a unit-wide bin range around it
        lo, hi = lo - 0.5, hi + 0.5
    counts, edges = np.histogram(v64, bins=bins, range=(lo, hi))
    out["histogram"] = {"counts": counts.tolist(), "edges": edges.tolist()}
    zero = y == 0
    out["zero_fraction"] = float(zero.mean())
    if y.ndim >= 2 and y.shape[0] > 0:
        # A unit is dead on this batch when it is zero for every sample (and position).
        per_unit = np.moveaxis(zero, 1, 0).reshape(y.shape[1], -1).all(axis=1)
        out["dead_fraction"] = float(per_unit.mean())
    else:
        out["dead_fraction"] = None
    out["saturated_fraction"] = None if saturated is None else float(saturated(y).mean())
    return out


class ActivationStats:
    """Forward hooks that record each watched layer's output distribution.

    Parameters
    ----------
    model : Module
    layers : None, list of str, or Module class(es)
        Which modules to watch (see the module docstring for the default).
    bins : int
        Histogram bins.
    hist_range : (float, float), optional
        One histogram range for every layer (comparable histograms); default per layer.
    percentiles : sequence of float

    Attributes
    ----------
    stats : dict
        ``name -> dict`` of the latest call's statistics plus ``kind`` (the class name),
        ``saturation_rule`` and ``calls``.
    layers : list of str
        The watched module names, in definition order.

    Use it as a context manager (the hooks go when the block ends) or call
    :meth:`remove`.
    """

    def __init__(self, model, layers=None, bins: int = 40, hist_range=None,
                 percentiles=DEFAULT_PERCENTILES):
        if not isinstance(bins, int) or bins < 1:
            raise ValueError(f"ActivationStats: bins must be a positive int, got {bins!r}")
        if hist_range is not None:
            if len(hist_range) != 2 or not float(hist_range[0]) < float(hist_range[1]):
                raise ValueError(f"ActivationStats: hist_range must be (low, high) with low < "
                                 f"high, got {hist_range!r}")
        for p in percentiles:
            if not 0 <= p <= 100:
                raise ValueError(f"ActivationStats: percentiles must be in [0, 100], got {p}")

        def default(name, module):
            return not list(module.children())

        chosen = select_modules(model, layers, default, "ActivationStats")
        if layers is None and any(_is_activation(m) for _, m in chosen):
            chosen = [(n, m) for n, m in chosen if _is_activation(m)]
        self.bins, self.hist_range, self.percentiles = bins, hist_range, tuple(percentiles)
        self.layers = [n or type(m).__name__ for n, m in chosen]
        self.stats: dict = {}
        self._handles = []
        follows = next_sibling(model)
        for (name, module), label in zip(chosen, self.layers):
            rule, fn = _saturation_rule(module, follows.get(id(module)))
            self._handles.append(module.register_forward_hook(
                self._hook(label, type(module).__name__, rule, fn)))

    def _hook(self, name, kind, rule, fn):
        def hook(module, args, output):
            y = getattr(output, "_data", None)
            if y is None:  # tuple outputs (recurrent layers) are not measured
                return None
            s = activation_stats(y, self.bins, self.hist_range, self.percentiles, fn)
            calls = self.stats.get(name, {}).get("calls", 0) + 1
            self.stats[name] = {"kind": kind, "saturation_rule": rule, "calls": calls, **s}
            return None
        return hook

    # -- lifetime ------------------------------------------------------------------
    def remove(self) -> None:
        """Remove the hooks (the recorded statistics stay)."""
        for h in self._handles:
            h.remove()
        self._handles = []

    def reset(self) -> None:
        """Forget the recorded statistics (the hooks stay)."""
        self.stats = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False

    # -- reports -------------------------------------------------------------------
    def to_dict(self) -> dict:
        """``{name: stats}`` in layer order, JSON-serialisable."""
        return {n: dict(self.stats[n]) for n in self.layers if n in self.stats}

    def summary(self) -> str:
        """A text table: one row per layer (mean, std, percentiles, zeros, dead, saturated)."""
        head = (f"{'layer':<16} {'kind':<12} {'mean':>9} {'std':>9} {'p1':>9} {'p50':>9} "
                f"{'p99':>9} {'zeros':>7} {'dead':>7} {'satur.':>7}")
        lines = [head, "-" * len(head)]

        def num(v):
            return f"{'-':>9}" if v is None else f"{v:>9.3g}"

        def pct(v):
            return f"{'-':>7}" if v is None else f"{100 * v:>6.1f}%"

        for name, s in self.to_dict().items():
            p = s["percentiles"]
            lines.append(f"{name[:16]:<16} {s['kind'][:12]:<12} {num(s['mean'])} "
                         f"{num(s['std'])} {num(p.get('1'))} {num(p.get('50'))} "
                         f"{num(p.get('99'))} {pct(s['zero_fraction'])} "
                         f"{pct(s['dead_fraction'])} {pct(s['saturated_fraction'])}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"ActivationStats(layers={self.layers})"
