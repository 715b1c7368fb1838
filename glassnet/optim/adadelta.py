"""Adadelta: an adaptive step from running averages of squared gradients and updates."""
from __future__ import annotations

import numpy as np

from glassnet.autograd import no_grad
from glassnet.optim.optimizer import (Optimizer, _grads, _increment, _new_step, _zeros_like,
                                      check_range)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, arXiv:1212.5701, 2012), as ``torch.optim.Adadelta``.

    For each parameter :math:`\theta` with gradient :math:`g_t` (learning rate
    :math:`\gamma`, decay :math:`\rho`, weight decay :math:`\lambda`):

    .. math::

        g_t &\leftarrow -g_t \quad \text{if maximize} \\
        g_t &\leftarrow g_t + \lambda \theta_{t-1} \quad \text{if } \lambda \ne 0 \\
        v_t &= \rho v_{t-1} + (1 - \rho) g_t^2 \\
        \Delta_t &= \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}} \, g_t \\
        u_t &= \rho u_{t-1} + (1 - \rho) \Delta_t^2 \\
        \theta_t &= \theta_{t-1} - \gamma \Delta_t

    The ratio of RMS values gives the update the units of :math:`\theta`, so the paper
    uses no learning rate; :math:`\gamma` (default 1.0) scales it as in PyTorch.

    Parameters
    ----------
    params : iterable of Tensor or dict
        Parameters to optimize, or param groups.
    lr : float
        Coefficient :math:`\gamma` that scales the update (default 1.0).
    rho : float
        Decay :math:`\rho` of the running averages, in [0, 1] (default 0.9).
    eps : float
        Added inside the square roots (default 1e-6).
    weight_decay : float
        L2 penalty :math:`\lambda` (default 0).
    maximize : bool
        Maximize the objective instead of minimizing it.

    Notes
    -----
    State per parameter: ``step``, ``square_avg`` (:math:`v`) and ``acc_delta``
    (:math:`u`), both starting at zero.
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, *, maximize: bool = False):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict) -> None:
        check_range("Adadelta", "lr", group["lr"])
        check_range("Adadelta", "rho", group["rho"], 0.0, 1.0)
        check_range("Adadelta", "eps", group["eps"])
        check_range("Adadelta", "weight_decay", group["weight_decay"])

    def step(self, closure=None):
        """Perform one optimization step; return the closure's loss (or None)."""
        loss = self._evaluate(closure)
        with no_grad():
            for group in self.param_groups:
                rho = group["rho"]
                eps = group["eps"]
                wd = group["weight_decay"]
                for p, grad in _grads(group):
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = _new_step()
                        state["square_avg"] = _zeros_like(p)
                        state["acc_delta"] = _zeros_like(p)
                    _increment(state["step"])
                    if group["maximize"]:
                        grad = -grad
                    if wd != 0:
                        grad = grad + wd * p._data
                    square_avg = state["square_avg"]._data
                    acc_delta = state["acc_delta"]._data
                    square_avg *= rho
                    square_avg += (1 - rho) * (grad * grad)
                    std = np.sqrt(square_avg + eps)
                    delta = np.sqrt(acc_delta + eps) / std * grad
                    acc_delta *= rho
                    acc_delta += (1 - rho) * (delta * delta)
                    p._data += -group["lr"] * delta
                    p._bump()
        return loss
