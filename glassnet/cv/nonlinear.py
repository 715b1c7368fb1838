"""Non-linear smoothing filters with OpenCV's semantics: ``median_blur`` (exact) and
``bilateral_filter`` (OpenCV's float32 weight tables), as ``cv2.medianBlur`` and
``cv2.bilateralFilter``; see :mod:`glassnet.cv.filters` for the conventions and the
accuracy notes."""

from __future__ import annotations

import math

import numpy as np

from ._border import (
    BORDER_DEFAULT,
    BORDER_REPLICATE,
    BorderType,
    check_image,
    normalize_border,
    pad_image,
    saturate_cast,
)

__all__ = ["median_blur", "bilateral_filter"]

_IMAGE_DTYPES = (np.uint8, np.uint16, np.int16, np.float32, np.float64)


# --------------------------------------------------------------------------------------
# Median
# --------------------------------------------------------------------------------------

def median_blur(image: np.ndarray, ksize: int) -> np.ndarray:
    """Median of each ``ksize x ksize`` window, like ``cv2.medianBlur``.

    Parameters
    ----------
    image : ndarray
        uint8 image (any odd ``ksize``), or uint16 / float32 image (``ksize`` 3 or 5,
        as cv2), with 1, 3 or 4 channels; channels are filtered independently.
    ksize : int
        Odd window size ``> 1``.

    Returns
    -------
    ndarray
        Filtered image, same dtype and shape.

    Shape
    -----
    - image: ``(H, W)`` or ``(H, W, C)``; output: same.

    Notes
    -----
    cv2 always extends the image with ``BORDER_REPLICATE`` for the median. The
    windows are gathered as ``ksize**2`` shifted views and reduced with
    ``np.partition``, processed in row blocks to bound memory.

    Examples
    --------
    >>> img = np.zeros((5, 5), np.uint8); img[2, 2] = 255
    >>> int(median_blur(img, 3).max())
    0
    """
    func = "median_blur"
    image = check_image(image, func, (np.uint8, np.uint16, np.float32), channels=(1, 3, 4))
    if isinstance(ksize, bool) or not isinstance(ksize, (int, np.integer)):
        raise TypeError(f"{func}: ksize must be an int, got {type(ksize).__name__}")
    ksize = int(ksize)
    if ksize % 2 != 1 or ksize <= 1:
        raise ValueError(f"{func}: ksize must be odd and > 1, got {ksize}")
    if image.dtype != np.uint8 and ksize > 5:
        raise ValueError(
            f"{func}: ksize must be 3 or 5 for {image.dtype} images (as cv2), got {ksize}"
        )
    r = ksize // 2
    h, w = image.shape[:2]
    padded = pad_image(image, r, r, r, r, BORDER_REPLICATE)
    out = np.empty_like(image)
    n_taps = ksize * ksize
    mid = n_taps // 2
    # Keep the stacked windows under ~32M elements per block.
    per_row = n_taps * w * (1 if image.ndim == 2 else image.shape[2])
    block = max(1, min(h, (1 << 25) // per_row))
    for y0 in range(0, h, block):
        y1 = min(h, y0 + block)
        stack = np.stack(
            [padded[y0 + i : y1 + i, j : j + w] for i in range(ksize) for j in range(ksize)],
            axis=-1,
        )
        out[y0:y1] = np.partition(stack, mid, axis=-1)[..., mid]
    return out


# --------------------------------------------------------------------------------------
# Bilateral
# --------------------------------------------------------------------------------------

def _space_taps(radius: int, sigma_space: float):
    """Offsets inside the disc of ``radius`` and their float32 spatial weights (cv2)."""
    coeff = -0.5 / (sigma_space * sigma_space)
    taps = []
    for i in range(-radius, radius + 1):
        for j in range(-radius, radius + 1):
            r = math.sqrt(float(i * i) + float(j * j))
            if r > radius:
                continue
            taps.append((i, j, np.float32(math.exp(r * r * coeff))))
    return taps


def bilateral_filter(
    image: np.ndarray,
    d: int,
    sigma_color: float,
    sigma_space: float,
    border_type: BorderType = BORDER_DEFAULT,
) -> np.ndarray:
    """Edge-preserving smoothing, like ``cv2.bilateralFilter``.

    Each output pixel is ``sum w_k * I(p + o_k) / sum w_k`` over the offsets ``o_k``
    of a disc, with ``w_k = exp(-|o_k|^2 / (2 sigma_space^2)) *
    exp(-c_k^2 / (2 sigma_color^2))``, where ``c_k`` is the intensity difference
    (grey) or the sum of absolute channel differences (colour, L1 as in cv2).
    Tomasi & Manduchi, "Bilateral filtering for gray and color images", ICCV 1998,
    doi:10.1109/ICCV.1998.710815.

    Parameters
    ----------
    image : ndarray
        uint8 or float32 image, 1 or 3 channels.
    d : int
        Diameter of the neighbourhood; ``<= 0`` derives it from ``sigma_space``
        (radius ``round(1.5 * sigma_space)``). The radius is at least 1.
    sigma_color : float
        Range sigma; ``<= 0`` is replaced by 1 (cv2).
    sigma_space : float
        Spatial sigma; ``<= 0`` is replaced by 1 (cv2).
    border_type : int or str, optional
        Border mode, default reflect-101.

    Returns
    -------
    ndarray
        Filtered image, same dtype and shape.

    Shape
    -----
    - image: ``(H, W)``, ``(H, W, 1)`` or ``(H, W, 3)``; output: same.

    Notes
    -----
    Tolerance against cv2: uint8 results follow OpenCV's own algorithm and differ
    by at most one grey level on about 1e-5 of the pixels (cv2 sums the taps in
    another order with fused multiply-adds); float32 results agree to about 1e-6,
    using cv2's 4096-bins-per-channel interpolated exp table. OpenCV builds with
    Intel IPP (the pip wheels) send grey uint8 images with radius <= 2 (``d`` 3 or
    5) to IPP, which truncates instead of rounding: those cv2 results are one grey
    level lower on about half of the pixels (``cv2.ipp.setUseIPP(False)`` restores
    agreement).

    Examples
    --------
    >>> flat = np.full((4, 4), 9, np.uint8)
    >>> bool((bilateral_filter(flat, 5, 10, 10) == 9).all())
    True
    """
    func = "bilateral_filter"
    image = check_image(image, func, (np.uint8, np.float32), channels=(1, 3))
    code = normalize_border(border_type, func)
    sigma_color = float(sigma_color) if sigma_color > 0 else 1.0
    sigma_space = float(sigma_space) if sigma_space > 0 else 1.0
    radius = int(round(sigma_space * 1.5)) if d <= 0 else int(d) // 2
    radius = max(radius, 1)
    squeeze = image.ndim == 3 and image.shape[2] == 1
    src = image[..., 0] if squeeze else image
    cn = 1 if src.ndim == 2 else 3
    h, w = src.shape[:2]
    taps = _space_taps(radius, sigma_space)
    color_coeff = -0.5 / (sigma_color * sigma_color)

    if src.dtype == np.uint8:
        # cv2 float32 table of exp(-i^2 / (2 sigma_color^2)) for every possible difference.
        idx = np.arange(256 * cn, dtype=np.float64)
        lut = np.exp(idx * idx * color_coeff).astype(np.float32)
        center = src.astype(np.int16)
        padded = pad_image(src, radius, radius, radius, radius, code).astype(np.int16)

        def weight(diff):
            return lut[diff]
    else:
        lo = float(src.min())
        hi = float(src.max())
        if abs(lo - hi) < np.finfo(np.float32).eps:
            return image.copy()
        # cv2's interpolated exp table: 4096 bins per channel over the data range.
        bins = (1 << 12) * cn
        scale_index = np.float32(bins) / np.float32(np.float32(hi - lo) * cn)
        vals = np.arange(bins + 2, dtype=np.float32) / scale_index
        lut = np.exp(vals.astype(np.float64) ** 2 * color_coeff).astype(np.float32)
        # cv2 stops filling after the first zero entry; exp is monotone, so the rest
        # would also be zero except for denormals, which cv2 zeroes too.
        first_zero = np.flatnonzero(lut == 0)
        if first_zero.size:
            lut[first_zero[0]:] = 0
        center = src
        padded = pad_image(src, radius, radius, radius, radius, code)

        def weight(diff):
            alpha = diff * scale_index
            i = np.floor(alpha).astype(np.int64)
            alpha -= i
            return lut[i] + alpha * (lut[i + 1] - lut[i])

    wsum = np.zeros((h, w), np.float32)
    acc = np.zeros(src.shape, np.float32)
    # Loop over the disc offsets (taps), vectorised over all pixels.
    for i, j, space_w in taps:
        neighbour = padded[radius + i : radius + i + h, radius + j : radius + j + w]
        diff = np.abs(neighbour - center)
        if cn == 3:
            diff = diff.sum(axis=2, dtype=diff.dtype)
        wk = weight(diff) * space_w
        wsum += wk
        acc += neighbour * (wk if cn == 1 else wk[..., None])
    if src.dtype == np.uint8:
        if cn == 1:
            out = saturate_cast(acc / wsum, np.uint8)
        else:
            out = saturate_cast(acc * (np.float32(1) / wsum)[..., None], np.uint8)
    else:
        out = acc / (wsum if cn == 1 else wsum[..., None])
    return out[..., None] if squeeze else out
