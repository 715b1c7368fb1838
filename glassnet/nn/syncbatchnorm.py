"""``SyncBatchNorm``: batch norm whose statistics are taken over every rank's batch.

With data-parallel training each rank sees ``B`` samples; plain ``BatchNorm`` then
normalises with statistics of ``B`` samples, ``SyncBatchNorm`` with those of all
``N * B`` (all-reduced), which is what one process with the whole batch computes.
"""
from __future__ import annotations

from glassnet._checks import check_float
from glassnet.nn.module import Module
from glassnet.nn.norm import _BatchNorm
from glassnet.ops.sync_norm import SyncBatchNormFn
from glassnet.tensor import Tensor

__all__ = ["SyncBatchNorm"]


def _group_allreduce(group):
    """An in-place sum over ``group``'s ranks (``allreduce(array) -> None``)."""
    from mpi4py import MPI

    def allreduce(array):
        group.comm.Allreduce(MPI.IN_PLACE, array, MPI.SUM)
    return allreduce


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation with batch statistics over all ranks of a process group
    (``torch.nn.SyncBatchNorm``; Ioffe & Szegedy 2015, arXiv:1502.03167).

    In training, when a process group with more than one rank is initialised, the
    per-channel mean and biased variance normalise over the union of the ranks'
    batches, the running statistics are updated with the group's mean and unbiased
    variance, and backward all-reduces ``sum(dy)`` and ``sum(dy * xhat)``.  Without
    such a group, and in eval, it is :class:`BatchNorm1d`/``2d``/``3d``.

    Parameters
    ----------
    num_features : int
        ``C``.
    eps, momentum, affine, track_running_stats, device, dtype, bias
        As :class:`BatchNorm1d` (defaults 1e-5, 0.1, True, True).
    process_group : ProcessGroup, optional
        The ranks that share statistics; default the default group.

    Shape
    -----
    - input: ``(N, C, *)``, at least 2D
    - output: same as input

    Examples
    --------
    >>> import glassnet.nn as nn
    >>> net = nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.BatchNorm2d(3)))
    >>> type(net[0]).__name__
    'SyncBatchNorm'
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, process_group=None,
                 device=None, dtype=None, *, bias: bool = True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)
        self.process_group = process_group

    def _check_input_dim(self, input) -> None:
        if not isinstance(input, Tensor):
            raise TypeError(f"SyncBatchNorm: input must be a Tensor, got "
                            f"{type(input).__name__}")
        if input.ndim < 2:
            raise ValueError(f"SyncBatchNorm: expected at least 2D input (got {input.ndim}D "
                             f"input of shape {tuple(input.shape)})")
        if input.shape[1] != self.num_features:
            raise ValueError(f"SyncBatchNorm: input must have {self.num_features} channels "
                             f"on dim 1 (num_features), got shape {tuple(input.shape)}")

    def _group(self):
        import glassnet.distributed as dist

        if self.process_group is None and not dist.is_initialized():
            return None
        from glassnet.distributed._group import _group

        group = _group(self.process_group, "SyncBatchNorm")
        return group if group.size() > 1 else None

    def forward(self, input):
        self._check_input_dim(input)
        group = self._group() if self.training else None
        if group is None:
            return super().forward(input)
        check_float(input, "input", "SyncBatchNorm")
        # The running-average factor, as _BatchNorm.forward (momentum=None: 1 / batches).
        factor = 0.0 if self.momentum is None else self.momentum
        running = None
        if self.track_running_stats:
            self.num_batches_tracked._data += 1
            self.num_batches_tracked._bump()
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked._data)
            running = (self.running_mean._data, self.running_var._data, factor)
        params = tuple(p for p in (self.weight, self.bias) if p is not None)
        out = SyncBatchNormFn.apply(input, *params, eps=self.eps,
                                    has_weight=self.weight is not None,
                                    has_bias=self.bias is not None,
                                    allreduce=_group_allreduce(group), running=running)
        if running is not None:
            self.running_mean._bump()
            self.running_var._bump()
        return out

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group=None) -> Module:
        """``module`` with every ``BatchNorm*D`` replaced by a :class:`SyncBatchNorm`
        sharing its parameters, buffers and train/eval mode (torch's semantics: the
        module itself is returned, or a new SyncBatchNorm if it is a batch norm)."""
        output = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            output = cls(module.num_features, module.eps, module.momentum, module.affine,
                         module.track_running_stats, process_group,
                         bias=getattr(module, "bias", None) is not None or not module.affine)
            if module.affine:
                output.weight = module.weight
                output.bias = module.bias
            output.running_mean = module.running_mean
            output.running_var = module.running_var
            output.num_batches_tracked = module.num_batches_tracked
            output.training = module.training
            if hasattr(module, "qconfig"):
                output.qconfig = module.qconfig
        for name, child in module.named_children():
            output.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        del module
        return output
