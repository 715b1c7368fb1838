"""Image transforms with ``torchvision.transforms`` names, arguments and semantics.

Every transform accepts a PIL Image, a numpy image ``(H, W)``/``(H, W, C)`` (uint8
arrays go through Pillow, as PIL images do) or a glassnet Tensor ``(..., C, H, W)``
(vectorised numpy kernels reproducing torchvision's tensor path), and returns the same
type, except the conversions (``ToTensor``, ``PILToTensor``, ``ToPILImage``).

Random transforms draw from :func:`glassnet.utils.data.get_sample_generator`: inside a
:class:`~glassnet.utils.data.DataLoader` that is a per-sample stream (so results do not
depend on worker threads), elsewhere glassnet's default generator (so
``glassnet.manual_seed`` makes them reproducible).
"""
from __future__ import annotations

from glassnet.vision.transforms import functional  # noqa: F401
from glassnet.vision.transforms._base import Transform
from glassnet.vision.transforms.color import (ColorJitter, GaussianBlur, Grayscale, PCALighting,
                                            RandomErasing, RandomGrayscale)
from glassnet.vision.transforms.containers import (Compose, Lambda, RandomApply, RandomChoice,
                                                 RandomOrder)
from glassnet.vision.transforms.conversion import Normalize, PILToTensor, ToPILImage, ToTensor
from glassnet.vision.transforms.functional import InterpolationMode
from glassnet.vision.transforms.geometric import (CenterCrop, Pad, RandomAffine, RandomCrop,
                                                RandomHorizontalFlip, RandomResizedCrop,
                                                RandomRotation, RandomVerticalFlip, Resize)

__all__ = [
    "Transform", "InterpolationMode", "Compose", "Lambda", "RandomApply", "RandomChoice",
    "RandomOrder", "ToTensor", "PILToTensor", "ToPILImage", "Normalize", "Resize",
    "CenterCrop", "Pad", "RandomCrop", "RandomResizedCrop", "RandomHorizontalFlip",
    "RandomVerticalFlip", "RandomRotation", "RandomAffine", "ColorJitter", "Grayscale",
    "RandomGrayscale", "GaussianBlur", "RandomErasing", "PCALighting", "functional",
]
