"""Newton's method: exact second-order steps with a finite-difference or given Hessian."""
from __future__ import annotations

import numbers

import numpy as np

from glassnet.autograd import no_grad
from glassnet.optim.optimizer import Optimizer, check_range
from glassnet.tensor import Tensor

__all__ = ["Newton"]


class Newton(Optimizer):
    r"""Newton's method on the flattened parameter vector (a glassnet extra).

    Each :meth:`step` flattens every parameter into one vector :math:`\theta \in
    \mathbb{R}^n`, forms the gradient :math:`g` and the Hessian :math:`H`, and takes

    .. math::

        (H + \delta I)\,\Delta = g, \qquad \theta \leftarrow \theta - \gamma \Delta

    with learning rate :math:`\gamma` (1 gives the pure Newton step) and damping
    :math:`\delta` (Levenberg-style).  On a quadratic with positive-definite :math:`H`,
    one step with :math:`\gamma = 1, \delta = 0` lands on the minimum.

    The Hessian comes from one of two sources:

    * ``hessian='fd'``: central finite differences of the gradient,
      :math:`H_{:, i} = (g(\theta + \epsilon e_i) - g(\theta - \epsilon e_i)) / 2\epsilon`,
      symmetrised as :math:`(H + H^\top)/2`.  glassnet's autograd has no double
      backward, so this re-evaluates ``closure`` (which must recompute the gradients)
      at :math:`2n` perturbed points.  The truncation error is
      :math:`O(\epsilon^2)`; float32 parameters are perturbed and differenced in
      float32, so prefer float64 there or pass an analytic Hessian.
    * a callable ``hessian(params) -> array`` of shape ``(n, n)``, given the list of
      parameter Tensors, for an analytic Hessian; then ``closure`` is optional (the
      gradients already in ``.grad`` are used).

    The system is solved in float64 with ``numpy.linalg.solve``; if the matrix is
    singular (or the solution is not finite) the minimum-norm least-squares solution
    is used instead.  Far from a minimum :math:`H` may be indefinite and the Newton
    step can go uphill: use ``damping > 0``, ``lr < 1`` or a first-order method there.

    Cost versus first-order methods: SGD or Adam needs one gradient and :math:`O(n)`
    work per step; a finite-difference Newton step needs :math:`2n + 1` gradient
    evaluations, :math:`O(n^2)` memory for :math:`H` and an :math:`O(n^3)` solve.  In
    exchange it converges quadratically near a minimum and is unaffected by the
    conditioning that makes gradient descent crawl (e.g. along the Rosenbrock valley),
    so it is for small problems (``max_params``) and for teaching, not for networks.

    Parameters
    ----------
    params : iterable of Tensor
        Parameters to optimize (a single group).
    lr : float
        Step multiplier :math:`\gamma` (default 1.0).
    damping : float
        :math:`\delta \ge 0` added to the Hessian's diagonal (default 0).
    hessian : 'fd' or callable
        How to obtain the Hessian (default ``'fd'``).
    eps : float
        Finite-difference step :math:`\epsilon` (default 1e-4).
    max_params : int
        Refuse to run with more parameters than this (default 5000).

    Notes
    -----
    State (under the first parameter): ``n_iter`` and ``func_evals`` (closure calls).
    The Hessian is not kept: at ``max_params`` it would take 200 MB.

    Examples
    --------
    >>> import glassnet
    >>> x = glassnet.tensor([3.0, -1.0], dtype=glassnet.float64, requires_grad=True)
    >>> opt = Newton([x])
    >>> def closure():
    ...     opt.zero_grad()
    ...     loss = (x * x * glassnet.tensor([1.0, 10.0], dtype=glassnet.float64)).sum()
    ...     loss.backward()
    ...     return loss
    >>> _ = opt.step(closure)
    >>> bool(abs(x.detach().numpy()).max() < 1e-8)
    True
    """

    def __init__(self, params, lr: float = 1.0, damping: float = 0.0, hessian="fd",
                 eps: float = 1e-4, max_params: int = 5000):
        defaults = dict(lr=lr, damping=damping, hessian=hessian, eps=eps,
                        max_params=max_params)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("Newton: doesn't support per-parameter options (parameter "
                             f"groups), got {len(self.param_groups)} groups")
        self._params = self.param_groups[0]["params"]
        n = self._numel()
        if n > max_params:
            raise ValueError(f"Newton: {n} parameters exceed max_params={max_params}; the "
                             f"Hessian would be {n}x{n} and cost {2 * n} gradient "
                             f"evaluations and an O(n^3) solve per step; use a first-order "
                             f"optimizer or raise max_params")

    def _validate_group(self, group: dict) -> None:
        check_range("Newton", "lr", group["lr"])
        check_range("Newton", "damping", group["damping"])
        hessian = group["hessian"]
        if not (hessian == "fd" if isinstance(hessian, str) else callable(hessian)):
            raise ValueError(f"Newton: hessian must be 'fd' or a callable "
                             f"hessian(params) -> array, got {hessian!r}")
        check_range("Newton", "eps", group["eps"])
        if group["eps"] == 0:
            raise ValueError("Newton: eps must be > 0, got 0")
        max_params = group["max_params"]
        if not isinstance(max_params, numbers.Integral) or max_params < 1:
            raise ValueError(f"Newton: max_params must be a positive int, got {max_params!r}")

    def _numel(self) -> int:
        return sum(p._data.size for p in self._params)

    def _flat_params(self) -> np.ndarray:
        return np.concatenate([p._data.reshape(-1).astype(np.float64) for p in self._params])

    def _set_flat(self, flat: np.ndarray) -> None:
        offset = 0
        for p in self._params:
            n = p._data.size
            p._data[...] = flat[offset:offset + n].reshape(p._data.shape)
            p._bump()
            offset += n

    def _flat_grad(self) -> np.ndarray:
        return np.concatenate([np.zeros(p._data.size) if p.grad is None
                               else p.grad._data.reshape(-1).astype(np.float64)
                               for p in self._params])

    def _grad_at(self, closure):
        """Clear the gradients, run ``closure`` and return (loss, flat float64 gradient)."""
        for p in self._params:
            p.grad = None
        loss = self._evaluate(closure)
        return loss, self._flat_grad()

    def step(self, closure=None):
        """Take one Newton step.

        Parameters
        ----------
        closure : callable, optional
            Recomputes the loss and the gradients and returns the loss.  Required with
            ``hessian='fd'``; otherwise the current ``.grad`` values are used if omitted.

        Returns
        -------
        The loss at the starting point (from ``closure``), or None.
        """
        group = self.param_groups[0]
        n = self._numel()
        if n > group["max_params"]:
            raise ValueError(f"Newton.step: {n} parameters exceed "
                             f"max_params={group['max_params']}")
        hessian = group["hessian"]
        if isinstance(hessian, str) and closure is None:
            raise TypeError("Newton.step: hessian='fd' needs a closure that recomputes the "
                            "loss and gradients, got None")
        state = self.state[self._params[0]]
        state.setdefault("n_iter", 0)
        state.setdefault("func_evals", 0)
        with no_grad():
            if closure is not None:
                loss, grad = self._grad_at(closure)
                state["func_evals"] += 1
            else:
                loss, grad = None, self._flat_grad()
            theta = self._flat_params()
            if isinstance(hessian, str):
                grads_at_theta = [p.grad for p in self._params]
                H = self._fd_hessian(closure, theta, group["eps"])
                state["func_evals"] += 2 * n
                # Leave the gradient at theta in .grad, as other optimizers do.
                for p, g in zip(self._params, grads_at_theta):
                    p.grad = g
            else:
                H = self._user_hessian(hessian, n)
            delta = _solve(H, grad, group["damping"])
            self._set_flat(theta - group["lr"] * delta)
        state["n_iter"] += 1
        return loss

    def _fd_hessian(self, closure, theta: np.ndarray, eps: float) -> np.ndarray:
        n = theta.size
        H = np.empty((n, n))
        for i in range(n):
            shifted = theta.copy()
            shifted[i] = theta[i] + eps
            self._set_flat(shifted)
            _, g_plus = self._grad_at(closure)
            shifted[i] = theta[i] - eps
            self._set_flat(shifted)
            _, g_minus = self._grad_at(closure)
            H[:, i] = (g_plus - g_minus) / (2 * eps)
        self._set_flat(theta)
        # NOTE: the true Hessian is symmetric; differencing noise is not.
        return 0.5 * (H + H.T)

    def _user_hessian(self, hessian, n: int) -> np.ndarray:
        H = hessian(list(self._params))
        H = H._data if isinstance(H, Tensor) else H
        H = np.asarray(H, dtype=np.float64)
        if H.shape != (n, n):
            raise ValueError(f"Newton: hessian(params) must return an array of shape "
                             f"({n}, {n}) for {n} parameters, got {H.shape}")
        return H


def _solve(H: np.ndarray, grad: np.ndarray, damping: float) -> np.ndarray:
    """Solve ``(H + damping I) x = grad``, falling back to least squares if singular."""
    A = H + damping * np.eye(H.shape[0]) if damping else H
    try:
        delta = np.linalg.solve(A, grad)
        if np.all(np.isfinite(delta)):
            return delta
    except np.linalg.LinAlgError:
        pass
    return np.linalg.lstsq(A, grad, rcond=None)[0]
