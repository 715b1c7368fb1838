"""A canonical Huffman coder for integer symbols (Huffman 1952, "A Method for the
Construction of Minimum-Redundancy Codes"), used by Deep Compression's last stage to
code the weight indices and the index differences.

:class:`HuffmanCode` builds the code from symbol counts (``heapq``), assigns canonical
codewords (sorted by length, then symbol), encodes a symbol array into a packed bit
string with NumPy, and decodes it with a lookup table indexed by the next ``max_len``
bits.  ``decode(encode(x)) == x`` exactly.
"""
from __future__ import annotations

import heapq

import numpy as np

__all__ = ["HuffmanCode", "huffman_encode", "huffman_decode"]


class HuffmanCode:
    """A canonical prefix code for the symbols of ``counts``.

    Parameters
    ----------
    counts : dict ``{symbol: count}`` or array of symbols
        Symbol frequencies (an array is counted).

    Attributes
    ----------
    lengths : dict ``{symbol: code length in bits}``
    codes : dict ``{symbol: codeword as int}`` (most significant bit first)
    """

    def __init__(self, counts):
        if not isinstance(counts, dict):
            arr = np.asarray(counts).reshape(-1)
            if not np.issubdtype(arr.dtype, np.integer):
                raise TypeError(f"HuffmanCode: symbols must be integers, got {arr.dtype}")
            sym, cnt = np.unique(arr, return_counts=True)
            counts = dict(zip(sym.tolist(), cnt.tolist()))
        counts = {int(s): int(c) for s, c in counts.items() if c > 0}
        if not counts:
            raise ValueError("HuffmanCode: counts must contain at least one symbol")
        self.lengths = self._code_lengths(counts)
        self.codes = self._canonical(self.lengths)
        self.max_len = max(self.lengths.values())

    @staticmethod
    def _code_lengths(counts: dict) -> dict:
        if len(counts) == 1:
            return {next(iter(counts)): 1}  # one symbol still needs one bit per use
        # heap of (count, tie-breaker, [symbols in this subtree]); merging two subtrees
        # adds one bit to the code of each of their symbols
        heap = [(c, i, [s]) for i, (s, c) in enumerate(sorted(counts.items()))]
        heapq.heapify(heap)
        lengths = dict.fromkeys(counts, 0)
        tie = len(heap)
        while len(heap) > 1:
            c1, _, s1 = heapq.heappop(heap)
            c2, _, s2 = heapq.heappop(heap)
            for s in s1 + s2:
                lengths[s] += 1
            heapq.heappush(heap, (c1 + c2, tie, s1 + s2))
            tie += 1
        return lengths

    @staticmethod
    def _canonical(lengths: dict) -> dict:
        codes, code, prev = {}, 0, 0
        for s, n in sorted(lengths.items(), key=lambda kv: (kv[1], kv[0])):
            code <<= n - prev
            codes[s] = code
            code += 1
            prev = n
        return codes

    def bit_length(self, symbols) -> int:
        """Bits needed to code ``symbols`` (without encoding them)."""
        sym, cnt = np.unique(np.asarray(symbols).reshape(-1), return_counts=True)
        return int(sum(self.lengths[int(s)] * int(c) for s, c in zip(sym, cnt)))

    def table_bits(self, symbol_bits: int = 8) -> int:
        """Storage of the code itself: one ``symbol_bits``-bit length per symbol (a
        canonical code is rebuilt from the lengths)."""
        return len(self.lengths) * symbol_bits

    def encode(self, symbols) -> tuple:
        """``(packed uint8 bytes, number of bits)`` of the codewords of ``symbols``."""
        arr = np.asarray(symbols).reshape(-1).astype(np.int64)
        if arr.size == 0:
            return np.zeros(0, np.uint8), 0
        alphabet = np.array(sorted(self.lengths), np.int64)
        pos = np.searchsorted(alphabet, arr)
        if (pos >= alphabet.size).any() or (alphabet[np.minimum(pos, alphabet.size - 1)]
                                            != arr).any():
            raise ValueError("HuffmanCode.encode: symbols outside the code's alphabet")
        lens = np.array([self.lengths[s] for s in alphabet.tolist()], np.int64)[pos]
        codes = np.array([self.codes[s] for s in alphabet.tolist()], np.int64)[pos]
        total = int(lens.sum())
        # bit j of symbol i (from its most significant bit): (code >> (len - 1 - j)) & 1
        owner = np.repeat(np.arange(arr.size), lens)
        start = np.cumsum(lens) - lens
        j = np.arange(total) - start[owner]
        bits = (codes[owner] >> (lens[owner] - 1 - j)) & 1
        return np.packbits(bits.astype(np.uint8)), total

    def decode(self, packed, n_bits: int, n_symbols: int) -> np.ndarray:
        """The ``n_symbols`` symbols coded in the first ``n_bits`` bits of ``packed``."""
        bits = np.unpackbits(np.asarray(packed, np.uint8))[:n_bits].astype(np.int64)
        L = self.max_len
        padded = np.concatenate([bits, np.zeros(L, np.int64)])
        # the next L bits at every position, as an int (a sliding window)
        window = np.zeros(n_bits + 1, np.int64)
        for j in range(L):
            window = (window << 1) | padded[j:j + n_bits + 1]
        table_sym = np.zeros(2 ** L, np.int64)
        table_len = np.zeros(2 ** L, np.int64)
        for s, n in self.lengths.items():
            lo = self.codes[s] << (L - n)
            table_sym[lo:lo + (1 << (L - n))] = s
            table_len[lo:lo + (1 << (L - n))] = n
        out = np.empty(n_symbols, np.int64)
        lens = table_len[window]
        syms = table_sym[window]
        p = 0
        # NOTE: the walk from codeword to codeword is sequential by nature (each start
        # depends on the previous length); one table lookup per symbol.
        for i in range(n_symbols):
            if p >= n_bits:
                raise ValueError("HuffmanCode.decode: bit string ended before n_symbols")
            out[i] = syms[p]
            p += lens[p]
        return out


def huffman_encode(symbols):
    """``(code, packed bytes, n_bits)`` for an integer array."""
    code = HuffmanCode(symbols)
    packed, n = code.encode(symbols)
    return code, packed, n


def huffman_decode(code: HuffmanCode, packed, n_bits: int, n_symbols: int) -> np.ndarray:
    """Inverse of :func:`huffman_encode`."""
    return code.decode(packed, n_bits, n_symbols)
