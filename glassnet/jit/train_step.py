"""Whole training steps as traced graphs: forward + loss, the backward derived from each
op's own ``backward``, and the optimizer's update, run with no autograd bookkeeping.

TensorFlow's "define, then run": :func:`trace_train_step` records one step's forward and
loss once; each call of the returned :class:`TrainStep` then runs the recorded forwards
on raw arrays (fresh ``Function`` instances, with ``needs_input_grad`` fixed at trace
time), walks the nodes backwards calling each op's ``backward``, writes the parameters'
``.grad`` and calls ``optimizer.step()``.  No Tensor is wrapped per op, no graph is built
or sorted, no version counter is checked.

Memory plan: the forward drops each activation as soon as its last forward reader has
run (only what an op saved for its backward stays alive), and the backward drops each
op (and what it saved) and each gradient as soon as they are used.  Eager autograd
keeps every recorded op's input tensors until the backward reaches it.
"""
from __future__ import annotations

import tracemalloc

import numpy as np

from glassnet.jit.graph import Graph, live_attrs

__all__ = ["TrainStep", "trace_train_step", "measure_peak"]


def measure_peak(fn, *args, **kwargs):
    """``(result, peak_bytes)``: run ``fn(*args, **kwargs)`` and measure the peak of the
    memory it allocated above what was allocated before (``tracemalloc``, which sees
    NumPy's array buffers and every Python object)."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = fn(*args, **kwargs)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return result, peak


def _random_nodes(graph: Graph, module) -> dict:
    """Dropout nodes -> (p, generator) of the ``nn.Dropout*`` module that ran them: the
    replay draws a fresh mask per step exactly as ``F.dropout`` does."""
    from glassnet.nn.dropout import _DropoutNd
    from glassnet.ops.activation import RReLUTrain
    from glassnet.ops.dropout import AlphaDropout, Dropout

    out = {}
    for node in graph.nodes:
        if node.op in (AlphaDropout, RReLUTrain):
            raise NotImplementedError(
                f"trace_train_step: {node.op.__name__} (node {node.name}, "
                f"{node.where[0]}:{node.where[1]}) draws random numbers the replay cannot "
                f"reproduce; use eager training for this model")
        if node.op is not Dropout:
            continue
        sub = None
        if module is not None and node.scope:
            try:
                sub = module.get_submodule(node.scope)
            except AttributeError:
                sub = None
        if not isinstance(sub, _DropoutNd):
            raise NotImplementedError(
                f"trace_train_step: functional dropout (node {node.name}, "
                f"{node.where[0]}:{node.where[1]}) would replay one frozen mask; use an "
                f"nn.Dropout module")
        out[node.index] = (float(sub.p), sub.generator)
    return out


def _dropout_mask(mask_like, p, generator):
    """The mask ``F.dropout`` would draw next (same generator calls, same dtype)."""
    from glassnet.backend import default_generator
    from glassnet.ops.dropout import keep_mask

    rng = generator if generator is not None else default_generator()
    dtype = mask_like.dtype
    if p == 1.0:
        return np.zeros(mask_like.shape, dtype=dtype)
    scale = dtype.type(1.0 / (1.0 - p))
    return keep_mask(rng, mask_like.shape, p).astype(dtype) * scale


def _norm_nodes(graph: Graph, module) -> dict:
    """Training-mode batch-norm nodes -> their ``nn.BatchNorm*`` module: the replay
    counts ``num_batches_tracked`` (and, with ``momentum=None``, derives the cumulative
    averaging factor from it) as the module's forward does outside the op."""
    from glassnet.nn.norm import _BatchNorm
    from glassnet.ops.norm import StatNorm

    out = {}
    for node in graph.nodes:
        if node.op is not StatNorm or node.attrs.get("running") is None:
            continue
        sub = None
        if module is not None and node.scope:
            try:
                sub = module.get_submodule(node.scope)
            except AttributeError:
                sub = None
        if isinstance(sub, _BatchNorm):
            out[node.index] = sub
    return out


class TrainStep:
    """A traced training step; made by :func:`trace_train_step`.

    ``step(inputs, targets)`` runs forward, loss, backward and ``optimizer.step()`` and
    returns the loss (a 0-d Tensor without grad).  ``graph`` is the traced forward +
    loss (:class:`Graph`: print it, draw it).
    """

    def __init__(self, graph: Graph, model, optimizer, random_nodes: dict):
        self.graph = graph
        self._norms = _norm_nodes(graph, model)
        self.model = model
        self.optimizer = optimizer
        self._random = random_nodes
        values = graph.values
        # Which values carry a gradient: parameters that require grad, and whatever is
        # computed from them.
        requires = {v.index for v in values if v.kind == "param" and v.ref.requires_grad}
        self._needs = []
        for node in graph.nodes:
            needs = tuple(i in requires for i in node.inputs)
            if any(needs):
                requires.add(node.output)
            self._needs.append(needs)
        self._params = [v for v in values if v.kind == "param" and v.ref.requires_grad]
        (self._loss,) = graph.outputs
        self._free = graph._plan

    @staticmethod
    def _count_batch(node, bn) -> dict:
        attrs = node.attrs  # NOTE: batch norm binds no attribute (see live_attrs)
        if bn.num_batches_tracked is None:
            return attrs
        bn.num_batches_tracked._data += 1
        bn.num_batches_tracked._bump()
        if bn.momentum is not None:
            return attrs
        mean, var, _ = attrs["running"]
        return dict(attrs, running=(mean, var, 1.0 / float(bn.num_batches_tracked._data)))

    def __call__(self, inputs, targets):
        return self.step(inputs, targets)

    def step(self, inputs, targets):
        from glassnet._tensor_base import TensorBase

        graph = self.graph
        values = graph.values
        env = [None] * len(values)
        for k, (idx, x) in enumerate(zip(graph.inputs, (inputs, targets))):
            a = x._data if isinstance(x, TensorBase) else np.asarray(x)
            v = values[idx]
            if tuple(a.shape) != v.shape or a.dtype != v.dtype:
                raise ValueError(f"TrainStep: {('inputs', 'targets')[k]} must have the traced "
                                 f"shape {v.shape} and dtype {v.dtype}, got "
                                 f"{tuple(a.shape)} {a.dtype}")
            env[idx] = a
        for v in values:
            if v.kind in ("param", "const"):
                env[v.index] = v.array()

        # Forward: keep each op that a gradient flows through (with what it saved).
        fns = [None] * len(graph.nodes)
        for node, needs, frees in zip(graph.nodes, self._needs, self._free):
            fn = node.op()
            fn.needs_input_grad = needs
            attrs = live_attrs(node, env)
            if node.index in self._random:
                attrs = dict(attrs, mask=_dropout_mask(attrs["mask"], *self._random[node.index]))
            elif node.index in self._norms:
                attrs = self._count_batch(node, self._norms[node.index])
            env[node.output] = fn.forward(*[env[i] for i in node.inputs], **attrs)
            if any(needs):
                fns[node.index] = fn
            for v in frees:
                env[v] = None
        loss = env[self._loss]

        # Backward: each op's own backward, in reverse order of the forward.
        grads = {self._loss: np.ones_like(loss)}
        for node in reversed(graph.nodes):
            fn = fns[node.index]
            fns[node.index] = None  # its saved arrays go once its backward has run
            g = grads.pop(node.output, None)
            if fn is None or g is None:
                continue
            in_grads = fn.backward(g)
            if not isinstance(in_grads, tuple):
                in_grads = (in_grads,)
            for i, ig, need in zip(node.inputs, in_grads, fn.needs_input_grad):
                if ig is None or not need:
                    continue
                dtype = values[i].dtype
                if ig.dtype != dtype:
                    ig = ig.astype(dtype)
                prev = grads.get(i)
                grads[i] = ig if prev is None else prev + ig

        # Update: the optimizer's own step on the gradients (as zero_grad + backward).
        self.optimizer.zero_grad()
        for v in self._params:
            g = grads.get(v.index)
            # NOTE: copy, as the engine does: one array may be several inputs' gradient.
            v.ref.grad = None if g is None else TensorBase._wrap(g.copy())
        self.optimizer.step()
        return TensorBase._wrap(loss)


def trace_train_step(model, loss_fn, optimizer, example_batch) -> TrainStep:
    """Trace one training step of ``model`` into a :class:`TrainStep`.

    ``step = trace_train_step(model, loss_fn, optimizer, (x, y))``, then
    ``loss = step(x, y)`` for each batch of the traced shapes does what
    ``optimizer.zero_grad(); loss = loss_fn(model(x), y); loss.backward();
    optimizer.step()`` does, with the same numbers (bit for bit where no gradient is
    summed over several consumers, else to float32 rounding: the backward visits the
    ops in reverse recording order, which may sum such gradients in another order than
    the eager engine).  Batch norm's running statistics and ``num_batches_tracked`` are
    updated as in eager mode (``nn.BatchNorm*`` modules, also with ``momentum=None``);
    ``nn.Dropout`` modules draw a fresh mask per step from their generator (the same
    draws as eager).  Tracing itself leaves the model, its buffers and the default
    generator as they were.  The batch shape is fixed; Python control flow is frozen
    (see :func:`glassnet.jit.trace`).

    Parameters
    ----------
    model : Module
        In the mode to train in (``model.train()``).
    loss_fn : callable
        ``loss_fn(output, targets) -> 0-d Tensor``.
    optimizer : Optimizer
        Any glassnet optimizer over (some of) the model's parameters.
    example_batch : (Tensor, Tensor)
        ``(inputs, targets)`` of the shapes and dtypes the step will see.

    Returns
    -------
    TrainStep

    Examples
    --------
    >>> import glassnet, glassnet.nn as nn
    >>> from glassnet import jit
    >>> glassnet.manual_seed(0)
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    >>> opt = glassnet.optim.SGD(model.parameters(), lr=0.1)
    >>> x, y = glassnet.randn(16, 4), glassnet.randint(0, 3, (16,))
    >>> step = jit.trace_train_step(model, nn.CrossEntropyLoss(), opt, (x, y))
    >>> losses = [step(x, y).item() for _ in range(20)]
    >>> losses[-1] < losses[0]
    True
    """
    from glassnet.backend import default_generator
    from glassnet.jit._tracer import _check_inputs, _trace
    from glassnet.nn.module import Module

    fn = "trace_train_step"
    if not isinstance(model, Module):
        raise TypeError(f"{fn}: model must be a Module, got {type(model).__name__}")
    if not callable(loss_fn):
        raise TypeError(f"{fn}: loss_fn must be callable, got {type(loss_fn).__name__}")
    if not hasattr(optimizer, "step") or not hasattr(optimizer, "zero_grad"):
        raise TypeError(f"{fn}: optimizer must be an Optimizer, got "
                        f"{type(optimizer).__name__}")
    if not isinstance(example_batch, (tuple, list)) or len(example_batch) != 2:
        raise ValueError(f"{fn}: example_batch must be (inputs, targets), got "
                         f"{type(example_batch).__name__} of length "
                         f"{len(example_batch) if hasattr(example_batch, '__len__') else '?'}")
    inputs = _check_inputs(example_batch, fn, "example_batch")

    # The traced call runs the step's forward once: keep its side effects (running
    # statistics, dropout draws) out of the model and the generator.
    from glassnet.nn.dropout import _DropoutNd

    buffers = [(b, b._data.copy()) for b in model.buffers() if b is not None]
    rngs = [default_generator()] + [m.generator for m in model.modules()
                                    if isinstance(m, _DropoutNd) and m.generator is not None]
    states = [(r, r.bit_generator.state) for r in rngs]
    try:
        graph = _trace(lambda x, y: loss_fn(model(x), y), inputs, model, fn)
    finally:
        for b, data in buffers:
            b._data[...] = data
        for r, state in states:
            r.bit_generator.state = state
    leaves = graph._traced_leaves
    del graph._traced_leaves
    if len(leaves) != 1 or leaves[0]._data.size != 1:
        raise ValueError(f"{fn}: loss_fn must return one scalar Tensor, got "
                         f"{len(leaves)} tensors of shapes "
                         f"{[tuple(t.shape) for t in leaves]}")
    if graph.values[graph.outputs[0]].kind != "node":
        raise ValueError(f"{fn}: the loss does not depend on any recorded op")
    return TrainStep(graph, model, optimizer, _random_nodes(graph, model))
