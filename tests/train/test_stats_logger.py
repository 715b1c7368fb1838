"""StatsLogger: per-epoch activation and gradient statistics from the Trainer; --log-stats."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.cli.main import main
from glassnet.train import Callback, StatsLogger, Trainer
from glassnet.utils.data import DataLoader, TensorDataset


def _data(n, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = np.random.default_rng(42).standard_normal((3, 6)).astype(np.float32)[y] * 2
    x += rng.standard_normal((n, 6)).astype(np.float32) * 0.5
    return TensorDataset(gn.tensor(x), gn.tensor(y))


class _GradSpy(Callback):
    """The gradient norm of the first layer as the callbacks see it after backward."""

    def __init__(self):
        self.norms = []

    def on_after_backward(self, trainer):
        self.norms.append(float(np.linalg.norm(trainer.model[0].weight.grad.numpy())))


def test_stats_logger_writes_json_and_png_per_epoch(tmp_path):
    pytest.importorskip("matplotlib")
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))
    opt = optim.SGD(model.parameters(), lr=0.1)
    train = DataLoader(_data(60, 0), batch_size=10, shuffle=True,
                       generator=np.random.default_rng(0))
    val = DataLoader(_data(20, 1), batch_size=20)
    spy = _GradSpy()
    logger = StatsLogger(tmp_path, every_n_steps=2, plots=True)
    # clipping to a tiny norm: the statistics must see the gradients before clipping
    t = Trainer(model, opt, train, val, callbacks=[spy, logger], progress=False,
                clip_grad_norm=1e-4)
    t.fit(2)
    names = sorted(os.listdir(tmp_path))
    want = [f"epoch_00{e}_{k}.{x}" for e in (1, 2) for k in ("activations", "gradients")
            for x in ("json", "png")]
    assert names == sorted(want)
    g2 = json.loads((tmp_path / "epoch_002_gradients.json").read_text())
    # 6 steps per epoch, every 2nd recorded: global steps 6, 8, 10 in epoch 2
    assert [r["step"] for r in g2["records"]] == [6, 8, 10] and g2["epoch"] == 2
    recorded = [r["grad_norm"]["0.weight"] for r in g2["records"]]
    np.testing.assert_allclose(recorded, [spy.norms[s] for s in (6, 8, 10)], rtol=1e-5)
    assert min(recorded) > 1e-3  # unclipped
    # the update is lr * clipped gradient: tiny next to the weights
    assert all(0 < r["layer_update_ratio"]["0"] < 1e-4 for r in g2["records"])
    assert set(g2["layer_mean_grad_norm"]) == {"0", "2"}
    a2 = json.loads((tmp_path / "epoch_002_activations.json").read_text())
    probe = next(iter(val))[0].numpy()
    w, b = model[0].weight.detach().numpy(), model[0].bias.detach().numpy()
    h = np.tanh(probe @ w.T + b)
    np.testing.assert_allclose(a2["layers"]["1"]["mean"], h.mean(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(a2["layers"]["1"]["std"], h.std(), rtol=1e-4)


def test_stats_logger_rejects_a_bad_interval(tmp_path):
    with pytest.raises(ValueError, match="StatsLogger: every_n_steps"):
        StatsLogger(tmp_path, every_n_steps=0)


def test_cli_train_log_stats(tmp_path):
    out = tmp_path / "run"
    rc = main(["train", "--epochs", "1", "--out", str(out), "--log-stats", "--no-progress"])
    assert rc == 0
    stats = out / "stats"
    assert (stats / "epoch_001_gradients.json").exists()
    acts = json.loads((stats / "epoch_001_activations.json").read_text())["layers"]
    assert acts and all(0 <= s["zero_fraction"] <= 1 for s in acts.values())


def test_logging_statistics_does_not_change_the_training_run(tmp_path):
    def fit(callbacks):
        gn.manual_seed(3)
        model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 3))
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        train = DataLoader(_data(40, 0), batch_size=10, shuffle=True)  # default generator
        val = DataLoader(_data(20, 1), batch_size=10)
        Trainer(model, opt, train, val, callbacks=callbacks, progress=False).fit(2)
        return [p.detach().numpy() for p in model.parameters()]

    plain = fit([])
    logged = fit([StatsLogger(tmp_path, every_n_steps=1, plots=False)])
    for a, b in zip(plain, logged):
        np.testing.assert_array_equal(a, b)
