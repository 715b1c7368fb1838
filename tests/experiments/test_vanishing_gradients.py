"""vanishing-gradients (quick): sigmoid gradients vanish in plain nets, not with batch norm or
residual connections; a large init explodes and clipping tames it."""
from __future__ import annotations

import json

import pytest

from glassnet.experiments._context import Context

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from glassnet.experiments import vanishing_gradients

    out = tmp_path_factory.mktemp("vanishing")
    ctx = Context("vanishing-gradients", out, quick=True, seed=0, progress=False)
    return out, vanishing_gradients.run(ctx)


def test_sigmoid_gradients_vanish_in_the_plain_net_only(run):
    _, r = run
    a = r["at_init"]
    assert len(a["sigmoid/plain"]["layer_grad_norm"]) == 20
    assert a["sigmoid/plain"]["first_over_last"] < 1e-3
    for variant in ("batchnorm", "residual"):
        assert 0.1 <= a[f"sigmoid/{variant}"]["first_over_last"] <= 10, variant


def test_the_plain_sigmoid_ratio_decays_with_depth(run):
    _, r = run
    sweep = r["depth_sweep"]["first_over_last"]["sigmoid/plain"]
    assert all(b < a for a, b in zip(sweep, sweep[1:]))
    assert all(0.1 <= v <= 10 for v in r["depth_sweep"]["first_over_last"]["sigmoid/residual"])


def test_only_the_nets_whose_gradients_reach_the_input_learn(run):
    _, t = run[1], run[1]["sigmoid_training"]
    assert t["plain"]["final_loss"] > 2.0  # ~ln 10: nothing learnt
    for variant in ("batchnorm", "residual"):
        assert t[variant]["final_loss"] < 0.5 * t["plain"]["final_loss"]
        assert t[variant]["test_accuracy"] > 0.7


def test_large_init_explodes_and_clipping_keeps_training_finite(run):
    _, r = run
    e = r["exploding"]
    assert e["mean_grad_norm_ratio_vs_he"] > 100
    none = e["runs"]["no clipping"]
    assert none["diverged_at"] is not None
    for label in ("clip_grad_norm_(max_norm=1)", "clip_grad_value_(0.01)"):
        clipped = e["runs"][label]
        assert clipped["diverged_at"] is None
        assert clipped["final_loss"] < 0.1 * clipped["loss"][0]


def test_files_and_readme_numbers(run):
    out, r = run
    doc = json.loads((out / "results.json").read_text())
    assert doc["meta"]["quick"] is True and doc["results"]["at_init"]
    for f in doc["meta"]["figures"]:
        assert (out / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(doc["meta"]["figures"]) == 4
    readme = (out / "README.md").read_text()
    ratio = r["at_init"]["sigmoid/plain"]["first_over_last"]
    assert f"{ratio:.1e}" in readme
    assert f"{r['sigmoid_training']['batchnorm']['test_accuracy']:.3f}" in readme
