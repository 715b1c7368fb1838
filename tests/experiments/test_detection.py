"""detection (quick): three detectors train a few steps on MNISTDetection; the background
anchors flood the loss under cross-entropy and not under the focal loss; stricter
matching thresholds leave fewer positive anchors per object."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from glassnet.experiments._context import Context

pytest.importorskip("matplotlib")
REPO = Path(__file__).resolve().parents[2]
MNIST_DIR = REPO.parent / "shared" / "data" / "mnist"
pytestmark = pytest.mark.skipif(not (MNIST_DIR / "t10k-labels-idx1-ubyte.gz").is_file(),
                                reason="shared MNIST files not found")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from glassnet.experiments import detection

    out = tmp_path_factory.mktemp("detection")
    ctx = Context("detection", out, quick=True, seed=0, data_dir=MNIST_DIR, progress=False)
    return out, detection.run(ctx)


def test_every_detector_trains_and_is_evaluated(run):
    runs = run[1]["runs"]
    assert set(runs) == {"fasterrcnn_small", "retinanet_small_focal", "retinanet_small_ce"}
    for r in runs.values():
        assert r["steps"] == 12 and len(r["loss_curve"]) == 12
        assert r["final"]["images"] == 16 and r["final"]["images_per_s"] > 0
        assert -1 <= r["final"]["map_50"] <= 1
        assert all(v == v and v < 1e3 for v in r["loss_curve"])  # finite
    # the two-stage detector's classifier loss falls fast (11-way CE from log 11)
    curve = runs["fasterrcnn_small"]["loss_curve"]
    assert sum(curve[-3:]) < 0.8 * sum(curve[:3])


def test_background_anchors_dominate_cross_entropy_not_focal_loss(run):
    runs = run[1]["runs"]
    ce, focal = runs["retinanet_small_ce"], runs["retinanet_small_focal"]
    for r in (ce, focal):
        assert r["anchor_stats_first"]["background_fraction"] > 0.95
    # at initialisation (prior 0.01) the easy negatives hold much of the CE loss ...
    assert ce["anchor_stats_first"]["easy_background_loss_share"] > 0.3
    # ... and almost nothing of the focal loss, which down-weights them by (1 - p_t)^2
    assert focal["anchor_stats_first"]["easy_background_loss_share"] < 0.01


def test_stricter_thresholds_give_fewer_positives_per_object(run):
    t = {(x["fg_iou"], x["bg_iou"]): x for x in run[1]["thresholds"]}
    assert t[(0.7, 0.3)]["positives_per_object"] < t[(0.5, 0.4)]["positives_per_object"]
    assert t[(0.7, 0.3)]["objects_without_anchor"] > t[(0.5, 0.4)]["objects_without_anchor"]
    assert t[(0.7, 0.3)]["ignored_fraction"] > t[(0.6, 0.4)]["ignored_fraction"]
    for x in t.values():
        total = x["positive"] + x["negative"] + x["ignored"]
        assert x["positive_fraction"] == pytest.approx(x["positive"] / total)
        assert x["negative_fraction"] > 0.9  # the background flood


def test_files_and_readme_numbers(run):
    out, r = run
    doc = json.loads((out / "results.json").read_text())
    assert set(doc["meta"]["figures"]) == {"training.png", "scenes.png"}
    for f in doc["meta"]["figures"]:
        assert (out / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    readme = (out / "README.md").read_text()
    for key, v in r["runs"].items():
        assert f"| {key} | {v['steps']} |" in readme
        assert f"{v['final']['map_50']:.3f}" in readme
