"""The op registry: one :class:`OpInfo` row per differentiable op.

Each row names the op, its glassnet callable, the equivalent PyTorch callable and a
generator of sample inputs (including edge cases: batch 1, odd sizes, stride > 1,
padding, dilation, groups, broadcasting).  ``tests/ops/test_registry.py`` turns every
row into a float64 gradient check and a float32 forward/backward parity test against
PyTorch.  Rows live in :mod:`glassnet.testing.registry`, one module per op family.

PyTorch is never imported here: ``torch_fn`` receives the ``torch`` module as its first
argument from the test, e.g. ``torch_fn=lambda torch, x: torch.exp(x)``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

__all__ = ["OpInfo", "Sample", "all_ops", "FAMILIES"]


@dataclass
class Sample:
    """One call of an op.

    ``args`` holds arrays and plain values. Floating arrays become tensors that require
    grad (unless their position is listed in ``nondiff``); integer and bool arrays become
    tensors without grad; anything else is passed unchanged.
    """

    args: tuple
    kwargs: dict = field(default_factory=dict)
    desc: str = ""
    nondiff: tuple = ()


@dataclass
class OpInfo:
    """One registry row.

    Parameters
    ----------
    name : str
        Public name (``'conv2d'``).
    fn : callable
        glassnet callable: ``fn(*tensors, **kwargs) -> Tensor``.
    torch_fn : callable or None
        ``torch_fn(torch, *torch_tensors, **kwargs) -> torch.Tensor``; None if PyTorch
        has no equivalent (the forward is then checked elsewhere against a closed form).
    samples : callable
        ``samples(rng) -> list[Sample]`` with float64 arrays; at least 5 cases.
    atol, rtol : float
        float32 forward tolerances against PyTorch; ``grad_atol``/``grad_rtol`` for the
        gradients.
    gradcheck : bool
        Run the float64 finite-difference check (disable only for non-smooth sampling).
    gradcheck_atol, gradcheck_rtol : float
        Finite-difference tolerances (PyTorch's gradcheck defaults).
    """

    name: str
    fn: Callable
    torch_fn: Callable | None
    samples: Callable[[np.random.Generator], list]
    atol: float = 1e-5
    rtol: float = 1e-4
    grad_atol: float = 1e-5
    grad_rtol: float = 1e-4
    gradcheck: bool = True
    gradcheck_atol: float = 1e-5
    gradcheck_rtol: float = 1e-3
    gradcheck_eps: float = 1e-6
    parity_kwargs: Callable[[dict], dict] | None = None
    notes: str = ""
    extra: dict = field(default_factory=dict)
    _unused: Any = None


FAMILIES = ("elementwise", "unary", "reduce", "order", "scan", "shape", "linalg", "conv",
            "pool", "sampling", "activation", "norm", "dropout", "loss", "vision", "style",
            "quantization", "recurrent")


def all_ops() -> list:
    """Every registry row, family by family."""
    import importlib

    rows = []
    for fam in FAMILIES:
        mod = importlib.import_module(f"glassnet.testing.registry.{fam}")
        rows.extend(mod.ROWS)
    names = [r.name for r in rows]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise RuntimeError(f"op registry: duplicate names {sorted(dup)}")
    return rows
