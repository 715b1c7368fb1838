"""``Optimizer``: the base class of every optimizer (``torch.optim.Optimizer``'s API).

An optimizer holds ``param_groups`` (a list of dicts, each with a ``'params'`` list and
its own hyperparameters) and ``state`` (a dict keyed by parameter Tensor holding that
parameter's buffers).  Subclasses implement :meth:`Optimizer.step`; updates write into
``p._data`` (the private ndarray) in place, so a float32 parameter stays float32.
"""
from __future__ import annotations

import copy
import numbers
from collections import defaultdict
from collections.abc import Iterable

import numpy as np

from glassnet.autograd import enable_grad
from glassnet.backend import device_of, get_array_module, to_device
from glassnet.tensor import Tensor

__all__ = ["Optimizer", "required", "check_range", "check_betas"]


class _RequiredParameter:
    """Singleton marking a hyperparameter that every param group must give."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class for all optimizers.

    Parameters
    ----------
    params : iterable of Tensor or iterable of dict
        The tensors to optimize, or param groups: dicts with a ``'params'`` entry and
        per-group options that override ``defaults``.
    defaults : dict
        Default hyperparameters, used by groups that do not set them.

    Attributes
    ----------
    param_groups : list of dict
        One dict per group; ``group['params']`` is a list of Tensors.
    state : dict
        ``state[p]`` is a dict of buffers for parameter ``p`` (created on first step).
    """

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        self._validate_group(defaults)
        if isinstance(params, Tensor):
            raise TypeError(f"{type(self).__name__}: params must be an iterable of Tensors or "
                            f"dicts, got a Tensor")
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # -- param groups --------------------------------------------------------------
    def add_param_group(self, param_group: dict) -> None:
        """Add a param group (a dict with ``'params'`` and optional hyperparameters).

        Missing hyperparameters take the optimizer's defaults.  A parameter may belong
        to one group only.
        """
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}.add_param_group: param_group must be a dict, got "
                            f"{type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{name}.add_param_group: param_group must have a 'params' key")
        param_group = dict(param_group)
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(f"{name}: params must be an ordered collection (list, tuple); the "
                            f"order of a set changes between runs")
        params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: can only optimize Tensors, got "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf Tensor")
        param_group["params"] = params
        for key, default in self.defaults.items():
            if default is required and key not in param_group:
                raise ValueError(f"{name}: parameter group didn't specify a value of the "
                                 f"required hyperparameter {key}")
            param_group.setdefault(key, default)
        self._validate_group(param_group)
        ids = [id(p) for p in params]
        if len(ids) != len(set(ids)):
            raise ValueError(f"{name}: a parameter group contains the same parameter twice")
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if not seen.isdisjoint(ids):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def _validate_group(self, group: dict) -> None:
        """Check one group's hyperparameters (the defaults, then every group).

        Subclasses override this with calls to :func:`check_range` and
        :func:`check_betas`, so that a bad value in a param group is caught as early as
        a bad constructor argument.
        """

    # -- gradients -----------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors.

        Parameters
        ----------
        set_to_none : bool
            Set ``p.grad`` to None (default, as PyTorch) instead of filling it with zeros.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad._data[...] = 0

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates and returns the loss."""
        raise NotImplementedError

    @staticmethod
    def _evaluate(closure):
        """Call ``closure`` with grad mode on (as torch does) and return its loss."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # -- serialisation -------------------------------------------------------------
    def state_dict(self) -> dict:
        """The optimizer's state as ``{'state': {...}, 'param_groups': [...]}``.

        Parameters are replaced by integer indices, numbered across groups in order, as
        in ``torch.optim.Optimizer.state_dict``: ``state`` maps an index to that
        parameter's buffers (Tensors or numbers) and each group's ``'params'`` is a list
        of indices.  Buffers are returned by reference (copy them to keep a snapshot).
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)] if isinstance(p, Tensor) else p: s
                 for p, s in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a state produced by :meth:`state_dict`.

        The number of groups and the size of each group must match.  Floating-point
        buffers are copied and cast to their parameter's dtype (``'step'`` keeps its
        dtype), so the loaded optimizer shares no memory with the source.
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            raise ValueError(f"{name}.load_state_dict: state_dict must be a dict with keys "
                             f"'state' and 'param_groups', got {type(state_dict).__name__}")
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError(f"{name}.load_state_dict: loaded state dict has "
                             f"{len(saved_groups)} parameter groups, the optimizer has "
                             f"{len(groups)}")
        for i, (g, sg) in enumerate(zip(groups, saved_groups)):
            if len(g["params"]) != len(sg["params"]):
                raise ValueError(f"{name}.load_state_dict: parameter group {i} has "
                                 f"{len(sg['params'])} parameters in the loaded state dict, "
                                 f"{len(g['params'])} in the optimizer")
        id_map = {}
        for g, sg in zip(groups, saved_groups):
            for p, index in zip(g["params"], sg["params"]):
                id_map[index] = p
        state = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in id_map:
                param = id_map[key]
                state[param] = _cast(param, value)
            else:
                state[key] = copy.deepcopy(value)
        for g, sg in zip(groups, saved_groups):
            sg["params"] = g["params"]
        self.state = state
        self.param_groups = saved_groups

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _cast(param: Tensor, value, key=None):
    """Copy a loaded state value as torch does: floating arrays take ``param``'s dtype,
    and every array but ``'step'`` (a host counter) goes to ``param``'s device."""
    if isinstance(value, Tensor):
        data = value._data
        if key != "step":
            data = to_device(data, device_of(param._data), "Optimizer.load_state_dict")
        if key != "step" and param._data.dtype.kind == "f" and data.dtype.kind == "f":
            return Tensor._wrap(data.astype(param._data.dtype, copy=True))
        return Tensor._wrap(data.copy())
    if isinstance(value, np.ndarray):
        return _cast(param, Tensor._wrap(value), key)._data
    if isinstance(value, dict):
        return {k: _cast(param, v, k) for k, v in value.items()}
    if isinstance(value, (str, bytes, numbers.Number)) or value is None:
        return value
    if isinstance(value, Iterable):
        return type(value)(_cast(param, v) for v in value)
    return copy.deepcopy(value)


def check_range(fn: str, name: str, value, low: float = 0.0, high: float | None = None,
                high_open: bool = False) -> None:
    """Raise unless ``low <= value`` (and ``value <= high``, or ``< high`` if open).

    Messages follow STYLE.md: ``SGD: lr must be >= 0, got -0.1``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}: {name} must be a real number, got {type(value).__name__}")
    if high is None:
        if not value >= low:
            raise ValueError(f"{fn}: {name} must be >= {low:g}, got {value}")
        return
    ok = low <= value < high if high_open else low <= value <= high
    if not ok:
        bracket = ")" if high_open else "]"
        raise ValueError(f"{fn}: {name} must be in [{low:g}, {high:g}{bracket}, got {value}")


def check_betas(fn: str, betas) -> None:
    """Raise unless ``betas`` is a pair of numbers in [0, 1)."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"{fn}: betas must be a pair (beta1, beta2), got {betas!r}")
    for i, beta in enumerate(betas):
        check_range(fn, f"betas[{i}]", beta, 0.0, 1.0, high_open=True)


# -- helpers shared by the optimizers ---------------------------------------------------
def _zeros_like(p: Tensor, fill: float = 0.0) -> Tensor:
    """A new state buffer shaped and typed like parameter ``p``."""
    # NOTE: full_like keeps the array type, so the state lives on its parameter's device.
    return Tensor._wrap(get_array_module(p._data).full_like(p._data, fill))


def _new_step() -> Tensor:
    """A step counter: a 0-d float32 Tensor, as torch stores ``state['step']``."""
    return Tensor._wrap(np.zeros((), dtype=np.float32))


def _increment(step: Tensor) -> float:
    """Add one to a step counter in place and return its new value as a float."""
    step._data += 1
    return float(step._data)


def _grads(group: dict):
    """Yield ``(p, grad)`` with ``grad`` an ndarray, for parameters that have a gradient."""
    for p in group["params"]:
        if p.grad is not None:
            yield p, p.grad._data


def _lerp_(start, end, weight: float) -> None:
    """In place ``start += weight * (end - start)``, rounded as ``torch.lerp``."""
    # NOTE: torch evaluates lerp from the nearer end (``end - (end - start)(1 - w)`` when
    # w >= 0.5); matching it keeps trajectories bit-close to torch's.
    if abs(weight) < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)
