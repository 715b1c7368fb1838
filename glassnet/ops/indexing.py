"""Indexing: ``x[index]`` with PyTorch's rules, gather, scatter_add, index_select,
masked_select, nonzero, take_along_dim."""
from __future__ import annotations

import math
import numbers

import numpy as np

from glassnet.autograd import Function
from glassnet.backend import get_array_module as _xp
from glassnet._tensor_base import TensorBase as Tensor

__all__ = ["gather", "scatter_add", "index_select", "masked_select", "nonzero",
           "take_along_dim", "take"]


def _dim(d, ndim, fn):
    if not -max(ndim, 1) <= d < max(ndim, 1):
        raise IndexError(f"{fn}: dim {d} out of range for a tensor of {ndim} dimensions")
    return d % max(ndim, 1)


# ---------------------------------------------------------------------------
# x[index]
# ---------------------------------------------------------------------------
def _as_int(item):
    """``item`` as a Python int when PyTorch treats it as an integer index (ints, NumPy
    integers, 0-d integer arrays and tensors), else None. Bools are not integers here."""
    if isinstance(item, (bool, np.bool_)):
        return None
    if isinstance(item, numbers.Integral):
        return int(item)
    if hasattr(item, "ndim") and hasattr(item, "dtype") and item.ndim == 0 \
            and item.dtype.kind in "iu":
        return int(item)
    return None


def _is_array(item):
    return hasattr(item, "shape") and hasattr(item, "dtype")


def normalize_index(index, ndim):
    """Split a PyTorch index into two NumPy indices applied one after the other.

    PyTorch applies integer indices as basic indexing (``select``), so they neither
    count as advanced indices nor separate them: on a ``(2, 3, 4)`` tensor,
    ``x[0, :, [1, 2]]`` is ``(3, 2)`` in PyTorch but ``(2, 3)`` in NumPy, which moves
    the broadcast dims of ``0`` and ``[1, 2]`` to the front.

    Parameters
    ----------
    index : object
        What ``Tensor.__getitem__``/``__setitem__`` received: an int, slice, None,
        Ellipsis, bool, list, array, Tensor, or a tuple of these.
    ndim : int
        The indexed tensor's number of dimensions.

    Returns
    -------
    basic : tuple or None
        Ints and full slices, one per dimension, or None when there is nothing to
        select first.  ``a[basic]`` is a NumPy *view* of ``a``.
    rest : object
        A NumPy index (Tensors unwrapped, lists as arrays) applied to ``a[basic]``.
        PyTorch's ``x[index]`` is ``a[basic][rest]``; ``x[index] = v`` is
        ``a[basic][rest] = v`` (a write through the view).

    Examples
    --------
    >>> basic, rest = normalize_index((0, slice(None), [1, 2]), 3)
    >>> basic == (0, slice(None), slice(None)), rest[0] == slice(None), rest[1].tolist()
    (True, True, [1, 2])
    """
    items = index if isinstance(index, tuple) else (index,)
    items = tuple(i._data if isinstance(i, Tensor) else
                  np.asarray(i) if isinstance(i, list) else i for i in items)
    ints = [_as_int(i) for i in items]
    advanced = any(_is_array(i) and ints[k] is None for k, i in enumerate(items))
    if not advanced or all(v is None for v in ints):
        rest = items if isinstance(index, tuple) else items[0]
        return None, rest
    # Dims consumed by each item; Ellipsis takes what the others leave.
    used = [0 if i is None or i is Ellipsis else
            (i.ndim if _is_array(i) and i.dtype == np.bool_ else 1) for i in items]
    ellipsis = [k for k, i in enumerate(items) if i is Ellipsis]
    if len(ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if ellipsis:
        used[ellipsis[0]] = ndim - sum(used)
    if sum(used) > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    basic, rest = [], []
    for item, n, v in zip(items, used, ints):
        if v is not None:
            basic.append(v)
        else:
            basic.extend([slice(None)] * n)
            rest.append(item)
    basic.extend([slice(None)] * (ndim - len(basic)))
    return tuple(basic), tuple(rest)


def _has_advanced(index):
    items = index if isinstance(index, tuple) else (index,)
    return any(_is_array(i) for i in items)


class Index(Function):
    """``a[index]`` as :func:`normalize_index` splits it: ``a[basic][rest]``. The
    backward scatters with accumulation, so repeated integer indices receive the sum of
    their gradients.  Basic indices (ints, slices, None, Ellipsis) give views, as in
    torch."""

    is_view = True

    def forward(self, a, basic, rest):
        self.meta = (a.shape, basic, rest)
        view = a if basic is None else a[basic]
        out = view[rest]
        if not isinstance(out, np.ndarray) and not _has_advanced(rest):
            # NOTE: NumPy gives a scalar copy for an index that selects one element
            # (a[0, 1]); with a trailing Ellipsis it gives a 0-d view, as torch does.
            out = view[(rest if isinstance(rest, tuple) else (rest,)) + (Ellipsis,)]
        return out

    def backward(self, g):
        shape, basic, rest = self.meta
        xp = _xp(g)
        gx = xp.zeros(shape, g.dtype)
        view = gx if basic is None else gx[basic]
        if not _has_advanced(rest):
            view[rest] = g
            return gx
        # NOTE: integer arrays may repeat an index; a plain assignment would keep only one
        # contribution. Linear positions + bincount accumulate without np.add.at.
        n = int(math.prod(view.shape))
        lin = xp.arange(n).reshape(view.shape)[rest]
        acc = xp.bincount(lin.ravel(), weights=g.ravel(), minlength=n)
        view[...] = acc.astype(g.dtype).reshape(view.shape)
        return gx


def uint8_masks(index, assign: bool = False):
    """``index`` with its uint8 tensors/arrays as bool masks (nonzero is True), warning
    as torch does; for an assignment torch refuses them (TypeError here)."""
    items = index if isinstance(index, tuple) else (index,)
    found = False
    out = []
    for item in items:
        arr = item._data if isinstance(item, Tensor) else item
        if isinstance(arr, np.ndarray) and arr.dtype == np.uint8 or (
                _is_array(arr) and getattr(arr.dtype, "name", "") == "uint8"):
            if assign:
                raise TypeError("Tensor.__setitem__: index must be a bool mask or an int64 "
                                "tensor, got a uint8 tensor (torch refuses a uint8 mask in "
                                "an assignment; use .bool())")
            found = True
            item = arr != 0
        out.append(item)
    if not found:
        return index
    import warnings

    # NOTE: torch's own words (aten/src/ATen/native/IndexingUtils.h)
    warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                  "torch.bool instead.", UserWarning, stacklevel=4)
    return tuple(out) if isinstance(index, tuple) else out[0]


def getitem(input, index):
    """``input[index]`` with PyTorch's rules: ints, slices (steps > 0), None, Ellipsis,
    bool masks, integer lists/arrays/tensors, 0-d integer tensors (as ints).  A uint8
    tensor is a mask (deprecated in torch, with its warning)."""
    index = uint8_masks(index)
    basic, rest = normalize_index(index, input.ndim)
    return Index.apply(input, basic=basic, rest=rest)


def _linear_positions(index, axis, shape):
    """Flat positions in an array of ``shape`` addressed by ``index`` along ``axis``."""
    xp = _xp(index)
    nd = index.ndim
    coords = [xp.arange(n).reshape([-1 if i == d else 1 for i in range(nd)])
              for d, n in enumerate(index.shape)]  # sparse grids (CuPy has no sparse=)
    coords[axis] = index
    return xp.ravel_multi_index(tuple(xp.broadcast_arrays(*coords)), shape)


class Gather(Function):
    def forward(self, a, index, axis):
        self.meta = (index, axis, a.shape)
        return _xp(a).take_along_axis(a, index, axis)

    def backward(self, g):
        index, axis, shape = self.meta
        lin = _linear_positions(index, axis, shape)
        n = int(math.prod(shape))
        return _xp(g).bincount(lin.ravel(), weights=g.ravel(), minlength=n).astype(
            g.dtype).reshape(shape)


class ScatterAdd(Function):
    def forward(self, a, src, index, axis):
        self.meta = (index, axis)
        lin = _linear_positions(index, axis, a.shape)
        src_part = src[tuple(slice(0, s) for s in index.shape)]
        add = _xp(a).bincount(lin.ravel(), weights=src_part.ravel(), minlength=a.size)
        self.src_shape = src.shape
        return a + add.astype(a.dtype).reshape(a.shape)

    def backward(self, g):
        index, axis = self.meta
        gsrc = None
        if self.needs_input_grad[1]:
            xp = _xp(g)
            gsrc = xp.zeros(self.src_shape, g.dtype)
            gsrc[tuple(slice(0, s) for s in index.shape)] = xp.take_along_axis(g, index, axis)
        return g, gsrc




def masked_select(input, mask):
    """The elements of ``input`` where the bool ``mask`` is true, as a 1-D tensor
    (``input`` and ``mask`` broadcast together)."""
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise TypeError(f"masked_select: mask must be a bool tensor, got {m.dtype}")
    try:
        shape = np.broadcast_shapes(input.shape, m.shape)
    except ValueError:
        raise ValueError(f"masked_select: mask of shape {m.shape} is not broadcastable with "
                         f"input of shape {tuple(input.shape)}") from None
    from glassnet.ops.shape import expand

    x = input if tuple(input.shape) == shape else expand(input, *shape)
    return getitem(x, np.broadcast_to(m, shape))


def nonzero(input, *, as_tuple: bool = False):
    """Indices of the non-zero elements: ``(N, input.ndim)`` int64, or with
    ``as_tuple=True`` one 1-D index tensor per dimension (``x[x.nonzero(as_tuple=True)]``).

    Not differentiable.
    """
    idx = np.argwhere(input._data if isinstance(input, Tensor) else np.asarray(input))
    idx = idx.astype(np.int64)
    if as_tuple:
        return tuple(Tensor._wrap(np.ascontiguousarray(col)) for col in idx.T)
    return Tensor._wrap(idx)


def _index_array(index, fn):
    arr = index._data if isinstance(index, Tensor) else np.asarray(index)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{fn}: index must be an int64 tensor, got {arr.dtype}")
    return arr


def _check_bounds(idx, size, axis, fn):
    """Every index in ``0..size-1``: torch refuses negative ones here (no wrap-around)."""
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= size):
        bad = int(idx.min()) if int(idx.min()) < 0 else int(idx.max())
        raise IndexError(f"{fn}: index {bad} is out of bounds for dimension {axis} with size "
                         f"{size} (indices must lie in 0..{size - 1})")


def _check_no_larger(idx_shape, other_shape, axis, fn, what, skip_axis=True):
    for d, (n, m) in enumerate(zip(idx_shape, other_shape)):
        if n > m and not (skip_axis and d == axis):
            extra = f" apart from dimension {axis}" if skip_axis else ""
            raise ValueError(f"{fn}: index of shape {tuple(idx_shape)} must be no larger than "
                             f"{what} of shape {tuple(other_shape)}{extra}, got {n} > {m} at "
                             f"dimension {d}")


def gather(input, dim, index):
    """``out[i][j][k] = input[i][index[i][j][k]][k]`` for ``dim=1``.

    ``index`` has ``input``'s number of dimensions, is no larger than ``input`` outside
    ``dim``, and holds indices in ``0..input.size(dim)-1`` (negative ones are an error,
    as in torch)."""
    idx = _index_array(index, "gather")
    if idx.ndim != input.ndim:
        raise ValueError(f"gather: index must have {input.ndim} dimensions like input, "
                         f"got {idx.ndim}")
    axis = _dim(dim, input.ndim, "gather")
    _check_no_larger(idx.shape, input.shape, axis, "gather", "input")
    _check_bounds(idx, input.shape[axis] if input.ndim else 1, axis, "gather")
    return Gather.apply(input, index=idx, axis=axis)


def scatter_add(input, dim, index, src):
    """Add ``src`` into a copy of ``input`` at ``index`` along ``dim`` (accumulates).

    ``index`` is no larger than ``src`` (every dimension) nor than ``input`` (outside
    ``dim``), its indices lie in ``0..input.size(dim)-1``, and ``src`` has ``input``'s
    dtype, as in torch."""
    fn = "scatter_add"
    idx = _index_array(index, fn)
    if not isinstance(src, Tensor):
        raise TypeError(f"{fn}: src must be a Tensor, got {type(src).__name__}")
    if src.dtype != input.dtype:
        raise TypeError(f"{fn}: src must have input's dtype {input.dtype}, got {src.dtype}")
    if not idx.ndim == src.ndim == input.ndim:
        raise ValueError(f"{fn}: index, src and input must have the same number of "
                         f"dimensions, got {idx.ndim}, {src.ndim} and {input.ndim}")
    axis = _dim(dim, input.ndim, fn)
    _check_no_larger(idx.shape, src.shape, axis, fn, "src", skip_axis=False)
    _check_no_larger(idx.shape, input.shape, axis, fn, "input")
    _check_bounds(idx, input.shape[axis] if input.ndim else 1, axis, fn)
    return ScatterAdd.apply(input, src, index=idx, axis=axis)


def index_select(input, dim, index):
    """The entries of ``input`` at ``index`` (1-D, in ``0..input.size(dim)-1``; negative
    indices are an error, as in torch) along ``dim``."""
    idx = _index_array(index, "index_select")
    if idx.ndim > 1:
        raise ValueError(f"index_select: index must be 0-D or 1-D, got {idx.ndim}-D")
    d = _dim(dim, input.ndim, "index_select")
    _check_bounds(idx, input.shape[d] if input.ndim else 1, d, "index_select")
    return getitem(input, (slice(None),) * d + (idx.reshape(-1),))


def take_along_dim(input, indices, dim=None):
    """Values of ``input`` at ``indices`` along ``dim`` (the flattened input if None);
    ``indices`` broadcasts against ``input`` outside ``dim``, as ``torch.take_along_dim``.

    Examples
    --------
    >>> import glassnet
    >>> x = glassnet.tensor([[10., 30., 20.]])
    >>> glassnet.take_along_dim(x, x.argsort(dim=1), dim=1).tolist()
    [[10.0, 20.0, 30.0]]
    """
    idx = _index_array(indices, "take_along_dim")
    if dim is None:
        from glassnet.ops.shape import reshape

        return Gather.apply(reshape(input, -1), index=idx.reshape(-1), axis=0)
    axis = _dim(dim, input.ndim, "take_along_dim")
    if idx.ndim != input.ndim:
        raise ValueError(f"take_along_dim: indices must have {input.ndim} dimensions like "
                         f"input, got {idx.ndim}")
    shape = list(np.broadcast_shapes(
        tuple(1 if i == axis else s for i, s in enumerate(input.shape)),
        tuple(1 if i == axis else s for i, s in enumerate(idx.shape))))
    in_shape = shape.copy()
    in_shape[axis] = input.shape[axis]
    shape[axis] = idx.shape[axis]
    from glassnet.ops.shape import expand

    x = input if tuple(input.shape) == tuple(in_shape) else expand(input, *in_shape)
    return Gather.apply(x, index=np.broadcast_to(idx, shape), axis=axis)


def take(input, index):
    """``input.flatten()[index]``: the result has ``index``'s shape."""
    from glassnet.ops.shape import reshape

    idx = _index_array(index, "take")
    return getitem(reshape(input, -1), idx)
