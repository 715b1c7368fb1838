"""Learning-rate schedulers with ``torch.optim.lr_scheduler``'s names and semantics.

A scheduler rewrites ``group['lr']`` of each of its optimizer's param groups.  Like
PyTorch, construction performs an initial step (epoch 0), ``step()`` is called once per
epoch (or iteration) after ``optimizer.step()``, and most schedulers use the recursive
("chainable") form, multiplying the current lr, so that several can be combined.
"""
from __future__ import annotations

import math
import types
from bisect import bisect_right
from collections import Counter

from glassnet.optim._lr_base import LRScheduler, _check_optimizer, _group_values
from glassnet.optim._lr_cyclic import (CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR,
                                       ReduceLROnPlateau)

__all__ = [
    "LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR",
    "LinearLR", "ExponentialLR", "SequentialLR", "PolynomialLR", "CosineAnnealingLR",
    "ChainedScheduler", "ReduceLROnPlateau", "CyclicLR", "CosineAnnealingWarmRestarts",
    "OneCycleLR",
]


class _LambdaState:
    """state_dict handling shared by the lambda schedulers: functions are not saved,
    callable objects are saved as their ``__dict__`` (as PyTorch)."""

    def state_dict(self) -> dict:
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else
                               dict(fn.__dict__) for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        state_dict = dict(state_dict)
        lr_lambdas = state_dict.pop("lr_lambdas")
        self.__dict__.update(state_dict)
        for fn, saved in zip(self.lr_lambdas, lr_lambdas):
            if saved is not None:
                fn.__dict__.update(saved)

    def _set_lambdas(self, optimizer, lr_lambda) -> None:
        name = type(self).__name__
        _check_optimizer(name, optimizer)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != len(optimizer.param_groups):
                raise ValueError(f"{name}: expected {len(optimizer.param_groups)} lr_lambdas "
                                 f"(one per param group), got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * len(optimizer.param_groups)
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"{name}: lr_lambda must be callable, got "
                                f"{type(fn).__name__}")


class LambdaLR(_LambdaState, LRScheduler):
    r"""Set each group's lr to its initial lr times ``lr_lambda(epoch)``:
    :math:`\eta_t = \eta_0 \cdot \lambda(t)`.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    lr_lambda : callable or list of callable
        ``epoch -> factor``, or one function per param group.
    last_epoch : int
        Index of the last epoch (default -1).
    """

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1):
        self._set_lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]


class MultiplicativeLR(_LambdaState, LRScheduler):
    r"""Multiply each group's lr by ``lr_lambda(epoch)`` every step (not at epoch 0):
    :math:`\eta_t = \eta_{t-1} \cdot \lambda(t)`.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    lr_lambda : callable or list of callable
        ``epoch -> factor``, or one function per param group.
    last_epoch : int
        Index of the last epoch (default -1).
    """

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1):
        self._set_lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        if self._is_initial:
            return _group_values(self.optimizer, "lr")
        return [group["lr"] * fn(self.last_epoch)
                for fn, group in zip(self.lr_lambdas, self.optimizer.param_groups)]


class StepLR(LRScheduler):
    r"""Multiply the lr by ``gamma`` every ``step_size`` epochs:
    :math:`\eta_t = \eta_0 \gamma^{\lfloor t / s \rfloor}`.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    step_size : int
        Period :math:`s` of the decay.
    gamma : float
        Decay factor (default 0.1).
    last_epoch : int
        Index of the last epoch (default -1).
    """

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        if not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive int, got {step_size!r}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return _group_values(self.optimizer, "lr")
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        return [base * self.gamma ** (self.last_epoch // self.step_size)
                for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    r"""Multiply the lr by ``gamma`` at each milestone:
    :math:`\eta_t = \eta_0 \gamma^{|\{m \le t\}|}` (a repeated milestone counts twice).

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    milestones : iterable of int
        Epoch indices.
    gamma : float
        Decay factor (default 0.1).
    last_epoch : int
        Index of the last epoch (default -1).
    """

    def __init__(self, optimizer, milestones, gamma: float = 0.1, last_epoch: int = -1):
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        if self.last_epoch not in self.milestones:
            return _group_values(self.optimizer, "lr")
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [group["lr"] * factor for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        milestones = sorted(self.milestones.elements())
        return [base * self.gamma ** bisect_right(milestones, self.last_epoch)
                for base in self.base_lrs]


class ConstantLR(LRScheduler):
    r"""Multiply the lr by ``factor`` for the first ``total_iters`` epochs:
    :math:`\eta_t = \eta_0 f` for :math:`t < T`, :math:`\eta_0` afterwards.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    factor : float
        Factor in [0, 1] (default 1/3).
    total_iters : int
        Number of epochs :math:`T` at the reduced lr (default 5).
    last_epoch : int
        Index of the last epoch (default -1).
    """

    def __init__(self, optimizer, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1):
        if not 0 <= factor <= 1:
            raise ValueError(f"ConstantLR: factor must be in [0, 1], got {factor}")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        if self.last_epoch == 0:
            return [group["lr"] * self.factor for group in self.optimizer.param_groups]
        if self.last_epoch != self.total_iters:
            return _group_values(self.optimizer, "lr")
        return [group["lr"] * (1.0 / self.factor) for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        return [base * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))
                for base in self.base_lrs]


class LinearLR(LRScheduler):
    r"""Scale the lr by a factor moving linearly from ``start_factor`` to ``end_factor``
    over ``total_iters`` epochs:
    :math:`\eta_t = \eta_0 \bigl(f_s + (f_e - f_s) \min(t, T) / T\bigr)`.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    start_factor : float
        Factor at epoch 0, in (0, 1] (default 1/3).
    end_factor : float
        Factor from epoch :math:`T` on, in [0, 1] (default 1.0).
    total_iters : int
        Number of epochs :math:`T` of the ramp (default 5).
    last_epoch : int
        Index of the last epoch (default -1).
    """

    def __init__(self, optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1):
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        if self.last_epoch == 0:
            return [group["lr"] * self.start_factor for group in self.optimizer.param_groups]
        if self._is_initial or self.last_epoch > self.total_iters:
            return _group_values(self.optimizer, "lr")
        # Ratio of consecutive factors, (f_s + k(t)) / (f_s + k(t-1)), so it chains.
        change = self.end_factor - self.start_factor
        ratio = 1.0 + change / (self.total_iters * self.start_factor
                                + (self.last_epoch - 1) * change)
        return [group["lr"] * ratio for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        frac = min(self.total_iters, self.last_epoch) / self.total_iters
        return [base * (self.start_factor + (self.end_factor - self.start_factor) * frac)
                for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    r"""Multiply the lr by ``gamma`` every epoch: :math:`\eta_t = \eta_0 \gamma^t`.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    gamma : float
        Decay factor.
    last_epoch : int
        Index of the last epoch (default -1).
    """

    def __init__(self, optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        if self._is_initial:
            return _group_values(self.optimizer, "lr")
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    r"""Decay the lr polynomially to zero over ``total_iters`` epochs:
    :math:`\eta_t = \eta_0 (1 - \min(t, T)/T)^p`.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    total_iters : int
        Number of epochs :math:`T` of the decay (default 5).
    power : float
        Power :math:`p` (default 1.0).
    last_epoch : int
        Index of the last epoch (default -1).
    """

    def __init__(self, optimizer, total_iters: int = 5, power: float = 1.0,
                 last_epoch: int = -1):
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        if self._is_initial or self.last_epoch > self.total_iters:
            return _group_values(self.optimizer, "lr")
        decay = ((1.0 - self.last_epoch / self.total_iters)
                 / (1.0 - (self.last_epoch - 1) / self.total_iters)) ** self.power
        return [group["lr"] * decay for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        return [base * (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters)
                ** self.power for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing (Loshchilov and Hutter, SGDR, ICLR 2017) without restarts.

    The closed form is
    :math:`\eta_t = \eta_{min} + \tfrac12 (\eta_0 - \eta_{min})(1 + \cos(\pi t / T))`;
    like PyTorch, :meth:`step` applies its recursive form

    .. math::

        \eta_t = \eta_{min} + (\eta_{t-1} - \eta_{min})
                 \frac{1 + \cos(\pi t / T)}{1 + \cos(\pi (t-1) / T)},

    which follows other changes to the lr, and past :math:`T` it keeps following the
    cosine (rising back to :math:`\eta_0` at :math:`2T`).

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    T_max : int
        Half period :math:`T`.
    eta_min : float
        Minimum lr (default 0).
    last_epoch : int
        Index of the last epoch (default -1).
    """

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if self._is_initial:
            return _group_values(self.optimizer, "lr")
        if self._step_count == 1 and t > 0:
            return [eta_min + (base - eta_min) * (1 + math.cos(t * math.pi / T)) / 2
                    for base in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:
            # NOTE: at the bottom of the cosine the ratio below is 0/0; step up instead.
            return [group["lr"] + (base - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for base, group in zip(self.base_lrs, groups)]
        return [(1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
                * (group["lr"] - eta_min) + eta_min for group in groups]

    def _get_closed_form_lr(self) -> list:
        return [self.eta_min + (base - self.eta_min)
                * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base in self.base_lrs]


class SequentialLR(LRScheduler):
    """Run ``schedulers`` one after another, switching at ``milestones``.

    At a milestone the next scheduler restarts from its epoch 0 (``step(0)``).

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer (shared by every scheduler).
    schedulers : list of LRScheduler
        Schedulers, already constructed on ``optimizer``.
    milestones : list of int
        ``len(schedulers) - 1`` epochs at which to switch.
    last_epoch : int
        Index of the last epoch (default -1).
    """

    def __init__(self, optimizer, schedulers: list, milestones: list, last_epoch: int = -1):
        _check_children("SequentialLR", optimizer, schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR: expected {len(schedulers) - 1} milestones for "
                             f"{len(schedulers)} schedulers, got {len(milestones)}")
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        # Undo the initial steps the child schedulers took when they were built.
        for group in self.optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self._recursive_undo(self)
        idx = bisect_right(self._milestones, 0)
        self._schedulers[idx]._initial_step()
        self._last_lr = schedulers[idx].get_last_lr()

    def _recursive_undo(self, sched) -> None:
        for s in sched._schedulers:
            if hasattr(s, "_schedulers"):
                self._recursive_undo(s)
            elif hasattr(s, "last_epoch"):
                s.last_epoch -= 1

    def step(self) -> None:
        """Advance one epoch, stepping the scheduler active at that epoch."""
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict:
        return _nested_state_dict(self)

    def load_state_dict(self, state_dict: dict) -> None:
        _nested_load_state_dict(self, state_dict)


class ChainedScheduler(LRScheduler):
    """Step several schedulers together, so that their (chainable) effects multiply.

    Parameters
    ----------
    schedulers : sequence of LRScheduler
        Schedulers on the same optimizer, stepped in order.
    optimizer : Optimizer, optional
        Defaults to the first scheduler's optimizer.
    """

    def __init__(self, schedulers, optimizer=None):
        if len(schedulers) < 1:
            raise ValueError("ChainedScheduler: expected at least one scheduler, got none")
        optimizer = optimizer or schedulers[0].optimizer
        _check_children("ChainedScheduler", optimizer, schedulers)
        self._schedulers = schedulers
        self.optimizer = optimizer
        self._last_lr = _group_values(self._schedulers[-1].optimizer, "lr")

    def step(self) -> None:
        """Step every scheduler once."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = _group_values(self._schedulers[-1].optimizer, "lr")

    def state_dict(self) -> dict:
        return _nested_state_dict(self)

    def load_state_dict(self, state_dict: dict) -> None:
        _nested_load_state_dict(self, state_dict)


def _check_children(fn: str, optimizer, schedulers) -> None:
    if len(schedulers) < 1:
        raise ValueError(f"{fn}: expected at least one scheduler, got none")
    for i, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(f"{fn}: schedulers[{i}] must be an LRScheduler, got "
                            f"{type(scheduler).__name__}")
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(f"{fn}: schedulers[{i}] is a ReduceLROnPlateau, which needs a "
                             f"metric in step() and cannot be combined")
        if scheduler.optimizer is not optimizer:
            raise ValueError(f"{fn}: schedulers[{i}] ({type(scheduler).__name__}) belongs to "
                             f"a different optimizer")


def _nested_state_dict(owner) -> dict:
    state = {k: v for k, v in owner.__dict__.items() if k not in ("optimizer", "_schedulers")}
    state["_schedulers"] = [s.state_dict() for s in owner._schedulers]
    return state


def _nested_load_state_dict(owner, state_dict: dict) -> None:
    state_dict = dict(state_dict)
    children = state_dict.pop("_schedulers")
    owner.__dict__.update(state_dict)
    for scheduler, state in zip(owner._schedulers, children):
        scheduler.load_state_dict(state)
