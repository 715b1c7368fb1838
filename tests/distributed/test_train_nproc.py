"""glassnet train --nproc 2: rank 0 logs and checkpoints, the group resumes exactly."""
import json
import os
import subprocess
import sys

import numpy as np

from tests.distributed._mpi import REPO, mpiexec


def _train(out, *extra):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               PYTHONPATH=str(REPO))
    cmd = [sys.executable, "-m", "glassnet", "train", "--dataset", "digits", "--nproc", "2",
           "--batch-size", "64",
           "--no-progress", "--out", str(out), *extra]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120,
                          cwd=str(REPO))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def _params(path):
    from glassnet.serialization import load

    return {k: np.asarray(v.numpy()) for k, v in load(str(path))["model"].items()}


def test_train_nproc_2_logs_once_and_resumes_exactly(tmp_path):
    mpiexec()
    # A constant learning rate, so that a 1-epoch run is the first half of a 2-epoch run.
    text = _train(tmp_path / "full", "--epochs", "2", "--scheduler", "none")
    assert text.count("test accuracy") == 1  # rank 0 only
    assert "group of 2 ranks:" in text and "(batch 64 per rank, 128 per step)" in text
    summary = json.loads((tmp_path / "full" / "test_metrics.json").read_text())
    assert summary["world_size"] == 2 and summary["epochs"] == 2
    assert summary["test"]["accuracy"] > 0.8  # digits, 2 epochs of the small CNN
    assert summary["group_img_per_s"] > summary["train_img_per_s"]
    # 1 epoch, then resume to 2: the same parameters as 2 epochs in one go.
    _train(tmp_path / "half", "--epochs", "1", "--scheduler", "none")
    _train(tmp_path / "resumed", "--epochs", "2", "--scheduler", "none", "--resume",
           str(tmp_path / "half" / "last.ckpt"))
    full, resumed = _params(tmp_path / "full" / "last.ckpt"), _params(
        tmp_path / "resumed" / "last.ckpt")
    assert full.keys() == resumed.keys() and not any(k.startswith("module.") for k in full)
    for k in full:
        np.testing.assert_array_equal(resumed[k], full[k])
