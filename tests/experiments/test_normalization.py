"""normalization (quick): batch norm trains faster and at larger learning rates; at batch 2
its batch statistics are noise and layer/group norm do better."""
from __future__ import annotations

import json
import math

import pytest

from glassnet.experiments._context import Context

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from glassnet.experiments import normalization

    out = tmp_path_factory.mktemp("normalization")
    ctx = Context("normalization", out, quick=True, seed=0, progress=False)
    return out, normalization.run(ctx)


def test_batch_norm_allows_a_larger_learning_rate(run):
    r = run[1]
    big = r["largest_stable_lr"]
    assert big["none"] is not None and big["batch"] is not None
    assert big["batch"] > big["none"]
    # the grid's top learning rate is too large for both: the criterion can fail
    top = f"{r['settings']['lrs'][-1]:g}"
    assert not r["lr_grid"]["none"][top]["stable"]
    unstable = r["lr_grid"]["none"][f"{big['batch']:g}"]
    assert unstable["final_loss"] > 0.5 * unstable["initial_loss"]


def test_batch_norm_reaches_the_threshold_in_fewer_steps(run):
    r = run[1]
    lr = f"{r['settings']['common_lr']:g}"
    bn, plain = r["lr_grid"]["batch"][lr], r["lr_grid"]["none"][lr]
    assert bn["stable"] and plain["stable"]
    assert bn["steps_to_threshold"] is not None
    plain_steps = math.inf if plain["steps_to_threshold"] is None else plain["steps_to_threshold"]
    assert bn["steps_to_threshold"] < 0.75 * plain_steps
    assert bn["final_loss"] < plain["final_loss"]


def test_batch_norm_before_or_after_relu_both_train(run):
    for where, p in run[1]["placement"].items():
        assert p["final_loss"] < 0.2 * p["initial_loss"], where
        assert p["test_accuracy"] > 0.85, where


def test_layer_and_group_norm_beat_batch_norm_at_batch_2(run):
    r = run[1]
    small, big = r["settings"]["small_batches"]
    acc = {k: v["test_accuracy"] for k, v in r["small_batch"].items()}
    for norm in ("layer", "group"):
        assert acc[f"{norm}/{small}"] > acc[f"batch/{small}"] + 0.15, norm
    # batch norm itself is fine with a normal batch: the failure is the batch size's
    assert acc[f"batch/{big}"] > 0.9
    assert acc[f"batch/{big}"] > acc[f"batch/{small}"] + 0.3


def test_files_and_readme_numbers(run):
    out, r = run
    doc = json.loads((out / "results.json").read_text())
    assert doc["meta"]["quick"] is True and doc["results"]["lr_grid"]
    assert len(doc["meta"]["figures"]) == 4
    for f in doc["meta"]["figures"]:
        assert (out / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    readme = (out / "README.md").read_text()
    big = r["largest_stable_lr"]
    assert f"{big['batch']} with batch norm against {big['none']} without" in readme
    lr = f"{r['settings']['common_lr']:g}"
    assert f"in {r['lr_grid']['batch'][lr]['steps_to_threshold']} steps" in readme
    small = r["settings"]["small_batches"][0]
    for norm in ("batch", "layer", "group"):
        assert f"{r['small_batch'][f'{norm}/{small}']['test_accuracy']:.3f}" in readme
