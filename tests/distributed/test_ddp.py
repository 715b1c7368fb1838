"""DistributedDataParallel and SyncBatchNorm under mpiexec -n 2 against one process."""
import sys

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn as nn
from tests.distributed._mpi import WORKERS, check, run_ranks

sys.path.insert(0, str(WORKERS))
import common  # noqa: E402


@pytest.mark.parametrize("norm,bucket_mb", [("none", None), ("none", 1e-3), ("sync", 1e-3)])
def test_two_ranks_of_64_equal_one_process_of_128(norm, bucket_mb, tmp_path):
    # The "Done means": 20 SGD-momentum steps, float64, max abs diff <= 1e-6.
    args = [norm, tmp_path] + ([bucket_mb] if bucket_mb else [])
    check(run_ranks(2, "equivalence.py", *args))
    reference = common.train(common.small_cnn(norm))
    for rank in range(2):
        history = np.load(tmp_path / f"rank{rank}.npy")
        assert history.shape == reference.shape == (common.STEPS, reference.shape[1])
        assert np.abs(history - reference).max() <= 1e-6
    assert np.abs(reference[-1] - reference[0]).max() > 1e-2  # the steps did move


def test_plain_batchnorm_per_rank_statistics_differ_from_one_process(tmp_path):
    # As in torch: each rank normalises with its own 64 samples' statistics, so the
    # parameters drift from the 128-sample run: measured 5e-4 after one step and 1.6e-2
    # after 20; the test states the band [1e-4, 0.1].
    check(run_ranks(2, "equivalence.py", "bn", tmp_path))
    reference = common.train(common.small_cnn("bn"))
    history = np.load(tmp_path / "rank0.npy")
    diff = np.abs(history - reference).max()
    assert 1e-4 < diff < 0.1
    np.testing.assert_array_equal(history, np.load(tmp_path / "rank1.npy"))  # replicas agree


def _grad(model, batches, param="weight"):
    """Gradient of ``param`` of the summed mean squared errors over ``batches``."""
    model.zero_grad()
    for x, y in batches:
        common.mse(model(x), y).backward()
    return model.get_parameter(param).grad.numpy().copy()


def test_no_sync_unused_parameters_buffers_and_overlap(tmp_path):
    check(run_ranks(2, "ddp_features.py", tmp_path))
    res = [dict(np.load(tmp_path / f"rank{r}.npz")) for r in range(2)]
    mb = common.micro_batch
    assert list(res[0]["keys"]) == ["module.bias", "module.weight"]
    # no_sync: local sums of two micro-batches, then the average over ranks of 3.
    gn.manual_seed(0)
    linear = nn.Linear(4, 3).double()
    for r in range(2):
        np.testing.assert_allclose(res[r]["local_grad"], _grad(linear, [mb(r, 0), mb(r, 1)]),
                                   rtol=1e-12)
    full = [_grad(linear, [mb(r, m) for m in range(3)]) for r in range(2)]
    for r in range(2):
        np.testing.assert_allclose(res[r]["synced_grad"], (full[0] + full[1]) / 2,
                                   rtol=1e-12)
    # find_unused_parameters: zeros from the rank that skipped b; c unused everywhere.
    gn.manual_seed(1)
    heads = common.Heads().double()
    x0, y0 = mb(0, 3)
    x1, y1 = mb(1, 3)
    heads.zero_grad()
    common.mse(heads(x0, ("a", "b")), y0).backward()
    a0, b0 = heads.a.weight.grad.numpy().copy(), heads.b.weight.grad.numpy().copy()
    heads.zero_grad()
    common.mse(heads(x1, ("a",)), y1).backward()
    a1 = heads.a.weight.grad.numpy().copy()
    for r in range(2):
        np.testing.assert_allclose(res[r]["unused_a"], (a0 + a1) / 2, rtol=1e-12)
        np.testing.assert_allclose(res[r]["unused_b"], b0 / 2, rtol=1e-12)
        assert bool(res[r]["unused_c_is_none"])
        assert str(res[r]["unused_error"]).startswith(
            "DistributedDataParallel: 2 parameters received no gradient in this backward: "
            "['c.weight', 'c.bias']; pass find_unused_parameters=True")
        np.testing.assert_allclose(res[r]["synced_c"],
                                   (res[0]["local_c"] + res[1]["local_c"]) / 2, rtol=1e-12)
    assert np.abs(res[0]["local_c"] - res[1]["local_c"]).max() > 1e-3
    # broadcast_buffers: rank 0's running mean (1.0) reached rank 1 (2.0) unless off.
    for r in range(2):
        np.testing.assert_array_equal(res[r]["running_mean_True"], np.ones(3))
        np.testing.assert_array_equal(res[r]["running_mean_False"], np.full(3, r + 1.0))
    # Overlap: 6 one-parameter buckets; some started before the first layer's gradient.
    gn.manual_seed(2)
    mlp = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(),
                        nn.Linear(8, 3)).double()
    expected = (_grad(mlp, [mb(0, 4)], "0.weight") + _grad(mlp, [mb(1, 4)], "0.weight")) / 2
    for r in range(2):
        assert int(res[r]["buckets"]) == 6
        assert int(res[r]["started_before_first_layer"]) >= 3
        np.testing.assert_allclose(res[r]["first_layer_grad"], expected, rtol=1e-12)
    # DistributedSampler's defaults come from the group: 7 indices padded to 8.
    assert res[0]["sampler"].tolist() == [2, 0, 0, 2, 4, 6]
    assert res[1]["sampler"].tolist() == [2, 1, 1, 3, 5, 0]


def test_ddp_rejects_bad_arguments_and_needs_a_process_group():
    from glassnet.nn.parallel import DistributedDataParallel

    with pytest.raises(TypeError, match="DistributedDataParallel: module must be a "
                                        "glassnet.nn.Module, got function"):
        DistributedDataParallel(lambda x: x)
    with pytest.raises(ValueError, match="DistributedDataParallel: bucket_cap_mb must be a "
                                         "number > 0, got 0"):
        DistributedDataParallel(nn.Linear(2, 2), bucket_cap_mb=0)
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedDataParallel(nn.Linear(2, 2))


def test_buckets_pack_parameters_in_reverse_order_by_size_and_dtype():
    from glassnet.nn.parallel.distributed import _buckets_by_size

    params = [gn.zeros(1000), gn.zeros(10), gn.zeros(300000), gn.zeros(5, dtype=gn.float64),
              gn.zeros(20)]
    buckets = _buckets_by_size(params[::-1], 1024 * 1024, 4 * 1024 * 1024)
    # Reverse order: 20 floats, then 5 doubles (their own dtype), 300000 floats (1.2 MB)
    # close the first, 1 MB, bucket; the open ones follow in order of their first
    # parameter.
    assert [[p.numel() for p in b.params] for b in buckets] == [[20, 300000], [5],
                                                                [10, 1000]]
    assert [b.flat.dtype for b in buckets] == [np.float32, np.float64, np.float32]
    assert [b.flat.size for b in buckets] == [300020, 5, 1010]
