"""More loss layers (``torch.nn`` names, arguments and defaults): the multi-class and
multi-label margin losses, the Poisson and Gaussian likelihoods and the triplet loss
with a distance function.  Kept beside :mod:`glassnet.nn.loss` (at its size limit);
each calls one function of :mod:`glassnet.nn.functional`, where the formulas live.
"""
from __future__ import annotations

from glassnet.nn import functional as F
from glassnet.nn.loss import PairwiseDistance, _Loss, _real, _WeightedLoss

__all__ = ["MultiMarginLoss", "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss",
           "PoissonNLLLoss", "GaussianNLLLoss", "TripletMarginWithDistanceLoss"]


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge loss ``sum_{j != y} w[y] max(0, margin - x[y] + x[j])^p / C``.

    Parameters
    ----------
    p : int
        1 or 2, default 1.
    margin : float
        Default 1.
    weight : Tensor, optional
        ``(C,)`` class weights (a buffer).
    size_average, reduce : deprecated
    reduction : str

    Shape
    -----
    input ``(N, C)`` or ``(C)``; target ``(N)`` or ``()`` int64; output scalar or ``(N)``.

    Examples
    --------
    >>> import glassnet, glassnet.nn as nn
    >>> x = glassnet.tensor([[0.1, 0.2, 0.4, 0.8]])
    >>> round(nn.MultiMarginLoss()(x, glassnet.tensor([3])).item(), 4)
    0.325
    """

    def __init__(self, p: int = 1, margin: float = 1.0, weight=None, size_average=None,
                 reduce=None, reduction: str = "mean"):
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2) or isinstance(p, bool):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 are supported, got {p}")
        self.p = p
        self.margin = _real(margin, "margin", "MultiMarginLoss")

    def forward(self, input, target):
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin,
                                   weight=self.weight, reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """Multi-label hinge loss over the target classes listed before the first ``-1``.

    Shape
    -----
    input ``(N, C)`` or ``(C)``; target int64 of the same shape; output scalar or ``(N)``.
    """

    def forward(self, input, target):
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """One-versus-all logistic loss averaged over the classes.

    Parameters
    ----------
    weight : Tensor, optional
        Per-class weights ``(C,)`` (a buffer).

    Shape
    -----
    input ``(N, C)``, target ``(N, C)`` in [0, 1]; output scalar or ``(N)``.
    """

    def forward(self, input, target):
        return F.multilabel_soft_margin_loss(input, target, weight=self.weight,
                                             reduction=self.reduction)


class PoissonNLLLoss(_Loss):
    """Poisson negative log-likelihood of ``target`` under rate ``input`` (or
    ``exp(input)`` when ``log_input``).

    Parameters
    ----------
    log_input : bool
        Default True.
    full : bool
        Add Stirling's approximation of ``log(target!)``; default False.
    size_average, reduce : deprecated
    eps : float
        Default 1e-8, added inside the log when ``log_input=False``.
    reduction : str

    Shape
    -----
    input ``(*)``, target ``(*)``; output scalar or ``(*)``.
    """

    def __init__(self, log_input: bool = True, full: bool = False, size_average=None,
                 eps: float = 1e-8, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input = log_input
        self.full = full
        self.eps = _real(eps, "eps", "PoissonNLLLoss")

    def forward(self, log_input, target):
        return F.poisson_nll_loss(log_input, target, log_input=self.log_input,
                                  full=self.full, eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood ``(log var + (input - target)^2 / var) / 2``
    with ``var`` clamped at ``eps``.

    Parameters
    ----------
    full : bool
        Add ``log(2 pi) / 2``; keyword-only, default False.
    eps : float
        Keyword-only, default 1e-6.
    reduction : str
        Keyword-only.

    Shape
    -----
    input ``(N, *)``, target as input, var as input or with one dim of size 1 or without
    the last dim; output scalar or as input.
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean"):
        super().__init__(None, None, reduction)
        self.full = full
        self.eps = _real(eps, "eps", "GaussianNLLLoss")

    def forward(self, input, target, var):
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                   reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """``max(d(a, p) - d(a, n) + margin, 0)`` with any distance ``d``.

    Parameters
    ----------
    distance_function : callable, optional
        Keyword-only; default ``PairwiseDistance()`` (a child module, as torch).
    margin : float
        Keyword-only, > 0, default 1.
    swap : bool
        Keyword-only: use ``min(d(a, n), d(p, n))``.
    reduction : str
        Keyword-only.

    Shape
    -----
    anchor, positive, negative ``(N, *)`` or ``(*)``; output scalar or ``(N)``.
    """

    def __init__(self, *, distance_function=None, margin: float = 1.0, swap: bool = False,
                 reduction: str = "mean"):
        super().__init__(None, None, reduction)
        margin = _real(margin, "margin", "TripletMarginWithDistanceLoss")
        if margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: margin must be greater than 0, "
                             f"got {margin}")
        if distance_function is not None and not callable(distance_function):
            raise TypeError(f"TripletMarginWithDistanceLoss: distance_function must be "
                            f"callable or None, got {type(distance_function).__name__}")
        self.distance_function = (distance_function if distance_function is not None
                                  else PairwiseDistance())
        self.margin = margin
        self.swap = swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function,
            margin=self.margin, swap=self.swap, reduction=self.reduction)
