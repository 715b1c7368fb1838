"""Weight constraints and penalties that PyTorch leaves to the user: ``max_norm_`` and
``l1_penalty``."""
from __future__ import annotations

import numpy as np

from glassnet.tensor import Tensor

__all__ = ["max_norm_", "l1_penalty"]


def _params(module_or_params, fn: str) -> list:
    from glassnet.nn.module import Module

    if isinstance(module_or_params, Module):
        return list(module_or_params.parameters())
    if isinstance(module_or_params, Tensor):
        return [module_or_params]
    try:
        params = list(module_or_params)
    except TypeError:
        raise TypeError(f"{fn}: expected a Module, a Tensor or an iterable of Tensors, got "
                        f"{type(module_or_params).__name__}") from None
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"{fn}: parameters must contain Tensors, got "
                            f"{type(p).__name__}")
    return params


def max_norm_(module_or_params, max_norm: float, dim: int = 0, norm_type: float = 2.0,
              eps: float = 1e-7) -> None:
    """Renormalise in place every slice ``w[i]`` along ``dim`` whose norm exceeds
    ``max_norm``, for every weight with 2 or more dimensions.

    With the default ``dim=0`` a slice is one output unit: a row of a Linear weight
    ``(out, in)`` or one filter of a Conv weight ``(out, in, kH, kW)``, i.e. the vector
    of weights coming into one unit.  This is the max-norm constraint used with
    dropout (Srivastava et al. 2014, "Dropout: A Simple Way to Prevent Neural Networks
    from Overfitting", JMLR 15, section 5.1), applied after each optimizer step.
    Biases and other 1-D parameters are skipped.  A slice with norm ``n > max_norm``
    is multiplied by ``max_norm / (n + eps)``, as ``torch.renorm`` does.

    Parameters
    ----------
    module_or_params : Module, Tensor or iterable of Tensors
    max_norm : float
        Must be > 0.
    dim : int
        The dimension indexing the constrained slices (default 0, output units).
    norm_type : float
        p of the p-norm (default 2).
    eps : float
        Added to the norm before dividing (default 1e-7, PyTorch's renorm constant).
    """
    fn = "max_norm_"
    max_norm = float(max_norm)
    if not max_norm > 0:
        raise ValueError(f"{fn}: max_norm must be > 0, got {max_norm}")
    if float(norm_type) <= 0:
        raise ValueError(f"{fn}: norm_type must be > 0, got {norm_type}")
    for p in _params(module_or_params, fn):
        if p.ndim < 2:
            continue
        if not -p.ndim <= dim < p.ndim:
            raise ValueError(f"{fn}: dim must be in [{-p.ndim}, {p.ndim - 1}] for a "
                             f"parameter of shape {tuple(p.shape)}, got {dim}")
        d = dim % p.ndim
        axes = tuple(a for a in range(p.ndim) if a != d)
        w = p._data.astype(np.float64)
        if norm_type == np.inf:
            norms = np.abs(w).max(axis=axes, keepdims=True)
        else:
            norms = (np.abs(w) ** norm_type).sum(axis=axes, keepdims=True) ** (1 / norm_type)
        scale = np.where(norms > max_norm, max_norm / (norms + eps), 1.0)
        p._data[...] = (w * scale).astype(p.dtype)
        p._bump()


def l1_penalty(parameters) -> Tensor:
    """``sum_i |w_i|`` over all given parameters, a differentiable scalar.

    Add ``lam * l1_penalty(model.parameters())`` to a loss for L1 regularisation
    (pass only the weights to leave biases unpenalised).

    Parameters
    ----------
    parameters : Module, Tensor or iterable of Tensors

    Returns
    -------
    Tensor
        0-d.
    """
    params = _params(parameters, "l1_penalty")
    if not params:
        raise ValueError("l1_penalty: parameters is empty")
    total = params[0].abs().sum()
    for p in params[1:]:
        total = total + p.abs().sum()
    return total
