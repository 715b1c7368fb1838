"""``glassnet.multiprocessing``: ``torch.multiprocessing``, which is Python's
:mod:`multiprocessing` plus tensor sharing strategies.

glassnet tensors are NumPy arrays, which pickle by value between processes, so the
sharing strategy is recorded and has no effect; everything else is the standard library's.
(Note that glassnet's DataLoader uses worker threads, not processes.)
"""
from __future__ import annotations

import multiprocessing as _mp
from multiprocessing import (  # noqa: F401
    Array, Barrier, Condition, Event, JoinableQueue, Lock, Manager, Pipe, Pool, Process, Queue,
    RLock, Semaphore, SimpleQueue, Value, active_children, cpu_count, current_process,
    get_all_start_methods, get_context, get_start_method, set_start_method,
)

__all__ = [
    "Array", "Barrier", "Condition", "Event", "JoinableQueue", "Lock", "Manager", "Pipe",
    "Pool", "Process", "Queue", "RLock", "Semaphore", "SimpleQueue", "Value",
    "active_children", "cpu_count", "current_process", "get_all_start_methods",
    "get_context", "get_start_method", "set_start_method", "get_sharing_strategy",
    "set_sharing_strategy", "get_all_sharing_strategies", "spawn",
]

_STRATEGIES = ("file_descriptor", "file_system")
_strategy = "file_descriptor"


def get_all_sharing_strategies() -> set:
    return set(_STRATEGIES)


def get_sharing_strategy() -> str:
    return _strategy


def set_sharing_strategy(new_strategy: str) -> None:
    """Record the strategy (torch's names); arrays are pickled by value either way."""
    global _strategy
    if new_strategy not in _STRATEGIES:
        raise ValueError(f"set_sharing_strategy: new_strategy must be one of "
                         f"{sorted(_STRATEGIES)}, got {new_strategy!r}")
    _strategy = new_strategy


def spawn(fn, args=(), nprocs: int = 1, join: bool = True, daemon: bool = False,
          start_method: str = "spawn"):
    """Start ``nprocs`` processes running ``fn(i, *args)``, as ``torch.multiprocessing.spawn``.

    With ``join`` (the default) waits for all of them and raises if one failed;
    otherwise returns the list of started processes.
    """
    if not isinstance(nprocs, int) or nprocs < 1:
        raise ValueError(f"spawn: nprocs must be a positive int, got {nprocs!r}")
    ctx = _mp.get_context(start_method)
    procs = [ctx.Process(target=fn, args=(i,) + tuple(args), daemon=daemon)
             for i in range(nprocs)]
    for p in procs:
        p.start()
    if not join:
        return procs
    for p in procs:
        p.join()
    failed = [(i, p.exitcode) for i, p in enumerate(procs) if p.exitcode != 0]
    if failed:
        raise RuntimeError(f"spawn: process {failed[0][0]} exited with code {failed[0][1]}")
    return None
