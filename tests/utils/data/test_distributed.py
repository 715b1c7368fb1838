"""DistributedSampler against torch.utils.data.distributed.DistributedSampler."""
import numpy as np
import pytest

from glassnet.utils.data import DataLoader, TensorDataset
from glassnet.utils.data.distributed import DistributedSampler

torch_dist = pytest.importorskip("torch.utils.data.distributed")

SIZES = [0, 1, 3, 7, 10, 12]
REPLICAS = [1, 2, 3, 4, 5]


def _ranks(n, replicas, **kwargs):
    """One index list per rank, glassnet's and torch's."""
    data = list(range(n))
    ours = [list(DistributedSampler(data, replicas, r, **kwargs)) for r in range(replicas)]
    ref = [list(torch_dist.DistributedSampler(data, replicas, r, **kwargs))
           for r in range(replicas)]
    return ours, ref


def _interleave(per_rank):
    """The epoch's index list before striding: position i was read by rank i % R."""
    replicas, count = len(per_rank), len(per_rank[0])
    return [per_rank[i % replicas][i // replicas] for i in range(replicas * count)]


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("replicas", REPLICAS)
@pytest.mark.parametrize("n", SIZES)
def test_unshuffled_indices_equal_torch(n, replicas, drop_last):
    ours, ref = _ranks(n, replicas, shuffle=False, drop_last=drop_last)
    assert ours == ref
    sampler = DistributedSampler(list(range(n)), replicas, 0, shuffle=False,
                                 drop_last=drop_last)
    assert len(sampler) == len(ref[0]) and sampler.total_size == replicas * len(ref[0])


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("replicas", REPLICAS)
@pytest.mark.parametrize("n", [1, 3, 7, 10, 12, 101])
def test_shuffled_indices_equal_torch(n, replicas, drop_last):
    for seed in (0, 3):
        ours, ref = _ranks(n, replicas, shuffle=True, seed=seed, drop_last=drop_last)
        assert ours == ref


def test_set_epoch_gives_torchs_permutation_of_each_epoch():
    data = list(range(1000))
    ours = DistributedSampler(data, 3, 2, seed=41)
    ref = torch_dist.DistributedSampler(data, 3, 2, seed=41)
    for epoch in (0, 1, 7):
        ours.set_epoch(epoch)
        ref.set_epoch(epoch)
        assert list(ours) == list(ref)


def test_shuffle_is_deterministic_per_epoch_and_changes_across_epochs():
    data = list(range(50))
    a = DistributedSampler(data, 3, 1, seed=7)
    b = DistributedSampler(data, 3, 1, seed=7)
    assert list(a) == list(b) == list(a)  # same seed and epoch: same order, every time
    epoch0 = list(a)
    a.set_epoch(1)
    assert a.epoch == 1 and list(a) != epoch0
    b.set_epoch(1)
    assert list(a) == list(b)
    # seed + epoch is what seeds the permutation, as in torch.
    c = DistributedSampler(data, 3, 1, seed=8)
    assert list(c) == list(a)
    assert list(DistributedSampler(data, 3, 1, seed=9)) != epoch0


def test_ranks_of_one_epoch_partition_the_shuffled_dataset():
    data = list(range(40))
    per_rank = [list(DistributedSampler(data, 4, r, seed=2)) for r in range(4)]
    assert sorted(sum(per_rank, [])) == data
    assert per_rank[0] != list(range(0, 40, 4))  # actually shuffled


def test_drives_a_dataloader_with_set_epoch():
    ds = TensorDataset(np.arange(10, dtype=np.float32), np.arange(10))
    sampler = DistributedSampler(ds, num_replicas=2, rank=1, shuffle=False)
    loader = DataLoader(ds, batch_size=2, sampler=sampler)
    assert [y.tolist() for _, y in loader] == [[1, 3], [5, 7], [9]]
    shuffled = DistributedSampler(ds, num_replicas=2, rank=1, seed=0)
    loader = DataLoader(ds, batch_size=5, sampler=shuffled)
    first = [y.tolist() for _, y in loader]
    assert first == [y.tolist() for _, y in loader]  # same epoch: same order
    shuffled.set_epoch(1)
    second = [y.tolist() for _, y in loader]
    assert first != second and sorted(sum(first, [])) != sorted(sum(second, []))


def test_missing_replicas_without_a_process_group_asks_for_them():
    with pytest.raises(ValueError, match=r"num_replicas and rank must be given.*num_replicas"):
        DistributedSampler(list(range(4)))
    with pytest.raises(ValueError, match=r"num_replicas and rank must be given.*rank=None"):
        DistributedSampler(list(range(4)), num_replicas=2)


def test_bad_rank_and_replicas_are_rejected():
    with pytest.raises(ValueError, match=r"invalid rank 2, rank should be in the interval "
                                         r"\[0, 1\]"):
        DistributedSampler(list(range(4)), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="invalid rank -1"):
        DistributedSampler(list(range(4)), num_replicas=2, rank=-1)
    with pytest.raises(ValueError, match="num_replicas must be >= 1, got 0"):
        DistributedSampler(list(range(4)), num_replicas=0, rank=0)
    with pytest.raises(TypeError, match="rank must be an int, got float"):
        DistributedSampler(list(range(4)), num_replicas=2, rank=1.0)
