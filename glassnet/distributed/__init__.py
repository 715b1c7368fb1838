"""``glassnet.distributed``: torch.distributed's process groups and collectives over MPI.

Run ``N`` processes with ``mpiexec -n N python3 script.py`` (``glassnet train --nproc N``
does it for the CLI); each calls :func:`init_process_group` (``backend="mpi"``, the only
backend), then the collectives (:func:`all_reduce`, :func:`broadcast`,
:func:`all_gather`, :func:`reduce_scatter`, ...) work in place on Tensors, and
``nn.parallel.DistributedDataParallel`` averages gradients during backward.  The MPI
runtime is mpi4py plus an MPI library (``pip install 'glassnet[mpi]'`` brings the
``mpich`` wheel with its ``mpiexec``).  Without mpi4py :func:`is_available` is False
and :func:`init_process_group` says what to install.

An uncaught exception on any rank prints its traceback and calls ``MPI_Abort``, so
the whole group exits with an error instead of hanging in the next collective.

Examples
--------
>>> import glassnet.distributed as dist
>>> dist.is_initialized()
False
"""
from __future__ import annotations

from glassnet.distributed._group import (Backend, GroupMember, ProcessGroup,
                                         destroy_process_group, get_backend, get_rank,
                                         get_world_size, init_process_group, is_available,
                                         is_initialized, is_mpi_available, new_group)
from glassnet.distributed.collectives import (ReduceOp, Work, all_gather,
                                              all_gather_into_tensor, all_reduce, barrier,
                                              broadcast, reduce, reduce_scatter,
                                              reduce_scatter_tensor)

__all__ = ["Backend", "GroupMember", "ProcessGroup", "ReduceOp", "Work", "is_available",
           "is_mpi_available", "is_initialized", "init_process_group",
           "destroy_process_group", "get_rank", "get_world_size", "get_backend", "new_group",
           "all_reduce", "reduce", "broadcast", "all_gather", "all_gather_into_tensor",
           "reduce_scatter", "reduce_scatter_tensor", "barrier"]
