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
import weakref

__all__ = [
    "Function", "sum_to", "no_grad", "enable_grad", "inference_mode", "set_grad_enabled",
    "is_grad_enabled", "backward",
]

# ---------------------------------------------------------------------------
# Grad mode: the only hidden global state (STYLE.md section 7).
# ---------------------------------------------------------------------------
_GRAD_ENABLED = True


def is_grad_enabled() -> bool:
    """Return True when operations are being recorded for autograd."""
    return _GRAD_ENABLED


class set_grad_enabled:
    """Context manager / decorator that sets grad mode to ``mode``."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self.prev = None

    def __enter__(self):
        global _GRAD_ENABLED
        self.prev = _GRAD_ENABLED
        _GRAD_ENABLED = self.mode
        return self

    def __exit__(self, *exc):
        global _GRAD_ENABLED
        _GRAD_ENABLED = self.prev
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
        global _GRAD_ENABLED
        self.prev = _GRAD_ENABLED
        if self.enabled:
            _GRAD_ENABLED = False
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
# Function
# ---------------------------------------------------------------------------
class Function:
    """Base class of every differentiable op.

    Subclasses implement ``forward(self, *arrays, **attrs) -> array`` and
    ``backward(self, grad_out) -> tuple`` (one entry per positional input).
    ``self.needs_input_grad`` tells which inputs need a gradient.
    """

    def __init__(self):
        self.inputs: tuple = ()
        self.needs_input_grad: tuple = ()
        self.saved_tensors: tuple = ()
        self._saved_versions: list = []
        self._released = False
        self._output_ref = None
        self._saves_output = False

    # -- used inside forward -------------------------------------------------
    def save_for_backward(self, *arrays):
        """Keep ``arrays`` for backward; in-place changes to them are detected."""
        self.saved_tensors = arrays

    # -- graph construction --------------------------------------------------
    @classmethod
    def apply(cls, *inputs, **attrs):
        from glassnet.tensor import Tensor, as_tensor

        tensors = tuple(x if isinstance(x, Tensor) else as_tensor(x) for x in inputs)
        fn = cls()
        fn.needs_input_grad = tuple(t.requires_grad for t in tensors)
        out_data = fn.forward(*(t._data for t in tensors), **attrs)
        record = _GRAD_ENABLED and any(fn.needs_input_grad)
        out = Tensor._wrap(out_data, requires_grad=record)
        if record:
            fn.inputs = tensors
            # Remember versions of inputs whose arrays were saved, to detect in-place edits.
            saved_ids = {id(a) for a in fn.saved_tensors}
            fn._saved_versions = [(t, t._version) for t in tensors if id(t._data) in saved_ids]
            fn._output_ref = weakref.ref(out)
            # An op that saved its own output (sigmoid, exp...) must see edits to it too.
            fn._saves_output = id(out_data) in saved_ids
            out._ctx = fn
        else:
            fn.saved_tensors = ()
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
            if k not in ("inputs", "needs_input_grad", "saved_tensors", "_saved_versions",
                         "_released", "_output_ref", "_saves_output"):
                self.__dict__[k] = None

    @property
    def name(self) -> str:
        return type(self).__name__ + "Backward"

    def __repr__(self):
        return f"<{self.name}>"


# ---------------------------------------------------------------------------
# Engine
# ---------------------------------------------------------------------------
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
        for t in fn.inputs:
            if t._ctx is not None and id(t._ctx) not in visited:
                stack.append((t._ctx, False))
    return order


def _apply_hooks(tensor, grad):
    from glassnet.tensor import Tensor

    for hook in tensor._hooks.values():
        new = hook(tensor._wrap_grad(grad))
        if new is not None:
            grad = new._data if isinstance(new, Tensor) else new
    return grad


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
    from glassnet.tensor import Tensor

    if not tensor.requires_grad:
        raise RuntimeError("backward: tensor does not require grad and has no grad_fn")
    from glassnet.backend import get_array_module

    xp = get_array_module(tensor._data)
    if gradient is None:
        if tensor._data.size != 1:
            raise RuntimeError(
                f"backward: grad can be implicitly created only for scalar outputs, "
                f"got a tensor of shape {tuple(tensor.shape)}; pass gradient=")
        grad = xp.ones_like(tensor._data)
    else:
        grad = gradient._data if isinstance(gradient, Tensor) else xp.asarray(gradient)
        if grad.shape != tensor._data.shape:
            raise RuntimeError(f"backward: gradient has shape {grad.shape}, expected "
                               f"{tensor._data.shape}")
        grad = grad.astype(tensor._data.dtype, copy=False)

    leaf_grads: dict = {}
    leaves: dict = {}
    if tensor._ctx is None:
        leaf_grads[id(tensor)] = grad
        leaves[id(tensor)] = tensor
        order = []
    else:
        order = _topo_order(tensor._ctx)
    grads = {}
    if tensor._ctx is not None:
        grads[id(tensor._ctx)] = grad

    for fn in reversed(order):
        g = grads.pop(id(fn), None)
        if g is None:
            continue
        if fn._released:
            raise RuntimeError(
                "backward: trying to backward through the graph a second time (or directly "
                "access saved tensors after they have already been freed); specify "
                "retain_graph=True on the first backward call")
        for t, version in fn._saved_versions:
            if t._version != version:
                raise RuntimeError(
                    f"backward: one of the variables needed for gradient computation has been "
                    f"modified by an inplace operation: a tensor of shape {tuple(t.shape)} "
                    f"used by {fn.name} is at version {t._version}; expected version "
                    f"{version}")
        out = fn._output_ref() if fn._output_ref is not None else None
        if fn._saves_output and out is not None and out._version != 0:
            raise RuntimeError(
                f"backward: one of the variables needed for gradient computation has been "
                f"modified by an inplace operation: the output of {fn.name} (shape "
                f"{tuple(out.shape)}) is at version {out._version}; expected version 0")
        if out is not None:
            if out._hooks:
                g = _apply_hooks(out, g)
            if out._retains_grad:
                out.grad = out._wrap_grad(g if out.grad is None else out.grad._data + g)
        in_grads = fn.backward(g)
        if not isinstance(in_grads, tuple):
            in_grads = (in_grads,)
        if len(in_grads) != len(fn.inputs):
            raise RuntimeError(f"{fn.name} returned {len(in_grads)} gradients for "
                               f"{len(fn.inputs)} inputs")
        for inp, ig in zip(fn.inputs, in_grads):
            if ig is None or not inp.requires_grad:
                continue
            if ig.shape != inp._data.shape:
                raise RuntimeError(
                    f"{fn.name} returned a gradient of shape {ig.shape} for an input of shape "
                    f"{inp._data.shape}")
            if ig.dtype != inp._data.dtype:
                ig = ig.astype(inp._data.dtype)
            if inp._ctx is None:
                key = id(inp)
                leaves[key] = inp
                leaf_grads[key] = ig if key not in leaf_grads else leaf_grads[key] + ig
            else:
                key = id(inp._ctx)
                grads[key] = ig if key not in grads else grads[key] + ig
        if not retain_graph:
            fn.release()

    for key, g in leaf_grads.items():
        leaf = leaves[key]
        if leaf._hooks:
            g = _apply_hooks(leaf, g)
        if leaf.grad is None:
            # NOTE: copy, since one array may be the gradient of several inputs (add).
            leaf.grad = leaf._wrap_grad(g.copy())
        else:
            leaf.grad._data += g
