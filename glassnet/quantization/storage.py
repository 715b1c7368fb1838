"""Storage accounting of a compressed layer, as in Deep Compression (Han et al. 2016,
sections 2-4, Fig. 2-3 and Table 2).

Relative-index sparse format
    The nonzero weights of the flattened layer (row-major, i.e. CSR rows back to back)
    are stored in order, each with the *difference* from the previous stored position
    instead of its absolute index, in ``index_bits`` bits.  A difference of ``d``
    positions is stored as ``d - 1`` (the number of zeros skipped, 0 .. 2**index_bits - 1);
    when more zeros must be skipped, a filler entry ("padding zero", Fig. 3) holding the
    value zero is inserted after ``2**index_bits - 1`` zeros, so that every gap fits.
    Because positions run through the flattened array, CSR's row-pointer array is not
    needed.

Codebook
    Each stored entry holds a ``bits``-bit index into a codebook of ``2**bits`` float32
    values (entry 0 is the zero of the padding entries).

Huffman
    The entry indices and the index differences are each Huffman-coded
    (:mod:`glassnet.quantization.huffman`); the code tables are counted too.

Biases (and any parameter not compressed) are counted at 32 bits in both the original
and the compressed size.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from glassnet.quantization.huffman import HuffmanCode

__all__ = ["relative_index_encode", "relative_index_decode", "LayerStorage",
           "layer_storage", "compression_table"]


def relative_index_encode(dense, index_bits: int):
    """Encode the nonzeros of ``dense`` in the relative-index format.

    Parameters
    ----------
    dense : array-like
        Any shape (flattened row-major).
    index_bits : int
        Bits per index difference (1..32).

    Returns
    -------
    diffs : ndarray int64 ``(E,)``
        Zeros skipped before each stored entry, each in ``[0, 2**index_bits)``.
    values : ndarray ``(E,)``
        The stored values: the nonzeros in order, with 0 at every padding entry.
    """
    if not isinstance(index_bits, (int, np.integer)) or not 1 <= index_bits <= 32:
        raise ValueError(f"relative_index_encode: index_bits must be an int in [1, 32], got "
                         f"{index_bits!r}")
    flat = np.asarray(dense).reshape(-1)
    pos = np.flatnonzero(flat)
    span = 2 ** int(index_bits)
    gaps = np.diff(np.concatenate([[-1], pos])) - 1          # zeros before each nonzero
    fillers = gaps // span                                   # padding entries needed
    # each padding entry skips span - 1 zeros and takes one position itself
    n = pos.size + int(fillers.sum())
    diffs = np.full(n, span - 1, np.int64)
    values = np.zeros(n, flat.dtype)
    at = np.cumsum(fillers + 1) - 1                          # where each nonzero lands
    diffs[at] = gaps - fillers * span
    values[at] = flat[pos]
    return diffs, values


def relative_index_decode(diffs, values, size: int) -> np.ndarray:
    """The flat dense array of ``size`` entries that :func:`relative_index_encode` coded."""
    diffs = np.asarray(diffs, np.int64)
    pos = np.cumsum(diffs + 1) - 1
    if pos.size and pos[-1] >= size:
        raise ValueError(f"relative_index_decode: the entries run past size={size}")
    out = np.zeros(size, np.asarray(values).dtype)
    out[pos] = values
    return out


@dataclass
class LayerStorage:
    """Sizes in bits of one compressed tensor (and its uncompressed extras)."""

    name: str
    numel: int
    nonzero: int
    entries: int          # nonzeros + padding entries
    bits: int             # codebook index bits
    index_bits: int
    dense_bits: int       # 32 * numel
    weight_bits: int      # entries * bits
    index_bits_total: int  # entries * index_bits
    codebook_bits: int    # 32 * 2**bits
    huffman_weight_bits: int
    huffman_index_bits: int
    huffman_table_bits: int
    extra_bits: int       # uncompressed parameters (biases) at 32 bits

    @property
    def pq_bits(self) -> int:
        """Pruning + quantisation (no Huffman)."""
        return self.weight_bits + self.index_bits_total + self.codebook_bits + self.extra_bits

    @property
    def pqh_bits(self) -> int:
        """Pruning + quantisation + Huffman coding."""
        return (self.huffman_weight_bits + self.huffman_index_bits + self.huffman_table_bits
                + self.codebook_bits + self.extra_bits)

    @property
    def original_bits(self) -> int:
        return self.dense_bits + self.extra_bits

    def as_dict(self) -> dict:
        d = asdict(self)
        d.update(pq_bits=self.pq_bits, pqh_bits=self.pqh_bits,
                 original_bits=self.original_bits,
                 density=self.nonzero / max(self.numel, 1),
                 avg_weight_bits_huffman=self.huffman_weight_bits / max(self.entries, 1),
                 avg_index_bits_huffman=self.huffman_index_bits / max(self.entries, 1))
        return d


def layer_storage(name: str, codes, bits: int, index_bits: int, extra_numel: int = 0,
                  check: bool = True) -> LayerStorage:
    """Storage of a layer whose weight is given by codebook indices ``codes``.

    Parameters
    ----------
    codes : int array
        Codebook index of every weight, 0 for a zero weight (pruned), 1..2**bits-1 for a
        shared value; any shape.
    bits, index_bits : int
    extra_numel : int
        Number of uncompressed float32 parameters of the layer (its bias).
    check : bool
        Decode the Huffman bit strings and the relative indices and verify that they give
        ``codes`` back exactly (raises RuntimeError otherwise).
    """
    codes = np.asarray(codes, np.int64)
    if codes.size and (codes.min() < 0 or codes.max() >= 2 ** bits):
        raise ValueError(f"layer_storage: codes of {name} must lie in [0, {2 ** bits}), got "
                         f"[{codes.min()}, {codes.max()}]")
    diffs, values = relative_index_encode(codes, index_bits)
    if values.size:
        wcode, wpacked, wn = HuffmanCode(values), None, 0
        icode = HuffmanCode(diffs)
        wpacked, wn = wcode.encode(values)
        ipacked, inn = icode.encode(diffs)
        if check:
            dv = wcode.decode(wpacked, wn, values.size)
            di = icode.decode(ipacked, inn, diffs.size)
            back = relative_index_decode(di, dv, codes.size)
            if not np.array_equal(back, codes.reshape(-1)):
                raise RuntimeError(f"layer_storage: decoding {name} did not restore its codes")
        table = wcode.table_bits() + icode.table_bits()
    else:
        wn = inn = table = 0
    return LayerStorage(name=name, numel=int(codes.size), nonzero=int((codes != 0).sum()),
                        entries=int(values.size), bits=int(bits), index_bits=int(index_bits),
                        dense_bits=32 * int(codes.size), weight_bits=int(values.size) * bits,
                        index_bits_total=int(values.size) * index_bits,
                        codebook_bits=32 * 2 ** bits, huffman_weight_bits=int(wn),
                        huffman_index_bits=int(inn), huffman_table_bits=int(table),
                        extra_bits=32 * int(extra_numel))


def compression_table(layers) -> dict:
    """Totals of a list of :class:`LayerStorage`: original, P+Q and P+Q+H bits and the
    compression ratios ``original / compressed``."""
    orig = sum(s.original_bits for s in layers)
    pq = sum(s.pq_bits for s in layers)
    pqh = sum(s.pqh_bits for s in layers)
    numel = sum(s.numel for s in layers)
    nz = sum(s.nonzero for s in layers)
    return {"original_bits": orig, "pq_bits": pq, "pqh_bits": pqh,
            "ratio_pq": orig / pq, "ratio_pqh": orig / pqh, "density": nz / numel,
            "layers": [s.as_dict() for s in layers]}
