"""Lazy modules: layers whose input size is inferred on the first forward
(``torch.nn.LazyLinear``, ``LazyConv1d/2d``, ``LazyConvTranspose2d``,
``LazyBatchNorm1d/2d``, ``LazyInstanceNorm2d``, and ``torch.nn.modules.lazy.LazyModuleMixin``).

A lazy module holds :class:`~glassnet.nn.parameter.UninitializedParameter` objects until
its first call.  A forward pre-hook then calls ``initialize_parameters(*args)``, which
materialises each parameter *in place* with the inferred shape (the same objects, so an
optimizer built before the first forward keeps working), runs the non-lazy class's
``reset_parameters``, and turns the module into ``cls_to_become`` (``LazyLinear`` becomes
``Linear``).  ``load_state_dict`` into an uninitialised lazy module materialises the
parameters from the loaded shapes; the class changes on the next forward, as in PyTorch.
"""
from __future__ import annotations

import itertools

import numpy as np

from glassnet.nn.conv import (Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d,
                              ConvTranspose3d)
from glassnet.nn.linear import Linear
from glassnet.nn.norm import (BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d,
                              InstanceNorm2d, InstanceNorm3d)
from glassnet.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy
from glassnet.tensor import Tensor

__all__ = ["LazyModuleMixin", "LazyLinear", "LazyConv1d", "LazyConv2d",
           "LazyConvTranspose2d", "LazyBatchNorm1d", "LazyBatchNorm2d",
           "LazyInstanceNorm2d"]


class LazyModuleMixin:
    """Mixin for modules whose parameters are shaped by their first input.

    A subclass lists this mixin before the non-lazy layer, creates its parameters as
    :class:`UninitializedParameter` (buffers as :class:`UninitializedBuffer`), sets
    ``cls_to_become`` and implements ``initialize_parameters(*args, **kwargs)``.

    Examples
    --------
    >>> import glassnet, glassnet.nn as nn
    >>> layer = nn.LazyLinear(3)
    >>> layer.has_uninitialized_params()
    True
    >>> layer(glassnet.randn(2, 5)).shape
    glassnet.Size([2, 3])
    >>> type(layer).__name__, tuple(layer.weight.shape)
    ('Linear', (3, 5))
    """

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters,
                                                               with_kwargs=True)

    def _lazy_ready(self) -> bool:
        """The lazy constructor has finished (and the parameters may be materialised)."""
        return "_initialize_hook" in self.__dict__

    def has_uninitialized_params(self) -> bool:
        """Whether any parameter or buffer of this module is still uninitialised."""
        return any(is_lazy(t) for t in itertools.chain(self._parameters.values(),
                                                        self._buffers.values()))

    def initialize_parameters(self, *args, **kwargs) -> None:
        """Materialise the parameters from the first forward's arguments."""
        raise NotImplementedError(f"{type(self).__name__}: initialize_parameters is not "
                                  f"implemented")

    def _infer_parameters(self, module, args, kwargs=None):
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
        module._finish_lazy_init()

    def _finish_lazy_init(self) -> None:
        """Drop the initialising hook and become ``cls_to_become``."""
        self._initialize_hook.remove()
        del self._initialize_hook
        if self.cls_to_become is not None:
            self.__class__ = self.cls_to_become

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        # Uninitialised entries are kept as they are (they have no data to detach).
        for name, t in itertools.chain(self._parameters.items(), self._buffers.items()):
            if t is None or name in self._non_persistent_buffers_set:
                continue
            destination[prefix + name] = t if (keep_vars or is_lazy(t)) else t.detach()

    def _load_from_state_dict(self, state_dict, prefix, missing_keys, unexpected_keys,
                              error_msgs):
        for name, t in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if key in state_dict and is_lazy(t) and not is_lazy(state_dict[key]):
                value = state_dict[key]
                shape = value.shape if isinstance(value, (Tensor, np.ndarray)) else None
                if shape is not None:
                    t.materialize(tuple(shape))
        super()._load_from_state_dict(state_dict, prefix, missing_keys, unexpected_keys,
                                      error_msgs)
        if not self.has_uninitialized_params():
            self._sizes_from_parameters()

    def _sizes_from_parameters(self) -> None:
        """Set the inferred size (``in_features``...) from materialised parameters.

        NOTE: PyTorch leaves ``in_channels``/``num_features`` at 0 after loading a state
        dict into a lazy conv or norm; glassnet sets them, so ``repr`` is right.
        """


# ---------------------------------------------------------------------------
# Linear
# ---------------------------------------------------------------------------
class LazyLinear(LazyModuleMixin, Linear):
    """:class:`~glassnet.nn.Linear` whose ``in_features`` is inferred from the first
    input (``input.shape[-1]``); it becomes a ``Linear`` then.

    Parameters
    ----------
    out_features : int
    bias : bool
        Default True.
    device, dtype : optional

    Shape
    -----
    - input: ``(*, H_in)``
    - output: ``(*, out_features)``
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__(0, out_features, False, device, dtype)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if self._lazy_ready() and not self.has_uninitialized_params() \
                and self.in_features != 0:
            super().reset_parameters()

    def _sizes_from_parameters(self) -> None:
        self.in_features = int(self.weight.shape[1])

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        if self.has_uninitialized_params():
            if not isinstance(input, Tensor) or input.ndim == 0:
                raise ValueError(f"LazyLinear: input must be a Tensor of shape (*, H_in), "
                                 f"got {getattr(input, 'shape', type(input).__name__)}")
            self.in_features = int(input.shape[-1])
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()


# ---------------------------------------------------------------------------
# Convolutions
# ---------------------------------------------------------------------------
class _LazyConvXdMixin(LazyModuleMixin):
    """``in_channels`` from the first input: ``input.shape[1]`` (batched) or
    ``input.shape[0]`` (unbatched)."""

    def _sizes_from_parameters(self) -> None:
        w = self.weight.shape
        self.in_channels = int(w[0] if self.transposed else w[1] * self.groups)

    def _lazy_conv_setup(self, bias, device, dtype) -> None:
        self.in_channels = 0
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if self._lazy_ready() and not self.has_uninitialized_params() \
                and self.in_channels != 0:
            super().reset_parameters()

    def _get_in_channels(self, input) -> int:
        nd = self._nd
        if not isinstance(input, Tensor) or input.ndim not in (nd + 1, nd + 2):
            got = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
            raise ValueError(f"{type(self).__name__}: expected {nd + 1}D (unbatched) or "
                             f"{nd + 2}D (batched) input, got {got}")
        return int(input.shape[1] if input.ndim == nd + 2 else input.shape[0])

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        if not self.has_uninitialized_params():
            return
        in_channels = self._get_in_channels(input)
        if in_channels % self.groups:
            raise ValueError(f"{type(self).__name__}: in_channels must be divisible by "
                             f"groups, got in_channels={in_channels} (from the input), "
                             f"groups={self.groups}")
        self.in_channels = in_channels
        if self.transposed:
            shape = (in_channels, self.out_channels // self.groups) + self.kernel_size
        else:
            shape = (self.out_channels, in_channels // self.groups) + self.kernel_size
        self.weight.materialize(shape)
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()


class LazyConv1d(_LazyConvXdMixin, Conv1d):
    """:class:`~glassnet.nn.Conv1d` with ``in_channels`` inferred from the first input;
    the other arguments are ``Conv1d``'s.

    Shape
    -----
    - input: ``(N, C_in, L)`` or ``(C_in, L)``
    - output: ``(N, C_out, L_out)`` (see ``Conv1d``)
    """

    cls_to_become = Conv1d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None):
        # NOTE: glassnet's Conv1d rejects in_channels=0, so it is built with
        # in_channels=groups and a throw-away weight that is replaced just below.
        super().__init__(groups, out_channels, kernel_size, stride, padding, dilation,
                         groups, False, padding_mode, device, dtype)
        self._lazy_conv_setup(bias, device, dtype)


class LazyConv2d(_LazyConvXdMixin, Conv2d):
    """:class:`~glassnet.nn.Conv2d` with ``in_channels`` inferred from the first input;
    the other arguments are ``Conv2d``'s.

    Shape
    -----
    - input: ``(N, C_in, H, W)`` or ``(C_in, H, W)``
    - output: ``(N, C_out, H_out, W_out)`` (see ``Conv2d``)
    """

    cls_to_become = Conv2d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None):
        super().__init__(groups, out_channels, kernel_size, stride, padding, dilation,
                         groups, False, padding_mode, device, dtype)
        self._lazy_conv_setup(bias, device, dtype)


class LazyConvTranspose2d(_LazyConvXdMixin, ConvTranspose2d):
    """:class:`~glassnet.nn.ConvTranspose2d` with ``in_channels`` inferred from the
    first input; the other arguments are ``ConvTranspose2d``'s.

    Shape
    -----
    - input: ``(N, C_in, H, W)`` or ``(C_in, H, W)``
    - output: ``(N, C_out, H_out, W_out)`` (see ``ConvTranspose2d``)
    """

    cls_to_become = ConvTranspose2d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__(groups, out_channels, kernel_size, stride, padding, output_padding,
                         groups, False, dilation, padding_mode, device, dtype)
        self._lazy_conv_setup(bias, device, dtype)


class LazyConv3d(_LazyConvXdMixin, Conv3d):
    """:class:`~glassnet.nn.Conv3d` with ``in_channels`` inferred from the first input;
    the other arguments are ``Conv3d``'s.

    Shape
    -----
    - input: ``(N, C_in, D, H, W)`` or ``(C_in, D, H, W)``
    - output: ``(N, C_out, D_out, H_out, W_out)`` (see ``Conv3d``)
    """

    cls_to_become = Conv3d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None):
        super().__init__(groups, out_channels, kernel_size, stride, padding, dilation,
                         groups, False, padding_mode, device, dtype)
        self._lazy_conv_setup(bias, device, dtype)


class LazyConvTranspose1d(_LazyConvXdMixin, ConvTranspose1d):
    """:class:`~glassnet.nn.ConvTranspose1d` with ``in_channels`` inferred from the
    first input; the other arguments are ``ConvTranspose1d``'s.

    Shape
    -----
    - input: ``(N, C_in, L)`` or ``(C_in, L)``
    - output: ``(N, C_out, L_out)`` (see ``ConvTranspose1d``)
    """

    cls_to_become = ConvTranspose1d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__(groups, out_channels, kernel_size, stride, padding, output_padding,
                         groups, False, dilation, padding_mode, device, dtype)
        self._lazy_conv_setup(bias, device, dtype)


class LazyConvTranspose3d(_LazyConvXdMixin, ConvTranspose3d):
    """:class:`~glassnet.nn.ConvTranspose3d` with ``in_channels`` inferred from the
    first input; the other arguments are ``ConvTranspose3d``'s.

    Shape
    -----
    - input: ``(N, C_in, D, H, W)`` or ``(C_in, D, H, W)``
    - output: ``(N, C_out, D_out, H_out, W_out)`` (see ``ConvTranspose3d``)
    """

    cls_to_become = ConvTranspose3d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__(groups, out_channels, kernel_size, stride, padding, output_padding,
                         groups, False, dilation, padding_mode, device, dtype)
        self._lazy_conv_setup(bias, device, dtype)


# ---------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------
class _LazyNormBase(LazyModuleMixin):
    """``num_features`` from the first input's dimension 1."""

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        # NOTE: glassnet's norms reject num_features=0: build with 1 feature and neither
        # affine parameters nor running statistics, then install the placeholders.
        super().__init__(1, eps, momentum, False, False, device, dtype)
        self.num_features = 0
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = Tensor._wrap(np.array(0, dtype=np.int64))

    def reset_parameters(self) -> None:
        if self._lazy_ready() and not self.has_uninitialized_params() \
                and self.num_features != 0:
            super().reset_parameters()

    def _sizes_from_parameters(self) -> None:
        for t in (self.weight, self.running_mean):
            if t is not None:
                self.num_features = int(t.shape[0])

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        if not self.has_uninitialized_params():
            return
        if not isinstance(input, Tensor) or input.ndim < 2:
            got = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
            raise ValueError(f"{type(self).__name__}: expected an input of at least 2 "
                             f"dimensions (N, C, *), got {got}")
        # NOTE: dimension 1 even for an unbatched instance-norm input, as PyTorch.
        self.num_features = int(input.shape[1])
        shape = (self.num_features,)
        for t in (self.weight, self.bias, self.running_mean, self.running_var):
            if t is not None and is_lazy(t):
                t.materialize(shape)
        self.reset_parameters()


class LazyBatchNorm1d(_LazyNormBase, BatchNorm1d):
    """:class:`~glassnet.nn.BatchNorm1d` with ``num_features`` inferred from
    ``input.shape[1]``; the other arguments are ``BatchNorm1d``'s.

    Shape
    -----
    - input: ``(N, C)`` or ``(N, C, L)``; output: same as input
    """

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNormBase, BatchNorm2d):
    """:class:`~glassnet.nn.BatchNorm2d` with ``num_features`` inferred from
    ``input.shape[1]``.

    Shape
    -----
    - input: ``(N, C, H, W)``; output: same as input
    """

    cls_to_become = BatchNorm2d


class LazyInstanceNorm2d(_LazyNormBase, InstanceNorm2d):
    """:class:`~glassnet.nn.InstanceNorm2d` with ``num_features`` inferred from
    ``input.shape[1]``.  As in PyTorch, ``affine`` and ``track_running_stats`` default
    to True here (False in ``InstanceNorm2d``).

    Shape
    -----
    - input: ``(N, C, H, W)``; output: same as input
    """

    cls_to_become = InstanceNorm2d


class LazyBatchNorm3d(_LazyNormBase, BatchNorm3d):
    """:class:`~glassnet.nn.BatchNorm3d` with ``num_features`` inferred from
    ``input.shape[1]``.

    Shape
    -----
    - input: ``(N, C, D, H, W)``; output: same as input
    """

    cls_to_become = BatchNorm3d


class LazyInstanceNorm1d(_LazyNormBase, InstanceNorm1d):
    """:class:`~glassnet.nn.InstanceNorm1d` with ``num_features`` inferred from the input
    (``affine`` and ``track_running_stats`` default to True here, as in PyTorch).

    Shape
    -----
    - input: ``(N, C, L)`` or ``(C, L)``; output: same as input
    """

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm3d(_LazyNormBase, InstanceNorm3d):
    """:class:`~glassnet.nn.InstanceNorm3d` with ``num_features`` inferred from the input
    (``affine`` and ``track_running_stats`` default to True here, as in PyTorch).

    Shape
    -----
    - input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``; output: same as input
    """

    cls_to_become = InstanceNorm3d
