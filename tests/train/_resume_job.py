"""A tiny training job on scikit-learn's digits for the interruption tests: built the same
way in the test process (the uninterrupted reference, the resumed runs) and in a child
process run as ``python _resume_job.py DATA.npz OUT_DIR`` (which prints ``step N`` after
every optimizer step, so that the parent can signal it while it trains).

The model has batch norm (running statistics change in every training forward) and
dropout (draws from the default generator); the loader shuffles with its own generator;
the scheduler steps per optimizer step: every piece of state a resume must restore.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402

EPOCHS = 3
BATCH = 32  # 256 training images: 8 steps per epoch, 24 in all
TIMING_KEYS = ("train_time_s", "train_img_per_s", "data_time_fraction")


def save_digits(path) -> None:
    """The first 320 digits (256 train, 64 validation) as float32 NCHW in ``path``."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images[:320] / 16.0).astype(np.float32)[:, None]
    np.savez(path, x=x, y=d.target[:320].astype(np.int64))


def build(data_path, out_dir, extra_callbacks=()):
    import glassnet as gn
    from glassnet import nn, optim
    from glassnet.optim import lr_scheduler
    from glassnet.train import MetricLogger, ModelCheckpoint, Trainer
    from glassnet.utils.data import DataLoader, TensorDataset

    with np.load(data_path) as f:
        x, y = f["x"], f["y"]
    gn.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.25), nn.Linear(64, 10))
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    train = DataLoader(TensorDataset(gn.tensor(x[:256]), gn.tensor(y[:256])),
                       batch_size=BATCH, shuffle=True, generator=np.random.default_rng(0))
    val = DataLoader(TensorDataset(gn.tensor(x[256:]), gn.tensor(y[256:])), batch_size=16)
    callbacks = [MetricLogger(out_dir), ModelCheckpoint(out_dir, monitor="val_accuracy"),
                 *extra_callbacks]
    return Trainer(model, opt, train, val, scheduler=sched, scheduler_interval="step",
                   callbacks=callbacks, progress=False, out_dir=out_dir)


def outcome(trainer, out_dir) -> dict:
    """What must be bit-identical: every tensor of the state dict (BN running statistics
    included), the step count, and the metric rows (both files) without the timings."""
    import csv
    import json

    jsonl = [json.loads(line) for line in open(Path(out_dir) / "metrics.jsonl")]
    with open(Path(out_dir) / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return {"weights": {k: v.numpy().copy() for k, v in trainer.model.state_dict().items()},
            "global_step": trainer.global_step,
            "jsonl": [{k: v for k, v in r.items() if k not in TIMING_KEYS} for r in jsonl],
            "csv": [{k: v for k, v in r.items() if k not in TIMING_KEYS} for r in rows]}


def main(argv) -> int:
    from glassnet.train import Callback, TrainingInterrupted

    class PrintSteps(Callback):
        def on_batch_end(self, trainer, step, logs):
            print(f"step {step}", flush=True)

    data, out = argv
    trainer = build(data, out, [PrintSteps()])
    try:
        trainer.fit(EPOCHS)
    except TrainingInterrupted as e:
        print(f"interrupted {e.path}", flush=True)
        return 128 + e.signal
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
