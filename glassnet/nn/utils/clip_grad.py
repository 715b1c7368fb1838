"""Gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_`` (``torch.nn.utils``).

Clipping the global gradient norm bounds the step size of SGD-like optimizers when a
loss surface has cliffs (Pascanu, Mikolov & Bengio 2013, "On the difficulty of
training recurrent neural networks", arXiv:1211.5063).
"""
from __future__ import annotations

import math

import numpy as np

from glassnet.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _as_list(parameters, fn: str) -> list:
    if isinstance(parameters, Tensor):
        return [parameters]
    try:
        params = list(parameters)
    except TypeError:
        raise TypeError(f"{fn}: parameters must be a Tensor or an iterable of Tensors, got "
                        f"{type(parameters).__name__}") from None
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"{fn}: parameters must contain Tensors, got "
                            f"{type(p).__name__}")
    return params


def _total_norm(grads, norm_type: float) -> float:
    """The ``norm_type``-norm of all gradients concatenated (float64)."""
    if norm_type == math.inf:
        return max(float(np.abs(g).max()) if g.size else 0.0 for g in grads)
    if norm_type == 0:
        return float(sum(np.count_nonzero(g) for g in grads))
    norms = np.array([np.sum(np.abs(g.astype(np.float64)) ** norm_type) for g in grads])
    return float(norms.sum() ** (1.0 / norm_type))


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Scale all gradients in place so that their global norm is at most ``max_norm``.

    The gradients are multiplied by ``min(1, max_norm / (total_norm + 1e-6))``.

    Parameters
    ----------
    parameters : Tensor or iterable of Tensors
        Tensors whose ``.grad`` is clipped; those without a gradient are skipped.
    max_norm : float
    norm_type : float
        p of the p-norm; ``math.inf`` for the max-norm.  Default 2.
    error_if_nonfinite : bool
        Raise RuntimeError when the total norm is nan or inf.
    foreach : ignored
        Accepted for PyTorch compatibility.

    Returns
    -------
    Tensor
        The total norm before clipping (0-d, in the gradients' dtype).

    Examples
    --------
    >>> import glassnet, glassnet.nn as nn
    >>> p = nn.Parameter(glassnet.zeros(2))
    >>> p.grad = glassnet.tensor([3.0, 4.0])
    >>> nn.utils.clip_grad_norm_([p], max_norm=1.0).item()
    5.0
    >>> [round(v, 4) for v in p.grad.tolist()]
    [0.6, 0.8]
    """
    params = _as_list(parameters, "clip_grad_norm_")
    max_norm = float(max_norm)
    norm_type = float(norm_type)
    grads = [p.grad._data for p in params if p.grad is not None]
    if not grads:
        return Tensor._wrap(np.array(0.0, np.float32))
    dtype = grads[0].dtype
    total = _total_norm(grads, norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} for "
                           f"gradients from `parameters` is non-finite, so it cannot be "
                           f"clipped. To disable this error and scale the gradients by the "
                           f"non-finite norm anyway, set `error_if_nonfinite=False`")
    # NOTE: 1e-6 keeps the division finite for a zero norm; the coefficient is clamped
    # to 1 so gradients are only ever shrunk (PyTorch's rule).
    clip_coef = min(max_norm / (total + 1e-6), 1.0)
    with np.errstate(invalid="ignore"):  # inf * 0 = nan for a non-finite norm, as torch
        for p in params:
            if p.grad is not None:
                p.grad._data *= np.asarray(clip_coef, p.grad.dtype)
    return Tensor._wrap(np.array(total, dtype))


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient in place to ``[-clip_value, clip_value]``.

    Parameters
    ----------
    parameters : Tensor or iterable of Tensors
    clip_value : float
        Must be >= 0.
    foreach : ignored
    """
    params = _as_list(parameters, "clip_grad_value_")
    clip_value = float(clip_value)
    if clip_value < 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value}")
    for p in params:
        if p.grad is not None:
            np.clip(p.grad._data, -clip_value, clip_value, out=p.grad._data)
