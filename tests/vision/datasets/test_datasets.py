"""Datasets on real data: Digits (scikit-learn), MNIST (shared IDX files), CIFAR (safe
pickle loading on files in the real batch format), ImageFolder (PNGs on disk)."""
import gzip
import io
import os
import pickle
import re
import tarfile
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import glassnet
from glassnet.utils.data import DataLoader
from glassnet.vision import transforms as T
from glassnet.vision.datasets import (CIFAR10, CIFAR100, MNIST, Digits, ImageFolder, digits,
                                    extract_tar, read_idx)
from glassnet.vision.datasets._download import check_integrity
from glassnet.vision.datasets.cifar import load_pickle_batch

# The shared data live beside the repository: <repo>/../shared/data/mnist.
REPO = Path(__file__).resolve().parents[3]
MNIST_DIR = REPO.parent / "shared" / "data" / "mnist"
needs_mnist = pytest.mark.skipif(not (MNIST_DIR / "t10k-labels-idx1-ubyte.gz").is_file(),
                                 reason="shared MNIST files not found")


# ---------------------------------------------------------------------------
# Digits
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def digit_splits():
    return Digits(train=True), digits(train=False)


def test_digits_split_sizes_and_stratification(digit_splits):
    train, test = digit_splits
    assert (len(train), len(test)) == (1438, 359)
    assert isinstance(train.data, glassnet.Tensor) and isinstance(train.targets, glassnet.Tensor)
    data, targets = train.data.numpy(), train.targets.numpy()
    assert data.shape == (1438, 8, 8) and data.dtype == np.uint8
    assert targets.dtype == np.int64 and train.classes == [str(d) for d in range(10)]
    assert data.max() == 255 and data.min() == 0
    counts_train = np.bincount(targets, minlength=10)
    counts_test = np.bincount(test.targets.numpy(), minlength=10)
    fraction = counts_test / (counts_train + counts_test)
    assert np.all(np.abs(fraction - 0.2) < 0.01)  # every class split 80/20
    from sklearn.datasets import load_digits
    full = np.round(load_digits().images * 255 / 16).astype(np.uint8)
    both = np.concatenate([data, test.data.numpy()]).reshape(len(full), -1)
    assert sorted(map(bytes, both)) == sorted(map(bytes, full.reshape(len(full), -1)))


def test_digits_samples_are_grey_pil_images_as_mnist(digit_splits):
    train, _ = digit_splits
    img, label = train[5]
    assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (8, 8)
    assert type(label) is int and label == int(train.targets[5])
    np.testing.assert_array_equal(np.asarray(img), train.data.numpy()[5])
    again = Digits(train=True, transform=T.ToTensor())
    np.testing.assert_array_equal(again.data.numpy(), train.data.numpy())
    x, y = again[5]
    assert tuple(x.shape) == (1, 8, 8) and x.dtype == np.float32 and y == label
    np.testing.assert_array_equal(x.numpy()[0], train.data.numpy()[5] / np.float32(255))


# ---------------------------------------------------------------------------
# MNIST from the shared IDX files
# ---------------------------------------------------------------------------
@needs_mnist
def test_mnist_train_and_test_from_shared_dir():
    train = MNIST(MNIST_DIR, train=True)
    test = MNIST(MNIST_DIR, train=False)
    assert (len(train), len(test)) == (60000, 10000)
    # As torchvision: .data a uint8 Tensor (N, 28, 28), .targets an int64 Tensor.
    assert isinstance(train.data, glassnet.Tensor) and isinstance(train.targets, glassnet.Tensor)
    assert tuple(train.data.shape) == (60000, 28, 28) and train.data.dtype == glassnet.uint8
    assert tuple(train.targets.shape) == (60000,) and train.targets.dtype == glassnet.int64
    targets = train.targets.numpy()
    assert targets.min() == 0 and targets.max() == 9
    # Known facts about MNIST: first labels and the training class counts.
    assert int(train.targets[0]) == 5 and int(test.targets[0]) == 7
    np.testing.assert_array_equal(np.bincount(targets),
                                  [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
    assert abs(train.data.numpy().mean() / 255 - 0.1307) < 1e-3  # the usual normalisation
    img, label = train[0]
    assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28)
    assert type(label) is int and label == 5
    np.testing.assert_array_equal(np.asarray(img), train.data.numpy()[0])
    img.paste(0, (0, 0, 28, 28))  # a copy: the dataset is unchanged
    assert train.data.numpy()[0].any()
    x, _ = MNIST(MNIST_DIR, train=False, transform=T.ToTensor())[0]
    assert tuple(x.shape) == (1, 28, 28) and x.dtype == glassnet.float32
    np.testing.assert_array_equal(x.numpy()[0], test.data.numpy()[0] / np.float32(255))
    assert float(x.max()) <= 1.0 and float(x.min()) >= 0.0


@needs_mnist
def test_mnist_published_checksums_match_the_shared_files():
    for name, _, content_md5 in MNIST.resources:
        assert check_integrity(MNIST_DIR / name, gunzip_md5=content_md5)


@needs_mnist
def test_read_idx_raw_gzip_and_corrupt(tmp_path):
    gz = MNIST_DIR / "t10k-labels-idx1-ubyte.gz"
    raw = gzip.decompress(gz.read_bytes())
    (tmp_path / "labels").write_bytes(raw)
    np.testing.assert_array_equal(read_idx(tmp_path / "labels"), read_idx(gz))
    (tmp_path / "short").write_bytes(raw[:-10])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        read_idx(tmp_path / "short")
    (tmp_path / "magic").write_bytes(b"\x12\x34" + raw[2:])
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(tmp_path / "magic")
    (tmp_path / "badgz").write_bytes(gz.read_bytes()[:100])
    with pytest.raises(ValueError, match="corrupt"):
        read_idx(tmp_path / "badgz")


def _idx_bytes(arr, code):
    head = bytes([0, 0, code, arr.ndim]) + b"".join(int(d).to_bytes(4, "big")
                                                     for d in arr.shape)
    return head + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def test_read_idx_refuses_a_gzip_bomb_without_inflating_it(tmp_path):
    # 4 MB of zeros compressed to a few KB, under a header that declares 1e12 images
    bomb = tmp_path / "bomb-idx3-ubyte.gz"
    head = bytes([0, 0, 8, 3]) + (10 ** 6).to_bytes(4, "big") + (1000).to_bytes(4, "big") \
        + (1000).to_bytes(4, "big")
    bomb.write_bytes(gzip.compress(head + bytes(4 << 20)))
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="declares shape \\(1000000, 1000, 1000\\)"):
            read_idx(bomb)
        # 100 declared bytes, then 64 MB more: found after reading 101, not 64 MB
        trailing = tmp_path / "trailing-idx1-ubyte.gz"
        trailing.write_bytes(gzip.compress(_idx_bytes(np.zeros(100, np.uint8), 8)
                                           + bytes(64 << 20)))
        tracemalloc.reset_peak()
        with pytest.raises(ValueError, match="truncated or corrupt"):
            read_idx(trailing)
        assert tracemalloc.get_traced_memory()[1] < 8 << 20
    finally:
        tracemalloc.stop()
    # an honest header over too little data is truncated, found without reading past it
    honest = tmp_path / "short-idx1-ubyte.gz"
    honest.write_bytes(gzip.compress(_idx_bytes(np.zeros(100, np.uint8), 8)[:-10]))
    with pytest.raises(ValueError, match="truncated or corrupt"):
        read_idx(honest)
    extra = tmp_path / "extra-idx1-ubyte"
    extra.write_bytes(_idx_bytes(np.arange(5, dtype=np.uint8), 8) + b"\0")
    with pytest.raises(ValueError, match="truncated or corrupt"):
        read_idx(extra)
    ok = tmp_path / "ok-idx2-ubyte.gz"
    arr = np.arange(-6, 6, dtype=np.int32).reshape(3, 4)
    ok.write_bytes(gzip.compress(_idx_bytes(arr, 0x0C)))
    np.testing.assert_array_equal(read_idx(ok), arr)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_read_idx_refuses_fifos_and_folders(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(ValueError, match="pipe is not a regular file"):
        read_idx(tmp_path / "pipe")
    with pytest.raises(ValueError, match="is not a regular file"):
        read_idx(tmp_path)


@pytest.mark.parametrize("labels,code,why", [
    (np.array([3, -1, 2], np.int8), 0x09, "label -1 at index 1, expected 0..9"),
    (np.array([3, 10, 2], np.uint8), 0x08, "label 10 at index 1, expected 0..9"),
    (np.array([2.5, 3.9, 1.0], np.float32), 0x0D, "must hold integer labels, got float32"),
    (np.array([np.nan, 1, 2], np.float64), 0x0E, "must hold integer labels, got float64"),
])
def test_mnist_refuses_bad_labels(tmp_path, labels, code, why):
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(
        _idx_bytes(np.zeros((3, 28, 28), np.uint8), 8))
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(_idx_bytes(labels, code))
    with pytest.raises(ValueError, match=f"MNIST: .*t10k-labels-idx1-ubyte .*{re.escape(why)}"):
        MNIST(tmp_path, train=False)


def test_mnist_missing_files_message(tmp_path):
    with pytest.raises(RuntimeError) as info:
        MNIST(tmp_path, train=False)
    msg = str(info.value)
    assert "t10k-images-idx3-ubyte.gz" in msg and "t10k-labels-idx1-ubyte.gz" in msg
    assert str(tmp_path / "MNIST" / "raw") in msg and "download=True" in msg


# ---------------------------------------------------------------------------
# CIFAR: files in the real batch format, and malicious pickles
# ---------------------------------------------------------------------------
def test_cifar10_loads_hwc_uint8(tmp_path, make_cifar):
    folder = make_cifar(tmp_path)
    ds = CIFAR10(tmp_path, train=True, transform=T.ToTensor())
    assert len(ds) == 20 and ds.data.shape == (20, 32, 32, 3) and ds.data.dtype == np.uint8
    assert ds.classes[0] == "airplane" and ds.class_to_idx["truck"] == 9
    with open(folder / "data_batch_2", "rb") as f:
        raw = pickle.load(f)[b"data"]
    # Row layout: 1024 R, 1024 G, 1024 B values, each plane row-major.
    n, i, j, c = 1, 5, 17, 2
    assert ds.data[4 + n, i, j, c] == raw[n, c * 1024 + i * 32 + j]
    assert isinstance(ds.targets, list) and all(type(t) is int for t in ds.targets)
    x, y = ds[4 + n]
    assert tuple(x.shape) == (3, 32, 32) and isinstance(y, int)
    np.testing.assert_array_equal(x.numpy(), ds.data[4 + n].transpose(2, 0, 1) / np.float32(255))
    test = CIFAR10(tmp_path, train=False)
    assert len(test) == 3
    img, target = test[1]  # as torchvision: an RGB PIL Image before transforms
    assert isinstance(img, Image.Image) and img.mode == "RGB" and img.size == (32, 32)
    np.testing.assert_array_equal(np.asarray(img), test.data[1])
    assert target == test.targets[1]
    before = test.data[1].copy()
    img.paste((0, 0, 0), (0, 0, 32, 32))  # editing a sample leaves the dataset unchanged
    np.testing.assert_array_equal(test.data[1], before)
    batch = next(iter(DataLoader(CIFAR10(tmp_path, train=False, transform=T.PILToTensor()),
                                 batch_size=3)))
    assert tuple(batch[0].shape) == (3, 3, 32, 32) and batch[0].dtype == glassnet.uint8
    np.testing.assert_array_equal(batch[0].numpy(), test.data.transpose(0, 3, 1, 2))


def test_cifar100_fine_labels(tmp_path, make_cifar):
    make_cifar(tmp_path, hundred=True, n_train=6)
    ds = CIFAR100(tmp_path)
    assert len(ds) == 6 and len(ds.classes) == 100 and ds.classes[3] == "c3"
    assert all(0 <= t < 100 for t in ds.targets)


class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"echo pwned > {self.marker}",))


@pytest.mark.parametrize("payload", ["os.system", "builtins.eval"])
def test_cifar_rejects_pickles_that_run_code(tmp_path, payload, make_cifar):
    folder = make_cifar(tmp_path)
    marker = tmp_path / "pwned.txt"
    if payload == "os.system":
        evil = _Exploit(marker)
    else:
        class EvalExploit:
            def __reduce__(self):
                return (eval, (f"open({str(marker)!r}, 'w').write('x')",))
        evil = EvalExploit()
    entry = {b"data": np.zeros((4, 3072), np.uint8), b"labels": [0, 1, 2, 3], b"x": evil}
    with open(folder / "data_batch_3", "wb") as f:
        pickle.dump(entry, f, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="refusing to load global"):
        CIFAR10(tmp_path)
    assert not marker.exists()


class _HugeArray:
    """Pickles as numpy's own reconstruct call asking for a 1 TB array."""

    def __reduce__(self):
        from glassnet.vision.datasets.cifar import _numpy_reconstruct

        return (_numpy_reconstruct(), (np.ndarray, (1 << 40,), b"b"))


def test_cifar_pickle_cannot_allocate_from_a_few_bytes(tmp_path):
    path = tmp_path / "data_batch_1"
    raw = pickle.dumps({b"data": _HugeArray()}, protocol=2)
    assert len(raw) < 200
    path.write_bytes(raw)
    with pytest.raises(pickle.UnpicklingError, match="refusing to rebuild .*1099511627776"):
        load_pickle_batch(path)
    path.write_bytes(pickle.dumps({b"data": np.array([1, "a"], dtype=object)}, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="refusing the numpy dtype"):
        load_pickle_batch(path)
    ok = {b"data": np.arange(12, dtype=np.uint8).reshape(3, 4), b"labels": [1, 2, 3]}
    path.write_bytes(pickle.dumps(ok, protocol=2))
    got = load_pickle_batch(path)
    np.testing.assert_array_equal(got["data"], ok[b"data"])


def test_cifar_refuses_float_labels(tmp_path, make_cifar):
    folder = make_cifar(tmp_path)
    entry = {b"data": np.zeros((4, 3072), np.uint8), b"labels": [0, 2.7, 2, 3]}
    with open(folder / "data_batch_3", "wb") as f:
        pickle.dump(entry, f, protocol=2)
    with pytest.raises(ValueError, match="data_batch_3 'labels' must be integers, got float64"):
        CIFAR10(tmp_path)


def test_cifar_corrupt_and_missing(tmp_path, make_cifar):
    folder = make_cifar(tmp_path)
    (folder / "data_batch_1").write_bytes(b"\x80\x02not a pickle")
    with pytest.raises(ValueError, match="not a valid CIFAR batch"):
        CIFAR10(tmp_path)
    with pytest.raises(RuntimeError, match="cifar-10-python.tar.gz"):
        CIFAR10(tmp_path / "empty")


def _tar_with(path, name, data=b"x", symlink_to=None):
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo(name)
        if symlink_to is not None:
            info.type = tarfile.SYMTYPE
            info.linkname = symlink_to
            tar.addfile(info)
        else:
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_extract_tar_refuses_path_traversal(tmp_path):
    dest = tmp_path / "out"
    for k, (name, link) in enumerate([("../evil.txt", None), ("/tmp/evil_abs.txt", None),
                                      ("ok/link", "../../evil.txt")]):
        archive = tmp_path / f"a{k}.tar.gz"
        _tar_with(archive, name, symlink_to=link)
        with pytest.raises(ValueError, match="unsafe|outside"):
            extract_tar(archive, dest)
    assert not (tmp_path / "evil.txt").exists()
    good = tmp_path / "good.tar.gz"
    _tar_with(good, "folder/file.txt", b"hello")
    extract_tar(good, dest)
    assert (dest / "folder" / "file.txt").read_bytes() == b"hello"


def _tar_members(path, members):
    """Write a tar of ``(name, kind, payload)``: kind 'file' (payload bytes), 'sym' or
    'hard' (payload = link name) or 'dir'."""
    with tarfile.open(path, "w") as tar:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
                continue
            info.type = {"sym": tarfile.SYMTYPE, "hard": tarfile.LNKTYPE,
                         "dir": tarfile.DIRTYPE}[kind]
            if kind != "dir":
                info.linkname = payload
            tar.addfile(info)


_ESCAPES = {
    # a -> . then a/b -> .. : each link alone stays inside, the chain leaves
    "chain": [("first.txt", "file", b"x"), ("a", "sym", "."), ("a/b", "sym", ".."),
              ("a/b/evil.txt", "file", b"evil")],
    # a link whose target walks up through another link
    "up-through-link": [("x/y/a", "sym", "../.."), ("x/y/b", "sym", "a/../../.."),
                        ("x/y/b/evil.txt", "file", b"evil")],
    "absolute-link": [("a", "sym", "/tmp")],
    "hard-link-out": [("h", "hard", "../evil.txt")],
    "file-through-link-out": [("d", "sym", "sub/../.."), ("d/evil.txt", "file", b"evil")],
    "link-loop": [("p", "sym", "q"), ("q", "sym", "p"), ("p/evil.txt", "file", b"e")],
}


@pytest.mark.parametrize("fallback", [False, True], ids=["data-filter", "no-filter"])
@pytest.mark.parametrize("case", sorted(_ESCAPES))
def test_extract_tar_refuses_link_chains_before_writing(tmp_path, monkeypatch, case,
                                                         fallback):
    if fallback:  # the code path of Pythons without tar filters (< 3.10.12 / 3.11.4)
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    elif not hasattr(tarfile, "data_filter"):
        pytest.skip("this Python has no tar filters")
    root = tmp_path / "root"
    dest = root / "deep" / "out"
    archive = tmp_path / "evil.tar"
    _tar_members(archive, _ESCAPES[case])
    with pytest.raises(ValueError, match="extract_tar: .*(outside|absolute|links)") as e:
        extract_tar(archive, dest)
    assert str(archive) in str(e.value)
    assert list(dest.iterdir()) == []  # nothing written, not even the harmless members
    assert sorted(p.name for p in root.rglob("*")) == ["deep", "out"]


@pytest.mark.parametrize("fallback", [False, True], ids=["data-filter", "no-filter"])
def test_extract_tar_keeps_links_that_stay_inside(tmp_path, monkeypatch, fallback):
    if fallback:
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    elif not hasattr(tarfile, "data_filter"):
        pytest.skip("this Python has no tar filters")
    archive = tmp_path / "ok.tar"
    _tar_members(archive, [("sub/deeper", "dir", None), ("sub/deeper/f.txt", "file", b"hi"),
                           ("alias", "sym", "sub/deeper"), ("alias/g.txt", "file", b"g"),
                           ("up", "sym", "sub/deeper/.."), ("copy.txt", "hard",
                                                            "sub/deeper/f.txt")])
    dest = tmp_path / "out"
    extract_tar(archive, dest)
    assert (dest / "alias" / "f.txt").read_bytes() == b"hi"
    assert (dest / "sub" / "deeper" / "g.txt").read_bytes() == b"g"  # written through alias
    assert (dest / "copy.txt").read_bytes() == b"hi"
    assert (dest / "up").resolve() == (dest / "sub").resolve()


def test_extract_tar_sees_links_already_in_the_destination(tmp_path):
    dest = tmp_path / "out"
    dest.mkdir()
    os.symlink("..", dest / "parent")  # left there by someone else
    archive = tmp_path / "a.tar"
    _tar_members(archive, [("parent/evil.txt", "file", b"e")])
    with pytest.raises(ValueError, match="outside"):
        extract_tar(archive, dest)
    assert not (tmp_path / "evil.txt").exists()


def test_extract_tar_corrupt_archive_names_the_file(tmp_path):
    archive = tmp_path / "broken.tar.gz"
    good = tmp_path / "good.tar.gz"
    _tar_with(good, "f.txt", b"hello" * 1000)
    archive.write_bytes(good.read_bytes()[:40])
    with pytest.raises(ValueError, match=r"extract_tar: .*broken\.tar\.gz"):
        extract_tar(archive, tmp_path / "out")


# ---------------------------------------------------------------------------
# ImageFolder
# ---------------------------------------------------------------------------
def test_image_folder_on_pngs(tmp_path):
    rng = np.random.default_rng(0)
    pixels = {}
    for cls, names in {"dog": ["b.png", "a.PNG", "notes.txt"], "cat": ["z.bmp"],
                       "cat/sub": ["y.png"]}.items():
        (tmp_path / cls).mkdir(parents=True, exist_ok=True)
        for name in names:
            path = tmp_path / cls / name
            if name.endswith(".txt"):
                path.write_text("not an image")
                continue
            arr = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
            if name == "b.png":
                arr = arr[..., 0]  # a greyscale file: decoded to RGB
            Image.fromarray(arr).save(path)
            pixels[str(path)] = arr
    ds = ImageFolder(tmp_path)
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    assert [Path(p).relative_to(tmp_path).as_posix() for p, _ in ds.samples] == \
        ["cat/z.bmp", "cat/sub/y.png", "dog/a.PNG", "dog/b.png"]  # os.walk order, sorted
    assert ds.targets == [0, 0, 1, 1] and ds.imgs == ds.samples
    img, target = ds[3]
    assert isinstance(img, Image.Image) and img.mode == "RGB" and target == 1
    np.testing.assert_array_equal(np.asarray(img)[..., 1], pixels[ds.samples[3][0]])
    np.testing.assert_array_equal(np.asarray(ds[1][0]), pixels[ds.samples[1][0]])
    only_png = ImageFolder(tmp_path, is_valid_file=lambda p: p.endswith(".png"),
                           allow_empty=True)
    assert len(only_png) == 2
    loader = DataLoader(ImageFolder(tmp_path, transform=T.Compose([T.Resize((4, 4)),
                                                                    T.ToTensor()])),
                        batch_size=4)
    x, y = next(iter(loader))
    assert tuple(x.shape) == (4, 3, 4, 4) and y.tolist() == [0, 0, 1, 1]
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="empty"):
        ImageFolder(tmp_path)


# ---------------------------------------------------------------------------
# Against torchvision.datasets itself (skipped without torchvision)
# ---------------------------------------------------------------------------
@needs_mnist
def test_mnist_equals_torchvisions_on_the_real_files(tmp_path):
    torch = pytest.importorskip("torch")
    tv_datasets = pytest.importorskip("torchvision.datasets", reason="torchvision not installed")
    tv_transforms = pytest.importorskip("torchvision.transforms")
    raw = tmp_path / "MNIST" / "raw"  # torchvision's layout: the files uncompressed
    raw.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (raw / name).write_bytes(gzip.decompress((MNIST_DIR / f"{name}.gz").read_bytes()))
    for train in (True, False):
        ours, ref = MNIST(MNIST_DIR, train=train), tv_datasets.MNIST(tmp_path, train=train)
        assert len(ours) == len(ref) and ours.classes == ref.classes
        np.testing.assert_array_equal(ours.data.numpy(), ref.data.numpy())
        np.testing.assert_array_equal(ours.targets.numpy(), ref.targets.numpy())
        assert ours.targets.dtype == glassnet.int64 and ref.targets.dtype == torch.int64
        for i in (0, 1, len(ref) - 1):
            (img, label), (ref_img, ref_label) = ours[i], ref[i]
            assert type(label) is type(ref_label) and label == ref_label
            assert img.mode == ref_img.mode
            np.testing.assert_array_equal(np.asarray(img), np.asarray(ref_img))
    # the same files in torchvision's layout, through the usual transform
    ours = MNIST(tmp_path, train=False, transform=T.Compose([
        T.ToTensor(), T.Normalize((0.1307,), (0.3081,))]))
    ref = tv_datasets.MNIST(tmp_path, train=False, transform=tv_transforms.Compose([
        tv_transforms.ToTensor(), tv_transforms.Normalize((0.1307,), (0.3081,))]))
    for i in (0, 9999):
        np.testing.assert_allclose(ours[i][0].numpy(), ref[i][0].numpy(), rtol=1e-6,
                                   atol=1e-6)


def test_image_folder_equals_torchvisions(tmp_path):
    tv_datasets = pytest.importorskip("torchvision.datasets", reason="torchvision not installed")
    rng = np.random.default_rng(1)
    for rel in ("dog/b.png", "dog/a.PNG", "dog/notes.txt", "cat/z.bmp", "cat/sub/y.png",
                "cat/sub/deeper/x.jpg", "ant/w.webp"):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel.endswith(".txt"):
            path.write_text("not an image")
        else:
            arr = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
            Image.fromarray(arr[..., 0] if "b.png" in rel else arr).save(path)
    ours, ref = ImageFolder(tmp_path), tv_datasets.ImageFolder(tmp_path)
    assert ours.classes == ref.classes and ours.class_to_idx == ref.class_to_idx
    assert [(str(p), t) for p, t in ours.samples] == [(str(p), t) for p, t in ref.samples]
    assert ours.targets == ref.targets
    for i in range(len(ref)):
        assert ours[i][0].mode == ref[i][0].mode == "RGB"
        np.testing.assert_array_equal(np.asarray(ours[i][0]), np.asarray(ref[i][0]))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError):
        tv_datasets.ImageFolder(tmp_path)
    with pytest.raises(FileNotFoundError, match="empty"):
        ImageFolder(tmp_path)
