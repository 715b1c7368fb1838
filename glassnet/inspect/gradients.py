"""``GradientStats``: gradient norms and update/weight ratios per parameter and per layer.

Call :meth:`GradientStats.record_gradients` after ``loss.backward()`` and
:meth:`GradientStats.record_update` after ``optimizer.step()``:

>>> import glassnet, glassnet.nn as nn
>>> from glassnet.inspect import GradientStats
>>> net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
>>> opt = glassnet.optim.SGD(net.parameters(), lr=0.1)
>>> gs = GradientStats(net)
>>> net(glassnet.randn(8, 3)).pow(2).mean().backward()
>>> rec = gs.record_gradients(step=0)
>>> opt.step()
>>> rec = gs.record_update()
>>> gs.layers
['0', '2']
>>> rec['layer_update_ratio']['0'] > 0
True

Definitions
-----------
For parameter ``p`` with gradient ``g``: ``grad_norm = ||g||_2``, ``weight_norm = ||p||_2``
(before the step), ``update_norm = ||p_after - p_before||_2`` and ``update_ratio =
update_norm / weight_norm`` (Karpathy's rule of thumb: about 1e-3 is healthy; NaN for a
zero weight). A *layer* is a module that owns parameters directly (``Linear``: weight and
bias); its norms are those of all its parameters concatenated, ``sqrt(sum of squares)``.
Layers are listed in definition order (``named_modules()``), which is input-to-output
depth for a Sequential. A parameter without a gradient has norm NaN (``None`` in JSON).
"""
from __future__ import annotations

import math

import numpy as np

from glassnet.inspect._select import select_modules

__all__ = ["GradientStats"]


def _norm(a) -> float:
    a = a.astype(np.float64, copy=False)
    return float(np.sqrt(np.vdot(a, a).real)) if a.size else 0.0


def _combine(norms) -> float:
    return float(math.sqrt(sum(v * v for v in norms)))


def _jsonable(d: dict) -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out[k] = _jsonable(v)
        elif isinstance(v, float) and not math.isfinite(v):
            out[k] = None
        else:
            out[k] = v
    return out


class GradientStats:
    """Per-parameter and per-layer gradient statistics over training steps.

    Parameters
    ----------
    model : Module
    layers : None, list of str, or Module class(es)
        Which parameter-owning modules to watch; default every one. E.g.
        ``layers=nn.Linear`` keeps the weight layers of an MLP and leaves out batch norm.

    Attributes
    ----------
    layers : list of str
        Watched layer names in definition order (the depth axis of the plots).
    params : dict
        ``layer -> [parameter names]`` (full names, as ``named_parameters()``).
    records : list of dict
        One per :meth:`record_gradients` call: ``step``, ``grad_norm``, ``weight_norm``
        (per parameter), ``layer_grad_norm``, ``layer_weight_norm``, ``total_grad_norm``;
        after :meth:`record_update` also ``update_norm``, ``update_ratio``,
        ``layer_update_ratio``.
    """

    def __init__(self, model, layers=None):
        def default(name, module):
            return any(True for _ in module.parameters(recurse=False))

        chosen = select_modules(model, layers, default, "GradientStats")
        self.layers, self.params, self._tensors = [], {}, {}
        for name, module in chosen:
            own = list(module.named_parameters(recurse=False))
            if not own:
                continue
            label = name or type(module).__name__
            self.layers.append(label)
            self.params[label] = [f"{name}.{pn}" if name else pn for pn, _ in own]
            for (pn, p), full in zip(own, self.params[label]):
                self._tensors[full] = p
        if not self.layers:
            raise ValueError("GradientStats: the chosen layers own no parameters; expected "
                             "modules such as Linear or Conv2d")
        self.records: list = []
        self._before = None

    # -- recording -----------------------------------------------------------------
    def record_gradients(self, step=None, snapshot: bool = True) -> dict:
        """Record the current ``.grad`` of every watched parameter (call after backward).

        ``snapshot`` keeps a copy of the weights so that :meth:`record_update` can
        measure the step. Returns the new record.
        """
        grad, weight = {}, {}
        for full, p in self._tensors.items():
            weight[full] = _norm(p._data)
            grad[full] = float("nan") if p.grad is None else _norm(p.grad._data)
        rec = {"step": len(self.records) if step is None else int(step),
               "grad_norm": grad, "weight_norm": weight,
               "layer_grad_norm": {k: _combine(grad[n] for n in ps)
                                   for k, ps in self.params.items()},
               "layer_weight_norm": {k: _combine(weight[n] for n in ps)
                                     for k, ps in self.params.items()},
               "total_grad_norm": _combine(grad.values())}
        self.records.append(rec)
        self._before = ({n: p._data.copy() for n, p in self._tensors.items()}
                        if snapshot else None)
        return rec

    def record_update(self) -> dict:
        """Add the update norms and update/weight ratios of the step just taken to the
        latest record (call after ``optimizer.step()``)."""
        if self._before is None:
            raise RuntimeError("GradientStats.record_update: call record_gradients() "
                               "(with snapshot=True) before the optimizer step")
        rec = self.records[-1]
        upd, ratio = {}, {}
        for full, p in self._tensors.items():
            upd[full] = _norm(p._data - self._before[full])
            w = rec["weight_norm"][full]
            ratio[full] = upd[full] / w if w > 0 else float("nan")
        rec["update_norm"] = upd
        rec["update_ratio"] = ratio
        rec["layer_update_ratio"] = {}
        for k, ps in self.params.items():
            w = rec["layer_weight_norm"][k]
            u = _combine(upd[n] for n in ps)
            rec["layer_update_ratio"][k] = u / w if w > 0 else float("nan")
        self._before = None
        return rec

    def reset(self) -> None:
        """Forget every record."""
        self.records = []
        self._before = None

    # -- views ---------------------------------------------------------------------
    def history(self, key: str = "layer_grad_norm") -> dict:
        """``name -> ndarray over records`` of ``key`` (e.g. ``'grad_norm'``,
        ``'layer_update_ratio'``); NaN where a record lacks it."""
        names = self.layers if key.startswith("layer_") else list(self._tensors)
        return {n: np.array([r.get(key, {}).get(n, np.nan) for r in self.records], np.float64)
                for n in names}

    def layer_means(self, key: str = "layer_grad_norm") -> dict:
        """``layer -> mean over the records`` (NaN-ignoring) of a ``layer_*`` key."""
        if not key.startswith("layer_"):
            raise ValueError(f"GradientStats.layer_means: key must be a layer_* key, got "
                             f"{key!r}")
        out = {}
        for n, v in self.history(key).items():
            v = v[np.isfinite(v)]
            out[n] = float(v.mean()) if v.size else float("nan")
        return out

    def to_dict(self) -> dict:
        """JSON-serialisable: the layers, their parameters and every record."""
        return {"layers": list(self.layers), "params": {k: list(v) for k, v in
                                                         self.params.items()},
                "records": [_jsonable(r) for r in self.records]}

    def summary(self) -> str:
        """A text table: per layer, the mean gradient norm, weight norm and update ratio
        over the records."""
        g = self.layer_means("layer_grad_norm")
        w = self.layer_means("layer_weight_norm")
        u = self.layer_means("layer_update_ratio") if any(
            "layer_update_ratio" in r for r in self.records) else {}
        head = f"{'layer':<20} {'grad norm':>11} {'weight norm':>12} {'update/weight':>14}"
        lines = [f"{len(self.records)} recorded steps", head, "-" * len(head)]
        for n in self.layers:
            ur = u.get(n, float("nan"))
            lines.append(f"{n[:20]:<20} {g[n]:>11.3e} {w[n]:>12.3e} "
                         f"{'-' if not math.isfinite(ur) else f'{ur:.3e}':>14}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"GradientStats(layers={self.layers}, records={len(self.records)})"
