"""Dropout layers: ``Dropout``, ``Dropout1d/2d/3d``, ``AlphaDropout``,
``FeatureAlphaDropout``.

Active only in training mode (``module.train()``); in eval mode they return the input.
Masks come from glassnet's default generator (``glassnet.manual_seed``) unless a
``generator=`` (a ``numpy.random.Generator``, glassnet extra) is given.
"""
from __future__ import annotations

import numbers

import numpy as np

from glassnet.nn import functional as F
from glassnet.nn.module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
           "FeatureAlphaDropout"]


class _DropoutNd(Module):
    _fn = None

    def __init__(self, p: float = 0.5, inplace: bool = False, *, generator=None):
        super().__init__()
        name = type(self).__name__
        if isinstance(p, bool) or not isinstance(p, numbers.Real):
            raise TypeError(f"{name}: p must be a real number, got {type(p).__name__}")
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{name}: dropout probability has to be between 0 and 1, but "
                             f"got {p}")
        if generator is not None and not isinstance(generator, np.random.Generator):
            raise TypeError(f"{name}: generator must be a numpy.random.Generator, got "
                            f"{type(generator).__name__}")
        self.p = p
        self.inplace = inplace
        self.generator = generator

    def forward(self, input):
        return type(self)._fn(input, self.p, self.training, generator=self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``
    (inverted dropout, Srivastava et al. 2014, JMLR 15).

    Parameters
    ----------
    p : float
        Drop probability in [0, 1], default 0.5.
    inplace : bool
        Accepted for PyTorch compatibility; a new tensor is returned.
    generator : numpy.random.Generator, optional
        Keyword-only glassnet extra.

    Shape
    -----
    ``(*) -> (*)``.
    """

    _fn = staticmethod(F.dropout)


class Dropout1d(_DropoutNd):
    """Zero whole channels of 1-D feature maps with probability ``p``.

    Shape
    -----
    ``(N, C, L)`` or ``(C, L)`` -> same.
    """

    _fn = staticmethod(F.dropout1d)


class Dropout2d(_DropoutNd):
    """Zero whole channels of 2-D feature maps with probability ``p`` (spatial dropout,
    Tompson et al. 2015, arXiv:1411.4280).

    Shape
    -----
    ``(N, C, H, W)`` or ``(C, H, W)`` -> same.
    """

    _fn = staticmethod(F.dropout2d)


class Dropout3d(_DropoutNd):
    """Zero whole channels of 3-D feature maps with probability ``p``.

    Shape
    -----
    ``(N, C, D, H, W)`` or ``(C, D, H, W)`` -> same.
    """

    _fn = staticmethod(F.dropout3d)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps SELU activations at zero mean and unit variance (Klambauer et
    al. 2017, arXiv:1706.02515): dropped units are set to SELU's negative saturation
    and an affine correction is applied.

    Shape
    -----
    ``(*) -> (*)``.
    """

    _fn = staticmethod(F.alpha_dropout)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels: every element of a dropped ``input[n, c]`` takes
    SELU's negative saturation value, then the affine correction of
    :class:`AlphaDropout` is applied.

    Shape
    -----
    ``(N, C, *)`` -> same.
    """

    _fn = staticmethod(F.feature_alpha_dropout)
