"""Pooling layers: ``MaxPool1d/2d/3d``, ``AvgPool1d/2d/3d``, ``AdaptiveAvgPool1d/2d/3d``,
``AdaptiveMaxPool1d/2d/3d``, ``LPPool1d/2d/3d``, ``MaxUnpool1d/2d/3d`` (``torch.nn`` names,
defaults and reprs).

The output size of a pooling window of size ``k``, stride ``s``, padding ``p`` and
dilation ``d`` over a length ``L`` is ``floor((L + 2p - d (k - 1) - 1) / s) + 1``
(``ceil`` with ``ceil_mode``, without a window starting in the right padding).
"""
from __future__ import annotations

from glassnet._checks import check_positive, ntuple
from glassnet.nn import functional as F
from glassnet.nn.module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
           "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d",
           "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "LPPool1d", "LPPool2d", "LPPool3d",
           "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d"]


def _check_window(name, nd, kernel_size, stride, padding, dilation=1):
    """Validate the window hyperparameters (the values are kept as given, as PyTorch
    keeps them for the repr)."""
    k = check_positive(ntuple(kernel_size, nd, "kernel_size", name), "kernel_size", name)
    if stride is not None:
        check_positive(ntuple(stride, nd, "stride", name), "stride", name)
    p = check_positive(ntuple(padding, nd, "padding", name), "padding", name,
                       allow_zero=True)
    d = check_positive(ntuple(dilation, nd, "dilation", name), "dilation", name)
    for pi, ki, di in zip(p, k, d):
        # NOTE: a window must overlap the input: padding at most half the effective
        # kernel, as PyTorch requires.
        if pi > (di * (ki - 1) + 1) // 2:
            raise ValueError(f"{name}: pad should be at most half of effective kernel size, "
                             f"but got padding={padding}, kernel_size={kernel_size} and "
                             f"dilation={dilation}")


class _MaxPoolNd(Module):
    _nd = 2

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False):
        super().__init__()
        _check_window(type(self).__name__, self._nd, kernel_size, stride, padding, dilation)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, "
                f"ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Max over sliding windows of a 1-D signal.

    Parameters
    ----------
    kernel_size : int
    stride : int, optional
        Default ``kernel_size``.
    padding : int
        Implicit ``-inf`` padding, at most half the effective kernel.  Default 0.
    dilation : int
        Default 1.
    return_indices : bool
        Also return the flat index of each maximum.
    ceil_mode : bool
        Round the output size up.

    Shape
    -----
    - input: ``(N, C, L)`` or ``(C, L)``
    - output: ``(N, C, L_out)``
    """

    _nd = 1

    def forward(self, input):
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding,
                            self.dilation, ceil_mode=self.ceil_mode,
                            return_indices=self.return_indices)


class MaxPool2d(_MaxPoolNd):
    """Max over sliding windows of an image.

    Parameters
    ----------
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Default ``kernel_size``.
    padding : int or (int, int)
        Implicit ``-inf`` padding, at most half the effective kernel.  Default 0.
    dilation : int or (int, int)
        Default 1.
    return_indices : bool
        Also return the flat index (over ``H * W``) of each maximum.
    ceil_mode : bool
        Round the output size up.

    Shape
    -----
    - input: ``(N, C, H, W)`` or ``(C, H, W)``
    - output: ``(N, C, H_out, W_out)``,
      ``H_out = floor((H + 2 padding - dilation (kH - 1) - 1) / stride + 1)``
    """

    _nd = 2

    def forward(self, input):
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding,
                            self.dilation, ceil_mode=self.ceil_mode,
                            return_indices=self.return_indices)


class AvgPool1d(Module):
    """Mean over sliding windows of a 1-D signal.

    Parameters
    ----------
    kernel_size : int
    stride : int, optional
        Default ``kernel_size``.
    padding : int
        Zero padding, at most half the kernel.  Default 0.
    ceil_mode : bool
    count_include_pad : bool
        Count the padded zeros in the divisor (default True).

    Shape
    -----
    - input: ``(N, C, L)`` or ``(C, L)``
    - output: ``(N, C, L_out)``
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True):
        super().__init__()
        _check_window("AvgPool1d", 1, kernel_size, stride, padding)
        # NOTE: PyTorch stores AvgPool1d's sizes as 1-tuples (so the repr shows "(3,)").
        self.kernel_size = ntuple(kernel_size, 1, "kernel_size", "AvgPool1d")
        self.stride = ntuple(stride if stride is not None else kernel_size, 1, "stride",
                             "AvgPool1d")
        self.padding = ntuple(padding, 1, "padding", "AvgPool1d")
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input):
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding,
                            self.ceil_mode, self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Mean over sliding windows of an image.

    Parameters
    ----------
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Default ``kernel_size``.
    padding : int or (int, int)
        Zero padding, at most half the kernel.  Default 0.
    ceil_mode : bool
    count_include_pad : bool
        Count the padded zeros in the divisor (default True).
    divisor_override : int, optional
        Divide by this instead of the window size.

    Shape
    -----
    - input: ``(N, C, H, W)`` or ``(C, H, W)``
    - output: ``(N, C, H_out, W_out)``,
      ``H_out = floor((H + 2 padding - kH) / stride + 1)``
    """

    _nd = 2
    _fn = staticmethod(F.avg_pool2d)

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None):
        super().__init__()
        name = type(self).__name__
        _check_window(name, self._nd, kernel_size, stride, padding)
        if divisor_override is not None and (
                isinstance(divisor_override, bool) or not isinstance(divisor_override, int)
                or divisor_override <= 0):
            raise ValueError(f"{name}: divisor_override must be a positive int or None, "
                             f"got {divisor_override!r}")
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return type(self)._fn(input, self.kernel_size, self.stride, self.padding,
                              self.ceil_mode, self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


def _check_output_size(output_size, name, nd=2):
    sizes = (output_size,) * nd if not isinstance(output_size, (tuple, list)) else output_size
    if len(sizes) != nd or not all(
            s is None or (isinstance(s, int) and not isinstance(s, bool) and s > 0)
            for s in sizes):
        raise ValueError(f"{name}: output_size must be a positive int or a tuple of {nd} "
                         f"positive ints (or None), got {output_size!r}")
    return output_size


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size: output cell ``i`` averages input rows
    ``floor(i H / H_out)`` to ``ceil((i + 1) H / H_out)`` (likewise for columns).

    Parameters
    ----------
    output_size : int or (int or None, int or None)
        None keeps that input dimension.

    Shape
    -----
    - input: ``(N, C, H, W)`` or ``(C, H, W)``
    - output: ``(N, C, H_out, W_out)``
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = _check_output_size(output_size, "AdaptiveAvgPool2d")

    def forward(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(Module):
    """Max pooling to a fixed output size (windows as :class:`AdaptiveAvgPool2d`).

    Parameters
    ----------
    output_size : int or (int or None, int or None)
    return_indices : bool

    Shape
    -----
    - input: ``(N, C, H, W)`` or ``(C, H, W)``
    - output: ``(N, C, H_out, W_out)``
    """

    def __init__(self, output_size, return_indices: bool = False):
        super().__init__()
        self.output_size = _check_output_size(output_size, "AdaptiveMaxPool2d")
        self.return_indices = return_indices

    def forward(self, input):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(Module):
    """Average pooling of a signal to ``output_size`` bins (see
    :class:`AdaptiveAvgPool2d`).

    Shape
    -----
    - input: ``(N, C, L)`` or ``(C, L)``
    - output: ``(N, C, L_out)``
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = _check_output_size(output_size, "AdaptiveAvgPool1d", 1)

    def forward(self, input):
        return F.adaptive_avg_pool1d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(Module):
    """Max pooling of a signal to ``output_size`` bins.

    Shape
    -----
    - input: ``(N, C, L)`` or ``(C, L)``
    - output: ``(N, C, L_out)``
    """

    def __init__(self, output_size, return_indices: bool = False):
        super().__init__()
        self.output_size = _check_output_size(output_size, "AdaptiveMaxPool1d", 1)
        self.return_indices = return_indices

    def forward(self, input):
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class _LPPoolNd(Module):
    _fn = None
    _nd = 2

    def __init__(self, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False):
        super().__init__()
        name = type(self).__name__
        if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float)) \
                or norm_type <= 0:
            raise ValueError(f"{name}: norm_type must be a positive number, got "
                             f"{norm_type!r}")
        _check_window(name, self._nd, kernel_size, stride, 0)
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return type(self)._fn(input, float(self.norm_type), self.kernel_size, self.stride,
                              self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """Power-average pooling ``(sum_window x^p)^(1/p)`` of a signal.

    Parameters
    ----------
    norm_type : float
        ``p`` (1: sum pooling; infinity-like large ``p``: max pooling).
    kernel_size : int
    stride : int, optional
        Default ``kernel_size``.
    ceil_mode : bool

    Shape
    -----
    - input: ``(N, C, L)`` or ``(C, L)``
    - output: ``(N, C, L_out)``
    """

    _fn = staticmethod(F.lp_pool1d)
    _nd = 1


class LPPool2d(_LPPoolNd):
    """Power-average pooling of an image (see :class:`LPPool1d`).

    Shape
    -----
    - input: ``(N, C, H, W)`` or ``(C, H, W)``
    - output: ``(N, C, H_out, W_out)``
    """

    _fn = staticmethod(F.lp_pool2d)
    _nd = 2


class _MaxUnpoolNd(Module):
    _fn = None
    _nd = 2

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        name = type(self).__name__
        nd = self._nd
        self.kernel_size = check_positive(ntuple(kernel_size, nd, "kernel_size", name),
                                          "kernel_size", name)
        self.stride = check_positive(
            ntuple(stride if stride is not None else kernel_size, nd, "stride", name),
            "stride", name)
        self.padding = check_positive(ntuple(padding, nd, "padding", name), "padding", name,
                                      allow_zero=True)

    def forward(self, input, indices, output_size=None):
        return type(self)._fn(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """Partial inverse of :class:`MaxPool1d`: each value goes to its index, zeros
    elsewhere.

    Parameters
    ----------
    kernel_size : int
    stride : int, optional
        Default ``kernel_size``.
    padding : int

    Shape
    -----
    - input, indices: ``(N, C, L)`` or ``(C, L)``
    - output: ``(N, C, L_out)``, ``L_out = (L - 1) stride - 2 padding + kernel_size``
      or ``output_size``
    """

    _fn = staticmethod(F.max_unpool1d)
    _nd = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """Partial inverse of :class:`MaxPool2d` (see :class:`MaxUnpool1d`).

    Shape
    -----
    - input, indices: ``(N, C, H, W)`` or ``(C, H, W)``
    - output: ``(N, C, H_out, W_out)``, ``H_out = (H - 1) stride[0] - 2 padding[0]
      + kernel_size[0]`` or ``output_size``

    Examples
    --------
    >>> import glassnet, glassnet.nn as nn
    >>> x = glassnet.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    >>> y, idx = nn.MaxPool2d(2, return_indices=True)(x)
    >>> nn.MaxUnpool2d(2)(y, idx).tolist()
    [[[[0.0, 0.0], [0.0, 4.0]]]]
    """

    _fn = staticmethod(F.max_unpool2d)
    _nd = 2


# -----------------------------------------------------------------------------
# 3-D pools
# -----------------------------------------------------------------------------
class MaxPool3d(_MaxPoolNd):
    """Max over sliding windows of a volume (see :class:`MaxPool2d`); indices are flat
    over ``D * H * W``.

    Shape
    -----
    - input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``
    - output: ``(N, C, D_out, H_out, W_out)``,
      ``D_out = floor((D + 2 padding - dilation (kD - 1) - 1) / stride + 1)``
    """

    _nd = 3

    def forward(self, input):
        return F.max_pool3d(input, self.kernel_size, self.stride, self.padding,
                            self.dilation, ceil_mode=self.ceil_mode,
                            return_indices=self.return_indices)


class AvgPool3d(AvgPool2d):
    """Mean over sliding windows of a volume (see :class:`AvgPool2d`).

    Shape
    -----
    - input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``
    - output: ``(N, C, D_out, H_out, W_out)``,
      ``D_out = floor((D + 2 padding - kD) / stride + 1)``
    """

    _nd = 3
    _fn = staticmethod(F.avg_pool3d)


class AdaptiveAvgPool3d(Module):
    """Average pooling of a volume to ``output_size`` (bins of :class:`AdaptiveAvgPool2d`).

    Shape
    -----
    - input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``
    - output: ``(N, C, D_out, H_out, W_out)``
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = _check_output_size(output_size, "AdaptiveAvgPool3d", 3)

    def forward(self, input):
        return F.adaptive_avg_pool3d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool3d(Module):
    """Max pooling of a volume to ``output_size``.

    Shape
    -----
    - input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``
    - output: ``(N, C, D_out, H_out, W_out)``
    """

    def __init__(self, output_size, return_indices: bool = False):
        super().__init__()
        self.output_size = _check_output_size(output_size, "AdaptiveMaxPool3d", 3)
        self.return_indices = return_indices

    def forward(self, input):
        return F.adaptive_max_pool3d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class LPPool3d(_LPPoolNd):
    """Power-average pooling of a volume (see :class:`LPPool1d`).

    Shape
    -----
    - input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``
    - output: ``(N, C, D_out, H_out, W_out)``
    """

    _fn = staticmethod(F.lp_pool3d)
    _nd = 3


class MaxUnpool3d(_MaxUnpoolNd):
    """Partial inverse of :class:`MaxPool3d` (see :class:`MaxUnpool1d`).

    Shape
    -----
    - input, indices: ``(N, C, D, H, W)`` or ``(C, D, H, W)``
    - output: ``(N, C, D_out, H_out, W_out)``
    """

    _fn = staticmethod(F.max_unpool3d)
    _nd = 3
