"""``DistributedSampler``: each of ``num_replicas`` processes reads its own share of a dataset.

Names, arguments and semantics follow ``torch.utils.data.distributed``.
"""
from __future__ import annotations

import math
from typing import Iterator

import numpy as np

from glassnet.utils.data.sampler import Sampler

__all__ = ["DistributedSampler"]


def _process_group(fn: str, what: str) -> int:
    """``what`` ('world_size' or 'rank') of the default process group, if one exists."""
    import glassnet.distributed as dist

    if not dist.is_initialized():
        raise ValueError(f"{fn}: num_replicas and rank must be given when no distributed "
                         f"process group is initialized; got {what}=None (pass "
                         f"num_replicas=WORLD_SIZE, rank=RANK)")
    return dist.get_world_size() if what == "num_replicas" else dist.get_rank()


def _torch_randperm(n: int, seed: int) -> list:
    """``torch.randperm(n, generator=torch.Generator().manual_seed(seed))``, exactly.

    PyTorch's CPU generator is MT19937 seeded with the low 32 bits of ``seed`` (the
    reference ``init_genrand``, which is NumPy's legacy ``RandomState`` seeding), and its
    ``randperm`` for ``n < 2**32 / 20`` is the Fisher-Yates shuffle that swaps position
    ``i`` with ``i + random() % (n - i)`` for ``i = 0 .. n - 2``, one 32-bit draw each
    (``aten/src/ATen/native/TensorFactories.cpp``, ``randperm_cpu``).
    """
    if n >= 2**32 // 20:
        raise ValueError(f"DistributedSampler: shuffling follows torch.randperm's algorithm "
                         f"for datasets of fewer than {2**32 // 20} samples, got {n}")
    indices = list(range(n))
    if n < 2:
        return indices
    draws = np.random.RandomState(seed & 0xFFFFFFFF).randint(0, 2**32, size=n - 1,
                                                             dtype=np.uint32)
    offsets = (draws.astype(np.int64) % np.arange(n, 1, -1)).tolist()
    # NOTE: a Python loop over the dataset once per epoch: each swap depends on the
    # previous ones (Fisher-Yates), so it does not vectorise; ~40 ms per 60k samples.
    for i, z in enumerate(offsets):
        j = i + z
        indices[i], indices[j] = indices[j], indices[i]
    return indices


class DistributedSampler(Sampler):
    """Indices of the share of ``dataset`` read by process ``rank`` of ``num_replicas``.

    Each epoch the indices ``0 .. len(dataset) - 1`` are permuted (``shuffle=True``,
    seeded by ``seed + epoch``; call :meth:`set_epoch` before each epoch) or kept in
    order, then made divisible by ``num_replicas``: by repeating the first indices
    (``drop_last=False``, so some samples are read twice) or by dropping the tail
    (``drop_last=True``).  Rank ``r`` reads positions ``r, r + num_replicas, ...``.
    Every rank must use the same ``seed``.

    Parameters
    ----------
    dataset : Dataset
        A dataset with ``len``.
    num_replicas : int, optional
        Number of processes; default the world size of the initialized process group.
    rank : int, optional
        This process's rank in ``[0, num_replicas - 1]``; default the group's rank.
    shuffle : bool
        Permute the indices each epoch.
    seed : int
        Seed of the permutation (the same on every rank).
    drop_last : bool
        Drop the tail instead of padding when ``len(dataset)`` is not divisible by
        ``num_replicas``.

    Notes
    -----
    Each rank yields ``ceil(len(dataset) / num_replicas)`` indices, or
    ``ceil((len(dataset) - num_replicas) / num_replicas)`` with ``drop_last=True`` and an
    indivisible length.  The permutation is the one ``torch.randperm`` draws from a
    ``torch.Generator`` seeded with ``seed + epoch`` (MT19937, reproduced in NumPy), so
    every rank's index list equals PyTorch's, shuffled or not, and a run can switch
    between the two frameworks mid-epoch.

    Examples
    --------
    >>> from glassnet.utils.data.distributed import DistributedSampler
    >>> data = list(range(10))
    >>> [list(DistributedSampler(data, num_replicas=4, rank=r, shuffle=False))
    ...  for r in range(4)]
    [[0, 4, 8], [1, 5, 9], [2, 6, 0], [3, 7, 1]]
    """

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False):
        fn = "DistributedSampler"
        if num_replicas is None:
            num_replicas = _process_group(fn, "num_replicas")
        if rank is None:
            rank = _process_group(fn, "rank")
        for name, value in (("num_replicas", num_replicas), ("rank", rank), ("seed", seed)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{fn}: {name} must be an int, got {type(value).__name__}")
        if num_replicas < 1:
            raise ValueError(f"{fn}: num_replicas must be >= 1, got {num_replicas}")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"{fn}: invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = bool(drop_last)
        n = len(dataset)
        if self.drop_last and n % num_replicas != 0:
            # The largest per-rank count that every rank can fill without padding.
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = bool(shuffle)
        self.seed = seed

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            indices = _torch_randperm(n, self.seed + self.epoch)
        else:
            indices = list(range(n))
        if not self.drop_last:
            # Pad by repeating indices from the start (more than once if n is small).
            padding = self.total_size - len(indices)
            if padding > 0:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use epoch ``epoch``'s permutation: all ranks must call it with the same value."""
        self.epoch = epoch
