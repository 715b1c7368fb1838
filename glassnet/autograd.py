"""Reverse-mode automatic differentiation: ``Function``, ``sum_to``, grad mode, engine.

A differentiable op is one :class:`Function` subclass.  ``forward`` works on raw arrays
and saves what ``backward`` needs; ``backward(grad_out)`` returns one gradient per
input (``None`` where an input needs none).  ``Function.apply`` wraps arrays in
``Tensor`` objects and records the graph when grad mode is on and an input requires
grad.  :func:`backward` walks the graph in reverse topological order, found
iteratively so that graphs of any depth work without recursion.
"""
from __future__ import annotations

import functools
import math
import threading
import weakref

import numpy as np

from glassnet import _anomaly
from glassnet._anomaly import (  # noqa: F401  (torch.autograd's names)
    detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled, set_detect_anomaly)

__all__ = [
    "Function", "sum_to", "no_grad", "enable_grad", "inference_mode", "set_grad_enabled",
    "is_grad_enabled", "backward", "queue_callback", "detect_anomaly", "set_detect_anomaly",
    "is_anomaly_enabled", "is_anomaly_check_nan_enabled",
]

# ---------------------------------------------------------------------------
# Grad mode: the only hidden global state (STYLE.md section 7), one flag per thread as
# in torch, so that two threads training two models never switch each other's
# recording off.
# ---------------------------------------------------------------------------
_STATE = threading.local()

# Tracing (glassnet.jit.trace): the number of tracers active in any thread.  While it
# is 0, Function.apply pays one global read and a falsy test; the tracer itself lives in
# this thread's ``_STATE.tracer``, so a trace in one thread never records another's ops.
_tracers = 0


def _trace_record(cls, fn, tensors, attrs, out) -> None:
    tracer = getattr(_STATE, "tracer", None)
    if tracer is not None:
        tracer.record(cls, fn, tensors, attrs, out)


def _trace_alias(tensor, source) -> None:
    """Called by in-place ops while a tracer is active: ``tensor`` now holds ``source``'s
    values."""
    tracer = getattr(_STATE, "tracer", None)
    if tracer is not None:
        tracer.alias(tensor, source)


def _trace_scalar(tensor, what: str) -> None:
    """Called by ``Tensor.item``/``__bool__``/``__index__`` while a tracer is active."""
    tracer = getattr(_STATE, "tracer", None)
    if tracer is not None:
        tracer.scalar(tensor, what)


def is_grad_enabled() -> bool:
    """Return True when operations are being recorded for autograd (in this thread)."""
    return getattr(_STATE, "grad_enabled", True)


def _set_grad(mode: bool) -> None:
    _STATE.grad_enabled = mode


class set_grad_enabled:
    """Context manager / decorator that sets grad mode to ``mode`` in this thread."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self.prev = None

    def __enter__(self):
        self.prev = is_grad_enabled()
        _set_grad(self.mode)
        return self

    def __exit__(self, *exc):
        _set_grad(self.prev)
        return False

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class no_grad(set_grad_enabled):
    """Disable graph recording (context manager and decorator), as ``torch.no_grad``."""

    def __init__(self, fn=None):
        super().__init__(False)
        self._fn = fn

    def __new__(cls, fn=None):
        obj = super().__new__(cls)
        if callable(fn):  # used as a bare decorator: @no_grad
            obj.__init__()
            return obj(fn)
        return obj


class enable_grad(set_grad_enabled):
    """Enable graph recording (context manager and decorator), as ``torch.enable_grad``."""

    def __init__(self, fn=None):
        super().__init__(True)

    def __new__(cls, fn=None):
        obj = super().__new__(cls)
        if callable(fn):
            obj.__init__()
            return obj(fn)
        return obj


class inference_mode(set_grad_enabled):
    """``torch.inference_mode(mode=True)``: no graph recording while ``mode`` is True.

    glassnet has no separate inference tensors, so this is :class:`no_grad`, and a no-op
    with ``mode=False``; context manager and decorator, with or without parentheses.
    """

    def __init__(self, mode: bool = True):
        super().__init__(False)
        self.enabled = bool(mode)

    def __new__(cls, mode=True):
        obj = super().__new__(cls)
        if callable(mode):  # used as a bare decorator: @inference_mode
            obj.__init__()
            return obj(mode)
        return obj

    def __enter__(self):
        self.prev = is_grad_enabled()
        if self.enabled:
            _set_grad(False)
        return self

    def __call__(self, fn):
        enabled = self.enabled

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(enabled):
                return fn(*args, **kwargs)

        return wrapper


# ---------------------------------------------------------------------------
# Broadcasting helper
# ---------------------------------------------------------------------------
def sum_to(grad, shape):
    """Sum ``grad`` over broadcast dimensions so that it has ``shape``.

    Every broadcasting op ends its backward with this helper.
    """
    shape = tuple(shape)
    if grad.shape == shape:
        return grad
    ndim_extra = grad.ndim - len(shape)
    if ndim_extra < 0:
        raise RuntimeError(f"sum_to: cannot reduce gradient of shape {grad.shape} to {shape}")
    axes = tuple(range(ndim_extra))
    axes += tuple(i + ndim_extra for i, s in enumerate(shape)
                  if s == 1 and grad.shape[i + ndim_extra] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if ndim_extra:
        grad = grad.reshape(grad.shape[ndim_extra:])
    if grad.shape != shape:
        raise RuntimeError(f"sum_to: cannot reduce gradient of shape {grad.shape} to {shape}")
    return grad


# ---------------------------------------------------------------------------
# The Tensor class is handed to the engine by glassnet.tensor at import time, so that
# this module never imports it (the dependency points down only).
# ---------------------------------------------------------------------------
_TENSOR = None


_NDARRAY = np.ndarray


def _same_device(fn: str, arrays, needs):
    """The inputs of op ``fn`` on one device (a 0-d CPU input that needs no gradient is
    copied to the others' device, as torch); RuntimeError naming both devices otherwise."""
    from glassnet.backend import same_device

    return same_device(fn, arrays, movable=[not n for n in needs])


def register_tensor_class(cls) -> None:
    """Called once by :mod:`glassnet.tensor`: the class that wraps op outputs.

    It must provide ``cls._wrap(array, requires_grad)`` and ``cls._coerce(value)`` (a
    Python number or array_like as a Tensor).
    """
    global _TENSOR
    _TENSOR = cls


# ---------------------------------------------------------------------------
# Function
# ---------------------------------------------------------------------------
class Function:
    """Base class of every differentiable op.

    Subclasses implement ``forward(self, *arrays, **attrs) -> array`` and
    ``backward(self, grad_out) -> tuple`` (one entry per positional input).
    ``self.needs_input_grad`` tells which inputs need a gradient.

    A subclass whose output may share its first input's storage (reshape, permute,
    basic indexing, expand) sets ``is_view = True``: when NumPy really returns a view,
    the output becomes a *view* of the input's base tensor, as in torch: it shares the
    base's version counter, and in-place writes through it are seen by autograd (see
    :func:`rebase_inplace`).  ``view_has_duplicates = True`` marks views that repeat
    elements (expand).
    """

    is_view = False
    view_has_duplicates = False

    # Per-node state; class-level defaults keep the construction of a node cheap (it
    # happens once per recorded op).
    inputs: tuple = ()
    needs_input_grad: tuple = ()
    saved_tensors: tuple = ()
    _edges: tuple = ()
    _saved_versions: tuple = ()
    _released = False
    _output_ref = None
    _saves_output = False
    _output_version = 0

    # -- used inside forward -------------------------------------------------
    def save_for_backward(self, *arrays):
        """Keep ``arrays`` for backward; in-place changes to them are detected."""
        self.saved_tensors = arrays

    # -- graph construction --------------------------------------------------
    @classmethod
    def apply(cls, *inputs, **attrs):
        tensor_cls = _TENSOR
        tensors = tuple([x if isinstance(x, tensor_cls) else tensor_cls._coerce(x)
                         for x in inputs])
        fn = cls()
        for t in tensors:
            if t._base is not None:
                t._grad_edge()  # a view whose base changed in place joins its graph first
        needs = tuple([t.requires_grad for t in tensors])
        fn.needs_input_grad = needs
        arrays = [t._data for t in tensors]
        if len(arrays) > 1:
            # One device per op: all-NumPy inputs (the common case) pass at a type check.
            kind = type(arrays[0])
            if kind is not _NDARRAY:
                arrays = _same_device(cls.__name__, arrays, needs)
            else:
                for a in arrays:
                    if type(a) is not kind:
                        arrays = _same_device(cls.__name__, arrays, needs)
                        break
        out_data = fn.forward(*arrays, **attrs)
        record = any(needs) and is_grad_enabled()
        out = tensor_cls._wrap(out_data, requires_grad=record)
        if cls.is_view:
            _mark_view(out, tensors[0], cls, attrs)
        if record:
            fn.inputs = tensors
            # NOTE: edges are taken now, not at backward: an in-place op may later give
            # an input tensor a new grad_fn, and this node must still reach the old one.
            edges = []
            for t, n in zip(tensors, needs):
                if not n:
                    edges.append(None)
                elif t._base is None:
                    edges.append(t._ctx if t._ctx is not None else t)
                else:
                    edges.append(t._grad_edge())  # a view: maybe refresh its grad_fn
            fn._edges = tuple(edges)
            saved = fn.saved_tensors
            if saved:
                # Versions of inputs whose arrays were saved, to detect in-place edits; an
                # op that saved its own output (sigmoid, exp...) must see edits to it too.
                saved_ids = {id(a) for a in saved}
                fn._saved_versions = [(t, t._vc[0]) for t in tensors
                                      if id(t._data) in saved_ids]
                fn._saves_output = id(out_data) in saved_ids
            fn._output_ref = weakref.ref(out)
            fn._output_version = out._vc[0]
            out._ctx = fn
            if _anomaly.ON:
                fn._anomaly_stack = _anomaly.forward_stack()
        else:
            fn.saved_tensors = ()
        if _tracers:
            _trace_record(cls, fn, tensors, attrs, out)
        return out

    def forward(self, *arrays, **attrs):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad_out):  # pragma: no cover - abstract
        raise NotImplementedError

    def release(self):
        """Free saved arrays after backward (unless ``retain_graph``)."""
        self.saved_tensors = ()
        self._released = True
        for k in list(self.__dict__):
            if k not in _KEEP_AFTER_RELEASE:
                self.__dict__[k] = None

    @property
    def name(self) -> str:
        return type(self).__name__ + "Backward"

    @property
    def next_functions(self) -> tuple:
        """``((node, 0), ...)`` per input, as torch: a Function, an
        :class:`AccumulateGrad` for a leaf, or None where no gradient flows."""
        return tuple((e if e is None or isinstance(e, Function) else AccumulateGrad(e), 0)
                     for e in self._edges)

    def __repr__(self):
        return f"<{self.name}>"


_KEEP_AFTER_RELEASE = frozenset((
    "inputs", "needs_input_grad", "saved_tensors", "_edges", "_saved_versions", "_released",
    "_output_ref", "_saves_output", "_output_version", "_anomaly_stack"))


class AccumulateGrad:
    """The node that stands for a leaf tensor in ``grad_fn.next_functions``."""

    def __init__(self, variable):
        self.variable = variable
        self.next_functions = ()

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self):
        return "<AccumulateGrad>"


# ---------------------------------------------------------------------------
# Views and in-place operations (torch's semantics)
# ---------------------------------------------------------------------------
def _view_step(cls, attrs, array):
    return cls().forward(array, **attrs)


def _compose(first, second):
    return lambda array: second(first(array))


def _mark_view(out, src, cls, attrs) -> None:
    """Make ``out`` a view of ``src``'s base when NumPy returned a view of its storage."""
    a, o = src._data, out._data
    if not (isinstance(o, np.ndarray) and isinstance(a, np.ndarray) and o.base is not None
            and np.may_share_memory(o, a)):
        return
    step = functools.partial(_view_step, cls, attrs)
    base = src._base if src._base is not None else src
    out._base = base
    out._vc = src._vc  # one version counter per storage, as torch
    out._view_fn = step if src._view_fn is None else _compose(src._view_fn, step)
    out._view_dups = cls.view_has_duplicates or src._view_dups
    # NOTE: a view made in no_grad mode (or a view of such a view) is not tracked: an
    # in-place write through it with grad mode on raises, as in torch.  As in torch, it
    # still requires grad when its source does (a leaf without grad_fn).
    grad_mode = is_grad_enabled()
    out._view_tracked = grad_mode and (src._base is None or src._view_tracked)
    if not grad_mode and src.requires_grad:
        out.requires_grad = True
    out._view_version = out._vc[0]


def _view_positions(view):
    """Linear (C-order) positions in the base of each element of ``view``."""
    base = view._base._data
    return view._view_fn(np.arange(base.size).reshape(base.shape))


class AsView(Function):
    """Gradient path from a view to its base: scatter the view's gradient into the
    base's shape (summing repeated positions, for expanded views)."""

    def backward(self, g):
        pos, shape = self.pos, self.base_shape
        n = int(math.prod(shape))
        if self.dups:
            out = np.bincount(pos.ravel(), weights=g.ravel(), minlength=n)
            return (out.astype(g.dtype).reshape(shape),)
        out = np.zeros(n, g.dtype)
        out[pos.ravel()] = g.ravel()
        return (out.reshape(shape),)


class CopySlices(Function):
    """The base after an in-place write through one of its views: the written region's
    gradient goes to the new values, the rest to the base's previous values."""

    name = "CopySlices"

    def backward(self, g):
        pos = self.pos
        g_base = g_value = None
        if self.needs_input_grad[0]:
            g_base = np.array(g, copy=True)  # NOTE: g may be a NumPy scalar (0-d base)
            g_base.reshape(-1)[pos.ravel()] = 0
        if self.needs_input_grad[1]:
            g_value = g.reshape(-1)[pos]
        return g_base, g_value


def _node(cls, edges, inputs, output, **fields):
    fn = cls()
    fn.needs_input_grad = tuple(e is not None for e in edges)
    fn._edges = tuple(edges)
    fn.inputs = tuple(inputs)
    fn._output_ref = weakref.ref(output)
    fn._output_version = output._version
    fn.__dict__.update(fields)
    return fn


def view_grad_fn(view):
    """A fresh grad_fn for ``view`` from its base's current node (after the base changed)."""
    base = view._base
    edge = base._grad_edge() if base.requires_grad else None
    return _node(AsView, (edge,), (base,), view, pos=_view_positions(view),
                 base_shape=base._data.shape, dups=view._view_dups)


def rebase_inplace(tensor, result) -> None:
    """Graph surgery after ``tensor``'s storage received ``result``'s values in place.

    ``result`` is the out-of-place result computed from a snapshot of ``tensor`` (so
    saved arrays are not overwritten).  ``tensor`` takes over ``result``'s grad_fn; when
    ``tensor`` is a view, its base gets a copy-slices node (the written region comes from
    ``result``, the rest from the base's previous graph) and the view a fresh view node,
    as torch's ``CopySlices``.
    """
    node = result._ctx
    if tensor._base is None:
        tensor._ctx = node
        tensor.requires_grad = result.requires_grad
        if node is not None:
            node._output_ref = weakref.ref(tensor)
            node._output_version = tensor._version
            node._saves_output = False
        return
    base = base_tensor = tensor._base
    base_edge = base._grad_edge() if base.requires_grad else None
    value_edge = result._grad_edge() if result.requires_grad else None
    if base_edge is None and value_edge is None:
        return
    base_tensor._ctx = _node(CopySlices, (base_edge, value_edge), (base, result), base,
                             pos=_view_positions(tensor))
    base_tensor.requires_grad = True
    tensor._view_tracked = True
    tensor._ctx = view_grad_fn(tensor)
    tensor.requires_grad = True
    tensor._view_version = tensor._vc[0]


# The backward engine lives in glassnet/_engine.py (it needs Function, defined above).
from glassnet._engine import (  # noqa: E402,F401  (autograd's public names)
    _note_post_accumulate_hook, backward, queue_callback)
