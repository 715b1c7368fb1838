"""Data loading (``torch.utils.data`` names): datasets, samplers, ``DataLoader``.

``glassnet.data.transforms`` holds the torchvision-style image transforms and
``glassnet.data.datasets`` the standard datasets (Digits, MNIST, CIFAR, ImageFolder).
"""
from __future__ import annotations

from glassnet.data._random import get_sample_generator, sample_generator
from glassnet.data.dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset,
                                   Subset, TensorDataset, random_split)
from glassnet.data.loader import (DataLoader, WorkerInfo, default_collate, default_convert,
                                  get_worker_info)
from glassnet.data.sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                                   SubsetRandomSampler, WeightedRandomSampler)

__all__ = [
    "Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset",
    "ChainDataset", "random_split", "Sampler", "SequentialSampler", "RandomSampler",
    "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler", "DataLoader",
    "default_collate", "default_convert", "get_worker_info", "WorkerInfo",
    "get_sample_generator", "sample_generator", "transforms", "datasets",
]


def __getattr__(name):
    # The transforms (Pillow) and datasets (downloads) subpackages load on first use.
    import importlib

    if name in ("transforms", "datasets"):
        return importlib.import_module(f"glassnet.data.{name}")
    raise AttributeError(f"module 'glassnet.data' has no attribute {name!r}")
