"""Random draws from a tensor of probabilities: ``bernoulli`` and ``multinomial``
(not differentiable, as in torch)."""
from __future__ import annotations

import numpy as np

from glassnet._tensor_base import TensorBase as Tensor
from glassnet.backend import default_generator

__all__ = ["bernoulli", "multinomial"]


def bernoulli(input: Tensor, p=None, *, generator=None) -> Tensor:
    """0/1 draws with probabilities ``input`` (or the scalar ``p``), in ``input``'s dtype.

    Not differentiable.
    """
    if not isinstance(input, Tensor) or input.dtype.kind != "f":
        raise TypeError(f"bernoulli: input must be a floating Tensor, got "
                        f"{getattr(input, 'dtype', type(input).__name__)}")
    prob = input._data if p is None else np.full(input.shape, p)
    if prob.size and not ((prob >= 0).all() and (prob <= 1).all()):
        raise ValueError("bernoulli: probabilities must be in [0, 1]")
    rng = generator or default_generator()
    return Tensor._wrap((rng.random(input.shape) < prob).astype(input.dtype))


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator=None) -> Tensor:
    """Indices drawn from the categorical distributions in the rows of ``input``.

    ``input`` holds non-negative weights (not necessarily normalised), shape ``(K,)``
    or ``(N, K)``; the result is int64 of shape ``(num_samples,)`` or
    ``(N, num_samples)``.  Without ``replacement`` each row's indices are distinct.
    """
    fn = "multinomial"
    if not isinstance(input, Tensor) or input.ndim not in (1, 2):
        raise ValueError(f"{fn}: input must be a 1-D or 2-D Tensor, got "
                         f"{getattr(input, 'shape', type(input).__name__)}")
    w = input._data.astype(np.float64).reshape(-1, input.shape[-1])
    if (w < 0).any() or not np.isfinite(w).all():
        raise ValueError(f"{fn}: weights must be finite and non-negative")
    if (w.sum(axis=1) <= 0).any():
        raise ValueError(f"{fn}: every row of weights must have a positive sum")
    if not replacement and num_samples > int((w > 0).sum(axis=1).min()):
        raise ValueError(f"{fn}: cannot sample {num_samples} > number of categories with "
                         f"non-zero weight without replacement")
    rng = generator or default_generator()
    rows = [rng.choice(w.shape[1], num_samples, replace=replacement, p=row / row.sum())
            for row in w]
    out = np.asarray(rows, dtype=np.int64)
    return Tensor._wrap(out[0] if input.ndim == 1 else out)
