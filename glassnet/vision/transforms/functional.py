"""Functional image ops with ``torchvision.transforms.functional`` names and semantics.

Every op takes one of three image types and returns the same type:

- a PIL Image (processed by Pillow, exactly as torchvision's PIL path);
- a numpy array ``(H, W)`` or ``(H, W, C)`` (what glassnet's datasets yield).  uint8
  arrays with 1, 3 or 4 channels go through Pillow, so they match the PIL path; other
  arrays take the numpy path below;
- a glassnet Tensor ``(..., C, H, W)`` (any leading dims), processed by vectorised
  numpy kernels that reproduce torchvision's tensor path (``interpolate`` with
  antialias, ``grid_sample`` with ``align_corners=False``).
"""
from __future__ import annotations

import enum
import functools
import numbers

import numpy as np
from PIL import Image, ImageOps

from glassnet.backend import get_default_dtype
from glassnet.vision.transforms import _kernels as K
from glassnet.vision.transforms._image import (_apply, _chw, _dims, _hwc, _via_pil,
                                              get_dimensions)
from glassnet.tensor import Tensor

__all__ = [
    "InterpolationMode", "get_dimensions", "to_tensor", "pil_to_tensor", "to_pil_image",
    "normalize", "resize", "pad", "crop", "center_crop", "resized_crop", "hflip", "vflip",
    "rotate", "affine", "adjust_brightness", "adjust_contrast", "adjust_saturation",
    "adjust_hue", "rgb_to_grayscale", "to_grayscale", "erase", "gaussian_blur",
]


class InterpolationMode(str, enum.Enum):
    """Interpolation modes (``torchvision.transforms.InterpolationMode``); plain strings
    such as ``'bilinear'`` are accepted wherever a mode is."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_PIL_MODES = {"nearest": Image.NEAREST, "nearest-exact": Image.NEAREST,
              "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC, "box": Image.BOX,
              "hamming": Image.HAMMING, "lanczos": Image.LANCZOS}
_FROM_PIL_INT = {0: "nearest", 2: "bilinear", 3: "bicubic", 4: "box", 5: "hamming",
                 1: "lanczos"}


def _mode(interpolation, fn: str, tensor_modes=None) -> str:
    """Normalise an interpolation (enum, string or Pillow int) to its string value."""
    if isinstance(interpolation, (int, np.integer)) and not isinstance(interpolation, bool):
        if int(interpolation) not in _FROM_PIL_INT:
            raise ValueError(f"{fn}: interpolation must be an InterpolationMode or a Pillow "
                             f"constant, got {interpolation!r}")
        return _FROM_PIL_INT[int(interpolation)]
    value = interpolation.value if isinstance(interpolation, InterpolationMode) else interpolation
    if value not in _PIL_MODES:
        raise ValueError(f"{fn}: interpolation must be one of {sorted(_PIL_MODES)}, got "
                         f"{interpolation!r}")
    return value


# ---------------------------------------------------------------------------
# Conversion
# ---------------------------------------------------------------------------
def to_tensor(pic) -> Tensor:
    """PIL Image or ``(H, W[, C])`` array -> ``(C, H, W)`` Tensor; uint8 scaled to [0, 1].

    uint8 inputs become float32 divided by 255; other dtypes are kept unscaled (as
    torchvision).
    """
    if isinstance(pic, Image.Image):
        dtypes = {"I": np.int32, "I;16": np.int16, "F": np.float32}
        arr = np.array(pic, dtypes.get(pic.mode, np.uint8), copy=True)
        if pic.mode == "1":
            arr = 255 * arr
        arr = arr.reshape(pic.height, pic.width, len(pic.getbands()))
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"to_tensor: pic should be 2/3 dimensional, got {pic.ndim} "
                             f"dimensions")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"to_tensor: pic should be PIL Image or ndarray, got "
                        f"{type(pic).__name__}")
    chw = np.ascontiguousarray(arr.transpose(2, 0, 1))
    if chw.dtype == np.uint8:
        # NOTE: divide (rather than multiply by 1/255) as torch does, so that the
        # results match torchvision bit for bit.
        return Tensor._wrap(chw.astype(get_default_dtype()) / get_default_dtype().type(255))
    return Tensor._wrap(chw)


def pil_to_tensor(pic) -> Tensor:
    """PIL Image (or ``(H, W[, C])`` array) -> ``(C, H, W)`` Tensor, dtype kept, no scaling."""
    if isinstance(pic, Image.Image):
        arr = np.array(pic, copy=True)
        arr = arr.reshape(pic.height, pic.width, len(pic.getbands()))
    elif isinstance(pic, np.ndarray) and pic.ndim in (2, 3):
        arr = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"pil_to_tensor: pic should be PIL Image or an (H, W[, C]) ndarray, "
                        f"got {type(pic).__name__}")
    return Tensor._wrap(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def to_pil_image(pic, mode: str | None = None) -> Image.Image:
    """``(C, H, W)`` Tensor or ``(H, W[, C])`` array -> PIL Image.

    Float inputs are multiplied by 255 and truncated to uint8 (unless ``mode='F'``).
    """
    if isinstance(pic, Tensor):
        arr = pic._data
        if arr.ndim == 3:
            arr = arr.transpose(1, 2, 0)
    elif isinstance(pic, np.ndarray):
        arr = pic
    else:
        raise TypeError(f"to_pil_image: pic should be Tensor or ndarray, got "
                        f"{type(pic).__name__}")
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3:
        raise ValueError(f"to_pil_image: pic should be 2/3 dimensional, got {arr.ndim} "
                         f"dimensions")
    if arr.shape[-1] > 4:
        raise ValueError(f"to_pil_image: pic should not have > 4 channels, got "
                         f"{arr.shape[-1]} channels")
    if np.issubdtype(arr.dtype, np.floating) and mode != "F":
        arr = (arr * 255).astype(np.uint8)
    channels = arr.shape[2]
    if channels == 1:
        arr = arr[:, :, 0]
        expected = {np.dtype(np.uint8): "L", np.dtype(np.int16): "I;16",
                    np.dtype(np.int32): "I", np.dtype(np.float32): "F"}.get(arr.dtype)
        if mode is not None and mode != expected:
            raise ValueError(f"to_pil_image: incorrect mode ({mode}) supplied for input type "
                             f"{arr.dtype}, should be {expected}")
        mode = expected
    else:
        allowed = {2: ["LA"], 3: ["RGB", "YCbCr", "HSV"], 4: ["RGBA", "CMYK", "RGBX"]}[channels]
        if mode is not None and mode not in allowed:
            raise ValueError(f"to_pil_image: only modes {allowed} are supported for "
                             f"{channels}-channel inputs, got {mode!r}")
        if mode is None and arr.dtype == np.uint8:
            mode = allowed[0]
    if mode is None:
        raise TypeError(f"to_pil_image: input type {arr.dtype} is not supported")
    arr = np.ascontiguousarray(arr)
    img = Image.fromarray(arr)
    if img.mode == mode:
        return img
    # NOTE: the array holds values *in* ``mode`` (e.g. HSV); reinterpret the bytes, as
    # torchvision does, instead of converting colours from RGB.
    return Image.frombytes(mode, (arr.shape[1], arr.shape[0]), arr.tobytes())


def _float_tuple(values) -> tuple:
    if type(values) is tuple and all(type(v) is float for v in values):
        return values
    return tuple(np.atleast_1d(np.asarray(values, np.float64)).tolist())


@functools.lru_cache(maxsize=64)
def _normalize_constants(mean: tuple, std: tuple, dtype: str, channels: int) -> tuple:
    """Validated ``(C, 1, 1)`` mean and std arrays (cached: Normalize runs per sample)."""
    mean_arr = np.asarray(mean, dtype).reshape(-1, 1, 1)
    std_arr = np.asarray(std, dtype).reshape(-1, 1, 1)
    if np.any(std_arr == 0):
        raise ValueError(f"normalize: std evaluated to zero after conversion to "
                         f"{np.dtype(dtype)}, leading to division by zero")
    for name, v in (("mean", mean_arr), ("std", std_arr)):
        if v.shape[0] not in (1, channels):
            raise ValueError(f"normalize: {name} must have 1 or {channels} values (one per "
                             f"channel), got {v.shape[0]}")
    mean_arr.setflags(write=False)
    std_arr.setflags(write=False)
    return mean_arr, std_arr


def normalize(tensor: Tensor, mean, std, inplace: bool = False) -> Tensor:
    """``(tensor - mean[c]) / std[c]`` per channel of a float ``(..., C, H, W)`` Tensor."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"normalize: tensor should be a Tensor image, got "
                        f"{type(tensor).__name__} (apply ToTensor() first)")
    if tensor.dtype.kind != "f":
        raise TypeError(f"normalize: tensor should be a float tensor, got {tensor.dtype}")
    if tensor.ndim < 3:
        raise ValueError(f"normalize: expected a tensor image of shape (..., C, H, W), got "
                         f"{tuple(tensor.shape)}")
    mean, std = _normalize_constants(_float_tuple(mean), _float_tuple(std), tensor.dtype.str,
                                     tensor.shape[-3])
    if inplace:
        tensor._data -= mean
        tensor._data /= std
        return tensor
    return Tensor._wrap((tensor._data - mean) / std)


# ---------------------------------------------------------------------------
# Geometry
# ---------------------------------------------------------------------------
def _output_size(h: int, w: int, size, max_size, fn: str) -> tuple:
    """torchvision's ``_compute_resized_output_size``: an int matches the shorter side."""
    if isinstance(size, (int, np.integer)):
        size = [int(size)]
    if len(size) == 2:
        if max_size is not None:
            raise ValueError(f"{fn}: max_size should only be passed if size specifies the "
                             f"length of the smaller edge, got size={size}")
        return int(size[0]), int(size[1])
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = int(size[0]), int(int(size[0]) * long / short)
    if max_size is not None:
        if max_size <= new_short:
            raise ValueError(f"{fn}: max_size = {max_size} must be strictly greater than the "
                             f"requested size for the smaller edge size = {size}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    return new_h, new_w


def resize(img, size, interpolation="bilinear", max_size=None, antialias=True):
    """Resize to ``size`` (``(h, w)``, or an int matched by the shorter side).

    Shape
    -----
    - input ``(..., H, W)``; output ``(..., H_out, W_out)``.
    """
    fn = "resize"
    mode = _mode(interpolation, fn)
    if isinstance(size, (list, tuple)) and len(size) not in (1, 2):
        raise ValueError(f"{fn}: size must be an int or a 1 or 2 element tuple/list, got "
                         f"{len(size)} elements")
    _, h, w = _dims(img, fn)
    oh, ow = _output_size(h, w, size, max_size, fn)
    if (oh, ow) == (h, w):
        return img
    if mode not in ("nearest", "nearest-exact", "bilinear", "bicubic") and not (
            isinstance(img, Image.Image) or (isinstance(img, np.ndarray) and _via_pil(img))):
        raise ValueError(f"{fn}: interpolation {mode!r} is only supported for PIL images and "
                         f"uint8 numpy images")
    return _apply(img, fn, lambda p: p.resize((ow, oh), _PIL_MODES[mode]),
                  lambda a: K.resize(a, (oh, ow), mode, bool(antialias)))


def _parse_padding(padding, fn: str) -> tuple:
    if isinstance(padding, (int, np.integer)):
        return (int(padding),) * 4
    if not isinstance(padding, (list, tuple)) or len(padding) not in (1, 2, 4):
        raise ValueError(f"{fn}: padding must be an int or a 1, 2, or 4 element tuple, got "
                         f"{padding!r}")
    p = [int(v) for v in padding]
    if len(p) == 1:
        return (p[0],) * 4
    if len(p) == 2:
        return p[0], p[1], p[0], p[1]
    return tuple(p)


def _pad_chw(a, left, top, right, bottom, fill, mode):
    if mode == "constant" and isinstance(fill, (list, tuple)):
        out = K.pad(a, left, top, right, bottom, 0, mode)
        h, w = a.shape[-2:]
        border = np.ones(out.shape[-2:], bool)
        border[max(top, 0):max(top, 0) + h - max(-top, 0) - max(-bottom, 0),
               max(left, 0):max(left, 0) + w - max(-left, 0) - max(-right, 0)] = False
        values = np.asarray(fill, out.dtype).reshape(-1, 1, 1)
        return np.where(border, values, out)
    return K.pad(a, left, top, right, bottom, fill, mode)


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Pad the borders: ``padding`` is an int, ``(lr, tb)`` or ``(left, top, right, bottom)``.

    ``padding_mode`` is 'constant' (with ``fill``), 'edge', 'reflect' or 'symmetric';
    negative padding crops.
    """
    fn = "pad"
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError(f"{fn}: padding_mode should be either constant, edge, reflect or "
                         f"symmetric, got {padding_mode!r}")
    left, top, right, bottom = _parse_padding(padding, fn)

    def pil_op(p):
        if padding_mode == "constant" and min(left, top, right, bottom) >= 0:
            return ImageOps.expand(p, border=(left, top, right, bottom),
                                   fill=_pil_fill(fill, p))
        arr = np.asarray(p)
        out = _hwc(_pad_chw(_chw(arr), left, top, right, bottom, fill, padding_mode), arr)
        result = Image.fromarray(out)
        if p.mode == "P":
            result.putpalette(p.getpalette())
        return result

    return _apply(img, fn, pil_op,
                  lambda a: _pad_chw(a, left, top, right, bottom, fill, padding_mode),
                  pil_for_arrays=False)


def crop(img, top: int, left: int, height: int, width: int):
    """The ``height x width`` window at ``(top, left)``; outside the image is zero."""
    def array_op(a):
        h, w = a.shape[-2:]
        if top < 0 or left < 0 or top + height > h or left + width > w:
            a = K.pad(a, max(-left, 0), max(-top, 0), max(left + width - w, 0),
                      max(top + height - h, 0))
            return a[..., max(top, 0):max(top, 0) + height, max(left, 0):max(left, 0) + width]
        return a[..., top:top + height, left:left + width].copy()

    return _apply(img, "crop", lambda p: p.crop((left, top, left + width, top + height)),
                  array_op, pil_for_arrays=False)


def center_crop(img, output_size):
    """The centred ``output_size`` window (zero-padded first if the image is smaller)."""
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    _, h, w = _dims(img, "center_crop")
    ch, cw = output_size
    if cw > w or ch > h:
        padding = [(cw - w) // 2 if cw > w else 0, (ch - h) // 2 if ch > h else 0,
                   (cw - w + 1) // 2 if cw > w else 0, (ch - h + 1) // 2 if ch > h else 0]
        img = pad(img, padding, fill=0)
        _, h, w = get_dimensions(img)
        if cw == w and ch == h:
            return img
    # NOTE: Python's round() rounds half to even, as torchvision relies on.
    return crop(img, int(round((h - ch) / 2.0)), int(round((w - cw) / 2.0)), ch, cw)


def resized_crop(img, top, left, height, width, size, interpolation="bilinear",
                 antialias=True):
    """:func:`crop` then :func:`resize` to ``size``."""
    return resize(crop(img, top, left, height, width), size, interpolation,
                  antialias=antialias)


def hflip(img):
    """Mirror left-right."""
    return _apply(img, "hflip", lambda p: p.transpose(Image.FLIP_LEFT_RIGHT),
                  lambda a: a[..., ::-1].copy(), pil_for_arrays=False)


def vflip(img):
    """Mirror top-bottom."""
    return _apply(img, "vflip", lambda p: p.transpose(Image.FLIP_TOP_BOTTOM),
                  lambda a: a[..., ::-1, :].copy(), pil_for_arrays=False)


def _fill_list(fill, channels: int):
    if fill is None:
        return None
    if isinstance(fill, (list, tuple)):
        if len(fill) not in (1, channels):
            raise ValueError(f"fill: the number of elements in 'fill' does not match the "
                             f"number of channels of the image ({len(fill)} != {channels})")
        return [float(f) for f in fill] * (channels if len(fill) == 1 else 1)
    return [float(fill)] * channels


def _pil_fill(fill, p: Image.Image):
    channels = len(p.getbands())
    values = _fill_list(0 if fill is None else fill, channels)
    if p.mode != "F":
        values = [int(v) for v in values]
    return values[0] if channels == 1 else tuple(values)


def rotate(img, angle: float, interpolation="nearest", expand: bool = False, center=None,
           fill=None):
    """Rotate by ``angle`` degrees counter-clockwise about ``center`` (default: the centre).

    ``expand=True`` enlarges the output to hold the whole rotated image.
    """
    fn = "rotate"
    mode = _mode(interpolation, fn)
    channels, h, w = _dims(img, fn)
    center_f = [0.0, 0.0]
    if center is not None:
        # (0, 0) is the image centre in the tensor path's coordinates.
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [w, h])]
    # NOTE: affine and rotate turn in opposite directions in torchvision; -angle here.
    matrix = K.inverse_affine_matrix(center_f, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    out_size = K.affine_output_size(matrix, w, h) if expand else None
    return _apply(
        img, fn,
        lambda p: p.rotate(angle, _PIL_MODES[mode], expand, center, fillcolor=_pil_fill(fill, p)),
        lambda a: K.affine_warp(a, matrix, out_size, _grid_mode(mode, fn),
                                _fill_list(fill, channels)))


def _grid_mode(mode: str, fn: str) -> str:
    if mode not in ("nearest", "bilinear"):
        raise ValueError(f"{fn}: interpolation for tensor images must be 'nearest' or "
                         f"'bilinear', got {mode!r}")
    return mode


def affine(img, angle: float, translate, scale: float, shear, interpolation="nearest",
           fill=None, center=None):
    """Rotate (degrees), translate (pixels), scale and shear (degrees) about ``center``."""
    fn = "affine"
    mode = _mode(interpolation, fn)
    if not isinstance(translate, (list, tuple)) or len(translate) != 2:
        raise ValueError(f"{fn}: translate should be a sequence of length 2, got {translate!r}")
    if scale <= 0.0:
        raise ValueError(f"{fn}: scale should be positive, got {scale}")
    if isinstance(shear, numbers.Number):
        shear = [shear, 0.0]
    shear = list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"{fn}: shear should be a number or a sequence of two values, got "
                         f"{shear}")
    channels, h, w = _dims(img, fn)

    def pil_op(p):
        # NOTE: the PIL path takes the centre at (w/2, h/2) in pixel coordinates, the
        # tensor path at (0, 0) relative to the image centre (torchvision does the same).
        c = [w * 0.5, h * 0.5] if center is None else center
        m = K.inverse_affine_matrix(c, angle, translate, scale, shear)
        return p.transform(p.size, Image.AFFINE, m, _PIL_MODES[mode],
                           fillcolor=_pil_fill(fill, p))

    center_f = [0.0, 0.0]
    if center is not None:
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [w, h])]
    matrix = K.inverse_affine_matrix(center_f, angle, [1.0 * t for t in translate], scale,
                                     shear)
    return _apply(img, fn, pil_op,
                  lambda a: K.affine_warp(a, matrix, None, _grid_mode(mode, fn),
                                          _fill_list(fill, channels)))


# Colour and pixel ops live in their own file; they are part of this module's API.
from glassnet.vision.transforms._functional_color import (  # noqa: E402
    adjust_brightness, adjust_contrast, adjust_hue, adjust_saturation, erase, gaussian_blur,
    rgb_to_grayscale, to_grayscale,
)
