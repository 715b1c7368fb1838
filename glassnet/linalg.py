"""``glassnet.linalg``: PyTorch's ``torch.linalg`` namespace.

Examples
--------
>>> import glassnet
>>> glassnet.linalg.vector_norm(glassnet.tensor([3., 4.])).item()
5.0
"""
from __future__ import annotations

from glassnet.ops.decomposition import (  # noqa: F401
    det, inv, matrix_norm, norm, slogdet, solve, svdvals, vector_norm,
)
from glassnet.ops.linalg import diagonal as _diagonal
from glassnet.ops.linalg import cross as _cross
from glassnet.ops.linalg import matmul  # noqa: F401

__all__ = ["vector_norm", "matrix_norm", "norm", "inv", "det", "slogdet", "solve",
           "svdvals", "cross", "diagonal", "matmul", "vecdot"]


def cross(input, other, *, dim=-1):
    """Cross product of 3-vectors along ``dim`` (default -1, unlike ``glassnet.cross``)."""
    return _cross(input, other, dim=dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The ``offset`` diagonal of the matrices over the last two dims."""
    return _diagonal(A, offset, dim1, dim2)


def vecdot(x, y, *, dim=-1):
    """``sum(x * y, dim)`` (real inputs)."""
    from glassnet.ops.elementwise import mul
    from glassnet.ops.reduce import sum as _sum

    return _sum(mul(x, y), dim)
