"""Models and data shared by the MPI workers and the single-process references."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

import numpy as np  # noqa: E402

import glassnet as gn  # noqa: E402
import glassnet.nn as nn  # noqa: E402

STEPS = 20
BATCH = 128


def data(rank, dtype=np.float64):
    """Rank ``rank``'s (3, 5) input to the collectives (the test rebuilds every rank's)."""
    values = np.random.default_rng(rank).uniform(0.5, 2.0, (3, 5))
    return values.astype(dtype) if dtype == np.float64 else (values * 10).astype(dtype)


def micro_batch(rank: int, micro: int):
    """A (5, 4) input and (5, 3) target for rank ``rank``'s micro-batch ``micro``."""
    rng = np.random.default_rng(10 * rank + micro)
    return gn.tensor(rng.standard_normal((5, 4))), gn.tensor(rng.standard_normal((5, 3)))


class Heads(nn.Module):
    """Three linear heads; ``forward(x, use)`` sums the heads named in ``use``."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = nn.Linear(4, 3), nn.Linear(4, 3), nn.Linear(4, 3)

    def forward(self, x, use=("a", "b", "c")):
        out = None
        for name in use:
            y = getattr(self, name)(x)
            out = y if out is None else out + y
        return out


def mse(output, target):
    return ((output - target) ** 2).mean()


def small_cnn(norm: str) -> nn.Module:
    """A CNN on 1x8x8 inputs: conv-[norm]-relu-pool-conv-relu-linear, float64."""
    gn.manual_seed(0)
    norms = {"none": lambda c: nn.Identity(), "bn": nn.BatchNorm2d,
             "sync": nn.BatchNorm2d}
    model = nn.Sequential(
        nn.Conv2d(1, 6, 3, padding=1), norms[norm](6), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 2 * 2, 10))
    if norm == "sync":
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    return model.double()


def batch(step: int):
    """Step ``step``'s batch of 128 (inputs float64, int labels), the same on all ranks."""
    rng = np.random.default_rng(1000 + step)
    x = rng.standard_normal((BATCH, 1, 8, 8)) + np.linspace(-1, 1, 8)
    y = rng.integers(0, 10, BATCH)
    return gn.tensor(x), gn.tensor(y)


def train(model, steps: int = STEPS, shard=None):
    """SGD-momentum steps on mean cross-entropy; ``shard(x, y)`` picks this rank's part.

    Returns the flattened parameters after every step, shape ``(steps, P)``.
    """
    opt = gn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    history = []
    for step in range(steps):
        x, y = batch(step)
        if shard is not None:
            x, y = shard(x, y)
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
        history.append(np.concatenate([p.detach().numpy().ravel()
                                       for p in model.parameters()]))
    return np.stack(history)
