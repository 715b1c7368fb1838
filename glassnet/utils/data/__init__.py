"""``glassnet.utils.data``: the ``torch.utils.data`` counterpart.

Datasets (``Dataset``, ``IterableDataset``, ``TensorDataset``, ``ConcatDataset``,
``ChainDataset``, ``Subset``, ``random_split``), samplers (``Sampler``,
``SequentialSampler``, ``RandomSampler``, ``SubsetRandomSampler``,
``WeightedRandomSampler``, ``BatchSampler``, ``distributed.DistributedSampler``), the
``DataLoader`` (threaded workers, exact resume), ``get_worker_info`` and collation
(``default_collate``, ``default_convert``).  glassnet extras: ``get_sample_generator`` and
``sample_generator``, the per-sample random streams of data augmentation.

The standard datasets and image transforms are torchvision's, so they live in
:mod:`glassnet.vision.datasets` and :mod:`glassnet.vision.transforms`.

Examples
--------
>>> import glassnet as torch
>>> ds = torch.utils.data.TensorDataset(torch.arange(6.0), torch.arange(6))
>>> [y.tolist() for _, y in torch.utils.data.DataLoader(ds, batch_size=4)]
[[0, 1, 2, 3], [4, 5]]
"""
from __future__ import annotations

from glassnet.utils.data._random import get_sample_generator, sample_generator
from glassnet.utils.data.collate import default_collate, default_convert
from glassnet.utils.data.dataset import (ChainDataset, ConcatDataset, Dataset,
                                         IterableDataset, Subset, TensorDataset, random_split)
from glassnet.utils.data.distributed import DistributedSampler
from glassnet.utils.data.loader import DataLoader, WorkerInfo, get_worker_info
from glassnet.utils.data.sampler import (BatchSampler, RandomSampler, Sampler,
                                         SequentialSampler, SubsetRandomSampler,
                                         WeightedRandomSampler)

__all__ = [
    "Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset",
    "ChainDataset", "random_split", "Sampler", "SequentialSampler", "RandomSampler",
    "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler", "DistributedSampler",
    "DataLoader", "default_collate", "default_convert", "get_worker_info", "WorkerInfo",
    "get_sample_generator", "sample_generator",
]
