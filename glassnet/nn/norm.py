"""Normalisation layers: ``BatchNorm1d/2d/3d``, ``InstanceNorm1d/2d/3d``, ``LayerNorm``,
``GroupNorm``, ``LocalResponseNorm``, ``CrossMapLRN2d``, ``RMSNorm`` (``torch.nn`` names
and semantics).

Affine parameters start at ``weight = 1`` and ``bias = 0``; running statistics at
``mean = 0`` and ``var = 1``.  The running statistics are buffers, so they appear in
``state_dict`` under PyTorch's names (``running_mean``, ``running_var``,
``num_batches_tracked``).
"""
from __future__ import annotations

import numbers
import warnings

import numpy as np

from glassnet.nn import functional as F
from glassnet.nn._functional.norm import _cross_map_lrn2d, batch_norm_relu as _batch_norm_relu
from glassnet.nn import init
from glassnet.nn._layer_checks import _check_int, _factory_dtype
from glassnet.nn.module import Module, Parameter
from glassnet._creation import ones, zeros
from glassnet.tensor import Tensor


def _register_affine(module, shape, affine: bool, bias: bool, dtype) -> None:
    """Create ``weight`` (ones) and ``bias`` (zeros) of ``shape``, or register them as None
    (shared by the batch, layer and group norms, as PyTorch's ``_NormBase``)."""
    if affine:
        module.weight = Parameter(ones(*shape, dtype=dtype))
        if bias:
            module.bias = Parameter(zeros(*shape, dtype=dtype))
        else:
            module.register_parameter("bias", None)
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)


def _reset_affine(module) -> None:
    """Weight 1, bias 0 (the default affine parameters of every normalisation)."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d",
           "InstanceNorm3d", "LayerNorm", "GroupNorm", "LocalResponseNorm", "CrossMapLRN2d",
           "RMSNorm"]


def _real(value, name: str, fn: str, minimum: float | None = None):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}: {name} must be a real number, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{fn}: {name} must be >= {minimum}, got {value}")
    return value


class _NormBase(Module):
    """Shared state of batch and instance norm: affine parameters and running stats."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=None, *, bias: bool = True):
        super().__init__()
        name = type(self).__name__
        dt = _factory_dtype(dtype, device, name)
        self.num_features = _check_int(num_features, "num_features", name)
        self.eps = _real(eps, "eps", name, 0.0)
        self.momentum = None if momentum is None else _real(momentum, "momentum", name)
        self.affine = affine
        self.track_running_stats = track_running_stats
        _register_affine(self, (num_features,), affine, bias, dt)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dt))
            self.register_buffer("running_var", ones(num_features, dtype=dt))
            self.register_buffer("num_batches_tracked",
                                 Tensor._wrap(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            self.num_batches_tracked._data[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        _reset_affine(self)

    def _load_from_state_dict(self, state_dict, prefix, missing_keys, unexpected_keys,
                              error_msgs):
        # NOTE: checkpoints from before PyTorch 0.4.1 have no num_batches_tracked;
        # PyTorch keeps the module's current count (0 if it has none) instead of
        # reporting a missing key.
        key = prefix + "num_batches_tracked"
        if self.track_running_stats and key not in state_dict:
            current = self.num_batches_tracked
            state_dict[key] = (current.detach().clone() if current is not None
                               else Tensor._wrap(np.array(0, dtype=np.int64)))
        super()._load_from_state_dict(state_dict, prefix, missing_keys, unexpected_keys,
                                      error_msgs)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    _dims: tuple = ()
    _dims_doc = ""

    def _check_input_dim(self, input) -> None:
        if not isinstance(input, Tensor):
            raise TypeError(f"{type(self).__name__}: input must be a Tensor, got "
                            f"{type(input).__name__}")
        if input.ndim not in self._dims:
            raise ValueError(f"{type(self).__name__}: expected {self._dims_doc} input (got "
                             f"{input.ndim}D input of shape {tuple(input.shape)})")

    def forward(self, input):
        return F.batch_norm(*self._arguments(input))

    def _arguments(self, input) -> tuple:
        """The arguments of ``F.batch_norm`` for ``input``: ``forward``'s work, the count
        of batches included."""
        self._check_input_dim(input)
        # PyTorch's _BatchNorm.forward: momentum=None means a cumulative moving average,
        # i.e. the factor 1 / num_batches_tracked after counting this batch.
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            if self.num_batches_tracked is not None:
                self.num_batches_tracked._data += 1
                self.num_batches_tracked._bump()
                if self.momentum is None:
                    factor = 1.0 / float(self.num_batches_tracked._data)
                else:
                    factor = self.momentum
        # Batch statistics in training, and in eval when there are no running stats.
        bn_training = self.training or (self.running_mean is None
                                        and self.running_var is None)
        use_running = not self.training or self.track_running_stats
        return (input, self.running_mean if use_running else None,
                self.running_var if use_running else None, self.weight, self.bias,
                bn_training, factor, self.eps)

    def _with_relu(self, relu, input):
        """``relu(self(input))`` (``relu``: an activation module, or None for
        ``F.relu``), as one fused op when it is a plain ``nn.ReLU`` (not a subclass, not
        another activation) and nothing can see the result in between: no hooks on
        either module, ``forward`` not overridden, no tracer (ONNX export,
        ``glassnet.jit``) recording the ops. Otherwise the two calls."""
        from glassnet import autograd

        if (type(self).forward is _BatchNorm.forward and self._hookless()
                and (relu is None or (type(relu).__dict__.get("_fuses_after_norm")
                                      and relu._hookless()))
                and not autograd._tracers):
            return _batch_norm_relu(*self._arguments(input))
        out = self(input)
        return F.relu(out) if relu is None else relu(out)


def batch_norm_relu(bn, input, relu=None):
    """``relu(bn(input))`` for a batch-norm module ``bn`` and a ``ReLU`` module ``relu``
    (None: ``F.relu``): one fused op (:func:`glassnet.nn._functional.norm.batch_norm_relu`:
    the same values and gradients in fewer passes) where no hook or tracer can observe
    the intermediate result, else the two calls. ``nn.Sequential`` does this by itself
    for a ``BatchNorm`` followed by a ``ReLU``; the model zoo's residual blocks call it."""
    if not isinstance(bn, _BatchNorm):
        out = bn(input)
        return F.relu(out) if relu is None else relu(out)
    return bn._with_relu(relu, input)


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over ``(N, C)`` or ``(N, C, L)`` input (Ioffe & Szegedy 2015,
    arXiv:1502.03167).

    ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias`` per channel.  In training the
    batch statistics normalise and update the running ones
    (``running = (1 - momentum) * running + momentum * batch``, unbiased variance); in
    eval the running statistics normalise.

    Parameters
    ----------
    num_features : int
        ``C``.
    eps : float
        Default 1e-5.
    momentum : float or None
        Default 0.1; None gives a cumulative moving average over all batches seen
        (factor ``1 / num_batches_tracked``).
    affine : bool
        Learn ``weight`` (init 1) and ``bias`` (init 0).  Default True.
    track_running_stats : bool
        Keep ``running_mean``, ``running_var`` and ``num_batches_tracked`` buffers;
        without them batch statistics are used in eval too.  Default True.
    device, dtype : optional
        Factory keywords.
    bias : bool
        Keyword-only: learn the bias when ``affine`` (default True, PyTorch 2.13).

    Shape
    -----
    - input: ``(N, C)`` or ``(N, C, L)``
    - output: same as input

    Examples
    --------
    >>> import glassnet, glassnet.nn as nn
    >>> bn = nn.BatchNorm1d(3, momentum=None)
    >>> _ = bn(glassnet.randn(8, 3))
    >>> bn.num_batches_tracked.item()
    1
    """

    _dims = (2, 3)
    _dims_doc = "2D or 3D"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over ``(N, C, H, W)`` input; see :class:`BatchNorm1d` for the
    parameters.

    Shape
    -----
    - input: ``(N, C, H, W)``
    - output: same as input
    """

    _dims = (4,)
    _dims_doc = "4D"


class BatchNorm3d(_BatchNorm):
    """Batch normalisation over ``(N, C, D, H, W)`` input; see :class:`BatchNorm1d` for
    the parameters.

    Shape
    -----
    - input: ``(N, C, D, H, W)``
    - output: same as input
    """

    _dims = (5,)
    _dims_doc = "5D"


class _InstanceNorm(_NormBase):
    """Shared forward of ``InstanceNorm1d/2d/3d`` (``_nd`` spatial dims)."""

    _nd = 2

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device=None,
                 dtype=None, *, bias: bool = True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def forward(self, input):
        name = type(self).__name__
        nd = self._nd
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (nd + 1, nd + 2):
            raise ValueError(f"{name}: expected {nd + 1}D or {nd + 2}D input (got "
                             f"{input.ndim}D input of shape {tuple(input.shape)})")
        feature_dim = input.ndim - (nd + 1)
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(f"{name}: expected input's size at dim={feature_dim}"
                                 f" to match num_features ({self.num_features}), but got: "
                                 f"{input.shape[feature_dim]}.")
            warnings.warn(f"{name}: input's size at dim={feature_dim} does not "
                          f"match num_features ({self.num_features}); num_features is not "
                          f"used because affine=False")
        unbatched = input.ndim == nd + 1
        if unbatched:
            input = input.unsqueeze(0)
        out = F.instance_norm(input, self.running_mean, self.running_var, self.weight,
                              self.bias, self.training or not self.track_running_stats,
                              self.momentum if self.momentum is not None else 0.0, self.eps)
        return out.squeeze(0) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of ``(N, C, L)`` signals; see :class:`InstanceNorm2d`.

    Shape
    -----
    - input: ``(N, C, L)`` or ``(C, L)``
    - output: same as input
    """

    _nd = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation: each (sample, channel) plane is normalised by its own
    statistics (Ulyanov et al. 2016, arXiv:1607.08022).

    Parameters
    ----------
    num_features : int
        ``C``.
    eps : float
        Default 1e-5.
    momentum : float or None
        Default 0.1 (used only with ``track_running_stats``).
    affine : bool
        Default False.
    track_running_stats : bool
        Default False; when True, eval mode normalises with the running statistics.
    device, dtype : optional
    bias : bool
        Keyword-only: learn the bias when ``affine`` (default True).

    Shape
    -----
    - input: ``(N, C, H, W)`` or ``(C, H, W)``
    - output: same as input

    Examples
    --------
    >>> import glassnet, glassnet.nn as nn
    >>> y = nn.InstanceNorm2d(2)(glassnet.randn(3, 2, 4, 4))
    >>> abs(float(y[1, 0].mean())) < 1e-5, round(float(y[1, 0].var(unbiased=False)), 2)
    (True, 1.0)
    """

    _nd = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of ``(N, C, D, H, W)`` volumes; see :class:`InstanceNorm2d`.

    Shape
    -----
    - input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``
    - output: same as input
    """

    _nd = 3


class LayerNorm(Module):
    """Layer normalisation over the last ``len(normalized_shape)`` dimensions (Ba et al.
    2016, arXiv:1607.06450).

    Parameters
    ----------
    normalized_shape : int or tuple of int
        The trailing shape to normalise over.
    eps : float
        Default 1e-5.
    elementwise_affine : bool
        Learn ``weight`` (init 1) and ``bias`` (init 0) of shape ``normalized_shape``.
    bias : bool
        Learn the bias (with ``elementwise_affine``).  Default True.
    device, dtype : optional

    Shape
    -----
    - input: ``(N, *)``, ending in ``normalized_shape``
    - output: same as input
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        dt = _factory_dtype(dtype, device, "LayerNorm")
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (normalized_shape,)
        try:
            normalized_shape = tuple(_check_int(s, "normalized_shape", "LayerNorm")
                                     for s in normalized_shape)
        except TypeError:
            raise TypeError(f"LayerNorm: normalized_shape must be an int or a tuple of "
                            f"ints, got {normalized_shape!r}") from None
        self.normalized_shape = normalized_shape
        self.eps = _real(eps, "eps", "LayerNorm", 0.0)
        self.elementwise_affine = elementwise_affine
        _register_affine(self, normalized_shape, elementwise_affine, bias, dt)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Group normalisation: channels are split into ``num_groups`` groups, each
    normalised over its channels and spatial positions (Wu & He 2018, arXiv:1803.08494).

    Parameters
    ----------
    num_groups : int
    num_channels : int
        ``C``, divisible by ``num_groups``.
    eps : float
        Default 1e-5.
    affine : bool
        Learn per-channel ``weight`` (init 1) and ``bias`` (init 0).
    device, dtype : optional
    bias : bool
        Keyword-only: learn the bias when ``affine`` (default True).

    Shape
    -----
    - input: ``(N, C, *)``
    - output: same as input
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device=None, dtype=None, *, bias: bool = True):
        super().__init__()
        dt = _factory_dtype(dtype, device, "GroupNorm")
        self.num_groups = _check_int(num_groups, "num_groups", "GroupNorm")
        self.num_channels = _check_int(num_channels, "num_channels", "GroupNorm")
        if num_channels % num_groups != 0:
            raise ValueError(f"GroupNorm: num_channels must be divisible by num_groups, got "
                             f"num_channels={num_channels}, num_groups={num_groups}")
        self.eps = _real(eps, "eps", "GroupNorm", 0.0)
        self.affine = affine
        _register_affine(self, (num_channels,), affine, bias, dt)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")


class LocalResponseNorm(Module):
    """Local response normalisation across channels (Krizhevsky et al. 2012, AlexNet):
    ``b_c = a_c / (k + alpha / n * sum_{c' near c} a_{c'}^2) ** beta``.

    Parameters
    ----------
    size : int
        Number of neighbouring channels ``n``.
    alpha : float
        Default 1e-4.
    beta : float
        Default 0.75.
    k : float
        Default 1.0.

    Shape
    -----
    - input: ``(N, C, *)``
    - output: same as input
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size = _check_int(size, "size", "LocalResponseNorm")
        self.alpha = _real(alpha, "alpha", "LocalResponseNorm")
        self.beta = _real(beta, "beta", "LocalResponseNorm")
        self.k = _real(k, "k", "LocalResponseNorm")

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class CrossMapLRN2d(Module):
    """Local response normalisation across channels with the window of torch's legacy
    ``CrossMapLRN2d`` (see :func:`glassnet.ops.norm.cross_map_window`: channel 0 stays in
    the window of every channel past the first ``(size - 1) // 2 + 1``).

    Parameters
    ----------
    size : int
    alpha : float
        Default 1e-4.
    beta : float
        Default 0.75.
    k : float
        Default 1.

    Shape
    -----
    - input: ``(N, C, H, W)``
    - output: same as input
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1):
        super().__init__()
        self.size = _check_int(size, "size", "CrossMapLRN2d")
        self.alpha = _real(alpha, "alpha", "CrossMapLRN2d")
        self.beta = _real(beta, "beta", "CrossMapLRN2d")
        self.k = _real(k, "k", "CrossMapLRN2d")

    def forward(self, input):
        return _cross_map_lrn2d(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class RMSNorm(Module):
    """Root-mean-square normalisation over the last ``len(normalized_shape)`` dims
    (Zhang & Sennrich 2019): ``y = x / sqrt(mean(x^2) + eps) * weight``.

    Parameters
    ----------
    normalized_shape : int or tuple of int
    eps : float, optional
        Default None: ``finfo(input.dtype).eps``.
    elementwise_affine : bool
        Learn ``weight`` (init 1), default True.
    device, dtype : optional

    Shape
    -----
    - input: ``(*, *normalized_shape)``
    - output: same as input
    """

    def __init__(self, normalized_shape, eps: float | None = None,
                 elementwise_affine: bool = True, device=None, dtype=None):
        super().__init__()
        dt = _factory_dtype(dtype, device, "RMSNorm")
        if isinstance(normalized_shape, numbers.Integral) and not isinstance(
                normalized_shape, bool):
            normalized_shape = (int(normalized_shape),)
        try:
            if isinstance(normalized_shape, str):
                raise TypeError
            self.normalized_shape = tuple(int(s) for s in normalized_shape)
        except (TypeError, ValueError):
            raise TypeError(f"RMSNorm: normalized_shape must be an int or a tuple of ints, "
                            f"got {normalized_shape!r}") from None
        self.eps = None if eps is None else _real(eps, "eps", "RMSNorm", 0.0)
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ones(*self.normalized_shape, dtype=dt))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, input):
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
