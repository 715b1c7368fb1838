"""The training loop: train/validation phases, metrics, callbacks, LR scheduling,
gradient clipping, a progress bar, Ctrl-C handling and exact resume.

Exact resume
------------
A checkpoint (:meth:`Trainer.save_checkpoint`) holds the model, optimizer and scheduler
state dicts, the default random generator's state, the training loader's position
(its epoch order and the number of batches already consumed), the epoch, the global
step and the callbacks' states.  :meth:`Trainer.load_checkpoint` restores all of them,
so that a run interrupted mid-epoch and resumed reaches bit-identical weights to an
uninterrupted run with the same seed (``tests/train/test_trainer.py`` checks this).

Interruptions
-------------
While :meth:`Trainer.fit` runs in the main thread, SIGINT (Ctrl-C) and SIGTERM are
deferred: the step in progress finishes (forward, backward, optimizer step, callbacks),
then ``out_dir/interrupted.ckpt`` is written and :class:`TrainingInterrupted` raised, as
Lightning checkpoints on SIGTERM.  A signal during validation abandons it at once (it
changes no state) and the checkpoint, taken as it was before validation began, makes the
resumed run validate that epoch again without training it again.  A second Ctrl-C
interrupts at once; inside a step that leaves no exact state, so no checkpoint is written
then.  After SIGKILL, ``last.ckpt`` (written atomically after each epoch) resumes exactly
and :class:`~glassnet.train.MetricLogger` rewrites its files from the checkpoint's
history, so no epoch row is duplicated (``tests/train/test_interrupt_resume.py``).
"""
from __future__ import annotations

import math
import os
import signal
import sys
import threading
import time

import numpy as np

from glassnet.autograd import no_grad
from glassnet.backend import get_rng_state, set_rng_state, to_host
from glassnet.train.callbacks import Callback
from glassnet.train.metrics import MetricAccumulator

__all__ = ["Trainer", "TrainingInterrupted", "evaluate"]


def evaluate(model, loader, loss_fn=None, num_classes: int | None = None,
             topk: int | None = None, device=None) -> tuple:
    """Loss and metrics of ``model`` on ``loader`` in eval mode, without gradients.

    Returns
    -------
    (dict, ndarray)
        The metrics (loss, accuracy, macro precision/recall/F1, top-k) and the confusion
        matrix.
    """
    if loss_fn is None:
        from glassnet.nn import functional as F

        loss_fn = F.cross_entropy
    was_training = model.training
    model.eval()
    acc = MetricAccumulator(num_classes, topk)
    with no_grad():
        for inputs, targets in loader:
            inputs, targets = _to(inputs, device), _to(targets, device)
            logits = model(inputs)
            acc.update(loss_fn(logits, targets).item(), to_host(logits._data),
                       to_host(targets._data))
    model.train(was_training)
    return acc.compute(), acc.confusion_matrix()


def _is_ddp(model) -> bool:
    return type(model).__name__ == "DistributedDataParallel"


def _unwrap(model):
    """The replica inside DistributedDataParallel: checkpoints keep the plain keys, so a
    distributed run resumes a single-process checkpoint and vice versa."""
    return model.module if _is_ddp(model) else model


def _own_batches(loader, state: dict, epoch: int) -> dict:
    """Loader state for this rank: the checkpoint (written by rank 0) holds rank 0's index
    lists; a DistributedSampler rebuilds this rank's from the seed and the epoch."""
    sampler = getattr(loader, "sampler", None)
    if state.get("batches") is None or not hasattr(sampler, "set_epoch") \
            or getattr(loader, "batch_sampler", None) is None:
        return state
    sampler.set_epoch(epoch)
    return dict(state, batches=[list(b) for b in loader.batch_sampler])


def _group_rate(model, seen: int, seconds: float) -> float:
    """Samples per second of the whole group: all ranks' samples over the slowest rank."""
    import glassnet.distributed as dist
    from glassnet.tensor import Tensor

    totals = Tensor._wrap(np.array([float(seen)]))
    slowest = Tensor._wrap(np.array([float(seconds)]))
    dist.all_reduce(totals, group=model.process_group)
    dist.all_reduce(slowest, op=dist.ReduceOp.MAX, group=model.process_group)
    return float(totals._data[0] / max(slowest._data[0], 1e-9))


class TrainingInterrupted(Exception):
    """Raised by :meth:`Trainer.fit` after Ctrl-C or SIGTERM once the checkpoint has been
    written (``path``; None when a second Ctrl-C stopped a step half-way, which leaves no
    exact state to save).  ``signal`` is the signal number, None for a KeyboardInterrupt
    raised by code."""

    def __init__(self, path, signum=None):
        name = signal.Signals(signum).name if signum is not None else "KeyboardInterrupt"
        if path is None:
            msg = (f"training interrupted ({name}) inside a step; no checkpoint written (the "
                   f"last one written, if any, resumes exactly)")
        else:
            msg = f"training interrupted ({name}); checkpoint saved to {path}"
        super().__init__(msg)
        self.path, self.signal = path, signum


class _StopValidation(Exception):
    """Raised by the signal handler to abandon validation (which changes no state)."""


class TrainingDiverged(FloatingPointError):
    """Raised by :meth:`Trainer.fit` when the loss becomes non-finite or explodes (more
    than ``divergence_factor`` times the first loss); the optimizer step that would have
    used it is not taken, and checkpoints written so far are left as they were."""

    def __init__(self, loss, step, reason):
        super().__init__(f"training diverged at step {step}: the loss {reason}; lower the "
                         f"learning rate or clip gradients (--clip-grad-norm)")
        self.loss, self.step = loss, step


class Trainer:
    """Fit a classifier with a PyTorch-style model, optimizer and data loaders.

    Parameters
    ----------
    model : Module
        Maps a batch ``(N, ...)`` to logits ``(N, K)``.
    optimizer : Optimizer
    train_loader, val_loader : DataLoader
        Yield ``(inputs, targets)`` batches; ``val_loader`` is optional.
    loss_fn : callable, optional
        ``loss_fn(logits, targets) -> scalar Tensor``; default cross-entropy.
    scheduler : LRScheduler or ReduceLROnPlateau, optional
    scheduler_interval : {'epoch', 'step'}
        Step the scheduler after each epoch or after each optimizer step.
        ``ReduceLROnPlateau`` is stepped per epoch with ``scheduler_monitor``.
    clip_grad_norm : float, optional
        Clip the global gradient L2 norm before each step.
    callbacks : list of Callback
    topk : int, optional
        Also report top-k accuracy.
    progress : bool
        Show a rich progress bar with loss, accuracy, img/s and ETA.
    divergence_factor : float or None
        Stop with :class:`TrainingDiverged` when a training loss exceeds this many times
        the first one (default 1e4; None: only non-finite losses stop training).
    device : str or glassnet.device, optional
        Where each batch is moved before the step (the model must be there already,
        ``model.to(device)``); None: batches are used where the loader puts them.
    meta : dict, optional
        Extra JSON-serialisable information stored in every checkpoint (model name,
        dataset, class names...).
    """

    def __init__(self, model, optimizer, train_loader, val_loader=None, loss_fn=None,
                 scheduler=None, scheduler_interval: str = "epoch",
                 scheduler_monitor: str = "val_loss", clip_grad_norm: float | None = None,
                 callbacks=(), topk: int | None = None, num_classes: int | None = None,
                 progress: bool = True, meta: dict | None = None, out_dir=None,
                 max_steps: int | None = None, divergence_factor: float | None = 1e4,
                 device=None):
        if scheduler_interval not in ("epoch", "step"):
            raise ValueError(f"Trainer: scheduler_interval must be 'epoch' or 'step', got "
                             f"{scheduler_interval!r}")
        if divergence_factor is not None and not divergence_factor > 1:
            raise ValueError(f"Trainer: divergence_factor must be > 1 or None, got "
                             f"{divergence_factor!r}")
        self.divergence_factor = divergence_factor
        self.device = device
        self._first_loss = None
        if clip_grad_norm is not None and not clip_grad_norm > 0:
            raise ValueError(f"Trainer: clip_grad_norm must be > 0, got {clip_grad_norm}")
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"Trainer: callbacks must be Callback instances, got "
                                f"{type(cb).__name__}")
        if loss_fn is None:
            from glassnet.nn import functional as F

            loss_fn = F.cross_entropy
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self.train_loader, self.val_loader = train_loader, val_loader
        self.scheduler, self.scheduler_interval = scheduler, scheduler_interval
        self.scheduler_monitor = scheduler_monitor
        self.clip_grad_norm = clip_grad_norm
        self.callbacks = list(callbacks)
        self.topk, self.num_classes = topk, num_classes
        self.progress = progress
        self.meta = dict(meta or {})
        self.out_dir = None if out_dir is None else str(out_dir)
        self.max_steps = max_steps
        self.epoch = 0          # epochs completed
        self.global_step = 0    # optimizer steps taken
        self.batch_in_epoch = 0
        self.history: list = []
        self.should_stop = False
        self._accum = None

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        """Everything needed to resume training exactly."""
        state = {
            "model": _unwrap(self.model).state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "rng": get_rng_state(),
            "epoch": self.epoch,
            "global_step": self.global_step,
            "batch_in_epoch": self.batch_in_epoch,
            "history": self.history,
            "callbacks": [cb.state_dict() for cb in self.callbacks],
            "meta": self.meta,
            "first_loss": self._first_loss,
        }
        if self.scheduler is not None:
            state["scheduler"] = self.scheduler.state_dict()
        if hasattr(self.train_loader, "state_dict"):
            loader = self.train_loader.state_dict()
            if loader.get("batches") is not None:
                # NOTE: the loader counts a batch when it hands it out, before its step
                # runs; the position to resume from is the number of steps completed.
                loader["batches_yielded"] = self.batch_in_epoch
            state["train_loader"] = loader
        if self._accum is not None and self.batch_in_epoch:
            a = self._accum
            state["accumulator"] = {"loss_sum": a.loss_sum, "count": a.count,
                                    "correct": a.correct, "topk_hits": a.topk_hits,
                                    "preds": np.concatenate(a.preds) if a.preds else
                                    np.zeros(0, np.int64),
                                    "targets": np.concatenate(a.targets) if a.targets else
                                    np.zeros(0, np.int64)}
        return state

    def load_state_dict(self, state: dict) -> None:
        _unwrap(self.model).load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and "scheduler" in state:
            self.scheduler.load_state_dict(state["scheduler"])
        if "train_loader" in state and hasattr(self.train_loader, "load_state_dict"):
            self.train_loader.load_state_dict(_own_batches(self.train_loader,
                                                           state["train_loader"],
                                                           int(state["epoch"])))
        set_rng_state(state["rng"])
        self.epoch = int(state["epoch"])
        self.global_step = int(state["global_step"])
        self.batch_in_epoch = int(state.get("batch_in_epoch", 0))
        self.history = list(state.get("history", []))
        first = state.get("first_loss")
        self._first_loss = None if first is None else float(first)
        for cb, s in zip(self.callbacks, state.get("callbacks", [])):
            cb.load_state_dict(s)
        acc = state.get("accumulator")
        if acc is not None:
            self._accum = self._new_accumulator()
            self._accum.loss_sum = float(acc["loss_sum"])
            self._accum.count = int(acc["count"])
            self._accum.correct = int(acc["correct"])
            self._accum.topk_hits = int(acc["topk_hits"])
            self._accum.preds = [np.asarray(getattr(acc["preds"], "data", acc["preds"]))]
            self._accum.targets = [np.asarray(getattr(acc["targets"], "data", acc["targets"]))]

    def save_checkpoint(self, path) -> str:
        """Write the training state atomically (safetensors + JSON, no pickle)."""
        from glassnet.serialization import save

        d = os.path.dirname(os.path.abspath(str(path)))
        os.makedirs(d, exist_ok=True)
        save(self.state_dict(), str(path))
        return str(path)

    def load_checkpoint(self, path) -> None:
        from glassnet.serialization import load

        self.load_state_dict(load(str(path)))

    # ------------------------------------------------------------------ loops
    def _new_accumulator(self):
        return MetricAccumulator(self.num_classes, self.topk)

    def _train_step(self, inputs, targets):
        from glassnet.nn.utils import clip_grad_norm_

        self.optimizer.zero_grad()
        logits = self.model(inputs)
        loss = self.loss_fn(logits, targets)
        value = float(loss.item())
        if not math.isfinite(value):
            raise TrainingDiverged(value, self.global_step, f"became {value}")
        if self._first_loss is None:
            self._first_loss = max(abs(value), 1e-3)
        elif self.divergence_factor is not None \
                and abs(value) > self.divergence_factor * self._first_loss:
            raise TrainingDiverged(value, self.global_step,
                                   f"reached {value:.4g}, more than {self.divergence_factor:g} "
                                   f"times the first loss {self._first_loss:.4g}")
        loss.backward()
        for cb in self.callbacks:
            cb.on_after_backward(self)
        if self.clip_grad_norm is not None:
            clip_grad_norm_(self.model.parameters(), self.clip_grad_norm)
        self.optimizer.step()
        self.global_step += 1
        if self.scheduler is not None and self.scheduler_interval == "step":
            self.scheduler.step()
        return loss.item(), logits

    def evaluate(self, loader) -> tuple:
        """:func:`evaluate` with this trainer's model, loss and metric settings."""
        return evaluate(self.model, loader, self.loss_fn, self.num_classes, self.topk,
                        self.device)

    def fit(self, epochs: int) -> list:
        """Train until ``epochs`` epochs are complete (counting resumed ones).

        Returns the history: one dict of metrics per epoch.  On Ctrl-C or SIGTERM the
        step in progress finishes, a checkpoint is written to ``out_dir/interrupted.ckpt``
        and :class:`TrainingInterrupted` raised (see the module docstring).
        """
        if epochs < 1:
            raise ValueError(f"Trainer.fit: epochs must be >= 1, got {epochs}")
        for cb in self.callbacks:
            cb.on_train_begin(self)
        logs = {}
        bar = _Progress(self.progress)
        self._signal, self._phase, self._rng_before_val = None, "idle", None
        previous = self._install_signal_handlers()
        try:
            with bar:
                while self.epoch < epochs and not self.should_stop:
                    logs = self._run_epoch(bar, epochs)
                    self._check_signal()
                    if self.max_steps is not None and self.global_step >= self.max_steps:
                        break
        except _StopValidation:
            # validation changed nothing but the default RNG (a loader's epoch seed):
            # the checkpoint is the state before it began
            self.model.train()
            set_rng_state(self._rng_before_val)
            self._interrupted(self._signal)
        except KeyboardInterrupt:
            # raised by code or by a second Ctrl-C: exact only between steps or in
            # validation; a step or an epoch end stopped half-way is not saved
            if self._phase == "validate":
                self.model.train()
                set_rng_state(self._rng_before_val)
            elif self._phase != "idle":
                raise TrainingInterrupted(None, self._signal) from None
            self._interrupted(self._signal)
        finally:
            self._phase = "idle"
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        for cb in self.callbacks:
            cb.on_train_end(self, logs)
        return self.history

    def _install_signal_handlers(self) -> dict:
        """Defer SIGINT/SIGTERM to the end of the current step (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous = {}
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, self._on_signal)
        return previous

    def _on_signal(self, signum, frame):
        if self._signal == signal.SIGINT and signum == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C: stop now
        self._signal = signum
        if self._phase == "validate":
            raise _StopValidation

    def _check_signal(self) -> None:
        if self._signal is not None:
            self._interrupted(self._signal)

    def _interrupted(self, signum):
        self._phase = "saving"
        path = os.path.join(self.out_dir or ".", "interrupted.ckpt")
        self.save_checkpoint(path)
        raise TrainingInterrupted(path, signum) from None

    def _run_epoch(self, bar, epochs):
        epoch = self.epoch
        for cb in self.callbacks:
            cb.on_epoch_begin(self, epoch)
        self.model.train()
        sampler = getattr(self.train_loader, "sampler", None)
        if hasattr(sampler, "set_epoch"):  # DistributedSampler: this epoch's permutation
            sampler.set_epoch(epoch)
        if self.batch_in_epoch == 0 or self._accum is None:
            self._accum = self._new_accumulator()
        n_batches = len(self.train_loader)
        task = bar.start(f"epoch {epoch + 1}/{epochs}", n_batches, self.batch_in_epoch)
        t0, seen, data_time = time.perf_counter(), 0, 0.0
        # an epoch whose steps are all done (interrupted in validation) is not iterated:
        # a new iter() would draw the next epoch's order
        batches = iter(self.train_loader) if self.batch_in_epoch < n_batches else iter(())
        while True:
            self._check_signal()
            # Time spent waiting for the loader (reading, augmenting, collating) is kept
            # apart from the step, so every epoch reports the share of data loading.
            t_data = time.perf_counter()
            try:
                inputs, targets = next(batches)
            except StopIteration:
                break
            data_time += time.perf_counter() - t_data
            inputs, targets = _to(inputs, self.device), _to(targets, self.device)
            self._phase = "step"
            loss, logits = self._train_step(inputs, targets)
            self.batch_in_epoch += 1
            self._accum.update(loss, to_host(logits._data), to_host(targets._data))
            self._phase = "idle"  # the step is complete: a checkpoint now is exact
            seen += len(targets)
            rate = seen / max(time.perf_counter() - t0, 1e-9)
            m = self._accum
            bar.update(task, loss=m.loss_sum / m.count, acc=m.correct / m.count, rate=rate)
            for cb in self.callbacks:
                cb.on_batch_end(self, self.global_step, {"loss": loss})
            if self.max_steps is not None and self.global_step >= self.max_steps:
                return {}
        logs = {f"train_{k}": v for k, v in self._accum.compute().items()}
        logs["lr"] = self.optimizer.param_groups[0]["lr"]
        logs["train_time_s"] = time.perf_counter() - t0
        logs["train_img_per_s"] = seen / max(logs["train_time_s"], 1e-9)
        logs["data_time_fraction"] = data_time / max(logs["train_time_s"], 1e-9)
        if _is_ddp(self.model):
            logs["group_img_per_s"] = _group_rate(self.model, seen, logs["train_time_s"])
        if self.val_loader is not None:
            self._check_signal()
            self._rng_before_val = get_rng_state()
            self._phase = "validate"
            val, _ = self.evaluate(self.val_loader)
            self._phase = "epoch_end"
            logs.update({f"val_{k}": v for k, v in val.items()})
        self._phase = "epoch_end"
        if self.scheduler is not None and self.scheduler_interval == "epoch":
            if type(self.scheduler).__name__ == "ReduceLROnPlateau":
                self.scheduler.step(logs[self.scheduler_monitor])
            else:
                self.scheduler.step()
        self.epoch += 1
        self.batch_in_epoch = 0
        self._accum = None
        self.history.append(logs)
        bar.finish(task, logs)
        for cb in self.callbacks:
            cb.on_epoch_end(self, epoch, logs)
        self._phase = "idle"
        return logs


class _Progress:
    """A rich progress bar (loss, accuracy, img/s, ETA); plain lines when disabled or when
    rich is missing."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.progress = None
        if enabled:
            try:
                from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                           TimeRemainingColumn)

                self.progress = Progress(
                    TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("loss {task.fields[loss]:.4f}"),
                    TextColumn("acc {task.fields[acc]:.4f}"),
                    TextColumn("{task.fields[rate]:.0f} img/s"), TextColumn("ETA"),
                    TimeRemainingColumn(), transient=False)
            except ImportError:  # pragma: no cover - rich is an optional dependency
                self.progress = None

    def __enter__(self):
        if self.progress is not None:
            self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        if self.progress is not None:
            self.progress.__exit__(*exc)
        return False

    def start(self, desc, total, completed):
        if self.progress is None:
            return None
        return self.progress.add_task(desc, total=total, completed=completed, loss=float("nan"),
                                      acc=float("nan"), rate=0.0)

    def update(self, task, **fields):
        if self.progress is not None:
            self.progress.update(task, advance=1, **fields)

    def finish(self, task, logs):
        if not self.enabled:
            return
        parts = [f"{k}={v:.4f}" for k, v in logs.items()
                 if k in ("train_loss", "train_accuracy", "val_loss", "val_accuracy")]
        line = "  ".join(parts)
        if self.progress is not None:
            self.progress.console.print(f"  {line}")
        else:
            print(line, file=sys.stderr)


def _to(batch, device):
    """A batch tensor on the training device (unchanged when ``device`` is None)."""
    return batch if device is None else batch.to(device)
