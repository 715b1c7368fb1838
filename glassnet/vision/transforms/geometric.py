"""Geometric transforms (torchvision names, arguments, defaults and semantics).

Random parameters are drawn from :func:`glassnet.utils.data.get_sample_generator` with the
same distributions as torchvision (the numbers differ: torch's generator is not used).
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

from glassnet.vision.transforms import functional as F
from glassnet.vision.transforms._base import (Transform, _check_p, _check_range, _rng,
                                            _setup_angle, _setup_size)

__all__ = ["Resize", "CenterCrop", "Pad", "RandomCrop", "RandomResizedCrop",
           "RandomHorizontalFlip", "RandomVerticalFlip", "RandomRotation", "RandomAffine"]


def _check_fill(fill, fn: str):
    if fill is None:
        return 0
    if not isinstance(fill, (numbers.Number, Sequence)):
        raise TypeError(f"{fn}: fill should be a number or a sequence, got "
                        f"{type(fill).__name__}")
    return fill


class Resize(Transform):
    """Resize to ``size``: ``(h, w)``, or an int that the shorter side is matched to.

    Parameters
    ----------
    size : int or (int, int)
    interpolation : InterpolationMode or str
        'nearest', 'nearest-exact', 'bilinear' (default) or 'bicubic' (PIL images also
        'box', 'hamming', 'lanczos').
    max_size : int, optional
        Upper bound on the longer side when ``size`` is an int.
    antialias : bool
        Antialias tensor downsampling (PIL always does), as torchvision's default.

    Shape
    -----
    - input ``(..., H, W)``; output ``(..., h, w)``, or for ``size=s`` the shorter side
      becomes ``s`` and the longer ``int(s * long / short)``.
    """

    def __init__(self, size, interpolation="bilinear", max_size=None, antialias=True):
        if isinstance(size, numbers.Number):
            size = int(size)
        elif not isinstance(size, Sequence) or len(size) not in (1, 2):
            raise ValueError(f"Resize: size should be an int or a sequence of length 1 or 2, "
                             f"got {size!r}")
        self.size = size
        self.interpolation = F._mode(interpolation, "Resize")
        self.max_size = max_size
        self.antialias = antialias

    def __call__(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def extra_repr(self) -> str:
        return (f"size={self.size}, interpolation={self.interpolation}, "
                f"max_size={self.max_size}, antialias={self.antialias}")


class CenterCrop(Transform):
    """Crop the centre ``size`` (int or ``(h, w)``); pads with 0 if the image is smaller."""

    def __init__(self, size):
        self.size = _setup_size(size, "size", "CenterCrop")

    def __call__(self, img):
        return F.center_crop(img, self.size)

    def extra_repr(self) -> str:
        return f"size={self.size}"


class Pad(Transform):
    """Pad the borders.

    Parameters
    ----------
    padding : int or sequence
        All sides, ``(left/right, top/bottom)`` or ``(left, top, right, bottom)``.
    fill : number or sequence
        Value for ``padding_mode='constant'`` (per channel if a sequence).
    padding_mode : str
        'constant', 'edge', 'reflect' or 'symmetric'.
    """

    def __init__(self, padding, fill=0, padding_mode: str = "constant"):
        F._parse_padding(padding, "Pad")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError(f"Pad: padding_mode should be constant, edge, reflect or "
                             f"symmetric, got {padding_mode!r}")
        self.padding = padding
        self.fill = _check_fill(fill, "Pad")
        self.padding_mode = padding_mode

    def __call__(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode}"


class RandomCrop(Transform):
    """Crop a random ``size`` window, after optional padding.

    Parameters
    ----------
    size : int or (int, int)
    padding : int or sequence, optional
        Padding applied first (see :class:`Pad`).
    pad_if_needed : bool
        Pad the image when it is smaller than ``size``.
    fill, padding_mode
        As in :class:`Pad`.

    Examples
    --------
    >>> import numpy as np, glassnet
    >>> from glassnet.vision.transforms import RandomCrop
    >>> glassnet.manual_seed(0)
    >>> RandomCrop(28, padding=2)(np.zeros((28, 28), np.uint8)).shape
    (28, 28)
    """

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill=0,
                 padding_mode: str = "constant"):
        self.size = _setup_size(size, "size", "RandomCrop")
        if padding is not None:
            F._parse_padding(padding, "RandomCrop")
        self.padding = padding
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError(f"RandomCrop: padding_mode should be constant, edge, reflect or "
                             f"symmetric, got {padding_mode!r}")
        self.pad_if_needed = pad_if_needed
        self.fill = _check_fill(fill, "RandomCrop")
        self.padding_mode = padding_mode

    @staticmethod
    def get_params(img, output_size) -> tuple:
        """Random ``(top, left, height, width)`` of an ``output_size`` window."""
        _, h, w = F.get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"RandomCrop: required crop size {(th, tw)} is larger than the "
                             f"input image size {(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        rng = _rng()
        i = int(rng.integers(0, h - th + 1))
        j = int(rng.integers(0, w - tw + 1))
        return i, j, th, tw

    def __call__(self, img):
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = F.get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = F.pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = F.pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        i, j, h, w = self.get_params(img, self.size)
        return F.crop(img, i, j, h, w)

    def extra_repr(self) -> str:
        return f"size={self.size}, padding={self.padding}"


class RandomResizedCrop(Transform):
    """Crop a random area and aspect ratio, then resize to ``size`` (Inception-style).

    Parameters
    ----------
    size : int or (int, int)
    scale : (float, float)
        Range of the crop's area as a fraction of the image's.
    ratio : (float, float)
        Range of the crop's aspect ratio (width / height), sampled log-uniformly.
    interpolation, antialias
        As in :class:`Resize`.

    Notes
    -----
    Szegedy et al., "Going deeper with convolutions", CVPR 2015, arXiv:1409.4842.
    """

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation="bilinear", antialias=True):
        self.size = _setup_size(size, "size", "RandomResizedCrop")
        self.scale = _check_range(scale, "scale", "RandomResizedCrop", 0.0)
        self.ratio = _check_range(ratio, "ratio", "RandomResizedCrop", 0.0)
        if self.ratio[0] <= 0:
            raise ValueError(f"RandomResizedCrop: ratio must be positive, got {ratio}")
        self.interpolation = F._mode(interpolation, "RandomResizedCrop")
        self.antialias = antialias

    @staticmethod
    def get_params(img, scale, ratio) -> tuple:
        """Random ``(top, left, height, width)``; central crop after 10 failed tries."""
        _, height, width = F.get_dimensions(img)
        area = height * width
        rng = _rng()
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            target_area = area * rng.uniform(scale[0], scale[1])
            aspect_ratio = math.exp(rng.uniform(log_ratio[0], log_ratio[1]))
            w = int(round(math.sqrt(target_area * aspect_ratio)))
            h = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < w <= width and 0 < h <= height:
                i = int(rng.integers(0, height - h + 1))
                j = int(rng.integers(0, width - w + 1))
                return i, j, h, w
        # Fallback to a central crop with the aspect ratio clipped into range.
        in_ratio = width / height
        if in_ratio < min(ratio):
            w = width
            h = int(round(w / min(ratio)))
        elif in_ratio > max(ratio):
            h = height
            w = int(round(h * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, img):
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, i, j, h, w, self.size, self.interpolation,
                              antialias=self.antialias)

    def extra_repr(self) -> str:
        return (f"size={self.size}, scale={self.scale}, ratio={self.ratio}, "
                f"interpolation={self.interpolation}")


class RandomHorizontalFlip(Transform):
    """Mirror left-right with probability ``p``."""

    def __init__(self, p: float = 0.5):
        self.p = _check_p(p, "RandomHorizontalFlip")

    def __call__(self, img):
        return F.hflip(img) if _rng().random() < self.p else img

    def extra_repr(self) -> str:
        return f"p={self.p}"


class RandomVerticalFlip(Transform):
    """Mirror top-bottom with probability ``p``."""

    def __init__(self, p: float = 0.5):
        self.p = _check_p(p, "RandomVerticalFlip")

    def __call__(self, img):
        return F.vflip(img) if _rng().random() < self.p else img

    def extra_repr(self) -> str:
        return f"p={self.p}"


class RandomRotation(Transform):
    """Rotate by an angle drawn uniformly from ``degrees`` (counter-clockwise).

    Parameters
    ----------
    degrees : float or (float, float)
        ``d`` means ``(-d, d)``.
    interpolation : str
        'nearest' (default) or 'bilinear' ('bicubic' too for PIL images).
    expand : bool
        Enlarge the output to hold the whole rotated image.
    center : (float, float), optional
        Centre of rotation ``(x, y)`` in pixels; default the image centre.
    fill : number or sequence
        Value of the pixels outside the rotated image.
    """

    def __init__(self, degrees, interpolation="nearest", expand: bool = False, center=None,
                 fill=0):
        self.degrees = _setup_angle(degrees, "degrees", "RandomRotation")
        self.interpolation = F._mode(interpolation, "RandomRotation")
        self.expand = expand
        if center is not None and (not isinstance(center, Sequence) or len(center) != 2):
            raise ValueError(f"RandomRotation: center should be a sequence of length 2, got "
                             f"{center!r}")
        self.center = center
        self.fill = _check_fill(fill, "RandomRotation")

    @staticmethod
    def get_params(degrees) -> float:
        return float(_rng().uniform(float(degrees[0]), float(degrees[1])))

    def __call__(self, img):
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, self.fill)

    def extra_repr(self) -> str:
        return (f"degrees={self.degrees}, interpolation={self.interpolation}, "
                f"expand={self.expand}, fill={self.fill}")


class RandomAffine(Transform):
    """Random rotation, translation, scale and shear, keeping the image size.

    Parameters
    ----------
    degrees : float or (float, float)
        Rotation range; ``d`` means ``(-d, d)``.
    translate : (float, float), optional
        Maximal shifts as fractions of width and height: ``dx`` is drawn from
        ``(-width * a, width * a)`` and rounded.
    scale : (float, float), optional
        Scale range.
    shear : float or sequence of 2 or 4 floats, optional
        x-shear range (``d`` means ``(-d, d)``), and with 4 values a y-shear range.
    interpolation, fill, center
        As in :class:`RandomRotation`.
    """

    def __init__(self, degrees, translate=None, scale=None, shear=None,
                 interpolation="nearest", fill=0, center=None):
        fn = "RandomAffine"
        self.degrees = _setup_angle(degrees, "degrees", fn)
        if translate is not None and (not isinstance(translate, Sequence) or len(translate) != 2
                                      or not all(0.0 <= t <= 1.0 for t in translate)):
            raise ValueError(f"{fn}: translate should be two fractions in [0, 1], got "
                             f"{translate!r}")
        self.translate = translate
        if scale is not None:
            if len(scale) != 2 or min(scale) <= 0:
                raise ValueError(f"{fn}: scale should be two positive values, got {scale!r}")
        self.scale = scale
        self.shear = None if shear is None else _setup_angle(shear, "shear", fn, (2, 4))
        self.interpolation = F._mode(interpolation, fn)
        self.fill = _check_fill(fill, fn)
        self.center = center

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size) -> tuple:
        """``(angle, (tx, ty), scale, (shear_x, shear_y))``; ``img_size`` is ``[w, h]``."""
        rng = _rng()
        angle = float(rng.uniform(degrees[0], degrees[1]))
        if translate is not None:
            max_dx = float(translate[0] * img_size[0])
            max_dy = float(translate[1] * img_size[1])
            tx = int(round(rng.uniform(-max_dx, max_dx)))
            ty = int(round(rng.uniform(-max_dy, max_dy)))
            translations = (tx, ty)
        else:
            translations = (0, 0)
        scale = 1.0 if scale_ranges is None else float(rng.uniform(*scale_ranges))
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = float(rng.uniform(shears[0], shears[1]))
            if len(shears) == 4:
                shear_y = float(rng.uniform(shears[2], shears[3]))
        return angle, translations, scale, (shear_x, shear_y)

    def __call__(self, img):
        _, height, width = F.get_dimensions(img)
        angle, translations, scale, shear = self.get_params(
            self.degrees, self.translate, self.scale, self.shear, [width, height])
        return F.affine(img, angle, list(translations), scale, list(shear),
                        self.interpolation, self.fill, self.center)

    def extra_repr(self) -> str:
        return (f"degrees={self.degrees}, translate={self.translate}, scale={self.scale}, "
                f"shear={self.shear}, interpolation={self.interpolation}, fill={self.fill}")
