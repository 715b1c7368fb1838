"""``parameters_to_vector`` and ``vector_to_parameters`` (``torch.nn.utils``)."""
from __future__ import annotations

from glassnet.ops.shape import cat
from glassnet.tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters) -> Tensor:
    """Concatenate the flattened parameters into one 1-D tensor (differentiable).

    Shape
    -----
    output: ``(sum of numel,)``
    """
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    if not params:
        raise ValueError("parameters_to_vector: parameters is empty")
    return cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Copy consecutive slices of ``vec`` into the parameters, in place.

    NOTE: PyTorch rebinds each ``param.data`` to a view of ``vec``; glassnet copies the
    values so that the parameters never alias ``vec``.

    Shape
    -----
    vec: ``(sum of numel,)``
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected vec to be a Tensor, got "
                        f"{type(vec).__name__}")
    if vec.ndim != 1:
        raise ValueError(f"vector_to_parameters: vec must have shape (N,), got "
                         f"{tuple(vec.shape)}")
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    total = sum(p.numel() for p in params)
    if vec.numel() != total:
        raise ValueError(f"vector_to_parameters: vec must have {total} elements (the total "
                         f"size of parameters), got {vec.numel()}")
    start = 0
    for p in params:
        n = p.numel()
        p._data[...] = vec._data[start:start + n].reshape(p.shape).astype(p.dtype, copy=False)
        p._bump()
        start += n
