"""Cyclic, restarting and metric-driven schedulers.

``CosineAnnealingWarmRestarts``, ``CyclicLR``, ``OneCycleLR`` and ``ReduceLROnPlateau``.

Split from :mod:`glassnet.optim.lr_scheduler` (which re-exports them) to keep files
short; import them from there.
"""
from __future__ import annotations

import math
import types
from functools import partial

from glassnet.optim._lr_base import LRScheduler, _check_optimizer, _format_param, _group_values

__all__ = ["ReduceLROnPlateau", "CyclicLR", "OneCycleLR", "CosineAnnealingWarmRestarts"]


def _set_momentum(group: dict, use_beta1: bool, momentum: float) -> None:
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


def _init_momentum(fn, optimizer, base_momentum, max_momentum, last_epoch):
    """Check that the optimizer has a momentum (or beta1) and set it to its maximum."""
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(f"{fn}: cycle_momentum=True needs an optimizer with a 'momentum' or "
                         f"'betas' hyperparameter, got {type(optimizer).__name__}")
    use_beta1 = "betas" in optimizer.defaults
    max_momentums = _format_param("max_momentum", optimizer, max_momentum)
    base_momentums = _format_param("base_momentum", optimizer, base_momentum)
    if last_epoch == -1:
        for m_max, m_base, group in zip(max_momentums, base_momentums,
                                        optimizer.param_groups):
            _set_momentum(group, use_beta1, m_max)
            group["max_momentum"] = m_max
            group["base_momentum"] = m_base
    return use_beta1, base_momentums, max_momentums


class ReduceLROnPlateau(LRScheduler):
    r"""Multiply the lr by ``factor`` when a metric has stopped improving.

    After each ``step(metric)``: the metric is better than the best so far if
    :math:`a < best (1 - \text{threshold})` (mode 'min', threshold_mode 'rel'),
    :math:`a < best - \text{threshold}` ('min', 'abs'), or the mirror images for 'max'.
    When more than ``patience`` consecutive steps were not better, every group's lr
    becomes :math:`\max(\eta \cdot \text{factor}, \text{min\_lr})` (unless the change
    is at most ``eps``) and ``cooldown`` steps follow during which bad steps are not
    counted.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    mode : {'min', 'max'}
        Whether the metric should decrease or increase (default 'min').
    factor : float
        Reduction factor, < 1 (default 0.1).
    patience : int
        Bad steps tolerated before reducing (default 10).
    threshold : float
        Minimum improvement (default 1e-4).
    threshold_mode : {'rel', 'abs'}
        Relative or absolute threshold (default 'rel').
    cooldown : int
        Steps to wait after a reduction (default 0).
    min_lr : float or list of float
        Lower bound on the lr, per group if a list (default 0).
    eps : float
        Smallest change of lr that is applied (default 1e-8).
    """

    def __init__(self, optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr=0, eps: float = 1e-8):
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1.0, got {factor}")
        _check_optimizer("ReduceLROnPlateau", optimizer)
        self.factor = factor
        self.optimizer = optimizer
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(optimizer.param_groups):
                raise ValueError(f"ReduceLROnPlateau: expected {len(optimizer.param_groups)} "
                                 f"min_lrs (one per param group), got {len(min_lr)}")
            self.default_min_lr = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * len(optimizer.param_groups)
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = _group_values(optimizer, "lr")
        self._init_is_better(mode, threshold, threshold_mode)
        self._reset()

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def step(self, metrics, epoch=None) -> None:
        """Record ``metrics`` (a number, or a one-element Tensor) for this epoch."""
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        self.last_epoch = epoch
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = _group_values(self.optimizer, "lr")

    def _reduce_lr(self) -> None:
        if len(self.optimizer.param_groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"ReduceLROnPlateau: the optimizer has {len(self.optimizer.param_groups)} "
                    f"param groups but min_lrs has {len(self.min_lrs)}; update min_lrs")
            self.min_lrs = [self.default_min_lr] * len(self.optimizer.param_groups)
        for i, group in enumerate(self.optimizer.param_groups):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, self.min_lrs[i])
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def _is_better(self, a: float, best: float) -> bool:
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min" and self.threshold_mode == "abs":
            return a < best - self.threshold
        if self.mode == "max" and self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def _init_is_better(self, mode: str, threshold: float, threshold_mode: str) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got "
                             f"{threshold_mode!r}")
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update(state_dict)
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)


class CyclicLR(LRScheduler):
    r"""Cyclical learning rates (Smith, WACV 2017, arXiv:1506.01186), stepped per batch.

    With cycle :math:`c = \lfloor 1 + t / (s_{up} + s_{down}) \rfloor`, position
    :math:`x = 1 + t/(s_{up} + s_{down}) - c` and :math:`r = s_{up}/(s_{up}+s_{down})`,
    the lr rises linearly from ``base_lr`` to ``max_lr`` and falls back:

    .. math::

        h = x / r \ \text{ if } x \le r, \quad (x - 1)/(r - 1) \ \text{ otherwise};
        \qquad \eta_t = \eta_{base} + (\eta_{max} - \eta_{base})\, h\, \text{scale}

    where scale is 1 ('triangular'), :math:`2^{-(c-1)}` ('triangular2') or
    :math:`\gamma^t` ('exp_range').  With ``cycle_momentum`` the momentum (or beta1)
    moves the opposite way, from ``max_momentum`` to ``base_momentum``.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    base_lr, max_lr : float or list of float
        Lower and upper lr, per group if lists.
    step_size_up : int
        Iterations in the rising half (default 2000).
    step_size_down : int, optional
        Iterations in the falling half (default ``step_size_up``).
    mode : {'triangular', 'triangular2', 'exp_range'}
        Amplitude policy (ignored when ``scale_fn`` is given).
    gamma : float
        Base of 'exp_range' (default 1.0).
    scale_fn : callable, optional
        Custom amplitude ``scale_fn(x)``, evaluated at the cycle or the iteration.
    scale_mode : {'cycle', 'iterations'}
        Argument passed to ``scale_fn`` (default 'cycle').
    cycle_momentum : bool
        Cycle the momentum inversely to the lr (default True).
    base_momentum, max_momentum : float or list of float
        Momentum bounds (defaults 0.8 and 0.9).
    last_epoch : int
        Index of the last batch (default -1).
    """

    def __init__(self, optimizer, base_lr, max_lr, step_size_up: int = 2000,
                 step_size_down: int | None = None, mode: str = "triangular",
                 gamma: float = 1.0, scale_fn=None, scale_mode: str = "cycle",
                 cycle_momentum: bool = True, base_momentum=0.8, max_momentum=0.9,
                 last_epoch: int = -1):
        _check_optimizer("CyclicLR", optimizer)
        self.optimizer = optimizer
        base_lrs = _format_param("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = _format_param("max_lr", optimizer, max_lr)
        step_size_up = float(step_size_up)
        step_size_down = float(step_size_down) if step_size_down is not None else step_size_up
        self.total_size = step_size_up + step_size_down
        self.step_ratio = step_size_up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError(f"CyclicLR: mode must be 'triangular', 'triangular2' or "
                             f"'exp_range' when scale_fn is None, got {mode!r}")
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1, self.base_momentums, self.max_momentums = _init_momentum(
                "CyclicLR", optimizer, base_momentum, max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_fn(self) -> None:
        if self._scale_fn_custom is not None:
            return
        if self.mode == "triangular":
            self._scale_fn_ref = _triangular_scale_fn
            self.scale_mode = "cycle"
        elif self.mode == "triangular2":
            self._scale_fn_ref = _triangular2_scale_fn
            self.scale_mode = "cycle"
        elif self.mode == "exp_range":
            self._scale_fn_ref = partial(_exp_range_scale_fn, self.gamma)
            self.scale_mode = "iterations"

    def scale_fn(self, x) -> float:
        """The amplitude factor at ``x`` (a cycle number or an iteration)."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        return self._scale_fn_ref(x)

    def get_lr(self) -> list:
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [base + (top - base) * scale_factor * scale
               for base, top in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for group, m_base, m_max in zip(self.optimizer.param_groups, self.base_momentums,
                                            self.max_momentums):
                momentum = m_max - (m_max - m_base) * scale_factor * scale
                _set_momentum(group, self.use_beta1, momentum)
        return lrs

    def state_dict(self) -> dict:
        state = super().state_dict()
        state.pop("_scale_fn_ref", None)
        fn = state.pop("_scale_fn_custom")
        state["_scale_fn_custom"] = None
        if fn is not None and not isinstance(fn, types.FunctionType):
            state["_scale_fn_custom"] = dict(fn.__dict__)
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        state_dict = dict(state_dict)
        fn = state_dict.pop("_scale_fn_custom")
        super().load_state_dict(state_dict)
        if fn is not None:
            self._scale_fn_custom.__dict__.update(fn)
        self._init_scale_fn()


def _triangular_scale_fn(x: float) -> float:
    return 1.0


def _triangular2_scale_fn(x: float) -> float:
    return 1 / (2.0 ** (x - 1))


def _exp_range_scale_fn(gamma: float, x: float) -> float:
    return gamma ** x


class OneCycleLR(LRScheduler):
    r"""The 1cycle policy (Smith and Topin, arXiv:1708.07120), stepped per batch.

    The lr anneals from ``max_lr / div_factor`` up to ``max_lr`` over the first
    ``pct_start`` of ``total_steps``, then down to
    ``max_lr / (div_factor * final_div_factor)``; with ``three_phase`` it first comes
    back to the initial lr symmetrically and then decays to the minimum.  Within a
    phase from :math:`a` to :math:`b` at fraction :math:`p`, 'cos' gives
    :math:`b + (a - b)(1 + \cos \pi p)/2` and 'linear' :math:`a + (b - a) p`.  With
    ``cycle_momentum`` the momentum (or beta1) moves inversely between
    ``max_momentum`` and ``base_momentum``.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    max_lr : float or list of float
        Peak lr, per group if a list.
    total_steps : int, optional
        Length of the cycle; or give ``epochs`` and ``steps_per_epoch``.
    epochs, steps_per_epoch : int, optional
        ``total_steps = epochs * steps_per_epoch``.
    pct_start : float
        Fraction of the cycle spent increasing the lr (default 0.3).
    anneal_strategy : {'cos', 'linear'}
        Annealing shape (default 'cos').
    cycle_momentum : bool
        Cycle the momentum inversely to the lr (default True).
    base_momentum, max_momentum : float or list of float
        Momentum bounds (defaults 0.85 and 0.95).
    div_factor : float
        ``initial_lr = max_lr / div_factor`` (default 25).
    final_div_factor : float
        ``min_lr = initial_lr / final_div_factor`` (default 1e4).
    three_phase : bool
        Use the three-phase schedule (default False).
    last_epoch : int
        Index of the last batch (default -1).
    """

    def __init__(self, optimizer, max_lr, total_steps: int | None = None,
                 epochs: int | None = None, steps_per_epoch: int | None = None,
                 pct_start: float = 0.3, anneal_strategy: str = "cos",
                 cycle_momentum: bool = True, base_momentum=0.85, max_momentum=0.95,
                 div_factor: float = 25.0, final_div_factor: float = 1e4,
                 three_phase: bool = False, last_epoch: int = -1):
        _check_optimizer("OneCycleLR", optimizer)
        self.optimizer = optimizer
        if total_steps is not None:
            if not isinstance(total_steps, int) or total_steps <= 0:
                raise ValueError(f"OneCycleLR: total_steps must be a positive int, got "
                                 f"{total_steps!r}")
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            for name, value in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch)):
                if not isinstance(value, int) or value <= 0:
                    raise ValueError(f"OneCycleLR: {name} must be a positive int, got "
                                     f"{value!r}")
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("OneCycleLR: give either total_steps or both epochs and "
                             "steps_per_epoch")
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ValueError(f"OneCycleLR: pct_start must be a float in [0, 1], got "
                             f"{pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got "
                             f"{anneal_strategy!r}")
        self._anneal_func_type = anneal_strategy
        up_end = float(pct_start * self.total_steps) - 1
        if three_phase:
            self._schedule_phases = [
                dict(end_step=up_end, start_lr="initial_lr", end_lr="max_lr",
                     start_momentum="max_momentum", end_momentum="base_momentum"),
                dict(end_step=float(2 * pct_start * self.total_steps) - 2,
                     start_lr="max_lr", end_lr="initial_lr",
                     start_momentum="base_momentum", end_momentum="max_momentum"),
                dict(end_step=self.total_steps - 1, start_lr="initial_lr", end_lr="min_lr",
                     start_momentum="max_momentum", end_momentum="max_momentum"),
            ]
        else:
            self._schedule_phases = [
                dict(end_step=up_end, start_lr="initial_lr", end_lr="max_lr",
                     start_momentum="max_momentum", end_momentum="base_momentum"),
                dict(end_step=self.total_steps - 1, start_lr="max_lr", end_lr="min_lr",
                     start_momentum="base_momentum", end_momentum="max_momentum"),
            ]
        max_lrs = _format_param("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for top, group in zip(max_lrs, optimizer.param_groups):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1, _, _ = _init_momentum("OneCycleLR", optimizer, base_momentum,
                                                  max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)

    def _anneal_func(self, start: float, end: float, pct: float) -> float:
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list:
        step_num = self.last_epoch
        if step_num > self.total_steps:
            raise ValueError(f"OneCycleLR: tried to step {step_num} times; total_steps is "
                             f"{self.total_steps}")
        lrs = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if step_num <= end_step or i == len(self._schedule_phases) - 1:
                    pct = (step_num - start_step) / (end_step - start_step)
                    lr = self._anneal_func(group[phase["start_lr"]], group[phase["end_lr"]],
                                           pct)
                    if self.cycle_momentum:
                        momentum = self._anneal_func(group[phase["start_momentum"]],
                                                     group[phase["end_momentum"]], pct)
                    break
                start_step = phase["end_step"]
            lrs.append(lr)
            if self.cycle_momentum:
                _set_momentum(group, self.use_beta1, momentum)
        return lrs


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""Cosine annealing with warm restarts (SGDR, Loshchilov and Hutter, ICLR 2017).

    .. math::

        \eta_t = \eta_{min} + \tfrac12 (\eta_0 - \eta_{min})
                 \bigl(1 + \cos(\pi T_{cur} / T_i)\bigr),

    where :math:`T_{cur}` counts epochs since the last restart and the period
    :math:`T_i` starts at :math:`T_0` and is multiplied by :math:`T_{mult}` at each
    restart.  ``step(epoch)`` accepts fractional epochs (``epoch + i / iters``) to
    anneal within an epoch.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    T_0 : int
        First period, a positive int.
    T_mult : int
        Period multiplier, an int >= 1 (default 1).
    eta_min : float
        Minimum lr (default 0).
    last_epoch : int
        Index of the last epoch (default -1).
    """

    def __init__(self, optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0,
                 last_epoch: int = -1):
        if not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError(f"CosineAnnealingWarmRestarts: T_0 must be a positive int, "
                             f"got {T_0!r}")
        if not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(f"CosineAnnealingWarmRestarts: T_mult must be an int >= 1, "
                             f"got {T_mult!r}")
        if not isinstance(eta_min, (float, int)):
            raise TypeError(f"CosineAnnealingWarmRestarts: eta_min must be a float, got "
                            f"{type(eta_min).__name__}")
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        return [self.eta_min + (base - self.eta_min)
                * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
                for base in self.base_lrs]

    def step(self, epoch=None) -> None:
        """Advance one epoch, or go to ``epoch`` (may be fractional)."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if epoch < 0:
                raise ValueError(f"CosineAnnealingWarmRestarts.step: epoch must be >= 0, "
                                 f"got {epoch}")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    # Number of completed periods n: T_0 (T_mult^n - 1) / (T_mult - 1) <= epoch
                    n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult ** n
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = _group_values(self.optimizer, "lr")
