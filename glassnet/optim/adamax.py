"""Adamax: Adam with the infinity norm in place of the second moment."""
from __future__ import annotations

import numpy as np

from glassnet.autograd import no_grad
from glassnet.optim.optimizer import (Optimizer, _grads, _increment, _lerp_, _new_step,
                                      _zeros_like, check_betas, check_range)

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax (Kingma and Ba, ICLR 2015, section 7.1), as ``torch.optim.Adamax``.

    For each parameter :math:`\theta` with gradient :math:`g_t` at step :math:`t`
    (learning rate :math:`\gamma`, betas :math:`\beta_1, \beta_2`, weight decay
    :math:`\lambda`):

    .. math::

        g_t &\leftarrow -g_t \quad \text{if maximize} \\
        g_t &\leftarrow g_t + \lambda \theta_{t-1} \quad \text{if } \lambda \ne 0 \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        u_t &= \max(\beta_2 u_{t-1}, |g_t| + \epsilon) \\
        \theta_t &= \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t} \frac{m_t}{u_t}

    :math:`\epsilon` enters inside the max, as in PyTorch, so :math:`u_t > 0`.

    Parameters
    ----------
    params : iterable of Tensor or dict
        Parameters to optimize, or param groups.
    lr : float
        Learning rate :math:`\gamma` (default 2e-3).
    betas : (float, float)
        Decay rates :math:`(\beta_1, \beta_2)`, each in [0, 1) (default (0.9, 0.999)).
    eps : float
        Added to :math:`|g_t|` (default 1e-8).
    weight_decay : float
        L2 penalty :math:`\lambda` (default 0).
    maximize : bool
        Maximize the objective instead of minimizing it.

    Notes
    -----
    State per parameter: ``step``, ``exp_avg`` (:math:`m`) and ``exp_inf`` (:math:`u`).
    """

    def __init__(self, params, lr: float = 2e-3, betas: tuple = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, *, maximize: bool = False):
        defaults = dict(lr=lr, betas=tuple(betas) if isinstance(betas, list) else betas,
                        eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict) -> None:
        check_range("Adamax", "lr", group["lr"])
        check_range("Adamax", "eps", group["eps"])
        check_betas("Adamax", group["betas"])
        check_range("Adamax", "weight_decay", group["weight_decay"])

    def step(self, closure=None):
        """Perform one optimization step; return the closure's loss (or None)."""
        loss = self._evaluate(closure)
        with no_grad():
            for group in self.param_groups:
                beta1, beta2 = group["betas"]
                wd = group["weight_decay"]
                for p, grad in _grads(group):
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = _new_step()
                        state["exp_avg"] = _zeros_like(p)
                        state["exp_inf"] = _zeros_like(p)
                    if group["maximize"]:
                        grad = -grad
                    step = _increment(state["step"])
                    if wd != 0:
                        grad = grad + wd * p._data
                    exp_avg = state["exp_avg"]._data
                    exp_inf = state["exp_inf"]._data
                    _lerp_(exp_avg, grad, 1 - beta1)
                    exp_inf *= beta2
                    np.maximum(exp_inf, np.abs(grad) + group["eps"], out=exp_inf)
                    clr = group["lr"] / (1 - beta1 ** step)
                    p._data += -clr * (exp_avg / exp_inf)
                    p._bump()
        return loss
