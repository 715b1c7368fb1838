"""``glassnet compress``: a digits checkpoint of LeNet-300-100 pruned to the requested
densities, weight-shared and Huffman-coded, with per-stage records; bad options exit 1."""
from __future__ import annotations

import json

import numpy as np
import pytest

import glassnet as gn
from glassnet.cli.main import main


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    rc = main(["train", "--model", "lenet_300_100", "--epochs", "2", "--out", str(out),
               "--no-progress"])
    assert rc == 0
    return out / "last.ckpt"


def test_compress_reaches_the_requested_densities(checkpoint, tmp_path, capsys):
    report, weights = tmp_path / "r.json", tmp_path / "c.safetensors"
    rc = main(["compress", str(checkpoint), "--prune", "fc1=0.9,fc2=0.8,fc3=0.5", "--bits",
               "4", "--prune-steps", "2", "--retrain-epochs", "1", "--json", str(report),
               "-o", str(weights)])
    assert rc == 0
    r = json.loads(report.read_text())
    assert [s["name"] for s in r["stages"]] == ["reference", "pruned", "quantized", "huffman"]
    dens = {k: v["density"] for k, v in r["layers"].items()}
    assert dens == pytest.approx({"fc1": 0.1, "fc2": 0.2, "fc3": 0.5}, abs=1e-3)
    ratios = [s["ratio"] for s in r["stages"]]
    assert ratios[0] == 1.0 and ratios[1] < ratios[2] < ratios[3]
    # 10% of fc1 at <= 4 + 5 bits per entry against 32: at least 3x even with padding
    assert ratios[1] > 3
    assert r["stages"][-1]["accuracy"] > 0.5  # a 2-epoch model on 359 digits, compressed
    sd = gn.load(weights)
    labels = sd["fc1.weight_labels"].numpy()
    assert labels.min() >= -1 and labels.max() < 2 ** 4 - 1
    assert np.isclose((labels >= 0).mean(), 0.1, atol=1e-3)
    out = capsys.readouterr().out
    assert "huffman" in out and "fc1" in out


def test_bad_options_exit_1(checkpoint, capsys):
    assert main(["compress", str(checkpoint), "--prune", "conv9=0.5"]) == 1
    assert "conv9" in capsys.readouterr().err
    assert main(["compress", str(checkpoint), "--prune", "1.5"]) == 1
    assert "--prune" in capsys.readouterr().err
    assert main(["compress", str(checkpoint), "--bits", "fc1=x"]) == 1
    assert "--bits" in capsys.readouterr().err
