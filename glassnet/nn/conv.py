"""Convolution layers: ``Conv1d/2d/3d``, ``ConvTranspose1d/2d/3d`` (``torch.nn``).

Default initialisation (PyTorch's): ``weight ~ kaiming_uniform_(a=sqrt(5))``, i.e.
U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and ``bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))``
with ``fan_in = weight.shape[1] * prod(kernel_size)``.  For transposed convolutions
the weight is laid out ``(C_in, C_out / groups, *kernel)``, so PyTorch's fan_in (and
glassnet's) is ``C_out / groups * prod(kernel_size)``.
"""
from __future__ import annotations

import math

from glassnet._checks import check_choice, check_positive, ntuple
from glassnet.nn import functional as F
from glassnet.nn import init
from glassnet.nn._layer_checks import _check_int, _factory_dtype
from glassnet.nn.module import Module, Parameter
from glassnet._creation import zeros

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """Shared hyperparameter handling, parameters and repr of the convolutions."""

    _nd = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 transposed, output_padding, groups, bias, padding_mode, device, dtype):
        super().__init__()
        name = type(self).__name__
        nd = self._nd
        dt = _factory_dtype(dtype, device, name)
        self.in_channels = _check_int(in_channels, "in_channels", name)
        self.out_channels = _check_int(out_channels, "out_channels", name)
        self.groups = _check_int(groups, "groups", name)
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels must be divisible by groups, got "
                             f"in_channels={in_channels}, groups={groups}")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels must be divisible by groups, got "
                             f"out_channels={out_channels}, groups={groups}")
        self.kernel_size = check_positive(ntuple(kernel_size, nd, "kernel_size", name),
                                          "kernel_size", name)
        self.stride = check_positive(ntuple(stride, nd, "stride", name), "stride", name)
        self.dilation = check_positive(ntuple(dilation, nd, "dilation", name), "dilation",
                                       name)
        if isinstance(padding, str):
            if transposed:
                raise ValueError(f"{name}: padding must be an int or a tuple of ints, got "
                                 f"{padding!r}")
            check_choice(padding, ("same", "valid"), "padding", name)
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions, got stride={self.stride}")
            self.padding = padding
        else:
            self.padding = check_positive(ntuple(padding, nd, "padding", name), "padding",
                                          name, allow_zero=True)
        self.output_padding = check_positive(
            ntuple(output_padding, nd, "output_padding", name), "output_padding", name,
            allow_zero=True)
        for op, s, d in zip(self.output_padding, self.stride, self.dilation):
            if op >= s and op >= d:
                raise ValueError(f"{name}: output_padding must be smaller than either stride "
                                 f"or dilation, got output_padding={self.output_padding}, "
                                 f"stride={self.stride}, dilation={self.dilation}")
        check_choice(padding_mode, _PADDING_MODES, "padding_mode", name)
        if transposed and padding_mode != "zeros":
            raise ValueError(f'{name}: only "zeros" padding mode is supported, got '
                             f'{padding_mode!r}')
        self.padding_mode = padding_mode
        self.transposed = transposed
        # (left, right) pairs from the last dimension backwards, as F.pad expects.
        if isinstance(self.padding, str):
            pads = [0, 0] * nd
            if self.padding == "same":
                for d, k, i in zip(self.dilation, self.kernel_size, range(nd - 1, -1, -1)):
                    total = d * (k - 1)
                    pads[2 * i] = total // 2
                    pads[2 * i + 1] = total - total // 2
            self._reversed_padding_repeated_twice = pads
        else:
            self._reversed_padding_repeated_twice = [p for p in reversed(self.padding)
                                                     for _ in range(2)]
        if transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(zeros(*shape, dtype=dt))
        if bias:
            self.bias = Parameter(zeros(out_channels, dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # NOTE: a=sqrt(5) gives bound = 1/sqrt(fan_in), PyTorch's legacy default kept for
        # reproducibility (pytorch/pytorch#57109).
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        nd = self._nd
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """1-D convolution (cross-correlation) over ``(N, C_in, L)`` signals.

    Parameters
    ----------
    in_channels, out_channels : int
        Both divisible by ``groups``.
    kernel_size : int or (int,)
    stride : int or (int,)
        Default 1.
    padding : int, (int,), 'valid' or 'same'
        Default 0.  'same' needs stride 1.
    dilation : int or (int,)
        Default 1.
    groups : int
        Default 1.
    bias : bool
        Default True.
    padding_mode : {'zeros', 'reflect', 'replicate', 'circular'}
    device, dtype : optional

    Attributes
    ----------
    weight : Parameter ``(C_out, C_in / groups, kW)``
    bias : Parameter ``(C_out,)``

    Shape
    -----
    - input: ``(N, C_in, L)`` or ``(C_in, L)``
    - output: ``(N, C_out, L_out)``,
      ``L_out = floor((L + 2 padding - dilation (kW - 1) - 1) / stride + 1)``
    """

    _nd = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1,
                 padding=0, dilation=1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         False, 0, groups, bias, padding_mode, device, dtype)

    def forward(self, input):
        if self.padding_mode != "zeros":
            input = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return F.conv1d(input, self.weight, self.bias, self.stride, 0, self.dilation,
                            self.groups)
        return F.conv1d(input, self.weight, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)


class Conv2d(_ConvNd):
    """2-D convolution (cross-correlation) over ``(N, C_in, H, W)`` images.

    Parameters
    ----------
    in_channels, out_channels : int
        Both divisible by ``groups``.
    kernel_size : int or (int, int)
    stride : int or (int, int)
        Default 1.
    padding : int, (int, int), 'valid' or 'same'
        Default 0.  'same' needs stride 1; an odd total puts the extra row/column at
        the bottom/right.
    dilation : int or (int, int)
        Default 1.
    groups : int
        Default 1 (``groups = C_in`` is a depthwise convolution).
    bias : bool
        Default True.
    padding_mode : {'zeros', 'reflect', 'replicate', 'circular'}
        How the border is padded (non-zero modes go through ``F.pad``).
    device, dtype : optional

    Attributes
    ----------
    weight : Parameter ``(C_out, C_in / groups, kH, kW)``
    bias : Parameter ``(C_out,)``

    Shape
    -----
    - input: ``(N, C_in, H, W)`` or ``(C_in, H, W)``
    - output: ``(N, C_out, H_out, W_out)``,
      ``H_out = floor((H + 2 padding[0] - dilation[0] (kH - 1) - 1) / stride[0] + 1)``

    Examples
    --------
    >>> import glassnet, glassnet.nn as nn
    >>> nn.Conv2d(3, 8, 3, padding=1)(glassnet.randn(2, 3, 5, 5)).shape
    glassnet.Size([2, 8, 5, 5])
    """

    _nd = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1,
                 padding=0, dilation=1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         False, 0, groups, bias, padding_mode, device, dtype)

    def forward(self, input):
        if self.padding_mode != "zeros":
            input = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return F.conv2d(input, self.weight, self.bias, self.stride, 0, self.dilation,
                            self.groups)
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)


class Conv3d(_ConvNd):
    """3-D convolution (cross-correlation) over ``(N, C_in, D, H, W)`` volumes; the
    parameters are those of :class:`Conv2d` with three spatial dimensions.

    Attributes
    ----------
    weight : Parameter ``(C_out, C_in / groups, kD, kH, kW)``
    bias : Parameter ``(C_out,)``

    Shape
    -----
    - input: ``(N, C_in, D, H, W)`` or ``(C_in, D, H, W)``
    - output: ``(N, C_out, D_out, H_out, W_out)``,
      ``D_out = floor((D + 2 padding[0] - dilation[0] (kD - 1) - 1) / stride[0] + 1)``

    Examples
    --------
    >>> import glassnet, glassnet.nn as nn
    >>> nn.Conv3d(2, 4, 3, stride=2)(glassnet.randn(1, 2, 5, 7, 7)).shape
    glassnet.Size([1, 4, 2, 3, 3])
    """

    _nd = 3

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1,
                 padding=0, dilation=1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         False, 0, groups, bias, padding_mode, device, dtype)

    def forward(self, input):
        if self.padding_mode != "zeros":
            input = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return F.conv3d(input, self.weight, self.bias, self.stride, 0, self.dilation,
                            self.groups)
        return F.conv3d(input, self.weight, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)


class _ConvTransposeNd(_ConvNd):
    """Shared constructor and forward of the transposed convolutions."""

    _nd = 2
    _fn = None

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1,
                 padding=0, output_padding=0, groups: int = 1, bias: bool = True,
                 dilation=1, padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         True, output_padding, groups, bias, padding_mode, device, dtype)

    def _output_padding(self, input, output_size):
        """The output_padding that gives ``output_size`` (PyTorch's rule)."""
        if output_size is None:
            return self.output_padding
        nd = self._nd
        n_non_spatial = 2 if input.ndim == nd + 2 else 1
        output_size = tuple(output_size)
        if len(output_size) == n_non_spatial + nd:
            output_size = output_size[n_non_spatial:]
        if len(output_size) != nd:
            raise ValueError(f"{type(self).__name__}: output_size must have {nd} or "
                             f"{n_non_spatial + nd} elements, got {len(output_size)}")
        min_sizes = [(input.shape[d + n_non_spatial] - 1) * self.stride[d]
                     - 2 * self.padding[d] + self.dilation[d] * (self.kernel_size[d] - 1) + 1
                     for d in range(nd)]
        max_sizes = [m + s - 1 for m, s in zip(min_sizes, self.stride)]
        for size, lo, hi in zip(output_size, min_sizes, max_sizes):
            if not lo <= size <= hi:
                raise ValueError(f"{type(self).__name__}: requested an output size of "
                                 f"{output_size}, but valid sizes range from {min_sizes} to "
                                 f"{max_sizes} (for an input of "
                                 f"{tuple(input.shape[n_non_spatial:])})")
        return tuple(size - lo for size, lo in zip(output_size, min_sizes))

    def forward(self, input, output_size=None):
        output_padding = self._output_padding(input, output_size)
        return type(self)._fn(input, self.weight, self.bias, self.stride, self.padding,
                              output_padding, self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution, the adjoint (gradient) of :class:`Conv1d`; see
    :class:`ConvTranspose2d` for the parameters.

    Attributes
    ----------
    weight : Parameter ``(C_in, C_out / groups, kW)``
    bias : Parameter ``(C_out,)``

    Shape
    -----
    - input: ``(N, C_in, L)`` or ``(C_in, L)``
    - output: ``(N, C_out, L_out)``, ``L_out = (L - 1) stride - 2 padding
      + dilation (kW - 1) + output_padding + 1``
    """

    _nd = 1
    _fn = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution, the adjoint (gradient) of :class:`Conv2d`.

    Parameters
    ----------
    in_channels, out_channels : int
        Both divisible by ``groups``.
    kernel_size : int or (int, int)
    stride : int or (int, int)
        Default 1.
    padding : int or (int, int)
        ``dilation (k - 1) - padding`` zeros are added on each side of the input.
    output_padding : int or (int, int)
        Extra rows/columns at the bottom/right of the output; smaller than stride or
        dilation.
    groups : int
        Default 1.
    bias : bool
        Default True.
    dilation : int or (int, int)
        Default 1.
    padding_mode : 'zeros'
    device, dtype : optional

    Attributes
    ----------
    weight : Parameter ``(C_in, C_out / groups, kH, kW)``
    bias : Parameter ``(C_out,)``

    Shape
    -----
    - input: ``(N, C_in, H, W)`` or ``(C_in, H, W)``
    - output: ``(N, C_out, H_out, W_out)``, ``H_out = (H - 1) stride[0] - 2 padding[0]
      + dilation[0] (kH - 1) + output_padding[0] + 1``; ``forward(input, output_size)``
      picks ``output_padding`` to reach ``output_size``.
    """

    _nd = 2
    _fn = staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution, the adjoint (gradient) of :class:`Conv3d`; see
    :class:`ConvTranspose2d` for the parameters.

    Attributes
    ----------
    weight : Parameter ``(C_in, C_out / groups, kD, kH, kW)``
    bias : Parameter ``(C_out,)``

    Shape
    -----
    - input: ``(N, C_in, D, H, W)`` or ``(C_in, D, H, W)``
    - output: ``(N, C_out, D_out, H_out, W_out)``, ``D_out = (D - 1) stride[0]
      - 2 padding[0] + dilation[0] (kD - 1) + output_padding[0] + 1``
    """

    _nd = 3
    _fn = staticmethod(F.conv_transpose3d)
