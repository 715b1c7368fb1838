"""Matrix functions behind ``glassnet.linalg``: inv, det, slogdet, solve, singular
values, and the vector/matrix norms (batched over leading dims).

NOTE: the gradients of ``inv``, ``det`` and ``solve`` use the inverse, so they are
undefined (inf/NaN) at singular matrices, where PyTorch's SVD-based formulas give
finite subgradients for ``det``.

Examples
--------
>>> import glassnet
>>> glassnet.linalg.det(glassnet.tensor([[2., 0.], [0., 3.]])).item()
6.0
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from glassnet.autograd import Function, sum_to
from glassnet.backend import get_array_module
from glassnet._tensor_base import TensorBase as Tensor

__all__ = ["inv", "det", "slogdet", "solve", "svdvals", "vector_norm", "matrix_norm",
           "norm"]

SlogdetResult = namedtuple("slogdet", ["sign", "logabsdet"])


def _mT(a):
    return np.swapaxes(a, -1, -2)


def _square(A, fn):
    if not isinstance(A, Tensor):
        raise TypeError(f"{fn}: A must be a Tensor, got {type(A).__name__}")
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ValueError(f"{fn}: A must be a batch of square matrices (*, n, n), got "
                         f"{tuple(A.shape)}")
    if A.dtype.kind != "f":
        raise TypeError(f"{fn}: A must be float32 or float64, got {A.dtype}")


class Inv(Function):
    def forward(self, a):
        out = np.linalg.inv(a)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        (out,) = self.saved_tensors
        return -_mT(out) @ g @ _mT(out)


class Det(Function):
    def forward(self, a):
        out = get_array_module(a).asarray(np.linalg.det(a))
        self.save_for_backward(a, out)
        return out

    def backward(self, g):
        a, out = self.saved_tensors
        return (g * out)[..., None, None] * _mT(np.linalg.inv(a))


class LogAbsDet(Function):
    def forward(self, a):
        sign, logdet = np.linalg.slogdet(a)
        self.save_for_backward(a)
        self.sign = sign
        return get_array_module(a).asarray(logdet)

    def backward(self, g):
        (a,) = self.saved_tensors
        return g[..., None, None] * _mT(np.linalg.inv(a))


class Solve(Function):
    """``X = A^-1 B`` with ``B: (*, n, k)``; broadcasting batch dims."""

    def forward(self, a, b):
        out = np.linalg.solve(a, b)
        self.save_for_backward(a, out)
        self.shapes = (a.shape, b.shape)
        return out

    def backward(self, g):
        a, x = self.saved_tensors
        gb = np.linalg.solve(_mT(a), g)
        ga = sum_to(-gb @ _mT(x), self.shapes[0]) if self.needs_input_grad[0] else None
        return ga, sum_to(gb, self.shapes[1]) if self.needs_input_grad[1] else None


class SingularValues(Function):
    """Singular values in descending order; the gradient ``U diag(g) V^T`` assumes
    distinct singular values (as PyTorch's svdvals backward does)."""

    def forward(self, a):
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        self.saved = (u, vh)
        return s

    def backward(self, g):
        u, vh = self.saved
        return (u * g[..., None, :]) @ vh


def inv(A):
    """The inverse of each square matrix in ``A (*, n, n)``."""
    _square(A, "inv")
    return Inv.apply(A)


def det(A):
    """The determinant of each square matrix in ``A (*, n, n)``; shape ``(*)``."""
    _square(A, "det")
    return Det.apply(A)


def slogdet(A):
    """``(sign, log|det A|)`` for each square matrix; the log is differentiable."""
    _square(A, "slogdet")
    sign = Tensor._wrap(np.asarray(np.linalg.slogdet(A._data)[0]).astype(A.dtype))
    return SlogdetResult(sign, LogAbsDet.apply(A))


def solve(A, B, *, left=True):
    """The solution ``X`` of ``A X = B`` (``left=True`` only).

    Shape
    -----
    A: ``(*, n, n)``; B: ``(*, n, k)`` or ``(n,)``/``(*, n)`` (a vector when its shape is
    ``A``'s without the last dim, as PyTorch); X has ``B``'s shape.
    """
    from glassnet.ops.shape import squeeze, unsqueeze

    if not left:
        raise ValueError("solve: left=False is not supported; solve A^T X^T = B^T instead")
    _square(A, "solve")
    vector = B.ndim == 1 or tuple(B.shape) == tuple(A.shape[:-1])
    if (B.shape[-2] if not vector else B.shape[-1]) != A.shape[-1]:
        raise ValueError(f"solve: B of shape {tuple(B.shape)} does not match A of shape "
                         f"{tuple(A.shape)}")
    if vector:
        return squeeze(Solve.apply(A, unsqueeze(B, -1)), -1)
    return Solve.apply(A, B)


def svdvals(A):
    """Singular values of each matrix in ``A (*, m, n)``, descending; shape
    ``(*, min(m, n))``."""
    if A.ndim < 2:
        raise ValueError(f"svdvals: A must have at least 2 dims, got {tuple(A.shape)}")
    return SingularValues.apply(A)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The ``ord``-norm of ``x`` viewed as vectors over ``dim`` (all elements if None):
    ``ord`` is any real (``sum |x|^ord ^ (1/ord)``), ``inf`` (max |x|), ``-inf`` (min |x|)
    or 0 (the number of nonzeros)."""
    from glassnet.ops import reduce as rd
    from glassnet.ops._coerce import cast
    from glassnet.ops.elementwise import abs as _abs
    from glassnet.ops.elementwise import ne, pow

    if dtype is not None:
        x = cast(x, dtype)
    if x.dtype.kind != "f":
        raise TypeError(f"vector_norm: x must be a floating tensor, got {x.dtype}")
    dims = None if dim is None else dim
    if ord == float("-inf"):
        return rd.amin(_abs(x), () if dims is None else dims, keepdim)
    if ord == 0:
        return cast(rd.sum(ne(x, 0), dims, keepdim), x.dtype)
    if isinstance(ord, (int, float)) and ord > 0:
        return rd.norm(x, ord, dims, keepdim)
    s = rd.sum(pow(_abs(x), float(ord)), dims, keepdim)
    return pow(s, 1.0 / ord)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """Matrix norm over the two dims ``dim``: 'fro', 'nuc', 1/-1 (max/min column abs
    sum), inf/-inf (max/min row abs sum), 2/-2 (largest/smallest singular value)."""
    from glassnet.ops import reduce as rd
    from glassnet.ops._coerce import cast
    from glassnet.ops.elementwise import abs as _abs
    from glassnet.ops.shape import movedim, unsqueeze

    if dtype is not None:
        A = cast(A, dtype)
    if A.ndim < 2:
        raise ValueError(f"matrix_norm: A must have at least 2 dims, got {tuple(A.shape)}")
    d0, d1 = (d % A.ndim for d in dim)
    if ord == "fro":
        return rd.norm(A, 2, (d0, d1), keepdim)
    inf = float("inf")
    if ord in (1, -1, inf, -inf):
        red, keep = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = rd.sum(_abs(A), red, True)
        out = (rd.amax if ord > 0 else rd.amin)(sums, keep, True)
    elif ord in ("nuc", 2, -2):
        s = svdvals(movedim(A, (d0, d1), (-2, -1)))
        if ord == "nuc":
            out = rd.sum(s, -1)
        else:
            out = (rd.amax if ord == 2 else rd.amin)(s, -1)
        out = unsqueeze(unsqueeze(out, -1), -1)
        out = movedim(out, (-2, -1), (d0, d1))
    else:
        raise ValueError(f"matrix_norm: ord must be 'fro', 'nuc', 1, -1, 2, -2, inf or "
                         f"-inf, got {ord!r}")
    if not keepdim:
        from glassnet.ops.shape import squeeze

        out = squeeze(out, (d0, d1))
    return out


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """``vector_norm`` or ``matrix_norm`` as ``torch.linalg.norm``: an int ``dim`` (or 1-D
    input) gives a vector norm, a 2-tuple ``dim`` (or 2-D input with ``ord`` given) a
    matrix norm; ``ord=None`` is the 2-norm / Frobenius norm."""
    if dim is not None and not isinstance(dim, int):
        dim = tuple(dim)
    if isinstance(dim, tuple) and len(dim) == 2 or (dim is None and ord is not None
                                                      and A.ndim == 2):
        return matrix_norm(A, "fro" if ord is None else ord, dim or (-2, -1), keepdim,
                           dtype=dtype)
    if dim is None and ord is not None and A.ndim != 1:
        raise ValueError(f"norm: with ord={ord!r} and dim=None, A must be 1-D or 2-D, got "
                         f"{A.ndim}-D")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
