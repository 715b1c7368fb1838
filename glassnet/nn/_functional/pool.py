"""nn.functional: pooling (max, average, adaptive, Lp) and max unpooling, 1-D to 3-D.

Wrappers validate their arguments with torch's rules and call the Functions in
:mod:`glassnet.ops.pool`. 1-D pools run the 2-D path on a height-1 image; 3-D pools run
the same Functions on a 3-D :class:`~glassnet.ops.window.Window`.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from glassnet._checks import check_float, check_positive, check_tensor, ntuple
from glassnet.nn._functional.conv import _check_int
from glassnet.ops.window import Window
from glassnet.ops.pool import (AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d,
                               MaxUnpool2d)
from glassnet.ops.shape import squeeze, unsqueeze
from glassnet.tensor import Tensor

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d",
           "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
           "max_unpool1d", "max_unpool2d", "max_unpool3d", "lp_pool1d", "lp_pool2d",
           "lp_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
           "max_pool3d_with_indices", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d_with_indices"]


_DOCS = {1: "(N, C, L) or (C, L)", 2: "(N, C, H, W) or (C, H, W)",
         3: "(N, C, D, H, W) or (C, D, H, W)"}


def _pool_input(input, nd, fn):
    """``(input as (N, C, *spatial), number of leading dims added)``; 1-D inputs get a
    height-1 axis (they run the 2-D path); unbatched inputs are accepted."""
    check_float(input, "input", fn)
    doc = _DOCS[nd]
    if input.ndim not in (nd + 1, nd + 2) or 0 in tuple(input.shape[1:]):
        raise ValueError(f"{fn}: input must have shape {doc} with non-empty spatial dims, "
                         f"got {tuple(input.shape)}")
    x, added = input, 0
    if input.ndim == nd + 1:
        x, added = unsqueeze(x, 0), 1
    if nd == 1:
        x = unsqueeze(x, 2)
    return x, added


def _pool_output(y, nd, added):
    if nd == 1:
        y = squeeze(y, 2)
    return squeeze(y, 0) if added else y


def _pool_out_size(size, k, s, p, d, ceil_mode):
    """torch's ``pooling_output_shape``."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    # NOTE: with ceil_mode the last window must start inside the input or the left
    # padding, else it is dropped.
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pool_geometry(x, nd, kernel_size, stride, padding, dilation, ceil_mode, fn, avg):
    kernel = ntuple(kernel_size, nd, "kernel_size", fn)
    stride = kernel if stride is None or stride == () else ntuple(stride, nd, "stride", fn)
    padding = ntuple(padding, nd, "padding", fn)
    dilation = ntuple(dilation, nd, "dilation", fn)
    check_positive(kernel, "kernel_size", fn)
    check_positive(stride, "stride", fn)
    check_positive(dilation, "dilation", fn)
    check_positive(padding, "padding", fn, allow_zero=True)
    for p, k in zip(padding, kernel):
        # NOTE: torch's kernels require pad <= kernel_size / 2 whatever the dilation
        # ("pad should be smaller than or equal to half of kernel size"), although its
        # first check only bounds it by half the dilated (effective) kernel.
        if p > k // 2:
            raise ValueError(f"{fn}: padding should be at most half of the kernel size, got "
                             f"padding={padding} for kernel_size={kernel}"
                             f"{'' if avg else f', dilation={dilation}'}")
    if nd == 1:
        kernel, stride, padding, dilation = ((1,) + kernel, (1,) + stride, (0,) + padding,
                                             (1,) + dilation)
    size = tuple(x.shape[2:])
    out = tuple(_pool_out_size(n, k, s, p, d, ceil_mode)
                for n, k, s, p, d in zip(size, kernel, stride, padding, dilation))
    if min(out) < 1:
        k0 = len(size) - nd  # the added height axis of 1-D pools is not reported
        raise ValueError(f"{fn}: output size {out[k0:]} is too small for input size "
                         f"{size[k0:]} with kernel_size={kernel[k0:]}, "
                         f"padding={padding[k0:]}, dilation={dilation[k0:]}")
    return Window.cached(size, out, kernel, stride, padding, dilation)


def _skip_unread_rows(x, win):
    """As convolutions do (see ``conv._skip_unread_rows``): where the stride exceeds the
    dilated window along an unpadded axis whose windows all lie inside the input, keep
    only the rows the windows read, so that memory and time do not grow with the stride.
    Returns ``(x, window, maps)``: ``maps[i]`` is the original row of each kept row of
    spatial axis ``i`` (None where nothing changed)."""
    maps = [None] * len(win.in_size)
    size, stride = list(win.in_size), list(win.stride)
    for i, (n, o, k, st, p, d) in enumerate(zip(win.in_size, win.out_size, win.kernel,
                                               win.stride, win.pad, win.dilation)):
        eff = d * (k - 1) + 1
        if st <= eff or p or (o - 1) * st + eff > n:
            continue
        rows = (np.arange(o)[:, None] * st + np.arange(eff)).reshape(-1)
        x = x[(slice(None),) * (2 + i) + (slice(0, (o - 1) * st + 1, st) if eff == 1
                                             else rows,)]
        maps[i], size[i], stride[i] = rows, o * eff, eff
    if all(m is None for m in maps):
        return x, win, maps
    return x, Window.cached(tuple(size), win.out_size, win.kernel, tuple(stride), win.pad,
                     win.dilation), maps


def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
              nd, fn):
    x, added = _pool_input(input, nd, fn)
    win = _pool_geometry(x, nd, kernel_size, stride, padding, dilation, ceil_mode, fn, False)
    in_size = win.in_size
    x, win, maps = _skip_unread_rows(x, win)
    side = {} if return_indices else None
    y = _pool_output(MaxPool2d.apply(x, window=win, side=side), nd, added)
    if not return_indices:
        return y
    flat = side["indices"]
    if any(m is not None for m in maps):  # back to flat indices into the input plane
        pos = np.unravel_index(flat, win.in_size)
        pos = [p if m is None else m[p] for p, m in zip(pos, maps)]
        flat = np.ravel_multi_index(pos, in_size)
    idx = Tensor._wrap(flat.reshape(y.shape))
    return y, idx


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling, as ``torch.nn.functional.max_pool2d``.

    Parameters
    ----------
    input : Tensor
        Float images.
    kernel_size, stride, padding, dilation : int or (int, int)
        Window geometry; ``stride`` defaults to ``kernel_size``; the implicit padding is
        ``-inf`` and must be at most half the kernel size (whatever the dilation, as torch).
    ceil_mode : bool
        Round the output size up (the last window must start inside the input or the
        left padding).
    return_indices : bool
        Also return the argmax of each window as a flat index into its ``H * W`` plane
        (ties go to the first maximum in row-major window order; NaN wins).

    Shape
    -----
    - input: ``(N, C, H, W)`` or ``(C, H, W)``
    - output (and indices, int64): ``(N, C, H_out, W_out)``,
      ``H_out = floor_or_ceil((H + 2 * padding[0] - dilation[0] * (kH - 1) - 1) /
      stride[0]) + 1``

    Examples
    --------
    >>> import glassnet as gn
    >>> from glassnet.nn import functional as F
    >>> F.max_pool2d(gn.arange(16.).reshape(1, 1, 4, 4), 2).tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices, 2, "max_pool2d")


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling (see :func:`max_pool2d`); indices point into ``L``.

    Shape
    -----
    - input: ``(N, C, L)`` or ``(C, L)``; output: ``(N, C, L_out)``
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices, 1, "max_pool1d")


def _avg_divisor(win, count_include_pad, divisor_override, fn):
    if divisor_override is not None:
        if isinstance(divisor_override, bool) or not isinstance(divisor_override, int) \
                or divisor_override == 0:
            raise ValueError(f"{fn}: divisor_override must be a non-zero int, got "
                             f"{divisor_override!r}")
        return float(divisor_override)
    return _divisor(win, bool(count_include_pad))


@functools.lru_cache(maxsize=256)
def _divisor(win, count_include_pad):
    """Window sizes of an average pool (read-only: cached per window, which is itself
    cached per geometry by :meth:`Window.cached`)."""
    divisor = np.ones((), dtype=np.float64)
    for size, out, k, s, p in zip(win.in_size, win.out_size, win.kernel, win.stride,
                                  win.pad):
        start = np.arange(out) * s - p
        end = np.minimum(start + k, size + p)
        if count_include_pad:
            count = end - start
        else:
            count = np.minimum(end, size) - np.maximum(start, 0)
        divisor = np.multiply.outer(divisor, count)
    divisor = divisor.astype(np.float64)
    divisor.setflags(write=False)
    return divisor


def _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override, nd, fn):
    x, added = _pool_input(input, nd, fn)
    win = _pool_geometry(x, nd, kernel_size, stride, padding, 1, ceil_mode, fn, True)
    divisor = _avg_divisor(win, count_include_pad, divisor_override, fn)
    x, win, _ = _skip_unread_rows(x, win)
    return _pool_output(AvgPool2d.apply(x, window=win, divisor=divisor), nd, added)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-D average pooling, as ``torch.nn.functional.avg_pool2d``.

    Parameters
    ----------
    input : Tensor
        Float images.
    kernel_size, stride, padding : int or (int, int)
        Window geometry; ``stride`` defaults to ``kernel_size``; zero padding of at most
        half the kernel size.
    ceil_mode : bool
        Round the output size up (see :func:`max_pool2d`).
    count_include_pad : bool
        Count the zero padding in the divisor (a window sticking out past the padding
        through ``ceil_mode`` is clipped to it).
    divisor_override : int, optional
        Divide every window sum by this number instead.

    Shape
    -----
    - input: ``(N, C, H, W)`` or ``(C, H, W)``
    - output: ``(N, C, H_out, W_out)``,
      ``H_out = floor_or_ceil((H + 2 * padding[0] - kH) / stride[0]) + 1``

    Examples
    --------
    >>> import glassnet as gn
    >>> from glassnet.nn import functional as F
    >>> F.avg_pool2d(gn.arange(16.).reshape(1, 1, 4, 4), 2).tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 2, "avg_pool2d")


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """1-D average pooling (see :func:`avg_pool2d`).

    Shape
    -----
    - input: ``(N, C, L)`` or ``(C, L)``; output: ``(N, C, L_out)``
    """
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     None, 1, "avg_pool1d")


# -----------------------------------------------------------------------------
# Adaptive pools
# -----------------------------------------------------------------------------
def _adaptive_size(output_size, size, nd, fn):
    if output_size is None or isinstance(output_size, (int, np.integer)):
        sizes = (output_size,) * nd
    else:
        sizes = tuple(output_size)
        if len(sizes) != nd:
            raise ValueError(f"{fn}: output_size must be an int or a tuple of {nd} ints "
                             f"(None keeps the input size), got {output_size!r}")
    out = []
    for s, n in zip(sizes, size):
        if s is None:
            out.append(n)
            continue
        _check_int(int(s) if isinstance(s, np.integer) else s, "output_size", fn, minimum=1)
        out.append(int(s))
    return tuple(out)


def adaptive_avg_pool2d(input, output_size):
    """2-D adaptive average pooling, as ``torch.nn.functional.adaptive_avg_pool2d``.

    Output bin ``i`` averages input rows ``floor(i * H / H_out)`` to
    ``ceil((i + 1) * H / H_out) - 1`` (same for columns).

    Parameters
    ----------
    input : Tensor
        Float images.
    output_size : int, (int or None, int or None)
        Target size; None keeps that input dimension.

    Shape
    -----
    - input: ``(N, C, H, W)`` or ``(C, H, W)``; output: ``(N, C, H_out, W_out)``

    Examples
    --------
    >>> import glassnet as gn
    >>> from glassnet.nn import functional as F
    >>> F.adaptive_avg_pool2d(gn.ones(2, 3, 7, 5), (2, None)).shape
    glassnet.Size([2, 3, 2, 5])
    """
    fn = "adaptive_avg_pool2d"
    x, added = _pool_input(input, 2, fn)
    out = _adaptive_size(output_size, tuple(x.shape[2:]), 2, fn)
    return _pool_output(AdaptiveAvgPool2d.apply(x, output_size=out), 2, added)


def adaptive_avg_pool1d(input, output_size):
    """1-D adaptive average pooling (see :func:`adaptive_avg_pool2d`).

    Shape
    -----
    - input: ``(N, C, L)`` or ``(C, L)``; output: ``(N, C, L_out)``
    """
    fn = "adaptive_avg_pool1d"
    x, added = _pool_input(input, 1, fn)
    out = _adaptive_size(output_size, tuple(x.shape[3:]), 1, fn)
    return _pool_output(AdaptiveAvgPool2d.apply(x, output_size=(1,) + out), 1, added)


def _adaptive_max(input, output_size, return_indices, nd, fn):
    x, added = _pool_input(input, nd, fn)
    out = _adaptive_size(output_size, tuple(x.shape[-nd:]), nd, fn)
    if nd == 1:
        out = (1,) + out
    side = {} if return_indices else None
    y = _pool_output(AdaptiveMaxPool2d.apply(x, output_size=out, side=side), nd, added)
    if not return_indices:
        return y
    return y, Tensor._wrap(side["indices"].reshape(y.shape))


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """2-D adaptive max pooling over the bins of :func:`adaptive_avg_pool2d`.

    Indices (``return_indices=True``) are flat into each ``H * W`` plane; ties go to
    the first maximum in row-major order.

    Shape
    -----
    - input: ``(N, C, H, W)`` or ``(C, H, W)``; output: ``(N, C, H_out, W_out)``
    """
    return _adaptive_max(input, output_size, return_indices, 2, "adaptive_max_pool2d")


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """1-D adaptive max pooling (see :func:`adaptive_max_pool2d`).

    Shape
    -----
    - input: ``(N, C, L)`` or ``(C, L)``; output: ``(N, C, L_out)``
    """
    return _adaptive_max(input, output_size, return_indices, 1, "adaptive_max_pool1d")


# -----------------------------------------------------------------------------
# Unpooling and Lp pooling
# -----------------------------------------------------------------------------
def _max_unpool(input, indices, kernel_size, stride, padding, output_size, nd, fn):
    check_float(input, "input", fn)
    check_tensor(indices, "indices", fn)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{fn}: indices dtype must be an integer type, got {indices.dtype}")
    if tuple(indices.shape) != tuple(input.shape):
        raise ValueError(f"{fn}: indices must have the shape of input "
                         f"{tuple(input.shape)}, got {tuple(indices.shape)}")
    kernel = ntuple(kernel_size, nd, "kernel_size", fn)
    stride = kernel if stride is None else ntuple(stride, nd, "stride", fn)
    padding = ntuple(padding, nd, "padding", fn)
    x, added = _pool_input(input, nd, fn)
    idx = indices if not added else unsqueeze(indices, 0)
    if nd == 1:
        idx = unsqueeze(idx, 2)
    size = tuple(input.shape[-nd:])
    default = tuple((s - 1) * st - 2 * p + k for s, st, p, k in zip(size, stride, padding,
                                                                   kernel))
    if output_size is None:
        out = default
    else:
        out = tuple(int(s) for s in output_size)[-nd:]
        if len(out) != nd:
            raise ValueError(f"{fn}: output_size must have {nd} spatial sizes, got "
                             f"{output_size!r}")
        for o, d, st in zip(out, default, stride):
            if not d - st < o < d + st:
                raise ValueError(f"{fn}: output_size {out} must lie strictly between "
                                 f"{tuple(a - s for a, s in zip(default, stride))} and "
                                 f"{tuple(a + s for a, s in zip(default, stride))}")
    if nd == 1:
        out = (1,) + out
    plane = int(math.prod(out))
    if idx._data.size and (idx._data.min() < 0 or idx._data.max() >= plane):
        raise ValueError(f"{fn}: indices must lie in [0, {plane}) for output size "
                         f"{out[len(out) - nd:]}, got values in [{idx._data.min()}, "
                         f"{idx._data.max()}]")
    y = MaxUnpool2d.apply(x, idx.detach(), output_size=out)
    return _pool_output(y, nd, added)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of :func:`max_pool2d`: put each value at its index, zeros elsewhere.

    Shape
    -----
    - input, indices: ``(N, C, H, W)`` or ``(C, H, W)``
    - output: ``(N, C, H_out, W_out)``, by default
      ``H_out = (H - 1) * stride[0] - 2 * padding[0] + kH``
    """
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2,
                       "max_unpool2d")


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of :func:`max_pool1d` (see :func:`max_unpool2d`).

    Shape
    -----
    - input, indices: ``(N, C, L)`` or ``(C, L)``; output: ``(N, C, L_out)``
    """
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1,
                       "max_unpool1d")


def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, nd, fn):
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float)) \
            or norm_type <= 0:
        raise ValueError(f"{fn}: norm_type must be a positive number, got {norm_type!r}")
    kernel = ntuple(kernel_size, nd, "kernel_size", fn)
    pool = {1: avg_pool1d, 2: avg_pool2d, 3: avg_pool3d}[nd]
    out = pool(input ** norm_type, kernel, stride, 0, ceil_mode)
    # torch: (sign(out) * relu(|out|)) * (kH * kW), then the 1/p-th power.
    return (out * float(math.prod(kernel))) ** (1.0 / norm_type)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """2-D power-average pooling ``(sum over window of x^p)^(1/p)``, as torch.

    Shape
    -----
    - input: ``(N, C, H, W)`` or ``(C, H, W)``; output: ``(N, C, H_out, W_out)``
    """
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2, "lp_pool2d")


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """1-D power-average pooling (see :func:`lp_pool2d`).

    Shape
    -----
    - input: ``(N, C, L)`` or ``(C, L)``; output: ``(N, C, L_out)``
    """
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1, "lp_pool1d")


# -----------------------------------------------------------------------------
# 3-D pools (the same Functions on a 3-D window)
# -----------------------------------------------------------------------------
def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """3-D max pooling (see :func:`max_pool2d`); indices are flat into ``D * H * W``.

    Shape
    -----
    - input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``
    - output: ``(N, C, D_out, H_out, W_out)``, each size as in :func:`max_pool2d`

    Examples
    --------
    >>> import glassnet as gn
    >>> from glassnet.nn import functional as F
    >>> F.max_pool3d(gn.arange(8.).reshape(1, 1, 2, 2, 2), 2).flatten().tolist()
    [7.0]
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices, 3, "max_pool3d")


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """3-D average pooling (see :func:`avg_pool2d`).

    Shape
    -----
    - input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``
    - output: ``(N, C, D_out, H_out, W_out)``
    """
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 3, "avg_pool3d")


def adaptive_avg_pool3d(input, output_size):
    """3-D adaptive average pooling over the bins of :func:`adaptive_avg_pool2d`.

    Shape
    -----
    - input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``; output: ``(N, C, *output_size)``
    """
    fn = "adaptive_avg_pool3d"
    x, added = _pool_input(input, 3, fn)
    out = _adaptive_size(output_size, tuple(x.shape[2:]), 3, fn)
    return _pool_output(AdaptiveAvgPool2d.apply(x, output_size=out), 3, added)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """3-D adaptive max pooling; indices are flat into ``D * H * W`` (first maximum in
    row-major order).

    Shape
    -----
    - input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``; output: ``(N, C, *output_size)``
    """
    return _adaptive_max(input, output_size, return_indices, 3, "adaptive_max_pool3d")


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of :func:`max_pool3d` (see :func:`max_unpool2d`).

    Shape
    -----
    - input, indices: ``(N, C, D, H, W)`` or ``(C, D, H, W)``
    - output: ``(N, C, D_out, H_out, W_out)``, ``D_out = (D - 1) * stride[0]
      - 2 * padding[0] + kD`` by default
    """
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3,
                       "max_unpool3d")


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """3-D power-average pooling (see :func:`lp_pool2d`).

    Shape
    -----
    - input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``; output: ``(N, C, D_out, H_out, W_out)``
    """
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3, "lp_pool3d")


def _with_indices(fn):
    def with_indices(input, *args, **kwargs):
        kwargs["return_indices"] = True
        return fn(input, *args, **kwargs)

    with_indices.__name__ = f"{fn.__name__}_with_indices"
    with_indices.__doc__ = f"``{fn.__name__}(..., return_indices=True)``: ``(values, indices)``."
    return with_indices


max_pool1d_with_indices = _with_indices(max_pool1d)
max_pool2d_with_indices = _with_indices(max_pool2d)
max_pool3d_with_indices = _with_indices(max_pool3d)
adaptive_max_pool1d_with_indices = _with_indices(adaptive_max_pool1d)
adaptive_max_pool2d_with_indices = _with_indices(adaptive_max_pool2d)
adaptive_max_pool3d_with_indices = _with_indices(adaptive_max_pool3d)
