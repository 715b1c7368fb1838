"""Base class and argument helpers shared by the transform classes."""
from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from glassnet.utils.data._random import get_sample_generator

__all__ = ["Transform"]


class Transform:
    """Base of glassnet's transforms: a callable with a readable ``repr``.

    Random transforms draw from :func:`glassnet.utils.data.get_sample_generator` (the
    current sample's stream inside a DataLoader, the default generator elsewhere).
    """

    def __call__(self, img):
        raise NotImplementedError(f"{type(self).__name__}: subclasses of Transform must "
                                  f"implement __call__")

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


def _rng() -> np.random.Generator:
    return get_sample_generator()


def _setup_size(size, name: str, fn: str) -> tuple:
    """An int or a 1/2-sequence -> ``(h, w)`` of positive ints."""
    if isinstance(size, numbers.Number):
        size = (int(size), int(size))
    elif isinstance(size, Sequence) and len(size) == 1:
        size = (int(size[0]), int(size[0]))
    elif not isinstance(size, Sequence) or len(size) != 2:
        raise ValueError(f"{fn}: {name} must be an int or a sequence of two ints (h, w), got "
                         f"{size!r}")
    size = (int(size[0]), int(size[1]))
    if min(size) <= 0:
        raise ValueError(f"{fn}: {name} must be positive, got {size}")
    return size


def _setup_angle(x, name: str, fn: str, req_sizes=(2,)) -> list:
    """A non-negative number ``d`` -> ``[-d, d]``; or a sequence of ``req_sizes`` floats."""
    if isinstance(x, numbers.Number):
        if x < 0:
            raise ValueError(f"{fn}: if {name} is a single number, it must be non-negative, "
                             f"got {x}")
        return [-float(x), float(x)]
    if not isinstance(x, Sequence) or len(x) not in req_sizes:
        sizes = " or ".join(str(s) for s in req_sizes)
        raise ValueError(f"{fn}: {name} should be a number or a sequence of length {sizes}, "
                         f"got {x!r}")
    return [float(d) for d in x]


def _check_range(value, name: str, fn: str, lo=None, hi=None) -> tuple:
    """A ``(min, max)`` pair within ``[lo, hi]``."""
    if not isinstance(value, Sequence) or len(value) != 2:
        raise TypeError(f"{fn}: {name} should be a sequence (min, max), got {value!r}")
    a, b = float(value[0]), float(value[1])
    if a > b or (lo is not None and a < lo) or (hi is not None and b > hi):
        raise ValueError(f"{fn}: {name} should be (min, max) with min <= max within "
                         f"[{lo}, {hi}], got {value!r}")
    return a, b


def _check_p(p, fn: str) -> float:
    if not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{fn}: p should be a probability in [0, 1], got {p!r}")
    return float(p)
