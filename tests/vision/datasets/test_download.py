"""Downloads against a local HTTP server on 127.0.0.1: mirrors, checksums, offline."""
import hashlib
import socket
import tarfile
from pathlib import Path

import numpy as np
import pytest

from glassnet.vision.datasets import CIFAR10, MNIST, DownloadError, download_url
from glassnet.vision.datasets._download import check_integrity, default_root

MNIST_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "mnist"
needs_mnist = pytest.mark.skipif(not (MNIST_DIR / "t10k-labels-idx1-ubyte.gz").is_file(),
                                 reason="shared MNIST files not found")


@pytest.fixture
def closed_port_url():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    return f"http://127.0.0.1:{port}/"


def _no_partial_files(folder):
    return not list(Path(folder).rglob("*.part"))


@needs_mnist
def test_mnist_download_with_checksums_into_glassnet_data(serve, closed_port_url, tmp_path,
                                                          monkeypatch):
    # The first mirror is down: the download falls back to the second.
    monkeypatch.setattr(MNIST, "mirrors", [closed_port_url, serve(MNIST_DIR)])
    monkeypatch.setattr(MNIST, "timeout", 5.0)
    monkeypatch.setenv("GLASSNET_DATA", str(tmp_path))
    assert default_root() == tmp_path
    ds = MNIST(train=False, download=True)
    raw = tmp_path / "MNIST" / "raw"
    assert len(ds) == 10000 and int(ds.targets[0]) == 7
    for name, md5, content_md5 in MNIST.resources:  # all four files, verified
        assert check_integrity(raw / name, md5, content_md5)
    assert _no_partial_files(tmp_path)
    again = MNIST(tmp_path, train=False)  # found in root/MNIST/raw, no download needed
    np.testing.assert_array_equal(again.data, ds.data)


def test_download_url_checksum_mismatch_deletes_file(serve, tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    payload = b"this is not the file you are looking for"
    (served / "t10k-labels-idx1-ubyte.gz").write_bytes(payload)
    url = serve(served) + "t10k-labels-idx1-ubyte.gz"
    dest = tmp_path / "out" / "t10k-labels-idx1-ubyte.gz"
    with pytest.raises(DownloadError, match="checksum mismatch") as info:
        download_url(url, dest, md5="ec29112dd5afa0611ce80d1b7f02629c", timeout=5)
    assert hashlib.md5(payload).hexdigest() in str(info.value)
    assert not dest.exists() and _no_partial_files(tmp_path / "out")
    # The same file with its right checksum is accepted and renamed into place.
    download_url(url, dest, md5=hashlib.md5(payload).hexdigest(), timeout=5)
    assert dest.read_bytes() == payload


def test_mnist_download_of_corrupted_mirror_raises(serve, tmp_path, monkeypatch):
    served = tmp_path / "served"
    served.mkdir()
    for name, _, _ in MNIST.resources:
        (served / name).write_bytes(b"\x1f\x8b corrupted")
    monkeypatch.setattr(MNIST, "mirrors", [serve(served)])
    with pytest.raises(DownloadError, match="checksum mismatch"):
        MNIST(tmp_path / "root", download=True)
    assert not list((tmp_path / "root").rglob("*ubyte*"))


def test_mnist_offline_gives_one_clear_message(closed_port_url, tmp_path, monkeypatch):
    monkeypatch.setattr(MNIST, "mirrors", [closed_port_url])
    monkeypatch.setattr(MNIST, "timeout", 2.0)
    with pytest.raises(RuntimeError) as info:
        MNIST(tmp_path, train=True, download=True)
    msg = str(info.value)
    assert msg.startswith("MNIST: could not download")
    for name, _, _ in MNIST.resources:
        assert name in msg
    assert f"Place these files in {tmp_path / 'MNIST' / 'raw'}" in msg
    assert closed_port_url in msg  # says which URL failed


def test_cifar_download_and_extract_from_local_mirror(serve, tmp_path, monkeypatch,
                                                      make_cifar):
    src = tmp_path / "src"
    make_cifar(src)
    served = tmp_path / "served"
    served.mkdir()
    archive = served / CIFAR10.filename
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(src / CIFAR10.base_folder, arcname=CIFAR10.base_folder)
    monkeypatch.setattr(CIFAR10, "mirrors", [serve(served)])
    monkeypatch.setattr(CIFAR10, "tgz_md5", hashlib.md5(archive.read_bytes()).hexdigest())
    ds = CIFAR10(tmp_path / "root", train=True, download=True)
    assert len(ds) == 20 and (tmp_path / "root" / CIFAR10.filename).is_file()
    monkeypatch.setattr(CIFAR10, "tgz_md5", "0" * 32)
    (tmp_path / "root2").mkdir()
    (tmp_path / "root2" / CIFAR10.filename).write_bytes(archive.read_bytes())
    with pytest.raises(RuntimeError, match="MD5 mismatch"):
        CIFAR10(tmp_path / "root2")  # a present archive is checked before extraction
