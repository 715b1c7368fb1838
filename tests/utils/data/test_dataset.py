"""Datasets and samplers (torch.utils.data semantics)."""
import numpy as np
import pytest

import glassnet
from glassnet.utils.data import (BatchSampler, ConcatDataset, Dataset, RandomSampler,
                           SequentialSampler, Subset, SubsetRandomSampler, TensorDataset,
                           WeightedRandomSampler, random_split)


def test_tensor_dataset_rows_and_length():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.arange(6)
    ds = TensorDataset(glassnet.tensor(x), y)
    assert len(ds) == 6
    a, b = ds[4]
    np.testing.assert_array_equal(a.numpy(), x[4])
    assert b.item() == 4 and b.dtype == np.int64


def test_tensor_dataset_rejects_mismatched_sizes():
    with pytest.raises(ValueError, match="same size in dimension 0"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(TypeError, match="tensors\\[0\\]"):
        TensorDataset([1, 2, 3])


def test_subset_and_concat_index_mapping():
    a = TensorDataset(np.arange(5))
    b = TensorDataset(np.arange(10, 13))
    cat = a + b
    assert isinstance(cat, ConcatDataset) and len(cat) == 8
    assert [cat[i][0].item() for i in range(8)] == [0, 1, 2, 3, 4, 10, 11, 12]
    assert cat[-1][0].item() == 12
    with pytest.raises(IndexError):
        cat[8]
    sub = Subset(cat, [7, 0, 5])
    assert [sub[i][0].item() for i in range(3)] == [12, 0, 10]


def test_random_split_partitions_and_is_seeded():
    ds = TensorDataset(np.arange(10))
    parts = random_split(ds, [0.5, 0.3, 0.2], generator=np.random.default_rng(3))
    assert [len(p) for p in parts] == [5, 3, 2]
    seen = sorted(i for p in parts for i in p.indices)
    assert seen == list(range(10))
    again = random_split(ds, [5, 3, 2], generator=np.random.default_rng(3))
    assert [p.indices for p in again] == [p.indices for p in parts]
    with pytest.raises(ValueError, match="does not equal"):
        random_split(ds, [5, 4])


def test_random_split_fraction_remainder_round_robin():
    parts = random_split(TensorDataset(np.arange(11)), [0.5, 0.5],
                         generator=np.random.default_rng(0))
    assert [len(p) for p in parts] == [6, 5]


def test_sequential_and_batch_sampler():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    bs = BatchSampler(SequentialSampler(range(7)), 3, drop_last=False)
    assert list(bs) == [[0, 1, 2], [3, 4, 5], [6]] and len(bs) == 3
    bs = BatchSampler(SequentialSampler(range(7)), 3, drop_last=True)
    assert list(bs) == [[0, 1, 2], [3, 4, 5]] and len(bs) == 2
    with pytest.raises(ValueError, match="batch_size"):
        BatchSampler(range(3), 0, False)


def test_random_sampler_permutation_and_manual_seed():
    glassnet.manual_seed(7)
    a = list(RandomSampler(range(20)))
    glassnet.manual_seed(7)
    b = list(RandomSampler(range(20)))
    assert a == b and sorted(a) == list(range(20)) and a != list(range(20))
    c = list(RandomSampler(range(5), num_samples=12, generator=np.random.default_rng(0)))
    assert len(c) == 12 and sorted(c[:5]) == list(range(5)) and sorted(c[5:10]) == list(range(5))


def test_random_sampler_with_replacement_range():
    s = list(RandomSampler(range(3), replacement=True, num_samples=50,
                           generator=np.random.default_rng(1)))
    assert len(s) == 50 and set(s) <= {0, 1, 2}


def test_subset_random_sampler_uses_given_indices():
    s = list(SubsetRandomSampler([10, 20, 30], generator=np.random.default_rng(0)))
    assert sorted(s) == [10, 20, 30]


def test_weighted_random_sampler_respects_weights():
    s = np.array(list(WeightedRandomSampler([0.0, 1.0, 3.0], 4000,
                                            generator=np.random.default_rng(0))))
    assert 0 not in s
    assert abs((s == 2).mean() - 0.75) < 0.03
    s = list(WeightedRandomSampler([1, 1, 0, 1], 3, replacement=False,
                                   generator=np.random.default_rng(0)))
    assert sorted(s) == [0, 1, 3]
    with pytest.raises(ValueError, match="non-negative"):
        WeightedRandomSampler([-1.0, 1.0], 2)


def test_base_dataset_requires_getitem():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
