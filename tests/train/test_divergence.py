"""Training that diverges stops with one clear error (issue 12 item 7): non-finite and
exploding losses raise TrainingDiverged before the step that would use them, checkpoints
written before stay loadable and unchanged, and the CLI prints one line and exits 1."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.cli.main import main
from glassnet.train import ModelCheckpoint, Trainer, TrainingDiverged
from glassnet.utils.data import DataLoader, TensorDataset


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 6)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    return DataLoader(TensorDataset(gn.tensor(x), gn.tensor(y)), batch_size=16)


def _trainer(lr, out=None, **kw):
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 2))
    cbs = [ModelCheckpoint(str(out))] if out is not None else []
    opt = optim.Adam(model.parameters(), lr=lr)
    return Trainer(model, opt, _data(), progress=False, callbacks=cbs, out_dir=out, **kw), opt


def test_exploding_loss_stops_before_the_step_and_keeps_the_checkpoint(tmp_path):
    t, opt = _trainer(0.01, tmp_path)
    t.fit(1)
    good = {k: v.numpy().copy() for k, v in t.model.state_dict().items()}
    ckpt = (tmp_path / "last.ckpt").read_bytes()
    for g in opt.param_groups:
        g["lr"] = 1e7  # the next steps blow the loss up
    with pytest.raises(TrainingDiverged, match="training diverged at step .*more than 10000 "
                                               "times the first loss") as info:
        t.fit(3)
    assert isinstance(info.value, FloatingPointError)
    assert np.isfinite(info.value.loss) and info.value.loss > 1e4 * t._first_loss
    assert (tmp_path / "last.ckpt").read_bytes() == ckpt  # the last good one, untouched
    state = gn.load(str(tmp_path / "last.ckpt"))
    for k, v in state["model"].items():
        np.testing.assert_array_equal(v.numpy(), good[k])


def test_non_finite_loss_stops_even_without_the_factor():
    t, _ = _trainer(0.01, divergence_factor=None)
    t.loss_fn = lambda logits, y: (logits * float("nan")).sum()
    with pytest.raises(TrainingDiverged, match="at step 0: the loss became nan"):
        t.fit(1)
    assert t.global_step == 0


def test_divergence_factor_none_lets_a_large_loss_through():
    t, _ = _trainer(1e3, divergence_factor=None)
    t.fit(1)  # diverging wildly, but finite: allowed when asked for
    assert t.global_step == 4
    with pytest.raises(ValueError, match="divergence_factor must be > 1 or None, got 0.5"):
        _trainer(0.1, divergence_factor=0.5)


def test_cli_diverged_run_is_one_line_and_exit_1(tmp_path, capsys):
    rc = main(["train", "--optimizer", "adam", "--lr", "1e6", "--epochs", "2", "--out",
               str(tmp_path / "run"), "--no-progress", "--max-steps", "20"])
    err = capsys.readouterr().err
    assert rc == 1
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines[-1].startswith("glassnet train: error: training diverged at step ")
    assert "Traceback" not in err
