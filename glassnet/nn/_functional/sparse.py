"""nn.functional: ``embedding`` (torch.nn.functional's name, arguments and defaults)."""
from __future__ import annotations

import numbers

import numpy as np

from glassnet._checks import check_float, check_tensor
from glassnet.autograd import no_grad
from glassnet.ops.sparse import Embedding
from glassnet.tensor import Tensor

__all__ = ["embedding"]


def _renorm_(weight: Tensor, index: np.ndarray, max_norm: float, norm_type: float) -> None:
    """Rescale in place the rows of ``weight`` named in ``index`` whose ``norm_type``-norm
    exceeds ``max_norm`` to norm ``max_norm`` (torch's ``embedding_renorm_``)."""
    rows = np.unique(index)
    w = weight._data
    norms = np.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1)
    big = norms > max_norm
    if np.any(big):
        # NOTE: torch scales by max_norm / (norm + 1e-7) (aten/src/ATen/native/Embedding.cpp).
        scale = max_norm / (norms[big] + 1e-7)
        w[rows[big]] *= scale[:, None].astype(w.dtype)
        weight._vc[0] += 1  # an in-place write: autograd sees the new version


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Look up rows of ``weight``: ``out[..., :] = weight[input[...], :]``.

    Parameters
    ----------
    input : int Tensor ``(*)``
        Indices in ``[0, num_embeddings)``.
    weight : Tensor ``(num_embeddings, embedding_dim)``
    padding_idx : int, optional
        This row gets no gradient (negative values count from the end).
    max_norm : float, optional
        Before the lookup, rows named in ``input`` whose ``norm_type``-norm is larger are
        rescaled to norm ``max_norm``, *in place* in ``weight`` (as torch).
    scale_grad_by_freq : bool
        Divide each row's gradient by its index's frequency in ``input``.
    sparse : bool
        Only False: glassnet has no sparse gradients.

    Shape
    -----
    - input: ``(*)``; weight: ``(V, D)``; output: ``(*, D)``

    Examples
    --------
    >>> import glassnet
    >>> import glassnet.nn.functional as F
    >>> w = glassnet.arange(6.).reshape(3, 2)
    >>> F.embedding(glassnet.tensor([2, 0]), w).tolist()
    [[4.0, 5.0], [0.0, 1.0]]
    """
    fn = "embedding"
    check_tensor(input, "input", fn)
    check_float(weight, "weight", fn)
    if input.dtype.kind not in "iu":
        raise TypeError(f"{fn}: input must be an integer tensor (Long or Int), got "
                        f"{input.dtype}")
    if weight.ndim != 2:
        raise ValueError(f"{fn}: weight must have shape (num_embeddings, embedding_dim), "
                         f"got {tuple(weight.shape)}")
    if sparse:
        raise ValueError(f"{fn}: sparse=True is not supported (glassnet has no sparse "
                         f"gradients), got sparse={sparse!r}")
    num = weight.shape[0]
    index = np.asarray(input._data).astype(np.int64, copy=False)
    if index.size and (index.min() < 0 or index.max() >= num):
        bad = index[(index < 0) | (index >= num)][0]
        raise ValueError(f"{fn}: input indices must be in [0, {num}) (num_embeddings), got "
                         f"{int(bad)}")
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"{fn}: padding_idx must be within num_embeddings ({num}), got "
                             f"{padding_idx}")
        padding_idx = int(padding_idx) % num
    if max_norm is not None:
        if not isinstance(max_norm, numbers.Real) or max_norm <= 0:
            raise ValueError(f"{fn}: max_norm must be a positive number, got {max_norm!r}")
        with no_grad():
            _renorm_(weight, index, float(max_norm), float(norm_type))
    return Embedding.apply(weight, index=index, padding_idx=padding_idx,
                           scale_grad_by_freq=bool(scale_grad_by_freq))
