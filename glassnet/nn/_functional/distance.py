"""nn.functional: distances and encodings: ``cosine_similarity``, ``pairwise_distance``,
``one_hot``, with ``torch.nn.functional``'s names and semantics."""
from __future__ import annotations

import warnings

import numpy as np

from glassnet._checks import check_float, check_tensor
from glassnet.backend import get_array_module
from glassnet.ops import loss as L
from glassnet.ops.elementwise import cast
from glassnet.tensor import Tensor

__all__ = ["cosine_similarity", "pairwise_distance", "one_hot"]


def _float_target(input, target, fn, name="target", warn_broadcast=True):
    """Check a float input and a same-size target; promote dtypes as PyTorch does."""
    check_float(input, "input", fn)
    check_tensor(target, name, fn)
    if target.shape != input.shape:
        try:
            np.broadcast_shapes(input.shape, target.shape)
        except ValueError:
            raise ValueError(f"{fn}: {name} must have the shape of input {tuple(input.shape)}, "
                             f"got {tuple(target.shape)}") from None
        if warn_broadcast:
            warnings.warn(f"{fn}: using a {name} size {tuple(target.shape)} that is different "
                          f"to the input size {tuple(input.shape)}; this will likely lead to "
                          f"incorrect results due to broadcasting", UserWarning, stacklevel=3)
    if target.dtype.kind != "f":
        target = cast(target, input.dtype)
    elif target.dtype != input.dtype:
        dt = np.result_type(input.dtype, target.dtype)
        input, target = cast(input, dt), cast(target, dt)
    return input, target


# ---------------------------------------------------------------------------
# Distances and one-hot encoding
# ---------------------------------------------------------------------------
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine similarity ``sum(x1 / max(|x1|, eps) * x2 / max(|x2|, eps))`` along ``dim``.

    Each norm is clamped at ``eps`` separately (PyTorch's formula since 1.12), so the
    result stays in [-1, 1]. Inputs broadcast against each other.

    Shape
    -----
    x1: ``(*1, D, *2)``, x2 broadcastable to it; output: the broadcast shape without
    ``dim``.

    Examples
    --------
    >>> import glassnet as gn
    >>> cosine_similarity(gn.tensor([[1.0, 0.0]]), gn.tensor([[1.0, 1.0]]))
    tensor([0.7071])
    """
    fn = "cosine_similarity"
    x1, x2 = _float_target(x1, x2, fn, "x2", warn_broadcast=False)
    ndim = len(np.broadcast_shapes(x1.shape, x2.shape))
    if ndim == 0 or not -ndim <= dim < ndim:
        raise ValueError(f"{fn}: dim must be in [{-ndim}, {ndim}) for inputs of shapes "
                         f"{tuple(x1.shape)} and {tuple(x2.shape)}, got {dim}")
    return L.CosineSimilarity.apply(x1, x2, dim=dim % ndim, eps=float(eps))


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """p-norm distance ``||x1 - x2 + eps||_p`` over the last dimension.

    ``eps`` is added to the difference (PyTorch's convention), which keeps the gradient
    finite when ``x1 == x2``. ``p`` may be 0, ``inf``, or any positive number.

    Shape
    -----
    x1: ``(N, D)`` or ``(D,)``; x2 broadcastable to it; output: ``(N,)`` or ``()`` (with
    a trailing 1 when ``keepdim``).
    """
    fn = "pairwise_distance"
    x1, x2 = _float_target(x1, x2, fn, "x2", warn_broadcast=False)
    if x1.ndim == 0 and x2.ndim == 0:
        raise ValueError(f"{fn}: x1 and x2 must have at least 1 dimension, got () and ()")
    if not p >= 0:
        raise ValueError(f"{fn}: p must be >= 0, got {p}")
    return L.PairwiseDistance.apply(x1, x2, p=float(p), eps=float(eps), keepdim=bool(keepdim))


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """One-hot encode int64 class indices into a new last dimension of size
    ``num_classes`` (``tensor.max() + 1`` when -1). Not differentiable.

    Shape
    -----
    tensor: ``(*)``; output: ``(*, num_classes)``, int64.

    Examples
    --------
    >>> import glassnet as gn
    >>> one_hot(gn.tensor([0, 2]))
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    fn = "one_hot"
    check_tensor(tensor, "tensor", fn)
    if tensor.dtype != np.int64:
        raise TypeError(f"{fn}: tensor must hold int64 class indices, got {tensor.dtype}")
    t = tensor._data
    if num_classes == -1:
        if t.size == 0:
            raise ValueError(f"{fn}: cannot infer num_classes from an empty tensor; pass "
                             f"num_classes")
        num_classes = int(t.max()) + 1
    elif num_classes < 1 and not (num_classes == 0 and t.size == 0):
        raise ValueError(f"{fn}: num_classes must be -1 or >= 1, got {num_classes}")
    if t.size and t.min() < 0:
        raise ValueError(f"{fn}: class values must be >= 0, got {int(t.min())}")
    if t.size and t.max() >= num_classes:
        raise ValueError(f"{fn}: class values must be < num_classes={num_classes}, got "
                         f"{int(t.max())}")
    xp = get_array_module(t)
    return Tensor._wrap((t[..., None] == xp.arange(num_classes)).astype(np.int64))
