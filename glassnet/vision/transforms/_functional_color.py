"""Colour and pixel ops of :mod:`glassnet.vision.transforms.functional`.

PIL images (and uint8 numpy images) use Pillow's ``ImageEnhance`` exactly as
torchvision's PIL path; float arrays and Tensors use torchvision's tensor formulas:
``blend(a, b, r) = clip(r * a + (1 - r) * b, 0, max)``.
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageEnhance

from glassnet.vision.transforms import _kernels as K
from glassnet.vision.transforms._image import _apply, _chw, _hwc, _kind
from glassnet.tensor import Tensor

__all__ = ["adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue",
           "rgb_to_grayscale", "to_grayscale", "erase", "gaussian_blur"]


def _check_factor(value: float, name: str, fn: str) -> float:
    if value < 0:
        raise ValueError(f"{fn}: {name} must be non-negative, got {value}")
    return float(value)


def _check_channels(a: np.ndarray, fn: str) -> int:
    c = a.shape[-3] if a.ndim >= 3 else 1
    if c not in (1, 3):
        raise ValueError(f"{fn}: image must have 1 or 3 channels, got {c}")
    return c


def adjust_brightness(img, brightness_factor: float):
    """Scale intensities: 0 gives black, 1 the original, 2 doubles the brightness."""
    fn = "adjust_brightness"
    f = _check_factor(brightness_factor, "brightness_factor", fn)

    def array_op(a):
        _check_channels(a, fn)
        return K.blend(a, 0.0, f, a.dtype)

    return _apply(img, fn, lambda p: ImageEnhance.Brightness(p).enhance(f), array_op)


def adjust_contrast(img, contrast_factor: float):
    """Blend with the mean grey level: 0 gives a grey image, 1 the original."""
    fn = "adjust_contrast"
    f = _check_factor(contrast_factor, "contrast_factor", fn)

    def array_op(a):
        c = _check_channels(a, fn)
        gray = K.rgb_to_grayscale(a) if c == 3 else a
        mean = K.to_work(gray).mean(axis=(-3, -2, -1), keepdims=True) if a.ndim >= 3 \
            else K.to_work(gray).mean(axis=(-2, -1), keepdims=True)
        return K.blend(a, mean, f, a.dtype)

    return _apply(img, fn, lambda p: ImageEnhance.Contrast(p).enhance(f), array_op)


def adjust_saturation(img, saturation_factor: float):
    """Blend with the greyscale image: 0 gives grey, 1 the original, 2 doubles saturation."""
    fn = "adjust_saturation"
    f = _check_factor(saturation_factor, "saturation_factor", fn)

    def array_op(a):
        if _check_channels(a, fn) == 1:  # as PIL: a grey image has no saturation
            return a.copy()
        return K.blend(a, K.to_work(K.rgb_to_grayscale(a)), f, a.dtype)

    return _apply(img, fn, lambda p: ImageEnhance.Color(p).enhance(f), array_op)


def _pil_hue(p: Image.Image, hue_factor: float) -> Image.Image:
    if p.mode in {"L", "1", "I", "F"}:
        return p
    h, s, v = p.convert("HSV").split()
    np_h = np.array(h, dtype=np.uint8)
    # NOTE: uint8 arithmetic wraps around, which is the hue rotation wanted here.
    np_h += np.uint8(np.int32(hue_factor * 255) % 256)
    return Image.merge("HSV", (Image.fromarray(np_h), s, v)).convert(p.mode)


def adjust_hue(img, hue_factor: float):
    """Rotate the hue by ``hue_factor`` turns, in [-0.5, 0.5]."""
    fn = "adjust_hue"
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"{fn}: hue_factor must be in [-0.5, 0.5], got {hue_factor}")

    def array_op(a):
        if _check_channels(a, fn) == 1:
            return a.copy()
        top = K.max_value(a.dtype)
        x = a if a.dtype.kind == "f" else a.astype(np.float32) / np.float32(top)
        hsv = K.rgb_to_hsv(x)
        hsv[..., 0, :, :] = (hsv[..., 0, :, :] + hue_factor) % 1.0
        rgb = K.hsv_to_rgb(hsv)
        if a.dtype.kind == "f":
            return rgb
        # torchvision's convert_image_dtype(float -> int): multiply by max + 1 - eps.
        return (rgb * np.float32(top + 1.0 - 1e-3)).astype(a.dtype)

    return _apply(img, fn, lambda p: _pil_hue(p, hue_factor), array_op)


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """Luma ``0.2989 R + 0.587 G + 0.114 B`` with 1 or 3 output channels.

    Shape
    -----
    - input ``(..., 3, H, W)`` (or 1 channel); output ``(..., num_output_channels, H, W)``.
    """
    fn = "rgb_to_grayscale"
    if num_output_channels not in (1, 3):
        raise ValueError(f"{fn}: num_output_channels should be either 1 or 3, got "
                         f"{num_output_channels}")

    def pil_op(p):
        gray = p.convert("L")
        if num_output_channels == 1:
            return gray
        g = np.array(gray, dtype=np.uint8)
        return Image.fromarray(np.dstack([g, g, g]))

    def array_op(a):
        _check_channels(a, fn)
        return K.rgb_to_grayscale(a, num_output_channels)

    return _apply(img, fn, pil_op, array_op)


def to_grayscale(img, num_output_channels: int = 1):
    """Alias of :func:`rgb_to_grayscale` (torchvision keeps both names)."""
    return rgb_to_grayscale(img, num_output_channels)


def erase(img: Tensor, i: int, j: int, h: int, w: int, v, inplace: bool = False) -> Tensor:
    """Set the ``h x w`` window at ``(i, j)`` of a ``(..., C, H, W)`` Tensor to ``v``."""
    if not isinstance(img, Tensor):
        raise TypeError(f"erase: img should be a Tensor image, got {type(img).__name__} "
                        f"(apply ToTensor() first)")
    data = img._data if inplace else img._data.copy()
    data[..., i:i + h, j:j + w] = v._data if isinstance(v, Tensor) else v
    return img if inplace else Tensor._wrap(data)


def gaussian_blur(img, kernel_size, sigma=None):
    """Blur with a Gaussian of odd ``kernel_size`` (int or ``(kx, ky)``) and ``sigma``.

    ``sigma`` defaults to ``0.3 * ((k - 1) * 0.5 - 1) + 0.8`` per axis (OpenCV's and
    torchvision's rule); borders are reflected.  Integer images are rounded back.
    """
    fn = "gaussian_blur"
    if isinstance(kernel_size, (int, np.integer)):
        kernel_size = [int(kernel_size)] * 2
    if not isinstance(kernel_size, (list, tuple)) or len(kernel_size) != 2:
        raise ValueError(f"{fn}: kernel_size should be an int or a sequence of 2 ints, got "
                         f"{kernel_size!r}")
    for k in kernel_size:
        if k % 2 == 0 or k < 0:
            raise ValueError(f"{fn}: kernel_size should have odd and positive integers, got "
                             f"{kernel_size}")
    if sigma is None:
        sigma = [k * 0.15 + 0.35 for k in kernel_size]
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma)] * 2
    sigma = list(sigma)
    if len(sigma) == 1:
        sigma = sigma * 2
    if len(sigma) != 2 or any(s <= 0 for s in sigma):
        raise ValueError(f"{fn}: sigma should be positive (one value or two), got {sigma}")
    _kind(img, fn)

    def array_op(a):
        return K.gaussian_blur(a, tuple(kernel_size), tuple(sigma))

    def pil_op(p):
        arr = np.asarray(p)
        return Image.fromarray(_hwc(array_op(_chw(arr)), arr))

    return _apply(img, fn, pil_op, array_op)
