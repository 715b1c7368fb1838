"""Linear algebra: matmul (batched, broadcasting), linear, bmm, mm, mv, einsum (with
``...`` and repeated subscripts), tensordot, outer, inner, dot, kron, trace, diag,
diagonal, diag_embed, cross, cdist and the ``add*`` fused forms (addmm, addmv, baddbmm,
addbmm). Matrix functions (inv, det, solve, norms) are in
:mod:`glassnet.ops.decomposition` (public as ``glassnet.linalg``).

Examples
--------
>>> import glassnet
>>> glassnet.einsum("ii->i", glassnet.eye(2)).tolist()
[1.0, 1.0]
"""
from __future__ import annotations

import math

import numpy as np

from glassnet.autograd import Function, sum_to
from glassnet.backend import get_array_module
from glassnet._tensor_base import TensorBase as Tensor

__all__ = [
    "matmul", "mm", "bmm", "mv", "einsum", "outer", "ger", "dot", "inner", "tensordot",
    "kron", "trace", "diag", "diagonal", "diag_embed", "cross", "cdist", "addmm", "addmv",
    "baddbmm", "addbmm",
]


def _product(a, b):
    # glassnet.ops._blas binds its library on first import (not at ``import glassnet``).
    from glassnet.ops._blas import product

    return product(a, b)


class MatMul(Function):
    """``a @ b`` for operands of at least two dimensions, batch dims broadcasting."""

    def forward(self, a, b):
        # NOTE: save only what a needed gradient uses (torch's rule).
        needs = self.needs_input_grad
        self.save_for_backward(a if needs[1] else None, b if needs[0] else None)
        self.shapes = (a.shape, b.shape)
        return _product(a, b)

    def backward(self, g):
        a, b = self.saved_tensors
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = sum_to(_product(g, np.swapaxes(b, -1, -2)), self.shapes[0])
        if self.needs_input_grad[1]:
            gb = sum_to(_product(np.swapaxes(a, -1, -2), g), self.shapes[1])
        return ga, gb


class Linear(Function):
    """``x @ w.T + b`` with ``x: (*, in)``, ``w: (out, in)``, ``b: (out,)``."""

    # NOTE: the products go through glassnet.ops._blas.product (the thread pool or MKL
    # for large ones, NumPy's matmul for the rest) on 2-D views of x and g.
    def forward(self, x, w, b=None):
        self.save_for_backward(x, w)
        out = _product(x.reshape(-1, x.shape[-1]), w.T)
        if b is not None:
            out += b
        return out.reshape(x.shape[:-1] + (w.shape[0],))

    def backward(self, g):
        x, w = self.saved_tensors
        g2 = g.reshape(-1, g.shape[-1])
        gx = gw = None
        if self.needs_input_grad[0]:
            gx = _product(g2, w).reshape(x.shape)
        if self.needs_input_grad[1]:
            gw = _product(g2.T, x.reshape(-1, x.shape[-1]))
        if len(self.needs_input_grad) == 3:
            gb = g2.sum(0) if self.needs_input_grad[2] else None
            return gx, gw, gb
        return gx, gw


class Einsum(Function):
    def forward(self, *arrays, inputs, output):
        self.spec = (inputs, output)
        self.save_for_backward(*arrays)
        eq = ",".join(inputs) + "->" + output
        return np.einsum(eq, *arrays, optimize=len(arrays) > 2)

    def backward(self, g):
        inputs, output = self.spec
        arrays = self.saved_tensors
        grads = []
        for i, sub in enumerate(inputs):
            if not self.needs_input_grad[i]:
                grads.append(None)
                continue
            others = [s for j, s in enumerate(inputs) if j != i]
            present = set(output).union(*others) if others else set(output)
            # NOTE: letters only in this operand were summed out: the gradient is constant
            # along them, so compute without them and broadcast back.
            target = "".join(c for c in dict.fromkeys(sub) if c in present)
            eq = ",".join([output] + others) + "->" + target
            ops = [g] + [a for j, a in enumerate(arrays) if j != i]
            r = np.einsum(eq, *ops, optimize=len(ops) > 2)
            shape = [arrays[i].shape[sub.index(c)] if c in target else 1 for c in sub]
            order = [target.index(c) for c in sub if c in target]
            r = np.transpose(r, order).reshape(shape)
            grads.append(np.broadcast_to(r, arrays[i].shape).astype(g.dtype))
        return tuple(grads)


def _check_float(x, fn, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}: {name} must be a Tensor, got {type(x).__name__}")


def matmul(input, other):
    """Matrix product with PyTorch's rules for 1-D operands and broadcast batch dims.

    Shape: ``(*, n, m) @ (*, m, p) -> (*, n, p)``; a 1-D first operand is a row vector,
    a 1-D second operand a column vector, and that dimension is removed from the result.
    """
    from glassnet.ops.shape import squeeze, unsqueeze
    from glassnet.ops.elementwise import _operands

    _check_float(input, "matmul", "input")
    _check_float(other, "matmul", "other")
    if input.ndim == 0 or other.ndim == 0:
        raise ValueError("matmul: both arguments need at least 1 dimension, got 0-d")
    input, other = _operands(input, other)
    k_a = input.shape[-1]
    k_b = other.shape[0] if other.ndim == 1 else other.shape[-2]
    if k_a != k_b:
        raise ValueError(f"matmul: shapes {tuple(input.shape)} and {tuple(other.shape)} "
                         f"cannot be multiplied ({k_a} != {k_b})")
    a = unsqueeze(input, 0) if input.ndim == 1 else input
    b = unsqueeze(other, -1) if other.ndim == 1 else other
    out = MatMul.apply(a, b)
    if other.ndim == 1:
        out = squeeze(out, -1)
    if input.ndim == 1:
        out = squeeze(out, -1 if other.ndim == 1 else -2)
    return out


def mm(input, mat2):
    if input.ndim != 2 or mat2.ndim != 2:
        raise ValueError(f"mm: expects 2-D tensors, got {input.ndim}-D and {mat2.ndim}-D")
    return matmul(input, mat2)


def bmm(input, mat2):
    """Batched product ``(b, n, m) @ (b, m, p)``."""
    if input.ndim != 3 or mat2.ndim != 3:
        raise ValueError(f"bmm: expects 3-D tensors, got {input.ndim}-D and {mat2.ndim}-D")
    if input.shape[0] != mat2.shape[0]:
        raise ValueError(f"bmm: batch sizes differ: {input.shape[0]} and {mat2.shape[0]}")
    return matmul(input, mat2)


def dot(input, other):
    if input.ndim != 1 or other.ndim != 1:
        raise ValueError("dot: expects 1-D tensors")
    return matmul(input, other)


def outer(input, vec2):
    from glassnet.ops.shape import unsqueeze

    return matmul(unsqueeze(input, 1), unsqueeze(vec2, 0))


def linear(input, weight, bias=None):
    """``input @ weight.T + bias``.

    Shape: input ``(*, in_features)``, weight ``(out_features, in_features)``,
    bias ``(out_features,)``, output ``(*, out_features)``.
    """
    for name, t in (("input", input), ("weight", weight)):
        if not isinstance(t, Tensor):
            raise TypeError(f"linear: {name} must be a Tensor, got {type(t).__name__}")
    if bias is not None and not isinstance(bias, Tensor):
        raise TypeError(f"linear: bias must be a Tensor or None, got {type(bias).__name__}")
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must have shape (out_features, in_features), got "
                         f"{tuple(weight.shape)}")
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input must have shape (*, {weight.shape[1]}) (from weight), "
                         f"got {tuple(input.shape)}")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ValueError(f"linear: bias must have shape ({weight.shape[0]},), got "
                         f"{tuple(bias.shape)}")
    if input.dtype != weight.dtype:
        raise TypeError(f"linear: input dtype {input.dtype} does not match weight dtype "
                        f"{weight.dtype}")
    if bias is None:
        return Linear.apply(input, weight)
    return Linear.apply(input, weight, bias)


def _einsum_letters(used):
    """Subscript letters not in ``used`` (for ``...`` dims), in a fixed order."""
    import string

    return [c for c in string.ascii_letters if c not in used]


def einsum(equation, *operands):
    """Einstein summation (``'bij,bjk->bik'``), as ``torch.einsum``.

    Supports implicit output (``'ij,jk'``), ``...`` for broadcast leading dims, and
    repeated subscripts in one operand (``'ii->i'`` takes the diagonal, ``'ii'`` the
    trace).
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = list(operands)
    eq = equation.replace(" ", "")
    lhs, out = eq.split("->") if "->" in eq else (eq, None)
    subs = lhs.split(",")
    if len(subs) != len(operands):
        raise ValueError(f"einsum: equation has {len(subs)} operands but {len(operands)} were "
                         f"given")
    # Ellipsis: replace by explicit letters, right-aligned across operands.
    n_ell = 0
    for s, x in zip(subs, operands):
        if "..." in s:
            n_ell = max(n_ell, x.ndim - len(s.replace("...", "")))
    ell = "".join(_einsum_letters(set(eq))[:n_ell])
    for k, (s, x) in enumerate(zip(subs, operands)):
        if "..." in s:
            m = x.ndim - len(s.replace("...", ""))
            if m < 0:
                raise ValueError(f"einsum: subscripts '{s}' do not match an operand of "
                                 f"{x.ndim} dimensions")
            subs[k] = s.replace("...", ell[n_ell - m:] if m else "")
    if out is None:
        letters = "".join(subs)
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1
                                   and c not in ell))
    else:
        out = out.replace("...", ell)
    sizes = {}
    for k, (s, x) in enumerate(zip(subs, operands)):
        if len(s) != x.ndim:
            raise ValueError(f"einsum: subscripts '{s}' do not match an operand of "
                             f"{x.ndim} dimensions")
        # Repeated subscripts: take the diagonal until each letter appears once.
        while len(set(s)) != len(s):
            c = next(c for c in s if s.count(c) > 1)
            p, q = s.index(c), s.index(c, s.index(c) + 1)
            x = diagonal(x, 0, p, q)
            s = s[:p] + s[p + 1:q] + s[q + 1:] + c
        for c, n in zip(s, x.shape):
            if n != 1:
                if sizes.get(c, n) != n:
                    raise ValueError(f"einsum: subscript '{c}' has sizes {sizes[c]} and {n}")
                sizes[c] = n
        subs[k], operands[k] = s, x
    # Broadcast size-1 dims (PyTorch broadcasts them, NumPy's explicit labels do not).
    from glassnet.ops.shape import expand

    for k, (s, x) in enumerate(zip(subs, operands)):
        target = tuple(sizes.get(c, 1) for c in s)
        if target != tuple(x.shape):
            operands[k] = expand(x, *target)
    return Einsum.apply(*operands, inputs=tuple(subs), output=out)


def mv(input, vec):
    """Matrix-vector product ``(n, m) @ (m,) -> (n,)``."""
    if input.ndim != 2 or vec.ndim != 1:
        raise ValueError(f"mv: expects a 2-D matrix and a 1-D vector, got {input.ndim}-D "
                         f"and {vec.ndim}-D")
    return matmul(input, vec)


def inner(input, other):
    """Sum over the last dimension of both: ``(*a, n), (*b, n) -> (*a, *b)``."""
    if input.ndim == 0 or other.ndim == 0:
        from glassnet.ops.elementwise import mul

        return mul(input, other)
    return tensordot(input, other, dims=([-1], [-1]))


def tensordot(a, b, dims=2):
    """Contract the last ``dims`` dims of ``a`` with the first of ``b``, or the listed
    pairs ``dims=([a dims], [b dims])``."""
    from glassnet.ops.shape import permute, reshape

    if isinstance(dims, int):
        if dims < 0:
            raise ValueError(f"tensordot: dims must be non-negative, got {dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = list(dims[0]), list(dims[1])
        if isinstance(dims[0], int):
            da, db = [dims[0]], [dims[1]]
    da = [d % a.ndim for d in da]
    db = [d % b.ndim for d in db]
    if len(da) != len(db) or any(a.shape[i] != b.shape[j] for i, j in zip(da, db)):
        raise ValueError(f"tensordot: contracted dims {da} of {tuple(a.shape)} and {db} of "
                         f"{tuple(b.shape)} do not match")
    free_a = [i for i in range(a.ndim) if i not in da]
    free_b = [j for j in range(b.ndim) if j not in db]
    k = int(math.prod([a.shape[i] for i in da]))
    am = reshape(permute(a, *(free_a + da)), -1, k) if a.ndim else reshape(a, 1, 1)
    bm = reshape(permute(b, *(db + free_b)), k, -1) if b.ndim else reshape(b, 1, 1)
    out = matmul(am, bm)
    return reshape(out, *([a.shape[i] for i in free_a] + [b.shape[j] for j in free_b]))


def kron(input, other):
    """Kronecker product: block ``(i, j)`` is ``input[i, j] * other``."""
    from glassnet.ops.elementwise import mul
    from glassnet.ops.shape import reshape

    nd = max(input.ndim, other.ndim)
    sa = (1,) * (nd - input.ndim) + tuple(input.shape)
    sb = (1,) * (nd - other.ndim) + tuple(other.shape)
    a = reshape(input, *[v for s in sa for v in (s, 1)])
    b = reshape(other, *[v for s in sb for v in (1, s)])
    return reshape(mul(a, b), *[x * y for x, y in zip(sa, sb)])


class Trace(Function):
    def forward(self, a):
        self.shape = a.shape
        return get_array_module(a).asarray(np.trace(a))

    def backward(self, g):
        return g * get_array_module(g).eye(*self.shape, dtype=g.dtype)


def trace(input):
    """Sum of the main diagonal of a 2-D tensor."""
    if input.ndim != 2:
        raise ValueError(f"trace: expects a 2-D tensor, got {input.ndim}-D")
    return Trace.apply(input)


def _diag_positions(n_rows, n_cols, offset):
    length = max(0, min(n_rows + min(offset, 0), n_cols - max(offset, 0)))
    i = np.arange(length)
    return i + max(-offset, 0), i + max(offset, 0)


class Diagonal(Function):
    """The diagonal of dims ``(d1, d2)`` with ``offset``, appended as the last dim."""

    def forward(self, a, offset, d1, d2):
        self.meta = (a.shape, offset, d1, d2)
        return np.diagonal(a, offset, d1, d2).copy()

    def backward(self, g):
        shape, offset, d1, d2 = self.meta
        moved = [s for i, s in enumerate(shape) if i not in (d1, d2)] + [shape[d1], shape[d2]]
        gx = get_array_module(g).zeros(moved, g.dtype)
        rows, cols = _diag_positions(shape[d1], shape[d2], offset)
        gx[..., rows, cols] = g
        return np.moveaxis(gx, (-2, -1), (d1, d2))


class DiagEmbed(Function):
    """The last dim of ``a`` on the ``offset`` diagonal of new dims ``(d1, d2)``."""

    def forward(self, a, offset, d1, d2):
        n = a.shape[-1] + abs(offset)
        self.meta = (offset, d1, d2, n)
        out = get_array_module(a).zeros(a.shape[:-1] + (n, n), a.dtype)
        rows, cols = _diag_positions(n, n, offset)
        out[..., rows, cols] = a
        return np.moveaxis(out, (-2, -1), (d1, d2))

    def backward(self, g):
        offset, d1, d2, n = self.meta
        rows, cols = _diag_positions(n, n, offset)
        return np.moveaxis(g, (d1, d2), (-2, -1))[..., rows, cols]


def _dims_pair(dim1, dim2, ndim, fn):
    d1, d2 = dim1 % ndim if -ndim <= dim1 < ndim else None, \
        dim2 % ndim if -ndim <= dim2 < ndim else None
    if d1 is None or d2 is None or d1 == d2:
        raise ValueError(f"{fn}: dim1={dim1} and dim2={dim2} must be distinct dims of a "
                         f"{ndim}-D tensor")
    return d1, d2


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The ``offset`` diagonal of the 2-D slices over ``(dim1, dim2)``, as a last dim.

    Shape: ``input`` without ``dim1, dim2``, plus the diagonal's length.
    """
    d1, d2 = _dims_pair(dim1, dim2, input.ndim, "diagonal")
    return Diagonal.apply(input, offset=int(offset), d1=d1, d2=d2)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Matrices with the last dim of ``input`` on their ``offset`` diagonal.

    Shape: ``(*, n) -> (*, n + |offset|, n + |offset|)`` (placed at ``dim1, dim2``).
    """
    d1, d2 = _dims_pair(dim1, dim2, input.ndim + 1, "diag_embed")
    return DiagEmbed.apply(input, offset=int(offset), d1=d1, d2=d2)


def diag(input, diagonal=0):
    """1-D input: a square matrix with it on the ``diagonal``; 2-D input: that diagonal
    as a 1-D tensor."""
    if input.ndim == 1:
        return DiagEmbed.apply(input, offset=int(diagonal), d1=0, d2=1)
    if input.ndim == 2:
        return Diagonal.apply(input, offset=int(diagonal), d1=0, d2=1)
    raise ValueError(f"diag: expects a 1-D or 2-D tensor, got {input.ndim}-D")


class Cross(Function):
    def forward(self, a, b, axis):
        self.save_for_backward(a, b)
        self.axis = axis
        return np.cross(a, b, axis=axis)

    def backward(self, g):
        a, b = self.saved_tensors
        ax = self.axis
        ga = sum_to(np.cross(b, g, axis=ax), a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(np.cross(g, a, axis=ax), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


def cross(input, other, dim=None):
    """Cross product of 3-vectors along ``dim`` (inputs broadcast). ``dim=None`` uses
    the first dim of size 3, as ``torch.cross`` (``torch.linalg.cross`` uses -1)."""
    from glassnet.ops.elementwise import _operands

    input, other = _operands(input, other)
    shape = np.broadcast_shapes(tuple(input.shape), tuple(other.shape))
    if dim is None:
        dim = next((i for i, s in enumerate(shape) if s == 3), None)
        if dim is None:
            raise ValueError(f"cross: no dimension of size 3 in shape {shape}")
    axis = dim % len(shape)
    if shape[axis] != 3:
        raise ValueError(f"cross: dim {dim} must have size 3, got {shape[axis]}")
    return Cross.apply(input, other, axis=axis - len(shape))


class Cdist(Function):
    """Pairwise p-norm distances between the rows of ``x1 (*, P, M)`` and ``x2 (*, R, M)``."""

    def forward(self, a, b, p):
        diff = a[..., :, None, :] - b[..., None, :, :]
        ad = np.abs(diff)
        if p == 0:
            out = (ad != 0).sum(-1).astype(a.dtype)
        elif p == 1:
            out = ad.sum(-1)
        elif p == 2:
            out = np.sqrt((diff * diff).sum(-1))
        elif p == float("inf"):
            out = ad.max(-1)
        else:
            out = (ad ** p).sum(-1) ** (1.0 / p)
        self.save_for_backward(diff, out)
        self.meta = (p, a.shape, b.shape)
        return out.astype(a.dtype)

    def backward(self, g):
        diff, out = self.saved_tensors
        p, sa, sb = self.meta
        d = out[..., None]
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 0:
                w = np.zeros_like(diff)
            elif p == 1:
                w = np.sign(diff)
            elif p == 2:
                # NOTE: the distance is not differentiable at 0; PyTorch gives 0 there.
                w = np.where(d == 0, 0, diff / d)
            elif p == float("inf"):
                w = np.sign(diff) * (np.abs(diff) == d)
            else:
                w = np.where(d == 0, 0, np.sign(diff) * np.abs(diff) ** (p - 1) / d ** (p - 1))
        gd = g[..., None] * w
        ga = sum_to(gd.sum(-2), sa) if self.needs_input_grad[0] else None
        gb = sum_to(-gd.sum(-3), sb) if self.needs_input_grad[1] else None
        return ga, gb


def cdist(x1, x2, p=2.0, compute_mode=None):
    """Pairwise p-norm distances (``p >= 0``, ``inf`` allowed) between row vectors.

    Shape
    -----
    x1: ``(*, P, M)``, x2: ``(*, R, M)`` (batch dims broadcast), output ``(*, P, R)``.
    """
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise ValueError(f"cdist: x1 and x2 must be (*, P, M) and (*, R, M), got "
                         f"{tuple(x1.shape)} and {tuple(x2.shape)}")
    if p < 0:
        raise ValueError(f"cdist: p must be >= 0, got {p}")
    return Cdist.apply(x1, x2, p=float(p))


def _scaled_sum(input, product, beta, alpha):
    from glassnet.ops.elementwise import add, mul

    if alpha != 1:
        product = mul(product, alpha)
    if beta == 0:  # NOTE: input is ignored (NaN/inf in it do not propagate), as PyTorch
        return product
    return add(input if beta == 1 else mul(input, beta), product)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat1 @ mat2)`` (``input`` broadcasts to ``(n, p)``)."""
    return _scaled_sum(input, mm(mat1, mat2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat @ vec)``."""
    return _scaled_sum(input, mv(mat, vec), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * bmm(batch1, batch2)``."""
    return _scaled_sum(input, bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * sum_b batch1[b] @ batch2[b]``."""
    from glassnet.ops.reduce import sum as _sum

    return _scaled_sum(input, _sum(bmm(batch1, batch2), 0), beta, alpha)


ger = outer
