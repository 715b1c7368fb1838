"""nn.functional: normalisation, with ``torch.nn.functional``'s names and semantics.

batch, instance, group and layer norm all run the one fused kernel
:class:`glassnet.ops.norm.StatNorm` (see its module docstring for how each maps onto
it); ``local_response_norm`` and ``normalize`` have their own Functions.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from glassnet._checks import check_float
from glassnet.ops.softmax import normalize_dim
from glassnet.ops.elementwise import cast
from glassnet.ops.norm import (ChannelWindowNorm, LocalResponseNorm, Normalize, RMSNorm,
                               StatNorm, cross_map_window)
from glassnet.tensor import Tensor

__all__ = ["batch_norm", "instance_norm", "layer_norm", "group_norm", "local_response_norm",
           "normalize", "rms_norm"]


# ---------------------------------------------------------------------------
# Argument checks
# ---------------------------------------------------------------------------
def _number(value, name: str, fn: str, minimum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}: {name} must be a real number, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{fn}: {name} must be >= {minimum}, got {value}")
    return float(value)


def _param(t, name: str, fn: str, shape: tuple, x: Tensor):
    """Check an optional weight/bias/buffer against ``shape``; return it in x's dtype."""
    if t is None:
        return None
    check_float(t, name, fn)
    if tuple(t.shape) != tuple(shape):
        raise ValueError(f"{fn}: {name} must have shape {tuple(shape)}, got {tuple(t.shape)}")
    return cast(t, x.dtype) if t.dtype != x.dtype else t


def _affine(x, weight, bias, shape, fn):
    weight = _param(weight, "weight", fn, shape, x)
    bias = _param(bias, "bias", fn, shape, x)
    params = tuple(p for p in (weight, bias) if p is not None)
    return params, {"has_weight": weight is not None, "has_bias": bias is not None}


def _channel_views(x: Tensor):
    n, c = x.shape[0], x.shape[1]
    s = math.prod(x.shape[2:])
    return (n, c, s), (1, c, 1)


def _running(mean, var, name_mean, name_var, fn, c):
    for t, name in ((mean, name_mean), (var, name_var)):
        if t is not None:
            check_float(t, name, fn)
            if tuple(t.shape) != (c,):
                raise ValueError(f"{fn}: {name} must have shape ({c},) (C from input), got "
                                 f"{tuple(t.shape)}")
    if (mean is None) != (var is None):
        raise ValueError(f"{fn}: running_mean and running_var must both be given or both "
                         f"be None")


# ---------------------------------------------------------------------------
# Batch and instance norm
# ---------------------------------------------------------------------------
def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation (Ioffe & Szegedy, arXiv:1502.03167).

    ``y = (x - mean) / sqrt(var + eps) * weight + bias`` per channel (dim 1).  In training
    the mean and biased variance are taken over the batch and spatial dims, and the
    running statistics (if given) are updated IN PLACE on their ``.data``::

        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)

    with the unbiased variance (``n`` values per channel).  In eval the running
    statistics normalise.  PyTorch's ``momentum=None`` (a cumulative average) is the
    module's job: it passes ``momentum = 1 / num_batches_tracked`` here as a float.

    Parameters
    ----------
    input : Tensor
        Floating tensor with channels on dim 1.
    running_mean, running_var : Tensor or None
        Per-channel buffers (no gradient); required when ``training=False``.
    weight, bias : Tensor, optional
        Per-channel affine parameters.
    training : bool
        Use batch statistics and update the running ones.
    momentum : float
        Weight of the new batch statistics in the running update.
    eps : float
        Added to the variance for stability.

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(N, C)``, ``(N, C, L)`` or ``(N, C, H, W)`` (any ``(N, C, *)``); running
    stats, weight, bias: ``(C,)``; output: same as input.
    """
    return _batch_norm(input, running_mean, running_var, weight, bias, training, momentum,
                       eps, False, "batch_norm")


def batch_norm_relu(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
                    weight: Tensor | None = None, bias: Tensor | None = None,
                    training: bool = False, momentum: float = 0.1,
                    eps: float = 1e-5) -> Tensor:
    """``relu(batch_norm(input, ...))`` as one op: the same values and gradients (bit
    for bit) in fewer passes over memory (the ReLU in batch norm's output pass, its
    gradient inside batch norm's two backward passes) and without keeping the
    pre-activation. Not in PyTorch (whose eager mode runs the two ops); the graph has
    one node where it would have two. ``glassnet.nn`` calls it for a ``BatchNorm``
    followed by a ``ReLU`` (:func:`glassnet.nn.norm.batch_norm_relu`)."""
    return _batch_norm(input, running_mean, running_var, weight, bias, training, momentum,
                       eps, True, "batch_norm_relu")


def _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps,
                relu, fn):
    check_float(input, "input", fn)
    if input.ndim < 2:
        raise ValueError(f"{fn}: input must have shape (N, C), (N, C, L) or (N, C, H, W), "
                         f"got {tuple(input.shape)}")
    c = input.shape[1]
    _running(running_mean, running_var, "running_mean", "running_var", fn, c)
    momentum = _number(momentum, "momentum", fn)
    eps = _number(eps, "eps", fn, minimum=0.0)
    params, flags = _affine(input, weight, bias, (c,), fn)
    view, pview = _channel_views(input)
    common = dict(stat_view=view, affine_view=view, param_view=pview, eps=eps, **flags)
    if training:
        if eps == 0:  # torch too: a constant channel would give 0 / 0
            raise ValueError(f"{fn}: eps must be positive during training, got {eps}")
        if view[0] * view[2] <= 1:
            raise ValueError(f"{fn}: Expected more than 1 value per channel when training, "
                             f"got input size {tuple(input.shape)}")
        running = None
        if running_mean is not None:
            running = (running_mean._data, running_var._data, momentum)
        out = StatNorm.apply(input, *params, stat_axes=(0, 2), running=running,
                             relu=relu, **common)
        if running is not None:
            running_mean._bump()
            running_var._bump()
        return out
    if running_mean is None:
        raise ValueError(f"{fn}: running_mean and running_var must be given when "
                         f"training=False, got None")
    stats = (running_mean._data.reshape(pview), running_var._data.reshape(pview))
    return StatNorm.apply(input, *params, stat_axes=(0, 2), stats=stats, relu=relu,
                          **common)


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Instance normalisation (Ulyanov et al., arXiv:1607.08022).

    Every (sample, channel) plane is normalised by its own mean and biased variance.
    Given running statistics are updated in place with those statistics averaged over
    the batch (unbiased variance), as in PyTorch; ``use_input_stats=False`` normalises
    with the running statistics instead.

    Parameters
    ----------
    input : Tensor
        Floating tensor with channels on dim 1 and at least one spatial dim.
    running_mean, running_var : Tensor, optional
        Per-channel buffers; required when ``use_input_stats=False``.
    weight, bias : Tensor, optional
        Per-channel affine parameters.
    use_input_stats : bool
        Normalise with each instance's statistics (True) or the running ones (False).
    momentum : float
        Weight of the new statistics in the running update.
    eps : float
        Added to the variance.

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(N, C, L)``, ``(N, C, H, W)`` or ``(N, C, D, H, W)``; running stats, weight,
    bias: ``(C,)``; output: same as input.
    """
    fn = "instance_norm"
    check_float(input, "input", fn)
    if input.ndim < 3:
        raise ValueError(f"{fn}: input must have shape (N, C, L), (N, C, H, W) or "
                         f"(N, C, D, H, W), got {tuple(input.shape)}")
    c = input.shape[1]
    _running(running_mean, running_var, "running_mean", "running_var", fn, c)
    momentum = _number(momentum, "momentum", fn)
    eps = _number(eps, "eps", fn, minimum=0.0)
    params, flags = _affine(input, weight, bias, (c,), fn)
    view, pview = _channel_views(input)
    common = dict(stat_view=view, affine_view=view, param_view=pview, eps=eps, **flags)
    if use_input_stats:
        if view[2] <= 1:
            raise ValueError(f"{fn}: Expected more than 1 spatial element when training, "
                             f"got input size {tuple(input.shape)}")
        running = None
        if running_mean is not None:
            running = (running_mean._data, running_var._data, momentum)
        out = StatNorm.apply(input, *params, stat_axes=(2,), running=running, **common)
        if running is not None:
            running_mean._bump()
            running_var._bump()
        return out
    if running_mean is None:
        raise ValueError(f"{fn}: running_mean and running_var must be given when "
                         f"use_input_stats=False, got None")
    stats = (running_mean._data.reshape(pview), running_var._data.reshape(pview))
    return StatNorm.apply(input, *params, stat_axes=(2,), stats=stats, **common)


def _trailing_shape(input, normalized_shape, fn):
    """Validate ``normalized_shape`` against the trailing dims of ``input``."""
    check_float(input, "input", fn)
    if isinstance(normalized_shape, (int, np.integer)) and not isinstance(
            normalized_shape, bool):
        normalized_shape = (int(normalized_shape),)
    try:
        if isinstance(normalized_shape, str):
            raise TypeError
        norm_shape = tuple(int(s) for s in normalized_shape)
    except (TypeError, ValueError):
        raise TypeError(f"{fn}: normalized_shape must be an int or a tuple of ints, got "
                        f"{normalized_shape!r}") from None
    k = len(norm_shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != norm_shape:
        dims = ", ".join(str(s) for s in norm_shape)
        raise ValueError(f"{fn}: input must have shape (*, {dims}) to match "
                         f"normalized_shape={norm_shape}, got {tuple(input.shape)}")
    return norm_shape


# ---------------------------------------------------------------------------
# Layer and group norm
# ---------------------------------------------------------------------------
def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Layer normalisation over the trailing ``normalized_shape`` dims (Ba et al.,
    arXiv:1607.06450).

    Parameters
    ----------
    input : Tensor
        Floating tensor whose last ``len(normalized_shape)`` dims equal
        ``normalized_shape``.
    normalized_shape : int or tuple of int
        The normalised trailing shape.
    weight, bias : Tensor, optional
        Elementwise affine parameters of shape ``normalized_shape``.
    eps : float
        Added to the variance.

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(*, *normalized_shape)``; weight, bias: ``normalized_shape``; output: same
    as input.
    """
    fn = "layer_norm"
    norm_shape = _trailing_shape(input, normalized_shape, fn)
    eps = _number(eps, "eps", fn, minimum=0.0)
    params, flags = _affine(input, weight, bias, norm_shape, fn)
    d = int(math.prod(norm_shape))
    view = (int(input.numel() // d) if d else 0, d)
    return StatNorm.apply(input, *params, stat_view=view, stat_axes=(1,), affine_view=view,
                          param_view=(1, d), eps=eps, **flags)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Group normalisation (Wu & He, arXiv:1803.08494).

    The channels are split into ``num_groups`` groups; each (sample, group) is
    normalised by its own mean and biased variance; the affine transform is per channel.

    Parameters
    ----------
    input : Tensor
        Floating tensor with channels on dim 1, ``C`` divisible by ``num_groups``.
    num_groups : int
        Number of groups (1: layer norm over ``(C, *)``; ``C``: instance norm).
    weight, bias : Tensor, optional
        Per-channel affine parameters.
    eps : float
        Added to the variance.

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(N, C, *)``; weight, bias: ``(C,)``; output: same as input.
    """
    fn = "group_norm"
    check_float(input, "input", fn)
    if input.ndim < 2:
        raise ValueError(f"{fn}: input must have shape (N, C, *), got {tuple(input.shape)}")
    if isinstance(num_groups, bool) or not isinstance(num_groups, (int, np.integer)):
        raise TypeError(f"{fn}: num_groups must be an int, got {type(num_groups).__name__}")
    c = input.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise ValueError(f"{fn}: num_groups must be positive and divide the number of "
                         f"channels C={c}, got num_groups={num_groups}")
    eps = _number(eps, "eps", fn, minimum=0.0)
    params, flags = _affine(input, weight, bias, (c,), fn)
    view, pview = _channel_views(input)
    stat_view = (view[0], int(num_groups), (c // num_groups) * view[2])
    return StatNorm.apply(input, *params, stat_view=stat_view, stat_axes=(2,),
                          affine_view=view, param_view=pview, eps=eps, **flags)


# ---------------------------------------------------------------------------
# Local response norm and Lp normalisation
# ---------------------------------------------------------------------------
def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """Local response normalisation across channels (Krizhevsky et al., NIPS 2012).

    ``y_c = x_c / (k + alpha / size * sum_{j in window(c)} x_j^2) ** beta`` with the
    window ``[c - size // 2, c + (size - 1) // 2]`` zero-padded at the channel ends;
    this is PyTorch's formula (an average over ``size`` channels, so ``alpha`` is
    divided by ``size``).

    Parameters
    ----------
    input : Tensor
        Floating tensor with channels on dim 1.
    size : int
        Number of neighbouring channels in the window.
    alpha, beta, k : float
        Multiplicative factor, exponent and additive constant.

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(N, C, *)`` with at least 3 dims; output: same as input.
    """
    fn = "local_response_norm"
    check_float(input, "input", fn)
    if input.ndim < 3:
        raise ValueError(f"{fn}: input must have shape (N, C, *) with at least 3 "
                         f"dimensions, got {tuple(input.shape)}")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise TypeError(f"{fn}: size must be an int, got {type(size).__name__}")
    if size <= 0:
        raise ValueError(f"{fn}: size must be > 0, got {size}")
    alpha = _number(alpha, "alpha", fn)
    beta = _number(beta, "beta", fn)
    k = _number(k, "k", fn)
    return LocalResponseNorm.apply(input, size=int(size), alpha=alpha, beta=beta, k=k)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out=None) -> Tensor:
    """``x / max(||x||_p, eps)`` along ``dim``.

    Parameters
    ----------
    input : Tensor
        Floating tensor.
    p : float
        Norm exponent, ``p > 0`` (``float('inf')`` for the max norm).
    dim : int
        Dimension along which each slice gets unit norm.
    eps : float
        Lower bound of the denominator.
    out : None
        Not supported (glassnet has no ``out=`` arguments); must be None.

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(*)``; output: ``(*)``.
    """
    fn = "normalize"
    check_float(input, "input", fn)
    if out is not None:
        raise TypeError(f"{fn}: out must be None (out= is not supported), got "
                        f"{type(out).__name__}")
    p = _number(p, "p", fn)
    if not p > 0:
        raise ValueError(f"{fn}: p must be > 0, got {p}")
    eps = _number(eps, "eps", fn, minimum=0.0)
    if input.ndim == 0:
        raise ValueError(f"{fn}: input must have at least 1 dimension, got a 0-D tensor")
    d = normalize_dim(dim, input.ndim, fn)
    return Normalize.apply(input, p=p, dim=d, eps=eps)


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """Root-mean-square normalisation over the trailing ``normalized_shape`` dims
    (Zhang & Sennrich 2019, arXiv:1910.07467): ``y = x / sqrt(mean(x^2) + eps) * weight``.

    Parameters
    ----------
    input : Tensor
        Floating tensor whose last dims equal ``normalized_shape``.
    normalized_shape : int or tuple of int
        The normalised trailing shape.
    weight : Tensor, optional
        Elementwise scale of shape ``normalized_shape``.
    eps : float, optional
        Added to the mean square; None means ``finfo(input.dtype).eps``, as torch.

    Shape
    -----
    input: ``(*, *normalized_shape)``; weight: ``normalized_shape``; output: as input.

    Examples
    --------
    >>> import glassnet as gn
    >>> from glassnet.nn import functional as F
    >>> F.rms_norm(gn.tensor([[3.0, 4.0]]), 2, eps=0.0).tolist()
    [[0.8485281467437744, 1.1313709020614624]]
    """
    fn = "rms_norm"
    norm_shape = _trailing_shape(input, normalized_shape, fn)
    eps = float(np.finfo(input.dtype).eps) if eps is None else _number(eps, "eps", fn, 0.0)
    weight = _param(weight, "weight", fn, norm_shape, input)
    d = int(math.prod(norm_shape))
    view = (int(input.numel() // d) if d else 0, d)
    args = (input,) if weight is None else (input, weight)
    return RMSNorm.apply(*args, view=view, eps=eps)


def _cross_map_lrn2d(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                     k: float = 1.0) -> Tensor:
    """The op of ``nn.CrossMapLRN2d`` (torch has no functional form): local response
    normalisation over the legacy window of :func:`glassnet.ops.norm.cross_map_window`.

    Shape
    -----
    input: ``(N, C, H, W)``; output: same as input.
    """
    fn = "CrossMapLRN2d"
    check_float(input, "input", fn)
    if input.ndim != 4:
        raise ValueError(f"{fn}: expected input to be 4D (N, C, H, W), got {input.ndim}D "
                         f"input of shape {tuple(input.shape)}")
    window = cross_map_window(input.shape[1], int(size))
    return ChannelWindowNorm.apply(input, window=window, size=int(size), alpha=float(alpha),
                                   beta=float(beta), k=float(k))
