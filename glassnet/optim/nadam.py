"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule."""
from __future__ import annotations

import numpy as np

from glassnet.autograd import no_grad
from glassnet.optim.optimizer import (Optimizer, _grads, _increment, _lerp_, _new_step,
                                      _zeros_like, check_betas, check_range)
from glassnet.tensor import Tensor

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam (Dozat, ICLR 2016 workshop, "Incorporating Nesterov Momentum into Adam"), as
    ``torch.optim.NAdam``.

    For each parameter :math:`\theta` with gradient :math:`g_t` at step :math:`t`
    (learning rate :math:`\gamma`, betas :math:`\beta_1, \beta_2`, momentum decay
    :math:`\psi`, weight decay :math:`\lambda`):

    .. math::

        g_t &\leftarrow -g_t \quad \text{if maximize} \\
        \theta_{t-1} &\leftarrow (1 - \gamma\lambda)\,\theta_{t-1}
            \ \text{ if decoupled}, \quad
            g_t \leftarrow g_t + \lambda \theta_{t-1} \ \text{ otherwise} \\
        \mu_t &= \beta_1 \bigl(1 - \tfrac12 \, 0.96^{t\psi}\bigr), \quad
        \mu_{t+1} = \beta_1 \bigl(1 - \tfrac12 \, 0.96^{(t+1)\psi}\bigr) \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t, \quad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        d_t &= \sqrt{v_t / (1 - \beta_2^t)} + \epsilon \\
        \theta_t &= \theta_{t-1}
            - \gamma \frac{1 - \mu_t}{1 - \prod_{i \le t} \mu_i} \frac{g_t}{d_t}
            - \gamma \frac{\mu_{t+1}}{1 - \prod_{i \le t+1} \mu_i} \frac{m_t}{d_t}

    Parameters
    ----------
    params : iterable of Tensor or dict
        Parameters to optimize, or param groups.
    lr : float
        Learning rate :math:`\gamma` (default 2e-3).
    betas : (float, float)
        Decay rates :math:`(\beta_1, \beta_2)`, each in [0, 1) (default (0.9, 0.999)).
    eps : float
        Added to the denominator (default 1e-8).
    weight_decay : float
        Weight decay :math:`\lambda` (default 0).
    momentum_decay : float
        Momentum decay :math:`\psi` (default 4e-3).
    decoupled_weight_decay : bool
        Shrink :math:`\theta` directly (as AdamW) instead of adding :math:`\lambda\theta`
        to the gradient.
    maximize : bool
        Maximize the objective instead of minimizing it.

    Notes
    -----
    State per parameter: ``step``, ``mu_product`` (:math:`\prod \mu_i`, a 0-d float32
    Tensor as in PyTorch), ``exp_avg`` and ``exp_avg_sq``.
    """

    def __init__(self, params, lr: float = 2e-3, betas: tuple = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, maximize: bool = False):
        defaults = dict(lr=lr, betas=tuple(betas) if isinstance(betas, list) else betas,
                        eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict) -> None:
        check_range("NAdam", "lr", group["lr"])
        check_range("NAdam", "eps", group["eps"])
        check_betas("NAdam", group["betas"])
        check_range("NAdam", "weight_decay", group["weight_decay"])
        check_range("NAdam", "momentum_decay", group["momentum_decay"])

    def step(self, closure=None):
        """Perform one optimization step; return the closure's loss (or None)."""
        loss = self._evaluate(closure)
        with no_grad():
            for group in self.param_groups:
                lr = group["lr"]
                beta1, beta2 = group["betas"]
                wd = group["weight_decay"]
                psi = group["momentum_decay"]
                for p, grad in _grads(group):
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = _new_step()
                        state["mu_product"] = Tensor._wrap(np.ones((), dtype=np.float32))
                        state["exp_avg"] = _zeros_like(p)
                        state["exp_avg_sq"] = _zeros_like(p)
                    if group["maximize"]:
                        grad = -grad
                    step = _increment(state["step"])
                    bias_correction2 = 1 - beta2 ** step
                    if wd != 0:
                        if group["decoupled_weight_decay"]:
                            p._data *= 1 - lr * wd
                        else:
                            grad = grad + wd * p._data
                    # Momentum schedule mu_t and mu_{t+1}; 0.96 and psi from Dozat (2016).
                    mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
                    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
                    mu_product = state["mu_product"]._data
                    mu_product *= mu
                    exp_avg = state["exp_avg"]._data
                    exp_avg_sq = state["exp_avg_sq"]._data
                    _lerp_(exp_avg, grad, 1 - beta1)
                    exp_avg_sq *= beta2
                    exp_avg_sq += (1 - beta2) * (grad * grad)
                    denom = np.sqrt(exp_avg_sq / bias_correction2) + group["eps"]
                    mu_product_value = float(mu_product)
                    mu_product_next = mu_product_value * mu_next
                    p._data += (-lr * (1.0 - mu) / (1.0 - mu_product_value)) * (grad / denom)
                    p._data += ((-lr * mu_next) / (1.0 - mu_product_next)) * (exp_avg / denom)
                    p._bump()
        return loss
