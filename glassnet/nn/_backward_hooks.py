"""Machinery of ``Module.register_full_backward_hook`` (no autograd-engine changes).

On the way in, the module's floating tensor arguments pass through one identity op,
:class:`_Pack`, that concatenates them into a single flat tensor, and
:class:`_Unpack` views each one back out; on the way out, the results do the same.
The gradient of a packed tensor is complete only once every piece has sent its
gradient back, so one tensor hook on each packed tensor sees every gradient of that
side at once: the output hook records ``grad_output`` (and runs the backward
pre-hooks), and the input hook, which runs later in the backward pass, calls the user
hooks with both tuples and may replace ``grad_input``.  This is PyTorch's
``BackwardHookFunction`` design built from single-output Functions.
"""
from __future__ import annotations

import math

import numpy as np

from glassnet.autograd import Function
from glassnet.tensor import Tensor

__all__: list = []


class _Pack(Function):
    """Concatenate flattened arrays into one vector (identity for the values)."""

    def forward(self, *arrays):
        self.meta = [(a.shape, a.dtype) for a in arrays]
        return np.concatenate([a.reshape(-1) for a in arrays])

    def backward(self, g):
        out, start = [], 0
        for shape, dtype in self.meta:
            n = int(math.prod(shape))
            out.append(g[start:start + n].reshape(shape).astype(dtype, copy=False))
            start += n
        return tuple(out)


class _Unpack(Function):
    """View one original array back out of a packed vector."""

    def forward(self, packed, start, shape, dtype):
        self.meta = (packed.shape, packed.dtype, start)
        n = int(math.prod(shape))
        return packed[start:start + n].reshape(shape).astype(dtype, copy=True)

    def backward(self, g):
        shape, dtype, start = self.meta
        full = np.zeros(shape, dtype)
        full[start:start + g.size] = g.reshape(-1)
        return full


def _pack(tensors):
    """Pass ``tensors`` through one identity op; return (packed, new_tensors)."""
    packed = _Pack.apply(*tensors)
    news, start = [], 0
    for t in tensors:
        news.append(_Unpack.apply(packed, start=start, shape=t.shape, dtype=t.dtype))
        start += t.numel()
    return packed, news


def _split(arr, tensors):
    out, start = [], 0
    for t in tensors:
        out.append(Tensor._wrap(arr[start:start + t.numel()].reshape(t.shape).astype(
            t.dtype, copy=True)))
        start += t.numel()
    return out


def _repack(grads, tensors, dtype):
    parts = [np.zeros(t.numel(), dtype) if g is None else
             np.asarray(g._data if isinstance(g, Tensor) else g).reshape(-1)
             for g, t in zip(grads, tensors)]
    return Tensor._wrap(np.concatenate(parts).astype(dtype, copy=False))


class _BackwardHook:
    """Per-call state of the full backward hooks of one module call."""

    def __init__(self, module, hooks, pre_hooks):
        self.module = module
        self.hooks = hooks
        self.pre_hooks = pre_hooks
        self.n_inputs = 0
        self.n_outputs = 0
        self.input_idx = None
        self.inputs = ()
        self.other_inputs = {}
        self.received = []
        self.output_idx = ()
        self.outputs = ()
        self.grad_outputs = None

    def setup_input_hook(self, args):
        self.n_inputs = len(args)
        tensor_idx = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        if not any(args[i].requires_grad for i in tensor_idx):
            return args
        # NOTE: as in PyTorch, every tensor argument gets a gradient entry once one of
        # them requires grad (zeros for the others); floating ones pass through _Pack.
        self.input_idx = [i for i in tensor_idx if args[i].is_floating_point()]
        self.other_inputs = {i: args[i] for i in tensor_idx if i not in self.input_idx}
        self.inputs = [args[i] for i in self.input_idx]
        packed, news = _pack(self.inputs)
        packed.register_hook(self._input_hook)
        args = list(args)
        for i, t in zip(self.input_idx, news):
            args[i] = t
        return tuple(args)

    def setup_output_hook(self, result):
        is_tuple = isinstance(result, tuple)
        outs = result if is_tuple else (result,)
        self.n_outputs = len(outs)
        idx = [i for i, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
        if not idx:
            return result
        self.output_idx = idx
        self.outputs = [outs[i] for i in idx]
        packed, news = _pack(self.outputs)
        packed.register_hook(self._output_hook)
        # An output whose gradient never arrives (unused in the loss) reports None.
        self.received = [False] * len(idx)
        outs = list(outs)
        for j, (i, t) in enumerate(zip(idx, news)):
            t.register_hook(self._mark_received(j))
            outs[i] = t
        return tuple(outs) if is_tuple else outs[0]

    def _mark_received(self, j):
        def hook(grad):
            self.received[j] = True

        return hook

    def _output_hook(self, grad):
        grads = [None] * self.n_outputs
        for j, (i, g) in enumerate(zip(self.output_idx, _split(grad._data, self.outputs))):
            grads[i] = g if self.received[j] else None
        grad_outputs = tuple(grads)
        for hook in list(self.pre_hooks.values()):
            res = hook(self.module, grad_outputs)
            if res is not None:
                res = res if isinstance(res, tuple) else (res,)
                if len(res) != self.n_outputs:
                    raise RuntimeError(f"Backward pre hook returned an invalid number of "
                                       f"grad_output, got {len(res)}, but expected "
                                       f"{self.n_outputs}")
                grad_outputs = res
        self.grad_outputs = grad_outputs
        if self.input_idx is None:
            # NOTE: no input requires grad, so the input hook never runs: call the hooks
            # now with grad_input all None, as PyTorch does.
            nones = (None,) * self.n_inputs
            for hook in list(self.hooks.values()):
                res = hook(self.module, nones, grad_outputs)
                if res is not None and not all(r is None for r in res):
                    raise RuntimeError("Backward hook for Modules where no input requires "
                                       "gradient should always return None or None for all "
                                       "gradients.")
        return _repack([grad_outputs[i] for i in self.output_idx], self.outputs,
                       grad.dtype)

    def _input_hook(self, grad):
        grads = [None] * self.n_inputs
        for i, t, g in zip(self.input_idx, self.inputs, _split(grad._data, self.inputs)):
            # NOTE: PyTorch reports zeros for a tensor that does not require grad.
            grads[i] = g if t.requires_grad else Tensor._wrap(np.zeros_like(g._data))
        for i, t in self.other_inputs.items():
            grads[i] = Tensor._wrap(np.zeros_like(t._data))
        grad_input = tuple(grads)
        grad_outputs = self.grad_outputs
        if grad_outputs is None:
            grad_outputs = (None,) * self.n_outputs
        for hook in list(self.hooks.values()):
            res = hook(self.module, grad_input, grad_outputs)
            if res is not None:
                res = res if isinstance(res, tuple) else (res,)
                if len(res) != self.n_inputs:
                    raise RuntimeError(f"Backward hook returned an invalid number of "
                                       f"grad_input, got {len(res)}, but expected "
                                       f"{self.n_inputs}")
                grad_input = res
        return _repack([grad_input[i] for i in self.input_idx], self.inputs, grad.dtype)
