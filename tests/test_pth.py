"""The safe reader of torch.save checkpoints: exact arrays against torch.load, both file
formats, and refusal of code, corruption and out-of-bounds tensors."""
from __future__ import annotations

import collections
import io
import pickle
import tarfile
import zipfile

import numpy as np
import pytest

from glassnet._pth import load_pth

torch = pytest.importorskip("torch")


def _reference(value):
    """torch.load's result as numpy (bfloat16 widened to float32, as load_pth does)."""
    if isinstance(value, torch.Tensor):
        value = value.detach()
        return (value.float() if value.dtype == torch.bfloat16 else value).numpy()
    if isinstance(value, dict):
        return type(value)((k, _reference(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return type(value)(_reference(v) for v in value)
    return value


def _assert_same(got, expected):
    if isinstance(expected, np.ndarray):
        assert isinstance(got, np.ndarray)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)
    elif isinstance(expected, dict):
        assert type(got) is type(expected) and list(got) == list(expected)
        for k in expected:
            _assert_same(got[k], expected[k])
    elif isinstance(expected, (list, tuple)):
        assert type(got) is type(expected) and len(got) == len(expected)
        for g, e in zip(got, expected):
            _assert_same(g, e)
    else:
        assert got == expected


def _mixed_checkpoint():
    gen = torch.Generator().manual_seed(0)
    base = torch.randn(4, 5, generator=gen)
    sd = collections.OrderedDict()
    sd["weight"] = base
    sd["weight_t"] = base.t()                    # non-contiguous, same storage
    sd["row"] = base[2]                          # contiguous view at an offset
    sd["cols"] = base[:, 1:4:2]                  # strided view at an offset
    sd["f64"] = torch.randn(3, 2, generator=gen, dtype=torch.float64)
    sd["f16"] = torch.randn(7, generator=gen).half()
    sd["bf16"] = torch.randn(2, 3, generator=gen).bfloat16()
    sd["i64"] = torch.arange(-3, 3)
    sd["i32"] = torch.tensor([[1, -2], [3, 2**31 - 1]], dtype=torch.int32)
    sd["i16"] = torch.tensor([-7, 300], dtype=torch.int16)
    sd["i8"] = torch.tensor([-128, 127], dtype=torch.int8)
    sd["u8"] = torch.tensor([0, 7, 255], dtype=torch.uint8)
    sd["mask"] = torch.tensor([True, False, True])
    sd["scalar"] = torch.tensor(2.5)
    sd["empty"] = torch.zeros(0, 3)
    sd["param"] = torch.nn.Parameter(torch.randn(3, generator=gen))
    return sd


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
def test_reads_every_dtype_stride_and_shared_storage_exactly_as_torch_load(tmp_path,
                                                                          zip_format):
    path = tmp_path / "mixed.pth"
    obj = {"state_dict": _mixed_checkpoint(), "epoch": 3, "names": ["a", "b"],
           "shape": (2, 3), "lr": 0.1, "note": None}
    torch.save(obj, path, _use_new_zipfile_serialization=zip_format)
    got = load_pth(path)
    _assert_same(got, _reference(torch.load(path, weights_only=True)))
    sd = got["state_dict"]
    assert sd["weight_t"].flags.c_contiguous  # strided tensors are copied out
    # Contiguous tensors over one storage share memory, as they do in torch.
    assert np.shares_memory(sd["weight"], sd["row"])
    assert not np.shares_memory(sd["weight"], sd["weight_t"])


def test_reads_a_real_module_state_dict_with_its_metadata(tmp_path):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4),
                              torch.nn.Flatten(), torch.nn.Linear(4, 2))
    net(torch.randn(2, 3, 3, 3))  # moves the BN running statistics
    path = tmp_path / "net.pth"
    torch.save(net.state_dict(), path)
    got = load_pth(path)
    assert isinstance(got, collections.OrderedDict)
    _assert_same(got, _reference(net.state_dict()))
    assert got["1.num_batches_tracked"].dtype == np.int64


def test_reads_file_objects_and_big_endian_archives(tmp_path):
    path = tmp_path / "le.pth"
    t = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    torch.save({"t": t}, path)
    with open(path, "rb") as f:
        np.testing.assert_array_equal(load_pth(f)["t"], t.numpy())
    # Rewrite the archive as a big-endian machine would have written it.
    src = zipfile.ZipFile(path)
    big = io.BytesIO()
    with zipfile.ZipFile(big, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("/byteorder"):
                data = b"big"
            elif "/data/" in info.filename and not info.filename.endswith("serialization_id"):
                data = np.frombuffer(data, "<f4").astype(">f4").tobytes()
            dst.writestr(info.filename, data)
    got = load_pth(io.BytesIO(big.getvalue()))["t"]
    assert got.dtype == np.float32 and got.dtype.isnative
    np.testing.assert_array_equal(got, t.numpy())


# ---------------------------------------------------------------------------
# Refusing code
# ---------------------------------------------------------------------------
class _Evil:
    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


def _zip_with_pickle(payload: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", payload)
        z.writestr("archive/version", "3\n")
    return buf.getvalue()


def _attacks(marker):
    import builtins
    import os
    import subprocess

    return [
        ("os.system", pickle.dumps(_Evil(os.system, (f"touch {marker}",)), protocol=2),
         r"posix\.system|os\.system|nt\.system"),
        ("builtins.eval", pickle.dumps(_Evil(builtins.eval, (f"open({str(marker)!r}, 'w')",)),
                                       protocol=2), r"builtins\.eval"),
        ("subprocess.Popen", pickle.dumps(_Evil(subprocess.Popen, (["touch", str(marker)],)),
                                          protocol=2), r"subprocess\.Popen"),
        ("torch _load_from_bytes", pickle.dumps(
            _Evil(torch.storage._load_from_bytes, (b"",)), protocol=2),
         r"torch\.storage\._load_from_bytes"),
    ]


@pytest.mark.parametrize("index", range(4), ids=["os.system", "eval", "Popen",
                                                 "_load_from_bytes"])
@pytest.mark.parametrize("container", ["zip", "raw pickle"])
def test_a_checkpoint_naming_a_forbidden_global_is_refused_and_nothing_runs(tmp_path, index,
                                                                            container):
    marker = tmp_path / "pwned"
    _, payload, pattern = _attacks(marker)[index]
    path = tmp_path / "evil.pth"
    path.write_bytes(_zip_with_pickle(payload) if container == "zip" else payload)
    with pytest.raises(ValueError, match=f"refusing the global '({pattern})'"):
        load_pth(path)
    assert not marker.exists()


def _crafted_tensor_checkpoint(size, stride, offset=0, record_bytes=16, numel=4):
    """A zip checkpoint whose one tensor has the given geometry over a 4-float storage."""

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if obj == "STORAGE":
                return ("storage", torch.FloatStorage, "0", "cpu", numel)
            return None

    tensor = _Evil(torch._utils._rebuild_tensor_v2,
                   ("STORAGE", offset, size, stride, False, collections.OrderedDict()))
    buf = io.BytesIO()
    Pickler(buf, protocol=2).dump({"t": tensor})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("archive/data.pkl", buf.getvalue())
        z.writestr("archive/data/0", np.arange(record_bytes // 4, dtype="<f4").tobytes())
    return out.getvalue()


def test_crafted_tensor_geometry_is_read_within_bounds_or_refused():
    ok = load_pth(io.BytesIO(_crafted_tensor_checkpoint((2, 2), (1, 2))))["t"]
    np.testing.assert_array_equal(ok, np.array([[0.0, 2.0], [1.0, 3.0]], np.float32))
    with pytest.raises(ValueError, match="reaches element 100 of a storage of 4 elements"):
        load_pth(io.BytesIO(_crafted_tensor_checkpoint((2,), (100,))))
    with pytest.raises(ValueError, match="reaches element 4"):
        load_pth(io.BytesIO(_crafted_tensor_checkpoint((2,), (1,), offset=3)))
    with pytest.raises(ValueError, match="malformed tensor"):
        load_pth(io.BytesIO(_crafted_tensor_checkpoint((2,), (-1,))))
    with pytest.raises(ValueError, match="holds 16 bytes, expected 1000 x 4"):
        load_pth(io.BytesIO(_crafted_tensor_checkpoint((2,), (1,), numel=1000)))


# ---------------------------------------------------------------------------
# Damaged files
# ---------------------------------------------------------------------------
@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "good.pth"
    torch.save({"w": torch.arange(4096, dtype=torch.float32)}, path)
    return path


def test_a_truncated_checkpoint_gives_a_clear_error(saved, tmp_path):
    data = saved.read_bytes()
    cut = tmp_path / "cut.pth"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cut\.pth: corrupt or truncated checkpoint"):
        load_pth(cut)


def test_a_corrupted_storage_fails_its_crc_with_a_clear_error(saved, tmp_path):
    data = bytearray(saved.read_bytes())
    offset = data.find(np.arange(100, 101, dtype="<f4").tobytes())
    data[offset] ^= 0xFF
    bad = tmp_path / "bad.pth"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"bad\.pth: corrupt or truncated checkpoint.*CRC"):
        load_pth(bad)


def test_a_truncated_legacy_checkpoint_gives_a_clear_error(tmp_path):
    path = tmp_path / "old.pth"
    torch.save({"w": torch.arange(64, dtype=torch.float32)}, path,
               _use_new_zipfile_serialization=False)
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(ValueError, match=r"storage .* claims 64 elements|truncated"):
        load_pth(path)


def test_files_that_are_not_checkpoints_are_named_in_the_error(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"hello, not a checkpoint")
    with pytest.raises(ValueError, match=r"junk\.bin: not a PyTorch checkpoint"):
        load_pth(junk)
    no_pkl = tmp_path / "nopkl.pth"
    with zipfile.ZipFile(no_pkl, "w") as z:
        z.writestr("archive/other.txt", "x")
    with pytest.raises(ValueError, match="exactly one '<archive>/data.pkl', found 0"):
        load_pth(no_pkl)
    old_tar = tmp_path / "old.tar"
    with tarfile.open(old_tar, "w") as t:
        info = tarfile.TarInfo("storages")
        info.size = 0
        t.addfile(info, io.BytesIO(b""))
    with pytest.raises(ValueError, match="legacy tar checkpoint format"):
        load_pth(old_tar)
