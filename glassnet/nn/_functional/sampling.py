"""nn.functional: resampling (interpolate and its upsample aliases) and pixel shuffles."""
from __future__ import annotations

import math

import numpy as np

from glassnet._checks import check_float, check_tensor
from glassnet.nn._functional.conv import _check_int
from glassnet.ops.sampling import Resample, linear_plan, nearest_plan
from glassnet.ops.shape import permute, reshape

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear",
           "pixel_shuffle", "pixel_unshuffle",
           "channel_shuffle"]

_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "area")
_UNSUPPORTED = ("bicubic", "trilinear")


def _spatial_tuple(value, nd, name, fn, kind):
    if isinstance(value, (list, tuple)):
        if len(value) != nd:
            raise ValueError(f"{fn}: {name} must have {nd} elements for a {nd + 2}-D input "
                             f"(one per spatial dimension), got {value!r}")
        vals = tuple(value)
    else:
        vals = (value,) * nd
    out = []
    for v in vals:
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise TypeError(f"{fn}: {name} must be a {kind} or a tuple of them, got "
                            f"{value!r}")
        if kind == "int" and int(v) != v:
            raise TypeError(f"{fn}: {name} must be an int or a tuple of ints, got {value!r}")
        if not math.isfinite(v):
            raise ValueError(f"{fn}: {name} must be finite, got {value!r}")
        if v <= 0:
            raise ValueError(f"{fn}: {name} must be positive, got {value!r}")
        out.append(int(v) if kind == "int" else float(v))
    return tuple(out)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resample a batch of signals or images, as ``torch.nn.functional.interpolate``.

    Parameters
    ----------
    input : Tensor
        Float tensor with one (3-D input) or two (4-D input) spatial dimensions.
    size : int or tuple of int, optional
        Output spatial size. Give exactly one of ``size`` and ``scale_factor``.
    scale_factor : float or tuple of float, optional
        Multiplier of the spatial size; the output size is ``floor(in * scale_factor)``
        and, as in torch, the source coordinates use ``1 / scale_factor`` (not
        ``in / out``) unless ``recompute_scale_factor=True``.
    mode : str
        ``'nearest'`` (torch's ``src = floor(dst * scale)``), ``'nearest-exact'``
        (``floor((dst + 0.5) * scale)``), ``'linear'`` (3-D), ``'bilinear'`` (4-D) or
        ``'area'`` (adaptive average pooling).
    align_corners : bool, optional
        Linear modes only. True maps the corner pixel centres onto each other
        (``src = dst * (in - 1) / (out - 1)``); False (default) uses half-pixel centres
        ``src = (dst + 0.5) * scale - 0.5``, clamped at 0.
    recompute_scale_factor : bool, optional
        With ``scale_factor``: compute the output size, then use ``in / out`` as scale.
    antialias : bool
        Must be False (antialiased downsampling is not implemented).

    Returns
    -------
    Tensor
        The resampled tensor, same dtype.

    Shape
    -----
    - input: ``(N, C, L)`` or ``(N, C, H, W)``
    - output: ``(N, C, L_out)`` or ``(N, C, H_out, W_out)``

    Examples
    --------
    >>> import glassnet as gn
    >>> from glassnet.nn import functional as F
    >>> F.interpolate(gn.tensor([[[1., 2.]]]), scale_factor=2).tolist()
    [[[1.0, 1.0, 2.0, 2.0]]]
    """
    fn = "interpolate"
    check_float(input, "input", fn)
    if mode in _UNSUPPORTED:
        raise NotImplementedError(f"{fn}: mode {mode!r} is not implemented; supported modes "
                                  f"are {', '.join(_MODES)}")
    if mode not in _MODES:
        raise ValueError(f"{fn}: mode must be one of {', '.join(map(repr, _MODES))}, got "
                         f"{mode!r}")
    if input.ndim not in (3, 4):
        raise ValueError(f"{fn}: input must have shape (N, C, L) or (N, C, H, W), got "
                         f"{tuple(input.shape)}")
    nd = input.ndim - 2
    if mode == "linear" and nd != 1:
        raise ValueError(f"{fn}: mode 'linear' needs a 3-D input (N, C, L), got "
                         f"{tuple(input.shape)}; use 'bilinear' for images")
    if mode == "bilinear" and nd != 2:
        raise ValueError(f"{fn}: mode 'bilinear' needs a 4-D input (N, C, H, W), got "
                         f"{tuple(input.shape)}; use 'linear' for signals")
    linear = mode in ("linear", "bilinear")
    if align_corners is not None and not linear:
        raise ValueError(f"{fn}: align_corners option can only be set with the "
                         f"interpolating modes: linear | bilinear, got mode {mode!r}")
    align_corners = bool(align_corners) if linear else False
    if antialias:
        raise NotImplementedError(f"{fn}: antialias=True is not implemented")
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{fn}: give exactly one of size and scale_factor, got size={size!r}"
                         f", scale_factor={scale_factor!r}")
    in_size = tuple(input.shape[2:])
    if size is not None:
        if recompute_scale_factor:
            raise ValueError(f"{fn}: recompute_scale_factor is not meaningful with an "
                             f"explicit size")
        out_size = _spatial_tuple(size, nd, "size", fn, "int")
        scales = tuple(n / o for n, o in zip(in_size, out_size))
    else:
        factors = _spatial_tuple(scale_factor, nd, "scale_factor", fn, "float")
        out_size = tuple(int(math.floor(n * f)) for n, f in zip(in_size, factors))
        if min(out_size) < 1:
            raise ValueError(f"{fn}: scale_factor {scale_factor!r} gives an empty output "
                             f"{out_size} for input size {in_size}")
        if recompute_scale_factor:
            scales = tuple(n / o for n, o in zip(in_size, out_size))
        else:
            scales = tuple(1.0 / f for f in factors)

    if mode == "area":
        from glassnet.nn._functional.pool import adaptive_avg_pool1d, adaptive_avg_pool2d

        pool = adaptive_avg_pool1d if nd == 1 else adaptive_avg_pool2d
        return pool(input, out_size if nd == 2 else out_size[0])

    plans = []
    # Last axis first: torch blends along W, then along H.
    for k in reversed(range(nd)):
        axis = 2 + k
        if linear:
            plan = linear_plan(in_size[k], out_size[k], scales[k], align_corners,
                               input.dtype)
        else:
            # NOTE: torch's 1-D kernel skips the size shortcuts of its image kernel.
            plan = nearest_plan(in_size[k], out_size[k], scales[k], mode == "nearest-exact",
                                shortcuts=nd == 2)
        plans.append((axis, plan))
    return Resample.apply(input, plans=tuple(plans))


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Alias of :func:`interpolate` (torch's deprecated ``F.upsample``).

    Shape
    -----
    - input: ``(N, C, L)`` or ``(N, C, H, W)``; output: resized spatial dims
    """
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Nearest-neighbour upsampling: ``interpolate(..., mode='nearest')``.

    Shape
    -----
    - input: ``(N, C, L)`` or ``(N, C, H, W)``; output: resized spatial dims
    """
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Bilinear upsampling with ``align_corners=True`` (as torch's alias).

    Shape
    -----
    - input: ``(N, C, H, W)``; output: ``(N, C, H_out, W_out)``
    """
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def pixel_shuffle(input, upscale_factor):
    """Rearrange ``(*, C * r^2, H, W)`` into ``(*, C, H * r, W * r)`` (sub-pixel conv,
    Shi et al. 2016, doi:10.1109/CVPR.2016.207); a pure reshape/permute.

    Shape
    -----
    - input: ``(*, C * r^2, H, W)``; output: ``(*, C, H * r, W * r)``

    Examples
    --------
    >>> import glassnet as gn
    >>> from glassnet.nn import functional as F
    >>> F.pixel_shuffle(gn.ones(1, 8, 2, 3), 2).shape
    glassnet.Size([1, 2, 4, 6])
    """
    fn = "pixel_shuffle"
    check_tensor(input, "input", fn)
    r = _check_int(upscale_factor, "upscale_factor", fn)
    if input.ndim < 3:
        raise ValueError(f"{fn}: input must have shape (*, C * r^2, H, W), got "
                         f"{tuple(input.shape)}")
    *lead, c, h, w = tuple(input.shape)
    if c % (r * r):
        raise ValueError(f"{fn}: input channels ({c}) must be divisible by "
                         f"upscale_factor^2 = {r * r}")
    k = len(lead)
    x = reshape(input, tuple(lead) + (c // (r * r), r, r, h, w))
    x = permute(x, *range(k), k, k + 3, k + 1, k + 4, k + 2)
    return reshape(x, tuple(lead) + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor):
    """Inverse of :func:`pixel_shuffle`: ``(*, C, H * r, W * r) -> (*, C * r^2, H, W)``.

    Shape
    -----
    - input: ``(*, C, H * r, W * r)``; output: ``(*, C * r^2, H, W)``
    """
    fn = "pixel_unshuffle"
    check_tensor(input, "input", fn)
    r = _check_int(downscale_factor, "downscale_factor", fn)
    if input.ndim < 3:
        raise ValueError(f"{fn}: input must have shape (*, C, H * r, W * r), got "
                         f"{tuple(input.shape)}")
    *lead, c, h, w = tuple(input.shape)
    if h % r or w % r:
        raise ValueError(f"{fn}: height ({h}) and width ({w}) must be divisible by "
                         f"downscale_factor={r}")
    k = len(lead)
    x = reshape(input, tuple(lead) + (c, h // r, r, w // r, r))
    x = permute(x, *range(k), k, k + 2, k + 4, k + 1, k + 3)
    return reshape(x, tuple(lead) + (c * r * r, h // r, w // r))


def channel_shuffle(input, groups):
    """Interleave the channels of ``groups`` groups (ShuffleNet, Zhang et al. 2018,
    doi:10.1109/CVPR.2018.00716): output channel ``j * groups + g`` is input channel
    ``g * (C / groups) + j``; a pure reshape/transpose.

    Shape
    -----
    - input: ``(N, C, *)`` with at least 3 dimensions; output: the same shape

    Examples
    --------
    >>> import glassnet as gn
    >>> from glassnet.nn import functional as F
    >>> F.channel_shuffle(gn.arange(6.).reshape(1, 6, 1), 2).flatten().tolist()
    [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    """
    fn = "channel_shuffle"
    check_tensor(input, "input", fn)
    g = _check_int(groups, "groups", fn)
    if input.ndim < 3:
        raise ValueError(f"{fn}: input must have shape (N, C, *) with at least 3 "
                         f"dimensions, got {tuple(input.shape)}")
    n, c, *rest = tuple(input.shape)
    if c % g:
        raise ValueError(f"{fn}: number of channels ({c}) must be divisible by "
                         f"groups={g}")
    x = reshape(input, (n, g, c // g) + tuple(rest))
    x = permute(x, 0, 2, 1, *range(3, x.ndim))
    return reshape(x, tuple(input.shape))
