"""Trainer callbacks: early stopping, checkpoints (best and last), metric logging,
activation and gradient statistics.

A callback overrides any of ``on_train_begin(trainer)``, ``on_epoch_begin(trainer,
epoch)``, ``on_after_backward(trainer)`` (gradients computed, before clipping and the
optimizer step), ``on_batch_end(trainer, step, logs)`` (after the step),
``on_epoch_end(trainer, epoch, logs)`` and ``on_train_end(trainer, logs)``.  ``logs``
holds the epoch's metrics with ``train_`` and ``val_`` prefixes (``val_loss``,
``val_accuracy`` ...).  A callback stops training by setting ``trainer.should_stop =
True``.
"""
from __future__ import annotations

import csv
import json
import math
import os

__all__ = ["Callback", "EarlyStopping", "ModelCheckpoint", "MetricLogger", "StatsLogger"]


class Callback:
    """Base class: every hook does nothing."""

    def on_train_begin(self, trainer) -> None:
        pass

    def on_epoch_begin(self, trainer, epoch: int) -> None:
        pass

    def on_after_backward(self, trainer) -> None:
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


class StatsLogger(Callback):
    """Activation and gradient statistics per epoch, as JSON and PNG files in ``dirpath``.

    Every ``every_n_steps`` optimizer steps, :class:`~glassnet.inspect.GradientStats`
    records the gradients (after backward, before any clipping) and the step's
    update/weight ratios. After each epoch, :class:`~glassnet.inspect.ActivationStats`
    measures one forward pass (eval mode, no gradients) over a fixed probe batch. Files:
    ``epoch_NNN_activations.{json,png}`` (histogram grid) and
    ``epoch_NNN_gradients.{json,png}`` (the epoch's records and the mean gradient norm
    and update ratio per layer against depth).

    Parameters
    ----------
    dirpath : str or Path
    probe : Tensor or DataLoader, optional
        Inputs ``(N, ...)`` for the activation statistics, or a loader whose first batch
        gives them; default the trainer's validation loader (no activation statistics
        without either). Drawing the probe and measuring leave the default random
        generator as they found it, so logging does not change the training run.
    every_n_steps : int
    plots : bool
        Also write the PNGs (needs matplotlib; skipped with a note when missing).
    """

    def __init__(self, dirpath, probe=None, every_n_steps: int = 10, plots: bool = True):
        if not isinstance(every_n_steps, int) or every_n_steps < 1:
            raise ValueError(f"StatsLogger: every_n_steps must be a positive int, got "
                             f"{every_n_steps!r}")
        self.dirpath, self.probe = str(dirpath), probe
        self.every_n_steps, self.plots = every_n_steps, plots
        self.gradients = None
        self._recording = False
        self.written: list = []

    def on_train_begin(self, trainer):
        from glassnet.backend import get_rng_state, set_rng_state
        from glassnet.inspect import GradientStats

        self.gradients = GradientStats(trainer.model)
        if self.probe is None:
            self.probe = trainer.val_loader
        if self.probe is not None and not hasattr(self.probe, "_data"):
            state = get_rng_state()  # a loader draws its epoch seed from the default RNG
            try:
                self.probe = next(iter(self.probe))[0]
            finally:
                set_rng_state(state)

    def on_epoch_begin(self, trainer, epoch):
        if self.gradients is not None:
            self.gradients.reset()

    def on_after_backward(self, trainer):
        # global_step counts the steps taken before this one
        self._recording = trainer.global_step % self.every_n_steps == 0
        if self._recording:
            self.gradients.record_gradients(step=trainer.global_step)

    def on_batch_end(self, trainer, step, logs):
        if self._recording:
            self.gradients.record_update()
            self._recording = False

    def on_epoch_end(self, trainer, epoch, logs):
        from glassnet.autograd import no_grad
        from glassnet.backend import get_rng_state, set_rng_state
        from glassnet.inspect import ActivationStats

        os.makedirs(self.dirpath, exist_ok=True)
        stem = os.path.join(self.dirpath, f"epoch_{epoch + 1:03d}")
        grads = self.gradients.to_dict()
        grads["epoch"] = epoch + 1
        grads["layer_mean_grad_norm"] = self.gradients.layer_means("layer_grad_norm")
        grads["layer_mean_update_ratio"] = self.gradients.layer_means("layer_update_ratio")
        grads = {k: ({n: _plain(v) for n, v in d.items()} if k.startswith("layer_mean")
                     else d) for k, d in grads.items()}
        self._write_json(stem + "_gradients.json", grads)
        acts = None
        if self.probe is not None:
            model = trainer.model
            was_training = model.training
            model.eval()
            state = get_rng_state()
            try:
                with ActivationStats(model) as acts, no_grad():
                    model(self.probe)
            finally:
                set_rng_state(state)
                model.train(was_training)
            self._write_json(stem + "_activations.json",
                             {"epoch": epoch + 1, "layers": acts.to_dict()})
        if self.plots:
            self._plot(stem, epoch, acts)

    def _write_json(self, path, doc):
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)
        os.replace(tmp, path)
        self.written.append(path)

    def _plot(self, stem, epoch, acts):
        try:
            from glassnet.inspect.plots import (_pyplot, plot_activation_histograms,
                                                plot_gradient_norms)

            plt = _pyplot()
        except ImportError as exc:  # matplotlib is optional (glassnet[all])
            print(f"StatsLogger: {exc}")
            self.plots = False
            return
        if acts is not None and acts.stats:
            self.written.append(plot_activation_histograms(
                acts, stem + "_activations.png", max_layers=20,
                title=f"Activations after epoch {epoch + 1} (probe batch, eval mode)"))
        if self.gradients.records:
            fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.2))
            plot_gradient_norms(self.gradients, ax=a, title=f"Gradient norm per layer, epoch "
                                f"{epoch + 1} (mean of {len(self.gradients.records)} steps)")
            plot_gradient_norms(self.gradients, ax=b, key="layer_update_ratio",
                                ylabel="||update|| / ||weight||",
                                title="Update / weight ratio per layer")
            fig.tight_layout()
            fig.savefig(stem + "_gradients.png", dpi=100)
            plt.close(fig)
            self.written.append(stem + "_gradients.png")


def _plain(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v
