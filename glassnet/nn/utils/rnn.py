"""Packed sequences (``torch.nn.utils.rnn``): ``PackedSequence``, ``pack_padded_sequence``,
``pad_packed_sequence``, ``pad_sequence``, ``pack_sequence``, ``unpad_sequence`` and
``unpack_sequence``, with torch's semantics.

A packed sequence stores a batch of sequences of unequal lengths without padding: the
rows of ``data`` are time step 0 of every sequence, then step 1 of those still running,
and so on, with the sequences sorted by decreasing length; ``batch_sizes[t]`` is the
number of sequences that have a step ``t``. ``sorted_indices`` is the sort (None when the
caller promised sorted input with ``enforce_sorted=True``) and ``unsorted_indices`` its
inverse. Packing and padding are differentiable row gathers.

Examples
--------
>>> import glassnet
>>> from glassnet.nn.utils.rnn import pack_sequence, pad_packed_sequence
>>> p = pack_sequence([glassnet.tensor([1., 2., 3.]), glassnet.tensor([4., 5.])])
>>> p.data.tolist(), p.batch_sizes.tolist()
([1.0, 4.0, 2.0, 5.0, 3.0], [2, 2, 1])
>>> padded, lengths = pad_packed_sequence(p, batch_first=True)
>>> padded.tolist(), lengths.tolist()
([[1.0, 2.0, 3.0], [4.0, 5.0, 0.0]], [3, 2])
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from glassnet._checks import check_tensor
from glassnet.ops.recurrent import PackRows, PadRows
from glassnet.ops.shape import cat
from glassnet.tensor import Tensor

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "pack_sequence", "unpad_sequence", "unpack_sequence", "invert_permutation"]


def invert_permutation(permutation):
    """The inverse of an index permutation (an int64 Tensor), or None for None."""
    if permutation is None:
        return None
    p = _int_array(permutation, "permutation", "invert_permutation")
    out = np.empty_like(p)
    out[p] = np.arange(p.size)
    return Tensor._wrap(out, requires_grad=False)


def _int_array(v, name, fn):
    a = v.numpy() if isinstance(v, Tensor) else np.asarray(v)
    if a.ndim != 1 or (a.size and a.dtype.kind not in "iu"):
        raise ValueError(f"{fn}: {name} must be a 1-D sequence of integers, got "
                         f"{a.dtype} array of shape {a.shape}")
    return a.astype(np.int64)


class PackedSequence(namedtuple("PackedSequence",
                                ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """A batch of variable-length sequences, packed (``torch.nn.utils.rnn.PackedSequence``).

    Build one with :func:`pack_padded_sequence` or :func:`pack_sequence`, not directly.

    Attributes
    ----------
    data : Tensor ``(sum(lengths), *)``
    batch_sizes : int64 Tensor ``(T,)``
        Sequences that have step ``t``.
    sorted_indices : int64 Tensor ``(B,)`` or None
        Original batch index of each packed column.
    unsorted_indices : int64 Tensor ``(B,)`` or None
        Inverse of ``sorted_indices``.
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """The same packed sequence with ``data.to(*args, **kwargs)``."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else type(self)(data, *self[1:])

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    @property
    def is_cuda(self) -> bool:
        return False


def _packed_index(batch_sizes, batch: int):
    """Row of the time-major padded ``(T * batch)`` array of each packed row."""
    bs = np.asarray(batch_sizes, dtype=np.int64)
    steps = np.repeat(np.arange(bs.size), bs)
    starts = np.concatenate([[0], np.cumsum(bs)[:-1]])
    cols = np.arange(int(bs.sum())) - np.repeat(starts, bs)
    return steps * batch + cols


def _lengths_from_batch_sizes(batch_sizes):
    bs = np.asarray(batch_sizes, dtype=np.int64)
    return (bs[:, None] > np.arange(int(bs[0]))[None, :]).sum(axis=0)


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch of variable-length sequences.

    Parameters
    ----------
    input : Tensor ``(T, B, *)``, or ``(B, T, *)`` with ``batch_first``
    lengths : list of int or 1-D int Tensor ``(B,)``
        Length of each sequence, each in ``1..T``.
    enforce_sorted : bool
        True: ``lengths`` must be decreasing (no sort is recorded); False: the batch is
        sorted here and ``sorted_indices`` records the order.

    Returns
    -------
    PackedSequence
    """
    fn = "pack_padded_sequence"
    check_tensor(input, "input", fn)
    lengths = _int_array(lengths, "lengths", fn)
    bdim = 0 if batch_first else 1
    if input.ndim < 2:
        raise ValueError(f"{fn}: input must have shape (T, B, *) or (B, T, *), got "
                         f"{tuple(input.shape)}")
    batch, steps = input.shape[bdim], input.shape[1 - bdim]
    if lengths.size != batch:
        raise ValueError(f"{fn}: lengths must have one entry per sequence ({batch}), got "
                         f"{lengths.size}")
    if lengths.size and (lengths.min() <= 0 or lengths.max() > steps):
        raise ValueError(f"{fn}: every length must be in 1..{steps} (the padded length), "
                         f"got {lengths.tolist()}")
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise ValueError(f"{fn}: lengths must be sorted in decreasing order when "
                             f"enforce_sorted=True, got {lengths.tolist()}; pass "
                             f"enforce_sorted=False to sort them here")
        sorted_indices = None
    else:
        # NOTE: a stable sort, as torch.sort on CPU: equal lengths keep their order.
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        sorted_indices = Tensor._wrap(order.astype(np.int64), requires_grad=False)
        input = input.index_select(bdim, sorted_indices)
    if batch_first:
        input = input.transpose(0, 1)
    batch_sizes = (lengths[None, :] > np.arange(int(lengths[0]))[:, None]).sum(axis=1)
    data = PackRows.apply(input, index=_packed_index(batch_sizes, batch))
    return PackedSequence(data, Tensor._wrap(batch_sizes.astype(np.int64), requires_grad=False),
                          sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: int | None = None):
    """Pad a packed batch back: the inverse of :func:`pack_padded_sequence`.

    Returns
    -------
    (Tensor ``(T, B, *)`` or ``(B, T, *)`` in the original batch order, int64 Tensor
    ``(B,)`` of lengths in the same order). ``T`` is the longest length, or
    ``total_length`` when given (it must be at least that).
    """
    fn = "pad_packed_sequence"
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"{fn}: sequence must be a PackedSequence, got "
                        f"{type(sequence).__name__}")
    bs = _int_array(sequence.batch_sizes, "batch_sizes", fn)
    batch, steps = int(bs[0]), int(bs.size)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(f"{fn}: total_length must be at least the length of the "
                             f"longest sequence in input ({steps}), got {total_length}")
        steps = int(total_length)
    padded = PadRows.apply(sequence.data, index=_packed_index(bs, batch),
                           shape=(steps, batch), padding_value=padding_value)
    lengths = _lengths_from_batch_sizes(bs)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices.numpy()]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, Tensor._wrap(lengths.astype(np.int64), requires_grad=False)


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack tensors ``(L_i, *)`` of unequal lengths into ``(T, B, *)`` (``(B, T, *)`` with
    ``batch_first``), ``T = max L_i``, filling with ``padding_value`` on ``padding_side``
    (``'right'`` or ``'left'``)."""
    fn = "pad_sequence"
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    if not sequences:
        raise ValueError(f"{fn}: sequences must hold at least one tensor, got none")
    if padding_side not in ("right", "left"):
        raise ValueError(f"{fn}: padding_side must be 'right' or 'left', got "
                         f"{padding_side!r}")
    for k, s in enumerate(sequences):
        check_tensor(s, f"sequences[{k}]", fn)
        if s.ndim == 0 or tuple(s.shape[1:]) != tuple(sequences[0].shape[1:]):
            raise ValueError(f"{fn}: every sequence must have shape (L, "
                             f"{', '.join(map(str, sequences[0].shape[1:])) or ''}*), got "
                             f"{tuple(s.shape)} for sequences[{k}]")
    lengths = np.array([s.shape[0] for s in sequences], dtype=np.int64)
    batch, steps = len(sequences), int(lengths.max())
    cols = np.repeat(np.arange(batch), lengths)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    t = np.arange(int(lengths.sum())) - np.repeat(starts, lengths)
    if padding_side == "left":
        t = t + np.repeat(steps - lengths, lengths)
    index = cols * steps + t if batch_first else t * batch + cols
    shape = (batch, steps) if batch_first else (steps, batch)
    return PadRows.apply(cat(sequences, 0), index=index, shape=shape,
                         padding_value=padding_value)


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of tensors ``(L_i, *)``: ``pack_padded_sequence(pad_sequence(...))``."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths,
                                enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list:
    """The list of tensors ``(L_i, *)`` in a padded batch (inverse of :func:`pad_sequence`)."""
    lengths = _int_array(lengths, "lengths", "unpad_sequence")
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[b, :int(n)] for b, n in enumerate(lengths)]


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The list of tensors ``(L_i, *)`` in a packed batch (inverse of :func:`pack_sequence`)."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
