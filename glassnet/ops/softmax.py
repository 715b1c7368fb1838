"""Softmax and log-softmax: the Functions (max-shifted for stability) and their one
public wrapper each (``glassnet.softmax``, ``Tensor.softmax``, ``nn.functional.softmax``).
"""
from __future__ import annotations

import warnings

import numpy as np

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet._tensor_base import TensorBase as Tensor
from glassnet.ops.activation import _as_float

__all__ = ["softmax", "log_softmax"]


# ---------------------------------------------------------------------------
# Softmax family
# ---------------------------------------------------------------------------
class Softmax(Function):
    """``softmax(sign * x)`` along ``dim``; ``sign = -1`` gives softmin."""

    def forward(self, x, dim, sign=1):
        xp = get_array_module(x)
        z = x * sign if sign != 1 else x
        # NOTE: subtract the max along dim so that exp never overflows (softmax is
        # invariant to a constant shift).
        e = xp.exp(z - z.max(axis=dim, keepdims=True))
        out = e / e.sum(axis=dim, keepdims=True)
        self.out, self.dim, self.sign = out, dim, sign
        return out

    def backward(self, g):
        y = self.out
        gx = y * (g - (g * y).sum(axis=self.dim, keepdims=True))
        return -gx if self.sign != 1 else gx


class LogSoftmax(Function):
    def forward(self, x, dim):
        xp = get_array_module(x)
        # NOTE: log_softmax = (x - m) - log(sum(exp(x - m))) with m = max: stable for
        # large logits, and never takes log(0) as log(softmax) would.
        z = x - x.max(axis=dim, keepdims=True)
        out = z - xp.log(xp.exp(z).sum(axis=dim, keepdims=True))
        self.out, self.dim = out, dim
        return out

    def backward(self, g):
        xp = get_array_module(g)
        return g - xp.exp(self.out) * g.sum(axis=self.dim, keepdims=True)


# ---------------------------------------------------------------------------
# Public wrappers
# ---------------------------------------------------------------------------
def normalize_dim(dim, ndim: int, fn: str) -> int:
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{fn}: dim must be an int, got {type(dim).__name__}")
    lim = max(ndim, 1)
    if not -lim <= dim < lim:
        raise IndexError(f"{fn}: dim must be in [{-lim}, {lim - 1}] for a {ndim}-D input, "
                         f"got {dim}")
    return int(dim) % lim


def prepare_softmax_input(input, dim, dtype, fn):
    from glassnet.ops.elementwise import cast

    input = _as_float(input, fn)
    if dtype is not None and np.dtype(dtype) != input.dtype:
        input = cast(input, np.dtype(dtype))
    if input.ndim == 0:
        from glassnet.ops.shape import reshape

        return reshape(input, (1,)), 0, True
    return input, normalize_dim(dim, input.ndim, fn), False


def _implicit_dim(dim, ndim: int, fn: str) -> int:
    if dim is not None:
        return dim
    # NOTE: PyTorch's deprecated implicit choice: dim 0 for 0-, 1- and 3-D inputs, else 1.
    warnings.warn(f"{fn}: implicit dimension choice is deprecated; pass dim=", UserWarning,
                  stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_input(input, dim, dtype, fn):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}: input must be a Tensor, got {type(input).__name__}")
    if dtype is None and input.dtype.kind != "f":
        raise TypeError(f"{fn}: input dtype must be floating point (or pass dtype=), got "
                        f"{input.dtype}")
    return prepare_softmax_input(input, _implicit_dim(dim, input.ndim, fn), dtype, fn)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``, shifted by the max for stability.

    ``glassnet.softmax``, ``Tensor.softmax`` and ``nn.functional.softmax`` are this
    function.

    Parameters
    ----------
    input : Tensor
        Floating tensor.
    dim : int
        Dimension along which the outputs sum to 1 (None: PyTorch's deprecated implicit
        choice, with a warning).
    _stacklevel : int
        Unused, kept for PyTorch's positional order.
    dtype : dtype, optional
        Cast the input to this dtype first.

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(*)``; output: ``(*)``.

    Examples
    --------
    >>> import glassnet, glassnet.nn.functional as F
    >>> F.softmax(glassnet.tensor([0.0, 0.0]), dim=0).tolist()
    [0.5, 0.5]
    """
    x, d, scalar = _softmax_input(input, dim, dtype, "softmax")
    out = Softmax.apply(x, dim=d)
    return out.reshape(()) if scalar else out


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype=None) -> Tensor:
    """``log(softmax(x))`` along ``dim``, computed stably as ``x - m - log(sum(exp(x - m)))``.

    ``glassnet.log_softmax``, ``Tensor.log_softmax`` and ``nn.functional.log_softmax``
    are this function.

    Parameters
    ----------
    input : Tensor
        Floating tensor.
    dim : int
        The softmax dimension (None: PyTorch's deprecated implicit choice).
    _stacklevel : int
        Unused, kept for PyTorch's positional order.
    dtype : dtype, optional
        Cast the input to this dtype first.

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(*)``; output: ``(*)``.
    """
    x, d, scalar = _softmax_input(input, dim, dtype, "log_softmax")
    out = LogSoftmax.apply(x, dim=d)
    return out.reshape(()) if scalar else out
