"""TensorBoardLogger (Trainer callback) and ``glassnet train --tensorboard``: the event
files read back with TensorBoard's reader hold the values the training run produced."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorboard")

import glassnet as gn  # noqa: E402
from glassnet import nn, optim  # noqa: E402
from glassnet.cli.main import main  # noqa: E402
from glassnet.train import Callback, TensorBoardLogger, Trainer  # noqa: E402
from glassnet.utils.data import DataLoader, TensorDataset  # noqa: E402
from tensorboard.backend.event_processing.event_accumulator import (  # noqa: E402
    EventAccumulator)

ALL = {"scalars": 0, "histograms": 0, "images": 0, "tensors": 0}


def _read(path):
    return EventAccumulator(str(path), size_guidance=ALL).Reload()


def _values(acc, tag):
    return {e.step: e.value for e in acc.Scalars(tag)}


def _data(n, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = np.random.default_rng(42).standard_normal((3, 6)).astype(np.float32)[y] * 2
    x += rng.standard_normal((n, 6)).astype(np.float32) * 0.5
    return TensorDataset(gn.tensor(x), gn.tensor(y))


class _Spy(Callback):
    """What the trainer produced: batch losses and lrs by step, first-layer gradient norms."""

    def __init__(self):
        self.loss, self.lr, self.grad = {}, {}, {}

    def on_after_backward(self, trainer):
        w, b = trainer.model[0].weight.grad.numpy(), trainer.model[0].bias.grad.numpy()
        self.grad[trainer.global_step] = float(np.sqrt((w ** 2).sum() + (b ** 2).sum()))

    def on_batch_end(self, trainer, step, logs):
        self.loss[step] = logs["loss"]
        self.lr[step] = trainer.optimizer.param_groups[0]["lr"]


def _fit(tmp_path, callbacks, epochs=2):
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    train = DataLoader(_data(60, 0), batch_size=10, shuffle=True,
                       generator=np.random.default_rng(0))
    val = DataLoader(_data(20, 1), batch_size=20)
    trainer = Trainer(model, opt, train, val, scheduler=sched, scheduler_interval="step",
                      callbacks=callbacks, progress=False, meta={"config": {
                          "lr": 0.1, "optimizer": "sgd", "epochs": epochs, "out": None}})
    trainer.fit(epochs)
    return trainer, val


def test_logger_writes_the_run_values(tmp_path):
    spy = _Spy()
    logger = TensorBoardLogger(tmp_path, stats_every_n_steps=2)
    trainer, val = _fit(tmp_path, [spy, logger])
    acc = _read(tmp_path)
    # per step (1..12): the batch loss and the lr after the step
    loss = _values(acc, "step/loss")
    assert sorted(loss) == list(range(1, 13))
    np.testing.assert_allclose([loss[s] for s in loss], [spy.loss[s] for s in loss], rtol=1e-6)
    lr = _values(acc, "step/lr")
    np.testing.assert_allclose([lr[s] for s in range(1, 13)],
                               [0.1 * 0.5 ** s for s in range(1, 13)], rtol=1e-6)
    # per epoch, at the epoch's last step (6, 12): the history's numbers
    assert _values(acc, "epoch/epoch") == {6: 1.0, 12: 2.0}
    for key in ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr"):
        got = _values(acc, f"epoch/{key}")
        np.testing.assert_allclose([got[6], got[12]], [h[key] for h in trainer.history],
                                   rtol=1e-6)
    # gradient norms of layer 0: recorded at steps 0, 2, 4 (epoch 1) and 6, 8, 10 (epoch 2)
    norm = _values(acc, "gradients/0/norm")
    np.testing.assert_allclose([norm[6], norm[12]],
                               [np.mean([spy.grad[s] for s in (0, 2, 4)]),
                                np.mean([spy.grad[s] for s in (6, 8, 10)])], rtol=1e-5)
    assert set(_values(acc, "step/grad_norm")) == {1, 3, 5, 7, 9, 11}
    ratio = _values(acc, "gradients/2/update_ratio")
    assert all(0 < r < 1 for r in ratio.values())
    # activations of the Tanh over the probe batch (the validation batch), after epoch 2
    probe = next(iter(val))[0].numpy()
    w, b = trainer.model[0].weight.detach().numpy(), trainer.model[0].bias.detach().numpy()
    h = np.tanh(probe @ w.T + b).astype(np.float64)
    hist = {e.step: e.histogram_value for e in acc.Histograms("activations/1")}
    assert sorted(hist) == [6, 12]
    a = hist[12]
    assert a.num == h.size == sum(a.bucket) == 20 * 16 and a.bucket[0] == 0
    np.testing.assert_allclose([a.min, a.max, a.sum, a.sum_squares],
                               [h.min(), h.max(), h.sum(), (h ** 2).sum()], rtol=1e-4)
    np.testing.assert_allclose(_values(acc, "activations/1/std")[12], h.std(), rtol=1e-4)
    wh = {e.step: e.histogram_value for e in acc.Histograms("weights/0.weight")}
    assert wh[12].num == 96 and wh[12].max == pytest.approx(float(w.max()), rel=1e-6)
    # hyper-parameters and the final metrics in the hparams sub-run
    hp = _read(tmp_path / "hparams")
    assert set(hp.PluginTagToContent("hparams")) == {
        "_hparams_/experiment", "_hparams_/session_start_info", "_hparams_/session_end_info"}
    np.testing.assert_allclose(_values(hp, "hparam/val_accuracy")[12],
                               trainer.history[-1]["val_accuracy"], rtol=1e-6)


def test_logging_does_not_change_the_training_run(tmp_path):
    plain, _ = _fit(tmp_path / "a", [])
    logged, _ = _fit(tmp_path / "b", [TensorBoardLogger(tmp_path / "b", stats_every_n_steps=1)])
    for p, q in zip(plain.model.parameters(), logged.model.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_logger_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="TensorBoardLogger: log_every_n_steps must be a "
                       "positive int, got 0"):
        TensorBoardLogger(tmp_path, log_every_n_steps=0)
    with pytest.raises(TypeError, match="TensorBoardLogger: hparams must be a dict"):
        TensorBoardLogger(tmp_path, hparams=[1])


def test_cli_train_tensorboard(tmp_path):
    tb = tmp_path / "tb"
    rc = main(["train", "--epochs", "1", "--batch-size", "64", "--out", str(tmp_path / "run"),
               "--tensorboard", str(tb), "--no-progress"])
    assert rc == 0
    acc = _read(tb)
    tags = acc.Tags()
    steps = len(acc.Scalars("step/loss"))
    assert steps == 21  # ceil(1294 training digits / 64)
    assert all(np.isfinite(e.value) and e.value > 0 for e in acc.Scalars("step/loss"))
    (val_acc,) = acc.Scalars("epoch/val_accuracy")
    assert val_acc.step == steps and 0.5 < val_acc.value <= 1
    assert any(t.startswith("gradients/") and t.endswith("/norm") for t in tags["scalars"])
    acts = [t for t in tags["histograms"] if t.startswith("activations/")]
    assert acts and all(acc.Histograms(t)[0].histogram_value.num > 0 for t in acts)
    assert "hparam/val_accuracy" in _read(tb / "hparams").Tags()["scalars"]


class _SaveAt(Callback):
    def __init__(self, path, epoch):
        self.path, self.epoch = path, epoch

    def on_epoch_end(self, trainer, epoch, logs):
        if epoch == self.epoch:
            trainer.save_checkpoint(self.path)


def test_resume_purges_the_steps_logged_after_the_checkpoint(tmp_path):
    ckpt = tmp_path / "epoch1.ckpt"
    first, _ = _fit(tmp_path, [TensorBoardLogger(tmp_path / "tb"), _SaveAt(ckpt, 0)])
    # a resumed run from the end of epoch 1 (step 6) repeats steps 7..12 with another lr
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))
    opt = optim.SGD(model.parameters(), lr=0.1)
    train = DataLoader(_data(60, 0), batch_size=10, shuffle=True,
                       generator=np.random.default_rng(0))
    spy = _Spy()
    trainer = Trainer(model, opt, train, None, callbacks=[spy, TensorBoardLogger(
        tmp_path / "tb")], progress=False)
    trainer.load_checkpoint(ckpt)
    for g in opt.param_groups:
        g["lr"] = 0.7
    trainer.fit(2)
    loss = _read(tmp_path / "tb").Scalars("step/loss")
    assert [e.step for e in loss] == list(range(1, 13))  # each step once
    np.testing.assert_allclose([e.value for e in loss[6:]], [spy.loss[s] for s in range(7, 13)],
                               rtol=1e-6)
    acc = _read(tmp_path / "tb")
    assert _values(acc, "step/lr")[7] == pytest.approx(0.7)
    # epoch 2's numbers come from the resumed run only
    assert _values(acc, "epoch/epoch") == {6: 1.0, 12: 2.0}
    assert _values(acc, "epoch/lr")[12] == pytest.approx(0.7)
    assert _values(acc, "epoch/train_loss")[12] == pytest.approx(trainer.history[-1][
        "train_loss"], rel=1e-6)


def test_cli_tensorboard_without_the_package_names_the_extra(tmp_path, monkeypatch, capsys):
    import sys

    monkeypatch.delitem(sys.modules, "glassnet.utils.tensorboard", raising=False)
    for name in list(sys.modules):
        if name == "tensorboard" or name.startswith("tensorboard."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # import tensorboard fails
    rc = main(["train", "--epochs", "1", "--out", str(tmp_path / "run"), "--tensorboard",
               str(tmp_path / "tb"), "--no-progress"])
    assert rc == 1
    err = capsys.readouterr().err
    assert "glassnet train: error: --tensorboard" in err
    assert "pip install 'glassnet[tensorboard]'" in err
