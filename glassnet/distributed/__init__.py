"""``glassnet.distributed``: torch.distributed's names for a build without a backend.

Data-parallel training over MPI (process groups, collectives, DistributedDataParallel)
is not built yet, so no backend is available: ``is_available()`` is False and no process
group is ever initialised.  That is the state torch reports before
``init_process_group``, so scripts that guard their distributed code
(``if dist.is_available() and dist.is_initialized(): ...``) run unchanged on one process;
the rank and world-size queries raise torch's error for an uninitialised group.
"""
from __future__ import annotations

__all__ = ["is_available", "is_initialized", "get_rank", "get_world_size",
           "init_process_group"]

_NOT_INITIALISED = ("Default process group has not been initialized, please make sure to "
                    "call init_process_group.")


def is_available() -> bool:
    """False: this glassnet has no distributed backend."""
    return False


def is_initialized() -> bool:
    """False: no process group exists."""
    return False


def get_rank(group=None) -> int:
    """Raises ValueError, as torch does before ``init_process_group``."""
    raise ValueError(_NOT_INITIALISED)


def get_world_size(group=None) -> int:
    """Raises ValueError, as torch does before ``init_process_group``."""
    raise ValueError(_NOT_INITIALISED)


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1,
                       rank=-1, **kwargs) -> None:
    """Raises RuntimeError: no distributed backend is available in glassnet yet."""
    raise RuntimeError(f"init_process_group: no distributed backend is available in "
                       f"glassnet (backend={backend!r}); glassnet.distributed.is_available() "
                       f"is False")
