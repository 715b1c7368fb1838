"""torch.hub's checkpoint cache against a local HTTP server on 127.0.0.1: download,
SHA-256 prefix check, caching, and nothing left behind on failure."""
from __future__ import annotations

import hashlib
import socket
from pathlib import Path

import numpy as np
import pytest

from glassnet.vision.datasets import DownloadError
from glassnet.hub import get_dir, load_state_dict_from_url

torch = pytest.importorskip("torch")


def _checkpoint(folder: Path, stem: str, bad_hash: bool = False):
    """Save a small state dict as ``<stem>-<sha256 prefix>.pth``; returns (name, arrays)."""
    sd = {"w": torch.arange(12, dtype=torch.float32).reshape(3, 4), "b": torch.ones(3)}
    tmp = folder / "tmp.pth"
    torch.save(sd, tmp)
    digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
    name = f"{stem}-{'deadbeef' if bad_hash else digest[:8]}.pth"
    tmp.rename(folder / name)
    return name, {k: v.numpy() for k, v in sd.items()}


def test_get_dir_follows_torch_home_then_xdg_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    assert get_dir() == tmp_path / "th" / "hub"
    monkeypatch.delenv("TORCH_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert get_dir() == tmp_path / "xdg" / "torch" / "hub"


def test_downloads_once_checks_the_hash_and_reads_from_the_cache(serve, tmp_path,
                                                                 monkeypatch):
    served = tmp_path / "served"
    served.mkdir()
    name, arrays = _checkpoint(served, "tiny")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "home"))
    url = serve(served) + name
    got = load_state_dict_from_url(url, check_hash=True, progress=False)
    for k, v in arrays.items():
        np.testing.assert_array_equal(got[k], v)
    cache = tmp_path / "home" / "hub" / "checkpoints"
    assert sorted(p.name for p in cache.iterdir()) == [name]
    (served / name).unlink()  # gone from the server: the cached copy is used
    again = load_state_dict_from_url(url, check_hash=True, progress=False)
    np.testing.assert_array_equal(again["w"], arrays["w"])


def test_a_hash_mismatch_is_refused_and_leaves_nothing_in_the_cache(serve, tmp_path,
                                                                    capsys):
    served = tmp_path / "served"
    served.mkdir()
    name, _ = _checkpoint(served, "tiny", bad_hash=True)
    cache = tmp_path / "cache"
    with pytest.raises(DownloadError, match='invalid hash value .*expected "deadbeef"'):
        load_state_dict_from_url(serve(served) + name, model_dir=cache, check_hash=True)
    assert list(cache.iterdir()) == []
    assert 'Downloading: "http://127.0.0.1:' in capsys.readouterr().err  # progress=True
    # Without check_hash the same file is accepted (torch.hub's default).
    got = load_state_dict_from_url(serve(served) + name, model_dir=cache, progress=False)
    assert got["w"].shape == (3, 4)


def test_an_unreachable_server_raises_and_leaves_nothing(tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    cache = tmp_path / "cache"
    with pytest.raises(DownloadError, match="could not download"):
        load_state_dict_from_url(f"http://127.0.0.1:{port}/x-00.pth", model_dir=cache,
                                 progress=False)
    assert list(cache.iterdir()) == []


def test_map_location_other_than_cpu_is_refused(tmp_path):
    with pytest.raises(ValueError, match="map_location must be None or 'cpu'"):
        load_state_dict_from_url("http://127.0.0.1:1/x.pth", model_dir=tmp_path,
                                 map_location="cuda:0")
