"""regularization (quick): an MLP on 200 images memorises them; L2, L1, max-norm + dropout and
augmentation shrink the train-test loss gap; early stopping restores the best validation epoch."""
from __future__ import annotations

import json

import numpy as np
import pytest

from glassnet.experiments._context import Context

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from glassnet.experiments import regularization

    out = tmp_path_factory.mktemp("regularization")
    ctx = Context("regularization", out, quick=True, seed=0, progress=False)
    return out, regularization.run(ctx)


def test_the_unregularised_net_memorises_with_a_clear_gap(run):
    none = run[1]["runs"]["none"]
    assert none["final_train_accuracy"] >= 0.99
    assert none["final_train_loss"] < 0.01
    assert none["gap"] > 0.04
    assert none["final_test_loss"] > 20 * none["final_train_loss"]


def test_weight_penalties_max_norm_and_augmentation_shrink_the_loss_gap(run):
    runs = run[1]["runs"]
    for method in ("L2", "L1", "max-norm + dropout", "augmentation"):
        assert runs[method]["loss_gap"] < 0.95 * runs["none"]["loss_gap"], method
        assert runs[method]["final_test_loss"] < runs["none"]["final_test_loss"], method
    # the accuracy gap moves by a few test images only (every net fits its training set), so
    # only a bound: no regulariser makes it clearly worse than none's
    for method, r in runs.items():
        assert r["gap"] < runs["none"]["gap"] + 0.03, method


def test_early_stopping_restores_the_best_validation_epoch(run):
    r = run[1]
    es = r["runs"]["early stopping"]
    val = es["val_accuracy"]
    best = int(np.argmax(val)) + 1  # epochs count from 1; argmax takes the first maximum
    assert es["best_epoch"] == best
    assert es["final_val_accuracy"] == val[best - 1]
    assert es["final_test_accuracy"] == es["test_accuracy"][best - 1]
    assert len(val) == es["stopped_at"]
    if es["stopped_at"] < r["settings"]["epochs"]:
        assert es["stopped_at"] - best == r["settings"]["patience"]
        assert max(val[best:]) <= val[best - 1]


def test_files_and_readme_numbers(run):
    out, r = run
    doc = json.loads((out / "results.json").read_text())
    assert doc["meta"]["quick"] is True and doc["results"]["runs"]
    assert len(doc["meta"]["figures"]) == 2
    for f in doc["meta"]["figures"]:
        assert (out / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    readme = (out / "README.md").read_text()
    for method, t in r["table"].items():
        assert (f"| {method} | {t['final_train_accuracy']:.3f} | {t['final_test_accuracy']:.3f} "
                f"| {t['gap']:.3f} |") in readme
    es = r["runs"]["early stopping"]
    assert f"restored epoch {es['best_epoch']}" in readme
