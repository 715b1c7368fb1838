"""Trainer callbacks: early stopping, checkpoints (best and last), metric logging.

A callback overrides any of ``on_train_begin(trainer)``, ``on_epoch_begin(trainer,
epoch)``, ``on_batch_end(trainer, step, logs)``, ``on_epoch_end(trainer, epoch, logs)``
and ``on_train_end(trainer, logs)``.  ``logs`` holds the epoch's metrics with ``train_``
and ``val_`` prefixes (``val_loss``, ``val_accuracy`` ...).  A callback stops training by
setting ``trainer.should_stop = True``.
"""
from __future__ import annotations

import csv
import json
import math
import os

__all__ = ["Callback", "EarlyStopping", "ModelCheckpoint", "MetricLogger"]


class Callback:
    """Base class: every hook does nothing."""

    def on_train_begin(self, trainer) -> None:
        pass

    def on_epoch_begin(self, trainer, epoch: int) -> None:
        pass

    def on_batch_end(self, trainer, step: int, logs: dict) -> None:
        pass

    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None:
        pass

    def on_train_end(self, trainer, logs: dict) -> None:
        pass

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


def _improved(value, best, mode, min_delta):
    if best is None:
        return True
    if mode == "min":
        return value < best - min_delta
    return value > best + min_delta


def _check_mode(mode, fn):
    if mode not in ("min", "max"):
        raise ValueError(f"{fn}: mode must be 'min' or 'max', got {mode!r}")


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience``
    epochs (Keras/Lightning semantics).

    Parameters
    ----------
    monitor : str
        Key of the epoch logs, e.g. ``'val_loss'`` or ``'val_accuracy'``.
    patience : int
        Epochs without improvement tolerated before stopping.
    min_delta : float
        Minimum change that counts as an improvement.
    mode : {'min', 'max'}
        Whether lower or higher is better.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 mode: str = "min"):
        _check_mode(mode, "EarlyStopping")
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        if min_delta < 0:
            raise ValueError(f"EarlyStopping: min_delta must be >= 0, got {min_delta}")
        self.monitor, self.patience, self.min_delta, self.mode = monitor, patience, min_delta, mode
        self.best = None
        self.wait = 0
        self.stopped_epoch = None

    def on_epoch_end(self, trainer, epoch, logs):
        if self.monitor not in logs:
            raise KeyError(f"EarlyStopping: monitored metric {self.monitor!r} not in logs "
                           f"(available: {', '.join(sorted(logs))})")
        value = logs[self.monitor]
        if _improved(value, self.best, self.mode, self.min_delta):
            self.best = value
            self.wait = 0
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                trainer.should_stop = True

    def state_dict(self):
        return {"best": self.best, "wait": self.wait}

    def load_state_dict(self, state):
        self.best, self.wait = state.get("best"), int(state.get("wait", 0))


class ModelCheckpoint(Callback):
    """Write ``last.ckpt`` after every epoch and ``best.ckpt`` when ``monitor`` improves.

    Checkpoints are full training states (see :meth:`Trainer.save_checkpoint`), written
    atomically.
    """

    def __init__(self, dirpath, monitor: str = "val_accuracy", mode: str = "max",
                 save_last: bool = True, save_best: bool = True):
        _check_mode(mode, "ModelCheckpoint")
        self.dirpath, self.monitor, self.mode = str(dirpath), monitor, mode
        self.save_last, self.save_best = save_last, save_best
        self.best = None
        self.best_path = os.path.join(self.dirpath, "best.ckpt")
        self.last_path = os.path.join(self.dirpath, "last.ckpt")

    def on_epoch_end(self, trainer, epoch, logs):
        os.makedirs(self.dirpath, exist_ok=True)
        value = logs.get(self.monitor)
        improved = value is not None and _improved(value, self.best, self.mode, 0.0)
        if improved:
            self.best = value
        if self.save_last:
            trainer.save_checkpoint(self.last_path)
        if self.save_best and improved:
            trainer.save_checkpoint(self.best_path)

    def state_dict(self):
        return {"best": self.best}

    def load_state_dict(self, state):
        self.best = state.get("best")


class MetricLogger(Callback):
    """Append each epoch's logs to ``metrics.jsonl`` and ``metrics.csv`` in ``dirpath``."""

    def __init__(self, dirpath):
        self.dirpath = str(dirpath)
        self.jsonl = os.path.join(self.dirpath, "metrics.jsonl")
        self.csv = os.path.join(self.dirpath, "metrics.csv")

    def on_epoch_end(self, trainer, epoch, logs):
        os.makedirs(self.dirpath, exist_ok=True)
        row = {"epoch": epoch + 1, **{k: _plain(v) for k, v in logs.items()}}
        with open(self.jsonl, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
        new = not os.path.exists(self.csv)
        with open(self.csv, "a", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(row))
            if new:
                writer.writeheader()
            writer.writerow(row)


def _plain(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v
