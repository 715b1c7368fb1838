"""Datasets: the map-style and iterable interfaces and their combinators.

Names and semantics follow ``torch.utils.data``: a map-style :class:`Dataset` has
``__getitem__(index)`` and ``__len__``; an :class:`IterableDataset` has ``__iter__``.
"""
from __future__ import annotations

import bisect
import math
from typing import Sequence

import numpy as np

from glassnet.backend import default_generator
from glassnet.tensor import Tensor

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset",
           "ChainDataset", "random_split"]


class Dataset:
    """A map-style dataset: ``dataset[index]`` returns one sample.

    Subclasses implement ``__getitem__`` and (for samplers and ``len(loader)``)
    ``__len__``.  ``a + b`` concatenates two datasets.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__}: subclasses of Dataset must "
                                  f"implement __getitem__")

    def __add__(self, other: "Dataset") -> "ConcatDataset":
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is a stream: ``iter(dataset)`` yields samples.

    A :class:`~glassnet.utils.data.DataLoader` reads it in order; samplers do not apply.
    """

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__}: subclasses of IterableDataset "
                                  f"must implement __iter__")

    def __add__(self, other: "IterableDataset") -> "ChainDataset":
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the rows of tensors that share their first dimension.

    Parameters
    ----------
    *tensors : Tensor or numpy.ndarray
        Tensors with the same size in dimension 0 (arrays are wrapped without a copy).

    Shape
    -----
    - each tensor: ``(N, *)``; ``dataset[i]`` is a tuple of tensors of shape ``(*)``.

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.utils.data import TensorDataset
    >>> ds = TensorDataset(np.zeros((4, 2), np.float32), np.arange(4))
    >>> len(ds), ds[1][1].item()
    (4, 1)
    """

    def __init__(self, *tensors):
        arrays = []
        for k, t in enumerate(tensors):
            if isinstance(t, Tensor):
                arrays.append(t._data)
            elif isinstance(t, np.ndarray):
                arrays.append(t)
            else:
                raise TypeError(f"TensorDataset: tensors[{k}] must be a Tensor or ndarray, "
                                f"got {type(t).__name__}")
            if arrays[-1].ndim == 0:
                raise ValueError(f"TensorDataset: tensors[{k}] must have at least 1 "
                                 f"dimension, got a 0-d tensor")
        if arrays and any(a.shape[0] != arrays[0].shape[0] for a in arrays):
            raise ValueError(f"TensorDataset: all tensors must have the same size in "
                             f"dimension 0, got {[a.shape[0] for a in arrays]}")
        self._arrays = arrays
        self.tensors = tuple(Tensor._wrap(a) for a in arrays)

    def __getitem__(self, index):
        return tuple(Tensor._wrap(np.asarray(a[index])) for a in self._arrays)

    def __len__(self) -> int:
        return self._arrays[0].shape[0] if self._arrays else 0


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    Parameters
    ----------
    dataset : Dataset
    indices : sequence of int
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int]):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return [self.dataset[self.indices[i]] for i in index]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """The concatenation of several map-style datasets.

    Parameters
    ----------
    datasets : iterable of Dataset
        Non-empty; none may be an :class:`IterableDataset`.
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset: does not support IterableDataset, "
                                "use ChainDataset")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]).tolist())

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        n = len(self)
        if index < 0:
            if -index > n:
                raise IndexError(f"ConcatDataset: index {index} out of range for length {n}")
            index = n + index
        if index >= n:
            raise IndexError(f"ConcatDataset: index {index} out of range for length {n}")
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][index - start]


class ChainDataset(IterableDataset):
    """The concatenation of several iterable datasets, read one after another."""

    def __init__(self, datasets):
        self.datasets = list(datasets)

    def __iter__(self):
        for d in self.datasets:
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)


def random_split(dataset: Dataset, lengths: Sequence, generator=None) -> list:
    """Split ``dataset`` into non-overlapping random subsets of the given lengths.

    Parameters
    ----------
    dataset : Dataset
    lengths : sequence of int or float
        Sizes summing to ``len(dataset)``, or fractions summing to 1 (each size is
        ``floor(len * fraction)``; the remainder is added one by one to the subsets in
        round-robin order, as ``torch.utils.data.random_split`` does).
    generator : numpy.random.Generator, optional
        Source of the permutation; default ``glassnet.backend.default_generator()``.

    Returns
    -------
    list of Subset

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.utils.data import TensorDataset, random_split
    >>> a, b = random_split(TensorDataset(np.arange(10)), [0.8, 0.2],
    ...                     generator=np.random.default_rng(0))
    >>> len(a), len(b)
    (8, 2)
    """
    n = len(dataset)
    lengths = list(lengths)
    if lengths and all(isinstance(x, float) for x in lengths) and math.isclose(sum(lengths), 1):
        for k, frac in enumerate(lengths):
            if not 0 <= frac <= 1:
                raise ValueError(f"random_split: fraction at index {k} must be in [0, 1], "
                                 f"got {frac}")
        sizes = [int(math.floor(n * frac)) for frac in lengths]
        for k in range(n - sum(sizes)):
            sizes[k % len(sizes)] += 1
        lengths = sizes
    if any(not isinstance(x, (int, np.integer)) or x < 0 for x in lengths):
        raise ValueError(f"random_split: lengths must be non-negative ints or fractions "
                         f"summing to 1, got {lengths}")
    if sum(lengths) != n:
        raise ValueError(f"random_split: sum of input lengths ({sum(lengths)}) does not "
                         f"equal the length of the input dataset ({n})")
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"random_split: generator must be a numpy.random.Generator, got "
                        f"{type(generator).__name__}")
    rng = default_generator() if generator is None else generator
    perm = rng.permutation(n).tolist()
    out, start = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[start:start + int(length)]))
        start += int(length)
    return out
