"""Trainer callbacks: early stopping, checkpoints (best and last), metric logging,
activation and gradient statistics, TensorBoard event files.

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

import numpy as np

__all__ = ["Callback", "EarlyStopping", "ModelCheckpoint", "MetricLogger", "StatsLogger",
           "TensorBoardLogger"]


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
        # NOTE: best before last: killed between the two, the resumed run (from the
        # previous last.ckpt) repeats this epoch and writes best.ckpt again; the other
        # order would resume believing best.ckpt holds this epoch when it does not.
        if self.save_best and improved:
            trainer.save_checkpoint(self.best_path)
        if self.save_last:
            trainer.save_checkpoint(self.last_path)

    def state_dict(self):
        return {"best": self.best}

    def load_state_dict(self, state):
        self.best = state.get("best")


class MetricLogger(Callback):
    """Append each epoch's logs to ``metrics.jsonl`` and ``metrics.csv`` in ``dirpath``.

    At the start of training, files already in ``dirpath`` are rewritten (atomically)
    from the trainer's history: a run resumed from a checkpoint keeps the rows of the
    epochs in it and drops any written after it (a process killed between the row and the
    checkpoint would otherwise repeat that epoch's row); a fresh run empties them.  A run
    resumed into a new directory writes the rows of its own epochs only.
    """

    def __init__(self, dirpath):
        self.dirpath = str(dirpath)
        self.jsonl = os.path.join(self.dirpath, "metrics.jsonl")
        self.csv = os.path.join(self.dirpath, "metrics.csv")

    @staticmethod
    def _row(epoch, logs):
        return {"epoch": epoch + 1, **{k: _plain(v) for k, v in logs.items()}}

    def on_train_begin(self, trainer):
        rows = [self._row(i, logs) for i, logs in enumerate(trainer.history)]
        for path, write in ((self.jsonl, _write_jsonl), (self.csv, _write_csv)):
            if not os.path.exists(path):
                continue
            tmp = f"{path}.{os.getpid()}.tmp"
            with open(tmp, "w", newline="", encoding="utf-8") as f:
                write(f, rows, header=True)
            os.replace(tmp, path)

    def on_epoch_end(self, trainer, epoch, logs):
        os.makedirs(self.dirpath, exist_ok=True)
        row = self._row(epoch, logs)
        with open(self.jsonl, "a", encoding="utf-8") as f:
            _write_jsonl(f, [row])
        new = not os.path.exists(self.csv) or os.path.getsize(self.csv) == 0
        with open(self.csv, "a", newline="", encoding="utf-8") as f:
            _write_csv(f, [row], header=new)


def _write_jsonl(f, rows, header=False):
    for row in rows:
        f.write(json.dumps(row) + "\n")


def _write_csv(f, rows, header):
    for i, row in enumerate(rows):
        writer = csv.DictWriter(f, fieldnames=list(row))
        if header and i == 0:
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
        from glassnet.inspect import GradientStats

        self.gradients = GradientStats(trainer.model)
        self.probe = _probe_batch(self.probe, trainer)

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
        os.makedirs(self.dirpath, exist_ok=True)
        stem = os.path.join(self.dirpath, f"epoch_{epoch + 1:03d}")
        grads = self.gradients.to_dict()
        grads["epoch"] = epoch + 1
        grads["layer_mean_grad_norm"] = self.gradients.layer_means("layer_grad_norm")
        grads["layer_mean_update_ratio"] = self.gradients.layer_means("layer_update_ratio")
        grads = {k: ({n: _plain(v) for n, v in d.items()} if k.startswith("layer_mean")
                     else d) for k, d in grads.items()}
        self._write_json(stem + "_gradients.json", grads)
        acts = _probe_activations(trainer.model, self.probe)
        if acts is not None:
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


def _probe_batch(probe, trainer):
    """The probe inputs: a tensor as given, else the first batch of ``probe`` or of the
    trainer's validation loader (None without either), drawn without moving the RNG."""
    from glassnet.backend import get_rng_state, set_rng_state

    if probe is None:
        probe = trainer.val_loader
    if probe is not None and not hasattr(probe, "_data"):
        state = get_rng_state()  # a loader draws its epoch seed from the default RNG
        try:
            probe = next(iter(probe))[0]
        finally:
            set_rng_state(state)
    if probe is not None and getattr(trainer, "device", None) is not None:
        probe = probe.to(trainer.device)  # where the model is (glassnet train --device)
    return probe


def _probe_activations(model, probe):
    """:class:`~glassnet.inspect.ActivationStats` of one eval-mode forward pass over
    ``probe`` (no gradients, the RNG and the train/eval mode left as found); None
    without a probe."""
    from glassnet.autograd import no_grad
    from glassnet.backend import get_rng_state, set_rng_state
    from glassnet.inspect import ActivationStats

    if probe is None:
        return None
    was_training = model.training
    model.eval()
    state = get_rng_state()
    try:
        with ActivationStats(model) as acts, no_grad():
            model(probe)
    finally:
        set_rng_state(state)
        model.train(was_training)
    return acts


class TensorBoardLogger(Callback):
    """Training curves and statistics as TensorBoard event files in ``log_dir``
    (``tensorboard --logdir DIR``); needs the optional ``tensorboard`` package.

    Written, with the tags:

    * every ``log_every_n_steps`` optimizer steps, at the global step: ``step/loss``
      (the batch loss) and ``step/lr``;
    * every epoch, at the global step of its last step (one step axis for every tag, as
      Lightning does): ``epoch/epoch`` (1, 2, ...) and ``epoch/<key>`` for every number
      of the epoch logs (``train_loss``, ``train_accuracy``, ``val_loss``,
      ``val_accuracy``, ``lr``, ``train_img_per_s`` ...);
    * every epoch, the gradient statistics of the steps recorded every
      ``stats_every_n_steps`` (before clipping, as :class:`StatsLogger`):
      ``gradients/<layer>/norm`` (mean gradient norm of the layer's parameters) and
      ``gradients/<layer>/update_ratio`` (``||update|| / ||weight||``), and
      ``step/grad_norm`` (the total norm) at each recorded step;
    * every epoch, from one eval-mode pass over the probe batch: the histogram
      ``activations/<layer>`` of each layer's output (40 equal bins) and the scalars
      ``activations/<layer>/mean``, ``.../std`` and ``.../zero_fraction``;
      and the histogram ``weights/<parameter>`` of every parameter;
    * at the end, the run's hyper-parameters (``hparams``, default the trainer's
      ``meta['config']``) with the last epoch's ``hparam/<key>`` metrics, in the
      sub-run ``hparams`` (TensorBoard's HPARAMS tab).

    A resumed run (``global_step > 0`` at the start) passes ``purge_step=global_step + 1``
    so that TensorBoard hides the events the earlier run wrote after its checkpoint.

    Parameters
    ----------
    log_dir : str or Path
    probe : Tensor or DataLoader, optional
        As :class:`StatsLogger`: default the validation loader's first batch.
    log_every_n_steps, stats_every_n_steps : int
    hparams : dict, optional
    """

    def __init__(self, log_dir, probe=None, log_every_n_steps: int = 1,
                 stats_every_n_steps: int = 10, hparams: dict | None = None):
        for name, v in (("log_every_n_steps", log_every_n_steps),
                        ("stats_every_n_steps", stats_every_n_steps)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"TensorBoardLogger: {name} must be a positive int, got "
                                 f"{v!r}")
        if hparams is not None and not isinstance(hparams, dict):
            raise TypeError(f"TensorBoardLogger: hparams must be a dict or None, got "
                            f"{type(hparams).__name__}")
        from glassnet.utils.tensorboard import SummaryWriter  # ImportError names the extra

        self._writer_cls = SummaryWriter
        self.log_dir, self.probe = str(log_dir), probe
        self.log_every_n_steps, self.stats_every_n_steps = log_every_n_steps, stats_every_n_steps
        self.hparams = hparams
        self.writer = None
        self.gradients = None
        self._recording = False

    def on_train_begin(self, trainer):
        from glassnet.inspect import GradientStats

        # the checkpoint's steps are logged; events after them came from a lost run
        purge = trainer.global_step + 1 if trainer.global_step > 0 else None
        self.writer = self._writer_cls(self.log_dir, purge_step=purge, flush_secs=10)
        self.gradients = GradientStats(trainer.model)
        self.probe = _probe_batch(self.probe, trainer)

    def on_epoch_begin(self, trainer, epoch):
        self.gradients.reset()

    def on_after_backward(self, trainer):
        self._recording = trainer.global_step % self.stats_every_n_steps == 0
        if self._recording:
            rec = self.gradients.record_gradients(step=trainer.global_step)
            if math.isfinite(rec["total_grad_norm"]):
                # the step this gradient belongs to, counted like step/loss (1-based)
                self.writer.add_scalar("step/grad_norm", rec["total_grad_norm"],
                                       trainer.global_step + 1)

    def on_batch_end(self, trainer, step, logs):
        if self._recording:
            self.gradients.record_update()
            self._recording = False
        if step % self.log_every_n_steps == 0:
            self.writer.add_scalar("step/loss", logs["loss"], step)
            self.writer.add_scalar("step/lr", trainer.optimizer.param_groups[0]["lr"], step)

    def on_epoch_end(self, trainer, epoch, logs):
        w, at = self.writer, trainer.global_step
        w.add_scalar("epoch/epoch", epoch + 1, at)
        for k, v in logs.items():
            v = _plain(v)
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v is not None:
                w.add_scalar(f"epoch/{k}", v, at)
        for key, name in (("layer_grad_norm", "norm"), ("layer_update_ratio", "update_ratio")):
            for layer, v in self.gradients.layer_means(key).items():
                if math.isfinite(v):
                    w.add_scalar(f"gradients/{layer}/{name}", v, at)
        acts = _probe_activations(trainer.model, self.probe)
        for layer, s in (acts.to_dict() if acts is not None else {}).items():
            counts = s["histogram"]["counts"]
            if s["mean"] is None or not sum(counts):
                continue
            n = float(sum(counts))
            # TensorBoard buckets hold upper edges; an empty first bucket keeps the left one
            w.add_histogram_raw(f"activations/{layer}", min=s["min"], max=s["max"], num=n,
                                sum=s["mean"] * n, sum_squares=(s["std"] ** 2 + s["mean"] ** 2)
                                * n, bucket_limits=s["histogram"]["edges"],
                                bucket_counts=[0] + counts, global_step=at)
            for k in ("mean", "std", "zero_fraction"):
                w.add_scalar(f"activations/{layer}/{k}", s[k], at)
        for name, p in trainer.model.named_parameters():
            data = p._data
            if data.size and bool(np.isfinite(data).all()):
                w.add_histogram(f"weights/{name}", data, at)
        w.flush()

    def on_train_end(self, trainer, logs):
        if self.writer is None:
            return
        hp = self.hparams if self.hparams is not None else trainer.meta.get("config", {})
        hp = {k: v for k, v in hp.items() if isinstance(v, (bool, int, float, str))}
        metrics = {f"hparam/{k}": _plain(v) for k, v in logs.items()
                   if k in ("train_loss", "train_accuracy", "val_loss", "val_accuracy")
                   and _plain(v) is not None}
        if hp and metrics:
            self.writer.add_hparams(hp, metrics, run_name="hparams",
                                    global_step=trainer.global_step)
        self.writer.close()
        self.writer = None


def _plain(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v
