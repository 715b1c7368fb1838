"""Dropout ops: the random mask is drawn by the caller and saved for backward.

Drawing the mask outside the Function keeps the randomness explicit (a numpy
``Generator``, the default one unless ``generator=`` is given) and lets one Function
serve element-wise and channel-wise (feature) dropout: the mask simply has size 1 on
the dims it broadcasts over.  The mask is always drawn on the host (a numpy array) and
each Function moves it to the input's array module (``xp.asarray``), so one seed gives
the same masks on CPU and GPU.  The validated public API is
:mod:`glassnet.nn._functional.dropout`.
"""
from __future__ import annotations

import math

import numpy as np

from glassnet.autograd import Function
from glassnet.backend import get_array_module

# Only Function classes and helpers live here.
__all__: list = []

# SELU's negative saturation value -scale * alpha = -1.7580993408473766 (Klambauer et al.,
# arXiv:1706.02515, eq. 14); PyTorch's alpha_dropout uses the same constant.
SELU_NEG_SAT = 1.7580993408473766


def keep_mask(rng: np.random.Generator, shape: tuple, p: float) -> np.ndarray:
    """Boolean Bernoulli(1 - p) mask: True where an element (or channel) is kept."""
    # NOTE: rng.random draws from [0, 1), so p = 0 keeps everything and p = 1 nothing.
    return rng.random(shape, dtype=np.float32) >= p


class Dropout(Function):
    """``y = x * mask``; ``mask`` (an attribute) is 0 or ``1 / (1 - p)`` and broadcasts."""

    def forward(self, x, mask):
        mask = get_array_module(x).asarray(mask)  # host-drawn mask to x's device
        self.mask = mask
        return x * mask

    def backward(self, g):
        return g * self.mask


class AlphaDropout(Function):
    """SELU-preserving dropout: dropped units are set to SELU's saturation value, then an
    affine map ``a * y + b`` restores zero mean and unit variance.

    With ``alpha' = 1.7580993408473766``, ``a = 1 / sqrt((alpha'^2 p + 1)(1 - p))``:
    kept units give ``a * x + a * alpha' * p``, dropped units ``a * alpha' * (p - 1)``
    (PyTorch's ``_dropout_impl``; Klambauer et al., arXiv:1706.02515, section 3.2).
    """

    def forward(self, x, keep, p):
        a = 1.0 / math.sqrt((SELU_NEG_SAT ** 2 * p + 1) * (1 - p))
        keep = get_array_module(x).asarray(keep).astype(x.dtype)  # host mask to x's device
        scale = keep * a
        shift = (keep - 1) * (SELU_NEG_SAT * a) + SELU_NEG_SAT * a * p
        self.scale = scale
        return x * scale + shift

    def backward(self, g):
        return g * self.scale
