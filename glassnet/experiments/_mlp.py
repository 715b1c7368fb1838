"""Deep MLPs, their initialisations and a small SGD loop, shared by the ``init`` and
``vanishing-gradients`` experiments."""
from __future__ import annotations

import math

import numpy as np

import glassnet as gn
from glassnet import nn, optim
from glassnet.nn import functional as F

__all__ = ["ACTIVATIONS", "INITS", "Residual", "flat_data", "build_mlp", "init_linear_",
           "train_sgd", "accuracy", "gradient_norms_at_init", "running_mean"]

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}


def _zeros(w):
    nn.init.zeros_(w)


def _normal(std):
    def init(w):
        nn.init.normal_(w, 0.0, std)
    return init


def _xavier(w):
    nn.init.xavier_uniform_(w)


def _he(w):
    nn.init.kaiming_normal_(w, nonlinearity="relu")


# name -> weight initialiser (biases are always zero)
INITS = {"zeros": _zeros, "N(0, 0.02)": _normal(0.02), "N(0, 1)": _normal(1.0),
         "Xavier": _xavier, "He": _he}


class Residual(nn.Module):
    """``h + f(h)``: an identity shortcut around the layers ``f``."""

    def __init__(self, *layers):
        super().__init__()
        self.f = nn.Sequential(*layers)

    def forward(self, h):
        return h + self.f(h)


def flat_data(ctx, train: bool, limit=None, mean=None, std=None):
    """Images flattened to ``(N, H*W)`` and standardised (with the training set's mean and
    std when given), plus labels and the (mean, std) used."""
    x, y = ctx.images(train=train, limit=limit)
    x = x.reshape(len(x), -1)
    if mean is None:
        mean, std = float(x.mean()), float(x.std())
    return ((x - mean) / std).astype(np.float32), y, (mean, std)


def init_linear_(model, weight_init, scale_residual: bool = False) -> None:
    """Apply ``weight_init`` to every Linear weight and zero every bias. With
    ``scale_residual`` the weights inside residual branches are then multiplied by
    ``1/sqrt(number of branches)`` (GPT-2's scaling), so the sum of the branches keeps the
    activations' scale at any depth."""
    branches = [m for m in model.modules() if isinstance(m, Residual)]
    for m in model.modules():
        if isinstance(m, nn.Linear):
            weight_init(m.weight)
            nn.init.zeros_(m.bias)
    if scale_residual and branches:
        s = 1.0 / math.sqrt(len(branches))
        with gn.no_grad():
            for b in branches:
                for m in b.modules():
                    if isinstance(m, nn.Linear):
                        m.weight.mul_(s)


def build_mlp(activation: str, depth: int, width: int, in_features: int,
              variant: str = "plain", num_classes: int = 10):
    """A ``depth``-Linear-layer MLP: ``Linear(in, width)``, then ``depth - 2`` hidden
    Linear layers, then ``Linear(width, num_classes)``.

    ``variant``: ``'plain'`` (Linear, act), ``'batchnorm'`` (Linear, BatchNorm1d, act) or
    ``'residual'`` (pre-activation blocks ``h + Linear(act(h))`` after the first Linear,
    and ``act`` before the last, as He et al. 2016's identity mappings).
    """
    if depth < 2:
        raise ValueError(f"build_mlp: depth must be >= 2, got {depth}")
    act = ACTIVATIONS[activation]
    layers = [nn.Linear(in_features, width)]
    if variant == "batchnorm":
        layers.append(nn.BatchNorm1d(width))
    if variant != "residual":
        layers.append(act())
    for _ in range(depth - 2):
        if variant == "residual":
            layers.append(Residual(act(), nn.Linear(width, width)))
        elif variant == "batchnorm":
            layers += [nn.Linear(width, width), nn.BatchNorm1d(width), act()]
        elif variant == "plain":
            layers += [nn.Linear(width, width), act()]
        else:
            raise ValueError(f"build_mlp: variant must be 'plain', 'batchnorm' or 'residual', "
                             f"got {variant!r}")
    if variant == "residual":
        layers.append(act())
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)


def gradient_norms_at_init(model, x, y, batch_size: int, batches: int) -> np.ndarray:
    """Mean over ``batches`` batches of each Linear layer's gradient norm (input side
    first) of the cross-entropy loss, in train mode."""
    from glassnet.inspect import GradientStats

    gs = GradientStats(model, layers=nn.Linear)
    model.train()
    for b in range(batches):
        sl = slice(b * batch_size, (b + 1) * batch_size)
        model.zero_grad()
        F.cross_entropy(model(gn.tensor(x[sl])), gn.tensor(y[sl])).backward()
        gs.record_gradients(snapshot=False)
    return np.array(list(gs.layer_means("layer_grad_norm").values()))


def accuracy(model, x, y, batch_size: int = 1000) -> float:
    model.eval()
    hits = 0
    with gn.no_grad(), np.errstate(all="ignore"):
        for i in range(0, len(x), batch_size):
            hits += int((model(gn.tensor(x[i:i + batch_size]))._data.argmax(1)
                         == y[i:i + batch_size]).sum())
    model.train()
    return hits / len(x)


def train_sgd(model, x, y, steps: int, batch_size: int, lr: float, rng, clip=None,
              track=None, watch=None) -> dict:
    """SGD with momentum 0.9 on random batches for ``steps`` steps.

    ``clip``: None, ``('norm', max_norm)`` (``clip_grad_norm_``) or ``('value', v)``
    (``clip_grad_value_``). ``watch``: a Linear whose weight-gradient norm is recorded
    each step. Stops at the first non-finite loss. Returns ``loss`` and ``grad_norm``
    (the global norm before clipping) per step, ``watched_grad_norm`` and
    ``diverged_at`` (the step of the first non-finite loss, or None).
    """
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    params = list(model.parameters())
    out = {"loss": [], "grad_norm": [], "watched_grad_norm": [], "diverged_at": None}
    model.train()
    it = range(steps) if track is None else track(range(steps))
    with np.errstate(all="ignore"):  # overflow is the phenomenon under study, not a bug
        for step in it:
            idx = rng.integers(0, len(x), batch_size)
            opt.zero_grad()
            loss = F.cross_entropy(model(gn.tensor(x[idx])), gn.tensor(y[idx]))
            value = float(loss.item())
            if not math.isfinite(value):
                out["diverged_at"] = step
                break
            loss.backward()
            norm = math.sqrt(sum(float(np.sum(p.grad._data.astype(np.float64) ** 2))
                                 for p in params if p.grad is not None))
            if not math.isfinite(norm):
                out["diverged_at"] = step
                break
            out["loss"].append(value)
            out["grad_norm"].append(norm)
            if watch is not None:
                out["watched_grad_norm"].append(float(np.linalg.norm(watch.weight.grad._data)))
            if clip is not None:
                kind, v = clip
                if kind == "norm":
                    nn.utils.clip_grad_norm_(params, v)
                else:
                    nn.utils.clip_grad_value_(params, v)
            opt.step()
    return out


def running_mean(values, window: int = 20) -> np.ndarray:
    """Trailing mean over ``window`` steps (shorter at the start), for readable loss
    curves."""
    v = np.asarray(values, np.float64)
    c = np.concatenate([[0.0], np.cumsum(v)])
    end = np.arange(1, v.size + 1)
    start = np.maximum(end - window, 0)
    return (c[end] - c[start]) / (end - start)
