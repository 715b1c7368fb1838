"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""
from __future__ import annotations

import numpy as np

from glassnet.autograd import no_grad
from glassnet.nn.parameter import is_lazy
from glassnet.optim.optimizer import (Optimizer, _grads, _increment, _new_step, _zeros_like,
                                      check_range)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi, Hazan and Singer, JMLR 2011), as ``torch.optim.Adagrad``.

    For each parameter :math:`\theta` with gradient :math:`g_t` at step :math:`t`
    (learning rate :math:`\gamma`, lr decay :math:`\eta`, weight decay :math:`\lambda`,
    accumulator :math:`s_0` = ``initial_accumulator_value``):

    .. math::

        g_t &\leftarrow -g_t \quad \text{if maximize} \\
        g_t &\leftarrow g_t + \lambda \theta_{t-1} \quad \text{if } \lambda \ne 0 \\
        \tilde\gamma &= \gamma / (1 + (t - 1) \eta) \\
        s_t &= s_{t-1} + g_t^2 \\
        \theta_t &= \theta_{t-1} - \tilde\gamma \, g_t / (\sqrt{s_t} + \epsilon)

    Parameters
    ----------
    params : iterable of Tensor or dict
        Parameters to optimize, or param groups.
    lr : float
        Learning rate :math:`\gamma` (default 1e-2).
    lr_decay : float
        Learning-rate decay :math:`\eta` (default 0).
    weight_decay : float
        L2 penalty :math:`\lambda` (default 0).
    initial_accumulator_value : float
        Starting value :math:`s_0` of the sum of squares (default 0).
    eps : float
        Added to the denominator for numerical stability (default 1e-10).
    maximize : bool
        Maximize the objective instead of minimizing it.

    Notes
    -----
    State per parameter, created at construction as in PyTorch: ``step`` (0-d float32
    Tensor) and ``sum`` (like the parameter); for a lazy module's uninitialised parameter
    it is created on the first step (PyTorch's Adagrad rejects such parameters).

    Examples
    --------
    >>> import glassnet
    >>> w = glassnet.tensor([1.0], requires_grad=True)
    >>> opt = Adagrad([w], lr=0.5)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> round(w.item(), 4)  # 1 - 0.5 * 2 / sqrt(4)
    0.5
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, *,
                 maximize: bool = False):
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value,
                        maximize=maximize)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                # NOTE: an uninitialised (lazy) parameter has no shape yet; its state is
                # created on its first step, after the first forward materialised it.
                if not is_lazy(p):
                    self._init_state(p, group)

    def _validate_group(self, group: dict) -> None:
        for key in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            check_range("Adagrad", key, group[key])

    def _init_state(self, p, group) -> dict:
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _new_step()
            state["sum"] = _zeros_like(p, group["initial_accumulator_value"])
        return state

    def step(self, closure=None):
        """Perform one optimization step; return the closure's loss (or None)."""
        loss = self._evaluate(closure)
        with no_grad():
            for group in self.param_groups:
                lr = group["lr"]
                wd = group["weight_decay"]
                for p, grad in _grads(group):
                    state = self._init_state(p, group)
                    step = _increment(state["step"])
                    if group["maximize"]:
                        grad = -grad
                    if wd != 0:
                        grad = grad + wd * p._data
                    clr = lr / (1 + (step - 1) * group["lr_decay"])
                    state_sum = state["sum"]._data
                    state_sum += grad * grad
                    std = np.sqrt(state_sum) + group["eps"]
                    p._data += -clr * (grad / std)
                    p._bump()
        return loss
