"""torch functions that are other ops under another name or a short composition of them:
``moveaxis``, ``swapdims``, ``ravel``, ``fliplr``, ``flipud``, ``select``, ``argwhere``,
``det``, ``inverse``, ``slogdet``, ``index_add``, ``index_copy``, ``index_fill``,
``scatter``.

Each is differentiable exactly where its parts are (their gradients are checked by the
parts' registry rows and by ``tests/ops/test_composite.py`` against torch).
"""
from __future__ import annotations

import numpy as np

from glassnet._tensor_base import TensorBase as Tensor
from glassnet.ops import decomposition as _dec
from glassnet.ops import indexing as _ix
from glassnet.ops import inplace as _ip
from glassnet.ops import shape as _sh

__all__ = ["moveaxis", "swapdims", "ravel", "fliplr", "flipud", "select", "argwhere", "det",
           "inverse", "slogdet", "index_add", "index_copy", "index_fill", "scatter"]


def moveaxis(input: Tensor, source, destination) -> Tensor:
    """Alias of :func:`glassnet.movedim` (NumPy's name, as torch)."""
    return _sh.movedim(input, source, destination)


def swapdims(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Alias of :func:`glassnet.transpose`."""
    return _sh.transpose(input, dim0, dim1)


def ravel(input: Tensor) -> Tensor:
    """The elements as a 1-D tensor (``flatten()``)."""
    return _sh.flatten(input)


def fliplr(input: Tensor) -> Tensor:
    """Reverse the columns (dim 1); ``input`` must be at least 2-D."""
    if input.ndim < 2:
        raise ValueError(f"fliplr: input must be at least 2-D, got {input.ndim}-D")
    return _sh.flip(input, (1,))


def flipud(input: Tensor) -> Tensor:
    """Reverse the rows (dim 0); ``input`` must be at least 1-D."""
    if input.ndim < 1:
        raise ValueError("flipud: input must be at least 1-D, got a 0-D tensor")
    return _sh.flip(input, (0,))


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """``input[..., index, ...]`` with ``index`` at ``dim`` (the dim disappears); a view."""
    d = _sh._dim(dim, input.ndim, "select")
    return _ix.getitem(input, (slice(None),) * d + (int(index),))


def argwhere(input: Tensor) -> Tensor:
    """Indices of the non-zero elements, one row per element: ``nonzero()``."""
    return _ix.nonzero(input)


def det(input: Tensor) -> Tensor:
    """Determinant of a (batch of) square matrices: :func:`glassnet.linalg.det`."""
    return _dec.det(input)


def inverse(input: Tensor) -> Tensor:
    """Inverse of a (batch of) square matrices: :func:`glassnet.linalg.inv`."""
    return _dec.inv(input)


def slogdet(input: Tensor):
    """``(sign, logabsdet)``: :func:`glassnet.linalg.slogdet`."""
    return _dec.slogdet(input)


def _along(input: Tensor, dim: int, index, fn: str):
    d = _sh._dim(dim, input.ndim, fn)
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.ndim > 1 or idx.dtype.kind not in "iu":
        raise TypeError(f"{fn}: index must be a 1-D integer tensor, got dtype {idx.dtype} and "
                        f"{idx.ndim} dimensions")
    return d, (slice(None),) * d + (idx.astype(np.int64),)


def index_add(input: Tensor, dim: int, index, source: Tensor, *, alpha=1) -> Tensor:
    """``input`` with ``alpha * source`` added at ``index`` along ``dim`` (repeated indices
    add up).

    Shape
    -----
    input: ``(*, N, *)``; index: ``(K,)``; source: ``(*, K, *)``; output: as input.
    """
    _, where = _along(input, dim, index, "index_add")
    values = source if alpha == 1 else source * alpha
    return _ip.index_put(input, where, values, accumulate=True)


def index_copy(input: Tensor, dim: int, index, source: Tensor) -> Tensor:
    """``input`` with the slices at ``index`` along ``dim`` replaced by ``source``'s."""
    _, where = _along(input, dim, index, "index_copy")
    return _ip.index_put(input, where, source)


def index_fill(input: Tensor, dim: int, index, value) -> Tensor:
    """``input`` with the slices at ``index`` along ``dim`` set to ``value``."""
    _, where = _along(input, dim, index, "index_fill")
    return _ip.index_put(input, where, value)


def scatter(input: Tensor, dim: int, index, src=None, *, value=None, reduce=None) -> Tensor:
    """Out-of-place :meth:`Tensor.scatter_`: a copy of ``input`` with ``src`` (or
    ``value``) written at ``index`` along ``dim``."""
    from glassnet.ops.elementwise import clone

    return _ip.scatter_(clone(input), dim, index, src, value=value, reduce=reduce)
