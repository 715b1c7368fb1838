"""The Huffman coder: decode(encode(x)) == x, optimal lengths on a dyadic source, the
Kraft equality, a prefix-free canonical code, and the one-symbol case."""
from __future__ import annotations

import numpy as np
import pytest

from glassnet.quantization.huffman import HuffmanCode, huffman_decode, huffman_encode


@pytest.mark.parametrize("n,alphabet,seed", [(1, 3, 0), (1000, 32, 1), (5001, 200, 2)])
def test_decode_restores_the_symbols_exactly(n, alphabet, seed):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.full(alphabet, 0.3))
    x = rng.choice(alphabet, size=n, p=p) - alphabet // 2  # negative symbols too
    code, packed, n_bits = huffman_encode(x)
    assert n_bits == code.bit_length(x)
    assert packed.size == (n_bits + 7) // 8
    np.testing.assert_array_equal(huffman_decode(code, packed, n_bits, x.size), x)


def test_dyadic_source_gets_minus_log2_p_lengths():
    x = np.repeat([7, 3, 5, 9], [8, 4, 2, 2])  # p = 1/2, 1/4, 1/8, 1/8
    code = HuffmanCode(x)
    assert code.lengths == {7: 1, 3: 2, 5: 3, 9: 3}
    assert code.bit_length(x) == 8 * 1 + 4 * 2 + 2 * 3 + 2 * 3


def test_code_is_prefix_free_and_complete():
    rng = np.random.default_rng(3)
    code = HuffmanCode({s: int(c) for s, c in enumerate(rng.integers(1, 1000, 50))})
    assert sum(2.0 ** -n for n in code.lengths.values()) == 1.0  # Kraft equality
    words = [format(code.codes[s], f"0{n}b") for s, n in code.lengths.items()]
    for a in words:
        for b in words:
            assert a == b or not b.startswith(a)


def test_entropy_bound():
    rng = np.random.default_rng(4)
    x = rng.geometric(0.3, 20000)
    _, cnt = np.unique(x, return_counts=True)
    p = cnt / cnt.sum()
    h = -(p * np.log2(p)).sum()
    bits = HuffmanCode(x).bit_length(x) / x.size
    assert h <= bits < h + 1


def test_single_symbol_and_errors():
    code, packed, n = huffman_encode(np.full(10, 4))
    assert n == 10
    np.testing.assert_array_equal(huffman_decode(code, packed, n, 10), np.full(10, 4))
    with pytest.raises(ValueError, match="alphabet"):
        code.encode(np.array([5]))
    with pytest.raises(TypeError, match="integers"):
        HuffmanCode(np.array([0.5]))
    with pytest.raises(ValueError, match="ended"):
        code.decode(packed, 3, 10)
