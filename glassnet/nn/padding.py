"""Padding layers (``torch.nn``): ``ZeroPad1d/2d/3d``, ``ConstantPad1d/2d/3d``,
``ReflectionPad1d/2d/3d``, ``ReplicationPad1d/2d/3d``, ``CircularPad1d/2d/3d``.

Each pads the last ``d`` dimensions (``d`` = 1, 2, 3) of its input by calling
``nn.functional.pad``.  ``padding`` is an int (the same on every side) or a tuple
``(left, right[, top, bottom[, front, back]])`` ordered from the last dimension
backwards, as ``F.pad``; a negative entry crops that side (applied first, as PyTorch).
Constant and zero padding take any input with at least ``d``
dimensions; reflection, replication and circular padding take a batched
``(N, C, *spatial)`` or unbatched ``(C, *spatial)`` input, as PyTorch.

Shape
-----
For ``ZeroPad2d((left, right, top, bottom))``:

- input: ``(N, C, H_in, W_in)`` or ``(C, H_in, W_in)``
- output: ``(N, C, H_out, W_out)``, ``H_out = H_in + top + bottom``,
  ``W_out = W_in + left + right``
"""
from __future__ import annotations

import numbers

import numpy as np

from glassnet.nn import functional as F
from glassnet.nn.module import Module
from glassnet.tensor import Tensor

__all__ = [
    "ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d",
    "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
    "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d",
    "CircularPad2d", "CircularPad3d",
]


def _padding_tuple(padding, nd: int, fn: str) -> tuple:
    """``padding`` as a tuple of ``2 nd`` ints (an int is repeated)."""
    def is_int(v):
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

    if is_int(padding):
        return (int(padding),) * (2 * nd)
    if isinstance(padding, (tuple, list)) and all(is_int(p) for p in padding):
        if len(padding) != 2 * nd:
            raise ValueError(f"{fn}: padding must be an int or a tuple of {2 * nd} ints, got "
                             f"{len(padding)} values {tuple(padding)}")
        return tuple(int(p) for p in padding)
    raise TypeError(f"{fn}: padding must be an int or a tuple of {2 * nd} ints, got "
                    f"{padding!r}")


def _crop_negative(input, padding, name: str):
    """Apply the negative entries of ``padding`` as crops; return the cropped input and
    the remaining (non-negative) padding.

    NOTE: PyTorch crops first and pads the cropped tensor (so a circular pad wraps the
    cropped signal); ``F.pad`` here rejects negative constant padding.
    """
    if all(p >= 0 for p in padding):
        return input, padding
    index = [slice(None)] * input.ndim
    for i in range(len(padding) // 2):
        axis = input.ndim - 1 - i
        size, lo, hi = input.shape[axis], padding[2 * i], padding[2 * i + 1]
        start, stop = max(-lo, 0), size - max(-hi, 0)
        if stop <= start:
            raise ValueError(f"{name}: padding ({lo}, {hi}) removes the whole dimension of "
                             f"size {size} (input shape {tuple(input.shape)})")
        index[axis] = slice(start, stop)
    return input[tuple(index)], tuple(max(p, 0) for p in padding)


class _PadNd(Module):
    """Shared constructor, input checks and forward of the padding layers."""

    _nd = 1
    _mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _padding_tuple(padding, self._nd, type(self).__name__)

    def _check_input(self, input):
        """Check ``input``; return it with negative padding cropped, and the padding
        left to apply."""
        name, nd = type(self).__name__, self._nd
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        if self._mode == "constant":
            if input.ndim < nd:
                raise ValueError(f"{name}: expected an input with at least {nd} dimensions, "
                                 f"got {input.ndim}D input of shape {tuple(input.shape)}")
            return _crop_negative(input, self.padding, name)
        if input.ndim not in (nd + 1, nd + 2):
            raise ValueError(f"{name}: expected {nd + 1}D or {nd + 2}D input (got "
                             f"{input.ndim}D input of shape {tuple(input.shape)})")
        input, padding = _crop_negative(input, self.padding, name)
        if self._mode == "circular":
            for i in range(nd):
                size = input.shape[input.ndim - 1 - i]
                lo, hi = padding[2 * i], padding[2 * i + 1]
                if lo > size or hi > size:
                    raise ValueError(f"{name}: padding ({lo}, {hi}) wraps around more than "
                                     f"once a dimension of size {size} (input shape "
                                     f"{tuple(input.shape)})")
        return input, padding

    def forward(self, input):
        input, padding = self._check_input(input)
        return F.pad(input, padding, mode=self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float):
        super().__init__(padding)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{type(self).__name__}: value must be a real number, got "
                            f"{type(value).__name__}")
        self.value = value

    def forward(self, input):
        input, padding = self._check_input(input)
        return F.pad(input, padding, mode="constant", value=self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dimension with ``value``.

    Parameters
    ----------
    padding : int or (left, right)
    value : float

    Shape
    -----
    - input: ``(*, W_in)``; output: ``(*, W_in + left + right)``

    Examples
    --------
    >>> import glassnet, glassnet.nn as nn
    >>> nn.ConstantPad1d((1, 2), 3.5)(glassnet.zeros(1, 2)).tolist()
    [[3.5, 0.0, 0.0, 3.5, 3.5]]
    """

    _nd = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dimensions with ``value``.

    Parameters
    ----------
    padding : int or (left, right, top, bottom)
    value : float

    Shape
    -----
    - input: ``(*, H_in, W_in)``; output: ``(*, H_in + top + bottom, W_in + left + right)``
    """

    _nd = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dimensions with ``value``.

    Parameters
    ----------
    padding : int or (left, right, top, bottom, front, back)
    value : float

    Shape
    -----
    - input: ``(*, D_in, H_in, W_in)``; output: ``(*, D_in + front + back, H_in + top +
      bottom, W_in + left + right)``
    """

    _nd = 3


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd):
    """Pad the last dimension with zeros.

    Parameters
    ----------
    padding : int or (left, right)

    Shape
    -----
    - input: ``(*, W_in)``; output: ``(*, W_in + left + right)``
    """

    _nd = 1


class ZeroPad2d(_ZeroPadNd):
    """Pad the last two dimensions with zeros.

    Parameters
    ----------
    padding : int or (left, right, top, bottom)

    Shape
    -----
    - input: ``(*, H_in, W_in)``; output: ``(*, H_in + top + bottom, W_in + left + right)``

    Examples
    --------
    >>> import glassnet, glassnet.nn as nn
    >>> nn.ZeroPad2d((1, 0, 0, 1))(glassnet.ones(1, 1, 1, 1)).tolist()
    [[[[0.0, 1.0], [0.0, 0.0]]]]
    """

    _nd = 2


class ZeroPad3d(_ZeroPadNd):
    """Pad the last three dimensions with zeros.

    Parameters
    ----------
    padding : int or (left, right, top, bottom, front, back)

    Shape
    -----
    - input: ``(*, D_in, H_in, W_in)``; output: ``(*, D_out, H_out, W_out)``
    """

    _nd = 3


class ReflectionPad1d(_PadNd):
    """Pad the last dimension with the reflection of the input (the edge not repeated):
    ``[1, 2, 3]`` padded by 2 on the left gives ``[3, 2, 1, 2, 3]``.

    Parameters
    ----------
    padding : int or (left, right)
        Each smaller than the padded dimension.

    Shape
    -----
    - input: ``(N, C, W_in)`` or ``(C, W_in)``; output: ``(N, C, W_in + left + right)``
    """

    _nd = 1
    _mode = "reflect"


class ReflectionPad2d(_PadNd):
    """Reflection padding of the last two dimensions; see :class:`ReflectionPad1d`.

    Parameters
    ----------
    padding : int or (left, right, top, bottom)

    Shape
    -----
    - input: ``(N, C, H_in, W_in)`` or ``(C, H_in, W_in)``
    - output: ``(N, C, H_in + top + bottom, W_in + left + right)``

    Examples
    --------
    >>> import glassnet, glassnet.nn as nn
    >>> nn.ReflectionPad2d((2, 0, 0, 0))(glassnet.tensor([[[1.0, 2.0, 3.0]]])).tolist()
    [[[3.0, 2.0, 1.0, 2.0, 3.0]]]
    """

    _nd = 2
    _mode = "reflect"


class ReflectionPad3d(_PadNd):
    """Reflection padding of the last three dimensions; see :class:`ReflectionPad1d`.

    Parameters
    ----------
    padding : int or (left, right, top, bottom, front, back)

    Shape
    -----
    - input: ``(N, C, D_in, H_in, W_in)`` or ``(C, D_in, H_in, W_in)``
    - output: ``(N, C, D_out, H_out, W_out)``
    """

    _nd = 3
    _mode = "reflect"


class ReplicationPad1d(_PadNd):
    """Pad the last dimension by repeating the edge value.

    Parameters
    ----------
    padding : int or (left, right)

    Shape
    -----
    - input: ``(N, C, W_in)`` or ``(C, W_in)``; output: ``(N, C, W_in + left + right)``
    """

    _nd = 1
    _mode = "replicate"


class ReplicationPad2d(_PadNd):
    """Replication padding of the last two dimensions; see :class:`ReplicationPad1d`.

    Parameters
    ----------
    padding : int or (left, right, top, bottom)

    Shape
    -----
    - input: ``(N, C, H_in, W_in)`` or ``(C, H_in, W_in)``
    - output: ``(N, C, H_in + top + bottom, W_in + left + right)``
    """

    _nd = 2
    _mode = "replicate"


class ReplicationPad3d(_PadNd):
    """Replication padding of the last three dimensions; see :class:`ReplicationPad1d`.

    Parameters
    ----------
    padding : int or (left, right, top, bottom, front, back)

    Shape
    -----
    - input: ``(N, C, D_in, H_in, W_in)`` or ``(C, D_in, H_in, W_in)``
    - output: ``(N, C, D_out, H_out, W_out)``
    """

    _nd = 3
    _mode = "replicate"


class CircularPad1d(_PadNd):
    """Pad the last dimension periodically (wrap around): ``[1, 2, 3]`` padded by 1
    gives ``[3, 1, 2, 3, 1]``.

    Parameters
    ----------
    padding : int or (left, right)
        Each at most the padded dimension.

    Shape
    -----
    - input: ``(N, C, W_in)`` or ``(C, W_in)``; output: ``(N, C, W_in + left + right)``
    """

    _nd = 1
    _mode = "circular"


class CircularPad2d(_PadNd):
    """Circular padding of the last two dimensions; see :class:`CircularPad1d`.

    Parameters
    ----------
    padding : int or (left, right, top, bottom)

    Shape
    -----
    - input: ``(N, C, H_in, W_in)`` or ``(C, H_in, W_in)``
    - output: ``(N, C, H_in + top + bottom, W_in + left + right)``
    """

    _nd = 2
    _mode = "circular"


class CircularPad3d(_PadNd):
    """Circular padding of the last three dimensions; see :class:`CircularPad1d`.

    Parameters
    ----------
    padding : int or (left, right, top, bottom, front, back)

    Shape
    -----
    - input: ``(N, C, D_in, H_in, W_in)`` or ``(C, D_in, H_in, W_in)``
    - output: ``(N, C, D_out, H_out, W_out)``
    """

    _nd = 3
    _mode = "circular"
