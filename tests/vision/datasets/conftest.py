"""Shared helpers for the data tests."""
import pickle
from pathlib import Path

import numpy as np
import pytest


def _write_batch(path, entry):
    with open(path, "wb") as f:
        pickle.dump(entry, f, protocol=2)


def _make_cifar(root, hundred=False, n_train=4, n_test=3, seed=0):
    """Small files in the real CIFAR python format (bytes keys, uint8 (N, 3072))."""
    rng = np.random.default_rng(seed)
    folder = Path(root) / ("cifar-100-python" if hundred else "cifar-10-batches-py")
    folder.mkdir(parents=True, exist_ok=True)
    key = b"fine_labels" if hundred else b"labels"
    k = 100 if hundred else 10
    names = (["train"], ["test"]) if hundred else ([f"data_batch_{i}" for i in range(1, 6)],
                                                   ["test_batch"])
    for group, n in ((names[0], n_train), (names[1], n_test)):
        for name in group:
            entry = {b"batch_label": b"batch", key: rng.integers(0, k, n).tolist(),
                     b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                     b"filenames": [b"img%d.png" % i for i in range(n)]}
            if hundred:
                entry[b"coarse_labels"] = [0] * n
            _write_batch(folder / name, entry)
    if hundred:
        _write_batch(folder / "meta", {b"fine_label_names": [b"c%d" % i for i in range(100)],
                                       b"coarse_label_names": [b"s"] * 20})
    else:
        _write_batch(folder / "batches.meta", {b"label_names": [b"airplane", b"automobile",
                                               b"bird", b"cat", b"deer", b"dog", b"frog",
                                               b"horse", b"ship", b"truck"],
                                               b"num_cases_per_batch": n_train})
    return folder


@pytest.fixture
def make_cifar():
    """``make_cifar(root, hundred=False, n_train=4, n_test=3)`` writes CIFAR-format files."""
    return _make_cifar
