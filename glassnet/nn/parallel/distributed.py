"""``DistributedDataParallel``: data-parallel training over the ranks of a process group.

Each rank holds a full replica of the model and reads its own share of every batch
(``utils.data.DistributedSampler``).  At construction the replicas are made equal
(parameters and buffers broadcast from rank 0).  During backward the gradients are
averaged over the ranks, so that every replica takes the same optimizer step: with
``N`` ranks of batch ``B`` each, the step equals one process's step on the batch
``N * B`` whenever the loss is a mean over the batch.

How the averaging overlaps backward (torch's Reducer, Li et al. 2020,
arXiv:2006.15704): parameters are packed, in reverse registration order (roughly the
order backward produces their gradients), into buckets of about ``bucket_cap_mb`` MB
(the first one 1 MB, as torch).  A post-accumulate-grad hook copies each gradient into
its bucket as soon as backward has accumulated it; when a bucket is full its
non-blocking ``MPI_Iallreduce`` starts (buckets start in index order, the same on every
rank, as MPI requires), while backward goes on with earlier layers.  An engine callback
queued at the first hook (``autograd.queue_callback``) waits for every bucket at the end
of backward, divides by the world size and writes the averages into ``.grad``, so the
gradients are final when ``optimizer.step()`` runs.
"""
from __future__ import annotations

import contextlib

import numpy as np

from glassnet import autograd
from glassnet.autograd import is_grad_enabled, no_grad
from glassnet.nn._layer_checks import _check_int
from glassnet.nn.module import Module

__all__ = ["DistributedDataParallel"]

_FIRST_BUCKET_BYTES = 1024 * 1024  # torch's dist._DEFAULT_FIRST_BUCKET_BYTES
_DEFAULT_BUCKET_MB = 25


class _Bucket:
    """A flat gradient buffer of one dtype and the parameters packed into it."""

    def __init__(self, params, dtype):
        self.params = params
        self.slices = []
        start = 0
        for p in params:
            self.slices.append(slice(start, start + p._data.size))
            start += p._data.size
        self.flat = np.zeros(start, dtype)
        self.ready = 0
        self.request = None


def _buckets_by_size(params, first_cap: int, cap: int) -> list:
    """Pack ``params`` (already in reverse order) into buckets of one dtype each."""
    buckets, open_ = [], {}
    for p in params:
        dtype = p._data.dtype
        group = open_.setdefault(dtype, [[], 0])
        group[0].append(p)
        group[1] += p._data.nbytes
        if group[1] >= (first_cap if not buckets else cap):
            buckets.append(_Bucket(group[0], dtype))
            del open_[dtype]
    buckets.extend(_Bucket(ps, dtype) for dtype, (ps, _) in open_.items())
    return buckets


def _coalesced_broadcast(tensors, group, src: int = 0) -> None:
    """Broadcast ``tensors`` from ``src`` with one ``MPI_Bcast`` per dtype."""
    by_dtype = {}
    for t in tensors:
        by_dtype.setdefault(t._data.dtype, []).append(t)
    for dtype, ts in by_dtype.items():
        flat = np.concatenate([t._data.ravel() for t in ts]).astype(dtype, copy=False)
        group.comm.Bcast(flat, root=src)
        start = 0
        for t in ts:
            t._data[...] = flat[start:start + t._data.size].reshape(t._data.shape)
            t._bump()
            start += t._data.size


class DistributedDataParallel(Module):
    """Average gradients over the ranks of a process group during backward
    (``torch.nn.parallel.DistributedDataParallel``).

    Parameters
    ----------
    module : Module
        The replica; it is the child ``module`` (``state_dict`` keys start with
        ``'module.'``, as torch).
    device_ids, output_device : optional
        Accepted for torch's signature; CPU ranks have no devices to pick.
    dim : int
        The batch dimension (default 0; informational: each rank feeds its own batch).
    broadcast_buffers : bool or None
        Broadcast the buffers (batch-norm running statistics) from rank 0 at the start of
        every forward that will synchronise gradients (None, the default, means True).
    init_sync : bool
        Broadcast parameters and buffers from rank 0 at construction (default True).
    process_group : ProcessGroup, optional
        Default: the default group (``init_process_group`` must have run).
    bucket_cap_mb : float, optional
        Bucket size in MB (default 25; the first bucket is 1 MB).
    find_unused_parameters : bool
        False (default): every parameter that requires grad must receive a gradient in
        each synchronised backward, else backward raises RuntimeError naming the ones that
        did not.  True: a parameter without a local gradient contributes zeros; the
        buckets holding one are reduced at the end of backward, and a parameter that no
        rank used keeps ``.grad`` unchanged (None if it had none), as torch.
    check_reduction, gradient_as_bucket_view, static_graph : bool
        Accepted for torch's signature.  Gradients are copied into and out of the buckets
        (``gradient_as_bucket_view`` saves that memory in torch; the numbers are the same).

    Shape
    -----
    - input and output: those of ``module``

    Notes
    -----
    Use ``utils.data.DistributedSampler`` so that each rank reads a different share of
    the data, and call :meth:`no_sync` for the micro-batches of gradient accumulation.
    Every rank must run the same sequence of synchronised backward passes.

    Examples
    --------
    Under ``mpiexec -n 2``::

        dist.init_process_group("mpi")
        model = nn.parallel.DistributedDataParallel(net)
        loss_fn(model(x), y).backward()   # .grad = mean over both ranks
        optimizer.step()
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool | None = None, init_sync: bool = True,
                 process_group=None, bucket_cap_mb: float | None = None,
                 find_unused_parameters: bool = False, check_reduction: bool = False,
                 gradient_as_bucket_view: bool = False, static_graph: bool = False):
        super().__init__()
        fn = "DistributedDataParallel"
        if not isinstance(module, Module):
            raise TypeError(f"{fn}: module must be a glassnet.nn.Module, got "
                            f"{type(module).__name__}")
        cap = _DEFAULT_BUCKET_MB if bucket_cap_mb is None else bucket_cap_mb
        if isinstance(cap, bool) or not isinstance(cap, (int, float)) or cap <= 0:
            raise ValueError(f"{fn}: bucket_cap_mb must be a number > 0, got {cap!r}")
        from glassnet.distributed._group import _group

        group = _group(process_group, fn)
        self.module = module
        self.dim = _check_int(dim, "dim", fn, None)
        self.device_ids = None
        self.output_device = None
        self.process_group = group
        self.broadcast_buffers = True if broadcast_buffers is None else bool(broadcast_buffers)
        self.find_unused_parameters = bool(find_unused_parameters)
        self.gradient_as_bucket_view = bool(gradient_as_bucket_view)
        self.static_graph = bool(static_graph)
        self.bucket_bytes_cap = int(cap * 1024 * 1024)
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self._module_params = [p for p in module.parameters() if p.requires_grad]
        self._module_buffers = [b for b in module.buffers() if b is not None]
        if init_sync:
            with no_grad():
                _coalesced_broadcast(list(module.parameters()) + self._module_buffers, group)
        names = {id(p): n for n, p in module.named_parameters()}
        self._param_names = [names.get(id(p), "?") for p in self._module_params]
        self._buckets = _buckets_by_size(self._module_params[::-1],
                                         min(_FIRST_BUCKET_BYTES, self.bucket_bytes_cap),
                                         self.bucket_bytes_cap)
        self._slot = {}
        for b in self._buckets:
            for p, sl in zip(b.params, b.slices):
                self._slot[id(p)] = (b, sl)
        self._sync_backward = False
        self._reset_reduction()
        self._hook_handles = [p.register_post_accumulate_grad_hook(self._grad_ready)
                              for p in self._module_params]

    # -- forward ---------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        sync = is_grad_enabled() and self.require_backward_grad_sync
        self.require_forward_param_sync = sync
        self._sync_backward = sync
        if sync and self.broadcast_buffers and self._module_buffers \
                and self.process_group.size() > 1:
            with no_grad():
                _coalesced_broadcast(self._module_buffers, self.process_group)
        return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Forward and backward inside accumulate gradients locally, with no communication;
        the first synchronised backward after it averages the accumulated gradients."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    # -- reduction during backward ----------------------------------------------
    def _reset_reduction(self) -> None:
        self._active = False
        self._next_bucket = 0
        self._ready = set()
        for b in self._buckets:
            b.ready = 0
            b.request = None

    def _grad_ready(self, param) -> None:
        """Post-accumulate-grad hook: copy the gradient into its bucket, start full ones."""
        if not self._sync_backward or id(param) in self._ready:
            return
        if not self._active:
            self._active = True
            autograd.queue_callback(self._finish_reduction)
        bucket, sl = self._slot[id(param)]
        bucket.flat[sl] = param.grad._data.ravel()
        bucket.ready += 1
        self._ready.add(id(param))
        self._start_ready_buckets()

    def _start_ready_buckets(self) -> None:
        from mpi4py import MPI

        comm = self.process_group.comm
        while self._next_bucket < len(self._buckets):
            b = self._buckets[self._next_bucket]
            if b.ready < len(b.params):
                break
            b.request = comm.Iallreduce(MPI.IN_PLACE, b.flat, MPI.SUM)
            self._next_bucket += 1
        # NOTE: MPI progresses a non-blocking collective only inside MPI calls (there
        # is no progress thread by default), so poke the ones in flight.
        pending = [b.request for b in self._buckets[:self._next_bucket]]
        MPI.Request.Testall(pending)

    def _finish_reduction(self) -> None:
        """Engine callback at the end of backward: wait, average, write ``.grad``."""
        try:
            missing = [p for p in self._module_params if id(p) not in self._ready]
            used = None
            if self.find_unused_parameters:
                # Every rank, whatever it used, starts the remaining buckets and then
                # counts the users of each parameter: the same collectives in the same
                # order on every rank.
                used = np.array([id(p) in self._ready for p in self._module_params],
                                np.int32)
                for p in missing:
                    bucket, sl = self._slot[id(p)]
                    bucket.flat[sl] = 0 if p.grad is None else p.grad._data.ravel()
                    bucket.ready += 1
                    self._ready.add(id(p))
                self._start_ready_buckets()
                used = self._count_users(used)
            elif missing:
                from mpi4py import MPI

                MPI.Request.Waitall([b.request for b in self._buckets if b.request])
                names = [n for p, n in zip(self._module_params, self._param_names)
                         if id(p) not in self._ready]
                raise RuntimeError(
                    f"DistributedDataParallel: {len(missing)} parameters received no "
                    f"gradient in this backward: {names}; pass "
                    f"find_unused_parameters=True if parts of the model are unused, or "
                    f"set requires_grad=False on them")
            self._write_averages(used)
        finally:
            self._reset_reduction()

    def _count_users(self, used: np.ndarray) -> np.ndarray:
        """How many ranks gave each parameter a gradient (one small all-reduce)."""
        from mpi4py import MPI

        self.process_group.comm.Allreduce(MPI.IN_PLACE, used, MPI.SUM)
        return used

    def _write_averages(self, used) -> None:
        from mpi4py import MPI

        MPI.Request.Waitall([b.request for b in self._buckets])
        size = self.process_group.size()
        position = {id(p): i for i, p in enumerate(self._module_params)}
        for b in self._buckets:
            b.flat /= size
            for p, sl in zip(b.params, b.slices):
                if used is not None and used[position[id(p)]] == 0:
                    continue  # unused on every rank: .grad stays as it was
                avg = b.flat[sl].reshape(p._data.shape)
                if p.grad is None:
                    p.grad = p._wrap_grad(avg.copy())
                else:
                    p.grad._data[...] = avg
