"""``torch.nn.parallel``: :class:`DataParallel` and :class:`DistributedDataParallel`.

glassnet has no CUDA devices, so ``DataParallel`` does what PyTorch does on a machine
without GPUs: run the wrapped module as it is.  ``DistributedDataParallel`` trains one
replica per MPI rank and averages gradients during backward (``glassnet.distributed``).
"""
from __future__ import annotations

from glassnet.nn.parallel.data_parallel import DataParallel  # noqa: F401
from glassnet.nn.parallel.distributed import DistributedDataParallel  # noqa: F401

__all__ = ["DataParallel", "DistributedDataParallel"]
