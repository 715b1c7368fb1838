"""Pruning of module parameters, with ``torch.nn.utils.prune``'s API and semantics.

Pruning ``module.weight`` re-parametrises it (PyTorch's scheme, so state_dict keys match):

- the original values move to the Parameter ``weight_orig`` (still trained);
- the binary mask is the buffer ``weight_mask`` (saved in ``state_dict``);
- ``module.weight`` becomes a plain attribute, ``weight_orig * weight_mask``, recomputed
  by a forward pre-hook (the pruning method itself) before every call, so that
  retraining updates ``weight_orig`` while the pruned entries stay zero (their gradient
  through the mask is zero).

Pruning the same tensor again combines the methods in a :class:`PruningContainer`: each
new method acts only on the entries (unstructured) or channels (structured) that are
still unpruned, which is the iterative prune-retrain schedule of Han et al. 2015
("Learning both Weights and Connections for Efficient Neural Networks",
arXiv:1506.02626).  :func:`remove` makes the pruning permanent (``weight`` becomes a
Parameter again, holding the masked values).

To load a pruned model's ``state_dict`` into a fresh model, prune the same tensors
first (e.g. with :func:`identity`), as in PyTorch; the loaded mask then replaces the
identity one.

Examples
--------
>>> import glassnet.nn as nn
>>> from glassnet.nn.utils import prune
>>> m = prune.l1_unstructured(nn.Linear(4, 3), name="weight", amount=0.5)
>>> sorted(k for k in m.state_dict())
['bias', 'weight_mask', 'weight_orig']
>>> int(m.weight_mask.sum().item())
6
"""
from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable

import numpy as np

from glassnet.backend import default_generator
from glassnet.tensor import Tensor

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured",
           "L1Unstructured", "RandomStructured", "LnStructured", "CustomFromMask",
           "identity", "random_unstructured", "l1_unstructured", "random_structured",
           "ln_structured", "global_unstructured", "custom_from_mask", "remove",
           "is_pruned"]


def _arr(t) -> np.ndarray:
    return t._data if isinstance(t, Tensor) else np.asarray(t)


def _wrap(a: np.ndarray) -> Tensor:
    return Tensor._wrap(a)


class BasePruningMethod(ABC):
    """Base class of pruning methods (``torch.nn.utils.prune.BasePruningMethod``).

    A subclass sets ``PRUNING_TYPE`` (``'unstructured'``, ``'structured'`` with a ``dim``
    attribute, or ``'global'``) and implements :meth:`compute_mask`; the class method
    :meth:`apply` prunes ``module.<name>`` in place.
    """

    _tensor_name: str | None = None
    PRUNING_TYPE: str = "unstructured"

    def __call__(self, module, inputs):
        """The forward pre-hook: recompute ``module.<name>`` from ``_orig`` and ``_mask``."""
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """The new mask (same shape as ``t``) from the importance scores ``t`` and the
        current mask ``default_mask``; entries already 0 in ``default_mask`` stay 0."""

    def apply_mask(self, module) -> Tensor:
        """``module.<name>_orig * module.<name>_mask`` (differentiable w.r.t. ``_orig``)."""
        if self._tensor_name is None:
            raise ValueError(f"{type(self).__name__}.apply_mask: the method has no tensor "
                             f"name; use {type(self).__name__}.apply(module, name, ...)")
        orig = getattr(module, self._tensor_name + "_orig")
        mask = getattr(module, self._tensor_name + "_mask")
        return mask.to(orig.dtype) * orig

    @classmethod
    def apply(cls, module, name: str, *args, importance_scores=None, **kwargs):
        """Prune ``module.<name>`` with ``cls(*args, **kwargs)`` and return the method
        (a :class:`PruningContainer` when the tensor was already pruned)."""
        if not isinstance(name, str):
            raise TypeError(f"{cls.__name__}.apply: name must be a str, got "
                            f"{type(name).__name__}")
        if not hasattr(module, name):
            raise ValueError(f"{cls.__name__}.apply: module {type(module).__name__} has no "
                             f"parameter or attribute {name!r}")
        method = _get_composite_method(cls, module, name, *args, **kwargs)
        orig = getattr(module, name)
        if importance_scores is not None:
            if tuple(importance_scores.shape) != tuple(orig.shape):
                raise ValueError(f"{cls.__name__}.apply: importance_scores must have the "
                                 f"shape of {name} {tuple(orig.shape)}, got "
                                 f"{tuple(importance_scores.shape)}")
        else:
            importance_scores = orig
        if not isinstance(method, PruningContainer):
            # weight -> weight_orig (the same Parameter object), weight removed for now
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = _wrap(np.ones(orig.shape, orig._data.dtype))
        else:
            default_mask = _wrap(getattr(module, name + "_mask")._data.copy())
        try:
            mask = method.compute_mask(importance_scores, default_mask=default_mask)
            module.register_buffer(name + "_mask", mask)
            setattr(module, name, method.apply_mask(module))
            module.register_forward_pre_hook(method)
        except Exception:
            if not isinstance(method, PruningContainer):
                orig = getattr(module, name + "_orig")
                module.register_parameter(name, orig)
                del module._parameters[name + "_orig"]
            raise
        return method

    def prune(self, t: Tensor, default_mask: Tensor | None = None,
              importance_scores: Tensor | None = None) -> Tensor:
        """``t`` times the mask computed from ``importance_scores`` (default ``t``)."""
        if importance_scores is not None:
            if tuple(importance_scores.shape) != tuple(t.shape):
                raise ValueError(f"{type(self).__name__}.prune: importance_scores must have "
                                 f"shape {tuple(t.shape)}, got {tuple(importance_scores.shape)}")
        else:
            importance_scores = t
        if default_mask is None:
            default_mask = _wrap(np.ones(t.shape, _arr(t).dtype))
        return t * self.compute_mask(importance_scores, default_mask=default_mask)

    def remove(self, module) -> None:
        """Make the pruning permanent: ``<name>`` becomes a Parameter holding the masked
        values (the ``_orig`` Parameter object, so optimizers keep it)."""
        if self._tensor_name is None:
            raise ValueError(f"{type(self).__name__}.remove: the method has no tensor name")
        name = self._tensor_name
        weight = self.apply_mask(module)
        if name in module.__dict__:
            delattr(module, name)
        orig = module._parameters[name + "_orig"]
        orig.data = weight.detach()._data.copy()
        del module._parameters[name + "_orig"]
        del module._buffers[name + "_mask"]
        setattr(module, name, orig)


def _get_composite_method(cls, module, name, *args, **kwargs):
    old_method, found, hooks_to_remove = None, 0, []
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            old_method = hook
            hooks_to_remove.append(k)
            found += 1
    if found > 1:
        raise RuntimeError(f"{cls.__name__}.apply: avoid adding multiple pruning hooks to "
                           f"the same tensor {name} of module {type(module).__name__}; use "
                           f"a PruningContainer")
    method = cls(*args, **kwargs)
    method._tensor_name = name
    for k in hooks_to_remove:
        del module._forward_pre_hooks[k]
    if old_method is not None:
        if isinstance(old_method, PruningContainer):
            old_method.add_pruning_method(method)
            method = old_method
        else:
            container = PruningContainer(old_method)
            container.add_pruning_method(method)
            method = container
    return method


class PruningContainer(BasePruningMethod):
    """A sequence of pruning methods applied one after another to one tensor
    (iterative pruning); each new method prunes only what is still unpruned."""

    def __init__(self, *args):
        self._pruning_methods: tuple = ()
        if not isinstance(args, Iterable):  # pragma: no cover - *args is always a tuple
            args = (args,)
        if len(args) == 1 and not isinstance(args[0], Iterable):
            self._tensor_name = args[0]._tensor_name
            self.add_pruning_method(args[0])
        elif len(args) == 1 and isinstance(args[0], Iterable):
            for method in args[0]:
                self.add_pruning_method(method)
        else:
            for method in args:
                self.add_pruning_method(method)

    def add_pruning_method(self, method) -> None:
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"PruningContainer.add_pruning_method: {type(method).__name__} "
                            f"is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name != method._tensor_name:
            raise ValueError(f"PruningContainer.add_pruning_method: can only add pruning "
                             f"methods acting on the parameter named '{self._tensor_name}' "
                             f"to PruningContainer {self}, got '{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self):
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t, default_mask):
        """Apply the last method to the unpruned part of ``t`` (entries with mask 1 for
        unstructured methods, the unpruned channels along ``dim`` for structured ones,
        everything for global ones) and write its mask into a copy of ``default_mask``."""
        method = self._pruning_methods[-1]
        t_arr, mask = _arr(t), _arr(default_mask).astype(_arr(t).dtype, copy=True)
        if method.PRUNING_TYPE == "unstructured":
            slc = mask == 1
        elif method.PRUNING_TYPE == "structured":
            if not hasattr(method, "dim"):
                raise AttributeError("PruningContainer.compute_mask: a structured pruning "
                                     "method must have the attribute `dim` defined")
            n_dims = t_arr.ndim
            dim = method.dim + n_dims if method.dim < 0 else method.dim
            if dim < 0:
                raise IndexError(f"PruningContainer.compute_mask: index {method.dim} is out "
                                 f"of bounds for a tensor of dimension {n_dims}")
            keep = mask.sum(axis=tuple(d for d in range(n_dims) if d != dim)) != 0
            slc = tuple(keep if d == dim else slice(None) for d in range(n_dims))
        elif method.PRUNING_TYPE == "global":
            slc = (slice(None),) * t_arr.ndim
        else:
            raise ValueError(f"PruningContainer.compute_mask: unrecognized PRUNING_TYPE "
                             f"{method.PRUNING_TYPE!r}")
        partial = method.compute_mask(_wrap(t_arr[slc]), default_mask=_wrap(mask[slc]))
        mask[slc] = _arr(partial).astype(mask.dtype)
        return _wrap(mask)


class Identity(BasePruningMethod):
    """Prune nothing: the mask is all ones (use it to re-parametrise a tensor, e.g.
    before loading a pruned state_dict)."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        return super().apply(module, name)


def _validate_amount_init(amount, where: str) -> None:
    if isinstance(amount, bool) or not isinstance(amount, numbers.Real):
        raise TypeError(f"{where}: invalid type for amount: {type(amount).__name__}; must be "
                        f"int or float")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
            not isinstance(amount, numbers.Integral)
            and (float(amount) > 1.0 or float(amount) < 0.0)):
        raise ValueError(f"{where}: amount={amount} should either be a float in the range "
                         f"[0, 1] or a non-negative integer")


def _compute_nparams_toprune(amount, tensor_size: int) -> int:
    if isinstance(amount, numbers.Integral):
        return int(amount)
    # NOTE: Python's round (half to even), as torch: round(0.5 * 5) == 2.
    return round(amount * tensor_size)


def _validate_amount(nparams: int, tensor_size: int, where: str) -> None:
    if nparams > tensor_size:
        raise ValueError(f"{where}: amount={nparams} should be smaller than the number of "
                         f"parameters to prune={tensor_size}")


def _smallest(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` smallest entries of a 1-D array (tie-free inputs give the
    same set as ``torch.topk(..., largest=False)``)."""
    if k == 0:
        return np.zeros(0, np.int64)
    if k == values.size:
        return np.arange(values.size)
    return np.argpartition(values, k - 1, kind="introselect")[:k]


class RandomUnstructured(BasePruningMethod):
    """Prune ``amount`` of the (unpruned) entries at random (glassnet's default generator:
    ``glassnet.manual_seed`` makes it reproducible)."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_amount_init(amount, "RandomUnstructured")
        self.amount = amount

    def compute_mask(self, t, default_mask):
        size = int(np.prod(t.shape))
        k = _compute_nparams_toprune(self.amount, size)
        _validate_amount(k, size, "RandomUnstructured")
        mask = _arr(default_mask).copy()
        if k != 0:
            prob = default_generator().random(size)
            mask.reshape(-1)[_smallest(-prob, k)] = 0
        return _wrap(mask)

    @classmethod
    def apply(cls, module, name, amount):
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    """Prune the ``amount`` (unpruned) entries of smallest absolute value (Han et al.
    2015's magnitude pruning)."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_amount_init(amount, "L1Unstructured")
        self.amount = amount

    def compute_mask(self, t, default_mask):
        size = int(np.prod(t.shape))
        k = _compute_nparams_toprune(self.amount, size)
        _validate_amount(k, size, "L1Unstructured")
        mask = _arr(default_mask).copy()
        if k != 0:
            # NOTE: equal magnitudes make the choice among them arbitrary (torch.topk's
            # order is unspecified too); masks agree with torch on tie-free tensors.
            mask.reshape(-1)[_smallest(np.abs(_arr(t)).reshape(-1), k)] = 0
        return _wrap(mask)

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


def _validate_structured(t, dim: int, where: str) -> None:
    if len(t.shape) <= 1:
        raise ValueError(f"{where}: structured pruning can only be applied to "
                         f"multidimensional tensors; found tensor of shape {tuple(t.shape)} "
                         f"with {len(t.shape)} dims")
    if dim >= len(t.shape) or dim < -len(t.shape):
        raise IndexError(f"{where}: invalid index {dim} for tensor of size {tuple(t.shape)}")


def _channel_mask(shape, dtype, dim: int, keep: np.ndarray) -> np.ndarray:
    mask = np.zeros(shape, dtype)
    slc = [slice(None)] * len(shape)
    slc[dim] = keep
    mask[tuple(slc)] = 1
    return mask


class RandomStructured(BasePruningMethod):
    """Prune ``amount`` of the channels along ``dim`` at random."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim: int = -1):
        _validate_amount_init(amount, "RandomStructured")
        self.amount = amount
        self.dim = dim

    def compute_mask(self, t, default_mask):
        _validate_structured(t, self.dim, "RandomStructured")
        n = t.shape[self.dim]
        k = _compute_nparams_toprune(self.amount, n)
        _validate_amount(k, n, "RandomStructured")
        if k == 0:
            return default_mask
        prob = default_generator().random(n)
        keep = np.ones(n, bool)
        keep[_smallest(prob, k)] = False
        d = _arr(default_mask)
        return _wrap(_channel_mask(d.shape, d.dtype, self.dim, keep) * d)

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        return super().apply(module, name, amount=amount, dim=dim)


def _norm(t: np.ndarray, n, dim: int) -> np.ndarray:
    axes = tuple(d for d in range(t.ndim) if d != dim % t.ndim)
    a = np.abs(t.astype(np.float64))
    if n == "fro" or n == 2:
        return np.sqrt((a * a).sum(axis=axes))
    if n == float("inf"):
        return a.max(axis=axes)
    if n == float("-inf"):
        return a.min(axis=axes)
    if n == 0:
        return (a != 0).sum(axis=axes).astype(np.float64)
    return (a ** n).sum(axis=axes) ** (1.0 / n)


class LnStructured(BasePruningMethod):
    """Prune the ``amount`` channels along ``dim`` of smallest L``n`` norm (``n``: a
    number, ``inf``, ``-inf`` or ``'fro'``; Li et al. 2017 use ``n=1``, ``dim=0``)."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim: int = -1):
        _validate_amount_init(amount, "LnStructured")
        if not (n == "fro" or (isinstance(n, numbers.Real) and not isinstance(n, bool))):
            raise TypeError(f"LnStructured: n must be a number, inf, -inf or 'fro', got {n!r}")
        self.amount = amount
        self.n = n
        self.dim = dim

    def compute_mask(self, t, default_mask):
        _validate_structured(t, self.dim, "LnStructured")
        size = t.shape[self.dim]
        k = _compute_nparams_toprune(self.amount, size)
        _validate_amount(k, size, "LnStructured")
        if k == 0:
            return default_mask
        norm = _norm(_arr(t), self.n, self.dim)
        keep = np.zeros(size, bool)
        keep[_smallest(-norm, size - k)] = True  # the largest norms stay
        d = _arr(default_mask)
        return _wrap(_channel_mask(d.shape, d.dtype, self.dim, keep) * d)

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        return super().apply(module, name, amount=amount, n=n, dim=dim,
                             importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prune with a given mask (multiplied into the current one)."""

    PRUNING_TYPE = "global"

    def __init__(self, mask):
        self.mask = mask

    def compute_mask(self, t, default_mask):
        d = _arr(default_mask)
        m = _arr(self.mask)
        if m.shape != d.shape:
            raise ValueError(f"CustomFromMask: mask must have shape {d.shape}, got {m.shape}")
        return _wrap(d * m.astype(d.dtype))

    @classmethod
    def apply(cls, module, name, mask):
        return super().apply(module, name, mask=mask)


# -- functional interface ---------------------------------------------------------------
def identity(module, name: str):
    """Re-parametrise ``module.<name>`` with an all-ones mask; returns ``module``."""
    Identity.apply(module, name)
    return module


def random_unstructured(module, name: str, amount):
    """Prune ``amount`` (a fraction in [0, 1] or a count) of ``module.<name>``'s unpruned
    entries at random; returns ``module``."""
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name: str, amount, importance_scores=None):
    """Prune the ``amount`` unpruned entries of ``module.<name>`` with the smallest
    ``|importance_scores|`` (default: the tensor itself); returns ``module``."""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name: str, amount, dim: int):
    """Prune ``amount`` of the channels of ``module.<name>`` along ``dim`` at random."""
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name: str, amount, n, dim: int, importance_scores=None):
    """Prune the ``amount`` channels along ``dim`` with the smallest L``n`` norm."""
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def custom_from_mask(module, name: str, mask):
    """Prune ``module.<name>`` with the 0/1 ``mask`` (Tensor or array of its shape)."""
    CustomFromMask.apply(module, name, mask)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prune the ``(module, name)`` pairs of ``parameters`` together: ``pruning_method``
    (an unstructured method class, e.g. :class:`L1Unstructured`, with its ``kwargs``) is
    applied to all their unpruned entries as one vector.

    Parameters
    ----------
    parameters : iterable of (Module, str)
    pruning_method : type
        A :class:`BasePruningMethod` subclass with ``PRUNING_TYPE == 'unstructured'``.
    importance_scores : dict, optional
        ``{(module, name): Tensor}``; the tensor itself by default.
    """
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    parameters = list(parameters)
    importance_scores = importance_scores if importance_scores is not None else {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict, got "
                        f"{type(importance_scores).__name__}")
    scores = np.concatenate([_arr(importance_scores.get((m, n), getattr(m, n))).reshape(-1)
                             for m, n in parameters])
    default = np.concatenate([
        _arr(getattr(m, n + "_mask")).reshape(-1) if hasattr(m, n + "_mask")
        else np.ones(int(np.prod(getattr(m, n).shape)), scores.dtype) for m, n in parameters])
    container = PruningContainer()
    container._tensor_name = "temp"
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError(f'global_unstructured(): only "unstructured" PRUNING_TYPE is supported '
                        f"for the pruning_method; found method {pruning_method} of type "
                        f"{method.PRUNING_TYPE}")
    container.add_pruning_method(method)
    final = _arr(container.compute_mask(_wrap(scores), _wrap(default.astype(scores.dtype))))
    pointer = 0
    for module, name in parameters:
        shape = tuple(getattr(module, name).shape)
        num = int(np.prod(shape))
        custom_from_mask(module, name, mask=_wrap(final[pointer:pointer + num].reshape(shape)))
        pointer += num


def remove(module, name: str):
    """Make the pruning of ``module.<name>`` permanent (drop ``_orig``, ``_mask`` and the
    hook; ``<name>`` becomes a Parameter with the masked values); returns ``module``."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"remove: parameter '{name}' of module {type(module).__name__} has to be "
                     f"pruned before pruning can be removed")


def _reattach(module, name: str) -> None:
    """Re-attach the pruning of ``module.<name>`` from its ``<name>_orig`` Parameter and
    ``<name>_mask`` buffer: ``glassnet.load`` of a whole pruned module stores those two
    (torch.save pickles the hook; glassnet never pickles), and rebuilds the hook here."""
    method = CustomFromMask(getattr(module, name + "_mask"))
    method._tensor_name = name
    setattr(module, name, method.apply_mask(module))
    module.register_forward_pre_hook(method)


def is_pruned(module) -> bool:
    """True if ``module`` or any submodule has a pruning hook."""
    for _, sub in module.named_modules():
        for hook in sub._forward_pre_hooks.values():
            if isinstance(hook, BasePruningMethod):
                return True
    return False
