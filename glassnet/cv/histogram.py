"""Image histograms with OpenCV's semantics: ``calc_hist`` and ``equalize_hist``.

``calc_hist`` behaves as ``cv2.calcHist`` for one channel with uniform bins;
``equalize_hist`` reproduces ``cv2.equalizeHist`` bit for bit (same float32
arithmetic and rounding).
"""

from __future__ import annotations

import numpy as np

from ._border import check_image

__all__ = ["calc_hist", "equalize_hist"]


def calc_hist(
    image: np.ndarray,
    channel: int = 0,
    mask: np.ndarray | None = None,
    hist_size: int = 256,
    ranges: tuple[float, float] = (0, 256),
) -> np.ndarray:
    """Histogram of one channel, like ``cv2.calcHist([image], [channel], mask,
    [hist_size], ranges)``.

    Parameters
    ----------
    image : ndarray
        uint8, uint16 or float32 image.
    channel : int, optional
        Channel to count (0 for grey images).
    mask : ndarray, optional
        uint8 or bool ``(H, W)``; only pixels where it is non-zero are counted.
    hist_size : int, optional
        Number of uniform bins.
    ranges : (float, float), optional
        ``(low, high)``: values in ``[low, high)`` are counted, others ignored.

    Returns
    -------
    ndarray
        float32 counts, shape ``(hist_size, 1)`` as OpenCV 4 (OpenCV 5.0 returns
        ``(hist_size,)``).

    Shape
    -----
    - image: ``(H, W)`` or ``(H, W, C)``; mask: ``(H, W)``
    - output: ``(hist_size, 1)``

    Notes
    -----
    A value ``v`` falls in bin ``floor(v * a + b)`` with ``a = hist_size / (high -
    low)``, ``b = -a * low`` (double precision), clamped to ``[0, hist_size - 1]``
    after the range test, which is how cv2 avoids losing ``high - eps`` to
    rounding. For uint8 the 256 possible values are mapped through a lookup table.

    Examples
    --------
    >>> img = np.array([[0, 1], [1, 255]], np.uint8)
    >>> calc_hist(img, hist_size=4).ravel()
    array([3., 0., 0., 1.], dtype=float32)
    """
    func = "calc_hist"
    image = check_image(image, func, (np.uint8, np.uint16, np.float32))
    n_channels = 1 if image.ndim == 2 else image.shape[2]
    if isinstance(channel, bool) or not isinstance(channel, (int, np.integer)):
        raise TypeError(f"{func}: channel must be an int, got {type(channel).__name__}")
    if not 0 <= channel < n_channels:
        raise ValueError(
            f"{func}: channel must be in [0, {n_channels - 1}] for shape {image.shape}, "
            f"got {channel}"
        )
    if isinstance(hist_size, bool) or not isinstance(hist_size, (int, np.integer)):
        raise TypeError(f"{func}: hist_size must be an int, got {type(hist_size).__name__}")
    if hist_size < 1:
        raise ValueError(f"{func}: hist_size must be >= 1, got {hist_size}")
    try:
        low, high = (float(v) for v in ranges)
    except (TypeError, ValueError):
        raise TypeError(f"{func}: ranges must be a (low, high) pair, got {ranges!r}") from None
    if not low < high:
        raise ValueError(f"{func}: ranges must satisfy low < high, got {ranges!r}")
    values = image if image.ndim == 2 else image[..., channel]
    if mask is not None:
        mask = np.asarray(mask)
        if mask.shape != values.shape:
            raise ValueError(
                f"{func}: mask must have shape {values.shape}, got {mask.shape}"
            )
        values = values[mask != 0]
    else:
        values = values.ravel()
    a = hist_size / (high - low)
    b = -a * low
    if values.dtype == np.uint8:
        counts = np.bincount(values, minlength=256)
        levels = np.arange(256, dtype=np.float64)
        inside = (levels >= low) & (levels < high)
        bins = np.clip(np.floor(levels * a + b), 0, hist_size - 1).astype(np.int64)
        hist = np.bincount(bins[inside], weights=counts[inside], minlength=hist_size)
    else:
        v = values.astype(np.float64)
        v = v[(v >= low) & (v < high)]
        bins = np.clip(np.floor(v * a + b), 0, hist_size - 1).astype(np.int64)
        hist = np.bincount(bins, minlength=hist_size)
    return hist.astype(np.float32).reshape(hist_size, 1)


def equalize_hist(image: np.ndarray) -> np.ndarray:
    """Histogram equalisation of a grey uint8 image, identical to ``cv2.equalizeHist``.

    The grey levels are remapped through the normalised cumulative histogram so
    that the output histogram is as flat as possible: with ``i0`` the lowest level
    present and ``cdf`` the running count,
    ``lut[k] = round((cdf[k] - cdf[i0]) * 255 / (N - hist[i0]))`` (float32), so the
    darkest level maps to 0 and the brightest to 255.

    Parameters
    ----------
    image : ndarray
        uint8 grey image.

    Returns
    -------
    ndarray
        Equalised uint8 image, same shape. A constant image is returned unchanged.

    Shape
    -----
    - image: ``(H, W)``; output: ``(H, W)``

    Examples
    --------
    >>> equalize_hist(np.array([[10, 20], [20, 30]], np.uint8))
    array([[  0, 170],
           [170, 255]], dtype=uint8)
    """
    func = "equalize_hist"
    image = check_image(image, func, (np.uint8,), channels=(1,))
    squeeze = image.ndim == 3
    grey = image[..., 0] if squeeze else image
    hist = np.bincount(grey.ravel(), minlength=256)
    first = int(np.flatnonzero(hist)[0])
    total = grey.size
    if hist[first] == total:
        return image.copy()
    # NOTE: cv2 computes the scale and the products in float32, then rounds half to
    # even (saturate_cast<uchar>(float)); doing it in float64 would flip some ties.
    scale = np.float32(255.0) / np.float32(total - hist[first])
    lut = np.zeros(256, dtype=np.uint8)
    running = np.cumsum(hist[first + 1 :]).astype(np.float32)
    lut[first + 1 :] = np.clip(np.rint(running * scale), 0, 255).astype(np.uint8)
    out = lut[grey]
    return out[..., None] if squeeze else out
