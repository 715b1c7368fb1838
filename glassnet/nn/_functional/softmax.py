"""nn.functional: softmax, log_softmax, softmin and glu (normalising activations), with
``torch.nn.functional``'s names, arguments and defaults.

``softmax`` and ``log_softmax`` are the one public wrapper in :mod:`glassnet.ops.softmax`
(also ``glassnet.softmax`` and ``Tensor.softmax``); the others validate their arguments and
call one ``Function`` of that module.
"""
from __future__ import annotations

from glassnet.nn._functional.activation import _float
from glassnet.ops import activation as _act
from glassnet.ops import softmax as _smx
from glassnet.ops.softmax import _implicit_dim, log_softmax, softmax  # noqa: F401
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
    d = _smx.normalize_dim(dim, input.ndim, "glu")
    if input.shape[d] % 2:
        raise ValueError(f"glu: input size along dim {dim} must be even, got "
                         f"{input.shape[d]} (input shape {tuple(input.shape)})")
    return _act.GLU.apply(input, dim=d)


# ---------------------------------------------------------------------------
# Softmax family
# ---------------------------------------------------------------------------
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
    x, d, scalar = _smx.prepare_softmax_input(input, d, dtype, "softmin")
    out = _smx.Softmax.apply(x, dim=d, sign=-1)
    return out.reshape(()) if scalar else out
