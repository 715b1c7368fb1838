"""Composition transforms: ``Compose``, ``Lambda``, ``RandomApply``, ``RandomChoice``,
``RandomOrder`` (torchvision names and semantics)."""
from __future__ import annotations

from glassnet.vision.transforms._base import Transform, _check_p, _rng

__all__ = ["Compose", "Lambda", "RandomApply", "RandomChoice", "RandomOrder"]


def _check_transforms(transforms, fn: str) -> list:
    try:
        transforms = list(transforms)
    except TypeError:
        raise TypeError(f"{fn}: transforms must be a sequence of callables, got "
                        f"{type(transforms).__name__}") from None
    for k, t in enumerate(transforms):
        if not callable(t):
            raise TypeError(f"{fn}: transforms[{k}] must be callable, got {type(t).__name__}")
    return transforms


def _list_repr(name: str, transforms, head: str = "") -> str:
    lines = [f"{name}("] + ([f"    {head}"] if head else []) + [f"    {t}" for t in transforms]
    return "\n".join(lines) + "\n)"


class Compose(Transform):
    """Apply ``transforms`` one after another.

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.vision import transforms as T
    >>> t = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])
    >>> x = t(np.full((2, 2), 255, np.uint8))
    >>> tuple(x.shape), float(x.data.max())
    ((1, 2, 2), 1.0)
    """

    def __init__(self, transforms):
        self.transforms = _check_transforms(transforms, "Compose")

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        return _list_repr(type(self).__name__, self.transforms)


class Lambda(Transform):
    """Apply a user function ``lambd(img)``."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Lambda: argument should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)


class RandomApply(Transform):
    """Apply the list of ``transforms`` (all of them) with probability ``p``."""

    def __init__(self, transforms, p: float = 0.5):
        self.transforms = _check_transforms(transforms, "RandomApply")
        self.p = _check_p(p, "RandomApply")

    def __call__(self, img):
        if self.p < _rng().random():
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        return _list_repr(type(self).__name__, self.transforms, f"p={self.p}")


class RandomChoice(Transform):
    """Apply one transform picked at random (with weights ``p``, default uniform)."""

    def __init__(self, transforms, p=None):
        self.transforms = _check_transforms(transforms, "RandomChoice")
        if not self.transforms:
            raise ValueError("RandomChoice: transforms must not be empty")
        if p is not None:
            p = [float(v) for v in p]
            if len(p) != len(self.transforms) or min(p) < 0 or sum(p) <= 0:
                raise ValueError(f"RandomChoice: p must be {len(self.transforms)} "
                                 f"non-negative weights, not all zero, got {p}")
        self.p = p

    def __call__(self, img):
        weights = None if self.p is None else [w / sum(self.p) for w in self.p]
        k = int(_rng().choice(len(self.transforms), p=weights))
        return self.transforms[k](img)

    def __repr__(self) -> str:
        return _list_repr(type(self).__name__, self.transforms) + f"(p={self.p})"


class RandomOrder(Transform):
    """Apply all ``transforms`` in a random order."""

    def __init__(self, transforms):
        self.transforms = _check_transforms(transforms, "RandomOrder")

    def __call__(self, img):
        for k in _rng().permutation(len(self.transforms)):
            img = self.transforms[int(k)](img)
        return img

    def __repr__(self) -> str:
        return _list_repr(type(self).__name__, self.transforms)
