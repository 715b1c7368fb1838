"""Type conversions and normalisation: ``ToTensor``, ``PILToTensor``, ``ToPILImage``,
``Normalize`` (torchvision names and semantics)."""
from __future__ import annotations

import numpy as np

from glassnet.vision.transforms import functional as F
from glassnet.vision.transforms._base import Transform

__all__ = ["ToTensor", "PILToTensor", "ToPILImage", "Normalize"]


class ToTensor(Transform):
    """PIL Image or numpy ``(H, W[, C])`` -> Tensor ``(C, H, W)``; uint8 scaled to [0, 1].

    uint8 inputs become float32 in [0, 1]; other dtypes are converted without scaling.

    Shape
    -----
    - input ``(H, W, C)`` or ``(H, W)``; output ``(C, H, W)`` or ``(1, H, W)``.

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.vision.transforms import ToTensor
    >>> x = ToTensor()(np.array([[0, 255]], np.uint8))
    >>> tuple(x.shape), x.dtype, x.data.tolist()
    ((1, 1, 2), dtype('float32'), [[[0.0, 1.0]]])
    """

    def __call__(self, pic):
        return F.to_tensor(pic)


class PILToTensor(Transform):
    """PIL Image -> Tensor ``(C, H, W)`` of the same dtype, without scaling."""

    def __call__(self, pic):
        return F.pil_to_tensor(pic)


class ToPILImage(Transform):
    """Tensor ``(C, H, W)`` or numpy ``(H, W[, C])`` -> PIL Image (floats times 255)."""

    def __init__(self, mode: str | None = None):
        self.mode = mode

    def __call__(self, pic):
        return F.to_pil_image(pic, self.mode)

    def extra_repr(self) -> str:
        return f"mode={self.mode}" if self.mode is not None else ""


class Normalize(Transform):
    """``output[c] = (input[c] - mean[c]) / std[c]`` on a float Tensor ``(..., C, H, W)``.

    Parameters
    ----------
    mean, std : sequence of float
        One value per channel (or one for all).
    inplace : bool
        Modify the input tensor.
    """

    def __init__(self, mean, std, inplace: bool = False):
        self.mean = tuple(np.atleast_1d(np.asarray(mean, np.float64)).tolist())
        self.std = tuple(np.atleast_1d(np.asarray(std, np.float64)).tolist())
        if any(s == 0 for s in self.std):
            raise ValueError(f"Normalize: std must be non-zero, got {self.std}")
        self.inplace = inplace

    def __call__(self, tensor):
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def extra_repr(self) -> str:
        return f"mean={self.mean}, std={self.std}"
