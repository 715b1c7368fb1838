"""CLI: version, train/eval/predict on the embedded digits, exit codes of user errors."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from glassnet.cli.main import main


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.startswith("glassnet ")


def test_bad_flag_value_exits_2_without_traceback(capsys):
    with pytest.raises(SystemExit) as e:
        main(["train", "--epochs", "zero"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "--epochs" in err


def test_unknown_model_exits_1_with_one_line(capsys, tmp_path):
    rc = main(["train", "--model", "resnet19", "--out", str(tmp_path), "--no-progress"])
    assert rc == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown model 'resnet19'" in err[0]


def test_missing_checkpoint_exits_1(capsys):
    assert main(["eval", "does-not-exist.ckpt"]) == 1
    assert "checkpoint not found" in capsys.readouterr().err


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    rc = main(["train", "--epochs", "2", "--out", str(out), "--no-progress", "--model",
               "small_cnn"])
    assert rc == 0
    return out


def test_train_writes_checkpoint_metrics_and_confusion_png(trained_run):
    for f in ("last.ckpt", "best.ckpt", "metrics.jsonl", "metrics.csv",
              "confusion_matrix.png", "test_metrics.json"):
        assert (trained_run / f).exists(), f
    summary = json.loads((trained_run / "test_metrics.json").read_text())
    assert summary["test"]["accuracy"] > 0.8
    assert np.array(summary["confusion_matrix"]).sum() == 359  # the digits test split


def test_eval_and_predict_on_a_checkpoint(trained_run, capsys, tmp_path):
    png = tmp_path / "cm.png"
    assert main(["eval", str(trained_run / "best.ckpt"), "-o", str(png)]) == 0
    out = capsys.readouterr().out
    assert "accuracy" in out and "confusion matrix" in out and png.exists()
    from sklearn.datasets import load_digits
    from PIL import Image

    digits = load_digits()
    img = (digits.images[0] / 16 * 255).astype(np.uint8)
    path = tmp_path / "digit0.png"
    Image.fromarray(img).save(path)
    assert main(["predict", str(trained_run / "best.ckpt"), str(path), "-k", "2"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(str(path)) and line.count(",") == 1


def test_resume_from_cli(trained_run, tmp_path):
    out = tmp_path / "resumed"
    rc = main(["train", "--epochs", "3", "--resume", str(trained_run / "last.ckpt"), "--out",
               str(out), "--no-progress", "--model", "small_cnn"])
    assert rc == 0
    rows = [json.loads(x) for x in open(out / "metrics.jsonl")]
    assert [r["epoch"] for r in rows] == [3]


def test_python_dash_m_entry_point():
    r = subprocess.run([sys.executable, "-m", "glassnet", "--version"], capture_output=True,
                       text=True, env={**os.environ})
    assert r.returncode == 0 and r.stdout.startswith("glassnet")


def test_cli_trains_resnet20_on_mnist_shaped_digits(tmp_path, capsys):
    rc = main(["train", "--model", "resnet20", "--epochs", "1", "--max-steps", "3",
               "--out", str(tmp_path), "--no-progress"])
    assert rc == 0
    assert "training resnet20" in capsys.readouterr().out
    assert (tmp_path / "test_metrics.json").exists()


def test_summary_command(capsys):
    assert main(["summary", "lenet5", "--input", "1x28x28"]) == 0
    out = capsys.readouterr().out
    assert "61,706" in out and "multiply-accumulates" in out
    assert main(["summary", "--list"]) == 0
    assert "resnet20" in capsys.readouterr().out
    assert main(["summary", "lenet5", "--input", "1xbad"]) == 1
