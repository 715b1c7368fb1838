"""In-place Tensor methods with torch's semantics: ``add_``, ``copy_``, ``x[i] = v`` ...

Every method here goes through :meth:`Tensor._inplace_apply`: the result is computed
out of place from a snapshot of the tensor (so arrays saved for backward stay intact),
written into the tensor's storage, and, when autograd records, the tensor moves onto
the result's graph node.  A write through a view (``b[0:2][0] = 100``,
``b.view(2, 2)[0][0] = 5``) changes the base's storage and its graph (torch's
``CopySlices``), and the version counter shared by a view and its base lets backward
refuse gradients that would use overwritten values.

``index_put`` (out of place) is the op behind ``x[int_tensor] = v``.
"""
from __future__ import annotations

import weakref

import numpy as np

from glassnet import autograd
from glassnet.autograd import Function, sum_to
from glassnet.backend import default_generator, get_array_module
from glassnet.ops.indexing import _has_advanced, getitem, normalize_index
from glassnet._tensor_base import TensorBase as Tensor, _unwrap_index

__all__ = ["index_put"]


# ---------------------------------------------------------------------------
# index_put: the out-of-place op behind advanced-index assignment
# ---------------------------------------------------------------------------
class IndexPut(Function):
    """``out = a.copy(); out[index] = v`` (or ``+=`` with ``accumulate``)."""

    def forward(self, a, v, index, accumulate):
        xp = get_array_module(a)
        self.index, self.accumulate, self.v_shape = index, accumulate, v.shape
        out = a.copy()
        if not accumulate:
            out[index] = v
            return out
        # NOTE: repeated indices must all add; linear positions + bincount instead of
        # np.add.at.
        n = a.size
        lin = xp.arange(n).reshape(a.shape)[index]
        vals = xp.broadcast_to(v, lin.shape)
        acc = xp.bincount(lin.ravel(), weights=vals.ravel().astype(np.float64), minlength=n)
        return (out.reshape(-1) + acc.astype(a.dtype)).reshape(a.shape)

    def backward(self, g):
        ga = gv = None
        if self.needs_input_grad[0]:
            ga = g if self.accumulate else g.copy()
            if not self.accumulate:
                ga[self.index] = 0
        if self.needs_input_grad[1]:
            gv = sum_to(g[self.index], self.v_shape)
        return ga, gv


def index_put(input: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    """``input`` with ``input[indices] = values`` (or ``+=`` with ``accumulate``).

    As ``torch.index_put``: ``indices`` is a tuple of index tensors; ``values`` must
    broadcast to ``input[indices]``'s shape.

    Examples
    --------
    >>> import glassnet
    >>> x = glassnet.zeros(4)
    >>> glassnet.index_put(x, (glassnet.tensor([0, 0, 2]),), glassnet.tensor(1.0),
    ...                    accumulate=True).tolist()
    [2.0, 0.0, 1.0, 0.0]
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"index_put: input must be a Tensor, got {type(input).__name__}")
    index = _unwrap_index(tuple(indices) if isinstance(indices, (tuple, list)) else indices)
    v = values if isinstance(values, Tensor) else Tensor._wrap(np.asarray(values, input.dtype))
    if v.dtype != input.dtype:
        v = v.to(input.dtype)
    return IndexPut.apply(input, v, index=index, accumulate=bool(accumulate))


# ---------------------------------------------------------------------------
# Methods
# ---------------------------------------------------------------------------
class Overwrite(Function):
    """The new values of a tensor overwritten by ``copy_``/``fill_``: ``value`` broadcast
    to ``current``'s shape; the previous values get a zero gradient (as torch's
    ``CopyBackwards``), ``value`` the (summed) gradient."""

    def forward(self, current, value):
        self.shapes = (current.shape, value.shape)
        xp = get_array_module(current)
        return xp.broadcast_to(value.astype(current.dtype, copy=False), current.shape).copy()

    def backward(self, g):
        xp = get_array_module(g)
        g_current = xp.zeros(self.shapes[0], g.dtype) if self.needs_input_grad[0] else None
        g_value = sum_to(g, self.shapes[1]) if self.needs_input_grad[1] else None
        return g_current, g_value


def _overwrite(current: Tensor, value):
    """``value`` in ``current``'s shape and dtype, joined to the graph of both."""
    if not isinstance(value, Tensor):
        value = Tensor._wrap(np.asarray(value, dtype=current.dtype))
    if not (current.requires_grad or value.requires_grad):
        return value._data
    return Overwrite.apply(current, value)


def inplace_method(fn, name: str):
    """``x.<op>_(...)``: ``fn(x, ...)``'s result written into ``x``."""

    def method(self, *args, **kwargs):
        others = tuple(a for a in args if isinstance(a, Tensor))
        others += tuple(v for v in kwargs.values() if isinstance(v, Tensor))
        return self._inplace_apply(name, lambda src: fn(src, *args, **kwargs), others)

    method.__name__ = name
    method.__qualname__ = f"Tensor.{name}"
    method.__doc__ = f"In-place version of :meth:`Tensor.{name[:-1]}`."
    return method


def restride_method(fn, name: str):
    """``x.t_()``, ``x.squeeze_()``...: in-place ops that change the shape, not the values:
    ``x`` takes the new view of its storage (and, when recorded, the view op's grad_fn)."""

    def method(self, *args, **kwargs):
        if autograd.is_grad_enabled() and self.requires_grad and self.is_leaf:
            raise RuntimeError(f"{name}: a leaf Variable that requires grad is being used in "
                               f"an in-place operation")
        new = fn(self, *args, **kwargs)
        if new is self:
            return self
        self._data = new._data
        if new._base is not None and new._base is not self:  # self was itself a view
            self._view_fn, self._view_dups = new._view_fn, new._view_dups
        if new._ctx is not None:
            self._ctx = new._ctx
            self.requires_grad = True
            new._ctx._output_ref = weakref.ref(self)
        self._bump()
        return self

    method.__name__ = name
    method.__qualname__ = f"Tensor.{name}"
    method.__doc__ = f"In-place version of :meth:`Tensor.{name[:-1]}`."
    return method


def copy_(self: Tensor, src, non_blocking: bool = False) -> Tensor:
    """Copy ``src`` (broadcast, cast to this dtype) into this tensor, in place."""
    return self._inplace_apply("copy_", lambda current: _overwrite(current, src), (src,))


def fill_(self: Tensor, value) -> Tensor:
    """Fill with ``value`` (a number or a 0-d tensor), in place."""
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"fill_: only supports 0-dimension value tensor but got tensor "
                           f"with {value.ndim} dimensions")
    return self._inplace_apply("fill_", lambda current: _overwrite(current, value), (value,))


def zero_(self: Tensor) -> Tensor:
    """Fill with zeros, in place."""
    return self._inplace_apply("zero_", lambda current: _overwrite(current, 0))


def setitem(self: Tensor, index, value) -> None:
    """``self[index] = value`` with torch's indexing rules (``normalize_index``): the
    basic part selects a view, and the rest (integer or boolean arrays) is written into
    it with :func:`index_put`; a purely basic index is a ``copy_`` into the view."""
    from glassnet.ops.indexing import uint8_masks

    basic, rest = normalize_index(uint8_masks(index, assign=True), self.ndim)
    target = self if basic is None else getitem(self, basic)
    others = (value,) if isinstance(value, Tensor) else ()
    if not _has_advanced(rest):
        view = target if rest == () or rest is Ellipsis else getitem(target, rest)
        if view is target or view._base is not None:
            copy_(view, value)
            return
        # NOTE: NumPy gives a scalar, not a view, for an index that selects one element
        # (x[0, 0]); write it into the target instead.
    others = (value,) if isinstance(value, Tensor) else ()
    indices = rest if isinstance(rest, tuple) else (rest,)
    target._inplace_apply("__setitem__", lambda src: index_put(src, indices, value), others)


def masked_fill_(self: Tensor, mask, value) -> Tensor:
    """Set the elements where ``mask`` (bool, broadcastable) is true to ``value``."""
    from glassnet.ops.elementwise import masked_fill

    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise TypeError(f"masked_fill_: mask must be a bool tensor, got {m.dtype}")
    try:
        np.broadcast_to(m, self.shape)
    except ValueError:
        raise RuntimeError(f"masked_fill_: mask of shape {m.shape} is not broadcastable "
                           f"to the tensor's shape {tuple(self.shape)}") from None
    others = (value,) if isinstance(value, Tensor) else ()
    return self._inplace_apply("masked_fill_", lambda src: masked_fill(src, m, value), others)


def scatter_(self: Tensor, dim: int, index, src=None, *, value=None, reduce=None) -> Tensor:
    """Write ``src`` (a tensor or a number) at ``index`` along ``dim``, in place.

    For ``dim=1``: ``self[i][index[i][j]] = src[i][j]``; ``index`` may be smaller
    than ``self`` in the other dimensions.  ``reduce`` is None, ``'add'`` or
    ``'multiply'``.  Differentiable w.r.t. ``self`` (the overwritten elements get zero
    gradient) and, without ``reduce``, w.r.t. a tensor ``src``.

    Examples
    --------
    >>> import glassnet
    >>> glassnet.zeros(2, 3).scatter_(1, glassnet.tensor([[2], [0]]), 1.0).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter_: expected src (a tensor) or value (a number)")
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"scatter_: index must be an int64 tensor, got {idx.dtype}")
    if idx.ndim != self.ndim:
        raise ValueError(f"scatter_: index must have {self.ndim} dimensions like self, "
                         f"got {idx.ndim}")
    if not -max(self.ndim, 1) <= dim < max(self.ndim, 1):
        raise IndexError(f"scatter_: dim {dim} out of range for a tensor of {self.ndim} "
                         f"dimensions")
    if reduce not in (None, "add", "multiply"):
        raise ValueError(f"scatter_: reduce must be None, 'add' or 'multiply', got "
                         f"{reduce!r}")
    dim %= max(self.ndim, 1)
    coords = list(np.indices(idx.shape, sparse=True))
    coords[dim] = idx
    where = tuple(np.broadcast_arrays(*coords))
    region = tuple(slice(0, n) for n in idx.shape)
    if isinstance(src, Tensor):
        vals = src[region] if src.ndim else src
    else:
        vals = Tensor._wrap(np.broadcast_to(np.asarray(src, self.dtype), idx.shape))

    def compute(current):
        if reduce is None:
            return index_put(current, where, vals)
        # NOTE: reduce modes are not differentiable in torch either (scatter_ with reduce
        # raises for inputs that require grad there); compute on arrays.
        if current.requires_grad or (isinstance(vals, Tensor) and vals.requires_grad):
            raise RuntimeError("scatter_: reduce='add'/'multiply' is not differentiable; use "
                               "scatter_add or scatter_reduce")
        new = current._data.copy()
        v = np.broadcast_to(vals._data, idx.shape)
        if reduce == "add":
            lin = np.ravel_multi_index(where, new.shape)
            acc = np.bincount(lin.ravel(), weights=v.ravel().astype(np.float64),
                              minlength=new.size)
            new = (new.reshape(-1) + acc.astype(new.dtype)).reshape(new.shape)
        else:
            np.multiply.at(new, where, v)  # NOTE: not a hot path (reduce='multiply')
        return new

    others = (src,) if isinstance(src, Tensor) else ()
    return self._inplace_apply("scatter_", compute, others)


# -- random fills (torch.Tensor.normal_ & co.) ------------------------------------
def _fill_random(self, name, draw):
    return self._inplace_apply(
        name, lambda current: _overwrite(current, np.asarray(draw(self.shape), self.dtype)))


def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with draws from U(a, b)."""
    rng = generator or default_generator()
    return _fill_random(self, "uniform_", lambda shape: rng.uniform(a, b, shape))


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with draws from N(mean, std^2)."""
    rng = generator or default_generator()
    return _fill_random(self, "normal_", lambda shape: rng.normal(mean, std, shape))


def bernoulli_(self: Tensor, p=0.5, generator=None) -> Tensor:
    """Fill with 0/1 draws that are 1 with probability ``p`` (a number or a tensor)."""
    rng = generator or default_generator()
    prob = p._data if isinstance(p, Tensor) else p
    return _fill_random(self, "bernoulli_", lambda shape: rng.random(shape) < prob)


def exponential_(self: Tensor, lambd: float = 1.0, generator=None) -> Tensor:
    """Fill with draws from the exponential distribution of rate ``lambd``."""
    rng = generator or default_generator()
    return _fill_random(self, "exponential_", lambda shape: rng.exponential(1 / lambd, shape))


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, generator=None) -> Tensor:
    """Fill with draws from the log-normal distribution of parameters ``mean``, ``std``."""
    rng = generator or default_generator()
    return _fill_random(self, "log_normal_", lambda shape: rng.lognormal(mean, std, shape))


def random_(self: Tensor, from_: int = 0, to: int | None = None, generator=None) -> Tensor:
    """Fill with integers drawn uniformly from ``[from_, to)`` (``random_(to)`` as
    torch: ``[0, to)``)."""
    rng = generator or default_generator()
    if to is None:
        if from_ == 0:
            raise ValueError("random_: give an upper bound, random_(to) or random_(from, to)")
        from_, to = 0, from_
    return _fill_random(self, "random_", lambda shape: rng.integers(from_, to, shape))


# -- augmented assignment: ``x += y`` is a true in-place op, as in torch ----------------
def _augmented(method_name):
    def method(self, other):
        return getattr(self, method_name)(other)

    method.__name__ = f"__i{method_name[:-1]}__"
    return method


AUGMENTED = {
    "__iadd__": _augmented("add_"), "__isub__": _augmented("sub_"),
    "__imul__": _augmented("mul_"), "__itruediv__": _augmented("div_"),
    "__ifloordiv__": _augmented("floor_divide_"), "__imod__": _augmented("remainder_"),
    "__ipow__": _augmented("pow_"),
}
