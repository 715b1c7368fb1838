"""Loss and distance layers (``torch.nn`` names, arguments and defaults).

Each loss stores its hyperparameters and calls one function of
:mod:`glassnet.nn.functional`, where the formulas are documented.  ``reduction`` is
``'mean'`` (default), ``'sum'`` or ``'none'``; the deprecated ``size_average`` and
``reduce`` arguments keep PyTorch's positional order and are converted to a
``reduction`` in ``__init__`` (with a DeprecationWarning).  Class weights
(``weight``) and ``pos_weight`` are buffers, as in PyTorch, so they follow
``.to(dtype)`` and appear in ``state_dict``.
"""
from __future__ import annotations

import numbers
import warnings

from glassnet._checks import check_choice
from glassnet.nn import functional as F
from glassnet.nn._layer_checks import _check_int
from glassnet.nn.module import Module
from glassnet.tensor import Tensor

__all__ = [
    "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "CrossEntropyLoss", "NLLLoss",
    "BCELoss", "BCEWithLogitsLoss", "KLDivLoss", "TripletMarginLoss", "MarginRankingLoss",
    "CosineEmbeddingLoss", "HingeEmbeddingLoss", "SoftMarginLoss", "CosineSimilarity",
    "PairwiseDistance",
]


def _real(value, name: str, fn: str, minimum: float | None = None):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}: {name} must be a real number, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{fn}: {name} must be >= {minimum}, got {value}")
    return value


class _Loss(Module):
    _reductions = ("none", "mean", "sum")

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__()
        name = type(self).__name__
        if size_average is not None or reduce is not None:
            # PyTorch's legacy rule: reduce=False wins, else size_average picks mean/sum.
            if reduce is False:
                reduction = "none"
            else:
                reduction = "sum" if size_average is False else "mean"
            warnings.warn(f"{name}: size_average and reduce are deprecated, use "
                          f"reduction={reduction!r} instead", DeprecationWarning,
                          stacklevel=3)
        self.reduction = check_choice(reduction, self._reductions, "reduction", name)


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        if weight is not None and not isinstance(weight, Tensor):
            raise TypeError(f"{type(self).__name__}: weight must be a Tensor or None, got "
                            f"{type(weight).__name__}")
        self.register_buffer("weight", weight)


class L1Loss(_Loss):
    """Mean absolute error ``|input - target|``.

    Shape
    -----
    input ``(*)``, target ``(*)``; output scalar, or ``(*)`` with ``reduction='none'``.
    """

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class MSELoss(_Loss):
    """Mean squared error ``(input - target)**2``.

    Shape
    -----
    input ``(*)``, target ``(*)``; output scalar, or ``(*)`` with ``reduction='none'``.
    """

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``
    (Girshick 2015, Fast R-CNN).

    Parameters
    ----------
    size_average, reduce : deprecated
    reduction : str
    beta : float
        Default 1.0, >= 0.

    Shape
    -----
    input ``(*)``, target ``(*)``; output scalar, or ``(*)`` with ``reduction='none'``.
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 beta: float = 1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = _real(beta, "beta", "SmoothL1Loss", 0.0)

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """``0.5 d**2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)`` (Huber 1964).

    Parameters
    ----------
    reduction : str
    delta : float
        Default 1.0, > 0.

    Shape
    -----
    input ``(*)``, target ``(*)``; output scalar, or ``(*)`` with ``reduction='none'``.
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction=reduction)
        self.delta = _real(delta, "delta", "HuberLoss")
        if not delta > 0:
            raise ValueError(f"HuberLoss: delta must be > 0, got {delta}")

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class CrossEntropyLoss(_WeightedLoss):
    """Cross entropy of logits: ``log_softmax`` + negative log likelihood.

    Parameters
    ----------
    weight : Tensor, optional
        Per-class weights ``(C,)`` (a buffer).
    size_average, reduce : deprecated
    ignore_index : int
        Targets equal to it contribute nothing (default -100).
    reduction : str
        ``'mean'`` divides by the total weight of the counted targets.
    label_smoothing : float
        In [0, 1]: mixes the target with the uniform distribution (Szegedy et al.
        2016, arXiv:1512.00567).

    Shape
    -----
    - input: ``(N, C)``, ``(C,)`` or ``(N, C, d1, ...)``
    - target: class indices ``(N)`` / ``()`` / ``(N, d1, ...)`` (int64), or class
      probabilities of the input's shape
    - output: scalar, or ``(N, d1, ...)`` with ``reduction='none'``

    Examples
    --------
    >>> import glassnet, glassnet.nn as nn
    >>> loss = nn.CrossEntropyLoss()(glassnet.zeros(2, 4), glassnet.tensor([0, 3]))
    >>> round(loss.item(), 4)  # log(4)
    1.3863
    """

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100,
                 reduce=None, reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = _check_int(ignore_index, "ignore_index", "CrossEntropyLoss",
                                       None)
        self.label_smoothing = _real(label_smoothing, "label_smoothing", "CrossEntropyLoss",
                                     0.0)
        if label_smoothing > 1:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got "
                             f"{label_smoothing}")

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight,
                               ignore_index=self.ignore_index, reduction=self.reduction,
                               label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log likelihood of log-probabilities: ``-input[n, target[n]]``.

    Parameters
    ----------
    weight : Tensor, optional
        Per-class weights ``(C,)``.
    size_average, reduce : deprecated
    ignore_index : int
        Default -100.
    reduction : str

    Shape
    -----
    input ``(N, C)`` or ``(N, C, d1, ...)``; target ``(N)`` or ``(N, d1, ...)`` int64;
    output scalar or the target's shape.
    """

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100,
                 reduce=None, reduction: str = "mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = _check_int(ignore_index, "ignore_index", "NLLLoss", None)

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross entropy of probabilities, ``-(t log p + (1 - t) log(1 - p))``, with
    the logs clamped at -100 as in PyTorch.

    Parameters
    ----------
    weight : Tensor, optional
        Rescales each element; broadcast to the input.
    size_average, reduce : deprecated
    reduction : str

    Shape
    -----
    input ``(*)`` in [0, 1], target ``(*)``; output scalar or ``(*)``.
    """

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross entropy, computed stably from logits.

    Parameters
    ----------
    weight : Tensor, optional
        Rescales each element (a buffer).
    size_average, reduce : deprecated
    reduction : str
    pos_weight : Tensor, optional
        Weight of the positive class, broadcast along the last (class) dimension (a
        buffer).

    Shape
    -----
    input ``(*)`` logits, target ``(*)``; output scalar or ``(*)``.
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean",
                 pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        for name, t in (("weight", weight), ("pos_weight", pos_weight)):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"BCEWithLogitsLoss: {name} must be a Tensor or None, got "
                                f"{type(t).__name__}")
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight,
                                                  pos_weight=self.pos_weight,
                                                  reduction=self.reduction)


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence ``target * (log target - input)`` with ``input`` in
    log space (and ``target`` too when ``log_target``).

    Parameters
    ----------
    size_average, reduce : deprecated
    reduction : {'mean', 'batchmean', 'sum', 'none'}
        ``'batchmean'`` (sum / N) is the true KL divergence; ``'mean'`` averages over
        every element, as in PyTorch.
    log_target : bool

    Shape
    -----
    input ``(*)``, target ``(*)``; output scalar or ``(*)``.
    """

    _reductions = ("none", "mean", "sum", "batchmean")

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 log_target: bool = False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class TripletMarginLoss(_Loss):
    """``max(d(a, p) - d(a, n) + margin, 0)`` with the pairwise p-norm distance
    (Schroff et al. 2015, FaceNet; Balntas et al. 2016 for ``swap``).

    Parameters
    ----------
    margin : float
        Default 1.0.
    p : float
        Norm degree, default 2.
    eps : float
        Added to the difference before the norm, default 1e-6.
    swap : bool
        Use ``min(d(a, n), d(p, n))`` as the negative distance.
    size_average, reduce : deprecated
    reduction : str

    Shape
    -----
    anchor, positive, negative ``(N, D)`` or ``(D,)``; output scalar or ``(N)``.
    """

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                 swap: bool = False, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = _real(margin, "margin", "TripletMarginLoss")
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: margin must be > 0, got {margin}")
        self.p = _real(p, "p", "TripletMarginLoss")
        self.eps = _real(eps, "eps", "TripletMarginLoss", 0.0)
        self.swap = swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p,
                                     eps=self.eps, swap=self.swap, reduction=self.reduction)


class MarginRankingLoss(_Loss):
    """``max(0, -y (x1 - x2) + margin)`` with ``y`` in {1, -1}.

    Shape
    -----
    input1 ``(N)``, input2 ``(N)``, target ``(N)``; output scalar or ``(N)``.
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None,
                 reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = _real(margin, "margin", "MarginRankingLoss")

    def forward(self, input1, input2, target):
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin,
                                     reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    """``1 - cos(x1, x2)`` for ``y = 1``; ``max(0, cos(x1, x2) - margin)`` for ``y = -1``.

    Shape
    -----
    input1 ``(N, D)``, input2 ``(N, D)``, target ``(N)``; output scalar or ``(N)``.
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None,
                 reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = _real(margin, "margin", "CosineEmbeddingLoss")

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin,
                                       reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """``x`` for ``y = 1``; ``max(0, margin - x)`` for ``y = -1``.

    Shape
    -----
    input ``(*)``, target ``(*)``; output scalar or ``(*)``.
    """

    def __init__(self, margin: float = 1.0, size_average=None, reduce=None,
                 reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = _real(margin, "margin", "HingeEmbeddingLoss")

    def forward(self, input, target):
        return F.hinge_embedding_loss(input, target, margin=self.margin,
                                      reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """Two-class logistic loss ``log(1 + exp(-y x))``.

    Shape
    -----
    input ``(*)``, target ``(*)`` in {1, -1}; output scalar or ``(*)``.
    """

    def forward(self, input, target):
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class CosineSimilarity(Module):
    """``x1 . x2 / (max(|x1|, eps) max(|x2|, eps))`` along ``dim``.

    Parameters
    ----------
    dim : int
        Default 1.
    eps : float
        Default 1e-8.

    Shape
    -----
    x1 ``(*1, D, *2)``, x2 broadcastable to it; output ``(*1, *2)``.
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8):
        super().__init__()
        self.dim = _check_int(dim, "dim", "CosineSimilarity", None)
        self.eps = _real(eps, "eps", "CosineSimilarity", 0.0)

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """``|x1 - x2 + eps|_p`` along the last dimension.

    Parameters
    ----------
    p : float
        Norm degree, default 2.
    eps : float
        Default 1e-6.
    keepdim : bool

    Shape
    -----
    x1 ``(N, D)`` or ``(D)``, x2 the same; output ``(N)`` (``(N, 1)`` with ``keepdim``).
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
        super().__init__()
        self.norm = _real(p, "p", "PairwiseDistance")
        self.eps = _real(eps, "eps", "PairwiseDistance", 0.0)
        self.keepdim = keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
