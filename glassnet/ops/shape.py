"""Shape and movement ops: reshape, permute, expand, repeat, cat, stack, split, pad,
flip, roll, tril/triu, meshgrid (indexing and gather/scatter live in ``indexing``)."""
from __future__ import annotations

import math

import numpy as np

from glassnet.autograd import Function, sum_to
from glassnet.backend import get_array_module as _xp
from glassnet.ops.indexing import (  # noqa: F401  (re-exported)
    gather, getitem, index_select, masked_select, nonzero, scatter_add, take,
    take_along_dim,
)
from glassnet._tensor_base import TensorBase as Tensor

__all__ = [
    "reshape", "permute", "transpose", "swapaxes", "movedim", "t", "flatten", "unflatten",
    "squeeze", "unsqueeze", "broadcast_to", "repeat_interleave", "tile", "cat", "concat",
    "concatenate", "stack", "split", "chunk", "unbind", "flip", "roll", "tril", "triu",
    "narrow", "meshgrid",
    # from glassnet.ops.indexing
    "gather", "scatter_add", "index_select", "masked_select", "nonzero", "take_along_dim",
    "take",
]


def _dim(d, ndim, fn):
    if not -max(ndim, 1) <= d < max(ndim, 1):
        raise IndexError(f"{fn}: dim {d} out of range for a tensor of {ndim} dimensions")
    return d % max(ndim, 1)


class Reshape(Function):
    is_view = True  # when NumPy can reshape without copying

    def forward(self, a, shape):
        self.in_shape = a.shape
        return a.reshape(shape)

    def backward(self, g):
        return g.reshape(self.in_shape)


class Permute(Function):
    is_view = True

    def forward(self, a, dims):
        self.dims = dims
        return a.transpose(dims)

    def backward(self, g):
        return g.transpose(np.argsort(self.dims))


class Expand(Function):
    is_view = True
    view_has_duplicates = True

    def forward(self, a, shape):
        self.in_shape = a.shape
        return _xp(a).broadcast_to(a, shape)

    def backward(self, g):
        return sum_to(g, self.in_shape)


class Repeat(Function):
    def forward(self, a, reps):
        self.in_shape = (1,) * (len(reps) - a.ndim) + a.shape
        self.orig = a.shape
        self.reps = reps
        return _xp(a).tile(a, reps)

    def backward(self, g):
        inter = []
        for r, s in zip(self.reps, self.in_shape):
            inter += [r, s]
        g = g.reshape(inter).sum(axis=tuple(range(0, 2 * len(self.reps), 2)))
        return g.reshape(self.orig)


class Cat(Function):
    def forward(self, *arrays, axis):
        self.axis = axis
        self.sizes = [a.shape[axis] for a in arrays]
        return _xp(*arrays).concatenate(arrays, axis=axis)

    def backward(self, g):
        cuts = np.cumsum(self.sizes)[:-1].tolist()
        return tuple(_xp(g).split(g, cuts, axis=self.axis))


class Stack(Function):
    def forward(self, *arrays, axis):
        self.axis = axis
        return _xp(*arrays).stack(arrays, axis=axis)

    def backward(self, g):
        return tuple(_xp(g).moveaxis(g, self.axis, 0))


class TakeAxis(Function):
    """Gather along one axis with an index vector: forward ``take``, backward a GEMM with
    the one-hot matrix of the index (used by reflect/replicate/circular padding)."""

    def forward(self, a, idx, axis):
        xp = _xp(a)
        idx = xp.asarray(idx)
        self.meta = (idx, axis, a.shape[axis])
        return xp.take(a, idx, axis=axis)

    def backward(self, g):
        idx, axis, n = self.meta
        xp = _xp(g)
        onehot = xp.zeros((len(idx), n), g.dtype)
        onehot[xp.arange(len(idx)), idx] = 1
        out = xp.tensordot(g, onehot, axes=([axis], [0]))
        return xp.moveaxis(out, -1, axis)


class ConstantPad(Function):
    def forward(self, a, widths, value):
        self.slices = tuple(slice(lo, lo + s) for (lo, _), s in zip(widths, a.shape))
        neg = any(lo < 0 or hi < 0 for lo, hi in widths)
        if neg:
            raise ValueError("pad: negative padding is not supported")
        return _xp(a).pad(a, widths, mode="constant", constant_values=value)

    def backward(self, g):
        return g[self.slices]


class Flip(Function):
    def forward(self, a, axes):
        self.axes = axes
        return _xp(a).flip(a, axes).copy()

    def backward(self, g):
        return _xp(g).flip(g, self.axes).copy()


class Roll(Function):
    def forward(self, a, shifts, axes):
        self.meta = (shifts, axes)
        return _xp(a).roll(a, shifts, axes)

    def backward(self, g):
        shifts, axes = self.meta
        neg = tuple(-s for s in shifts) if isinstance(shifts, tuple) else -shifts
        return _xp(g).roll(g, neg, axes)


class Triangle(Function):
    """Keep the lower (``upper=False``) or upper triangle of the last two dims."""

    def forward(self, a, diagonal, upper):
        self.meta = (diagonal, upper)
        xp = _xp(a)
        return xp.triu(a, diagonal) if upper else xp.tril(a, diagonal)

    def backward(self, g):
        diagonal, upper = self.meta
        xp = _xp(g)
        return xp.triu(g, diagonal) if upper else xp.tril(g, diagonal)


def _sizes(shape, fn=None):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    shape = tuple(shape)
    if fn is not None:
        for s in shape:
            if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
                raise TypeError(f"{fn}: sizes must be ints, got {type(s).__name__} {s!r} in "
                                f"{shape}")
    return shape


def reshape(input, *shape):
    """A tensor with the same data and a new shape (one dim may be -1)."""
    shape = tuple(int(s) for s in _sizes(shape, "reshape"))
    n = input.numel()
    known = int(math.prod([s for s in shape if s != -1]))
    n_infer = sum(1 for s in shape if s == -1)
    ok = n_infer <= 1 and all(s >= -1 for s in shape)
    if ok and n_infer == 1:
        ok = known != 0 and n % known == 0
        if ok:
            shape = tuple(n // known if s == -1 else s for s in shape)
    elif ok:
        ok = known == n
    if not ok:
        raise RuntimeError(f"reshape: shape {list(shape)} is invalid for input of size {n}")
    # NOTE: even to the same shape this is a new tensor (a view), as in torch.
    return Reshape.apply(input, shape=shape)


view = reshape


def view_as(input, other):
    """``input.view(other.size())``."""
    return reshape(input, *other.shape)


reshape_as = view_as


def permute(input, *dims):
    dims = _sizes(dims)
    if sorted(d % input.ndim for d in dims) != list(range(input.ndim)):
        raise ValueError(f"permute: dims must be a permutation of 0..{input.ndim - 1}, "
                         f"got {list(dims)}")
    return Permute.apply(input, dims=tuple(d % input.ndim for d in dims))


def transpose(input, dim0, dim1):
    """Swap two dimensions."""
    if input.ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return input
    d0, d1 = _dim(dim0, input.ndim, "transpose"), _dim(dim1, input.ndim, "transpose")
    dims = list(range(input.ndim))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(input, dims=tuple(dims))


swapaxes = transpose


def movedim(input, source, destination):
    """Move dims ``source`` (int or sequence) to positions ``destination``; the other
    dims keep their order."""
    src = [source] if isinstance(source, (int, np.integer)) else list(source)
    dst = [destination] if isinstance(destination, (int, np.integer)) else list(destination)
    if len(src) != len(dst):
        raise ValueError(f"movedim: source {source} and destination {destination} must "
                         f"have the same number of dims")
    nd = input.ndim
    src = [_dim(d, nd, "movedim") for d in src]
    dst = [_dim(d, nd, "movedim") for d in dst]
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f"movedim: repeated dim in source {source} or destination "
                         f"{destination}")
    rest = iter(d for d in range(nd) if d not in src)
    where = dict(zip(dst, src))
    dims = tuple(where[i] if i in where else next(rest) for i in range(nd))
    return Permute.apply(input, dims=dims)


def t(input):
    if input.ndim > 2:
        raise ValueError(f"t: expects a tensor with <= 2 dimensions, got {input.ndim}")
    return transpose(input, 0, 1) if input.ndim == 2 else input


def flatten(input, start_dim=0, end_dim=-1):
    if input.ndim == 0:
        return reshape(input, 1)
    s, e = _dim(start_dim, input.ndim, "flatten"), _dim(end_dim, input.ndim, "flatten")
    if s > e:
        raise ValueError(f"flatten: start_dim ({start_dim}) must be <= end_dim ({end_dim})")
    shape = input.shape
    new = tuple(shape[:s]) + (int(math.prod(shape[s:e + 1])),) + tuple(shape[e + 1:])
    return reshape(input, new)


def unflatten(input, dim, sizes):
    d = _dim(dim, input.ndim, "unflatten")
    shape = tuple(input.shape)
    return reshape(input, shape[:d] + tuple(sizes) + shape[d + 1:])


def squeeze(input, dim=None):
    shape = tuple(input.shape)
    if dim is None:
        new = tuple(s for s in shape if s != 1)
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = {_dim(d, input.ndim, "squeeze") for d in dims} if input.ndim else set()
        new = tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1))
    return reshape(input, new)


def unsqueeze(input, dim):
    d = _dim(dim, input.ndim + 1, "unsqueeze")
    shape = tuple(input.shape)
    return reshape(input, shape[:d] + (1,) + shape[d:])


def expand(input, *sizes):
    sizes = _sizes(sizes)
    lead = len(sizes) - input.ndim
    if lead < 0:
        raise ValueError(f"expand: the number of sizes ({len(sizes)}) must be >= the number "
                         f"of dimensions ({input.ndim})")
    shape = tuple(input.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    try:
        np.broadcast_shapes((1,) * lead + tuple(input.shape), shape)
    except ValueError:
        raise ValueError(f"expand: cannot expand shape {tuple(input.shape)} to "
                         f"{shape}") from None
    if shape == tuple(input.shape):
        return input
    return Expand.apply(input, shape=shape)


def broadcast_to(input, shape):
    return expand(input, *shape)


def expand_as(input, other):
    return expand(input, *other.shape)


def repeat(input, *sizes):
    """Tile the tensor ``sizes`` times along each dimension (``torch.Tensor.repeat``)."""
    reps = _sizes(sizes, "repeat")
    if any(r < 0 for r in reps):
        raise ValueError(f"repeat: repeats must be non-negative, got {tuple(reps)}")
    if len(reps) < input.ndim:
        raise ValueError(f"repeat: number of repeat dims ({len(reps)}) can not be smaller "
                         f"than the number of tensor dims ({input.ndim})")
    return Repeat.apply(input, reps=tuple(reps))


def repeat_interleave(input, repeats, dim=None, *, output_size=None):
    """Repeat each element ``repeats`` times along ``dim`` (the flattened input if None).

    ``repeats`` is an int or a 1-D int tensor with one count per element of ``dim``.
    Differentiable (the gradient sums over the copies).

    Examples
    --------
    >>> import glassnet
    >>> glassnet.tensor([[1, 2]]).repeat_interleave(2, dim=1).tolist()
    [[1, 1, 2, 2]]
    """
    fn = "repeat_interleave"
    if dim is None:
        input, dim = flatten(input), 0
    axis = _dim(dim, input.ndim, fn)
    n = input.shape[axis] if input.ndim else 1
    reps = repeats._data if isinstance(repeats, Tensor) else np.asarray(repeats)
    if reps.dtype.kind not in "iu" or reps.ndim > 1 or reps.size not in (1, n):
        raise ValueError(f"{fn}: repeats must be an int or a 1-D int tensor of length {n}, "
                         f"got {reps.dtype} of shape {reps.shape}")
    if (reps < 0).any():
        raise ValueError(f"{fn}: repeats must be non-negative")
    index = np.repeat(np.arange(n), reps.reshape(-1) if reps.size == n else int(reps.flat[0]))
    if output_size is not None and index.size != output_size:
        raise ValueError(f"{fn}: output_size={output_size} does not match the {index.size} "
                         f"repeated elements")
    if input.ndim == 0:
        input = reshape(input, 1)
    return getitem(input, (slice(None),) * axis + (index,))


def tile(input, dims):
    dims = tuple(dims)
    dims = (1,) * (input.ndim - len(dims)) + dims
    return repeat(input, *dims)


def _promote_all(tensors):
    """Cast ``tensors`` to their common dtype by PyTorch's rule: the highest category
    (bool < integer < float) wins, and only dtypes of that category are combined
    (int64 with float32 gives float32, where NumPy would give float64)."""
    from glassnet.ops.elementwise import cast

    rank = {"b": 0, "u": 1, "i": 1, "f": 2}
    top = max(rank[t.dtype.kind] for t in tensors)
    dt = np.result_type(*[t.dtype for t in tensors if rank[t.dtype.kind] == top])
    return [cast(t, dt) if t.dtype != dt else t for t in tensors]


def _check_sequence(tensors, fn):
    if isinstance(tensors, Tensor) or not hasattr(tensors, "__iter__"):
        raise TypeError(f"{fn}: expected a sequence of Tensors (a tuple or list), got "
                        f"{type(tensors).__name__}")


def cat(tensors, dim=0):
    """Concatenate along an existing dimension."""
    _check_sequence(tensors, "cat")
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    tensors = _promote_all(tensors)
    ndim = tensors[0].ndim
    axis = _dim(dim, ndim, "cat")
    for i, x in enumerate(tensors):
        if x.ndim != ndim or any(a != b for j, (a, b) in enumerate(
                zip(x.shape, tensors[0].shape)) if j != axis):
            raise ValueError(f"cat: tensor {i} has shape {tuple(x.shape)}, which does not "
                             f"match {tuple(tensors[0].shape)} outside dim {dim}")
    return Cat.apply(*tensors, axis=axis)


concat = cat
concatenate = cat


def stack(tensors, dim=0):
    """Stack tensors of equal shape along a new dimension."""
    _check_sequence(tensors, "stack")
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    for i, x in enumerate(tensors):
        if x.shape != tensors[0].shape:
            raise ValueError(f"stack: expects each tensor to be equal size, but got "
                             f"{tuple(tensors[0].shape)} at entry 0 and {tuple(x.shape)} at "
                             f"entry {i}")
    axis = _dim(dim, tensors[0].ndim + 1, "stack")
    return Stack.apply(*_promote_all(tensors), axis=axis)


def narrow(input, dim, start, length):
    """``length`` entries of ``dim`` from ``start`` (a negative start counts from the end),
    as ``torch.narrow``: the range must lie inside the dimension."""
    d = _dim(dim, input.ndim, "narrow")
    for name, v in (("start", start), ("length", length)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"narrow: {name} must be an int, got {type(v).__name__} {v!r}")
    n = input.shape[d]
    if not -n <= start <= n:
        raise IndexError(f"narrow: start {start} is out of range for dimension {dim} of "
                         f"size {n} (expected {-n}..{n})")
    if start < 0:
        start += n
    if length < 0 or start + length > n:
        raise ValueError(f"narrow: start ({start}) + length ({length}) must lie in 0..{n} "
                         f"(the size of dimension {dim}), with length >= 0")
    idx = [slice(None)] * input.ndim
    idx[d] = slice(start, start + length)
    return getitem(input, tuple(idx))


def split(tensor, split_size_or_sections, dim=0):
    """Split into chunks of ``split_size`` (last may be smaller) or given section sizes."""
    d = _dim(dim, tensor.ndim, "split")
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, int):
        s = split_size_or_sections
        if s <= 0:
            raise ValueError(f"split: split_size must be positive, got {s}")
        sizes = [s] * (n // s) + ([n % s] if n % s else [])
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise ValueError(f"split: sections {sizes} do not sum to the size {n} of dim {dim}")
    out, start = [], 0
    for s in sizes:
        out.append(narrow(tensor, d, start, s))
        start += s
    return tuple(out)


def chunk(input, chunks, dim=0):
    """Split into ``chunks`` pieces of size ceil(n / chunks) (fewer if n is small)."""
    if isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer)) or chunks < 1:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
    n = input.shape[_dim(dim, input.ndim, "chunk")]
    size = -(-n // chunks)
    return split(input, max(size, 1), dim)


def unbind(input, dim=0):
    d = _dim(dim, input.ndim, "unbind")
    return tuple(getitem(input, (slice(None),) * d + (i,)) for i in range(input.shape[d]))


def _pad_index(n, lo, hi, mode):
    """Source index for each output position of a padded axis."""
    pos = np.arange(-lo, n + hi)
    if mode == "replicate":
        return np.clip(pos, 0, n - 1)
    if mode == "circular":
        return pos % n
    # reflect (without repeating the edge): period 2n - 2
    if n == 1:
        return np.zeros_like(pos)
    period = 2 * (n - 1)
    m = np.abs(pos) % period
    return np.where(m >= n, period - m, m)


def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad) // 2`` dimensions, ``pad = (left, right, top, bottom, ...)``
    ordered from the last dimension backwards (``torch.nn.functional.pad``)."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: padding length must be even and at most 2 * ndim "
                         f"({2 * input.ndim}), got {len(pad)}")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise ValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or "
                         f"'circular', got {mode!r}")
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        widths[input.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if mode == "constant":
        return ConstantPad.apply(input, widths=tuple(widths),
                                 value=0 if value is None else value)
    out = input
    for axis, (lo, hi) in enumerate(widths):
        if lo == 0 and hi == 0:
            continue
        n = input.shape[axis]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise ValueError(f"pad: padding size should be less than the corresponding input "
                             f"dimension for reflect, got padding ({lo}, {hi}) for size {n}")
        out = TakeAxis.apply(out, idx=_pad_index(n, lo, hi, mode), axis=axis)
    return out


def flip(input, dims):
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    return Flip.apply(input, axes=tuple(_dim(d, input.ndim, "flip") for d in dims))


def roll(input, shifts, dims=None):
    if dims is None:
        return reshape(Roll.apply(flatten(input), shifts=shifts, axes=0), *input.shape)
    if isinstance(shifts, (list, tuple)):
        shifts, dims = tuple(shifts), tuple(dims)
    return Roll.apply(input, shifts=shifts, axes=dims)


def _triangle(input, diagonal, upper, fn):
    if input.ndim < 2:
        raise ValueError(f"{fn}: input must have at least 2 dimensions, got shape "
                         f"{tuple(input.shape)}")
    if not isinstance(diagonal, (int, np.integer)) or isinstance(diagonal, bool):
        raise TypeError(f"{fn}: diagonal must be an int, got {type(diagonal).__name__}")
    return Triangle.apply(input, diagonal=int(diagonal), upper=upper)


def tril(input, diagonal: int = 0):
    """The lower triangle of the last two dims: elements with ``j - i <= diagonal``.

    Shape
    -----
    input: ``(*, m, n)``; output: ``(*, m, n)``.

    Examples
    --------
    >>> import glassnet
    >>> glassnet.tril(glassnet.ones(2, 3)).tolist()
    [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]]
    """
    return _triangle(input, diagonal, False, "tril")


def triu(input, diagonal: int = 0):
    """The upper triangle of the last two dims: elements with ``j - i >= diagonal``.

    Shape
    -----
    input: ``(*, m, n)``; output: ``(*, m, n)``.
    """
    return _triangle(input, diagonal, True, "triu")


def meshgrid(*tensors, indexing: str = "ij"):
    """Coordinate grids from 1-D tensors, as ``torch.meshgrid``.

    With ``indexing='ij'`` output ``k`` has shape ``(len(t0), len(t1), ...)`` and
    varies along dim ``k``; ``'xy'`` swaps the first two dims (NumPy's default).
    Differentiable (each output is an expanded view of its input).
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    for k, t in enumerate(tensors):
        if t.ndim > 1:
            raise ValueError(f"meshgrid: expected 0-D or 1-D tensors, got shape "
                             f"{tuple(t.shape)} for tensor {k}")
    n = len(tensors)
    axes = list(range(n))
    if indexing == "xy" and n >= 2:
        axes[0], axes[1] = 1, 0
    shape = [0] * n
    for k, t in enumerate(tensors):
        shape[axes[k]] = t.numel()
    out = []
    for k, t in enumerate(tensors):
        view_shape = [1] * n
        view_shape[axes[k]] = -1
        out.append(expand(reshape(t, *view_shape), *shape))
    return tuple(out)

