"""Adam and AdamW: bias-corrected first and second moment estimates."""
from __future__ import annotations

import numpy as np

from glassnet.autograd import no_grad
from glassnet.optim.optimizer import (Optimizer, _grads, _increment, _lerp_, _new_step,
                                      _zeros_like, check_betas, check_range)

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam (Kingma and Ba, ICLR 2015, arXiv:1412.6980), as ``torch.optim.Adam``.

    For each parameter :math:`\theta` with gradient :math:`g_t` at step :math:`t`
    (learning rate :math:`\gamma`, betas :math:`\beta_1, \beta_2`, weight decay
    :math:`\lambda`):

    .. math::

        g_t &\leftarrow -g_t \quad \text{if maximize} \\
        \theta_{t-1} &\leftarrow (1 - \gamma\lambda)\,\theta_{t-1}
            \ \text{ if decoupled}, \quad
            g_t \leftarrow g_t + \lambda \theta_{t-1} \ \text{ otherwise} \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \hat v_t &= \max(\hat v_{t-1}, v_t) \ \text{ if amsgrad}, \quad
            v_t \ \text{ otherwise} \\
        \theta_t &= \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t} \,
            \frac{m_t}{\sqrt{\hat v_t} / \sqrt{1 - \beta_2^t} + \epsilon}

    :math:`\epsilon` is added after the bias correction of :math:`v_t`, as in PyTorch
    and the paper's Algorithm 1, not to the raw :math:`\sqrt{v_t}`.

    Parameters
    ----------
    params : iterable of Tensor or dict
        Parameters to optimize, or param groups.
    lr : float
        Learning rate :math:`\gamma` (default 1e-3).
    betas : (float, float)
        Decay rates :math:`(\beta_1, \beta_2)`, each in [0, 1) (default (0.9, 0.999)).
    eps : float
        Added to the denominator (default 1e-8).
    weight_decay : float
        Weight decay :math:`\lambda` (default 0): an L2 penalty added to the gradient, or
        with ``decoupled_weight_decay`` a shrinkage of :math:`\theta` (AdamW).
    amsgrad : bool
        Use the running maximum of :math:`v_t` (Reddi et al., ICLR 2018).
    maximize : bool
        Maximize the objective instead of minimizing it.
    decoupled_weight_decay : bool
        Decouple weight decay from the gradient, which makes this optimizer AdamW.

    Notes
    -----
    State per parameter: ``step``, ``exp_avg`` (:math:`m`), ``exp_avg_sq`` (:math:`v`)
    and, with amsgrad, ``max_exp_avg_sq``; all start at zero.

    Examples
    --------
    >>> import glassnet
    >>> w = glassnet.tensor([1.0], requires_grad=True)
    >>> opt = Adam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> round(w.item(), 4)  # the first Adam step moves each coordinate by about lr
    0.9
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 maximize: bool = False, decoupled_weight_decay: bool = False):
        defaults = dict(lr=lr, betas=tuple(betas) if isinstance(betas, list) else betas,
                        eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict) -> None:
        name = type(self).__name__
        check_range(name, "lr", group["lr"])
        check_range(name, "eps", group["eps"])
        check_betas(name, group["betas"])
        check_range(name, "weight_decay", group["weight_decay"])

    def step(self, closure=None):
        """Perform one optimization step; return the closure's loss (or None)."""
        loss = self._evaluate(closure)
        with no_grad():
            for group in self.param_groups:
                lr = group["lr"]
                beta1, beta2 = group["betas"]
                wd = group["weight_decay"]
                for p, grad in _grads(group):
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = _new_step()
                        state["exp_avg"] = _zeros_like(p)
                        state["exp_avg_sq"] = _zeros_like(p)
                        if group["amsgrad"]:
                            state["max_exp_avg_sq"] = _zeros_like(p)
                    if group["maximize"]:
                        grad = -grad
                    step = _increment(state["step"])
                    if wd != 0:
                        if group["decoupled_weight_decay"]:
                            p._data *= 1 - lr * wd
                        else:
                            grad = grad + wd * p._data
                    exp_avg = state["exp_avg"]._data
                    exp_avg_sq = state["exp_avg_sq"]._data
                    _lerp_(exp_avg, grad, 1 - beta1)
                    exp_avg_sq *= beta2
                    exp_avg_sq += (1 - beta2) * (grad * grad)
                    bias_correction1 = 1 - beta1 ** step
                    bias_correction2 = 1 - beta2 ** step
                    step_size = lr / bias_correction1
                    bias_correction2_sqrt = bias_correction2 ** 0.5
                    # NOTE: eps goes after the bias correction (paper, Algorithm 1); adding
                    # it first would scale it by 1/sqrt(1 - beta2^t), 31x at t = 1.
                    if group["amsgrad"]:
                        max_sq = state["max_exp_avg_sq"]._data
                        np.maximum(max_sq, exp_avg_sq, out=max_sq)
                        denom = np.sqrt(max_sq) / bias_correction2_sqrt + group["eps"]
                    else:
                        denom = np.sqrt(exp_avg_sq) / bias_correction2_sqrt + group["eps"]
                    p._data += -step_size * (exp_avg / denom)
                    p._bump()
        return loss


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov and Hutter, ICLR 2019), as
    ``torch.optim.AdamW``.

    Identical to :class:`Adam` except that weight decay shrinks the parameter directly
    instead of being added to the gradient, so it is not rescaled by the adaptive
    denominator:

    .. math::

        \theta_{t-1} &\leftarrow (1 - \gamma\lambda)\,\theta_{t-1} \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t, \quad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \theta_t &= \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t} \,
            \frac{m_t}{\sqrt{\hat v_t} / \sqrt{1 - \beta_2^t} + \epsilon}

    Parameters
    ----------
    params : iterable of Tensor or dict
        Parameters to optimize, or param groups.
    lr : float
        Learning rate :math:`\gamma` (default 1e-3).
    betas : (float, float)
        Decay rates :math:`(\beta_1, \beta_2)` (default (0.9, 0.999)).
    eps : float
        Added to the denominator (default 1e-8).
    weight_decay : float
        Decoupled weight decay :math:`\lambda` (default 1e-2).
    amsgrad : bool
        Use the running maximum of :math:`v_t`.
    maximize : bool
        Maximize the objective instead of minimizing it.
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
