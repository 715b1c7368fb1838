"""The three image types the transforms accept, and dispatch between their paths.

- PIL Image: processed by Pillow.
- numpy ``(H, W)`` / ``(H, W, C)``: uint8 with 1, 3 or 4 channels goes through Pillow
  (so it matches the PIL path exactly); any other array takes the numpy path on a
  ``(C, H, W)`` view.
- glassnet Tensor ``(..., C, H, W)``: the numpy path on ``.data``.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

from glassnet.tensor import Tensor

__all__ = ["get_dimensions"]


def _kind(img, fn: str) -> str:
    if isinstance(img, Tensor):
        if img.ndim < 2:
            raise ValueError(f"{fn}: a tensor image must have shape (..., C, H, W) or (H, W), "
                             f"got {tuple(img.shape)}")
        return "tensor"
    if isinstance(img, np.ndarray):
        if img.ndim not in (2, 3):
            raise ValueError(f"{fn}: a numpy image must have shape (H, W) or (H, W, C), got "
                             f"{img.shape}")
        return "ndarray"
    if isinstance(img, Image.Image):
        return "pil"
    raise TypeError(f"{fn}: img must be a PIL Image, a numpy array (H, W[, C]) or a Tensor "
                    f"(..., C, H, W), got {type(img).__name__}")


def _via_pil(arr: np.ndarray) -> bool:
    """Whether a numpy image is processed by Pillow (uint8 with 1, 3 or 4 channels)."""
    return arr.dtype == np.uint8 and (arr.ndim == 2 or arr.shape[2] in (1, 3, 4))


def _to_pil(arr: np.ndarray) -> Image.Image:
    return Image.fromarray(arr[:, :, 0] if arr.ndim == 3 and arr.shape[2] == 1 else arr)


def _from_pil(pil: Image.Image, like: np.ndarray) -> np.ndarray:
    out = np.array(pil)
    if like.ndim == 3 and out.ndim == 2:
        out = out[:, :, None]
    return out


def _chw(arr: np.ndarray) -> np.ndarray:
    """A ``(C, H, W)`` view of an ``(H, W[, C])`` numpy image."""
    return arr[None] if arr.ndim == 2 else np.moveaxis(arr, -1, 0)


def _hwc(chw: np.ndarray, like: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(chw[0] if like.ndim == 2 else np.moveaxis(chw, 0, -1))


def _apply(img, fn: str, pil_op, array_op, pil_for_arrays: bool = True):
    """Dispatch: ``pil_op(PIL) -> PIL`` or ``array_op(chw_array) -> chw_array``.

    ``pil_for_arrays=False`` sends uint8 arrays down the numpy path too; ops whose
    numpy and Pillow results are identical (crop, pad, flip) use it to skip two copies.
    """
    kind = _kind(img, fn)
    if kind == "pil":
        return pil_op(img)
    if kind == "ndarray":
        if pil_for_arrays and _via_pil(img):
            return _from_pil(pil_op(_to_pil(img)), img)
        return _hwc(array_op(_chw(img)), img)
    return Tensor._wrap(np.ascontiguousarray(array_op(img._data)))


def _dims(img, fn: str) -> list:
    """``[channels, height, width]``; type errors name ``fn``."""
    kind = _kind(img, fn)
    if kind == "pil":
        return [len(img.getbands()), img.height, img.width]
    if kind == "ndarray":
        return [1 if img.ndim == 2 else img.shape[2], img.shape[0], img.shape[1]]
    shape = img.shape
    return [1 if img.ndim == 2 else shape[-3], shape[-2], shape[-1]]


def get_dimensions(img) -> list:
    """``[channels, height, width]`` of an image of any supported type."""
    return _dims(img, "get_dimensions")
