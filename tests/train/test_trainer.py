"""Trainer: learning, callbacks, logging, Ctrl-C, exact resume, transfer learning."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.utils.data import DataLoader, TensorDataset
from glassnet.optim import lr_scheduler
from glassnet.train import (Callback, EarlyStopping, MetricLogger, ModelCheckpoint, Trainer,
                            TrainingInterrupted, freeze, replace_head, trainable_parameters)


def _data(n=96, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centers = np.random.default_rng(42).standard_normal((3, 6)).astype(np.float32) * 2
    x = centers[y] + rng.standard_normal((n, 6)).astype(np.float32) * 0.5
    return TensorDataset(gn.tensor(x), gn.tensor(y))


def _model():
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 3))


def _setup(seed=0, **kw):
    gn.manual_seed(seed)
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    loader = DataLoader(_data(), batch_size=10, shuffle=True,
                        generator=np.random.default_rng(seed))
    val = DataLoader(_data(30, seed=1), batch_size=16)
    return Trainer(model, opt, loader, val, scheduler=sched, scheduler_interval="step",
                   progress=False, **kw)


def test_trainer_learns_separable_data():
    t = _setup()
    history = t.fit(6)
    assert len(history) == 6
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert history[-1]["val_accuracy"] >= 0.9


def test_exact_resume_mid_epoch_gives_bit_identical_weights(tmp_path):
    full = _setup()
    full.fit(3)
    part = _setup(max_steps=13)  # stops in the middle of epoch 2 (10 batches per epoch)
    part.fit(3)
    assert part.global_step == 13 and part.batch_in_epoch == 3
    ckpt = part.save_checkpoint(tmp_path / "mid.ckpt")
    gn.manual_seed(12345)  # the resumed run must not depend on the current RNG state
    resumed = _setup(seed=99)
    resumed.load_checkpoint(ckpt)
    resumed.fit(3)
    assert resumed.global_step == full.global_step
    for (name, a), (_, b) in zip(full.model.state_dict().items(),
                                 resumed.model.state_dict().items()):
        assert np.array_equal(a.data, b.data), name
    assert full.history[-1]["train_loss"] == resumed.history[-1]["train_loss"]


def test_callbacks_checkpoint_and_log_files(tmp_path):
    t = _setup(callbacks=[MetricLogger(tmp_path), ModelCheckpoint(tmp_path)])
    t.fit(2)
    rows = [json.loads(line) for line in open(tmp_path / "metrics.jsonl")]
    assert [r["epoch"] for r in rows] == [1, 2]
    assert {"train_loss", "val_loss", "val_accuracy", "lr"} <= set(rows[0])
    assert (tmp_path / "metrics.csv").read_text().startswith("epoch,")
    assert (tmp_path / "last.ckpt").exists() and (tmp_path / "best.ckpt").exists()


def test_early_stopping_stops_after_patience():
    stopper = EarlyStopping(monitor="val_loss", patience=2, mode="min")

    class FakeTrainer:
        should_stop = False

    ft = FakeTrainer()
    for epoch, loss in enumerate([1.0, 0.8, 0.85, 0.9]):
        stopper.on_epoch_end(ft, epoch, {"val_loss": loss})
    assert ft.should_stop and stopper.stopped_epoch == 3
    with pytest.raises(ValueError, match="EarlyStopping: mode must be"):
        EarlyStopping(mode="up")
    with pytest.raises(KeyError, match="not in logs"):
        EarlyStopping(monitor="nope").on_epoch_end(ft, 0, {"val_loss": 1.0})


def test_ctrl_c_saves_a_checkpoint_that_resumes(tmp_path):
    class Interrupt(Callback):
        def on_batch_end(self, trainer, step, logs):
            if step == 5:
                raise KeyboardInterrupt

    t = _setup(callbacks=[Interrupt()], out_dir=tmp_path)
    with pytest.raises(TrainingInterrupted) as info:
        t.fit(2)
    assert os.path.exists(info.value.path)
    resumed = _setup()
    resumed.load_checkpoint(info.value.path)
    assert resumed.global_step == 5
    resumed.fit(2)
    assert resumed.epoch == 2


def test_freeze_and_replace_head():
    model = _model()
    names = freeze(model, "0.*")
    assert names == ["0.bias", "0.weight"]
    assert not model[0].weight.requires_grad and model[3].weight.requires_grad
    assert len(trainable_parameters(model)) == 2
    head = replace_head(model, 5)
    assert model[3] is head and model(gn.randn(2, 6)).shape == (2, 5)
    with pytest.raises(ValueError, match="freeze: pattern 'features.\\*' matches no parameter"):
        freeze(model, "features.*")


def test_fine_tuning_a_new_head_only_changes_the_head():
    t = _setup()
    t.fit(2)
    model = t.model
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    freeze(model, "0.*")
    replace_head(model, 3)
    opt = optim.Adam(trainable_parameters(model), lr=0.01)
    loader = DataLoader(_data(), batch_size=10, shuffle=True)
    Trainer(model, opt, loader, progress=False).fit(1)
    after = model.state_dict()
    assert np.array_equal(before["0.weight"], after["0.weight"].data)
    assert not np.array_equal(before["3.weight"], after["3.weight"].data)


def test_trainer_argument_errors():
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    loader = DataLoader(_data(), batch_size=10)
    with pytest.raises(ValueError, match="scheduler_interval must be"):
        Trainer(model, opt, loader, scheduler_interval="batch")
    with pytest.raises(ValueError, match="clip_grad_norm must be > 0"):
        Trainer(model, opt, loader, clip_grad_norm=-1.0)
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        Trainer(model, opt, loader, progress=False).fit(0)
