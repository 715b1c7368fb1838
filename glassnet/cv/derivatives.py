"""Image derivatives with OpenCV's semantics: Sobel, Scharr and Laplacian.

``sobel``, ``scharr``, ``laplacian`` and ``get_deriv_kernels`` behave as
``cv2.Sobel``, ``cv2.Scharr``, ``cv2.Laplacian`` and ``cv2.getDerivKernels``.
The Sobel operator of aperture ``k`` is separable: a binomial smoothing kernel
(row ``k - 1`` of Pascal's triangle) across the derivative direction, times a
finite-difference kernel along it, both with integer taps. Scharr (``ksize=-1``)
replaces the 3-tap smoothing ``[1, 2, 1]`` by ``[3, 10, 3]`` for better rotation
invariance (H. Scharr, PhD thesis, Heidelberg 2000).

Integer taps on integer images are exact in a float32 accumulator (all partial
sums stay below 2**24), so uint8 -> int16 results equal cv2's bit for bit; float
images accumulate in float32 (float64 for float64 data or output), as cv2 does.
"""

from __future__ import annotations

import numpy as np

from ._border import (
    BORDER_DEFAULT,
    BorderType,
    check_image,
    normalize_border,
    resolve_ddepth,
    saturate_cast,
    separable_correlate,
    work_dtype,
)
from .filters import filter2d

__all__ = ["get_deriv_kernels", "sobel", "scharr", "laplacian"]

_IMAGE_DTYPES = (np.uint8, np.uint16, np.int16, np.float32, np.float64)


def _check_order(value, name: str, func: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{func}: {name} must be a non-negative int, got {value!r}")
    return int(value)


def _sobel_1d(order: int, ksize: int) -> np.ndarray:
    """Integer 1-D Sobel kernel of derivative ``order`` and length ``ksize`` (cv2)."""
    if ksize == 1:
        return np.array([1], dtype=np.int64)
    if ksize == 3:
        return np.array([[1, 2, 1], [-1, 0, 1], [1, -2, 1]][order], dtype=np.int64)
    # Smoothing: convolve [1, 1] with itself (ksize - order - 1) times; then take
    # `order` finite differences [-1, 1]. Same recurrences as cv2's getSobelKernels.
    k = np.array([1], dtype=np.int64)
    for _ in range(ksize - order - 1):
        k = np.convolve(k, [1, 1])
    for _ in range(order):
        # np.convolve flips its second argument: convolving with [-1, 1] appends the
        # correlation difference [-1, 0, 1] orientation used by cv2.
        k = np.convolve(k, [-1, 1])
    return k


def get_deriv_kernels(
    dx: int, dy: int, ksize: int, normalize: bool = False, dtype=np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """Separable Sobel/Scharr kernels, like ``cv2.getDerivKernels``.

    Parameters
    ----------
    dx, dy : int
        Derivative orders in x and y.
    ksize : int
        Aperture: 1, 3, 5, ..., 31, or -1 for Scharr (then ``dx + dy == 1``).
        With ``ksize == 1`` a derivative direction still gets a 3-tap kernel.
    normalize : bool, optional
        Scale so that the smoothing taps sum to 1 and the derivative taps give the
        exact derivative of a linear ramp: Sobel kernels are divided by
        ``2 ** (ksize - order - 1)``; Scharr smoothing by 32.
    dtype : dtype, optional
        float32 (default, as cv2) or float64.

    Returns
    -------
    kx, ky : ndarray
        Column vectors of shape ``(kx_size, 1)`` and ``(ky_size, 1)``; the filter is
        ``rows correlated with kx, then columns correlated with ky``.

    Examples
    --------
    >>> kx, ky = get_deriv_kernels(1, 0, 3)
    >>> kx.ravel(), ky.ravel()
    (array([-1.,  0.,  1.], dtype=float32), array([1., 2., 1.], dtype=float32))
    """
    func = "get_deriv_kernels"
    dx = _check_order(dx, "dx", func)
    dy = _check_order(dy, "dy", func)
    if np.dtype(dtype) not in (np.float32, np.float64):
        raise TypeError(f"{func}: dtype must be float32 or float64, got {np.dtype(dtype)}")
    kx, ky, sx, sy = _deriv_kernels_int(dx, dy, ksize, func)
    if normalize:
        return (
            (kx / sx).astype(dtype).reshape(-1, 1),
            (ky / sy).astype(dtype).reshape(-1, 1),
        )
    return kx.astype(dtype).reshape(-1, 1), ky.astype(dtype).reshape(-1, 1)


def _deriv_kernels_int(dx: int, dy: int, ksize, func: str):
    """Integer kernels plus their normalisation divisors."""
    if isinstance(ksize, bool) or not isinstance(ksize, (int, np.integer)):
        raise TypeError(f"{func}: ksize must be an int, got {type(ksize).__name__}")
    ksize = int(ksize)
    if dx + dy == 0:
        raise ValueError(f"{func}: dx + dy must be > 0, got dx={dx}, dy={dy}")
    if ksize == -1:
        if dx + dy != 1:
            raise ValueError(
                f"{func}: Scharr (ksize=-1) needs dx + dy == 1, got dx={dx}, dy={dy}"
            )
        smooth = np.array([3, 10, 3], dtype=np.int64)
        diff = np.array([-1, 0, 1], dtype=np.int64)
        kx, ky = (diff, smooth) if dx == 1 else (smooth, diff)
        return kx, ky, (1.0 if dx == 1 else 32.0), (1.0 if dy == 1 else 32.0)
    if ksize % 2 != 1 or ksize < 1 or ksize > 31:
        raise ValueError(f"{func}: ksize must be -1 or odd in [1, 31], got {ksize}")
    size_x = 3 if ksize == 1 and dx > 0 else ksize
    size_y = 3 if ksize == 1 and dy > 0 else ksize
    for order, size, name in ((dx, size_x, "dx"), (dy, size_y, "dy")):
        if order >= size:
            raise ValueError(
                f"{func}: {name} must be < the kernel size {size}, got {name}={order} "
                f"(ksize={ksize})"
            )
    kx = _sobel_1d(dx, size_x)
    ky = _sobel_1d(dy, size_y)
    return kx, ky, float(1 << (size_x - dx - 1)), float(1 << (size_y - dy - 1))


def _apply_separable(image, ddepth, dx, kx, ky, scale, delta, border_type, func):
    image = check_image(image, func, _IMAGE_DTYPES)
    code = normalize_border(border_type, func, allow_wrap=False)
    dst = resolve_ddepth(ddepth, image.dtype, func)
    work = work_dtype(image.dtype, dst)
    kx = np.asarray(kx, dtype=np.float64)
    ky = np.asarray(ky, dtype=np.float64)
    if scale != 1:
        # cv2 scales ky unless dx == 0 (then kx, the smoothing kernel); with a
        # power-of-two scale this keeps integer results exact.
        if dx == 0:
            kx = kx * scale
        else:
            ky = ky * scale
    out = separable_correlate(image, kx.astype(work), ky.astype(work), code, work)
    if delta != 0:
        out += work.type(delta)
    return saturate_cast(out, dst)


def sobel(
    image: np.ndarray,
    ddepth,
    dx: int,
    dy: int,
    ksize: int = 3,
    scale: float = 1,
    delta: float = 0,
    border_type: BorderType = BORDER_DEFAULT,
) -> np.ndarray:
    """Sobel derivative ``d^(dx+dy) I / dx^dx dy^dy``, like ``cv2.Sobel``.

    Parameters
    ----------
    image : ndarray
        uint8, uint16, int16, float32 or float64 image.
    ddepth : int or dtype
        Output dtype (``np.int16``, ``np.float32``, ``np.float64``, ...) or -1 for
        the input dtype. Integer outputs saturate (a uint8 output clips negative
        derivatives to 0, as cv2 does); use ``np.int16`` for uint8 input.
    dx, dy : int
        Derivative orders, ``dx + dy > 0``.
    ksize : int, optional
        Aperture 1, 3, 5, 7, ... 31, or -1 for the 3x3 Scharr kernel.
    scale : float, optional
        Multiplies the result.
    delta : float, optional
        Added to the result.
    border_type : int or str, optional
        Border mode, default reflect-101.

    Returns
    -------
    ndarray
        Derivative image with the dtype chosen by ``ddepth``.

    Shape
    -----
    - image: ``(H, W)`` or ``(H, W, C)``; output: same.

    Examples
    --------
    >>> ramp = np.tile(np.arange(5, dtype=np.uint8) * 10, (3, 1))
    >>> sobel(ramp, np.int16, 1, 0)[1]
    array([ 0, 80, 80, 80,  0], dtype=int16)
    """
    func = "sobel"
    dx = _check_order(dx, "dx", func)
    dy = _check_order(dy, "dy", func)
    kx, ky, _, _ = _deriv_kernels_int(dx, dy, ksize, func)
    return _apply_separable(image, ddepth, dx, kx, ky, scale, delta, border_type, func)


def scharr(
    image: np.ndarray,
    ddepth,
    dx: int,
    dy: int,
    scale: float = 1,
    delta: float = 0,
    border_type: BorderType = BORDER_DEFAULT,
) -> np.ndarray:
    """First derivative with the 3x3 Scharr kernel, like ``cv2.Scharr``.

    Same as ``sobel(image, ddepth, dx, dy, ksize=-1, ...)``; ``dx + dy`` must be 1.

    Parameters
    ----------
    image : ndarray
        uint8, uint16, int16, float32 or float64 image.
    ddepth : int or dtype
        Output dtype or -1.
    dx, dy : int
        ``(1, 0)`` or ``(0, 1)``.
    scale, delta, border_type
        As in :func:`sobel`.

    Returns
    -------
    ndarray
        Derivative image.

    Shape
    -----
    - image: ``(H, W)`` or ``(H, W, C)``; output: same.

    Examples
    --------
    >>> ramp = np.tile(np.arange(4, dtype=np.uint8) * 10, (3, 1))
    >>> scharr(ramp, np.int16, 1, 0)[1]
    array([  0, 320, 320,   0], dtype=int16)
    """
    func = "scharr"
    dx = _check_order(dx, "dx", func)
    dy = _check_order(dy, "dy", func)
    kx, ky, _, _ = _deriv_kernels_int(dx, dy, -1, func)
    return _apply_separable(image, ddepth, dx, kx, ky, scale, delta, border_type, func)


def laplacian(
    image: np.ndarray,
    ddepth,
    ksize: int = 1,
    scale: float = 1,
    delta: float = 0,
    border_type: BorderType = BORDER_DEFAULT,
) -> np.ndarray:
    """Laplacian ``d2I/dx2 + d2I/dy2``, like ``cv2.Laplacian``.

    Parameters
    ----------
    image : ndarray
        uint8, uint16, int16, float32 or float64 image.
    ddepth : int or dtype
        Output dtype or -1 for the input dtype.
    ksize : int, optional
        1 (the 4-neighbour kernel ``[[0,1,0],[1,-4,1],[0,1,0]]``), 3 (the kernel
        ``[[2,0,2],[0,-8,0],[2,0,2]]``), or an odd size up to 31 (sum of the
        second-order Sobel derivatives of that aperture).
    scale, delta : float, optional
        ``out = scale * laplacian + delta``.
    border_type : int or str, optional
        Border mode, default reflect-101.

    Returns
    -------
    ndarray
        Laplacian image with the dtype chosen by ``ddepth``.

    Shape
    -----
    - image: ``(H, W)`` or ``(H, W, C)``; output: same.

    Examples
    --------
    >>> img = np.zeros((5, 5), np.int16); img[2, 2] = 1
    >>> laplacian(img, -1)[1:4, 1:4]
    array([[ 0,  1,  0],
           [ 1, -4,  1],
           [ 0,  1,  0]], dtype=int16)
    """
    func = "laplacian"
    image = check_image(image, func, _IMAGE_DTYPES)
    if isinstance(ksize, bool) or not isinstance(ksize, (int, np.integer)):
        raise TypeError(f"{func}: ksize must be an int, got {type(ksize).__name__}")
    ksize = int(ksize)
    if ksize % 2 != 1 or ksize < 1 or ksize > 31:
        raise ValueError(f"{func}: ksize must be odd in [1, 31], got {ksize}")
    if ksize in (1, 3):
        if ksize == 1:
            kernel = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=np.float32)
        else:
            kernel = np.array([[2, 0, 2], [0, -8, 0], [2, 0, 2]], dtype=np.float32)
        if scale != 1:
            kernel = kernel * np.float32(scale)
        return filter2d(image, kernel, delta=delta, border_type=border_type, ddepth=ddepth)
    code = normalize_border(border_type, func, allow_wrap=False)
    dst = resolve_ddepth(ddepth, image.dtype, func)
    work = work_dtype(image.dtype, dst)
    kd = _sobel_1d(2, ksize).astype(work)
    ks = _sobel_1d(0, ksize).astype(work)
    d2x = separable_correlate(image, kd, ks, code, work)
    d2y = separable_correlate(image, ks, kd, code, work)
    if image.dtype == np.uint8 and ksize <= 5:
        # NOTE: cv2 keeps d2x and d2y in int16 here (saturating), then adds them with
        # saturation before scaling; reproduce that for identical overflow behaviour.
        d2x = np.clip(d2x, -32768, 32767)
        d2y = np.clip(d2y, -32768, 32767)
        total = np.clip(d2x + d2y, -32768, 32767)
    else:
        total = d2x + d2y
    out = total * work.type(scale) if scale != 1 else total
    if delta != 0:
        out = out + work.type(delta)
    return saturate_cast(out, dst)
