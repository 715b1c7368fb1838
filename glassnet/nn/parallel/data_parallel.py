"""``DataParallel`` (``torch.nn.parallel``) without GPUs.

PyTorch's ``DataParallel`` splits each batch over CUDA devices, runs a replica of the
module on each and gathers the outputs.  With no CUDA device available it keeps the
module, sets ``device_ids = []`` and its forward calls the module directly; glassnet
always has that case, so a script written for several GPUs runs unchanged on the CPU,
and its checkpoints keep PyTorch's ``module.`` key prefix.

``torch.nn.parallel.data_parallel`` (the function) is not provided: on a machine without
GPUs PyTorch's raises "device type could not be determined".
"""
from __future__ import annotations

from glassnet.nn._layer_checks import _check_int
from glassnet.nn.module import Module

__all__ = ["DataParallel"]


def _check_module(module, fn: str) -> None:
    if not isinstance(module, Module):
        raise TypeError(f"{fn}: module must be a glassnet.nn.Module, got "
                        f"{type(module).__name__}")


class DataParallel(Module):
    """Wrap ``module`` for data-parallel training (``torch.nn.DataParallel``).

    Parameters
    ----------
    module : Module
        The module to run; it is the child ``module`` (so ``state_dict`` keys start
        with ``'module.'``, as in PyTorch).
    device_ids : sequence of int or device, optional
        Accepted and ignored: there are no CUDA devices, so ``self.device_ids`` is
        ``[]`` (PyTorch's value on a machine without GPUs).
    output_device : int or device, optional
        Accepted and ignored; ``self.output_device`` is None.
    dim : int
        The batch dimension a multi-device run would scatter along (default 0).

    Shape
    -----
    - input and output: those of ``module``

    Examples
    --------
    >>> import glassnet, glassnet.nn as nn
    >>> model = nn.DataParallel(nn.Linear(4, 2))
    >>> list(model.state_dict())
    ['module.weight', 'module.bias']
    >>> model(glassnet.ones(3, 4)).shape
    glassnet.Size([3, 2])
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0):
        super().__init__()
        _check_module(module, "DataParallel")
        self.dim = _check_int(dim, "dim", "DataParallel", None)
        self.module = module
        # NOTE: as torch.nn.DataParallel when no CUDA device is available.
        self.device_ids = []
        self.output_device = None
        self.src_device_obj = None

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)

