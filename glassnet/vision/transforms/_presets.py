"""The evaluation preprocessing that torchvision's classification weights carry:
``weights.transforms()`` returns an :class:`ImageClassification`.

Pillow is imported only when the preset first runs, so importing the model zoo does not
need it.
"""
from __future__ import annotations

import numpy as np

from glassnet import nn
from glassnet.tensor import Tensor

__all__ = ["ImageClassification"]


class ImageClassification(nn.Module):
    """Resize, centre-crop, scale to [0, 1] and normalise an image, as torchvision's
    ``transforms._presets.ImageClassification``.

    The steps: resize the shorter side to ``resize_size`` (``interpolation``, with
    ``antialias``); crop the central ``crop_size`` x ``crop_size`` window; convert to
    float32 (uint8 divided by 255, floats kept); subtract ``mean`` and divide by ``std``
    per channel.

    Parameters
    ----------
    crop_size : int
        Side of the square output.
    resize_size : int
        Length the shorter side is resized to first.
    mean, std : sequence of float
        Per-channel normalisation (ImageNet's by default).
    interpolation : InterpolationMode or str
        Resize interpolation (bilinear by default).
    antialias : bool
        Antialias when downsampling tensors (PIL images always are).

    Shape
    -----
    - input: a PIL image, a uint8 numpy image ``(H, W, C)``, or a uint8/float Tensor
      ``(..., C, H, W)``.
    - output: float32 Tensor ``(..., C, crop_size, crop_size)``.

    Examples
    --------
    >>> import glassnet
    >>> preset = ImageClassification(crop_size=4, resize_size=6)
    >>> img = glassnet.full((3, 8, 12), 255, dtype=glassnet.uint8)
    >>> out = preset(img)
    >>> tuple(out.shape), [round(float(v), 4) for v in out[:, 0, 0]]
    ((3, 4, 4), [2.2489, 2.4286, 2.64])
    """

    def __init__(self, *, crop_size: int, resize_size: int = 256,
                 mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225),
                 interpolation="bilinear", antialias: bool | None = True):
        super().__init__()
        self.crop_size = [crop_size]
        self.resize_size = [resize_size]
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = interpolation
        self.antialias = antialias

    def forward(self, img):
        from glassnet.vision.transforms import functional as F

        img = F.resize(img, self.resize_size, interpolation=self.interpolation,
                       antialias=self.antialias)
        img = F.center_crop(img, self.crop_size)
        if not isinstance(img, Tensor):
            img = F.pil_to_tensor(img)
        arr = img._data
        if arr.dtype == np.uint8:
            # NOTE: divide (not multiply by 1/255), as torchvision's convert_image_dtype.
            arr = arr.astype(np.float32) / np.float32(255)
        elif arr.dtype.kind in "iu":
            arr = arr.astype(np.float32) / np.float32(np.iinfo(arr.dtype).max)
        elif arr.dtype.kind == "b":
            arr = arr.astype(np.float32)
        return F.normalize(Tensor._wrap(arr), mean=self.mean, std=self.std)

    def _mode_name(self) -> str:
        value = getattr(self.interpolation, "value", self.interpolation)
        return f"InterpolationMode.{str(value).upper().replace('-', '_')}"

    def extra_repr(self) -> str:
        return (f"crop_size={self.crop_size}, resize_size={self.resize_size}, "
                f"mean={self.mean}, std={self.std}, interpolation={self._mode_name()}")

    def describe(self) -> str:
        """What the preset does, in words (torchvision's ``describe``)."""
        return ("Accepts PIL.Image, batched (B, C, H, W) and single (C, H, W) image "
                "Tensors. The images are resized to "
                f"resize_size={self.resize_size} using "
                f"interpolation={self._mode_name()}, followed by a central crop of "
                f"crop_size={self.crop_size}. Finally the values are first rescaled to "
                f"[0.0, 1.0] and then normalized using mean={self.mean} and "
                f"std={self.std}.")
