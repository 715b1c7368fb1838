"""The tracer behind :func:`glassnet.jit.trace`: it records every ``Function.apply`` of one
call into a :class:`~glassnet.jit.graph.Graph`.

``Function.apply`` calls :meth:`Tracer.record` (through ``autograd._trace_record``) while a
tracer is active in this thread.  Each tensor the traced call touches becomes one
:class:`~glassnet.jit.graph.Value`: a graph input, a parameter or buffer of the traced
module (read live when the graph runs, so that training updates are seen), a constant
(a tensor made inside the call, e.g. by ``glassnet.zeros``; its values are frozen), or the
output of an earlier node.
"""
from __future__ import annotations

import os
import sys
import threading
import warnings

import numpy as np

from glassnet import autograd
from glassnet.jit.graph import Graph, Node, Value

__all__ = ["TracerWarning", "Tracer"]

_PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Frames in these files are the library's plumbing, not the traced user code.
_PLUMBING = tuple(os.path.join(_PKG, p) for p in (
    "autograd.py", "_tensor_base.py", "tensor.py", os.path.join("jit", ""),
    os.path.join("ops", ""), os.path.join("nn", "functional.py"),
    os.path.join("nn", "_functional", ""), os.path.join("nn", "module.py")))


_COUNT_LOCK = threading.Lock()  # guards autograd._tracers across threads

# Ops whose attributes hold what the public wrapper computed from the data (not
# recorded, since comparisons and arg-reductions bypass Function.apply).
_DERIVED_ATTRS = {  # op -> (attribute, what it holds)
    "GatherMax": ("indices", "argmax/argmin indices"),
    "TakeIndex": ("indices", "sort/selection indices"),
    "CumExtreme": ("indices", "running argmax indices"),
    "SelectEven": ("value", "a selected value (median)"),
    "Where": ("condition", "a condition"), "Gather": ("index", "an index"),
    "ScatterAdd": ("index", "an index"), "IndexPut": ("index", "an index"),
}


class TracerWarning(UserWarning):
    """A traced call converted a traced tensor to a Python value (``bool(x)``,
    ``x.item()``, ``int(x)``, ``float(x)``): control flow that depends on it is frozen
    into the graph, as the warning of ``torch.jit.trace``."""


def _user_frame():
    """``(filename, lineno)`` of the innermost frame outside the library's plumbing."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(_PLUMBING):
        frame = frame.f_back
    if frame is None:  # pragma: no cover - always some caller
        return "<unknown>", 0
    return frame.f_code.co_filename, frame.f_lineno


class Tracer:
    """Records ops into values and nodes; one per :func:`glassnet.jit.trace` call."""

    def __init__(self, params: dict):
        self.values: list[Value] = []
        self.nodes: list[Node] = []
        self.index: dict[int, int] = {}  # id(tensor) -> value index
        self._pinned: list = []  # keeps traced tensors alive so that ids stay unique
        self.params = params  # id(tensor) -> (qualified name, tensor)
        self.scope: list[str] = []
        self.warned: set = set()
        self.dependent: set = set()  # values computed from the graph inputs
        self.arrays: dict = {}  # id(array) -> value index, for inputs and node outputs

    # -- values --------------------------------------------------------------------
    def _new_value(self, tensor, kind, name, ref=None) -> int:
        data = tensor._data
        v = Value(len(self.values), kind, name, tuple(data.shape), data.dtype, ref)
        self.values.append(v)
        self.index[id(tensor)] = v.index
        if kind in ("input", "node"):
            self.arrays[id(data)] = v.index
        self._pinned.append(tensor)
        return v.index

    def add_input(self, tensor, name: str) -> int:
        idx = self._new_value(tensor, "input", name)
        self.dependent.add(idx)
        return idx

    def value_of(self, tensor) -> int:
        """The value of ``tensor``, made a parameter or constant if it is new."""
        idx = self.index.get(id(tensor))
        if idx is not None:
            return idx
        entry = self.params.get(id(tensor))
        if entry is not None:
            name, _ = entry
            return self._new_value(tensor, "param", name, ref=tensor)
        if tensor.requires_grad and tensor._ctx is None:
            # A leaf that requires grad, captured from outside the call (a plain function
            # closing over a module's weights): live, like a parameter.
            n = sum(v.kind == "param" for v in self.values)
            return self._new_value(tensor, "param", f"param_{n}", ref=tensor)
        n = sum(v.kind == "const" for v in self.values)
        return self._new_value(tensor, "const", f"const_{n}", ref=tensor._data.copy())

    # -- hooks called by autograd ---------------------------------------------------
    def record(self, cls, fn, tensors, attrs, out) -> None:
        inputs = tuple(self.value_of(t) for t in tensors)
        # An attribute that is a traced value's very array (gather(x, 1, y) with y a graph
        # input: the op gets y's array as its index) is bound to that value.
        bound = {k: self.arrays[id(v)] for k, v in attrs.items()
                 if isinstance(v, np.ndarray) and id(v) in self.arrays}
        dependent = any(i in self.dependent for i in inputs + tuple(bound.values()))
        n = len(self.nodes)
        scope = ".".join(self.scope)
        name = f"{cls.__name__.lower()}_{n}"
        where = _user_frame()
        info = {}
        derived = _DERIVED_ATTRS.get(cls.__name__)
        if dependent and derived is not None and derived[0] not in bound:
            info = self._derived(cls, tensors, attrs, name, where)
        out_idx = self._new_value(out, "node", name)
        if dependent:
            self.dependent.add(out_idx)
        self.nodes.append(Node(n, cls, dict(attrs), inputs, out_idx, name, scope, where,
                               bound, info))

    def _derived(self, cls, tensors, attrs, name, where) -> dict:
        """Ops whose attributes were computed from the data outside the op: max/min along
        a dim (GatherMax: its argmax/argmin is recomputed when the graph runs); the
        others warn, as their attribute is frozen."""
        if cls.__name__ == "GatherMax":
            a, idx, axis = tensors[0]._data, attrs["indices"], attrs["axis"]
            for reduce, fn in (("max", np.argmax), ("min", np.argmin)):
                if np.array_equal(idx, fn(a, axis=axis)):
                    return {"reduce": reduce}
        key = (where, cls.__name__)
        if key not in self.warned:
            self.warned.add(key)
            warnings.warn_explicit(
                f"trace: {cls.__name__} (node {name}) takes {_DERIVED_ATTRS[cls.__name__][1]} "
                f"computed from traced values outside the recorded ops; the graph replays "
                f"the trace-time values", TracerWarning, where[0], where[1])
        return {}

    def alias(self, tensor, source) -> None:
        """An in-place op made ``tensor`` hold ``source``'s values: later readers of
        ``tensor`` read ``source``'s value."""
        from glassnet._tensor_base import TensorBase

        if tensor._base is not None and not getattr(self, "_warned_view", False):
            # NOTE: the write also changes the view's base (and its other views), which
            # the graph does not see.
            self._warned_view = True
            filename, lineno = _user_frame()
            warnings.warn_explicit(
                "trace: an in-place write into a view of a tensor is not traced: the graph "
                "will read the base tensor's old values", TracerWarning, filename, lineno)
        if isinstance(source, TensorBase):
            self.index[id(tensor)] = self.value_of(source)
            self._pinned.append(tensor)
        else:  # an array written in: a constant from now on
            self.index.pop(id(tensor), None)

    def scalar(self, tensor, what: str) -> None:
        idx = self.index.get(id(tensor))
        if idx is not None and idx not in self.dependent:
            return  # a parameter or constant (or computed from them only)
        # NOTE: a tensor the tracer never saw comes from an op that is not recorded
        # (comparisons, argmax...: non-differentiable ops bypass Function.apply), most
        # likely applied to traced values: warn too.
        desc = "an unrecorded op's result" if idx is None else self.values[idx].name
        shape = tuple(tensor._data.shape)
        filename, lineno = _user_frame()
        key = (filename, lineno, what)
        if key in self.warned:
            return
        self.warned.add(key)
        conversion = {"item": "a Python number (item/float/int)", "bool": "a Python bool",
                      "index": "a Python index"}[what]
        warnings.warn_explicit(
            f"trace: converting a traced tensor ({desc}, shape {shape}) to {conversion}; "
            f"the traced graph treats the value as a constant, so control flow that "
            f"depends on it will not generalise to other inputs", TracerWarning, filename,
            lineno)

    # -- activation ---------------------------------------------------------------
    def __enter__(self):
        if getattr(autograd._STATE, "tracer", None) is not None:
            raise RuntimeError("trace: a trace is already active in this thread (nested "
                               "tracing is not supported)")
        autograd._STATE.tracer = self
        with _COUNT_LOCK:
            autograd._tracers += 1
        return self

    def __exit__(self, *exc):
        with _COUNT_LOCK:
            autograd._tracers -= 1
        autograd._STATE.tracer = None
        return False


def _enter_scope(tracer, qualified_name: str):
    def hook(module, args):
        tracer.scope.append(qualified_name.split(".")[-1])

    return hook


def _exit_scope(tracer):
    def hook(module, args, output):
        if tracer.scope:
            tracer.scope.pop()

    return hook


def _flatten(obj, fn: str):
    """``(leaves, rebuild)``: the tensors of a nested tuple/list/dict output, in order,
    and a function that rebuilds the same structure from a list of replacements."""
    from glassnet._tensor_base import TensorBase

    if isinstance(obj, TensorBase):
        return [obj], lambda leaves: leaves[0]
    if isinstance(obj, (tuple, list)):
        parts = [_flatten(o, fn) for o in obj]
        counts = [len(p[0]) for p in parts]
        leaves = [leaf for p in parts for leaf in p[0]]

        def rebuild(new):
            items, pos = [], 0
            for (_, build), c in zip(parts, counts):
                items.append(build(new[pos:pos + c]))
                pos += c
            if isinstance(obj, list):
                return items
            if hasattr(obj, "_fields"):  # namedtuple
                return type(obj)(*items)
            return tuple(items)

        return leaves, rebuild
    if isinstance(obj, dict):
        keys = list(obj)
        vals, build = _flatten([obj[k] for k in keys], fn)
        return vals, lambda new: dict(zip(keys, build(new)))
    if obj is None:
        return [], lambda new: None
    raise TypeError(f"{fn}: the traced call must return Tensors (or tuples, lists or dicts "
                    f"of them), got {type(obj).__name__}")


def trace(fn_or_module, example_inputs, check_trace: bool = False) -> Graph:
    """Record the ops of one call ``fn_or_module(*example_inputs)`` into a :class:`Graph`.

    As ``torch.jit.trace``, the call runs once on the example inputs and every op it
    performs (every ``Function.apply``) is recorded: Python control flow is evaluated
    at trace time and frozen, so a graph reproduces the call only for inputs of the
    example inputs' shapes and for code paths that do not depend on the data.
    Converting a traced tensor to a Python value inside the call (``bool(x)``,
    ``x.item()``, ``int(x)``, ``float(x)``) emits a :class:`TracerWarning` naming the
    line.  The module's parameters and buffers are graph parameters, read when the
    graph runs (later updates are seen); other tensors created inside the call are
    constants, except leaf tensors that require grad (weights a plain function closes
    over), which are parameters too.  Non-differentiable ops (comparisons, ``argmax``,
    integer casts) do not go through ``Function.apply`` and are not recorded: their
    results are frozen as constants.  Where an op receives such a result as an attribute
    (a ``where`` condition, a ``gather`` index), the graph reads it from the graph input
    or node output it is (bound), or else a TracerWarning names the op and line; max/min
    along a dim recompute their argmax on each run.  In-place ops (``x += y``, ``x.relu_()``) are
    recorded as their out-of-place op; an in-place write into a *view* is not (a
    TracerWarning says so).  Random ops replay the draws of the traced call (a dropout
    mask in training mode is frozen): trace inference graphs in eval mode, and whole
    training steps with :func:`glassnet.jit.trace_train_step`, which redraws them.

    Parameters
    ----------
    fn_or_module : Module or callable
        Called as ``fn_or_module(*example_inputs)``; it must return Tensors (or tuples,
        lists or dicts of Tensors).
    example_inputs : Tensor or tuple of Tensors
        The inputs of the traced call.
    check_trace : bool
        Glassnet extra: run the graph on the example inputs after tracing and raise if
        its outputs differ from the traced call's.

    Returns
    -------
    Graph
        ``graph(*inputs)`` runs the recorded forwards on raw arrays, without autograd.

    Examples
    --------
    >>> import glassnet, glassnet.nn as nn
    >>> from glassnet import jit
    >>> model = nn.Sequential(nn.Linear(3, 2), nn.ReLU()).eval()
    >>> g = jit.trace(model, glassnet.randn(4, 3))
    >>> [n.op.__name__ for n in g.nodes]
    ['Linear', 'ReLU']
    """
    from glassnet.nn.module import Module

    name = "trace"
    if not callable(fn_or_module):
        raise TypeError(f"{name}: fn_or_module must be a Module or a callable, got "
                        f"{type(fn_or_module).__name__}")
    inputs = _check_inputs(example_inputs, name, "example_inputs")
    module = fn_or_module if isinstance(fn_or_module, Module) else getattr(
        fn_or_module, "__self__", None)
    graph = _trace(fn_or_module, inputs, module if isinstance(module, Module) else None,
                   name)
    leaves = graph._traced_leaves
    del graph._traced_leaves
    if check_trace:
        got, _ = _flatten(graph(*inputs), name)
        for i, (a, b) in enumerate(zip(got, leaves)):
            if not np.array_equal(a._data, b._data, equal_nan=True):
                raise RuntimeError(f"{name}: check_trace failed: output {i} of the graph "
                                   f"differs from the traced call's")
    return graph


def _check_inputs(example_inputs, fn: str, what: str) -> tuple:
    from glassnet._tensor_base import TensorBase

    inputs = example_inputs if isinstance(example_inputs, (tuple, list)) else (example_inputs,)
    inputs = tuple(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, TensorBase):
            raise TypeError(f"{fn}: {what}[{i}] must be a Tensor, got {type(x).__name__}")
    return inputs


def _trace(call, inputs, module, fn: str) -> Graph:
    """Run ``call(*inputs)`` under a tracer; ``module``'s parameters and buffers are
    named graph parameters and its submodules give the nodes' scopes."""
    params: dict = {}
    handles = []
    tracer = Tracer(params)
    if module is not None:
        for pname, p in module.named_parameters():
            params[id(p)] = (pname, p)
        for bname, b in module.named_buffers():
            if b is not None:
                params[id(b)] = (bname, b)
        for mname, sub in module.named_modules():
            if not mname:
                continue
            handles.append(sub.register_forward_pre_hook(_enter_scope(tracer, mname)))
            handles.append(sub.register_forward_hook(_exit_scope(tracer)))
    for i, x in enumerate(inputs):
        tracer.add_input(x, f"input_{i}" if len(inputs) > 1 else "input")
    try:
        with tracer:
            out = call(*inputs)
    finally:
        for h in handles:
            h.remove()
    leaves, rebuild = _flatten(out, fn)
    outputs = tuple(tracer.value_of(t) for t in leaves)
    graph = Graph(tracer.values, tracer.nodes, tuple(range(len(inputs))), outputs, rebuild,
                  module=module)
    graph._traced_leaves = leaves
    return graph
