"""sequences (quick): the plain RNN's gradient vanishes over 100 steps and it cannot solve
the adding problem; trained LSTM/GRU carry the gradient and solve it; row-by-row digits
are learnt."""
from __future__ import annotations

import json

import numpy as np
import pytest

from glassnet.experiments._context import Context

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from glassnet.experiments import sequences

    out = tmp_path_factory.mktemp("sequences")
    ctx = Context("sequences", out, quick=True, seed=0, progress=False)
    return out, sequences.run(ctx)


def test_adding_batches_mark_one_step_in_each_half_and_sum_their_values():
    from glassnet.experiments.sequences import adding_batch

    x, y = adding_batch(np.random.default_rng(0), 10, 64)
    marks = x[:, :, 1]
    assert np.all(marks[:, :5].sum(1) == 1) and np.all(marks[:, 5:].sum(1) == 1)
    np.testing.assert_allclose(y[:, 0], (x[:, :, 0] * marks).sum(1), rtol=1e-6)
    assert np.all((x[:, :, 0] >= 0) & (x[:, :, 0] < 1))


def test_every_gradient_vanishes_at_init_and_a_forget_bias_of_one_slows_it(run):
    _, r = run
    a = r["gradient_at_init"]
    assert len(a["rnn"]["grad_norm"]) == 100
    for label in ("rnn", "lstm", "gru"):
        assert a[label]["first_over_last"] < 1e-8, label
    assert a["lstm (forget bias 1)"]["first_over_last"] > 1e4 * a["lstm"]["first_over_last"]


def test_trained_gated_models_carry_the_gradient_the_rnn_does_not(run):
    _, r = run
    b = r["gradient_after_training"]
    assert b["rnn"]["first_over_last"] < 1e-6
    for cell in ("lstm", "gru"):
        assert b[cell]["first_over_last"] > 1e-3, cell
        assert b[cell]["first_over_last"] > 1e4 * b["rnn"]["first_over_last"], cell


def test_rnn_fails_the_adding_problem_lstm_and_gru_solve_it(run):
    _, r = run
    t = r["adding"]
    assert t["rnn/T=30"]["test_mse"] > 0.1 and not t["rnn/T=30"]["solved"]
    for cell in ("lstm", "gru"):
        assert t[f"{cell}/T=30"]["test_mse"] < 0.01 and t[f"{cell}/T=30"]["solved"], cell
        assert t[f"{cell}/T=30"]["solved_at"] is not None
    for v in t.values():
        assert 0 < v["clipped_fraction"] < 1  # clip_grad_norm_ was active on some steps


def test_row_by_row_digits_are_learnt(run):
    _, r = run
    s = r["sequential"]
    for cell in ("rnn", "lstm", "gru"):
        assert s[cell]["test_accuracy"] > 0.85, cell
        assert s[cell]["steps"] == 8 and s[cell]["pixels_per_step"] == 8
        accs = [e["test_accuracy"] for e in s[cell]["epochs"]]
        assert accs[-1] > accs[0]


def test_files_and_readme_numbers(run):
    out, r = run
    doc = json.loads((out / "results.json").read_text())
    assert doc["meta"]["quick"] is True
    assert len(doc["meta"]["figures"]) == 3
    for f in doc["meta"]["figures"]:
        assert (out / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    readme = (out / "README.md").read_text()
    assert f"MSE {r['adding']['lstm/T=30']['test_mse']:.4f}" in readme
    assert f"{r['sequential']['lstm']['test_accuracy']:.4f}" in readme
