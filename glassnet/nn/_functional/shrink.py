"""nn.functional: the shrinkage activations ``hardshrink`` and ``softshrink``.

Kept apart from :mod:`glassnet.nn._functional.activation` (which is at its size limit);
both call one ``Function`` of :mod:`glassnet.ops.activation`.
"""
from __future__ import annotations

import numbers

from glassnet._checks import check_float
from glassnet.ops import activation as _act
from glassnet.tensor import Tensor

__all__ = ["hardshrink", "softshrink"]


def _lambd(value, fn: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}: lambd must be a real number, got {type(value).__name__}")
    return float(value)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """Hard shrinkage: ``x`` where ``|x| > lambd``, else 0.

    The gradient is 1 where ``|x| > lambd`` and 0 elsewhere (also at ``|x| = lambd``).

    Parameters
    ----------
    input : Tensor
        Floating tensor.
    lambd : float
        Threshold, default 0.5.

    Shape
    -----
    input: ``(*)``; output: ``(*)``.

    Examples
    --------
    >>> import glassnet, glassnet.nn.functional as F
    >>> F.hardshrink(glassnet.tensor([-1.0, 0.2, 0.5, 0.7])).tolist()
    [-1.0, 0.0, 0.0, 0.699999988079071]
    """
    fn = "hardshrink"
    return _act.Hardshrink.apply(check_float(input, "input", fn), lambd=_lambd(lambd, fn))


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """Soft shrinkage: ``x - lambd`` for ``x > lambd``, ``x + lambd`` for
    ``x < -lambd``, else 0 (the proximal operator of ``lambd * |x|``).

    Parameters
    ----------
    input : Tensor
        Floating tensor.
    lambd : float
        Threshold, default 0.5; must be >= 0 (as torch).

    Shape
    -----
    input: ``(*)``; output: ``(*)``.

    Examples
    --------
    >>> import glassnet, glassnet.nn.functional as F
    >>> F.softshrink(glassnet.tensor([-1.0, 0.2, 1.5])).tolist()
    [-0.5, 0.0, 1.0]
    """
    fn = "softshrink"
    lam = _lambd(lambd, fn)
    if lam < 0:
        raise ValueError(f"{fn}: lambd must be >= 0, got {lambd}")
    return _act.Softshrink.apply(check_float(input, "input", fn), lambd=lam)
