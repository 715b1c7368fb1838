"""One normaliser for the ``dim``/``keepdim`` arguments of every reduction and
dim-taking op: PyTorch's argument parser also accepts NumPy's spellings ``axis=`` and
``keepdims=``, and NumPy's functions (``np.mean(t)``, ``np.any(t)``) call the Tensor
method with ``axis``, ``out`` (always None there) and ``keepdims``."""
from __future__ import annotations

import builtins
import functools
import inspect

import numpy as np

_ALIASES = (("axis", "dim"), ("keepdims", "keepdim"), ("ddof", "correction"))


def dim_aliases(fn):
    """Decorate ``fn(input, dim=..., keepdim=...)`` so that ``axis=``/``keepdims=`` (and
    ``ddof=`` for ``correction=``) are accepted, and NumPy's ``out=None`` and
    ``dtype=None`` are ignored.

    Examples
    --------
    >>> @dim_aliases
    ... def f(input, dim=None, keepdim=False):
    ...     return dim, keepdim
    >>> f(None, axis=1, keepdims=True)
    (1, True)
    """
    name = fn.__name__
    takes_dtype = "dtype" in inspect.signature(fn).parameters

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        for alias, canonical in _ALIASES:
            if alias in kwargs:
                if canonical in kwargs:
                    raise TypeError(f"{name}: got both {canonical}= and its alias {alias}=")
                kwargs[canonical] = kwargs.pop(alias)
        if not takes_dtype and "dtype" in kwargs and kwargs["dtype"] is None:
            del kwargs["dtype"]  # np.std(t) passes dtype=None
        if "out" in kwargs:
            if kwargs.pop("out") is not None:
                raise TypeError(f"{name}: out= is not supported; use the returned tensor")
        return fn(*args, **kwargs)

    return wrapper


def _axes(dim, ndim, fn="reduce"):
    """Normalise ``dim`` (None, int or sequence) into a sorted tuple of axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = []
    for d in dims:
        lim = builtins.max(ndim, 1)
        if not -lim <= d < lim:
            raise IndexError(f"{fn}: dim {d} out of range for a tensor of {ndim} dimensions")
        out.append(d % lim if ndim else 0)
    return tuple(sorted(set(out))) if ndim else ()


def _expand_back(g, in_shape, axes, keepdim):
    """Reshape a reduced gradient so it broadcasts against ``in_shape``."""
    if not keepdim:
        shape = list(in_shape)
        for a in axes:
            shape[a] = 1
        g = g.reshape(shape)
    return g
