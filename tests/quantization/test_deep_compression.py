"""The Deep Compression stages: the geometric pruning schedule, random shifts, weight
sharing of pruned layers and the storage totals."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.quantization.deep_compression import (
    compressible_layers, pruned_storage_bits, prune_iteratively, random_shift, share_weights,
    storage_report,
)
from glassnet.quantization.storage import relative_index_encode


def _model():
    gn.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 36, 16),
                         nn.ReLU(), nn.Linear(16, 10))


def test_pruning_schedule_removes_the_same_share_each_round():
    m = _model()
    calls = []
    rec = prune_iteratively(m, {"3": 0.875, "5": 0.5}, 3, calls.append)
    assert calls == [1, 2, 3]
    # kept after round r: (1 - amount) ** (r / 3): 1/2, 1/4, 1/8 of fc "3"
    assert [r["sparsity"]["3"] for r in rec] == pytest.approx([0.5, 0.75, 0.875], abs=1e-3)
    kept5 = [1 - r["sparsity"]["5"] for r in rec]
    assert kept5 == pytest.approx([0.5 ** (1 / 3), 0.5 ** (2 / 3), 0.5], abs=0.01)
    # the smallest magnitudes went: every kept weight is larger than every pruned one
    w = m[3].weight_orig.detach().numpy()
    mask = m[3].weight_mask.numpy()
    assert np.abs(w[mask == 0]).max() <= np.abs(w[mask == 1]).min()
    with pytest.raises(ValueError, match="not Linear/Conv2d"):
        prune_iteratively(m, {"1": 0.5}, 1, calls.append)


def test_random_shift_translates_each_image():
    rng = np.random.default_rng(0)
    x = rng.random((6, 1, 10, 10)).astype(np.float32)
    np.testing.assert_array_equal(random_shift(x, 0, rng), x)
    y = random_shift(x, 2, np.random.default_rng(1))
    r = np.random.default_rng(1)
    dy, dx = r.integers(0, 5, 6), r.integers(0, 5, 6)
    for i in range(6):
        pad = np.pad(x[i, 0], 2, mode="edge")
        np.testing.assert_array_equal(y[i, 0], pad[dy[i]:dy[i] + 10, dx[i]:dx[i] + 10])


def test_storage_of_a_shared_model_counts_every_parameter():
    m = _model()
    prune_iteratively(m, {"0": 0.25, "3": 0.9, "5": 0.5}, 1, lambda r: None)
    p = pruned_storage_bits(m, 4)
    total = sum(int(q.numel()) for q in m.parameters())
    assert p["original_bits"] == 32 * total
    fc = m[3].weight_mask.numpy()
    entries = relative_index_encode(fc, 4)[0].size
    assert entries >= int(fc.sum())
    share_weights(m, {"3": 4, "5": 3})
    t = storage_report(m, {"3": 4, "5": 3}, 4)
    conv_params = int(m[0].weight_orig.numel() + m[0].bias.numel())
    assert t["uncompressed_params"] == conv_params  # conv weight (still pruned) and its bias
    assert t["original_bits"] == 32 * total
    assert t["ratio_pqh"] == pytest.approx(t["original_bits"] / t["pqh_bits"])
    assert list(compressible_layers(m)) == ["0", "3", "5"]
    assert t["layers"][0]["density"] == pytest.approx(0.1, abs=1e-3)
