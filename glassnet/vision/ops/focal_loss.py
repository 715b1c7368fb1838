"""Sigmoid focal loss (RetinaNet; Lin et al., ICCV 2017, arXiv:1708.02002), with
``torchvision.ops.sigmoid_focal_loss`` semantics."""
from __future__ import annotations

import numpy as np

from glassnet.autograd import Function
from glassnet.ops.reduce import mean, sum
from glassnet.tensor import Tensor

__all__ = ["sigmoid_focal_loss"]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # NOTE: exp(-|x|) never overflows; the two branches give the same value in exact
    # arithmetic and each is accurate on its own side of 0.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


class SigmoidFocalLossFunction(Function):
    """Elementwise focal loss on logits ``x`` and (soft) targets ``t``.

    With ``p = sigmoid(x)``, ``ce = (1 - t) x - log sigmoid(x)`` (binary cross-entropy
    with logits), ``m = 1 - p_t`` where ``p_t = p t + (1 - p)(1 - t)`` and
    ``a_t = alpha t + (1 - alpha)(1 - t)`` (1 when ``alpha < 0``):
    ``loss = a_t * ce * m ** gamma``.

    Gradients (``m = p + t - 2 p t``):

    - ``d/dx = a_t [(p - t) m^g + g ce m^(g-1) p (1 - p)(1 - 2t)]``
    - ``d/dt = (2 alpha - 1) ce m^g + a_t [-x m^g + g ce m^(g-1) (1 - 2p)]``
    """

    def forward(self, x, t, alpha, gamma):
        p = _sigmoid(x)
        # log sigmoid(x) = min(x, 0) - log1p(exp(-|x|)), stable for large |x|.
        ce = (1 - t) * x - (np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x))))
        # Same operation order as torchvision so that m rounds identically.
        p_t = p * t + (1 - p) * (1 - t)
        m = 1 - p_t
        mod = m ** gamma
        a_t = alpha * t + (1 - alpha) * (1 - t) if alpha >= 0 else np.ones_like(x)
        self.save_for_backward(x, t)
        self.cache = (p, ce, m, mod, a_t, alpha, gamma)
        return (a_t * ce * mod).astype(x.dtype)

    def backward(self, g):
        x, t = self.saved_tensors
        p, ce, m, mod, a_t, alpha, gamma = self.cache
        # NOTE: d(m^g)/dm = g m^(g-1) is 0 for g == 0 (PyTorch's pow rule), also at m == 0.
        if gamma == 0:
            dmod = np.zeros_like(m)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                dmod = gamma * m ** (gamma - 1)
        gx = gt = None
        if self.needs_input_grad[0]:
            gx = g * a_t * ((p - t) * mod + ce * dmod * (p * (1 - p)) * (1 - 2 * t))
            gx = gx.astype(x.dtype)
        if self.needs_input_grad[1]:
            da = (2 * alpha - 1) if alpha >= 0 else 0.0
            gt = g * (da * ce * mod + a_t * (-x * mod + ce * dmod * (1 - 2 * p)))
            gt = gt.astype(t.dtype)
        return gx, gt


def sigmoid_focal_loss(inputs: Tensor, targets: Tensor, alpha: float = 0.25,
                       gamma: float = 2, reduction: str = "none") -> Tensor:
    """Focal loss for dense detection: cross-entropy down-weighted on easy examples.

    ``loss = alpha_t * BCEWithLogits(inputs, targets) * (1 - p_t) ** gamma`` with
    ``p = sigmoid(inputs)``, ``p_t = p * targets + (1 - p) * (1 - targets)`` and
    ``alpha_t = alpha * targets + (1 - alpha) * (1 - targets)``.

    Parameters
    ----------
    inputs : Tensor
        Logits (float32 or float64).
    targets : Tensor
        Same shape; 1 for the positive class, 0 for the negative (soft values allowed).
    alpha : float
        Weight of positives in ``[0, 1]``, or -1 to disable weighting (0.25).
    gamma : float
        Focusing exponent of ``(1 - p_t)`` (2).
    reduction : {'none', 'mean', 'sum'}
        Reduction of the elementwise losses.

    Returns
    -------
    Tensor
        The loss; differentiable w.r.t. ``inputs`` and ``targets``.

    Shape
    -----
    - inputs: ``(*)``
    - targets: ``(*)``, same shape
    - output: ``(*)`` for ``'none'``, scalar otherwise

    Examples
    --------
    >>> import glassnet as gn
    >>> from glassnet.vision.ops import sigmoid_focal_loss
    >>> x = gn.tensor([0.0]); t = gn.tensor([1.0])
    >>> round(sigmoid_focal_loss(x, t).item(), 6)   # 0.25 * log(2) * 0.5 ** 2
    0.043322
    """
    fn = "sigmoid_focal_loss"
    for name, v in (("inputs", inputs), ("targets", targets)):
        if not isinstance(v, Tensor):
            raise TypeError(f"{fn}: {name} must be a Tensor, got {type(v).__name__}")
    if inputs.dtype.kind != "f":
        raise TypeError(f"{fn}: inputs dtype must be float32 or float64, got {inputs.dtype}")
    if inputs.shape != targets.shape:
        raise ValueError(f"{fn}: targets must have the shape of inputs "
                         f"{tuple(inputs.shape)}, got {tuple(targets.shape)}")
    if not (0 <= alpha <= 1) and alpha != -1:
        raise ValueError(f"{fn}: alpha must be in [0, 1] or -1 (no weighting), got {alpha}")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{fn}: reduction must be 'none', 'mean' or 'sum', got "
                         f"{reduction!r}")
    if targets.dtype != inputs.dtype:
        targets = targets.to(inputs.dtype)
    loss = SigmoidFocalLossFunction.apply(inputs, targets, alpha=float(alpha),
                                          gamma=float(gamma))
    if reduction == "mean":
        return mean(loss)
    if reduction == "sum":
        return sum(loss)
    return loss
