"""nn.functional: convolutions (conv1d/2d/3d, conv_transpose1d/2d/3d) and unfold / fold.

Public wrappers validate their arguments, document shapes and call the Functions in
:mod:`glassnet.ops.conv` (im2col + GEMM, see that module for the layout).
"""
from __future__ import annotations

import numpy as np

from glassnet._checks import check_float, check_positive, check_tensor, ntuple, pair
from glassnet.ops.conv import Conv2d, ConvTranspose2d, Window
from glassnet.ops.fold import Fold, Unfold
from glassnet.ops.shape import squeeze, unsqueeze

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "unfold", "fold"]


# -----------------------------------------------------------------------------
# Validation helpers (shared with pool.py / sampling.py)
# -----------------------------------------------------------------------------
def _check_int(value, name, fn, minimum=1):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{fn}: {name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{fn}: {name} must be >= {minimum}, got {value}")
    return value


def _same_dtype(x, other, name, fn):
    if other is not None and other.dtype != x.dtype:
        raise TypeError(f"{fn}: {name} dtype {other.dtype} does not match input dtype "
                        f"{x.dtype}")


_SPATIAL = {1: "(L)", 2: "(H, W)", 3: "(D, H, W)"}
_KERNEL = {1: "kW", 2: "kH, kW", 3: "kD, kH, kW"}


def _out_size(size, kernel, stride, pad_total, dilation, ceil_mode=False):
    span = size + pad_total - dilation * (kernel - 1) - 1
    if span < 0:
        return 0
    q = -(-span // stride) if ceil_mode else span // stride
    return q + 1


def _batched(x, nd, fn, what):
    """Return ``(x as (N, C, *spatial), was_unbatched)``; accepts unbatched input."""
    if x.ndim == nd + 1:
        return unsqueeze(x, 0), True
    if x.ndim != nd + 2:
        raise ValueError(f"{fn}: input must have shape {what} or its unbatched form, got "
                         f"{tuple(x.shape)}")
    return x, False


# -----------------------------------------------------------------------------
# Convolution
# -----------------------------------------------------------------------------
def _skip_unread_rows(x, size, out, kernel, stride, before, totals, dilation):
    """Where the stride exceeds the dilated kernel, keep only the rows the windows read.

    A stride-``s`` window of extent ``e < s`` never reads the ``s - e`` rows between two
    windows; the phase decomposition of :class:`~glassnet.ops.window.Window` would still
    allocate (and loop over) all ``s`` phases, so memory and time would grow with the
    stride (stride 50,000 on a 5x5 image would ask for gigabytes). Gathering the read
    rows (zero padding included) gives an input of ``out * e`` rows on which the same
    convolution has stride ``e`` and no padding; the gather is differentiable, so the
    backward pass scatters the gradient back to the rows that were read.
    """
    from glassnet.ops.shape import pad as _pad

    nd = len(size)
    widths = []
    for i in reversed(range(nd)):
        widths += [before[i], totals[i] - before[i]]
    if any(widths):
        x = _pad(x, widths)
    new_size, new_stride = list(size), list(stride)
    for i in range(nd):
        eff = dilation[i] * (kernel[i] - 1) + 1
        new_size[i] = x.shape[2 + i]
        if stride[i] <= eff:
            continue
        # NOTE: a 1-wide window (a strided 1x1 conv: ResNet's downsampling shortcuts) is
        # a strided view, whose backward is a plain strided write.
        rows = (slice(0, (out[i] - 1) * stride[i] + 1, stride[i]) if eff == 1 else
                (np.arange(out[i])[:, None] * stride[i] + np.arange(eff)).reshape(-1))
        x = x[(slice(None),) * (2 + i) + (rows,)]
        new_size[i], new_stride[i] = out[i] * eff, eff
    return x, tuple(new_size), tuple(new_stride), (0,) * nd


def _conv(input, weight, bias, stride, padding, dilation, groups, nd, fn):
    check_float(input, "input", fn)
    check_tensor(weight, "weight", fn)
    _same_dtype(input, weight, "weight", fn)
    if bias is not None:
        check_tensor(bias, "bias", fn)
        _same_dtype(input, bias, "bias", fn)
    spatial = _SPATIAL[nd]
    wdoc = f"(C_out, C_in/groups, {_KERNEL[nd]})"
    xdoc = f"(N, C_in, {spatial[1:-1]})"
    if weight.ndim != nd + 2:
        raise ValueError(f"{fn}: weight must have shape {wdoc}, got {tuple(weight.shape)}")
    groups = _check_int(groups, "groups", fn)
    x, unbatched = _batched(input, nd, fn, xdoc)
    c_out, c_per_group = weight.shape[:2]
    if c_out % groups:
        raise ValueError(f"{fn}: out_channels (weight.shape[0]={c_out}) must be divisible "
                         f"by groups={groups}")
    if x.shape[1] != c_per_group * groups:
        raise ValueError(f"{fn}: input has {x.shape[1]} channels but weight expects "
                         f"{c_per_group * groups} (weight.shape[1]={c_per_group} x "
                         f"groups={groups}); input shape {tuple(input.shape)}, weight shape "
                         f"{tuple(weight.shape)}")
    if bias is not None and tuple(bias.shape) != (c_out,):
        raise ValueError(f"{fn}: bias must have shape (C_out,)=({c_out},), got "
                         f"{tuple(bias.shape)}")
    stride = ntuple(stride, nd, "stride", fn)
    dilation = ntuple(dilation, nd, "dilation", fn)
    check_positive(stride, "stride", fn)
    check_positive(dilation, "dilation", fn)
    kernel = tuple(weight.shape[2:])
    size = tuple(x.shape[2:])
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"{fn}: padding must be an int, a tuple of ints, 'same' or "
                             f"'valid', got {padding!r}")
        if padding == "same" and any(s != 1 for s in stride):
            raise ValueError(f"{fn}: padding='same' is not supported for strided "
                             f"convolutions, got stride={stride}")
        if padding == "valid":
            before = totals = (0,) * nd
        else:
            # NOTE: as torch, an odd total padding puts the extra row/column at the end.
            totals = tuple(d * (k - 1) for d, k in zip(dilation, kernel))
            before = tuple(t // 2 for t in totals)
    else:
        before = ntuple(padding, nd, "padding", fn)
        check_positive(before, "padding", fn, allow_zero=True)
        totals = tuple(2 * p for p in before)
    out = tuple(_out_size(s, k, st, t, d)
                for s, k, st, t, d in zip(size, kernel, stride, totals, dilation))
    if min(out) <= 0:
        eff = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel))
        padded = tuple(s + t for s, t in zip(size, totals))
        raise ValueError(f"{fn}: kernel size after dilation {eff} is larger than the padded "
                         f"input {padded} {spatial}; the output would be empty")
    if any(st > d * (k - 1) + 1 for st, k, d in zip(stride, kernel, dilation)):
        x, size, stride, before = _skip_unread_rows(x, size, out, kernel, stride, before,
                                                    totals, dilation)
    if nd == 1:
        x = unsqueeze(x, 2)
        weight = unsqueeze(weight, 2)
        win = Window.cached((1,) + size, (1,) + out, (1,) + kernel, (1,) + stride,
                            (0,) + before, (1,) + dilation)
    else:
        win = Window.cached(size, out, kernel, stride, before, dilation)
    args = (x, weight) if bias is None else (x, weight, bias)
    y = Conv2d.apply(*args, window=win, groups=groups)
    if nd == 1:
        y = squeeze(y, 2)
    return squeeze(y, 0) if unbatched else y


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) over a batch of images, as im2col + GEMM.

    Parameters
    ----------
    input : Tensor
        Images, float32 or float64.
    weight : Tensor
        Filters of the same dtype as ``input``.
    bias : Tensor, optional
        One value per output channel.
    stride, dilation : int or (int, int)
        Step and spacing of the kernel taps.
    padding : int, (int, int), 'valid' or 'same'
        Implicit zero padding on both sides; 'same' (stride 1 only) pads so the output
        has the input's size, putting an odd extra row/column at the bottom/right.
    groups : int
        Split the channels into ``groups`` independent convolutions
        (``groups == C_in``: depthwise).

    Returns
    -------
    Tensor
        ``out[n, o] = bias[o] + sum_c weight[o, c] star input[n, g(o) * C_in/groups + c]``.

    Shape
    -----
    - input: ``(N, C_in, H, W)`` or ``(C_in, H, W)``
    - weight: ``(C_out, C_in / groups, kH, kW)``; bias: ``(C_out,)``
    - output: ``(N, C_out, H_out, W_out)`` with
      ``H_out = floor((H + 2 * padding[0] - dilation[0] * (kH - 1) - 1) / stride[0] + 1)``

    Examples
    --------
    >>> import glassnet as gn
    >>> from glassnet.nn import functional as F
    >>> F.conv2d(gn.ones(1, 3, 5, 5), gn.ones(2, 3, 3, 3), padding=1).shape
    glassnet.Size([1, 2, 5, 5])
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution (cross-correlation) over a batch of volumes: the im2col + GEMM of
    :func:`conv2d` on a 3-D window.

    Parameters are those of :func:`conv2d` with three spatial dimensions.

    Shape
    -----
    - input: ``(N, C_in, D, H, W)`` or ``(C_in, D, H, W)``
    - weight: ``(C_out, C_in / groups, kD, kH, kW)``; bias: ``(C_out,)``
    - output: ``(N, C_out, D_out, H_out, W_out)`` with
      ``D_out = floor((D + 2 * padding[0] - dilation[0] * (kD - 1) - 1) / stride[0] + 1)``

    Examples
    --------
    >>> import glassnet as gn
    >>> from glassnet.nn import functional as F
    >>> F.conv3d(gn.ones(1, 2, 4, 5, 6), gn.ones(3, 2, 3, 3, 3), padding=1).shape
    glassnet.Size([1, 3, 4, 5, 6])
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over a batch of sequences (runs the 2-D path with height 1).

    Parameters are those of :func:`conv2d` with one spatial dimension.

    Shape
    -----
    - input: ``(N, C_in, L)`` or ``(C_in, L)``
    - weight: ``(C_out, C_in / groups, kW)``; bias: ``(C_out,)``
    - output: ``(N, C_out, L_out)``,
      ``L_out = floor((L + 2 * padding - dilation * (kW - 1) - 1) / stride + 1)``

    Examples
    --------
    >>> import glassnet as gn
    >>> from glassnet.nn import functional as F
    >>> F.conv1d(gn.ones(2, 4, 10), gn.ones(6, 4, 3)).shape
    glassnet.Size([2, 6, 8])
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation,
                    nd, fn):
    check_float(input, "input", fn)
    check_tensor(weight, "weight", fn)
    _same_dtype(input, weight, "weight", fn)
    if bias is not None:
        check_tensor(bias, "bias", fn)
        _same_dtype(input, bias, "bias", fn)
    wdoc = f"(C_in, C_out/groups, {_KERNEL[nd]})"
    xdoc = f"(N, C_in, {_SPATIAL[nd][1:-1]})"
    if weight.ndim != nd + 2:
        raise ValueError(f"{fn}: weight must have shape {wdoc}, got {tuple(weight.shape)}")
    groups = _check_int(groups, "groups", fn)
    x, unbatched = _batched(input, nd, fn, xdoc)
    c_in, c_out_per_group = weight.shape[:2]
    if c_in % groups:
        raise ValueError(f"{fn}: in_channels (weight.shape[0]={c_in}) must be divisible by "
                         f"groups={groups}")
    if x.shape[1] != c_in:
        raise ValueError(f"{fn}: input has {x.shape[1]} channels but weight expects {c_in} "
                         f"(weight.shape[0]); input shape {tuple(input.shape)}, weight shape "
                         f"{tuple(weight.shape)}")
    c_out = c_out_per_group * groups
    if bias is not None and tuple(bias.shape) != (c_out,):
        raise ValueError(f"{fn}: bias must have shape (C_out,)=({c_out},), got "
                         f"{tuple(bias.shape)}")
    stride = ntuple(stride, nd, "stride", fn)
    dilation = ntuple(dilation, nd, "dilation", fn)
    padding = ntuple(padding, nd, "padding", fn)
    output_padding = ntuple(output_padding, nd, "output_padding", fn)
    check_positive(stride, "stride", fn)
    check_positive(dilation, "dilation", fn)
    check_positive(padding, "padding", fn, allow_zero=True)
    check_positive(output_padding, "output_padding", fn, allow_zero=True)
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            raise ValueError(f"{fn}: output_padding must be smaller than either stride or "
                             f"dilation, got output_padding={output_padding}, "
                             f"stride={stride}, dilation={dilation}")
    kernel = tuple(weight.shape[2:])
    size = tuple(x.shape[2:])
    out = tuple((s - 1) * st - 2 * p + d * (k - 1) + op + 1 for s, st, p, d, k, op
                in zip(size, stride, padding, dilation, kernel, output_padding))
    if min(out) <= 0:
        raise ValueError(f"{fn}: output size {out} is not positive for input size {size} "
                         f"(too much padding)")
    if nd == 1:
        x = unsqueeze(x, 2)
        weight = unsqueeze(weight, 2)
        win = Window.cached((1,) + out, (1,) + size, (1,) + kernel, (1,) + stride,
                            (0,) + padding, (1,) + dilation)
    else:
        # The geometry of the forward convolution that maps the output back onto x.
        win = Window.cached(out, size, kernel, stride, padding, dilation)
    args = (x, weight) if bias is None else (x, weight, bias)
    y = ConvTranspose2d.apply(*args, window=win, groups=groups)
    if nd == 1:
        y = squeeze(y, 2)
    return squeeze(y, 0) if unbatched else y


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """2-D transposed convolution ("deconvolution"): the adjoint of :func:`conv2d`.

    Parameters
    ----------
    input, weight, bias : Tensor
        As :func:`conv2d`, but ``weight`` is laid out ``(C_in, C_out / groups, kH, kW)``.
    stride, padding, dilation : int or (int, int)
        Those of the convolution this op is the adjoint of.
    output_padding : int or (int, int)
        Extra rows/columns added at the bottom/right of the output (to pick one of the
        several output sizes a strided convolution maps onto the same input size); must
        be smaller than stride or dilation.
    groups : int
        Number of channel groups.

    Shape
    -----
    - input: ``(N, C_in, H, W)`` or ``(C_in, H, W)``
    - weight: ``(C_in, C_out / groups, kH, kW)``; bias: ``(C_out,)``
    - output: ``(N, C_out, H_out, W_out)`` with ``H_out = (H - 1) * stride[0]
      - 2 * padding[0] + dilation[0] * (kH - 1) + output_padding[0] + 1``

    Examples
    --------
    >>> import glassnet as gn
    >>> from glassnet.nn import functional as F
    >>> F.conv_transpose2d(gn.ones(1, 4, 5, 5), gn.ones(4, 2, 3, 3), stride=2).shape
    glassnet.Size([1, 2, 11, 11])
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 2, "conv_transpose2d")


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """3-D transposed convolution (see :func:`conv_transpose2d`).

    Shape
    -----
    - input: ``(N, C_in, D, H, W)`` or ``(C_in, D, H, W)``
    - weight: ``(C_in, C_out / groups, kD, kH, kW)``; bias: ``(C_out,)``
    - output: ``(N, C_out, D_out, H_out, W_out)`` with ``D_out = (D - 1) * stride[0]
      - 2 * padding[0] + dilation[0] * (kD - 1) + output_padding[0] + 1``
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 3, "conv_transpose3d")


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """1-D transposed convolution (see :func:`conv_transpose2d`).

    Shape
    -----
    - input: ``(N, C_in, L)`` or ``(C_in, L)``; weight: ``(C_in, C_out / groups, kW)``
    - output: ``(N, C_out, L_out)``,
      ``L_out = (L - 1) * stride - 2 * padding + dilation * (kW - 1) + output_padding + 1``
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 1, "conv_transpose1d")


# -----------------------------------------------------------------------------
# unfold / fold
# -----------------------------------------------------------------------------
def _window_args(kernel_size, dilation, padding, stride, fn):
    kernel = pair(kernel_size, "kernel_size", fn)
    dilation = pair(dilation, "dilation", fn)
    padding = pair(padding, "padding", fn)
    stride = pair(stride, "stride", fn)
    check_positive(kernel, "kernel_size", fn)
    check_positive(dilation, "dilation", fn)
    check_positive(padding, "padding", fn, allow_zero=True)
    check_positive(stride, "stride", fn)
    return kernel, dilation, padding, stride


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding local blocks (im2col), as ``torch.nn.functional.unfold``.

    Column ``l`` of the output holds the block at window position ``l`` (row-major over
    ``(H_out, W_out)``), its rows ordered ``(c, i, j)`` (channel, kernel row, kernel col).

    Shape
    -----
    - input: ``(N, C, H, W)`` or ``(C, H, W)``
    - output: ``(N, C * kH * kW, L)`` with ``L = H_out * W_out`` and
      ``H_out = floor((H + 2 * padding[0] - dilation[0] * (kH - 1) - 1) / stride[0] + 1)``

    Examples
    --------
    >>> import glassnet as gn
    >>> from glassnet.nn import functional as F
    >>> F.unfold(gn.ones(2, 3, 5, 5), kernel_size=3).shape
    glassnet.Size([2, 27, 9])
    """
    fn = "unfold"
    check_float(input, "input", fn)
    kernel, dilation, padding, stride = _window_args(kernel_size, dilation, padding, stride,
                                                     fn)
    x, unbatched = _batched(input, 2, fn, "(N, C, H, W)")
    size = tuple(x.shape[2:])
    out = tuple(_out_size(s, k, st, 2 * p, d)
                for s, k, st, p, d in zip(size, kernel, stride, padding, dilation))
    if min(out) <= 0:
        raise ValueError(f"{fn}: kernel_size {kernel} with dilation {dilation} is larger "
                         f"than the padded input {tuple(s + 2 * p for s, p in zip(size, padding))}")
    y = Unfold.apply(x, window=Window.cached(size, out, kernel, stride, padding, dilation))
    return squeeze(y, 0) if unbatched else y


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Combine sliding local blocks into an image, summing overlaps (col2im), as
    ``torch.nn.functional.fold``; the adjoint of :func:`unfold`.

    Shape
    -----
    - input: ``(N, C * kH * kW, L)`` or ``(C * kH * kW, L)`` with ``L`` the number of
      window positions of an ``output_size`` image (see :func:`unfold`)
    - output: ``(N, C, H, W)`` with ``(H, W) = output_size``

    Examples
    --------
    >>> import glassnet as gn
    >>> from glassnet.nn import functional as F
    >>> F.fold(gn.ones(1, 4, 9), output_size=(4, 4), kernel_size=2).shape
    glassnet.Size([1, 1, 4, 4])
    """
    fn = "fold"
    check_float(input, "input", fn)
    size = pair(output_size, "output_size", fn)
    check_positive(size, "output_size", fn)
    kernel, dilation, padding, stride = _window_args(kernel_size, dilation, padding, stride,
                                                     fn)
    if input.ndim == 2:
        x, unbatched = unsqueeze(input, 0), True
    elif input.ndim == 3:
        x, unbatched = input, False
    else:
        raise ValueError(f"{fn}: input must have shape (N, C * kH * kW, L) or "
                         f"(C * kH * kW, L), got {tuple(input.shape)}")
    ntaps = kernel[0] * kernel[1]
    if x.shape[1] % ntaps:
        raise ValueError(f"{fn}: input.shape[-2]={x.shape[1]} must be divisible by "
                         f"kH * kW = {ntaps} (kernel_size={kernel})")
    out = tuple(_out_size(s, k, st, 2 * p, d)
                for s, k, st, p, d in zip(size, kernel, stride, padding, dilation))
    if x.shape[2] != out[0] * out[1] or min(out) <= 0:
        raise ValueError(f"{fn}: input.shape[-1] must be the number of sliding blocks "
                         f"{out[0]} x {out[1]} = {out[0] * out[1]} for output_size {size}, "
                         f"kernel_size {kernel}, dilation {dilation}, padding {padding}, "
                         f"stride {stride}; got {x.shape[2]}")
    y = Fold.apply(x, window=Window.cached(size, out, kernel, stride, padding, dilation))
    return squeeze(y, 0) if unbatched else y
