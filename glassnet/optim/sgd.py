"""Stochastic gradient descent with optional momentum, dampening and Nesterov momentum."""
from __future__ import annotations

from glassnet.autograd import no_grad
from glassnet.ops.kernels import elementwise as _ew
from glassnet.optim.optimizer import Optimizer, _grads, check_range
from glassnet.tensor import Tensor

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (``torch.optim.SGD``).

    For each parameter :math:`\theta` with gradient :math:`g_t` at step :math:`t`
    (learning rate :math:`\gamma`, momentum :math:`\mu`, dampening :math:`\tau`, weight
    decay :math:`\lambda`):

    .. math::

        g_t &\leftarrow -g_t \quad \text{if maximize} \\
        g_t &\leftarrow g_t + \lambda \theta_{t-1} \quad \text{if } \lambda \ne 0 \\
        b_t &\leftarrow g_t \ \text{ if } t = 1, \quad
              \mu b_{t-1} + (1 - \tau) g_t \ \text{ otherwise} \quad \text{if } \mu \ne 0 \\
        g_t &\leftarrow g_t + \mu b_t \ \text{ if nesterov}, \quad b_t \ \text{ otherwise} \\
        \theta_t &\leftarrow \theta_{t-1} - \gamma g_t

    Weight decay is coupled (added to the gradient, so it passes through momentum), and
    the momentum buffer starts as the first gradient, not zero, as in PyTorch.

    Parameters
    ----------
    params : iterable of Tensor or dict
        Parameters to optimize, or param groups.
    lr : float
        Learning rate :math:`\gamma` (default 1e-3).
    momentum : float
        Momentum factor :math:`\mu` (default 0).
    dampening : float
        Dampening :math:`\tau` of the momentum (default 0).
    weight_decay : float
        L2 penalty :math:`\lambda` (default 0).
    nesterov : bool
        Use Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
    maximize : bool
        Maximize the objective instead of minimizing it.

    Notes
    -----
    State per parameter: ``momentum_buffer`` (like the parameter), only when
    ``momentum != 0``.

    Examples
    --------
    >>> import glassnet
    >>> w = glassnet.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w.detach().numpy().tolist()
    [0.800000011920929, -1.600000023841858]
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict) -> None:
        check_range("SGD", "lr", group["lr"])
        check_range("SGD", "momentum", group["momentum"])
        check_range("SGD", "weight_decay", group["weight_decay"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: nesterov requires a momentum > 0 and zero dampening, got "
                             f"momentum={group['momentum']}, "
                             f"dampening={group['dampening']}")

    def step(self, closure=None):
        """Perform one optimization step; return the closure's loss (or None)."""
        loss = self._evaluate(closure)
        with no_grad():
            for group in self.param_groups:
                lr = group["lr"]
                wd = group["weight_decay"]
                momentum = group["momentum"]
                dampening = group["dampening"]
                for p, grad in _grads(group):
                    buf = self.state[p].get("momentum_buffer") if momentum != 0 else None
                    if buf is not None and _ew.sgd_momentum(
                            p._data, grad, buf._data, lr=lr, momentum=momentum,
                            dampening=dampening, weight_decay=wd,
                            nesterov=group["nesterov"], maximize=group["maximize"]):
                        p._bump()  # the lines below, in one pass on all cores
                        continue
                    if group["maximize"]:
                        grad = -grad
                    if wd != 0:
                        grad = grad + wd * p._data
                    if momentum != 0:
                        state = self.state[p]
                        buf = state.get("momentum_buffer")
                        if buf is None:
                            buf = Tensor._wrap(grad.copy())
                            state["momentum_buffer"] = buf
                        else:
                            buf._data *= momentum
                            buf._data += (1 - dampening) * grad
                        if group["nesterov"]:
                            grad = grad + momentum * buf._data
                        else:
                            grad = buf._data
                    p._data += -lr * grad
                    p._bump()
        return loss
