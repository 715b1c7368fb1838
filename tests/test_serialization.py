"""Tests of glassnet.save / glassnet.load: safetensors interop, atomicity, corruption."""
import json
import math
import re
import os
import struct
from collections import OrderedDict

import numpy as np
import pytest

import glassnet
import glassnet.nn as nn
from glassnet import serialization

torch = pytest.importorskip("torch")
st_torch = pytest.importorskip("safetensors.torch")


def test_state_dict_keys_and_values_read_by_safetensors_torch(tmp_path):
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten(),
                          nn.Linear(4, 2))
    path = tmp_path / "model.safetensors"
    glassnet.save(model.state_dict(), path)
    loaded = st_torch.load_file(str(path))
    sd = model.state_dict()
    assert set(loaded) == set(sd)
    for k, v in sd.items():
        assert tuple(loaded[k].shape) == tuple(v.shape), k
        np.testing.assert_array_equal(loaded[k].numpy(), v.data)
    assert loaded["1.num_batches_tracked"].dtype == torch.int64
    assert loaded["1.num_batches_tracked"].shape == ()
    # and glassnet reads it back in the same order
    back = glassnet.load(path)
    assert isinstance(back, OrderedDict) and list(back) == list(sd)
    assert all(type(v) is glassnet.Tensor for v in back.values())


@pytest.mark.parametrize("kind", ["linear", "conv"])
def test_torch_state_dict_loads_into_glassnet_with_identical_outputs(tmp_path, kind):
    torch.manual_seed(0)
    if kind == "linear":
        t, g = torch.nn.Linear(7, 3), nn.Linear(7, 3)
        x = np.random.default_rng(0).standard_normal((5, 7)).astype(np.float32)
    else:
        t = torch.nn.Conv2d(3, 5, 3, stride=2, padding=1)
        g = nn.Conv2d(3, 5, 3, stride=2, padding=1)
        x = np.random.default_rng(0).standard_normal((2, 3, 9, 9)).astype(np.float32)
    path = tmp_path / "torch.safetensors"
    st_torch.save_file(t.state_dict(), str(path))
    g.load_state_dict(glassnet.load(path))
    with torch.no_grad():
        expected = t(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(g(glassnet.tensor(x)).data, expected, rtol=1e-5, atol=1e-6)


def test_round_trip_keeps_dtypes_and_shapes(tmp_path):
    sd = OrderedDict([
        ("f32", glassnet.randn(2, 3)), ("f64", glassnet.zeros(4, dtype=glassnet.float64)),
        ("f16", glassnet.ones(2, dtype=glassnet.float16)), ("i64", glassnet.tensor(5)),
        ("i32", glassnet.arange(3, dtype=glassnet.int32)), ("u8", np.arange(4, dtype=np.uint8)),
        ("b", glassnet.tensor([True, False])), ("empty", glassnet.zeros(0, 3)),
        ("strided", glassnet.from_numpy(np.arange(12.0).reshape(3, 4).T)),
    ])
    path = tmp_path / "all.safetensors"
    glassnet.save(sd, path)
    back = glassnet.load(path)
    assert list(back) == list(sd)
    for k, v in sd.items():
        arr = v.data if isinstance(v, glassnet.Tensor) else v
        assert back[k].dtype == arr.dtype and back[k].shape == arr.shape, k
        np.testing.assert_array_equal(back[k].data, arr)


def test_reads_bfloat16_written_by_torch(tmp_path):
    path = tmp_path / "bf16.safetensors"
    st_torch.save_file({"w": torch.tensor([1.5, -2.0, 3.25], dtype=torch.bfloat16)},
                       str(path))
    w = glassnet.load(path)["w"]
    assert w.dtype == np.float32
    np.testing.assert_array_equal(w.data, [1.5, -2.0, 3.25])


def test_nested_checkpoint_round_trip(tmp_path):
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    rng = np.random.default_rng(4)
    rng.standard_normal(10)
    ckpt = {
        "model": model.state_dict(),
        "optimizer": {"state": {0: {"step": 3, "exp_avg": glassnet.ones(3, 2)},
                                1: {"step": 3, "exp_avg": np.zeros(3)}},
                      "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8,
                                        "amsgrad": False, "params": [0, 1],
                                        "maximize": None}]},
        "epoch": 7, "best": float("inf"), "nan": float("nan"), "neg": -float("inf"),
        "name": "run-1", "tags": ["a", "b"], "empty": {}, "nested": [[1, (2, 3)], None],
        "rng": rng.bit_generator.state, "mt": np.random.MT19937(3).state,
        "legacy": np.random.RandomState(0).get_state(), "scalar": np.float32(2.5),
        "big": 2 ** 100, "dotted.key": {"a.b": glassnet.zeros(1), "a": {"b": glassnet.ones(1)}},
        (1, "t"): "tuple key", 3: True,
    }
    path = tmp_path / "ckpt.safetensors"
    glassnet.save(ckpt, path)
    back = glassnet.load(path)

    assert list(back) == list(ckpt)
    assert isinstance(back["model"], OrderedDict)
    for k, v in ckpt["model"].items():
        np.testing.assert_array_equal(back["model"][k].data, v.data)
    assert back["optimizer"]["param_groups"] == ckpt["optimizer"]["param_groups"]
    st = back["optimizer"]["state"]
    assert list(st) == [0, 1] and st[0]["step"] == 3
    assert type(st[0]["exp_avg"]) is glassnet.Tensor and type(st[1]["exp_avg"]) is np.ndarray
    assert back["epoch"] == 7 and back["best"] == math.inf and math.isnan(back["nan"])
    assert back["neg"] == -math.inf and back["big"] == 2 ** 100
    assert back["name"] == "run-1" and back["tags"] == ["a", "b"] and back["empty"] == {}
    assert back["nested"] == [[1, (2, 3)], None]
    assert back[(1, "t")] == "tuple key" and back[3] is True
    assert back["scalar"] == np.float32(2.5) and type(back["scalar"]) is np.float32
    np.testing.assert_array_equal(back["dotted.key"]["a.b"].data, [0.0])
    np.testing.assert_array_equal(back["dotted.key"]["a"]["b"].data, [1.0])
    # numpy RNG states restore exactly
    restored = np.random.default_rng()
    restored.bit_generator.state = back["rng"]
    assert restored.standard_normal() == rng.standard_normal()
    mt = np.random.MT19937()
    mt.state = back["mt"]
    ref = np.random.MT19937(3)
    assert mt.random_raw() == ref.random_raw()
    rs = np.random.RandomState()
    rs.set_state(back["legacy"])
    assert rs.rand() == np.random.RandomState(0).rand()
    # the arrays of a nested checkpoint are still readable by safetensors.torch
    flat = st_torch.load_file(str(path))
    assert "model.0.weight" in flat and "optimizer.state.0.exp_avg" in flat


def test_save_rejects_unsupported_objects(tmp_path):
    with pytest.raises(TypeError, match="cannot store an object of type object at 'x'"):
        glassnet.save({"x": object()}, tmp_path / "bad.safetensors")
    with pytest.raises(TypeError, match="unsupported dtype complex128"):
        glassnet.save({"c": np.zeros(2, np.complex128)}, tmp_path / "bad.safetensors")
    assert not list(tmp_path.iterdir())


def test_atomic_write_keeps_previous_file_when_replace_fails(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    glassnet.save({"w": glassnet.ones(3)}, path)
    before = path.read_bytes()

    def crash(src, dst):
        raise OSError("simulated crash")

    monkeypatch.setattr(serialization.os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        glassnet.save({"w": glassnet.zeros(3), "x": glassnet.zeros(100)}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.safetensors"]  # temp removed
    monkeypatch.undo()
    np.testing.assert_array_equal(glassnet.load(path)["w"].data, 1.0)


def test_saved_file_gets_umask_permissions(tmp_path):
    path = tmp_path / "m.safetensors"
    glassnet.save({"w": glassnet.ones(1)}, path)
    umask = os.umask(0)
    os.umask(umask)
    assert (path.stat().st_mode & 0o777) == (0o666 & ~umask)


def test_save_to_file_object(tmp_path):
    path = tmp_path / "f.safetensors"
    with open(path, "wb") as f:
        glassnet.save({"w": glassnet.arange(3)}, f)
    np.testing.assert_array_equal(glassnet.load(path)["w"].data, [0, 1, 2])


@pytest.mark.parametrize("cut", [0, 5, 8, 20, -1])
def test_truncated_file_raises_value_error_naming_file(tmp_path, cut):
    path = tmp_path / "model.safetensors"
    glassnet.save({"w": glassnet.ones(10), "b": glassnet.zeros(3)}, path)
    data = path.read_bytes()
    path.write_bytes(data[:cut] if cut >= 0 else data[:-4])
    with pytest.raises(ValueError, match="model.safetensors is not a valid safetensors"):
        glassnet.load(path)


def _write_raw(path, header, data=b""):
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)


@pytest.mark.parametrize("header,data,why", [
    ({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 4, "data bytes"),
    ({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8,
     "does not match"),
    ({"w": {"dtype": "X9", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4,
     "unsupported dtype"),
    ({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8, "gap"),
    ({"w": {"shape": [1]}}, b"", "bad header entry"),
    ({"__metadata__": {"glassnet.structure": "{not json"}}, b"", "structure"),
    ({"__metadata__": {"glassnet.structure": '{"$tensor": "missing"}'}}, b"",
     "missing tensor"),
])
def test_corrupt_files_raise_value_error(tmp_path, header, data, why):
    path = tmp_path / "c.safetensors"
    _write_raw(path, header, data)
    with pytest.raises(ValueError, match=why):
        glassnet.load(path)


def test_garbage_header_raises_value_error(tmp_path):
    path = tmp_path / "g.safetensors"
    path.write_bytes(struct.pack("<Q", 4) + b"\xff\xfe{[" + b"\0" * 8)
    with pytest.raises(ValueError, match="g.safetensors.*not valid JSON"):
        glassnet.load(path)


def _entry(shape, offsets=(0, 36)):
    return {"w": {"dtype": "F32", "shape": shape, "data_offsets": list(offsets)}}


@pytest.mark.parametrize("header,why", [
    (_entry([2.25, 4]), "shape of 'w' must be a list of integers"),
    (_entry([9.0]), "shape of 'w' must be a list of integers"),
    (_entry(["9"]), "shape of 'w' must be a list of integers"),
    (_entry([True, 9]), "shape of 'w' must be a list of integers"),
    (_entry(9), "shape of 'w' must be a list of integers"),
    (_entry([9], (0.0, 36)), "data_offsets of 'w' must be two integers"),
    (_entry([9], (0, 36, 40)), "data_offsets of 'w' must be two integers"),
    (_entry([9], (False, 36)), "data_offsets of 'w' must be two integers"),
    ({"w": 3}, "bad header entry for 'w'"),
    ({"w": {"dtype": 5, "shape": [9], "data_offsets": [0, 36]}}, "unsupported dtype"),
])
def test_header_numbers_must_be_integers(tmp_path, header, why):
    # a flipped bit turning [4, 1, 3, 3] into [4.1, 3, 3] must not load a (4, 3, 3) weight
    path = tmp_path / "bits.safetensors"
    _write_raw(path, header, b"\0" * 36)
    with pytest.raises(ValueError, match=f"bits.safetensors is not a valid.*{re.escape(why)}"):
        glassnet.load(path)


def test_a_flipped_bit_in_a_shape_does_not_load_silently(tmp_path):
    path = tmp_path / "flip.safetensors"
    glassnet.save({"w": glassnet.ones(4, 1, 3, 3)}, path)
    raw = path.read_bytes()
    assert raw.count(b"[4,1,3,3]") == 1
    path.write_bytes(raw.replace(b"[4,1,3,3]", b"[4.1,3,3]"))  # same length: offsets hold
    with pytest.raises(ValueError, match=r"flip.safetensors .*shape of 'w'.*\[4.1, 3, 3\]"):
        glassnet.load(path)


@pytest.mark.parametrize("structure", [
    '{"$dict": 5}', '{"$tuple": 7}', '{"$dict": [[1]]}', '{"$float": [1]}', '[' * 5000 + ']' * 5000,
    '{"$tuple": ' * 3000 + '[]' + '}' * 3000,
])
def test_malformed_structure_is_one_clear_value_error(tmp_path, structure):
    path = tmp_path / "s.safetensors"
    _write_raw(path, {"__metadata__": {"glassnet.structure": structure}})
    with pytest.raises(ValueError, match="s.safetensors is not a valid safetensors file"):
        glassnet.load(path)


def test_deeply_nested_header_is_a_value_error(tmp_path):
    path = tmp_path / "deep.safetensors"
    raw = ('{"a": ' + "[" * 100000 + "]" * 100000 + "}").encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw)
    with pytest.raises(ValueError, match="deep.safetensors.*nested too deeply"):
        glassnet.load(path)


@pytest.mark.skipif(not os.path.exists("/dev/zero") or not hasattr(os, "mkfifo"),
                    reason="needs /dev/zero and FIFOs")
def test_load_refuses_devices_and_fifos_without_reading(tmp_path):
    with pytest.raises(ValueError, match="/dev/zero is not a regular file"):
        glassnet.load("/dev/zero")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # opening it for reading would block forever
    with pytest.raises(ValueError, match="pipe is not a regular file"):
        glassnet.load(fifo)
    with pytest.raises(ValueError, match="is not a regular file"):
        glassnet.load(tmp_path)


def test_load_never_unpickles_a_torch_pickle(tmp_path):
    path = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, str(path))
    with pytest.raises(ValueError, match="not a valid safetensors file"):
        glassnet.load(path)


# ---------------------------------------------------------------------------
# Whole modules: glassnet.save(model) / glassnet.load, rebuilt from an allow-list
# ---------------------------------------------------------------------------
class Net(nn.Module):
    """A user model defined in this test module (registered with add_safe_globals)."""

    def __init__(self, hidden, act=nn.ReLU, dtype=None):
        super().__init__()
        self.hidden = hidden
        self.body = nn.Sequential(nn.Linear(4, hidden, dtype=dtype), act())
        self.head = nn.Linear(hidden, 2, dtype=dtype)

    def forward(self, x):
        return self.head(self.body(x))


class _Scaled:
    """A mixin (not a Module) that provides the constructor of a Module subclass."""

    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor


class ScaledLinear(_Scaled, nn.Linear):
    def forward(self, x):
        return super().forward(x) * self.factor


class Unregistered(nn.Module):
    def forward(self, x):
        return x


@pytest.fixture
def clean_safe_globals():
    saved = serialization.get_safe_globals()
    serialization.clear_safe_globals()
    yield
    serialization.clear_safe_globals()
    serialization.add_safe_globals(saved)


def _same_outputs(a, b, x):
    with glassnet.no_grad():
        np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())


def test_zoo_model_with_replaced_head_round_trips(tmp_path):
    from glassnet.models import resnet20

    model = resnet20(num_classes=10)
    model.fc = nn.Linear(64, 3)
    for _ in range(2):  # move the BatchNorm running statistics away from their init
        model(glassnet.randn(4, 3, 8, 8))
    model.eval()
    glassnet.save(model, tmp_path / "resnet.safetensors")
    rng = glassnet.get_rng_state()
    back = glassnet.load(tmp_path / "resnet.safetensors", map_location="cpu",
                         weights_only=True)
    assert glassnet.get_rng_state() == rng  # rebuilding does not consume the caller's RNG
    assert type(back) is type(model) and type(back.fc) is nn.Linear
    assert back.fc.out_features == 3 and not any(m.training for m in back.modules())
    assert list(back.state_dict()) == list(model.state_dict())
    for (k, v), w in zip(model.state_dict().items(), back.state_dict().values()):
        np.testing.assert_array_equal(v.numpy(), w.numpy(), err_msg=k)
    _same_outputs(model, back, glassnet.randn(2, 3, 8, 8))
    # the tensors part is the plain state dict, readable by safetensors.torch
    flat = st_torch.load_file(str(tmp_path / "resnet.safetensors"))
    np.testing.assert_array_equal(flat["fc.weight"].numpy(), model.fc.weight.detach().numpy())


def test_nested_containers_shared_and_tied_modules_round_trip(tmp_path):
    shared = nn.Linear(3, 3)
    model = nn.Sequential(OrderedDict([
        ("blocks", nn.ModuleList([nn.Linear(3, 3), shared, nn.Tanh()])),
        ("heads", nn.ModuleDict({"a": nn.Linear(3, 2, bias=False), "b": shared})),
        ("out", nn.Sequential(nn.Conv1d(1, 2, 1), nn.Flatten(), nn.Identity())),
    ]))
    model.heads.a.weight.requires_grad_(False)  # frozen after construction
    model.blocks[0].weight = model.blocks[1].weight  # tied after construction
    model.extra = nn.Parameter(glassnet.full((2,), 0.5))  # added after construction
    model.register_buffer("scale", glassnet.tensor([2.0]))
    model.blocks.append(nn.Linear(3, 1))
    model.out.train(False)
    glassnet.save(model, tmp_path / "nested.safetensors")
    back = glassnet.load(tmp_path / "nested.safetensors")
    assert repr(back) == repr(model)
    assert back.heads.b is back.blocks[1]  # one shared module
    assert back.blocks[0].weight is back.blocks[1].weight  # tied parameter
    assert not back.heads.a.weight.requires_grad and back.blocks[0].weight.requires_grad
    assert back.extra.tolist() == [0.5, 0.5] and back.scale.tolist() == [2.0]
    assert [m.training for m in back.modules()] == [m.training for m in model.modules()]
    x = glassnet.randn(2, 3)
    for i in range(4):
        _same_outputs(model.blocks[i], back.blocks[i], x)
    _same_outputs(model.out, back.out, glassnet.randn(2, 1, 4))


def test_containers_built_from_generators_round_trip(tmp_path):
    model = nn.Sequential(nn.ModuleList(nn.Linear(2, 2) for _ in range(3)),
                          nn.ParameterList(nn.Parameter(glassnet.full((i + 1,), float(i)))
                                           for i in range(2)),
                          nn.ParameterDict((k, nn.Parameter(glassnet.ones(2, 1)))
                                           for k in "ab"))
    model[2]["a"].requires_grad_(False)
    glassnet.save(model, tmp_path / "gen.safetensors")
    back = glassnet.load(tmp_path / "gen.safetensors")
    assert repr(back) == repr(model) and len(back[0]) == 3
    assert [p.tolist() for p in back[1]] == [[0.0], [1.0, 1.0]]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in back[1])
    assert list(back[2].keys()) == ["a", "b"] and back[2]["b"].tolist() == [[1.0], [1.0]]
    assert not back[2]["a"].requires_grad and back[2]["b"].requires_grad
    x = glassnet.randn(1, 2)
    for a, b in zip(model[0], back[0]):
        _same_outputs(a, b, x)


def test_user_class_registered_with_add_safe_globals_round_trips(tmp_path,
                                                                 clean_safe_globals):
    model = Net(5, act=nn.Tanh, dtype=glassnet.float64)
    model.eval()
    glassnet.save(model, tmp_path / "net.safetensors")
    with pytest.raises(serialization.ModuleSerializationError, match="add_safe_globals"):
        glassnet.load(tmp_path / "net.safetensors")
    with serialization.safe_globals([Net]):
        back = glassnet.load(tmp_path / "net.safetensors")
    assert type(back) is Net and back.hidden == 5 and isinstance(back.body[1], nn.Tanh)
    assert back.head.weight.dtype == glassnet.float64 and not back.training
    _same_outputs(model, back, glassnet.randn(3, 4, dtype=glassnet.float64))
    with pytest.raises(serialization.ModuleSerializationError):  # the with block ended
        glassnet.load(tmp_path / "net.safetensors")
    serialization.add_safe_globals([Net])
    assert serialization.get_safe_globals() == [Net]
    with open(tmp_path / "net.safetensors", "rb") as f:
        assert type(glassnet.load(f)) is Net


def test_constructor_from_a_non_module_mixin_is_recorded(tmp_path, clean_safe_globals):
    model = ScaledLinear(3.0, in_features=2, out_features=1)
    assert model._init_args == (ScaledLinear, (3.0,), {"in_features": 2, "out_features": 1})
    glassnet.save(model, tmp_path / "s.safetensors")
    with serialization.safe_globals([ScaledLinear]):
        back = glassnet.load(tmp_path / "s.safetensors")
    assert back.factor == 3.0
    _same_outputs(model, back, glassnet.randn(2, 2))


def test_unregistered_class_gives_one_clear_error(tmp_path, clean_safe_globals):
    glassnet.save(nn.Sequential(Unregistered()), tmp_path / "u.safetensors")
    with pytest.raises(serialization.ModuleSerializationError) as info:
        glassnet.load(tmp_path / "u.safetensors")
    msg = str(info.value)
    assert "Unregistered" in msg and "add_safe_globals([Unregistered])" in msg
    assert "state_dict" in msg


def test_unencodable_constructor_argument_is_refused_at_save(tmp_path):
    class WithFn(nn.Module):
        def __init__(self, fn):
            super().__init__()
            self.fn = fn

    with pytest.raises(serialization.ModuleSerializationError,
                       match=r"WithFn.*argument 'fn' is a function.*state_dict"):
        glassnet.save(nn.Sequential(WithFn(lambda x: x)), tmp_path / "fn.safetensors")
    assert not list(tmp_path.iterdir())


def _rewrite_tree(src, dst, edit):
    tensors, metadata = serialization._read(str(src))
    doc = json.loads(metadata["glassnet.module"])
    edit(doc)
    metadata["glassnet.module"] = json.dumps(doc)
    with open(dst, "wb") as f:
        serialization._write(f, tensors, metadata)


@pytest.mark.parametrize("path", ["os.system", "subprocess.Popen", "builtins.eval",
                                  "glassnet.serialization.os.system",
                                  "glassnet.__main__.main", "evil_pkg_for_glassnet.Boom"])
def test_crafted_class_path_is_refused_before_any_import(tmp_path, monkeypatch, path):
    import importlib
    import sys

    # a module that would leave a marker file if it were ever imported
    pkg = tmp_path / "site"
    pkg.mkdir()
    marker = tmp_path / "imported"
    (pkg / "evil_pkg_for_glassnet.py").write_text(
        f"open({str(marker)!r}, 'w').close()\nclass Boom: pass\n")
    monkeypatch.syspath_prepend(str(pkg))
    imported = []
    real_import = importlib.import_module
    monkeypatch.setattr(importlib, "import_module",
                        lambda name, *a: imported.append(name) or real_import(name, *a))
    glassnet.save(nn.Linear(2, 2), tmp_path / "ok.safetensors")

    def edit(doc):
        doc["modules"][0]["class"] = path

    _rewrite_tree(tmp_path / "ok.safetensors", tmp_path / "evil.safetensors", edit)
    with pytest.raises(serialization.ModuleSerializationError, match="not allowed"):
        glassnet.load(tmp_path / "evil.safetensors")
    assert not marker.exists() and "evil_pkg_for_glassnet" not in sys.modules
    assert all(name.startswith("glassnet") and "__main__" not in name for name in imported)


def test_crafted_class_tag_in_arguments_is_refused(tmp_path):
    glassnet.save(nn.Sequential(nn.Linear(2, 2)), tmp_path / "ok.safetensors")

    def edit(doc):
        doc["modules"][0]["args"] = [{"$class": "subprocess.Popen"}]

    _rewrite_tree(tmp_path / "ok.safetensors", tmp_path / "evil.safetensors", edit)
    with pytest.raises(serialization.ModuleSerializationError, match="subprocess.Popen"):
        glassnet.load(tmp_path / "evil.safetensors")


@pytest.mark.parametrize("cut", [7, 100, -3])
def test_truncated_module_file_raises_value_error(tmp_path, cut):
    path = tmp_path / "m.safetensors"
    glassnet.save(nn.Sequential(nn.Linear(3, 2), nn.ReLU()), path)
    data = path.read_bytes()
    path.write_bytes(data[:cut])
    with pytest.raises(ValueError, match="m.safetensors is not a valid safetensors"):
        glassnet.load(path)


def test_corrupt_module_tree_raises_value_error(tmp_path):
    glassnet.save(nn.Sequential(nn.Linear(3, 2)), tmp_path / "ok.safetensors")

    def cycle(doc):
        doc["modules"][0]["args"] = [{"$module": 0}]

    _rewrite_tree(tmp_path / "ok.safetensors", tmp_path / "bad.safetensors", cycle)
    with pytest.raises(ValueError, match="cycle"):
        glassnet.load(tmp_path / "bad.safetensors")


def test_tensor_and_dtype_constructor_arguments_round_trip(tmp_path):
    weight = glassnet.tensor([1.0, 2.0, 0.5])
    model = nn.Sequential(nn.Linear(2, 3, dtype=glassnet.float64),
                          nn.CrossEntropyLoss(weight=weight, label_smoothing=0.1))
    glassnet.save(model, tmp_path / "w.safetensors")
    back = glassnet.load(tmp_path / "w.safetensors", weights_only=False)
    assert back[0].weight.dtype == glassnet.float64
    logits, target = glassnet.randn(4, 3), glassnet.tensor([0, 2, 1, 2])
    assert back[1](logits, target).item() == model[1](logits, target).item()
    with pytest.raises(TypeError, match="weights_only must be a bool or None"):
        glassnet.load(tmp_path / "w.safetensors", weights_only="yes")


def test_training_flags_restored_per_module(tmp_path):
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5), nn.BatchNorm1d(2))
    model[2].eval()
    glassnet.save(model, tmp_path / "t.safetensors")
    back = glassnet.load(tmp_path / "t.safetensors")
    assert [m.training for m in back.modules()] == [True, True, True, False]
    model.eval()
    glassnet.save(model, tmp_path / "t.safetensors")
    assert not any(m.training for m in glassnet.load(tmp_path / "t.safetensors").modules())


def test_lazy_modules_round_trip_before_and_after_materialisation(tmp_path):
    model = nn.Sequential(nn.LazyConv2d(3, 3), nn.LazyBatchNorm2d(momentum=0.3),
                          nn.Flatten(), nn.LazyLinear(2))
    glassnet.save(model, tmp_path / "lazy.safetensors")
    back = glassnet.load(tmp_path / "lazy.safetensors")
    assert type(back[3]) is nn.LazyLinear and back[3].has_uninitialized_params()
    assert repr(back) == repr(model) and back[1].momentum == 0.3
    model(glassnet.randn(2, 2, 5, 5))
    model.eval()
    glassnet.save(model, tmp_path / "lazy.safetensors")
    back = glassnet.load(tmp_path / "lazy.safetensors")
    assert type(back[0]) is nn.Conv2d and type(back[3]) is nn.Linear
    assert type(back[1]) is nn.BatchNorm2d
    assert repr(back) == repr(model)
    _same_outputs(model, back, glassnet.randn(2, 2, 5, 5))


def test_data_parallel_and_padding_modules_round_trip(tmp_path):
    model = nn.DataParallel(nn.Sequential(nn.ReflectionPad2d((1, 0, 2, 1)),
                                          nn.Conv2d(1, 2, 3), nn.ConstantPad1d(1, -2.0)))
    glassnet.save(model, tmp_path / "dp.safetensors")
    back = glassnet.load(tmp_path / "dp.safetensors")
    assert type(back) is nn.DataParallel and repr(back) == repr(model)
    _same_outputs(model, back, glassnet.randn(1, 1, 5, 4))


def test_save_removes_temp_files_left_by_killed_saves(tmp_path):
    # issue 12 item 8: every SIGKILL during a save left a hidden temp file behind
    import subprocess
    import sys

    path = tmp_path / "model.safetensors"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead_pid = int(dead.stdout)  # a process that has exited
    stale = tmp_path / f".model.safetensors.{dead_pid}.abc123.tmp"
    stale.write_bytes(b"\0" * 1000)
    alive = tmp_path / f".model.safetensors.{os.getppid()}.def456.tmp"  # a live writer
    alive.write_bytes(b"\0" * 10)
    other = tmp_path / f".other.safetensors.{dead_pid}.x.tmp"  # another file's temp
    other.write_bytes(b"\0")
    glassnet.save({"w": glassnet.ones(3)}, path)
    assert not stale.exists()
    assert alive.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [alive.name, other.name, "model.safetensors"])
    np.testing.assert_array_equal(glassnet.load(path)["w"].numpy(), np.ones(3, np.float32))


def test_a_save_killed_mid_write_leaves_the_previous_file_loadable(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    path = tmp_path / "ckpt.safetensors"
    glassnet.save({"w": glassnet.zeros(4)}, path)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = ("import glassnet, numpy as np, sys\n"
            "big = {f'w{i}': glassnet.tensor(np.ones(2_000_000, np.float32)) for i in range(40)}\n"
            "print('ready', flush=True)\n"
            "while True:\n"
            f"    glassnet.save(big, {str(path)!r})\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        x for x in (root, os.environ.get("PYTHONPATH")) if x))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env=env)
    assert proc.stdout.readline().strip() == "ready"
    deadline = time.time() + 60
    while time.time() < deadline and not any(p.name.endswith(".tmp")
                                             for p in tmp_path.iterdir()):
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    got = glassnet.load(path)  # the old file or a complete new one, never a torn one
    assert set(got) in ({"w"}, {f"w{i}" for i in range(40)})
    leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    glassnet.save({"w": glassnet.ones(4)}, path)  # the next save cleans the dead writer's
    assert all(not p.exists() for p in leftovers)
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.safetensors"]
