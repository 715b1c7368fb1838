"""nn.functional: softmax, log_softmax, softmin and glu (normalising activations), with
``torch.nn.functional``'s names, arguments and defaults.

Each validates its arguments and calls one ``Function`` of :mod:`glassnet.ops.activation`.
"""
from __future__ import annotations

import warnings

from glassnet.nn._functional.activation import _float
from glassnet.ops import activation as _act
from glassnet.tensor import Tensor

__all__ = ["softmax", "log_softmax", "softmin", "glu"]


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit ``a * sigmoid(b)``, ``a, b`` the halves of ``input`` along ``dim``.

    Parameters
    ----------
    input : Tensor
        Floating tensor whose size along ``dim`` is even.
    dim : int
        The dimension to halve.

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(*1, M, *2)``; output: ``(*1, M / 2, *2)``.
    """
    input = _float(input, "glu")
    if input.ndim == 0:
        raise ValueError("glu: input must have at least 1 dimension, got a 0-D tensor")
    d = _act.normalize_dim(dim, input.ndim, "glu")
    if input.shape[d] % 2:
        raise ValueError(f"glu: input size along dim {dim} must be even, got "
                         f"{input.shape[d]} (input shape {tuple(input.shape)})")
    return _act.GLU.apply(input, dim=d)


# ---------------------------------------------------------------------------
# Softmax family
# ---------------------------------------------------------------------------
def _implicit_dim(dim, ndim: int, fn: str) -> int:
    if dim is not None:
        return dim
    # NOTE: PyTorch's deprecated implicit choice: dim 0 for 0-, 1- and 3-D inputs, else 1.
    warnings.warn(f"{fn}: implicit dimension choice is deprecated; pass dim=", UserWarning,
                  stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``, shifted by the max for stability.

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
    input = _float(input, "softmax")
    return _act.softmax(input, _implicit_dim(dim, input.ndim, "softmax"), dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype=None) -> Tensor:
    """``log(softmax(x))`` along ``dim``, computed stably as ``x - m - log(sum(exp(x - m)))``.

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
    input = _float(input, "log_softmax")
    return _act.log_softmax(input, _implicit_dim(dim, input.ndim, "log_softmax"),
                            dtype=dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    """``softmax(-x)`` along ``dim``.

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
    input = _float(input, "softmin")
    d = _implicit_dim(dim, input.ndim, "softmin")
    x, d, scalar = _act.prepare_softmax_input(input, d, dtype, "softmin")
    out = _act.Softmax.apply(x, dim=d, sign=-1)
    return out.reshape(()) if scalar else out
