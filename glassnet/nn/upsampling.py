"""Upsampling layers: ``Upsample``, ``UpsamplingNearest2d``, ``UpsamplingBilinear2d``,
``PixelShuffle``, ``PixelUnshuffle`` (``torch.nn``)."""
from __future__ import annotations

import numbers

from glassnet._checks import check_choice
from glassnet.nn import functional as F
from glassnet.nn._layer_checks import _check_int
from glassnet.nn.module import Module

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle",
           "PixelUnshuffle"]

_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")


class Upsample(Module):
    """Resize by ``F.interpolate`` to a given ``size`` or by a ``scale_factor``.

    Parameters
    ----------
    size : int or tuple of int, optional
        Output spatial size.
    scale_factor : float or tuple of float, optional
        Multiplier of the spatial size (exactly one of ``size`` and ``scale_factor``).
    mode : {'nearest', 'linear', 'bilinear', 'bicubic', 'trilinear', 'area', 'nearest-exact'}
        Default 'nearest'.
    align_corners : bool, optional
        For the linear modes: align the corner pixel centres (default False).
    recompute_scale_factor : bool, optional
        Compute the scale used by the interpolation from the output size.

    Shape
    -----
    - input: ``(N, C, W_in)``, ``(N, C, H_in, W_in)`` or ``(N, C, D_in, H_in, W_in)``
    - output: ``(N, C, W_out)`` ..., ``H_out = floor(H_in * scale_factor)`` or ``size``
    """

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest",
                 align_corners: bool | None = None, recompute_scale_factor=None):
        super().__init__()
        name = type(self).__name__
        if (size is None) == (scale_factor is None):
            raise ValueError(f"{name}: exactly one of size and scale_factor must be given, "
                             f"got size={size!r}, scale_factor={scale_factor!r}")
        self.mode = check_choice(mode, _MODES, "mode", name)
        if align_corners is not None and mode not in ("linear", "bilinear", "bicubic",
                                                      "trilinear"):
            raise ValueError(f"{name}: align_corners option can only be set with the "
                             f"interpolating modes: linear | bilinear | bicubic | trilinear, "
                             f"got mode={mode!r}")
        if size is not None:
            sizes = size if isinstance(size, (tuple, list)) else (size,)
            for s in sizes:
                _check_int(s, "size", name)
        if isinstance(scale_factor, (tuple, list)):
            scale_factor = tuple(float(f) for f in scale_factor)
        elif scale_factor is not None:
            if isinstance(scale_factor, bool) or not isinstance(scale_factor, numbers.Real):
                raise TypeError(f"{name}: scale_factor must be a number or a tuple of "
                                f"numbers, got {type(scale_factor).__name__}")
            scale_factor = float(scale_factor)
        if scale_factor is not None and any(
                f <= 0 for f in (scale_factor if isinstance(scale_factor, tuple)
                                 else (scale_factor,))):
            raise ValueError(f"{name}: scale_factor must be > 0, got {scale_factor}")
        self.name = name
        self.size = size
        self.scale_factor = scale_factor
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return F.interpolate(input, self.size, self.scale_factor, self.mode,
                             self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = f"scale_factor={self.scale_factor!r}"
        else:
            info = f"size={self.size!r}"
        return info + f", mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour 2-D upsampling (``Upsample(mode='nearest')``).

    Shape: ``(N, C, H, W) -> (N, C, H_out, W_out)``.
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear 2-D upsampling with ``align_corners=True``.

    Shape: ``(N, C, H, W) -> (N, C, H_out, W_out)``.
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class PixelShuffle(Module):
    """Rearrange ``(*, C r^2, H, W)`` into ``(*, C, H r, W r)`` (sub-pixel convolution,
    Shi et al. 2016, arXiv:1609.05158).

    Parameters
    ----------
    upscale_factor : int
        ``r``.

    Shape
    -----
    - input: ``(*, C_in, H_in, W_in)`` with ``C_in = C_out r^2``
    - output: ``(*, C_out, H_in r, W_in r)``
    """

    def __init__(self, upscale_factor: int):
        super().__init__()
        self.upscale_factor = _check_int(upscale_factor, "upscale_factor", "PixelShuffle")

    def forward(self, input):
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """The inverse of :class:`PixelShuffle`: ``(*, C, H r, W r) -> (*, C r^2, H, W)``.

    Parameters
    ----------
    downscale_factor : int

    Shape
    -----
    - input: ``(*, C_in, H_in, W_in)`` with ``H_in, W_in`` divisible by ``r``
    - output: ``(*, C_in r^2, H_in / r, W_in / r)``
    """

    def __init__(self, downscale_factor: int):
        super().__init__()
        self.downscale_factor = _check_int(downscale_factor, "downscale_factor",
                                           "PixelUnshuffle")

    def forward(self, input):
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
