"""Reading and writing images as numpy arrays (via Pillow).

Arrays are ``(H, W)`` for grey images and ``(H, W, C)`` with channels in **RGB(A)**
order, dtype uint8. Note that ``cv2.imread`` returns BGR: reverse the last axis
(``image[..., ::-1]``) when comparing colour results with OpenCV.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Union

import numpy as np

__all__ = ["read_image", "write_image"]

PathLike = Union[str, os.PathLike]

_MODES = ("L", "RGB", "RGBA")


def read_image(path: PathLike, mode: str | None = None) -> np.ndarray:
    """Read an image file into a uint8 array.

    Parameters
    ----------
    path : str or path-like
        Any format Pillow reads (PNG, JPEG, BMP, TIFF, ...).
    mode : {None, 'L', 'RGB', 'RGBA'}, optional
        Convert to grey (``'L'``), RGB or RGBA. ``None`` keeps grey images grey and
        RGB(A) images as they are; palette, bilevel and other modes become RGB
        (RGBA if they carry transparency).

    Returns
    -------
    ndarray
        uint8 array, ``(H, W)`` for ``'L'``, ``(H, W, 3)`` for RGB,
        ``(H, W, 4)`` for RGBA.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not an image Pillow can decode, or ``mode`` is unknown.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "a.png")
    >>> write_image(path, np.zeros((2, 3), np.uint8))
    >>> read_image(path).shape
    (2, 3)
    """
    func = "read_image"
    from PIL import Image, UnidentifiedImageError

    if mode is not None and mode not in _MODES:
        raise ValueError(f"{func}: mode must be None or one of {_MODES}, got {mode!r}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{func}: no such file: {path}")
    try:
        with Image.open(path) as img:
            img.load()
            if mode is None:
                if img.mode in _MODES:
                    mode = img.mode
                elif img.mode in ("1", "I;16", "I", "F"):
                    mode = "L"
                elif img.mode in ("LA", "PA") or "transparency" in img.info:
                    mode = "RGBA"
                else:
                    mode = "RGB"
            if img.mode in ("I;16", "I", "F") and mode == "L":
                # Pillow's convert('L') clips 16-bit data; scale to 8 bits instead.
                data = np.asarray(img, dtype=np.float64)
                top = 65535.0 if img.mode == "I;16" else max(float(data.max()), 1.0)
                return np.clip(np.rint(data * (255.0 / top)), 0, 255).astype(np.uint8)
            return np.array(img.convert(mode), dtype=np.uint8)
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"{func}: cannot decode {path} as an image ({exc})") from None


def write_image(path: PathLike, image: np.ndarray) -> None:
    """Write a uint8 (or bool) array to an image file; the format follows the suffix.

    Parameters
    ----------
    path : str or path-like
        Destination; the directory must exist.
    image : ndarray
        uint8 ``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)`` (RGB) or ``(H, W, 4)`` (RGBA);
        bool arrays are written as 0/255.

    Raises
    ------
    TypeError
        If ``image`` is not uint8 or bool.
    ValueError
        If the shape is not one of the above or the suffix is not a known format.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "b.png")
    >>> write_image(path, np.full((4, 5, 3), 200, np.uint8))
    >>> int(read_image(path)[0, 0, 1])
    200
    """
    func = "write_image"
    from PIL import Image

    if not isinstance(image, np.ndarray):
        raise TypeError(f"{func}: image must be a numpy.ndarray, got {type(image).__name__}")
    if image.dtype == np.bool_:
        image = image.astype(np.uint8) * np.uint8(255)
    if image.dtype != np.uint8:
        raise TypeError(
            f"{func}: image dtype must be uint8 (or bool), got {image.dtype}; "
            "convert with np.clip(x, 0, 255).astype(np.uint8)"
        )
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (3, 4))):
        raise ValueError(
            f"{func}: image must have shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), "
            f"got {image.shape}"
        )
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{func}: directory does not exist: {path.parent}")
    try:
        # Pillow infers L / RGB / RGBA from a uint8 array's shape.
        Image.fromarray(np.ascontiguousarray(image)).save(path)
    except (KeyError, ValueError) as exc:
        raise ValueError(
            f"{func}: cannot write {path}: unknown or unsupported format ({exc})"
        ) from None
