"""Fault injection for exact resume (issue 12 item 4): SIGINT and SIGTERM during the
forward pass, the backward pass, the optimizer step, validation and the epoch-end saves,
a second Ctrl-C inside a step, and SIGINT/SIGTERM/SIGKILL sent by another process at
random moments; after each, resuming gives bit-identical weights (BN statistics included),
step count and metric rows (metrics.jsonl and metrics.csv, timings aside) to one
uninterrupted run of the same job (tests/train/_resume_job.py: digits, 24 steps)."""
from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="the job trains on scikit-learn's digits")

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("_resume_job", HERE / "_resume_job.py")
job = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(job)

STEPS_PER_EPOCH = 256 // job.BATCH


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    path = tmp_path_factory.mktemp("digits") / "digits.npz"
    job.save_digits(path)
    return path


@pytest.fixture(scope="module")
def reference(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("reference")
    t = job.build(data, out)
    t.fit(job.EPOCHS)
    ref = job.outcome(t, out)
    assert ref["global_step"] == job.EPOCHS * STEPS_PER_EPOCH
    assert [r["epoch"] for r in ref["jsonl"]] == [1, 2, 3]
    return ref


@pytest.fixture(autouse=True)
def _sigterm_fails_the_test_not_the_session():
    """Without Trainer.fit's handler a SIGTERM sent to this process would end the whole
    pytest session: make it fail this test instead."""
    def handler(signum, frame):
        raise AssertionError("SIGTERM reached the test: Trainer.fit did not handle it")

    previous = signal.signal(signal.SIGTERM, handler)
    yield
    signal.signal(signal.SIGTERM, previous)


def _assert_same(got, ref):
    assert got["global_step"] == ref["global_step"]
    assert list(got["weights"]) == list(ref["weights"])
    for k, v in ref["weights"].items():
        np.testing.assert_array_equal(got["weights"][k], v, err_msg=k)
    assert got["jsonl"] == ref["jsonl"]
    assert got["csv"] == ref["csv"]


def _resume(data, out, ckpt):
    t = job.build(data, out)
    if ckpt is not None:
        t.load_checkpoint(ckpt)
    t.fit(job.EPOCHS)
    return job.outcome(t, out)


def _kill_self(signum, times=1):
    for _ in range(times):
        os.kill(os.getpid(), signum)


class _AtStep:
    """Sends the signal(s) once, from inside the training step number ``step``."""

    def __init__(self, trainer, step, signum, times=1):
        self.trainer, self.step, self.signum, self.times = trainer, step, signum, times
        self.sent = False

    def __call__(self, *args):
        if not self.sent and self.trainer.model.training \
                and self.trainer.global_step == self.step:
            self.sent = True
            _kill_self(self.signum, self.times)


# (where, signal, step or epoch, steps completed when the checkpoint is written)
POINTS = [
    ("forward", signal.SIGINT, 3, 4),
    ("backward", signal.SIGINT, 5, 6),
    ("before_optimizer_step", signal.SIGTERM, 7, 8),   # last step of epoch 1
    ("forward", signal.SIGTERM, 8, 9),                  # first step of epoch 2
    ("validation", signal.SIGINT, 0, 8),
    ("validation", signal.SIGTERM, 1, 16),
    ("epoch_end", signal.SIGINT, 1, 16),                # during ModelCheckpoint's saves
]


@pytest.mark.parametrize("where,signum,at,done", POINTS,
                         ids=[f"{w}-{signal.Signals(s).name}-{a}" for w, s, a, _ in POINTS])
def test_signal_inside_the_loop_resumes_bit_identical(data, reference, tmp_path, where, signum,
                                                      at, done):
    from glassnet.train import Callback, TrainingInterrupted

    class Hook(Callback):
        def on_after_backward(self, trainer):
            if where == "before_optimizer_step" and trainer.global_step == at:
                _kill_self(signum)

        def on_epoch_end(self, trainer, epoch, logs):
            if where == "epoch_end" and epoch == at:
                _kill_self(signum)

    # the epoch-end signal arrives before ModelCheckpoint writes: it is deferred until
    # both checkpoints and the metric rows are written
    cbs = [Hook()]
    t = job.build(data, tmp_path, cbs)
    if where == "epoch_end":
        t.callbacks.insert(0, t.callbacks.pop())
    if where == "forward":
        t.model[1].register_forward_hook(_AtStep(t, at, signum))
    if where == "backward":
        t.model[1].register_full_backward_hook(_AtStep(t, at, signum))
    if where == "validation":
        val_batches = []

        def in_validation(module, args, output):
            if not module.training and t.epoch == at:
                val_batches.append(1)
                if len(val_batches) == 2:  # in the middle of validation
                    _kill_self(signum)

        t.model[1].register_forward_hook(in_validation)
    with pytest.raises(TrainingInterrupted, match=signal.Signals(signum).name) as info:
        t.fit(job.EPOCHS)
    assert info.value.signal == signum
    assert info.value.path == os.path.join(str(tmp_path), "interrupted.ckpt")
    assert t.global_step == done  # the step in progress was finished, no other started
    _assert_same(_resume(data, tmp_path, info.value.path), reference)


def test_second_ctrl_c_stops_inside_the_step_and_last_ckpt_resumes(data, reference, tmp_path):
    from glassnet.train import TrainingInterrupted

    t = job.build(data, tmp_path)
    t.model[1].register_forward_hook(_AtStep(t, 12, signal.SIGINT, times=2))
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(TrainingInterrupted, match="inside a step; no checkpoint") as info:
        t.fit(job.EPOCHS)
    assert info.value.path is None and not (tmp_path / "interrupted.ckpt").exists()
    assert t.global_step == 12  # step 12 was abandoned half-way
    # the handlers are gone once fit returns: Ctrl-C is a KeyboardInterrupt again
    assert signal.getsignal(signal.SIGINT) is before
    _assert_same(_resume(data, tmp_path, tmp_path / "last.ckpt"), reference)


def test_killed_between_the_metric_row_and_the_checkpoint_no_row_is_duplicated(
        data, reference, tmp_path):
    from glassnet.train import Callback

    class Die(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            if epoch == 1:
                raise SystemExit  # as a SIGKILL: after MetricLogger, before ModelCheckpoint

    t = job.build(data, tmp_path)
    t.callbacks.insert(1, Die())
    with pytest.raises(SystemExit):
        t.fit(job.EPOCHS)
    assert (tmp_path / "metrics.jsonl").read_text().count("\n") == 2  # epoch 2's row is in
    # last.ckpt holds epoch 1 only: epoch 2 runs again and its row is written once
    _assert_same(_resume(data, tmp_path, tmp_path / "last.ckpt"), reference)


def _run_child(data, out, signum, after_step, delay):
    """Start the job in a child process, send ``signum`` ``delay`` seconds after it
    reports ``after_step``; return its exit code."""
    proc = subprocess.Popen([sys.executable, str(HERE / "_resume_job.py"), str(data), str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONHASHSEED": "0"})
    try:
        for line in proc.stdout:
            if line.strip() == f"step {after_step}":
                break
        import time

        time.sleep(delay)
        proc.send_signal(signum)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode


# (signal, sent after the child printed this step, extra delay drawn from a seeded RNG)
_rng = np.random.default_rng(12)
CHILD_POINTS = [(signal.SIGINT, 3), (signal.SIGTERM, 10), (signal.SIGKILL, 6),
                (signal.SIGKILL, 8), (signal.SIGKILL, 17)]
CHILD_POINTS = [(s, k, float(_rng.uniform(0, 0.01))) for s, k in CHILD_POINTS]


@pytest.mark.parametrize("signum,after_step,delay", CHILD_POINTS,
                         ids=[f"{signal.Signals(s).name}-after-step-{k}"
                              for s, k, _ in CHILD_POINTS])
def test_signal_from_another_process_resumes_bit_identical(data, reference, tmp_path, signum,
                                                           after_step, delay):
    rc = _run_child(data, tmp_path, signum, after_step, delay)
    if signum == signal.SIGKILL:
        assert rc == -signal.SIGKILL
        last = tmp_path / "last.ckpt"
        ckpt = last if last.exists() else None  # killed in epoch 1: start again
    else:
        assert rc == 128 + signum  # the job's exit code after TrainingInterrupted
        ckpt = tmp_path / "interrupted.ckpt"
        assert ckpt.exists()
    _assert_same(_resume(data, tmp_path, ckpt), reference)


def test_cli_train_saves_and_exits_143_on_sigterm(tmp_path):
    """``glassnet train`` under SIGTERM (a scheduler's stop): one line, exit 128 + 15, and
    a checkpoint that holds the steps taken."""
    import glassnet as gn

    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "glassnet", "train", "--epochs", "4", "--batch-size", "8",
         "--max-steps", "600", "--no-progress", "--out", str(out)],
        cwd=str(HERE.parents[1]), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        for line in proc.stdout:
            if line.startswith("training "):  # printed just before Trainer.fit
                break
        import time

        time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines[-1].startswith("training interrupted (SIGTERM); checkpoint saved to ")
    assert lines[-1].endswith(f"--resume {out / 'interrupted.ckpt'}")
    state = gn.load(str(out / "interrupted.ckpt"))
    steps = int(state["global_step"])
    assert 0 < steps < 600, steps
    assert int(state["epoch"]) * 162 + int(state["batch_in_epoch"]) == steps  # 162 per epoch
