"""Vectorised numpy kernels on ``(..., C, H, W)`` / ``(..., H, W)`` arrays.

These are the tensor paths of the transforms; they reproduce torchvision's tensor
semantics (``torch.nn.functional.interpolate`` with ``antialias=True``,
``grid_sample`` with ``align_corners=False``, the TF-style HSV conversion).  Every
kernel works on whole arrays; loops run only over filter taps, never over pixels.
"""
from __future__ import annotations

import functools
import math

import numpy as np

__all__ = ["resize", "pad", "affine_warp", "blend", "rgb_to_grayscale", "rgb_to_hsv",
           "hsv_to_rgb", "gaussian_blur", "inverse_affine_matrix", "affine_output_size",
           "max_value", "to_work", "from_work"]


def max_value(dtype: np.dtype) -> float:
    """Largest pixel value of ``dtype`` images: 1.0 for floats, dtype max for ints."""
    if dtype.kind == "f":
        return 1.0
    if dtype.kind == "b":
        return 1.0
    return float(np.iinfo(dtype).max)


def to_work(x: np.ndarray) -> np.ndarray:
    """Float working copy: float arrays keep their dtype, integer arrays become float32."""
    return x if x.dtype.kind == "f" else x.astype(np.float32)


def from_work(y: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Back to ``dtype``; integers are rounded and clipped to their range (as torchvision)."""
    if dtype.kind == "f":
        return y.astype(dtype, copy=False)
    info = np.iinfo(dtype)
    return np.clip(np.round(y), info.min, info.max).astype(dtype)


# ---------------------------------------------------------------------------
# Resize: separable resampling matrices
# ---------------------------------------------------------------------------
def _triangle(x):
    return np.maximum(0.0, 1.0 - np.abs(x))


def _cubic(x, a):
    # Keys' cubic convolution kernel (IEEE TASSP 1981, doi:10.1109/TASSP.1981.1163711).
    x = np.abs(x)
    near = ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    far = ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a
    return np.where(x < 1.0, near, np.where(x < 2.0, far, 0.0))


def _resample_matrix(in_size: int, out_size: int, mode: str, antialias: bool) -> np.ndarray:
    """The ``(out_size, in_size)`` matrix that resamples one axis ('bilinear'/'bicubic')."""
    scale = in_size / out_size
    if antialias:
        # PIL's resampling, which torch's antialias=True kernels port: the filter is
        # stretched by the scale when downsampling, taps outside the image are dropped
        # and the weights renormalised (Keys' cubic with a=-0.5 for bicubic).
        filter_scale = max(scale, 1.0)
        support = (1.0 if mode == "bilinear" else 2.0) * filter_scale
        centers = (np.arange(out_size) + 0.5) * scale
        lo = np.maximum(np.trunc(centers - support + 0.5), 0)
        hi = np.minimum(np.trunc(centers + support + 0.5), in_size)
        j = np.arange(in_size)[None, :]
        x = (j - centers[:, None] + 0.5) / filter_scale
        w = _triangle(x) if mode == "bilinear" else _cubic(x, -0.5)
        w = np.where((j >= lo[:, None]) & (j < hi[:, None]), w, 0.0)
        total = w.sum(axis=1, keepdims=True)
        return w / np.where(total == 0, 1.0, total)
    # Plain interpolation, align_corners=False, border taps clamped (replicated), as
    # torch's upsample_bilinear2d / upsample_bicubic2d (Keys' cubic with a=-0.75).
    src = (np.arange(out_size) + 0.5) * scale - 0.5
    if mode == "bilinear":
        src = np.maximum(src, 0.0)  # NOTE: torch clamps the bilinear (not bicubic) source
        taps = np.floor(src)[:, None] + np.arange(2)[None, :]
        weights = _triangle(taps - src[:, None])
    else:
        taps = np.floor(src)[:, None] + np.arange(-1, 3)[None, :]
        weights = _cubic(taps - src[:, None], -0.75)
    cols = np.clip(taps, 0, in_size - 1).astype(np.int64)
    rows = np.broadcast_to(np.arange(out_size)[:, None], taps.shape)
    # NOTE: clamped border taps repeat a column; bincount adds them (no np.add.at).
    flat = (rows * in_size + cols).ravel()
    mat = np.bincount(flat, weights=weights.ravel(), minlength=out_size * in_size)
    return mat.reshape(out_size, in_size)


@functools.lru_cache(maxsize=512)
def _band(in_size: int, out_size: int, mode: str, antialias: bool, dtype: str) -> tuple:
    """The non-zero band of a resampling matrix: ``(indices, weights)``, each (out, taps).

    Summing ``taps`` gathered columns costs O(out * taps) instead of the dense
    product's O(out * in).  Cached: random crops revisit the same few sizes.
    """
    mat = _resample_matrix(in_size, out_size, mode, antialias)
    nonzero = mat != 0
    lo = np.argmax(nonzero, axis=1)
    hi = mat.shape[1] - np.argmax(nonzero[:, ::-1], axis=1)
    taps = max(int((hi - lo).max()), 1)
    idx = np.minimum(lo[:, None] + np.arange(taps)[None, :], mat.shape[1] - 1)
    wgt = np.take_along_axis(mat, idx, axis=1)
    wgt = np.where(lo[:, None] + np.arange(taps)[None, :] < hi[:, None], wgt, 0.0)
    wgt = wgt.astype(dtype)
    idx.setflags(write=False)
    wgt.setflags(write=False)
    return idx, wgt


def _nearest_index(in_size: int, out_size: int, exact: bool) -> np.ndarray:
    scale = np.float32(in_size / out_size)
    dst = np.arange(out_size, dtype=np.float32)
    if exact:  # torch 'nearest-exact' (and PIL NEAREST): sample at pixel centres
        src = np.floor((dst + np.float32(0.5)) * scale)
    else:      # torch 'nearest': floor(dst * scale), in float32 as torch computes it
        src = np.floor(dst * scale)
    return np.minimum(src.astype(np.int64), in_size - 1)


def resize(x: np.ndarray, size: tuple, mode: str = "bilinear",
           antialias: bool = True) -> np.ndarray:
    """Resize the last two axes of ``x`` to ``size = (h, w)``.

    ``mode`` is 'nearest', 'nearest-exact', 'bilinear' or 'bicubic'.  Integer inputs
    are computed in float32 and rounded back.
    """
    h, w = x.shape[-2:]
    oh, ow = size
    if mode in ("nearest", "nearest-exact"):
        exact = mode == "nearest-exact"
        rows = _nearest_index(h, oh, exact)
        cols = _nearest_index(w, ow, exact)
        return x[..., rows[:, None], cols[None, :]]
    y = to_work(x)
    # Width pass, then height pass; each sums a few taps (the band of the matrix).
    idx, wgt = _band(w, ow, mode, bool(antialias), y.dtype.str)
    tmp = y[..., idx[:, 0]] * wgt[:, 0]
    for k in range(1, idx.shape[1]):  # loop over filter taps only
        tmp += y[..., idx[:, k]] * wgt[:, k]
    idx, wgt = _band(h, oh, mode, bool(antialias), y.dtype.str)
    out = tmp[..., idx[:, 0], :] * wgt[:, 0, None]
    for k in range(1, idx.shape[1]):
        out += tmp[..., idx[:, k], :] * wgt[:, k, None]
    if x.dtype.kind != "f":
        out = from_work(out, x.dtype)
    return out


# ---------------------------------------------------------------------------
# Padding
# ---------------------------------------------------------------------------
def pad(x: np.ndarray, left: int, top: int, right: int, bottom: int, fill=0,
        mode: str = "constant") -> np.ndarray:
    """Pad (or, for negative amounts, crop) the last two axes of ``x``."""
    h, w = x.shape[-2:]
    # Negative padding crops, as in torchvision.
    x = x[..., max(-top, 0):h - max(-bottom, 0), max(-left, 0):w - max(-right, 0)]
    left, top, right, bottom = (max(p, 0) for p in (left, top, right, bottom))
    if mode == "constant":
        # Filling a new array is several times faster than np.pad on small images.
        h, w = x.shape[-2:]
        out = np.full(x.shape[:-2] + (h + top + bottom, w + left + right), fill, x.dtype)
        out[..., top:top + h, left:left + w] = x
        return out
    widths = [(0, 0)] * (x.ndim - 2) + [(top, bottom), (left, right)]
    return np.pad(x, widths, mode=mode)


# ---------------------------------------------------------------------------
# Affine warps (rotate, affine)
# ---------------------------------------------------------------------------
def inverse_affine_matrix(center, angle, translate, scale, shear) -> list:
    """The 2x3 output->input matrix ``C * RSS^-1 * C^-1 * T^-1`` (torchvision's)."""
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    # Rotation-scale-shear matrix without the scale:
    # RSS = R(a) * SHy(sy) * SHx(sx), see torchvision.transforms.functional.
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    # det(RSS) == 1, so its inverse is the adjugate.
    m = [d / scale, -b / scale, 0.0, -c / scale, a / scale, 0.0]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty)
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty)
    m[2] += cx
    m[5] += cy
    return m


def affine_output_size(matrix, w: int, h: int) -> tuple:
    """``(ow, oh)`` that holds the whole warped image (``expand=True``), as PIL."""
    pts = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0],
                    [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]], np.float32)
    theta = np.asarray(matrix, np.float32).reshape(2, 3)
    new = pts @ theta.T
    lo = new.min(axis=0) + np.array([w * 0.5, h * 0.5], np.float32)
    hi = new.max(axis=0) + np.array([w * 0.5, h * 0.5], np.float32)
    # NOTE: truncate to 1e-4 so that 1e-15 round-off does not ceil to a whole pixel.
    tol = 1e-4
    size = np.ceil(np.trunc(hi / tol) * tol) - np.floor(np.trunc(lo / tol) * tol)
    return int(size[0]), int(size[1])


def affine_warp(x: np.ndarray, matrix, out_size=None, mode: str = "nearest",
                fill=0.0) -> np.ndarray:
    """Warp the last two axes of ``x`` (``(..., C, H, W)``) by an output->input matrix.

    ``matrix`` maps output pixel coordinates, measured from the output centre, to input
    coordinates measured from the input centre.  Sampling is ``grid_sample`` with
    ``align_corners=False`` and zero padding; pixels that fall outside are then blended
    with ``fill`` through a sampled validity mask, exactly as torchvision does.
    """
    h, w = x.shape[-2:]
    ow, oh = out_size if out_size is not None else (w, h)
    y = to_work(x)
    dt = y.dtype
    # Output pixel coordinates relative to the output centre (torchvision's base grid),
    # mapped by theta and unnormalised as grid_sample does, in the image's precision.
    xs = (np.arange(ow, dtype=dt) - dt.type((ow - 1) * 0.5))[None, :]
    ys = (np.arange(oh, dtype=dt) - dt.type((oh - 1) * 0.5))[:, None]
    # NOTE: theta is divided by the half-size before the product, in the order torch
    # computes it, so that rounding ties in 'nearest' fall the same way.
    m = np.asarray(matrix, dt).reshape(2, 3)
    m = m / np.array([[0.5 * w], [0.5 * h]], dt)
    gx = xs * m[0, 0] + ys * m[0, 1] + m[0, 2]
    gy = xs * m[1, 0] + ys * m[1, 1] + m[1, 2]
    px = ((gx + 1) * w - 1) / 2
    py = ((gy + 1) * h - 1) / 2
    flat = y.reshape(y.shape[:-2] + (h * w,))
    if mode == "nearest":
        ix = np.rint(px).astype(np.int64)  # grid_sample rounds half to even
        iy = np.rint(py).astype(np.int64)
        valid = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
        idx = np.where(valid, iy * w + ix, 0)
        out = np.where(valid, flat[..., idx], 0).astype(dt)
        mask = valid.astype(dt)
    elif mode == "bilinear":
        x0 = np.floor(px)
        y0 = np.floor(py)
        out = np.zeros(y.shape[:-2] + (oh, ow), dt)
        mask = np.zeros((oh, ow), dt)
        for dy in (0, 1):
            for dx in (0, 1):
                cx = x0 + dx
                cy = y0 + dy
                wgt = (1 - np.abs(px - cx)) * (1 - np.abs(py - cy))
                valid = (cx >= 0) & (cx < w) & (cy >= 0) & (cy < h)
                wgt = np.where(valid, wgt, 0).astype(dt)
                idx = np.where(valid, cy * w + cx, 0).astype(np.int64)
                out += flat[..., idx] * wgt
                mask += wgt
    else:
        raise ValueError(f"affine_warp: mode must be 'nearest' or 'bilinear', got {mode!r}")
    if fill is not None:
        fill_arr = np.asarray(fill, dt).reshape(-1, 1, 1)
        if mode == "nearest":
            out = np.where(mask < 0.5, fill_arr, out)
        else:
            out = out * mask + (1 - mask) * fill_arr
    return from_work(out, x.dtype) if x.dtype.kind != "f" else out.astype(x.dtype, copy=False)


# ---------------------------------------------------------------------------
# Colour
# ---------------------------------------------------------------------------
def blend(img1: np.ndarray, img2, ratio: float, dtype: np.dtype) -> np.ndarray:
    """``clip(ratio * img1 + (1 - ratio) * img2, 0, max)`` in ``dtype`` (torchvision)."""
    out = ratio * to_work(img1) + (1.0 - ratio) * img2
    out = np.clip(out, 0, max_value(dtype))
    if dtype.kind == "f":
        return out.astype(dtype, copy=False)
    # NOTE: torchvision truncates (``.to(uint8)``) rather than rounds after a blend.
    return out.astype(dtype)


def rgb_to_grayscale(x: np.ndarray, num_output_channels: int = 1) -> np.ndarray:
    """ITU-R 601-2 luma ``0.2989 R + 0.587 G + 0.114 B`` of ``(..., 3, H, W)`` images."""
    if x.shape[-3] == 3:
        y = to_work(x)
        gray = 0.2989 * y[..., 0, :, :] + 0.587 * y[..., 1, :, :] + 0.114 * y[..., 2, :, :]
        # NOTE: torchvision casts with ``.to(dtype)``, which truncates for integers.
        gray = gray.astype(x.dtype)[..., None, :, :]
    else:
        gray = x.copy()
    if num_output_channels == 3:
        return np.broadcast_to(gray, gray.shape[:-3] + (3,) + gray.shape[-2:]).copy()
    return gray


def rgb_to_hsv(x: np.ndarray) -> np.ndarray:
    """HSV in [0, 1] of ``(..., 3, H, W)`` float RGB in [0, 1] (Pillow's formulas)."""
    r, g, b = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
    maxc = x.max(axis=-3)
    minc = x.min(axis=-3)
    eqc = maxc == minc
    cr = maxc - minc
    # NOTE: where maxc == minc, S and H are 0; replacing the zero denominators by 1
    # avoids NaN without changing those pixels' results.
    s = cr / np.where(eqc, 1.0, maxc)
    cr_div = np.where(eqc, 1.0, cr)
    rc = (maxc - r) / cr_div
    gc = (maxc - g) / cr_div
    bc = (maxc - b) / cr_div
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = np.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return np.stack((h, s, maxc), axis=-3).astype(x.dtype, copy=False)


# For each of the six hue sectors, which of (v, q, p, t) is R, G and B.
_SECTOR_PICK = np.array([[0, 3, 2], [1, 0, 2], [2, 0, 3], [2, 1, 0], [3, 2, 0], [0, 2, 1]])


def hsv_to_rgb(x: np.ndarray) -> np.ndarray:
    """Inverse of :func:`rgb_to_hsv` (the six-sector formula, as torchvision)."""
    h, s, v = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    sector = i.astype(np.int64) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    candidates = np.stack((v, q, p, t), axis=-3)             # (..., 4, H, W)
    pick = np.moveaxis(_SECTOR_PICK[sector], -1, -3)          # (..., 3, H, W)
    rgb = np.take_along_axis(candidates, pick, axis=-3)
    return rgb.astype(x.dtype, copy=False)


# ---------------------------------------------------------------------------
# Gaussian blur
# ---------------------------------------------------------------------------
def _gaussian_kernel1d(size: int, sigma: float, dtype) -> np.ndarray:
    half = (size - 1) * 0.5
    t = np.linspace(-half, half, size).astype(dtype)
    pdf = np.exp(-0.5 * (t / dtype.type(sigma)) ** 2)
    return pdf / pdf.sum()


def gaussian_blur(x: np.ndarray, kernel_size: tuple, sigma: tuple) -> np.ndarray:
    """Blur the last two axes with a separable Gaussian and reflect padding.

    ``kernel_size = (kx, ky)`` and ``sigma = (sx, sy)``, x (width) first, as torchvision.
    """
    y = to_work(x)
    kx, ky = kernel_size
    wx = _gaussian_kernel1d(kx, sigma[0], y.dtype)
    wy = _gaussian_kernel1d(ky, sigma[1], y.dtype)
    h, w = y.shape[-2:]
    yp = pad(y, kx // 2, ky // 2, kx // 2, ky // 2, mode="reflect")
    rows = np.zeros(yp.shape[:-1] + (w,), y.dtype)
    for k in range(kx):  # loop over filter taps only
        rows += wx[k] * yp[..., :, k:k + w]
    out = np.zeros(y.shape, y.dtype)
    for k in range(ky):
        out += wy[k] * rows[..., k:k + h, :]
    return from_work(out, x.dtype) if x.dtype.kind != "f" else out
