"""batch-size (quick): at a fixed epoch budget the best learning rate grows with the batch
size, and at a small learning rate large batches underfit."""
from __future__ import annotations

import json

import pytest

from glassnet.experiments._context import Context

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from glassnet.experiments import batch_size

    out = tmp_path_factory.mktemp("batch_size")
    return out, batch_size.run(Context("batch-size", out, quick=True, seed=0, progress=False))


def test_best_lr_grows_with_the_batch(run):
    r = run[1]
    b = [str(v) for v in r["settings"]["batch_sizes"]]
    best = r["best_per_batch"]
    assert best[b[-1]]["lr"] >= best[b[0]]["lr"]
    assert best[b[-1]]["lr"] > best[b[0]]["lr"] or best[b[0]]["lr"] == max(r["settings"]["lrs"])
    # with its own best lr the largest batch still learns
    assert best[b[-1]]["test_accuracy"] > 0.8


def test_large_batches_underfit_at_a_fixed_small_lr(run):
    r = run[1]
    b = [str(v) for v in r["settings"]["batch_sizes"]]
    fixed = r["test_accuracy_at_fixed_lr"]
    assert fixed[b[-1]] < fixed[b[0]] - 0.1
    assert fixed[b[-1]] < fixed[b[1]]
    # same epochs: 64x fewer steps for the largest batch
    steps = {k: v["steps"] for k, v in r["runs"].items()}
    lr = r["settings"]["fixed_lr"]
    assert steps[f"batch {b[0]} / lr {lr:g}"] >= 32 * steps[f"batch {b[-1]} / lr {lr:g}"]


def test_small_lr_underfits_for_every_batch(run):
    r = run[1]
    acc = r["test_accuracy"]
    for i in range(len(acc)):
        assert acc[i][0] < max(acc[i]), r["settings"]["batch_sizes"][i]


def test_files_and_readme_numbers(run):
    out, r = run
    doc = json.loads((out / "results.json").read_text())
    figs = doc["meta"]["figures"]
    assert {"accuracy_heatmap.png", "best_lr_and_gap.png"} <= set(figs)
    for f in figs:
        assert (out / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    readme = (out / "README.md").read_text()
    b = [str(v) for v in r["settings"]["batch_sizes"]]
    fixed = r["test_accuracy_at_fixed_lr"]
    assert f"batch {b[0]} reaches test accuracy {fixed[b[0]]:.3f}" in readme
    assert f"batch {b[-1]} only {fixed[b[-1]]:.3f}" in readme
    assert f"{r['best_per_batch'][b[-1]]['test_accuracy']:.3f}" in readme
