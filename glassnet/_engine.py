"""The backward engine of :mod:`glassnet.autograd` (which re-exports ``backward`` and
``queue_callback``): topological order, tensor hooks, version checks, gradient
accumulation into the leaves (AccumulateGrad) and end-of-backward callbacks."""
from __future__ import annotations

import sys

import numpy as np

from glassnet import _anomaly
from glassnet.autograd import _STATE, Function

def _topo_order(root_fn):
    """Functions reachable from ``root_fn`` in topological order (inputs first)."""
    order, visited = [], set()
    stack = [(root_fn, False)]
    while stack:
        fn, expanded = stack.pop()
        if expanded:
            order.append(fn)
            continue
        if id(fn) in visited:
            continue
        visited.add(id(fn))
        stack.append((fn, True))
        for e in fn._edges:
            if isinstance(e, Function) and id(e) not in visited:
                stack.append((e, False))
    return order


def _apply_hooks(tensor, grad):
    for hook in tensor._hooks.values():
        new = hook(tensor._wrap_grad(grad))
        if new is not None:
            grad = getattr(new, "_data", new)
    return grad


def _check_versions(fn):
    for t, version in fn._saved_versions:
        if t._version != version:
            raise RuntimeError(
                f"backward: one of the variables needed for gradient computation has been "
                f"modified by an inplace operation: a tensor of shape {tuple(t.shape)} "
                f"used by {fn.name} is at version {t._version}; expected version "
                f"{version}")
    out = fn._output_ref() if fn._output_ref is not None else None
    if fn._saves_output and out is not None and out._version != fn._output_version:
        raise RuntimeError(
            f"backward: one of the variables needed for gradient computation has been "
            f"modified by an inplace operation: the output of {fn.name} (shape "
            f"{tuple(out.shape)}) is at version {out._version}; expected version "
            f"{fn._output_version}")
    return out


def backward(tensor, gradient=None, retain_graph: bool = False):
    """Accumulate d(tensor)/d(leaf) into every leaf's ``.grad``.

    Parameters
    ----------
    tensor : Tensor
        The output to differentiate.
    gradient : Tensor or array, optional
        The vector in the vector-Jacobian product; required unless ``tensor`` has one
        element.
    retain_graph : bool
        Keep the graph's saved arrays so that backward can run through it again.
    """
    _STATE.in_backward = getattr(_STATE, "in_backward", 0) + 1
    try:
        _backward(tensor, gradient, retain_graph)
    finally:
        _STATE.in_backward -= 1
        if not _STATE.in_backward:
            _STATE.__dict__.get("callbacks", []).clear()


def _backward(tensor, gradient, retain_graph):
    if not tensor.requires_grad:
        raise RuntimeError("backward: tensor does not require grad and has no grad_fn")
    from glassnet.backend import get_array_module

    data = tensor._data
    xp = get_array_module(data)
    if gradient is None:
        if data.size != 1:
            raise RuntimeError(
                f"backward: grad can be implicitly created only for scalar outputs, "
                f"got a tensor of shape {tuple(tensor.shape)}; pass gradient=")
        grad = xp.ones_like(data)
    else:
        grad = getattr(gradient, "_data", None)
        grad = xp.asarray(gradient) if grad is None else grad
        if grad.shape != data.shape:
            raise RuntimeError(f"backward: gradient has shape {grad.shape}, expected "
                               f"{data.shape}")
        grad = grad.astype(data.dtype, copy=False)

    leaf_grads: dict = {}
    leaves: dict = {}
    root = tensor._grad_edge()
    grads = {}
    if isinstance(root, Function):
        order = _topo_order(root)
        grads[id(root)] = grad
    else:
        leaf_grads[id(root)] = grad
        leaves[id(root)] = root
        order = []

    # A leaf's gradient is complete once every Function with an edge to it has run: it is
    # accumulated then, as torch's AccumulateGrad node, so that post-accumulate hooks
    # (DistributedDataParallel's bucket all-reduce) fire during backward, not after it.
    # NOTE: until a post-accumulate hook exists in this process, accumulating at the end
    # gives the same gradients without the bookkeeping (~2 us of a tiny op's ~13 us).
    pending = {} if _POST_ACC[0] else None
    if pending is not None:
        for fn in order:
            for e in fn._edges:
                if e is not None and not isinstance(e, Function):
                    pending[id(e)] = pending.get(id(e), 0) + 1
    callbacks = _STATE.__dict__.setdefault("callbacks", [])
    for fn in reversed(order):
        g = grads.pop(id(fn), None)
        if g is None:
            if pending is not None:
                _leaves_done(fn, pending, leaves, leaf_grads)
            continue
        if fn._released:
            raise RuntimeError(
                "backward: trying to backward through the graph a second time (or directly "
                "access saved tensors after they have already been freed); specify "
                "retain_graph=True on the first backward call")
        out = _check_versions(fn)
        if out is not None and out._ctx is fn:
            if out._hooks:
                g = _apply_hooks(out, g)
            if out._retains_grad:
                out.grad = out._wrap_grad(g if out.grad is None else out.grad._data + g)
        in_grads = fn.backward(g)
        if not isinstance(in_grads, tuple):
            in_grads = (in_grads,)
        if len(in_grads) != len(fn._edges):
            raise RuntimeError(f"{fn.name} returned {len(in_grads)} gradients for "
                               f"{len(fn._edges)} inputs")
        if _anomaly.ON and _anomaly.STATE["check_nan"]:
            _anomaly.check(fn, in_grads, xp)
        for edge, inp, ig in zip(fn._edges, fn.inputs, in_grads):
            if ig is None or edge is None:
                continue
            if ig.shape != inp._data.shape:
                raise RuntimeError(
                    f"{fn.name} returned a gradient of shape {ig.shape} for an input of shape "
                    f"{inp._data.shape}")
            if ig.dtype != inp._data.dtype:
                ig = ig.astype(inp._data.dtype)
            key = id(edge)
            if isinstance(edge, Function):
                grads[key] = ig if key not in grads else grads[key] + ig
            else:
                leaves[key] = edge
                leaf_grads[key] = ig if key not in leaf_grads else leaf_grads[key] + ig
        if not retain_graph:
            fn.release()
        if pending is not None:
            _leaves_done(fn, pending, leaves, leaf_grads)

    for key in list(leaf_grads):
        _accumulate(leaves.pop(key), leaf_grads.pop(key))
    while callbacks:  # queue_callback: run once the whole graph is done, in order
        callbacks.pop(0)()


_POST_ACC = [False]  # becomes True when the first post-accumulate hook is registered


def _note_post_accumulate_hook() -> None:
    _POST_ACC[0] = True


def _leaves_done(fn, pending, leaves, leaf_grads) -> None:
    """Accumulate the leaves of ``fn`` that no later Function sends a gradient to."""
    for e in fn._edges:
        if e is not None and not isinstance(e, Function):
            k = id(e)
            pending[k] -= 1
            if pending[k] == 0 and k in leaf_grads:
                _accumulate(leaves.pop(k), leaf_grads.pop(k))


def _references_of_a_fresh_array() -> int:
    """What ``sys.getrefcount`` reads inside :func:`_accumulate` for an array that
    nothing else holds, called as the engine calls it (measured, not assumed: the count
    of the interpreter's own references differs between Python versions)."""
    def probe(leaf, g):
        return sys.getrefcount(g)

    d = {0: np.empty(1)}
    return probe(None, d.pop(0))


def _accumulate(leaf, g) -> None:
    """AccumulateGrad: tensor hooks, ``+=`` into ``.grad``, then post-accumulate hooks."""
    if leaf._hooks:
        g = _apply_hooks(leaf, g)
    if leaf.grad is None:
        # NOTE: the first gradient becomes ``.grad`` as it is when nothing else holds it
        # (a NumPy array owning its memory that no other reference, view or graph entry
        # reaches: torch's AccumulateGrad steals such a gradient too); otherwise it is
        # copied, since one array may be the gradient of several inputs (add) or belong
        # to the caller.
        own = (type(g) is np.ndarray and g.base is None and g.flags.writeable
               and sys.getrefcount(g) <= _FRESH_REFS)
        leaf.grad = leaf._wrap_grad(g if own else g.copy())
    else:
        leaf.grad._data += g
    if _POST_ACC[0]:
        for hook in tuple(getattr(leaf, "_post_acc_hooks", {}).values()):
            hook(leaf)


_FRESH_REFS = _references_of_a_fresh_array()


def queue_callback(callback) -> None:
    """Run ``callback()`` at the end of the backward pass now running on this thread (as
    torch's ``Variable._execution_engine.queue_callback``); DistributedDataParallel
    waits for its gradient all-reduces there, before ``optimizer.step()``."""
    if not getattr(_STATE, "in_backward", 0):
        raise RuntimeError("queue_callback: no backward pass is running on this thread")
    _STATE.callbacks.append(callback)
