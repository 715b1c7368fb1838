"""Samplers: which dataset indices an epoch visits, and in what order.

Names and semantics follow ``torch.utils.data``.  Random samplers take an optional
``generator`` (a ``numpy.random.Generator``); without one, each ``__iter__`` draws a
fresh seed from ``glassnet.backend.default_generator()``, so ``glassnet.manual_seed``
makes the order reproducible.
"""
from __future__ import annotations

from typing import Iterable, Iterator, Sequence

import numpy as np

from glassnet.backend import default_generator

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]


def _check_generator(generator, fn: str):
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"{fn}: generator must be a numpy.random.Generator or None, got "
                        f"{type(generator).__name__}")
    return generator


def _epoch_rng(generator) -> np.random.Generator:
    """The generator for one epoch: the given one, or one seeded from the default."""
    if generator is not None:
        return generator
    seed = int(default_generator().integers(0, 2**63 - 1))
    return np.random.default_rng(seed)


def _check_count(value, name: str, fn: str, allow_zero: bool = False) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0 \
            or (value == 0 and not allow_zero):
        kind = "a non-negative" if allow_zero else "a positive"
        raise ValueError(f"{fn}: {name} should be {kind} integer, got {value!r}")
    return int(value)


class Sampler:
    """Base class: ``iter(sampler)`` yields dataset indices (or lists of them)."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self) -> Iterator:
        raise NotImplementedError(f"{type(self).__name__}: subclasses of Sampler must "
                                  f"implement __iter__")


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1`` in order."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """Indices in random order.

    Parameters
    ----------
    data_source : Dataset
    replacement : bool
        Draw ``num_samples`` indices with replacement; default False (a permutation).
    num_samples : int, optional
        Number of indices per epoch; default ``len(data_source)``.  Without
        replacement, values above the length concatenate several permutations.
    generator : numpy.random.Generator, optional
    """

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None,
                 generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement should be a boolean value, got "
                            f"{replacement!r}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = _check_generator(generator, "RandomSampler")
        if num_samples is not None:
            _check_count(num_samples, "num_samples", "RandomSampler")

    @property
    def num_samples(self) -> int:
        if self._num_samples is None:
            return len(self.data_source)
        return self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        rng = _epoch_rng(self.generator)
        if self.replacement:
            return iter(rng.integers(0, n, size=self.num_samples).tolist())
        chunks = [rng.permutation(n) for _ in range(self.num_samples // n)] if n else []
        if n and self.num_samples % n:
            chunks.append(rng.permutation(n)[:self.num_samples % n])
        if not chunks:
            return iter([])
        return iter(np.concatenate(chunks).tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in random order (a permutation per epoch)."""

    def __init__(self, indices: Sequence[int], generator=None):
        self.indices = indices
        self.generator = _check_generator(generator, "SubsetRandomSampler")

    def __iter__(self) -> Iterator[int]:
        rng = _epoch_rng(self.generator)
        return iter(self.indices[int(i)] for i in rng.permutation(len(self.indices)))

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """Indices ``0..len(weights)-1`` drawn with probabilities proportional to ``weights``.

    Parameters
    ----------
    weights : sequence of float
        Non-negative, not all zero; they need not sum to one.
    num_samples : int
        Indices per epoch.
    replacement : bool
        With replacement (default).  Without, ``num_samples`` must not exceed the
        number of non-zero weights.
    generator : numpy.random.Generator, optional
    """

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator=None):
        self.num_samples = _check_count(num_samples, "num_samples", "WeightedRandomSampler")
        if not isinstance(replacement, bool):
            raise ValueError(f"WeightedRandomSampler: replacement should be a boolean value, "
                             f"got {replacement!r}")
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"WeightedRandomSampler: weights should be a 1d sequence, got "
                             f"shape {w.shape}")
        if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError("WeightedRandomSampler: weights must be finite, non-negative "
                             "and not all zero")
        if not replacement and num_samples > np.count_nonzero(w):
            raise ValueError(f"WeightedRandomSampler: cannot draw {num_samples} samples "
                             f"without replacement from {np.count_nonzero(w)} non-zero weights")
        self.weights = w
        self.replacement = replacement
        self.generator = _check_generator(generator, "WeightedRandomSampler")

    def __iter__(self) -> Iterator[int]:
        rng = _epoch_rng(self.generator)
        p = self.weights / self.weights.sum()
        idx = rng.choice(len(p), size=self.num_samples, replace=self.replacement, p=p)
        return iter(idx.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size``.

    Parameters
    ----------
    sampler : Sampler or iterable of int
    batch_size : int
    drop_last : bool
        Drop the last batch when it is smaller than ``batch_size``.

    Examples
    --------
    >>> from glassnet.utils.data import BatchSampler, SequentialSampler
    >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool):
        self.batch_size = _check_count(batch_size, "batch_size", "BatchSampler")
        if not isinstance(drop_last, bool):
            raise ValueError(f"BatchSampler: drop_last should be a boolean value, got "
                             f"{drop_last!r}")
        self.sampler = sampler
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list]:
        batch = []
        for idx in self.sampler:
            batch.append(int(idx) if isinstance(idx, np.integer) else idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size
