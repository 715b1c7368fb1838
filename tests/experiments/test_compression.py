"""compression (quick, on the embedded digits): every stage's ratio grows, the densities are
the configured ones, int8 keeps the float accuracy, and the files are written."""
from __future__ import annotations

import json

import pytest

from glassnet.experiments._context import Context

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from glassnet.experiments import compression

    out = tmp_path_factory.mktemp("compression")
    ctx = Context("compression", out, quick=True, seed=0, progress=False)
    return out, compression.run(ctx)


def test_stages_compress_more_and_more(run):
    for name, r in run[1]["models"].items():
        names = [s["name"] for s in r["stages"]]
        assert names == ["reference", "pruned", "quantized", "huffman"], name
        ratios = [s["ratio"] for s in r["stages"]]
        assert ratios[0] == 1.0 and ratios[1] > 3 and ratios[1] < ratios[2] < ratios[3], name
        # Huffman coding is lossless: the same weights, the same accuracy
        assert r["stages"][3]["accuracy"] == r["stages"][2]["accuracy"]
        for layer, amount in r["amounts"].items():
            assert r["layers"][layer]["density"] == pytest.approx(1 - amount, abs=2e-3)


def test_int8_and_sensitivity(run):
    for name, r in run[1]["models"].items():
        assert abs(r["int8_drop_pp"]["minmax"]) <= 2.0, name  # 300 test digits: 1 = 0.33 pp
        sens = r["sensitivity"]["accuracy"]
        assert set(sens) == set(r["amounts"])
        assert all(0 <= a <= 1 for accs in sens.values() for a in accs)
    designs = {d["design"]: d for d in run[1]["designs"]}
    sep = designs["depthwise-separable"]
    assert sep["macs_vs_standard"] == pytest.approx(sep["formula"], rel=1e-9)
    assert designs["1x1 bottleneck (reduce, 3x3, expand)"]["macs_vs_standard"] < 0.2


def test_files(run):
    out, r = run
    doc = json.loads((out / "results.json").read_text())
    assert doc["meta"]["quick"] is True
    for f in ("sensitivity.png", "stages.png", "README.md", "log.txt",
              "lenet5_caffe.json", "lenet_300_100.json"):
        assert (out / f).exists(), f
    readme = (out / "README.md").read_text()
    ratio = r["models"]["lenet5_caffe"]["stages"][3]["ratio"]
    assert f"{ratio:.1f}x" in readme
