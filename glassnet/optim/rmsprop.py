"""RMSprop: divide the gradient by a running root mean square of recent gradients."""
from __future__ import annotations

import numpy as np

from glassnet.autograd import no_grad
from glassnet.optim.optimizer import (Optimizer, _grads, _increment, _lerp_, _new_step,
                                      _zeros_like, check_range)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, Coursera lecture 6e, 2012), as ``torch.optim.RMSprop``.

    For each parameter :math:`\theta` with gradient :math:`g_t` (learning rate
    :math:`\gamma`, smoothing :math:`\alpha`, momentum :math:`\mu`, weight decay
    :math:`\lambda`):

    .. math::

        g_t &\leftarrow -g_t \quad \text{if maximize} \\
        g_t &\leftarrow g_t + \lambda \theta_{t-1} \quad \text{if } \lambda \ne 0 \\
        v_t &= \alpha v_{t-1} + (1 - \alpha) g_t^2 \\
        \bar g_t &= \alpha \bar g_{t-1} + (1 - \alpha) g_t \quad \text{if centered} \\
        d_t &= \sqrt{v_t - \bar g_t^2} + \epsilon \ \text{ if centered}, \quad
               \sqrt{v_t} + \epsilon \ \text{ otherwise} \\
        b_t &= \mu b_{t-1} + g_t / d_t, \quad
              \theta_t = \theta_{t-1} - \gamma b_t \quad \text{if } \mu > 0 \\
        \theta_t &= \theta_{t-1} - \gamma g_t / d_t \quad \text{otherwise}

    :math:`\epsilon` is added outside the square root, as in PyTorch (TensorFlow adds it
    inside).  All buffers start at zero.

    Parameters
    ----------
    params : iterable of Tensor or dict
        Parameters to optimize, or param groups.
    lr : float
        Learning rate :math:`\gamma` (default 1e-2).
    alpha : float
        Smoothing constant :math:`\alpha` (default 0.99).
    eps : float
        Added to the denominator (default 1e-8).
    weight_decay : float
        L2 penalty :math:`\lambda` (default 0).
    momentum : float
        Momentum factor :math:`\mu` (default 0).
    centered : bool
        Normalise by an estimate of the gradient's variance instead of its second moment.
    maximize : bool
        Maximize the objective instead of minimizing it.

    Notes
    -----
    State per parameter: ``step``, ``square_avg``, plus ``momentum_buffer`` when
    ``momentum > 0`` and ``grad_avg`` when ``centered``.
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, *,
                 maximize: bool = False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict) -> None:
        for key in ("lr", "eps", "momentum", "weight_decay", "alpha"):
            check_range("RMSprop", key, group[key])

    def step(self, closure=None):
        """Perform one optimization step; return the closure's loss (or None)."""
        loss = self._evaluate(closure)
        with no_grad():
            for group in self.param_groups:
                alpha = group["alpha"]
                wd = group["weight_decay"]
                momentum = group["momentum"]
                for p, grad in _grads(group):
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = _new_step()
                        state["square_avg"] = _zeros_like(p)
                        if momentum > 0:
                            state["momentum_buffer"] = _zeros_like(p)
                        if group["centered"]:
                            state["grad_avg"] = _zeros_like(p)
                    if group["maximize"]:
                        grad = -grad
                    _increment(state["step"])
                    if wd != 0:
                        grad = grad + wd * p._data
                    square_avg = state["square_avg"]._data
                    square_avg *= alpha
                    square_avg += (1 - alpha) * (grad * grad)
                    if group["centered"]:
                        grad_avg = state["grad_avg"]._data
                        _lerp_(grad_avg, grad, 1 - alpha)
                        # NOTE: v - g_avg^2 >= 0 by Jensen's inequality; not clamped, as in torch.
                        avg = np.sqrt(square_avg - grad_avg * grad_avg)
                    else:
                        avg = np.sqrt(square_avg)
                    avg += group["eps"]
                    if momentum > 0:
                        buf = state["momentum_buffer"]._data
                        buf *= momentum
                        buf += grad / avg
                        p._data += -group["lr"] * buf
                    else:
                        p._data += -group["lr"] * (grad / avg)
                    p._bump()
        return loss
