"""Border extrapolation with OpenCV's border names, plus the shared internals.

Every filter in :mod:`glassnet.cv` needs pixels outside the image. OpenCV names
five ways to invent them; with ``abcdefgh`` the row and ``|`` the image edge::

    BORDER_CONSTANT     iiiiii|abcdefgh|iiiiiii   (i = value, 0 by default)
    BORDER_REPLICATE    aaaaaa|abcdefgh|hhhhhhh
    BORDER_REFLECT      fedcba|abcdefgh|hgfedcb
    BORDER_WRAP         cdefgh|abcdefgh|abcdefg
    BORDER_REFLECT_101  gfedcb|abcdefgh|gfedcba   (BORDER_DEFAULT)

The integer values are OpenCV's, so ``cv2.BORDER_REFLECT`` can be passed as is;
the lower-case strings ``'constant'``, ``'replicate'``, ``'reflect'``, ``'wrap'``
and ``'reflect_101'`` work too. The index arithmetic follows OpenCV's
``borderInterpolate``, including paddings wider than the image (repeated
reflection) and one-pixel-wide images.

This module also holds what every glassnet.cv module shares: the input checks (so
bad input is reported the same way everywhere) and the shifted-view correlation
engine used by the linear filters (a loop over kernel taps, never over pixels).
"""

from __future__ import annotations

from typing import Sequence, Union

import numpy as np

__all__ = [
    "BORDER_CONSTANT",
    "BORDER_REPLICATE",
    "BORDER_REFLECT",
    "BORDER_WRAP",
    "BORDER_REFLECT_101",
    "BORDER_REFLECT101",
    "BORDER_DEFAULT",
    "BORDER_ISOLATED",
    "copy_make_border",
    "border_interpolate",
]

BORDER_CONSTANT = 0
BORDER_REPLICATE = 1
BORDER_REFLECT = 2
BORDER_WRAP = 3
BORDER_REFLECT_101 = 4
BORDER_REFLECT101 = 4
BORDER_DEFAULT = 4
# glassnet never filters a view into a larger image, so the flag changes nothing;
# it is accepted (and stripped) so that cv2-style ``BORDER_X | BORDER_ISOLATED`` works.
BORDER_ISOLATED = 16

_BORDER_NAMES = {
    "constant": BORDER_CONSTANT,
    "replicate": BORDER_REPLICATE,
    "reflect": BORDER_REFLECT,
    "wrap": BORDER_WRAP,
    "reflect_101": BORDER_REFLECT_101,
    "reflect101": BORDER_REFLECT_101,
    "default": BORDER_DEFAULT,
}

BorderType = Union[int, str]
Size = Union[int, Sequence[int]]

# Saturation ranges of the integer dtypes the glassnet.cv functions produce.
_INT_RANGES = {
    np.dtype(np.uint8): (0, 255),
    np.dtype(np.uint16): (0, 65535),
    np.dtype(np.int16): (-32768, 32767),
    np.dtype(np.int32): (-(2**31), 2**31 - 1),
}

# cv2 depth codes (cv2.CV_8U ... cv2.CV_64F) accepted wherever a ``ddepth`` is.
_CV_DEPTHS = {
    0: np.dtype(np.uint8),
    2: np.dtype(np.uint16),
    3: np.dtype(np.int16),
    5: np.dtype(np.float32),
    6: np.dtype(np.float64),
}


def normalize_border(border_type: BorderType, func: str, allow_wrap: bool = True) -> int:
    """Return the integer border code for ``border_type`` or raise a clear error."""
    if isinstance(border_type, str):
        key = border_type.lower()
        if key not in _BORDER_NAMES:
            raise ValueError(
                f"{func}: border_type must be one of {sorted(_BORDER_NAMES)} or a "
                f"cv2 BORDER_* constant, got {border_type!r}"
            )
        code = _BORDER_NAMES[key]
    elif isinstance(border_type, (int, np.integer)) and not isinstance(border_type, bool):
        code = int(border_type) & ~BORDER_ISOLATED
        if code not in (0, 1, 2, 3, 4):
            raise ValueError(
                f"{func}: border_type must be BORDER_CONSTANT (0), BORDER_REPLICATE (1), "
                f"BORDER_REFLECT (2), BORDER_WRAP (3) or BORDER_REFLECT_101 (4), "
                f"got {border_type!r}"
            )
    else:
        raise TypeError(
            f"{func}: border_type must be an int BORDER_* constant or a string, "
            f"got {type(border_type).__name__}"
        )
    if code == BORDER_WRAP and not allow_wrap:
        # NOTE: cv2's filter engine rejects BORDER_WRAP for filtering; we mirror that
        # only where the caller asks, so the error is ours and not a silent difference.
        raise ValueError(f"{func}: border_type BORDER_WRAP is not supported here")
    return code


def border_interpolate(p: np.ndarray, length: int, border_type: BorderType) -> np.ndarray:
    """Map out-of-range coordinates into ``[0, length)`` like ``cv2.borderInterpolate``.

    Parameters
    ----------
    p : ndarray of int
        Coordinates, possibly negative or ``>= length``.
    length : int
        Size of the axis, ``>= 1``.
    border_type : int or str
        A ``BORDER_*`` constant. For ``BORDER_CONSTANT`` out-of-range coordinates
        map to ``-1``.

    Returns
    -------
    ndarray of int
        Source coordinates, same shape as ``p``.
    """
    code = normalize_border(border_type, "border_interpolate")
    p = np.asarray(p, dtype=np.int64)
    if length < 1:
        raise ValueError(f"border_interpolate: length must be >= 1, got {length}")
    inside = (p >= 0) & (p < length)
    if code == BORDER_CONSTANT:
        return np.where(inside, p, -1)
    if code == BORDER_REPLICATE:
        return np.clip(p, 0, length - 1)
    if code == BORDER_WRAP:
        return np.mod(p, length)
    if length == 1:
        return np.zeros_like(p)
    # NOTE: repeated mirroring is periodic. BORDER_REFLECT repeats the edge pixel
    # (period 2n); BORDER_REFLECT_101 does not (period 2n - 2).
    if code == BORDER_REFLECT:
        period = 2 * length
        q = np.mod(p, period)
        return np.where(q >= length, period - 1 - q, q)
    period = 2 * length - 2
    q = np.mod(p, period)
    return np.where(q >= length, period - q, q)


def copy_make_border(
    image: np.ndarray,
    top: int,
    bottom: int,
    left: int,
    right: int,
    border_type: BorderType = BORDER_CONSTANT,
    value: float = 0,
) -> np.ndarray:
    """Pad an image like ``cv2.copyMakeBorder``.

    Parameters
    ----------
    image : ndarray
        Image of shape ``(H, W)`` or ``(H, W, C)``, any dtype.
    top, bottom, left, right : int
        Number of pixels to add on each side, ``>= 0``.
    border_type : int or str, optional
        A ``BORDER_*`` constant or its lower-case name. Default ``BORDER_CONSTANT``.
    value : float, optional
        Fill value for ``BORDER_CONSTANT``.

    Returns
    -------
    ndarray
        Padded image, same dtype.

    Shape
    -----
    - image: ``(H, W)`` or ``(H, W, C)``
    - output: ``(H + top + bottom, W + left + right[, C])``

    Examples
    --------
    >>> copy_make_border(np.array([[1, 2, 3]]), 0, 0, 2, 2, "reflect_101")
    array([[3, 2, 1, 2, 3, 2, 1]])
    """
    func = "copy_make_border"
    image = np.asarray(image)
    if image.ndim not in (2, 3):
        raise ValueError(f"{func}: image must have shape (H, W) or (H, W, C), got {image.shape}")
    for name, amount in (("top", top), ("bottom", bottom), ("left", left), ("right", right)):
        if int(amount) < 0:
            raise ValueError(f"{func}: {name} must be >= 0, got {amount}")
    code = normalize_border(border_type, func)
    return pad_image(image, int(top), int(bottom), int(left), int(right), code, value)


def pad_image(
    image: np.ndarray, top: int, bottom: int, left: int, right: int, code: int, value: float = 0
) -> np.ndarray:
    """Unchecked padding used internally (``code`` already normalised)."""
    h, w = image.shape[:2]
    if code == BORDER_CONSTANT:
        out = np.empty((h + top + bottom, w + left + right) + image.shape[2:], image.dtype)
        out[...] = np.asarray(value).astype(image.dtype)
        out[top : top + h, left : left + w] = image
        return out
    rows = border_interpolate(np.arange(-top, h + bottom), h, code)
    cols = border_interpolate(np.arange(-left, w + right), w, code)
    return image[rows[:, None], cols[None, :]]


# --------------------------------------------------------------------------------------
# Shared input checks
# --------------------------------------------------------------------------------------

def check_image(
    image: np.ndarray,
    func: str,
    dtypes: tuple = (np.uint8, np.uint16, np.int16, np.float32, np.float64),
    channels: tuple | None = None,
    name: str = "image",
) -> np.ndarray:
    """Validate an image array and return it as an ndarray.

    Raises ``TypeError`` for a non-array or an unsupported dtype and ``ValueError``
    for a wrong number of dimensions, an empty image or an unsupported channel count.
    """
    if not isinstance(image, np.ndarray):
        raise TypeError(f"{func}: {name} must be a numpy.ndarray, got {type(image).__name__}")
    if image.ndim not in (2, 3):
        raise ValueError(
            f"{func}: {name} must have shape (H, W) or (H, W, C), got {image.shape}"
        )
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"{func}: {name} must not be empty, got shape {image.shape}")
    allowed = tuple(np.dtype(d) for d in dtypes)
    if image.dtype not in allowed:
        names = ", ".join(d.name for d in allowed)
        raise TypeError(f"{func}: {name} dtype must be one of {names}, got {image.dtype}")
    n_channels = 1 if image.ndim == 2 else image.shape[2]
    if channels is not None and n_channels not in channels:
        raise ValueError(
            f"{func}: {name} must have {' or '.join(map(str, channels))} channel(s), "
            f"got shape {image.shape}"
        )
    return image


def resolve_ddepth(ddepth, src_dtype: np.dtype, func: str, allowed: dict | None = None):
    """Turn ``ddepth`` (-1, a numpy dtype or a cv2 depth code) into a numpy dtype."""
    src_dtype = np.dtype(src_dtype)
    if isinstance(ddepth, (int, np.integer)) and not isinstance(ddepth, bool):
        if int(ddepth) == -1:
            dst = src_dtype
        elif int(ddepth) in _CV_DEPTHS:
            dst = _CV_DEPTHS[int(ddepth)]
        else:
            raise ValueError(
                f"{func}: ddepth must be -1, a numpy dtype or a cv2 depth code "
                f"(CV_8U, CV_16U, CV_16S, CV_32F, CV_64F), got {ddepth}"
            )
    else:
        try:
            dst = np.dtype(ddepth)
        except TypeError:
            raise TypeError(
                f"{func}: ddepth must be -1 or a numpy dtype, got {ddepth!r}"
            ) from None
    if allowed is None:
        allowed = {
            np.dtype(np.uint8): (np.uint8, np.uint16, np.int16, np.float32, np.float64),
            np.dtype(np.uint16): (np.uint16, np.float32, np.float64),
            np.dtype(np.int16): (np.int16, np.float32, np.float64),
            np.dtype(np.float32): (np.float32, np.float64),
            np.dtype(np.float64): (np.float64,),
        }
    ok = tuple(np.dtype(d) for d in allowed.get(src_dtype, ()))
    if dst not in ok:
        names = ", ".join(d.name for d in ok) or "none"
        raise ValueError(
            f"{func}: ddepth {dst.name} is not supported for {src_dtype.name} input "
            f"(expected -1 or one of {names})"
        )
    return dst


def saturate_cast(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Convert like OpenCV's ``saturate_cast``: round half to even, then clip.

    NOTE: cv2 rounds with ``cvRound`` (``lrint``), i.e. ties go to the even
    integer: 2.5 -> 2, 3.5 -> 4. ``np.rint`` does the same.
    """
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return x.astype(dtype, copy=False)
    lo, hi = _INT_RANGES[dtype]
    if x.dtype.kind in "iu":
        return np.clip(x, lo, hi).astype(dtype)
    out = np.rint(x)
    np.clip(out, lo, hi, out=out)
    return out.astype(dtype)


# --------------------------------------------------------------------------------------
# Shifted-view correlation shared by every linear filter
# --------------------------------------------------------------------------------------

def work_dtype(src: np.dtype, dst: np.dtype) -> np.dtype:
    """Accumulator dtype: float64 if either side is float64, else float32 (as cv2)."""
    if np.dtype(src) == np.float64 or np.dtype(dst) == np.float64:
        return np.dtype(np.float64)
    return np.dtype(np.float32)


def shifted(a: np.ndarray, axis: int, start: int, length: int) -> np.ndarray:
    index = [slice(None)] * a.ndim
    index[axis] = slice(start, start + length)
    return a[tuple(index)]


def correlate1d(a: np.ndarray, kernel: np.ndarray, axis: int, length: int) -> np.ndarray:
    """``out[i] = sum_t kernel[t] * a[i + t]`` along ``axis`` for ``i < length``.

    ``a`` must already be padded by ``len(kernel) - 1`` along ``axis``. The kernel
    is cast to ``a.dtype`` so float32 stays float32 and int32 stays exact.
    Symmetric and antisymmetric kernels add/subtract mirrored taps first (as
    OpenCV's symmetric row/column filters do), halving the multiplications.
    """
    k = np.asarray(kernel).astype(a.dtype).ravel()
    n = k.size
    c = n // 2
    if n % 2 == 1 and n > 1 and np.array_equal(k, k[::-1]):
        out = shifted(a, axis, c, length) * k[c]
        for t in range(c):
            if k[t] != 0:
                out += (shifted(a, axis, t, length) + shifted(a, axis, n - 1 - t, length)) * k[t]
        return out
    if n % 2 == 1 and n > 1 and np.array_equal(k, -k[::-1]):
        out = None
        for t in range(c):
            if k[t] != 0:
                term = (shifted(a, axis, t, length) - shifted(a, axis, n - 1 - t, length)) * k[t]
                out = term if out is None else out + term
        if out is None:
            out = np.zeros_like(shifted(a, axis, 0, length))
        return out
    out = None
    for t in range(n):
        if k[t] != 0:
            term = shifted(a, axis, t, length) * k[t]
            out = term if out is None else out + term
    if out is None:
        out = np.zeros_like(shifted(a, axis, 0, length))
    return out


def separable_correlate(
    image: np.ndarray,
    kx: np.ndarray,
    ky: np.ndarray,
    code: int,
    work: np.dtype,
    anchor: tuple[int, int] | None = None,
) -> np.ndarray:
    """Row pass with ``kx`` then column pass with ``ky`` on a padded copy (unchecked)."""
    kx = np.asarray(kx).ravel()
    ky = np.asarray(ky).ravel()
    h, w = image.shape[:2]
    ax, ay = (kx.size // 2, ky.size // 2) if anchor is None else anchor
    padded = pad_image(
        image.astype(work, copy=False), ay, ky.size - 1 - ay, ax, kx.size - 1 - ax, code
    )
    rows = correlate1d(padded, kx, axis=1, length=w)
    return correlate1d(rows, ky, axis=0, length=h)


def as_size(ksize: Size, func: str) -> tuple[int, int]:
    """``ksize`` as a ``(width, height)`` pair; an int means a square kernel."""
    if isinstance(ksize, (int, np.integer)) and not isinstance(ksize, bool):
        return int(ksize), int(ksize)
    try:
        kw, kh = ksize
    except (TypeError, ValueError):
        raise TypeError(
            f"{func}: ksize must be an int or a (width, height) pair, got {ksize!r}"
        ) from None
    return int(kw), int(kh)


def check_anchor(anchor, kw: int, kh: int, func: str) -> tuple[int, int]:
    if anchor is None:
        return kw // 2, kh // 2
    ax, ay = (int(v) for v in anchor)
    ax = kw // 2 if ax == -1 else ax
    ay = kh // 2 if ay == -1 else ay
    if not (0 <= ax < kw and 0 <= ay < kh):
        raise ValueError(
            f"{func}: anchor must lie inside the {kw}x{kh} kernel (or be -1), got {anchor}"
        )
    return ax, ay
