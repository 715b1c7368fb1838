"""nn.functional: losses, with ``torch.nn.functional``'s names and semantics.

Every function validates its arguments and calls one fused Function from
:mod:`glassnet.ops.loss` (``triplet_margin_loss`` composes two distances).  Reductions:
``'none'`` keeps the per-element loss, ``'sum'`` adds it up, ``'mean'`` averages it
(the weighted class losses divide by the total weight of the counted targets).  The
deprecated ``size_average`` / ``reduce`` arguments are accepted, as in PyTorch, only to
keep the positional order; they override ``reduction`` with a warning.
"""
from __future__ import annotations

import warnings

import numpy as np

from glassnet._checks import check_choice, check_float, check_tensor
from glassnet.ops import loss as L
from glassnet.ops.elementwise import cast, clamp, minimum
from glassnet.nn._functional.distance import _float_target, pairwise_distance
from glassnet.tensor import Tensor

__all__ = [
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
    "triplet_margin_loss", "margin_ranking_loss", "hinge_embedding_loss",
    "soft_margin_loss", "cosine_embedding_loss", "multi_margin_loss",
]

_REDUCTIONS = ("none", "mean", "sum")


# ---------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------
def _reduction(reduction, size_average, reduce, fn, allowed=_REDUCTIONS):
    if size_average is not None or reduce is not None:
        # PyTorch's legacy rule: reduce=False wins, else size_average picks mean or sum.
        if reduce is False:
            reduction = "none"
        else:
            reduction = "sum" if size_average is False else "mean"
        warnings.warn(f"{fn}: size_average and reduce are deprecated, use "
                      f"reduction={reduction!r} instead", DeprecationWarning, stacklevel=3)
    return check_choice(reduction, allowed, "reduction", fn)


def _same_shape(input, other, name, fn):
    check_tensor(other, name, fn)
    if tuple(other.shape) != tuple(input.shape):
        raise ValueError(f"{fn}: {name} must have the shape of input {tuple(input.shape)}, "
                         f"got {tuple(other.shape)}")


def _aux_weight(weight, input, name, fn, shape=None):
    """A non-differentiable weight as a raw array of input's dtype (None stays None)."""
    if weight is None:
        return None
    check_float(weight, name, fn)
    if shape is not None and tuple(weight.shape) != shape:
        raise ValueError(f"{fn}: {name} must have shape {shape}, got {tuple(weight.shape)}")
    try:
        ok = np.broadcast_shapes(input.shape, weight.shape) == tuple(input.shape)
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{fn}: {name} must broadcast to the input shape "
                         f"{tuple(input.shape)}, got {tuple(weight.shape)}")
    return weight._data.astype(input.dtype, copy=False)


def _class_weight(weight, c, fn):
    if weight is None:
        return None
    check_float(weight, "weight", fn)
    if tuple(weight.shape) != (c,):
        raise ValueError(f"{fn}: weight must have shape (C,) = ({c},), one entry per class, "
                         f"got {tuple(weight.shape)}")
    return weight._data


def _check_classes(target, c, ignore_index, fn):
    t = target._data
    bad = (t < 0) | (t >= c)
    if ignore_index is not None:
        bad &= t != ignore_index
    if bad.any():
        extra = "" if ignore_index is None else f" (ignore_index={ignore_index})"
        raise ValueError(f"{fn}: target class index {int(t[bad].ravel()[0])} is out of range "
                         f"[0, {c}){extra}")


def _index_target(input, target, fn, probs_allowed=False):
    """Validate a class-index target for (C,) / (N, C) / (N, C, d1, ...) input.

    Returns True for a probability target (allowed only when ``probs_allowed``).
    """
    check_float(input, "input", fn)
    if input.ndim == 0:
        raise ValueError(f"{fn}: input must have shape (C,), (N, C) or (N, C, d1, ...), got ()")
    check_tensor(target, "target", fn)
    shape = tuple(input.shape)
    want = shape[:1] + shape[2:] if len(shape) > 1 else ()
    docs = {1: ("()", "(C,)"), 2: ("(N,)", "(N, C)")}.get(len(shape),
                                                          ("(N, d1, ...)", "(N, C, d1, ...)"))
    if probs_allowed and target.dtype.kind == "f" and tuple(target.shape) == shape:
        return True
    if target.dtype == np.int64 and tuple(target.shape) == want:
        return False
    what = (f"int64 class indices of shape {docs[0]} or probabilities of shape {docs[1]}"
            if probs_allowed else f"int64 class indices of shape {docs[0]}")
    msg = (f"{fn}: target must be {what}, got {target.dtype} {tuple(target.shape)} "
           f"for input of shape {shape}")
    if target.dtype.kind in "fiub" and tuple(target.shape) == want:
        raise TypeError(msg)  # right shape, wrong dtype
    raise ValueError(msg)


def _label_target(target, input, fn, name="target"):
    """Cast a label tensor (+1 / -1) to input's dtype so no int promotes to float64."""
    check_tensor(target, name, fn)
    return target if target.dtype == input.dtype else cast(target, input.dtype)


# ---------------------------------------------------------------------------
# Regression
# ---------------------------------------------------------------------------
def _pointwise(input, target, weight, fn, kind, reduction, param=1.0):
    input, target = _float_target(input, target, fn)
    if weight is None:
        return L.PointwiseLoss.apply(input, target, kind=kind, reduction=reduction,
                                     param=param)
    _same_shape(input, weight, "weight", fn)
    check_float(weight, "weight", fn)
    weight = cast(weight, input.dtype) if weight.dtype != input.dtype else weight
    return L.PointwiseLoss.apply(input, target, weight, kind=kind, reduction=reduction,
                                 param=param)


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean squared error ``(input - target) ** 2``.

    Parameters
    ----------
    input, target : Tensor
        Same shape (a different but broadcastable target warns, as in PyTorch). The
        target is differentiable.
    reduction : {'mean', 'sum', 'none'}
    weight : Tensor, optional
        Per-element weight of input's shape; 'mean' then divides by ``weight.sum()``.

    Returns
    -------
    Tensor
        Scalar, or input's shape for ``reduction='none'``.

    Shape
    -----
    input: ``(*)``, target: ``(*)``, output: ``()`` or ``(*)``.

    Examples
    --------
    >>> import glassnet as gn
    >>> mse_loss(gn.tensor([1.0, 2.0]), gn.tensor([0.0, 0.0]))
    tensor(2.5)
    """
    reduction = _reduction(reduction, size_average, reduce, "mse_loss")
    return _pointwise(input, target, weight, "mse_loss", "mse", reduction)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean absolute error ``|input - target|`` (subgradient 0 at equality).

    Arguments, returns and shapes as :func:`mse_loss`.
    """
    reduction = _reduction(reduction, size_average, reduce, "l1_loss")
    return _pointwise(input, target, weight, "l1_loss", "l1", reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Smooth L1 (Girshick, Fast R-CNN, 2015): ``0.5 d**2 / beta`` if ``|d| < beta``,
    else ``|d| - 0.5 beta``, with ``d = input - target``; ``beta=0`` is :func:`l1_loss`.

    Shapes as :func:`mse_loss`.
    """
    reduction = _reduction(reduction, size_average, reduce, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    return _pointwise(input, target, None, "smooth_l1_loss", "smooth_l1", reduction,
                      float(beta))


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """Huber loss (Huber, 1964): ``0.5 d**2`` if ``|d| < delta``, else
    ``delta (|d| - 0.5 delta)``; equals ``delta * smooth_l1_loss(beta=delta)``.

    With ``weight``, 'mean' is the plain mean of the weighted losses (PyTorch's rule,
    unlike :func:`mse_loss`). Shapes as :func:`mse_loss`.
    """
    reduction = _reduction(reduction, None, None, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}")
    return _pointwise(input, target, weight, "huber_loss", "huber", reduction, float(delta))


# ---------------------------------------------------------------------------
# Classification
# ---------------------------------------------------------------------------
def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy between ``softmax(input)`` over dim 1 and the target, fused.

    Parameters
    ----------
    input : Tensor
        Unnormalised logits.
    target : Tensor
        int64 class indices in ``[0, C)`` (or ``ignore_index``), or class probabilities
        of input's shape (differentiable).
    weight : Tensor, optional
        Per-class weight of shape ``(C,)``.
    ignore_index : int
        Class-index targets equal to it add nothing and are left out of the 'mean'
        denominator; not allowed (>= 0) with probability targets.
    reduction : {'mean', 'sum', 'none'}
        'mean' divides by the summed weight of the counted targets (index targets) or by
        the number of ``(n, d1, ...)`` positions (probability targets); when every target
        is ignored it gives nan, as PyTorch.
    label_smoothing : float
        ``s`` in [0, 1]: the target becomes ``(1 - s) * onehot + s / C``.

    Returns
    -------
    Tensor
        Scalar, or ``(N, d1, ...)`` for ``reduction='none'``.

    Shape
    -----
    input: ``(C,)``, ``(N, C)`` or ``(N, C, d1, ...)``; target: ``()``, ``(N,)`` or
    ``(N, d1, ...)`` (indices) or input's shape (probabilities).

    Examples
    --------
    >>> import glassnet as gn
    >>> cross_entropy(gn.zeros(2, 4), gn.tensor([0, 3]))  # log 4
    tensor(1.3863)
    """
    fn = "cross_entropy"
    reduction = _reduction(reduction, size_average, reduce, fn)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{fn}: label_smoothing must be in [0, 1], got {label_smoothing}")
    probs = _index_target(input, target, fn, probs_allowed=True)
    c = input.shape[0 if input.ndim == 1 else 1]
    w = _class_weight(weight, c, fn)
    w = None if w is None else w.astype(input.dtype, copy=False)
    if probs:
        if ignore_index >= 0:
            raise ValueError(f"{fn}: ignore_index is not supported for probability targets, "
                             f"got ignore_index={ignore_index}")
        if target.dtype != input.dtype:
            raise TypeError(f"{fn}: probability target dtype must be input's dtype "
                            f"{input.dtype}, got {target.dtype}")
        return L.CrossEntropyProb.apply(input, target, weight=w, reduction=reduction,
                                        label_smoothing=float(label_smoothing))
    _check_classes(target, c, ignore_index, fn)
    return L.CrossEntropy.apply(input, target, weight=w, ignore_index=int(ignore_index),
                                reduction=reduction, label_smoothing=float(label_smoothing))


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood ``-weight[t] * input[n, t]`` of log-probabilities.

    Arguments as :func:`cross_entropy` (class-index targets only); 'mean' divides by the
    summed weight of the non-ignored targets (nan when all are ignored).

    Shape
    -----
    input: ``(C,)``, ``(N, C)`` or ``(N, C, d1, ...)``; target: ``()``, ``(N,)`` or
    ``(N, d1, ...)``; output: ``()`` or target's shape for ``reduction='none'``.
    """
    fn = "nll_loss"
    reduction = _reduction(reduction, size_average, reduce, fn)
    _index_target(input, target, fn)
    c = input.shape[0 if input.ndim == 1 else 1]
    w = _class_weight(weight, c, fn)
    _check_classes(target, c, ignore_index, fn)
    return L.NLLLoss.apply(input, target,
                           weight=None if w is None else w.astype(input.dtype, copy=False),
                           ignore_index=int(ignore_index), reduction=reduction)


def _float_dtype_target(target, fn):
    # NOTE: torch refuses integer targets here ("Found dtype Long but expected Float"),
    # where a 0/1 label tensor is an easy mistake; the other losses promote them.
    if isinstance(target, Tensor) and target.dtype.kind != "f":
        raise TypeError(f"{fn}: target must be a floating-point tensor (probabilities in "
                        f"[0, 1]), got {target.dtype}; convert it with target.float()")


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Binary cross entropy ``-w (t log x + (1 - t) log(1 - x))`` of probabilities ``x``.

    Each log is clamped at -100, as PyTorch, so that 0 and 1 give finite values. Prefer
    :func:`binary_cross_entropy_with_logits` on logits. ``target`` is differentiable;
    ``weight`` (broadcast to input's shape) is not.

    Shape
    -----
    input: ``(*)`` in [0, 1]; target: ``(*)``; output: ``()`` or ``(*)``.
    """
    fn = "binary_cross_entropy"
    reduction = _reduction(reduction, size_average, reduce, fn)
    check_float(input, "input", fn)
    _same_shape(input, target, "target", fn)
    _float_dtype_target(target, fn)
    input, target = _float_target(input, target, fn)
    x = input._data
    if x.size and not (x.min() >= 0 and x.max() <= 1):
        raise ValueError(f"{fn}: input must hold probabilities in [0, 1], got values in "
                         f"[{x.min()}, {x.max()}]")
    return L.BinaryCrossEntropy.apply(input, target,
                                      weight=_aux_weight(weight, input, "weight", fn),
                                      reduction=reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid + binary cross entropy in one overflow-free expression.

    ``loss = w * ((1 - t) x - (1 + (pos_weight - 1) t) log sigmoid(x))``.

    Parameters
    ----------
    input, target : Tensor
        Logits and targets in [0, 1] of the same shape; the target is differentiable.
    weight : Tensor, optional
        Rescaling weight, broadcast to input's shape.
    pos_weight : Tensor, optional
        Weight of the positive term, broadcast along the last (class) dimension.

    Shape
    -----
    input: ``(*)``; target: ``(*)``; pos_weight: ``(C,)`` for ``(*, C)`` input.

    Examples
    --------
    >>> import glassnet as gn
    >>> binary_cross_entropy_with_logits(gn.zeros(3), gn.ones(3))  # log 2
    tensor(0.6931)
    """
    fn = "binary_cross_entropy_with_logits"
    reduction = _reduction(reduction, size_average, reduce, fn)
    check_float(input, "input", fn)
    _same_shape(input, target, "target", fn)
    _float_dtype_target(target, fn)
    input, target = _float_target(input, target, fn)
    return L.BinaryCrossEntropyWithLogits.apply(
        input, target, weight=_aux_weight(weight, input, "weight", fn),
        pos_weight=_aux_weight(pos_weight, input, "pos_weight", fn), reduction=reduction)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Pointwise KL divergence ``target * (log target - input)``; ``input`` holds
    log-probabilities (``target`` too when ``log_target=True``).

    ``reduction='batchmean'`` divides the sum by the batch size and gives the true KL
    divergence; 'mean' (the default, kept for PyTorch compatibility) divides by the
    number of elements.

    Shape
    -----
    input: ``(*)``; target: broadcastable to input; output: ``()`` or ``(*)``.
    """
    fn = "kl_div"
    reduction = _reduction(reduction, size_average, reduce, fn,
                           allowed=_REDUCTIONS + ("batchmean",))
    input, target = _float_target(input, target, fn, warn_broadcast=False)
    return L.KLDiv.apply(input, target, reduction=reduction, log_target=bool(log_target))


# ---------------------------------------------------------------------------
# Margin and embedding losses
# ---------------------------------------------------------------------------
def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``max(0, -target * (input1 - input2) + margin)`` with targets +1 / -1.

    Shape
    -----
    input1, input2, target: ``(N,)`` or ``()``, all the same number of dimensions.
    """
    fn = "margin_ranking_loss"
    reduction = _reduction(reduction, size_average, reduce, fn)
    check_float(input1, "input1", fn)
    input1, input2 = _float_target(input1, input2, fn, "input2", warn_broadcast=False)
    target = _label_target(target, input1, fn)
    if not input1.ndim == input2.ndim == target.ndim:
        raise ValueError(f"{fn}: input1, input2 and target must have the same number of "
                         f"dimensions, got {tuple(input1.shape)}, {tuple(input2.shape)} and "
                         f"{tuple(target.shape)}")
    try:
        np.broadcast_shapes(input1.shape, input2.shape, target.shape)
    except ValueError:
        raise ValueError(f"{fn}: input1, input2 and target must be broadcastable, got "
                         f"{tuple(input1.shape)}, {tuple(input2.shape)} and "
                         f"{tuple(target.shape)}") from None
    return L.MarginRanking.apply(input1, input2, target, margin=float(margin),
                                 reduction=reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``input`` where target is 1 and ``max(0, margin - input)`` where it is -1.

    Shape
    -----
    input: ``(*)`` (typically distances); target: ``(*)`` of +1 / -1.
    """
    fn = "hinge_embedding_loss"
    reduction = _reduction(reduction, size_average, reduce, fn)
    check_float(input, "input", fn)
    _same_shape(input, target, "target", fn)
    return L.HingeEmbedding.apply(input, _label_target(target, input, fn),
                                  margin=float(margin), reduction=reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """Two-class logistic loss ``log(1 + exp(-target * input))`` with targets +1 / -1.

    Shape
    -----
    input: ``(*)``; target: ``(*)``; output: ``()`` or ``(*)``.
    """
    fn = "soft_margin_loss"
    reduction = _reduction(reduction, size_average, reduce, fn)
    check_float(input, "input", fn)
    _same_shape(input, target, "target", fn)
    return L.SoftMargin.apply(input, _label_target(target, input, fn), reduction=reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``1 - cos(x1, x2)`` where target is 1, ``max(0, cos(x1, x2) - margin)`` where -1.

    Shape
    -----
    input1, input2: ``(N, D)`` or ``(D,)``; target: ``(N,)`` or ``()``.
    """
    fn = "cosine_embedding_loss"
    reduction = _reduction(reduction, size_average, reduce, fn)
    check_float(input1, "input1", fn)
    _same_shape(input1, input2, "input2", fn)
    input1, input2 = _float_target(input1, input2, fn, "input2")
    check_tensor(target, "target", fn)
    if target.ndim not in (0, 1) or input1.ndim != target.ndim + 1 or (
            target.ndim == 1 and target.shape[0] != input1.shape[0]):
        raise ValueError(f"{fn}: target must have shape (N,) for (N, D) inputs or () for "
                         f"(D,) inputs, got {tuple(target.shape)} for inputs of shape "
                         f"{tuple(input1.shape)}")
    return L.CosineEmbedding.apply(input1, input2, _label_target(target, input1, fn),
                                   margin=float(margin), reduction=reduction)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss ``sum_{j != y} w[y] max(0, margin - x[y] + x[j]) ** p / C``.

    Shape
    -----
    input: ``(N, C)`` or ``(C,)``; target: ``(N,)`` or ``()`` int64; weight: ``(C,)``.
    """
    fn = "multi_margin_loss"
    reduction = _reduction(reduction, size_average, reduce, fn)
    if p not in (1, 2):
        raise ValueError(f"{fn}: p must be 1 or 2, got {p}")
    check_float(input, "input", fn)
    if input.ndim not in (1, 2):
        raise ValueError(f"{fn}: input must have shape (N, C) or (C,), got "
                         f"{tuple(input.shape)}")
    _index_target(input, target, fn)
    c = input.shape[-1]
    _check_classes(target, c, None, fn)
    w = _class_weight(weight, c, fn)
    return L.MultiMargin.apply(input, target, p=int(p), margin=float(margin),
                               weight=None if w is None else w.astype(input.dtype),
                               reduction=reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2, eps: float = 1e-6,
                        swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """Triplet loss (Schroff et al., FaceNet, 2015; Balntas et al., 2016 for ``swap``):
    ``max(0, margin + d(a, p) - d(a, n))`` with ``d`` = :func:`pairwise_distance`.

    ``swap=True`` uses ``min(d(a, n), d(p, n))`` as the negative distance.

    Shape
    -----
    anchor, positive, negative: ``(N, D)`` or ``(D,)``, the same number of dimensions;
    output: ``()`` or ``(N,)`` for ``reduction='none'``.
    """
    fn = "triplet_margin_loss"
    reduction = _reduction(reduction, size_average, reduce, fn)
    for name, t in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        check_float(t, name, fn)
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise ValueError(f"{fn}: anchor, positive and negative must have the same number of "
                         f"dimensions, got {tuple(anchor.shape)}, {tuple(positive.shape)} "
                         f"and {tuple(negative.shape)}")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    loss = clamp(margin + d_pos - d_neg, min=0)
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()
