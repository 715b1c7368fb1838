"""DataLoader: batching, collation, shuffling, worker threads, determinism, resume."""
import collections
import json
import threading
import time

import numpy as np
import pytest

import glassnet
from glassnet.utils.data import (BatchSampler, DataLoader, Dataset, IterableDataset,
                           SequentialSampler, TensorDataset, default_collate,
                           get_sample_generator, get_worker_info)
from glassnet.vision import transforms as T


class ImageDataset(Dataset):
    """Deterministic uint8 images with random augmentation; optional jitter in timing."""

    def __init__(self, n=37, transform=None, jitter=False):
        rng = np.random.default_rng(123)
        self.images = rng.integers(0, 256, (n, 12, 12, 3), dtype=np.uint8)
        self.transform = transform
        self.jitter = jitter

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        if self.jitter:  # perturb thread timing so that completion order varies
            time.sleep(0.002 * ((i * 7919) % 3))
        img = self.images[i]
        if self.transform is not None:
            img = self.transform(img)
        return img, i


AUGMENT = T.Compose([T.RandomCrop(10, padding=2), T.RandomHorizontalFlip(),
                     T.ColorJitter(0.3, 0.3, 0.3, 0.1), T.ToTensor(),
                     T.RandomErasing(p=0.5)])


def _batches(loader):
    return [(x.numpy().copy(), y.numpy().copy()) for x, y in loader]


def _assert_same(a, b):
    assert len(a) == len(b)
    for (xa, ya), (xb, yb) in zip(a, b):
        np.testing.assert_array_equal(ya, yb)
        np.testing.assert_array_equal(xa, xb)


def test_sequential_order_len_and_drop_last():
    ds = TensorDataset(np.arange(10, dtype=np.float32), np.arange(10))
    loader = DataLoader(ds, batch_size=4)
    assert len(loader) == 3
    assert [y.tolist() for _, y in loader] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    loader = DataLoader(ds, batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert [y.tolist() for _, y in loader] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_batch_sampler_and_no_auto_batching():
    ds = TensorDataset(np.arange(6))
    bs = BatchSampler(SequentialSampler(ds), 4, drop_last=False)
    loader = DataLoader(ds, batch_sampler=bs)
    assert [b[0].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5]]
    single = list(DataLoader(ds, batch_size=None))
    assert len(single) == 6 and single[2][0].item() == 2 and single[2][0].shape == ()


def test_mutually_exclusive_options_raise():
    ds = TensorDataset(np.arange(6))
    bs = BatchSampler(SequentialSampler(ds), 2, False)
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, batch_size=3, batch_sampler=bs)
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(ds, shuffle=True, sampler=SequentialSampler(ds))
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="persistent_workers"):
        DataLoader(ds, persistent_workers=True)
    with pytest.raises(TypeError, match="generator"):
        DataLoader(ds, generator=42)


def test_default_collate_structures_and_dtypes():
    Point = collections.namedtuple("Point", "x y")
    batch = [
        {"img": np.zeros((2, 2), np.uint8), "f": 0.5, "i": 3, "name": "a",
         "pair": (np.float64(1.0), [1, 2]), "pt": Point(1, 2.0)},
        {"img": np.ones((2, 2), np.uint8), "f": 1.5, "i": 4, "name": "b",
         "pair": (np.float64(2.0), [3, 4]), "pt": Point(3, 4.0)},
    ]
    out = default_collate(batch)
    assert tuple(out["img"].shape) == (2, 2, 2) and out["img"].dtype == np.uint8
    assert out["f"].dtype == np.float32 and out["f"].tolist() == [0.5, 1.5]
    assert out["i"].dtype == np.int64 and out["i"].tolist() == [3, 4]
    assert out["name"] == ["a", "b"]
    assert isinstance(out["pair"], list)  # tuples become lists, as in PyTorch
    assert out["pair"][0].dtype == np.float64
    assert [t.tolist() for t in out["pair"][1]] == [[1, 3], [2, 4]]
    assert isinstance(out["pt"], Point) and out["pt"].y.dtype == np.float32
    t = default_collate([glassnet.tensor([1.0, 2.0]), glassnet.tensor([3.0, 4.0])])
    assert tuple(t.shape) == (2, 2) and t.dtype == np.float32
    f64 = default_collate([np.zeros(3), np.zeros(3)])
    assert f64.dtype == np.float64


def test_default_collate_errors():
    with pytest.raises(ValueError, match="same shape"):
        default_collate([np.zeros((2, 2)), np.zeros((3, 2))])
    with pytest.raises(TypeError, match="found object"):
        default_collate([object(), object()])


def test_shuffle_is_reproducible_with_manual_seed_and_generator():
    ds = TensorDataset(np.arange(50))
    glassnet.manual_seed(0)
    a = [b[0].tolist() for b in DataLoader(ds, batch_size=8, shuffle=True)]
    glassnet.manual_seed(0)
    b = [b[0].tolist() for b in DataLoader(ds, batch_size=8, shuffle=True)]
    assert a == b and sorted(sum(a, [])) == list(range(50)) and sum(a, []) != list(range(50))
    loader = DataLoader(ds, batch_size=8, shuffle=True, generator=np.random.default_rng(5))
    e1 = [b[0].tolist() for b in loader]
    e2 = [b[0].tolist() for b in loader]
    assert e1 != e2  # a new order each epoch
    loader2 = DataLoader(ds, batch_size=8, shuffle=True, generator=np.random.default_rng(5))
    assert [b[0].tolist() for b in loader2] == e1


def test_random_transforms_reproducible_under_seed():
    ds = ImageDataset(transform=AUGMENT)
    glassnet.manual_seed(11)
    a = _batches(DataLoader(ds, batch_size=5, shuffle=True))
    glassnet.manual_seed(11)
    b = _batches(DataLoader(ds, batch_size=5, shuffle=True))
    _assert_same(a, b)
    glassnet.manual_seed(12)
    c = _batches(DataLoader(ds, batch_size=5, shuffle=True))
    assert not np.array_equal(a[0][0], c[0][0])


def test_workers_keep_order_and_match_single_thread():
    ds = ImageDataset(transform=AUGMENT, jitter=True)
    results = []
    for workers in (0, 2, 3):
        loader = DataLoader(ds, batch_size=4, shuffle=True, num_workers=workers,
                            generator=np.random.default_rng(2024))
        results.append(_batches(loader) + _batches(loader))  # two epochs
    _assert_same(results[0], results[1])
    _assert_same(results[0], results[2])


def test_worker_exception_propagates_with_traceback():
    class Faulty(Dataset):
        def __len__(self):
            return 20

        def __getitem__(self, i):
            if i == 13:
                raise_bad_sample(i)
            return np.zeros(2, np.float32)

    def raise_bad_sample(i):
        raise KeyError(f"bad sample {i}")

    loader = DataLoader(Faulty(), batch_size=4, num_workers=2)
    seen = []
    with pytest.raises(KeyError) as info:
        for batch in loader:
            seen.append(batch)
    assert len(seen) == 3  # the batches before the failing one arrive, in order
    msg = str(info.value)
    assert "worker thread" in msg and "raise_bad_sample" in msg and "bad sample 13" in msg


def test_timeout_raises():
    class Slow(Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            time.sleep(0.5)
            return i

    with pytest.raises(RuntimeError, match="timed out"):
        list(DataLoader(Slow(), num_workers=1, timeout=0.05))


def test_worker_init_fn_worker_info_and_persistent_workers():
    ids, infos, threads = [], [], set()
    lock = threading.Lock()

    class Probe(Dataset):
        def __len__(self):
            return 16

        def __getitem__(self, i):
            with lock:
                infos.append(get_worker_info())
                threads.add(threading.get_ident())
            return i

    loader = DataLoader(Probe(), batch_size=2, num_workers=2, persistent_workers=True,
                        worker_init_fn=ids.append)
    assert [b.tolist() for b in loader] == [[2 * k, 2 * k + 1] for k in range(8)]
    assert [b.tolist() for b in loader][0] == [0, 1]
    assert sorted(ids) == list(range(len(ids))) and 1 <= len(ids) <= 2
    assert all(info is not None and info.num_workers == 2 for info in infos)
    assert len(threads) <= 2  # the same threads served both epochs
    assert get_worker_info() is None


def test_iterable_dataset_batches_and_workers():
    class Stream(IterableDataset):
        def __iter__(self):
            for i in range(11):
                yield np.full(3, get_sample_generator().random(), np.float32), i

        def __len__(self):
            return 11

    serial = DataLoader(Stream(), batch_size=4, generator=np.random.default_rng(1))
    assert len(serial) == 3
    a = _batches(serial)
    assert [y.tolist() for _, y in a] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10]]
    threaded = DataLoader(Stream(), batch_size=4, num_workers=2,
                          generator=np.random.default_rng(1))
    _assert_same(a, _batches(threaded))
    persistent = DataLoader(Stream(), batch_size=2, num_workers=3, persistent_workers=True)
    for _ in range(2):  # one producer thread even with a persistent pool of three
        assert sum((y.tolist() for _, y in persistent), []) == list(range(11))
    with pytest.raises(ValueError, match="IterableDataset"):
        DataLoader(Stream(), shuffle=True)


@pytest.mark.parametrize("workers", [0, 2])
@pytest.mark.parametrize("own_generator", [False, True])
def test_resume_mid_epoch_matches_uninterrupted_run(workers, own_generator):
    ds = ImageDataset(n=30, transform=AUGMENT)

    def make():
        gen = np.random.default_rng(99) if own_generator else None
        return DataLoader(ds, batch_size=4, shuffle=True, num_workers=workers, generator=gen)

    glassnet.manual_seed(5)
    loader = make()
    reference = [_batches(loader) for _ in range(3)]

    glassnet.manual_seed(5)
    loader = make()
    first = _batches(loader)
    it = iter(loader)
    partial = [next(it) for _ in range(3)]
    state = json.loads(json.dumps(loader.state_dict()))  # must survive a JSON checkpoint
    rng_state = glassnet.get_rng_state()
    del it, loader

    fresh = make()  # a new process would build everything again
    glassnet.manual_seed(1234)  # state of the "new process" before restoring
    glassnet.set_rng_state(rng_state)
    fresh.load_state_dict(state)
    rest = _batches(fresh)
    resumed = [(x.numpy(), y.numpy()) for x, y in partial] + rest
    assert len(rest) == len(reference[1]) - 3
    _assert_same(first, reference[0])
    _assert_same(resumed, reference[1])
    _assert_same(_batches(fresh), reference[2])  # later epochs continue identically


def test_state_dict_between_epochs_and_bad_state():
    ds = TensorDataset(np.arange(10))
    loader = DataLoader(ds, batch_size=3, shuffle=True, generator=np.random.default_rng(0))
    list(loader)
    state = loader.state_dict()
    assert state["batches"] is None and state["epoch"] == 1
    nxt = [b[0].tolist() for b in loader]
    other = DataLoader(ds, batch_size=3, shuffle=True, generator=np.random.default_rng(7))
    other.load_state_dict(state)
    assert [b[0].tolist() for b in other] == nxt
    with pytest.raises(ValueError, match="keys"):
        other.load_state_dict({"epoch": 0})
    with pytest.raises(ValueError, match="no generator"):
        DataLoader(ds, batch_size=3).load_state_dict(state)


def test_iterable_dataset_resume_and_pin_memory_accepted():
    class Stream(IterableDataset):
        def __iter__(self):
            for i in range(10):
                yield np.float32(get_sample_generator().random()), i

    def make():
        return DataLoader(Stream(), batch_size=3, pin_memory=True,
                          generator=np.random.default_rng(4))

    loader = make()
    full = [(x.tolist(), y.tolist()) for x, y in loader]
    loader = make()
    it = iter(loader)
    head = [next(it) for _ in range(2)]
    state = loader.state_dict()
    fresh = make()
    fresh.load_state_dict(state)
    rest = [(x.tolist(), y.tolist()) for x, y in fresh]
    assert [(x.tolist(), y.tolist()) for x, y in head] + rest == full


def test_a_worker_stuck_in_the_dataset_does_not_block_interpreter_exit(tmp_path):
    """Issue 12 item 8: the worker threads are daemons, so a __getitem__ that never
    returns cannot keep the process alive after the script ends (with
    concurrent.futures' pool the interpreter waited for it at exit)."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    script = tmp_path / "stuck.py"
    script.write_text(
        "import sys, time\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parents[3])!r})\n"
        "from glassnet.utils.data import DataLoader, Dataset\n"
        "class Stuck(Dataset):\n"
        "    def __len__(self): return 8\n"
        "    def __getitem__(self, i):\n"
        "        if i > 0: time.sleep(600)\n"
        "        return i\n"
        "it = iter(DataLoader(Stuck(), batch_size=1, num_workers=2))\n"
        "print(int(next(it)[0]), flush=True)\n")
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "0"
    assert time.perf_counter() - t0 < 60
