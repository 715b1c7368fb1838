"""The base class of the learning-rate schedulers, ``LRScheduler`` (torch's), and the
helpers the scheduler families share (:mod:`glassnet.optim.lr_scheduler` and
:mod:`glassnet.optim._lr_cyclic`)."""
from __future__ import annotations

from glassnet.optim.optimizer import Optimizer

__all__ = ["LRScheduler"]


def _format_param(name: str, optimizer: Optimizer, param) -> list:
    """One value per param group from a scalar or a list (checked for length)."""
    if isinstance(param, (list, tuple)):
        if len(param) != len(optimizer.param_groups):
            raise ValueError(f"{name} must have one value per param group "
                             f"({len(optimizer.param_groups)}), got {len(param)}")
        return list(param)
    return [param] * len(optimizer.param_groups)


def _group_values(optimizer: Optimizer, key: str) -> list:
    return [group[key] for group in optimizer.param_groups]


def _check_optimizer(fn: str, optimizer) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{fn}: optimizer must be an Optimizer, got "
                        f"{type(optimizer).__name__}")


class LRScheduler:
    """Base class of the schedulers.

    Subclasses implement :meth:`get_lr`, the lrs for epoch ``last_epoch``, usually from
    the current ``group['lr']`` (recursive form); some also give
    ``_get_closed_form_lr`` (from ``base_lrs``), used by ``step(epoch)``.

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer whose learning rates are scheduled.
    last_epoch : int
        Index of the last epoch; -1 (default) starts a new schedule and stores each
        group's lr as ``group['initial_lr']``.  Other values resume a schedule and need
        ``initial_lr`` in every group.

    Attributes
    ----------
    base_lrs : list of float
        ``group['initial_lr']`` of each group.
    last_epoch : int
        Number of steps taken (0 after construction).
    """

    _is_initial = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        _check_optimizer(type(self).__name__, optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"{type(self).__name__}: param 'initial_lr' is not "
                                   f"specified in param_groups[{i}] when resuming a "
                                   f"schedule with last_epoch={last_epoch}")
        self.base_lrs = _group_values(optimizer, "initial_lr")
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """Reset the step count and take the initial step (to epoch ``last_epoch + 1``)."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list:
        """The learning rates for epoch ``last_epoch`` (called by :meth:`step`)."""
        raise NotImplementedError

    def get_last_lr(self) -> list:
        """The learning rates set by the latest step, one per param group."""
        return self._last_lr

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch, or jump to ``epoch`` (closed form where available)."""
        self._step_count += 1
        self._update_lr(epoch)

    def _update_lr(self, epoch=None) -> None:
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            if hasattr(self, "_get_closed_form_lr"):
                values = self._get_closed_form_lr()
            else:
                values = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = _group_values(self.optimizer, "lr")

    def state_dict(self) -> dict:
        """Every attribute except the optimizer (plain values, safe to serialise)."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore attributes from :meth:`state_dict`."""
        self.__dict__.update(state_dict)
