"""glassnet.distributed collectives under mpiexec with 2 and 3 ranks, against NumPy."""
import sys

import numpy as np
import pytest

import glassnet as gn
import glassnet.distributed as dist
from tests.distributed._mpi import WORKERS, check, mpiexec, run_ranks

sys.path.insert(0, str(WORKERS))
from common import data  # noqa: E402


@pytest.mark.parametrize("world", [2, 3])
def test_collectives_match_numpy_reductions(world, tmp_path):
    check(run_ranks(world, "collectives.py", tmp_path))
    xs = np.stack([data(r) for r in range(world)])
    ints = np.stack([data(r, np.int64) for r in range(world)])
    for rank in range(world):
        res = np.load(tmp_path / f"rank{rank}.npz")
        assert int(res["rank"]) == rank and int(res["world"]) == world
        for name, ref in (("SUM", xs.sum(0)), ("AVG", xs.mean(0)), ("MAX", xs.max(0)),
                          ("MIN", xs.min(0)), ("PRODUCT", xs.prod(0))):
            np.testing.assert_allclose(res[f"all_reduce_{name}"], ref, rtol=1e-12)
        np.testing.assert_array_equal(res["all_reduce_MAX_int64"], ints.max(0))
        assert res["all_reduce_MAX_int64"].dtype == np.int64
        np.testing.assert_allclose(res["all_reduce_async"], xs.sum(0), rtol=1e-12)
        assert bool(res["async_completed"])
        np.testing.assert_allclose(res["all_reduce_noncontig"], xs.sum(0), rtol=1e-12)
        np.testing.assert_array_equal(res["broadcast"], xs[world - 1])
        np.testing.assert_array_equal(res["broadcast_async"], xs[0])
        np.testing.assert_array_equal(res["all_gather"], xs)
        np.testing.assert_array_equal(res["all_gather_into_tensor"], xs.reshape(-1, 5))
        # reduce_scatter: rank r receives the sum over ranks of input_list[r] = x * (r + 1).
        np.testing.assert_allclose(res["reduce_scatter"], xs.sum(0) * (rank + 1), rtol=1e-12)
        np.testing.assert_allclose(res["reduce_scatter_tensor_AVG"],
                                   xs.mean(0) * (rank + 1), rtol=1e-12)
        if rank == world - 1:
            np.testing.assert_allclose(res["reduce"], xs.sum(0), rtol=1e-12)
        else:
            np.testing.assert_array_equal(res["reduce"], xs[rank])  # only dst receives
        if rank in (0, world - 1):
            np.testing.assert_allclose(res["subgroup_sum"], xs[0] + xs[world - 1],
                                       rtol=1e-12)
            assert int(res["subgroup_rank"]) == (0 if rank == 0 else 1)
        else:
            assert "subgroup_sum" not in res
        assert "all_reduce: tensor must be a glassnet.Tensor, got list" in str(
            res["type_error"])
        assert f"broadcast: src must be a rank in [0, {world - 1}], got {world}" in str(
            res["src_error"])


def test_a_rank_that_raises_aborts_the_whole_group(tmp_path):
    proc = run_ranks(2, "abort.py", timeout=60)  # a hang would raise TimeoutExpired
    assert proc.returncode != 0
    assert "ValueError: a bad batch on rank 1" in proc.stderr
    assert ("glassnet.distributed: rank 1 of 2 raised ValueError: a bad batch on rank 1; "
            "aborting all 2 ranks (MPI_Abort)") in proc.stderr
    assert "rank 0 finished" not in proc.stdout


def test_collectives_without_a_process_group_raise_torchs_error():
    assert dist.is_initialized() is False
    for call in (lambda: dist.all_reduce(gn.ones(2)), lambda: dist.broadcast(gn.ones(2), 0),
                 lambda: dist.barrier(), dist.get_rank, dist.get_world_size):
        with pytest.raises(ValueError, match="Default process group has not been "
                                             "initialized"):
            call()


def test_init_rejects_other_backends_and_explains_a_missing_mpi4py(monkeypatch):
    with pytest.raises(ValueError, match=r"init_process_group: backend must be 'mpi'.*"
                                         r"got 'nccl'"):
        dist.init_process_group("nccl")
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # import mpi4py now fails
    with pytest.raises(RuntimeError, match=r"init_process_group: the 'mpi' backend needs "
                                           r"mpi4py.*pip install 'glassnet\[mpi\]'"):
        dist.init_process_group("mpi")
    assert dist.is_initialized() is False


def test_is_available_follows_mpi4py(monkeypatch):
    import importlib.util

    has = importlib.util.find_spec("mpi4py") is not None
    assert dist.is_available() is has and dist.is_mpi_available() is has
    assert mpiexec  # the skip helper is importable even without mpi4py
