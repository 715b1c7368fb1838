"""Collectives on Tensors, in place, with torch.distributed's names and arguments.

Each call maps to one MPI collective on the group's communicator: ``all_reduce`` is
``MPI_Allreduce`` (``MPI_Iallreduce`` with ``async_op=True``), ``broadcast`` is
``MPI_Bcast``, ``all_gather`` is ``MPI_Allgather``, ``reduce_scatter`` is
``MPI_Reduce_scatter_block``.  Every rank of the group must call the same collectives
in the same order (MPI's rule and torch's).  ``ReduceOp.AVG``, which MPI lacks, is a
sum divided by the world size.  Results are written into the Tensors' storage, whose
version counter is bumped as for any in-place op.
"""
from __future__ import annotations

import enum

import numpy as np

from glassnet.distributed._group import _group, _mpi
from glassnet.tensor import Tensor

__all__ = ["ReduceOp", "Work", "all_reduce", "broadcast", "all_gather",
           "all_gather_into_tensor", "reduce_scatter", "reduce_scatter_tensor", "reduce",
           "barrier"]


class RedOpType(enum.IntEnum):
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7


class ReduceOp:
    """Reductions of :func:`all_reduce`, :func:`reduce` and :func:`reduce_scatter`."""

    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR
    RedOpType = RedOpType


class Work:
    """The handle of an ``async_op=True`` collective (torch's ``Work``).

    :meth:`wait` blocks until the collective is done and its result is in the output
    Tensors; before that their contents are undefined.
    """

    def __init__(self, request, finish=None):
        self._request = request
        self._finish = finish
        self._done = False

    def is_completed(self) -> bool:
        """True once the collective has finished (does not write the result)."""
        return self._done or bool(self._request.Test())

    def wait(self, timeout=None) -> bool:
        """Block until done and write the result; returns True (as torch)."""
        if not self._done:
            self._request.Wait()
            self._done = True
            if self._finish is not None:
                self._finish()
        return True


def _tensor(t, name: str, fn: str) -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"{fn}: {name} must be a glassnet.Tensor, got {type(t).__name__}")
    return t


def _op(op, fn: str, data) -> tuple:
    """(MPI op, whether to divide by the world size) for ``op``."""
    try:
        op = RedOpType(op)
    except ValueError:
        raise ValueError(f"{fn}: op must be a ReduceOp (SUM, AVG, PRODUCT, MIN, MAX, BAND, "
                         f"BOR, BXOR), got {op!r}") from None
    if op is RedOpType.AVG and not np.issubdtype(data.dtype, np.floating):
        raise TypeError(f"{fn}: ReduceOp.AVG needs a floating-point tensor, got "
                        f"{data.dtype}")
    MPI = _mpi(fn)
    table = {RedOpType.SUM: MPI.SUM, RedOpType.AVG: MPI.SUM, RedOpType.PRODUCT: MPI.PROD,
             RedOpType.MIN: MPI.MIN, RedOpType.MAX: MPI.MAX, RedOpType.BAND: MPI.BAND,
             RedOpType.BOR: MPI.BOR, RedOpType.BXOR: MPI.BXOR}
    return table[op], op is RedOpType.AVG


def _rank(value, name: str, fn: str, size: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{fn}: {name} must be an int rank, got {type(value).__name__}")
    if not 0 <= value < size:
        raise ValueError(f"{fn}: {name} must be a rank in [0, {size - 1}], got {value}")
    return int(value)


def _launch(blocking, nonblocking, finish, async_op: bool):
    """Run a collective now, or start it and return its :class:`Work`."""
    if async_op:
        return Work(nonblocking(), finish)
    blocking()
    finish()
    return None


def _writer(t: Tensor, buf, scale=None):
    """The step that copies ``buf`` (the MPI result) into ``t``, scaled by ``scale``."""
    def finish():
        if scale is not None:
            buf[...] /= scale
        if buf is not t._data:
            t._data[...] = buf.reshape(t._data.shape)
        t._bump()
    return finish


def _contiguous(t: Tensor):
    """``t``'s array when MPI can write it directly, else a contiguous copy."""
    data = t._data
    return data if data.flags.c_contiguous else np.ascontiguousarray(data)


def all_reduce(tensor: Tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Reduce ``tensor`` over the group; every rank receives the result in ``tensor``.

    Parameters
    ----------
    tensor : Tensor
        Input and output, the same shape and dtype on every rank.
    op : ReduceOp
        ``SUM`` (default), ``AVG`` (floating tensors), ``PRODUCT``, ``MIN``, ``MAX``,
        ``BAND``, ``BOR``, ``BXOR``.
    group : ProcessGroup, optional
        Default: the default group.
    async_op : bool
        Return a :class:`Work` (non-blocking ``MPI_Iallreduce``) instead of waiting.

    Returns
    -------
    Work or None

    Shape
    -----
    tensor: ``(*)``, unchanged.
    """
    fn = "all_reduce"
    _tensor(tensor, "tensor", fn)
    g = _group(group, fn)
    mpi_op, average = _op(op, fn, tensor._data)
    MPI = _mpi(fn)
    buf = _contiguous(tensor)
    finish = _writer(tensor, buf, g.size() if average else None)
    return _launch(lambda: g.comm.Allreduce(MPI.IN_PLACE, buf, mpi_op),
                   lambda: g.comm.Iallreduce(MPI.IN_PLACE, buf, mpi_op), finish, async_op)


def reduce(tensor: Tensor, dst: int | None = None, op=ReduceOp.SUM, group=None,
           async_op: bool = False, group_dst: int | None = None):
    """Reduce ``tensor`` over the group into rank ``dst``'s ``tensor`` (others unchanged)."""
    fn = "reduce"
    _tensor(tensor, "tensor", fn)
    g = _group(group, fn)
    dst = _rank(group_dst if dst is None else dst, "dst", fn, g.size())
    mpi_op, average = _op(op, fn, tensor._data)
    MPI = _mpi(fn)
    if g.rank() == dst:
        buf = _contiguous(tensor)
        finish = _writer(tensor, buf, g.size() if average else None)
        args = (MPI.IN_PLACE, buf, mpi_op, dst)
    else:
        args = (np.ascontiguousarray(tensor._data), None, mpi_op, dst)
        finish = lambda: None  # noqa: E731
    return _launch(lambda: g.comm.Reduce(*args), lambda: g.comm.Ireduce(*args), finish,
                   async_op)


def broadcast(tensor: Tensor, src: int | None = None, group=None, async_op: bool = False,
              group_src: int | None = None):
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every rank of the group."""
    fn = "broadcast"
    _tensor(tensor, "tensor", fn)
    g = _group(group, fn)
    src = _rank(group_src if src is None else src, "src", fn, g.size())
    buf = _contiguous(tensor)
    finish = _writer(tensor, buf)
    return _launch(lambda: g.comm.Bcast(buf, root=src),
                   lambda: g.comm.Ibcast(buf, root=src), finish, async_op)


def _same_as(tensors, like: Tensor, name: str, fn: str, count: int) -> list:
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{fn}: {name} must be a list of Tensors, got "
                        f"{type(tensors).__name__}")
    if len(tensors) != count:
        raise ValueError(f"{fn}: {name} must hold world_size={count} Tensors, got "
                         f"{len(tensors)}")
    for i, t in enumerate(tensors):
        _tensor(t, f"{name}[{i}]", fn)
        if t.shape != like.shape or t.dtype != like.dtype:
            raise ValueError(f"{fn}: {name}[{i}] must have shape {tuple(like.shape)} and "
                             f"dtype {like.dtype}, got {tuple(t.shape)} and {t.dtype}")
    return list(tensors)


def all_gather(tensor_list, tensor: Tensor, group=None, async_op: bool = False):
    """Every rank receives every rank's ``tensor``: ``tensor_list[r]`` = rank r's."""
    fn = "all_gather"
    _tensor(tensor, "tensor", fn)
    g = _group(group, fn)
    outs = _same_as(tensor_list, tensor, "tensor_list", fn, g.size())
    send = np.ascontiguousarray(tensor._data)
    recv = np.empty((g.size(),) + send.shape, send.dtype)

    def finish():
        for out, part in zip(outs, recv):
            out._data[...] = part
            out._bump()
    return _launch(lambda: g.comm.Allgather(send, recv),
                   lambda: g.comm.Iallgather(send, recv), finish, async_op)


def _numel_multiple(big: Tensor, small: Tensor, fn: str, names: tuple, size: int) -> None:
    for t, name in ((big, names[0]), (small, names[1])):
        _tensor(t, name, fn)
    if big.dtype != small.dtype or big._data.size != size * small._data.size:
        raise ValueError(f"{fn}: {names[0]} must have world_size={size} times the elements "
                         f"of {names[1]} ({size * small._data.size}) and its dtype "
                         f"{small.dtype}, got {big._data.size} elements of {big.dtype}")


def all_gather_into_tensor(output_tensor: Tensor, input_tensor: Tensor, group=None,
                           async_op: bool = False):
    """Concatenate (along dim 0) every rank's ``input_tensor`` into ``output_tensor``.

    Shape
    -----
    input_tensor: ``(*)``; output_tensor: ``(world_size * input_tensor.numel(),)`` in
    any shape of that size, ranks in order (``(world_size * N, *)`` or
    ``(world_size, N, *)``).
    """
    fn = "all_gather_into_tensor"
    g = _group(group, fn)
    _numel_multiple(output_tensor, input_tensor, fn, ("output_tensor", "input_tensor"),
                    g.size())
    send = np.ascontiguousarray(input_tensor._data)
    recv = _contiguous(output_tensor)
    return _launch(lambda: g.comm.Allgather(send, recv),
                   lambda: g.comm.Iallgather(send, recv), _writer(output_tensor, recv),
                   async_op)


def reduce_scatter(output: Tensor, input_list, op=ReduceOp.SUM, group=None,
                   async_op: bool = False):
    """Reduce ``input_list[r]`` over the ranks into rank r's ``output``."""
    fn = "reduce_scatter"
    _tensor(output, "output", fn)
    g = _group(group, fn)
    inputs = _same_as(input_list, output, "input_list", fn, g.size())
    mpi_op, average = _op(op, fn, output._data)
    send = np.stack([t._data for t in inputs])
    recv = _contiguous(output)
    finish = _writer(output, recv, g.size() if average else None)
    return _launch(lambda: g.comm.Reduce_scatter_block(send, recv, mpi_op),
                   lambda: g.comm.Ireduce_scatter_block(send, recv, mpi_op), finish,
                   async_op)


def reduce_scatter_tensor(output: Tensor, input: Tensor, op=ReduceOp.SUM, group=None,
                          async_op: bool = False):
    """Reduce ``input`` over the ranks; rank r receives its r-th equal chunk (dim 0).

    Shape
    -----
    input: ``world_size * output.numel()`` elements (e.g. ``(world_size * N, *)``);
    output: ``(N, *)``.
    """
    fn = "reduce_scatter_tensor"
    g = _group(group, fn)
    _numel_multiple(input, output, fn, ("input", "output"), g.size())
    mpi_op, average = _op(op, fn, output._data)
    send = np.ascontiguousarray(input._data)
    recv = _contiguous(output)
    finish = _writer(output, recv, g.size() if average else None)
    return _launch(lambda: g.comm.Reduce_scatter_block(send, recv, mpi_op),
                   lambda: g.comm.Ireduce_scatter_block(send, recv, mpi_op), finish,
                   async_op)


def barrier(group=None, async_op: bool = False, device_ids=None, timeout=None):
    """Block until every rank of the group has called ``barrier``."""
    g = _group(group, "barrier")
    return _launch(g.comm.Barrier, g.comm.Ibarrier, lambda: None, async_op)
