"""Collation: ``default_collate`` and ``default_convert`` (``torch.utils.data`` names).

The :class:`~glassnet.utils.data.DataLoader` merges the samples of a batch with
``default_collate`` and, with ``batch_size=None``, converts single samples with
``default_convert``.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from glassnet.backend import get_default_dtype
from glassnet.tensor import Tensor

__all__ = ["default_collate", "default_convert"]


def _is_namedtuple(obj) -> bool:
    return isinstance(obj, tuple) and hasattr(obj, "_fields")


def default_collate(batch):
    """Merge a list of samples into a batch, as ``torch.utils.data.default_collate``.

    - Tensors and numpy arrays are stacked along a new dimension 0 into a Tensor; the
      dtype is kept (float32 stays float32, float64 stays float64, uint8 stays uint8).
    - numpy scalars become a 1-D Tensor of their dtype; Python ``float`` becomes float32
      (glassnet's default dtype; PyTorch gives float64), ``int`` int64, ``bool`` bool.
    - ``str``/``bytes`` are returned as a list.
    - dicts, namedtuples, tuples and lists are collated element-wise (a tuple gives a
      list, as in PyTorch, so ``images, labels = batch`` works).

    Parameters
    ----------
    batch : list
        Samples as returned by ``dataset[i]``.

    Returns
    -------
    The batch, with the structure of one sample.

    Shape
    -----
    - sample arrays: ``(*)``; output: ``(N, *)``.

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.utils.data import default_collate
    >>> x, y = default_collate([(np.zeros(3, np.float32), 1), (np.ones(3, np.float32), 2)])
    >>> tuple(x.shape), y.dtype
    ((2, 3), dtype('int64'))
    """
    if not isinstance(batch, (list, tuple)) or len(batch) == 0:
        raise ValueError(f"default_collate: batch must be a non-empty list of samples, got "
                         f"{type(batch).__name__} of length "
                         f"{len(batch) if hasattr(batch, '__len__') else '?'}")
    elem = batch[0]
    if isinstance(elem, (Tensor, np.ndarray)):
        arrays = [b._data if isinstance(b, Tensor) else np.asarray(b) for b in batch]
        if arrays[0].dtype.kind in "USO":
            raise TypeError(f"default_collate: numpy arrays of dtype {arrays[0].dtype} "
                            f"cannot be collated")
        shapes = {a.shape for a in arrays}
        if len(shapes) > 1:
            raise ValueError(f"default_collate: all arrays in a batch must have the same "
                             f"shape, got {sorted(shapes)} (resize the samples or pass a "
                             f"collate_fn that pads)")
        return Tensor._wrap(np.stack(arrays))
    if isinstance(elem, np.generic):
        if elem.dtype.kind in "USO":
            return list(batch)
        return Tensor._wrap(np.array(batch, dtype=elem.dtype))
    if isinstance(elem, bool):
        return Tensor._wrap(np.array(batch, dtype=np.bool_))
    if isinstance(elem, float):
        return Tensor._wrap(np.array(batch, dtype=get_default_dtype()))
    if isinstance(elem, int):
        return Tensor._wrap(np.array(batch, dtype=np.int64))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, Mapping):
        out = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(out)
        except TypeError:
            return out
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, Sequence):
        size = len(elem)
        if any(len(b) != size for b in batch):
            raise ValueError("default_collate: each element in list of batch should be of "
                             "equal size")
        transposed = [default_collate(list(s)) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return transposed
        try:
            return type(elem)(transposed)
        except TypeError:
            return transposed
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, "
                    f"dicts or lists; found {type(elem).__name__}")


def default_convert(data):
    """Convert numpy arrays in one sample to Tensors without stacking (``batch_size=None``)."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        if data.dtype.kind in "USO":
            return data
        return Tensor._wrap(data)
    if isinstance(data, np.generic) and data.dtype.kind not in "USO":
        return Tensor._wrap(np.asarray(data))
    if isinstance(data, Mapping):
        out = {k: default_convert(v) for k, v in data.items()}
        try:
            return type(data)(out)
        except TypeError:
            return out
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
