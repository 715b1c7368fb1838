"""Linear algebra: matmul (batched, broadcasting), linear, bmm, mm, einsum, outer, dot."""
from __future__ import annotations

import numpy as np

from glassnet.autograd import Function, sum_to
from glassnet.tensor import Tensor

__all__ = ["matmul", "mm", "bmm", "einsum", "outer", "dot"]


class MatMul(Function):
    """``a @ b`` for operands of at least two dimensions, batch dims broadcasting."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a @ b

    def backward(self, g):
        a, b = self.saved_tensors
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = sum_to(g @ np.swapaxes(b, -1, -2), a.shape)
        if self.needs_input_grad[1]:
            gb = sum_to(np.swapaxes(a, -1, -2) @ g, b.shape)
        return ga, gb


class Linear(Function):
    """``x @ w.T + b`` with ``x: (*, in)``, ``w: (out, in)``, ``b: (out,)``."""

    def forward(self, x, w, b=None):
        self.save_for_backward(x, w)
        out = x @ w.T
        if b is not None:
            out += b
        return out

    def backward(self, g):
        x, w = self.saved_tensors
        gx = g @ w if self.needs_input_grad[0] else None
        gw = None
        if self.needs_input_grad[1]:
            gw = g.reshape(-1, g.shape[-1]).T @ x.reshape(-1, x.shape[-1])
        if len(self.needs_input_grad) == 3:
            gb = g.reshape(-1, g.shape[-1]).sum(0) if self.needs_input_grad[2] else None
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


def einsum(equation, *operands):
    """Einstein summation over explicit subscripts (``'bij,bjk->bik'``); no ellipsis."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    eq = equation.replace(" ", "")
    if "..." in eq:
        raise ValueError("einsum: ellipsis ('...') is not supported; write the dimensions")
    if "->" in eq:
        lhs, out = eq.split("->")
    else:
        lhs = eq
        letters = lhs.replace(",", "")
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    subs = lhs.split(",")
    if len(subs) != len(operands):
        raise ValueError(f"einsum: equation has {len(subs)} operands but {len(operands)} were "
                         f"given")
    for s, x in zip(subs, operands):
        if len(s) != x.ndim:
            raise ValueError(f"einsum: subscripts '{s}' do not match an operand of "
                             f"{x.ndim} dimensions")
        if len(set(s)) != len(s):
            raise ValueError(f"einsum: repeated subscripts in one operand ('{s}') are not "
                             f"supported")
    return Einsum.apply(*operands, inputs=tuple(subs), output=out)
