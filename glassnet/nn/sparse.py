"""``nn.Embedding`` (``torch.nn.Embedding``): a lookup table of learnt vectors."""
from __future__ import annotations

from glassnet._checks import check_float
from glassnet._creation import zeros
from glassnet.autograd import no_grad
from glassnet.nn import functional as F
from glassnet.nn import init
from glassnet.nn._layer_checks import _check_int, _factory_dtype
from glassnet.nn.module import Module, Parameter

__all__ = ["Embedding"]


class Embedding(Module):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``, indexed by integers.

    Parameters
    ----------
    num_embeddings, embedding_dim : int
    padding_idx : int, optional
        This row is initialised to zeros and never receives a gradient.
    max_norm : float, optional
        Looked-up rows with a larger ``norm_type``-norm are renormalised in place.
    norm_type : float
    scale_grad_by_freq : bool
        Scale gradients by the inverse frequency of the indices in the mini-batch.
    sparse : bool
        Only False (glassnet has no sparse gradients).
    _weight : Tensor, optional
        Use these values as the table (torch's private argument, used by from_pretrained).
    _freeze : bool
        The table does not require grad.

    Attributes
    ----------
    weight : Parameter ``(num_embeddings, embedding_dim)``
        Default init N(0, 1), as torch.

    Shape
    -----
    - input: ``(*)`` integer indices; output: ``(*, embedding_dim)``

    Examples
    --------
    >>> import glassnet, glassnet.nn as nn
    >>> emb = nn.Embedding(10, 3, padding_idx=0)
    >>> tuple(emb(glassnet.tensor([[1, 2, 0]])).shape), emb.weight[0].tolist()
    ((1, 3, 3), [0.0, 0.0, 0.0])
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False, _weight=None,
                 _freeze: bool = False, device=None, dtype=None):
        super().__init__()
        dt = _factory_dtype(dtype, device, "Embedding")
        self.num_embeddings = _check_int(num_embeddings, "num_embeddings", "Embedding", 0)
        self.embedding_dim = _check_int(embedding_dim, "embedding_dim", "Embedding", 0)
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx must be within num_embeddings "
                                 f"({num_embeddings}), got {padding_idx}")
            padding_idx = int(padding_idx) % num_embeddings
        if sparse:
            raise ValueError("Embedding: sparse=True is not supported (glassnet has no "
                             "sparse gradients), got sparse=True")
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = bool(scale_grad_by_freq)
        self.sparse = False
        if _weight is None:
            self.weight = Parameter(zeros(num_embeddings, embedding_dim, dtype=dt),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            check_float(_weight, "_weight", "Embedding")
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(f"Embedding: _weight must have shape ({num_embeddings}, "
                                 f"{embedding_dim}), got {tuple(_weight.shape)}")
            self.weight = Parameter(_weight.detach(), requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self) -> None:
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx].fill_(0)

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm,
                           self.norm_type, self.scale_grad_by_freq, self.sparse)

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx: int | None = None,
                        max_norm: float | None = None, norm_type: float = 2.0,
                        scale_grad_by_freq: bool = False, sparse: bool = False):
        """An Embedding whose table is ``embeddings`` ``(V, D)`` (frozen unless
        ``freeze=False``); the padding row keeps its given values, as torch."""
        check_float(embeddings, "embeddings", "Embedding.from_pretrained")
        if embeddings.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D (V, D), got "
                             f"shape {tuple(embeddings.shape)}")
        rows, cols = embeddings.shape
        return cls(rows, cols, _weight=embeddings, _freeze=freeze, padding_idx=padding_idx,
                   max_norm=max_norm, norm_type=norm_type,
                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            s += ", scale_grad_by_freq=True"
        return s
