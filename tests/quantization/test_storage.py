"""Relative-index storage: the padding-zero rule of Deep Compression's Fig. 3, exact round
trips, and the bit accounting of a layer (decoded back and checked)."""
from __future__ import annotations

import numpy as np
import pytest

from glassnet.quantization.storage import (
    compression_table, layer_storage, relative_index_decode, relative_index_encode,
)


def test_gaps_longer_than_the_index_range_get_padding_zeros():
    # 3-bit differences: at most 7 zeros are skipped per entry (span 8)
    dense = np.zeros(40)
    dense[[1, 4, 20, 39]] = [3.0, 1.0, 2.0, 5.0]
    diffs, values = relative_index_encode(dense, 3)
    # 1 zero, 2 zeros, 15 zeros (= one filler covering 7 zeros + itself, then 7), 18 zeros
    # (two fillers, then 2)
    np.testing.assert_array_equal(diffs, [1, 2, 7, 7, 7, 7, 2])
    np.testing.assert_array_equal(values, [3, 1, 0, 2, 0, 0, 5])
    np.testing.assert_array_equal(relative_index_decode(diffs, values, 40), dense)


@pytest.mark.parametrize("bits,density,seed", [(1, 0.3, 0), (5, 0.08, 1), (8, 0.01, 2),
                                               (4, 1.0, 3)])
def test_round_trip_is_exact(bits, density, seed):
    rng = np.random.default_rng(seed)
    dense = np.where(rng.random((37, 53)) < density, rng.integers(1, 9, (37, 53)), 0)
    diffs, values = relative_index_encode(dense, bits)
    assert diffs.min() >= 0 and diffs.max() < 2 ** bits
    np.testing.assert_array_equal(relative_index_decode(diffs, values, dense.size),
                                  dense.reshape(-1))
    assert (values != 0).sum() == (dense != 0).sum()


def test_layer_storage_counts_the_bits():
    rng = np.random.default_rng(5)
    # skewed codes, as clustered weights are (most near the middle of the codebook)
    codes = np.where(rng.random((100, 30)) < 0.1,
                     np.clip(rng.geometric(0.3, (100, 30)), 1, 31), 0)
    s = layer_storage("fc", codes, bits=5, index_bits=4, extra_numel=100)
    diffs, values = relative_index_encode(codes, 4)
    assert s.entries == values.size and s.nonzero == (codes != 0).sum()
    assert s.dense_bits == 32 * 3000 and s.extra_bits == 3200
    assert s.pq_bits == values.size * (5 + 4) + 32 * 32 + 3200
    assert s.huffman_weight_bits <= values.size * 5
    assert s.pqh_bits < s.pq_bits < s.original_bits
    t = compression_table([s])
    assert t["ratio_pqh"] == pytest.approx(s.original_bits / s.pqh_bits)
    with pytest.raises(ValueError, match="codes"):
        layer_storage("fc", codes + 40, bits=5, index_bits=4)
    with pytest.raises(ValueError, match="index_bits"):
        relative_index_encode(codes, 0)
