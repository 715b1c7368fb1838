"""Process groups over MPI: ``init_process_group``, ranks, sub-groups, abort on error.

The only backend is MPI through mpi4py (the binding Horovod and ChainerMN use).  The
launcher (``mpiexec -n N``, or ``glassnet train --nproc N``) starts the processes and
decides rank and world size, so ``init_process_group`` needs no address, port or store:
it wraps a duplicate of ``MPI.COMM_WORLD`` (library traffic never mixes with a user's own
mpi4py messages).  mpi4py is imported on first use only, since importing it starts MPI.
"""
from __future__ import annotations

import importlib.util
import sys
import traceback

__all__ = ["Backend", "ProcessGroup", "GroupMember", "is_available", "is_mpi_available",
           "is_initialized", "init_process_group", "destroy_process_group", "get_rank",
           "get_world_size", "get_backend", "new_group"]

_NOT_INITIALISED = ("Default process group has not been initialized, please make sure to "
                    "call init_process_group.")
_STATE = {"default": None, "groups": []}


class Backend(str):
    """Backend names (``torch.distributed.Backend``); glassnet has ``'mpi'`` only."""

    MPI = "mpi"
    UNDEFINED = "undefined"


class ProcessGroup:
    """A set of ranks that run collectives together (one MPI communicator).

    Parameters
    ----------
    comm : mpi4py.MPI.Comm
        The communicator this group owns (freed by :func:`destroy_process_group`).
    """

    def __init__(self, comm):
        self.comm = comm

    def rank(self) -> int:
        """This process's rank in the group."""
        return self.comm.Get_rank()

    def size(self) -> int:
        """The number of ranks in the group."""
        return self.comm.Get_size()

    def name(self) -> str:
        return Backend.MPI

    def __repr__(self):
        return f"ProcessGroup(backend='mpi', rank={self.rank()}, size={self.size()})"


class GroupMember:
    """``GroupMember.WORLD`` (the default group) and ``NON_GROUP_MEMBER``, as torch."""

    WORLD = None
    NON_GROUP_MEMBER = object()


def is_available() -> bool:
    """True when the MPI backend can be used: mpi4py is installed (``glassnet[mpi]``)."""
    return importlib.util.find_spec("mpi4py") is not None


def is_mpi_available() -> bool:
    """True when the MPI backend is available (the same as :func:`is_available`)."""
    return is_available()


def is_initialized() -> bool:
    """True between :func:`init_process_group` and :func:`destroy_process_group`."""
    return _STATE["default"] is not None


def _mpi(fn: str):
    """mpi4py's ``MPI`` module, or a RuntimeError saying how to install it."""
    try:
        from mpi4py import MPI
    except ImportError as err:  # mpi4py missing, or its MPI library missing
        raise RuntimeError(f"{fn}: the 'mpi' backend needs mpi4py and an MPI runtime "
                           f"(pip install 'glassnet[mpi]'); importing mpi4py failed: "
                           f"{err}") from err
    return MPI


def _abort_on_uncaught_exception(comm):
    """Make an uncaught exception on one rank end every rank (no hang in a collective)."""
    previous = sys.excepthook

    def hook(exc_type, exc, tb):
        if not is_initialized() or exc_type is KeyboardInterrupt:
            previous(exc_type, exc, tb)
            return
        rank, size = comm.Get_rank(), comm.Get_size()
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        sys.stderr.write(f"{text}glassnet.distributed: rank {rank} of {size} raised "
                         f"{exc_type.__name__}: {exc}; aborting all {size} ranks "
                         f"(MPI_Abort)\n")
        sys.stderr.flush()
        sys.stdout.flush()
        comm.Abort(1)

    sys.excepthook = hook


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout=None, world_size: int = -1, rank: int = -1, store=None,
                       group_name: str = "", pg_options=None, device_id=None) -> None:
    """Join the default process group: every rank that ``mpiexec`` started.

    Parameters
    ----------
    backend : str, optional
        ``'mpi'`` (the default and the only backend).
    init_method, store, pg_options, device_id, group_name : optional
        Accepted for torch's signature; MPI's launcher already connects the ranks.
    timeout : datetime.timedelta, optional
        Accepted and not enforced: MPI collectives have no timeout.  A rank that raises
        an uncaught exception calls ``MPI_Abort``, so the group ends instead of hanging.
    world_size, rank : int
        ``-1`` (default) takes them from the launcher; other values must agree with it.

    Raises
    ------
    RuntimeError
        mpi4py is missing, or the default group exists already.
    ValueError
        Another backend, or a ``world_size``/``rank`` the launcher did not give.

    Examples
    --------
    Run under ``mpiexec -n 2 python3 script.py``::

        import glassnet.distributed as dist
        dist.init_process_group("mpi")
        print(dist.get_rank(), "of", dist.get_world_size())
    """
    fn = "init_process_group"
    if backend is not None and str(backend).lower() != Backend.MPI:
        raise ValueError(f"{fn}: backend must be 'mpi' (the only glassnet backend; run the "
                         f"ranks with mpiexec), got {backend!r}")
    if is_initialized():
        raise RuntimeError(f"{fn}: trying to initialize the default process group twice!")
    MPI = _mpi(fn)
    comm = MPI.COMM_WORLD.Dup()
    for name, given, actual in (("world_size", world_size, comm.Get_size()),
                                ("rank", rank, comm.Get_rank())):
        if given not in (-1, None) and given != actual:
            comm.Free()
            raise ValueError(f"{fn}: {name}={given} disagrees with the MPI launcher, which "
                             f"started this process with {name}={actual}")
    _STATE["default"] = ProcessGroup(comm)
    _abort_on_uncaught_exception(comm)


def _group(group, fn: str) -> ProcessGroup:
    """``group``, or the default group; ValueError when none is initialised."""
    if group is None:
        if _STATE["default"] is None:
            raise ValueError(_NOT_INITIALISED)
        return _STATE["default"]
    if group is GroupMember.NON_GROUP_MEMBER:
        raise ValueError(f"{fn}: this rank is not a member of the group it was given")
    if not isinstance(group, ProcessGroup):
        raise TypeError(f"{fn}: group must be a ProcessGroup or None, got "
                        f"{type(group).__name__}")
    if group.comm is None:
        raise ValueError(f"{fn}: the group was destroyed by destroy_process_group")
    return group


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Free ``group``, or every group (the default included) when ``group`` is None."""
    if group is None:
        groups = _STATE["groups"] + ([_STATE["default"]] if _STATE["default"] else [])
        _STATE["default"], _STATE["groups"] = None, []
    else:
        groups = [_group(group, "destroy_process_group")]
        if group in _STATE["groups"]:
            _STATE["groups"].remove(group)
    for g in groups:
        if g.comm is not None:
            g.comm.Free()
            g.comm = None


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank in ``group`` (default: the default group)."""
    return _group(group, "get_rank").rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    """The number of ranks in ``group`` (default: the default group)."""
    return _group(group, "get_world_size").size()


def get_backend(group: ProcessGroup | None = None) -> str:
    """``'mpi'`` for an initialised group."""
    _group(group, "get_backend")
    return Backend.MPI


def new_group(ranks=None, timeout=None, backend=None, pg_options=None,
              use_local_synchronization: bool = False, group_desc=None,
              device_id=None, sort_ranks: bool = True):
    """A group of ``ranks`` of the default group; every rank must call it, as in torch.

    Returns the new :class:`ProcessGroup` on its members and
    ``GroupMember.NON_GROUP_MEMBER`` on the other ranks.  Ranks keep their order in
    the default group.
    """
    fn = "new_group"
    world = _group(None, fn)
    size = world.size()
    members = list(range(size)) if ranks is None else sorted(set(ranks))
    bad = [r for r in members if not isinstance(r, int) or not 0 <= r < size]
    if bad:
        raise ValueError(f"{fn}: ranks must be ints in [0, {size - 1}], got {list(ranks)}")
    MPI = _mpi(fn)
    member = world.rank() in members
    comm = world.comm.Split(0 if member else MPI.UNDEFINED, world.rank())
    if not member:
        return GroupMember.NON_GROUP_MEMBER
    group = ProcessGroup(comm)
    _STATE["groups"].append(group)
    return group
