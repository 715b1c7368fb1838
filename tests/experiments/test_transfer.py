"""transfer (quick): features pretrained on digits 0-4 help to learn 5-9 from a few labels;
frozen features stay exactly unchanged."""
from __future__ import annotations

import json

import pytest

from glassnet.experiments._context import Context

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from glassnet.experiments import transfer

    out = tmp_path_factory.mktemp("transfer")
    ctx = Context("transfer", out, quick=True, seed=0, progress=False)
    return out, transfer.run(ctx)


def test_the_pretrained_net_knows_0_to_4(run):
    assert run[1]["pretrain"]["final_test_accuracy_0_4"] > 0.93


def test_pretrained_features_beat_training_from_scratch(run):
    r = run[1]
    runs, epochs = r["runs"], r["settings"]["epochs"]
    sc = runs["scratch"]
    for m in ("frozen", "fine-tuned"):
        assert len(runs[m]["test_accuracy"]) == epochs
        # the learning curve lies clearly above the one from scratch ...
        assert runs[m]["mean_test_accuracy"] > sc["mean_test_accuracy"] + 0.07, m
        # ... and it does not end below it
        assert runs[m]["final_test_accuracy"] > sc["final_test_accuracy"] - 0.02, m
        assert runs[m]["final_test_accuracy"] > 0.6, m
    assert r["settings"]["target_train_images"] == 5 * r["settings"]["per_class"]


def test_frozen_features_are_unchanged_and_only_the_head_trains(run):
    runs = run[1]["runs"]
    fr = runs["frozen"]
    assert fr["feature_max_abs_change"] == 0.0
    assert fr["feature_checksum_before"] == fr["feature_checksum_after"]
    assert runs["fine-tuned"]["feature_max_abs_change"] > 1e-3
    assert runs["scratch"]["feature_max_abs_change"] > 1e-3
    assert fr["trainable_parameters"] < runs["fine-tuned"]["trainable_parameters"]
    assert runs["fine-tuned"]["trainable_parameters"] == runs["scratch"]["trainable_parameters"]


def test_files_and_readme_numbers(run):
    out, r = run
    doc = json.loads((out / "results.json").read_text())
    assert doc["meta"]["quick"] is True
    assert len(doc["meta"]["figures"]) == 2
    for f in doc["meta"]["figures"]:
        assert (out / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    readme = (out / "README.md").read_text()
    assert f"{r['pretrain']['final_test_accuracy_0_4']:.3f}" in readme
    for m in ("frozen", "fine-tuned", "scratch"):
        assert f"{r['runs'][m]['mean_test_accuracy']:.3f}" in readme
        assert f"{r['runs'][m]['final_test_accuracy']:.3f}" in readme
