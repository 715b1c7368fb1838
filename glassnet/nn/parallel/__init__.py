"""``torch.nn.parallel``: :class:`DataParallel`.

glassnet has no CUDA devices, so it does what PyTorch does on a machine without GPUs:
run the wrapped module as it is.  ``DistributedDataParallel`` (training over several
processes) is not here yet; it comes with ``glassnet.distributed`` (MPI).
"""
from __future__ import annotations

from glassnet.nn.parallel.data_parallel import DataParallel  # noqa: F401

__all__ = ["DataParallel"]
