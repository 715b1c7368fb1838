"""nn.functional: the multi-label, Poisson / Gaussian likelihood and distance-function
triplet losses (``torch.nn.functional`` names, arguments and reductions).

``multilabel_margin_loss`` and ``poisson_nll_loss`` call one fused Function of
:mod:`glassnet.ops.loss_multilabel`; the others are compositions of differentiable ops,
as torch writes them in Python.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from glassnet._checks import check_float, check_tensor
from glassnet.nn._functional.activation import logsigmoid
from glassnet.nn._functional.distance import _float_target, pairwise_distance
from glassnet.nn._functional.loss import _reduction
from glassnet.ops.elementwise import cast, clamp, minimum
from glassnet.ops.loss_multilabel import MultiLabelMargin, PoissonNLL
from glassnet.ops.shape import broadcast_to, unsqueeze
from glassnet.tensor import Tensor

__all__ = ["multilabel_margin_loss", "multilabel_soft_margin_loss", "poisson_nll_loss",
           "gaussian_nll_loss", "triplet_margin_with_distance_loss"]


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _real(value, name, fn):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}: {name} must be a real number, got {type(value).__name__}")
    return float(value)


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """Multi-label hinge loss: for each sample,
    ``sum_{j} sum_{i not in y} max(0, 1 - (x[y_j] - x[i])) / C`` over the target classes
    ``y`` = the entries of ``target`` before its first ``-1``.

    Shape
    -----
    input: ``(N, C)`` or ``(C,)``; target: int64 of the same shape, padded with -1;
    output: ``()`` or ``(N,)`` for ``reduction='none'``.

    Examples
    --------
    >>> import glassnet as gn
    >>> from glassnet.nn import functional as F
    >>> x = gn.tensor([[0.1, 0.2, 0.4, 0.8]])
    >>> round(F.multilabel_margin_loss(x, gn.tensor([[3, 0, -1, 1]])).item(), 4)
    0.85
    """
    fn = "multilabel_margin_loss"
    reduction = _reduction(reduction, size_average, reduce, fn)
    check_float(input, "input", fn)
    check_tensor(target, "target", fn)
    if input.ndim not in (1, 2) or (input.ndim == 2 and input.shape[1] == 0):
        raise ValueError(f"{fn}: input must have shape (N, C) or (C,), got "
                         f"{tuple(input.shape)}")
    if target.dtype != np.int64:
        raise TypeError(f"{fn}: target dtype must be int64, got {target.dtype}")
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"{fn}: target must have the shape of input {tuple(input.shape)}, "
                         f"got {tuple(target.shape)}")
    t = target._data
    c = input.shape[-1]
    if ((t < -1) | (t >= c)).any():
        raise ValueError(f"{fn}: target values must lie in [-1, {c}), got values in "
                         f"[{int(t.min())}, {int(t.max())}]")
    return MultiLabelMargin.apply(input, target, reduction=reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average=None, reduce=None,
                                reduction: str = "mean") -> Tensor:
    """Multi-label one-versus-all logistic loss, averaged over the ``C`` classes:
    ``-sum_c w_c (y_c log sigmoid(x_c) + (1 - y_c) log sigmoid(-x_c)) / C``.

    Shape
    -----
    input: ``(N, C)`` or ``(C,)``; target: same shape, values in [0, 1]; weight:
    broadcastable to input; output: ``()`` or ``(N,)`` for ``reduction='none'``.
    """
    fn = "multilabel_soft_margin_loss"
    reduction = _reduction(reduction, size_average, reduce, fn)
    input, target = _float_target(input, target, fn)
    if input.ndim == 0:
        raise ValueError(f"{fn}: input must have shape (N, C) or (C,), got ()")
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        check_float(weight, "weight", fn)
        loss = loss * (cast(weight, loss.dtype) if weight.dtype != loss.dtype else weight)
    loss = loss.sum(dim=input.ndim - 1) / input.shape[-1]
    return _reduce(loss, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True,
                     full: bool = False, size_average=None, eps: float = 1e-8,
                     reduce=None, reduction: str = "mean") -> Tensor:
    """Poisson negative log-likelihood ``exp(x) - t x`` (``log_input``, ``x`` the log
    rate) or ``x - t log(x + eps)``; ``full`` adds Stirling's approximation of
    ``log(t!)``, ``t log t - t + log(2 pi t) / 2``, where ``t > 1``.

    Shape
    -----
    input: ``(*)``; target: broadcastable to it; output: ``()`` or the broadcast shape
    for ``reduction='none'``.

    Examples
    --------
    >>> import glassnet as gn
    >>> from glassnet.nn import functional as F
    >>> F.poisson_nll_loss(gn.tensor([0.0]), gn.tensor([2.0])).item()
    1.0
    """
    fn = "poisson_nll_loss"
    reduction = _reduction(reduction, size_average, reduce, fn)
    input, target = _float_target(input, target, fn)
    eps = _real(eps, "eps", fn)
    shape = tuple(np.broadcast_shapes(input.shape, target.shape))
    if tuple(input.shape) != shape:
        input = broadcast_to(input, shape)
    if tuple(target.shape) != shape:
        target = broadcast_to(target, shape)
    return PoissonNLL.apply(input, target, log_input=bool(log_input), full=bool(full),
                            eps=eps, reduction=reduction)


def _gaussian_var(var, input, fn):
    """torch's rules: a float, the input's shape, the input's shape without its last dim
    (homoscedastic), or one mismatched dim of size 1."""
    if isinstance(var, numbers.Real) and not isinstance(var, bool):
        if var < 0:
            raise ValueError(f"{fn}: var has negative entry/entries, got {var}")
        return broadcast_to(Tensor._wrap(np.asarray(var, dtype=input.dtype)),
                            tuple(input.shape))
    check_float(var, "var", fn)
    if (var._data < 0).any():
        raise ValueError(f"{fn}: var has negative entry/entries")
    vs, xs = tuple(var.shape), tuple(input.shape)
    if vs != xs:
        if xs[:-1] == vs:
            var = unsqueeze(var, -1)
        elif not (len(vs) == len(xs) and sum(v for x, v in zip(xs, vs) if x != v) == 1):
            raise ValueError(f"{fn}: var is of incorrect size: expected {xs}, {xs[:-1]} or "
                             f"{xs} with one dimension of size 1, got {vs}")
    return cast(var, input.dtype) if var.dtype != input.dtype else var


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Gaussian negative log-likelihood ``(log(max(var, eps)) + (x - t)^2 / max(var, eps))
    / 2`` (plus ``log(2 pi) / 2`` when ``full``).

    NOTE: as torch, the clamp at ``eps`` is invisible to autograd: the gradient with
    respect to ``var`` is that of the loss at the clamped value, also where ``var <
    eps``.

    Shape
    -----
    input: ``(N, *)`` or ``(*)``; target: same shape (or broadcastable); var: same shape,
    the shape without the last dim, one dim of size 1, or a float; output: ``()`` or the
    input's shape for ``reduction='none'``.

    Examples
    --------
    >>> import glassnet as gn
    >>> from glassnet.nn import functional as F
    >>> F.gaussian_nll_loss(gn.tensor([1.0]), gn.tensor([3.0]), gn.tensor([2.0])).item()
    1.3465735912322998
    """
    fn = "gaussian_nll_loss"
    input, target = _float_target(input, target, fn)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{fn}: reduction must be one of 'none', 'mean', 'sum', got "
                         f"{reduction!r}")
    eps = _real(eps, "eps", fn)
    var = _gaussian_var(var, input, fn)
    # Clamp the value but keep the identity gradient (torch clamps a clone in no_grad).
    var = var + (clamp(var, min=eps) - var).detach()
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                                      *, distance_function=None, margin: float = 1.0,
                                      swap: bool = False, reduction: str = "mean") -> Tensor:
    """Triplet loss ``max(0, margin + d(a, p) - d(a, n))`` with any distance ``d``
    (default :func:`pairwise_distance`); ``swap`` uses ``min(d(a, n), d(p, n))``
    (Balntas et al. 2016).

    Shape
    -----
    anchor, positive, negative: ``(N, *)`` or ``(*)`` with the same number of dims, as
    ``distance_function`` accepts; output: ``()`` or ``(N,)`` for ``reduction='none'``.
    """
    fn = "triplet_margin_with_distance_loss"
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{fn}: reduction must be one of 'none', 'mean', 'sum', got "
                         f"{reduction!r}")
    margin = _real(margin, "margin", fn)
    if margin <= 0:
        raise ValueError(f"{fn}: margin must be greater than 0, got {margin}")
    for name, t in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        check_tensor(t, name, fn)
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise ValueError(f"{fn}: anchor, positive and negative must have the same number of "
                         f"dimensions, got {anchor.ndim}D, {positive.ndim}D and "
                         f"{negative.ndim}D")
    if distance_function is None:
        distance_function = pairwise_distance
    elif not callable(distance_function):
        raise TypeError(f"{fn}: distance_function must be callable or None, got "
                        f"{type(distance_function).__name__}")
    d_pos = distance_function(anchor, positive)
    d_neg = distance_function(anchor, negative)
    if swap:
        d_neg = minimum(d_neg, distance_function(positive, negative))
    return _reduce(clamp(margin + d_pos - d_neg, min=0), reduction)
