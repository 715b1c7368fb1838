"""``Fold`` and ``Unfold`` (``torch.nn``): col2im and im2col as layers.

The hyperparameters are kept as given (ints or tuples), as PyTorch keeps them for the
repr; :func:`glassnet.nn.functional.fold` / ``unfold`` validate them.
"""
from __future__ import annotations

from glassnet._checks import check_positive, pair
from glassnet.nn import functional as F
from glassnet.nn.module import Module

__all__ = ["Fold", "Unfold"]


def _check(name, kernel_size, dilation, padding, stride):
    check_positive(pair(kernel_size, "kernel_size", name), "kernel_size", name)
    check_positive(pair(dilation, "dilation", name), "dilation", name)
    check_positive(pair(padding, "padding", name), "padding", name, allow_zero=True)
    check_positive(pair(stride, "stride", name), "stride", name)


class Fold(Module):
    """Combine sliding local blocks into an image, summing overlaps (col2im).

    Parameters
    ----------
    output_size : int or (int, int)
    kernel_size : int or (int, int)
    dilation, padding, stride : int or (int, int)
        Defaults 1, 0, 1.

    Shape
    -----
    - input: ``(N, C * kH * kW, L)`` or ``(C * kH * kW, L)``
    - output: ``(N, C, H, W)`` or ``(C, H, W)`` with ``(H, W) = output_size``

    Examples
    --------
    >>> import glassnet, glassnet.nn as nn
    >>> nn.Fold((3, 3), 2)(glassnet.ones(1, 4, 4))[0, 0].tolist()
    [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        _check("Fold", kernel_size, dilation, padding, stride)
        check_positive(pair(output_size, "output_size", "Fold"), "output_size", "Fold")
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")


class Unfold(Module):
    """Extract sliding local blocks (im2col).

    Parameters
    ----------
    kernel_size : int or (int, int)
    dilation, padding, stride : int or (int, int)
        Defaults 1, 0, 1.

    Shape
    -----
    - input: ``(N, C, H, W)`` or ``(C, H, W)``
    - output: ``(N, C * kH * kW, L)``, ``L`` the number of window positions
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        _check("Unfold", kernel_size, dilation, padding, stride)
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")
