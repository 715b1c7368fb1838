"""Devices: ``glassnet.device``, ``Tensor.device/.to/.cuda/.cpu``, ``device=`` on the
factories, the same-device check of every op, ``Module.to``, optimizer state placement,
``load(map_location=)`` and ``glassnet.cuda`` without a GPU.

The moves to and between CUDA devices run on the fake CUDA backend
(:mod:`glassnet.testing.fake_device`: host arrays glassnet takes for device arrays), so
every placement decision is tested without a GPU; ``tests/backend/test_cuda_*.py`` run
the same paths on a real GPU where CuPy finds one.
"""
from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import backend
from glassnet.testing.fake_device import FakeCudaArray, fake_cuda

NO_CUDA = pytest.mark.skipif(gn.cuda.is_available(),
                             reason="a CUDA device is present: the no-GPU answers differ")


# ---------------------------------------------------------------------------
# glassnet.device: torch's parsing
# ---------------------------------------------------------------------------
DEVICE_ARGS = [("cpu",), ("cuda",), ("cuda:1",), ("cuda", 0), ("cpu:0",), ("meta",),
               ("mps:0",), ("cuda:12",), ("xla", 3)]


@pytest.mark.parametrize("args", DEVICE_ARGS, ids=str)
def test_device_parses_like_torch(args):
    torch = pytest.importorskip("torch", reason="torch not installed: parity skipped")
    ours, ref = gn.device(*args), torch.device(*args)
    assert (ours.type, ours.index) == (ref.type, ref.index)
    assert str(ours) == str(ref) and repr(ours) == repr(ref)
    assert gn.device(ours) == ours and hash(gn.device(str(ours))) == hash(ours)


def test_device_values_and_equality():
    assert repr(gn.device("cpu")) == "device(type='cpu')"
    assert repr(gn.device("cuda", 1)) == "device(type='cuda', index=1)"
    assert gn.device(2) == gn.device("cuda:2")  # an ordinal is a CUDA device, as torch
    assert gn.device("cuda") != gn.device("cuda:0")  # no index is not index 0 (torch)
    assert gn.device("cuda:0") == "cuda:0" and gn.device("cpu") != "cuda"
    assert gn.device("cpu") != "not a device" and gn.device("cpu") != 3
    assert {gn.device("cuda:1"): 1}[gn.device("cuda", 1)] == 1
    with pytest.raises(AttributeError, match="read-only"):
        gn.device("cpu").index = 1


@pytest.mark.parametrize("args,exc,match", [
    (("gpu",), ValueError, "invalid device type 'gpu'"),
    (("CUDA",), ValueError, "invalid device type 'CUDA'"),
    (("",), ValueError, "must not be empty"),
    (("cuda:x",), ValueError, "device: invalid device string 'cuda:x'"),
    (("cuda:-1",), ValueError, "invalid device string 'cuda:-1'"),
    (("cuda:01",), ValueError, "invalid device string 'cuda:01'"),
    (("cuda ",), ValueError, "invalid device string 'cuda '"),
    (("cuda:0", 1), ValueError, "must not include an index"),
    (("cuda", -1), ValueError, "index must not be negative, got -1"),
    (("cuda", "1"), TypeError, "index must be an int, got str '1'"),
    ((True,), TypeError, "got bool True"),
    ((1.5,), TypeError, "got float 1.5"),
], ids=lambda v: repr(v) if isinstance(v, tuple) else "")
def test_bad_devices_raise_naming_what_was_received(args, exc, match):
    with pytest.raises(exc, match=match):
        gn.device(*args)
    torch = pytest.importorskip("torch", reason="torch not installed: parity skipped")
    with pytest.raises((RuntimeError, TypeError)):  # torch refuses each of them too
        torch.device(*args)


# ---------------------------------------------------------------------------
# Tensor.to overloads on the CPU, against torch
# ---------------------------------------------------------------------------
def _to_calls(m):
    """(args, kwargs) of .to calls, with ``m`` the module (glassnet or torch)."""
    return [((), {}), ((m.float32,), {}), (("cpu",), {}), ((None,), {}),
            ((m.device("cpu"),), {"non_blocking": True}), (("cpu", m.float32), {}),
            (("cpu",), {"copy": True}), ((m.float64,), {}), (("cpu", m.float64, True, True), {}),
            ((m.float64, True), {}), (("cpu",), {"dtype": m.int64}),
            ((), {"device": "cpu", "dtype": m.float64}), ((None, m.float64), {}),
            ((m.float32, False, True), {})]


@pytest.mark.parametrize("k", range(14))
def test_tensor_to_overloads_match_torch(k):
    torch = pytest.importorskip("torch", reason="torch not installed: parity skipped")
    x = gn.tensor([[1.5, -2.0], [3.25, 0.5]])
    tx = torch.tensor([[1.5, -2.0], [3.25, 0.5]])
    args, kwargs = _to_calls(gn)[k]
    targs, tkwargs = _to_calls(torch)[k]
    out, ref = x.to(*args, **kwargs), tx.to(*targs, **tkwargs)
    assert (out is x) == (ref is tx)
    assert str(out.dtype) == str(ref.dtype).replace("torch.", "")
    assert out.device == str(ref.device)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())


def test_tensor_to_other_tensor_takes_its_dtype_and_device():
    x, other = gn.ones(2), gn.zeros(1, dtype=gn.float64)
    assert x.to(other).dtype == gn.float64 and x.to(other).device == "cpu"
    assert x.to(x) is x


@pytest.mark.parametrize("call,match", [
    (lambda x: x.to("cpu", "cpu"), "expected to\\(device=None"),
    (lambda x: x.to(gn.float64, gn.float64), "expected to\\(device=None"),
    (lambda x: x.to(gn.ones(1), dtype=gn.float64), "to\\(tensor\\) takes its device"),
    (lambda x: x.to("cpu", device="cpu"), "multiple values for argument 'device'"),
    (lambda x: x.to(gn.float64, True, True, copy=True), "multiple values for argument 'copy'"),
    (lambda x: x.to(dtype=gn.float64, stream=1), "Tensor.to: unexpected keyword"),
    (lambda x: x.to(device=1.5), "device must be a str, an int or a glassnet.device"),
    (lambda x: x.to(dtype="cpu"), "dtype must be a glassnet dtype"),
])
def test_tensor_to_rejects_bad_combinations(call, match):
    with pytest.raises(TypeError, match=match):
        call(gn.ones(2))


def test_cpu_tensor_device_answers_match_torch():
    torch = pytest.importorskip("torch", reason="torch not installed: parity skipped")
    x, tx = gn.ones(2), torch.ones(2)
    assert (x.is_cuda, x.is_cpu, x.get_device()) == (tx.is_cuda, tx.is_cpu, tx.get_device())
    assert x.cpu() is x and tx.cpu() is tx
    assert x.device == gn.device("cpu") and str(x.device) == str(tx.device)


# ---------------------------------------------------------------------------
# Without a GPU: clear errors, and glassnet.cuda's CPU-safe answers
# ---------------------------------------------------------------------------
@NO_CUDA
@pytest.mark.parametrize("call,fn", [
    (lambda: gn.ones(2).cuda(), "Tensor.cuda"), (lambda: gn.ones(2).to("cuda:0"), "Tensor.to"),
    (lambda: gn.zeros(2, device="cuda"), "zeros"), (lambda: gn.randn(2, device=0), "randn"),
    (lambda: gn.nn.Linear(2, 2).cuda(), "Module.cuda"),
    (lambda: gn.nn.Linear(2, 2).to("cuda"), "Module.to"),
    (lambda: gn.cuda.current_device(), "cuda.current_device"),
    (lambda: gn.cuda.set_device(0), "cuda.set_device"),
])
def test_cuda_without_a_gpu_raises_runtime_error_saying_why(call, fn):
    with pytest.raises(RuntimeError, match=f"^{fn}: CUDA is not available: .*CuPy"):
        call()


def test_devices_glassnet_has_no_backend_for_are_refused():
    with pytest.raises(RuntimeError, match="Tensor.to: glassnet cannot place tensors on "
                                           "'mps' devices"):
        gn.ones(2).to("mps")
    with pytest.raises(RuntimeError, match="Tensor.cuda: invalid device, must be a cuda "
                                           "device, got cpu"):
        gn.ones(2).cuda("cpu")


@NO_CUDA
def test_glassnet_cuda_gives_torchs_answers_without_a_gpu():
    torch = pytest.importorskip("torch", reason="torch not installed: parity skipped")
    if torch.cuda.is_available():
        pytest.skip("torch sees a GPU: its no-GPU answers cannot be compared")
    for name in ("is_available", "device_count", "memory_allocated", "max_memory_allocated",
                 "memory_reserved", "empty_cache", "is_initialized"):
        assert getattr(gn.cuda, name)() == getattr(torch.cuda, name)(), name
    assert gn.cuda.manual_seed(3) is None and gn.cuda.manual_seed_all(3) is None
    assert gn.cuda.synchronize() is None and gn.cuda.reset_peak_memory_stats() is None
    with pytest.raises(TypeError, match="cuda.manual_seed: seed must be an int, got float"):
        gn.cuda.manual_seed(1.5)


# ---------------------------------------------------------------------------
# Moves on the fake CUDA backend
# ---------------------------------------------------------------------------
def test_cuda_and_cpu_move_values_and_gradients_flow_back():
    with fake_cuda() as fake:
        x = gn.tensor([[1.0, -2.0], [0.5, 4.0]], requires_grad=True)
        y = x.cuda()
        assert isinstance(y._data, FakeCudaArray) and y.device == gn.device("cuda", 0)
        assert y.is_cuda and not y.is_cpu and y.get_device() == 0
        assert y.grad_fn is not None and y.cuda() is y and y.to("cuda:0") is y
        np.testing.assert_array_equal(y.cpu().detach().numpy(), x.detach().numpy())
        ((y * y).sum() * 3).backward()
        assert x.grad.device == "cpu"
        np.testing.assert_allclose(x.grad.numpy(), 6 * x.detach().numpy())
        z = y.to("cuda:1", gn.float64)
        assert z.device == "cuda:1" and z.dtype == gn.float64
        assert ("cuda:0", "cuda:1") in fake.moves  # a peer copy, not through the host
        assert x.cuda(1).device == "cuda:1" and x.to(1).device == "cuda:1"


def test_device_tensors_refuse_numpy_and_print_their_device():
    with fake_cuda():
        y = gn.tensor([1.0, 2.0]).cuda()
        with pytest.raises(TypeError, match="numpy: can't convert cuda:0 device type tensor "
                                            "to numpy; use Tensor.cpu"):
            y.numpy()
        with pytest.raises(TypeError, match="can't convert cuda:0"):
            np.asarray(y)
        assert repr(y) == "tensor([1., 2.], device='cuda:0')"
        assert repr(y.double()) == "tensor([1., 2.], device='cuda:0', dtype=glassnet.float64)"


FACTORIES = {
    "zeros": lambda d: gn.zeros(2, 3, device=d), "ones": lambda d: gn.ones(3, device=d),
    "full": lambda d: gn.full((2,), 7, device=d), "empty": lambda d: gn.empty(2, device=d),
    "arange": lambda d: gn.arange(1, 7, 2, device=d),
    "linspace": lambda d: gn.linspace(0, 1, 5, device=d), "eye": lambda d: gn.eye(3, device=d),
    "tensor": lambda d: gn.tensor([[1, 2]], device=d),
    "as_tensor": lambda d: gn.as_tensor([1.5, 2.5], device=d),
    "rand": lambda d: gn.rand(4, device=d), "randn": lambda d: gn.randn(2, 2, device=d),
    "randint": lambda d: gn.randint(0, 9, (5,), device=d),
    "randperm": lambda d: gn.randperm(6, device=d),
    "normal": lambda d: gn.normal(0.0, 2.0, (3,), device=d),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_factories_put_the_same_values_on_the_requested_device(name):
    with fake_cuda():
        gn.manual_seed(5)
        ref = FACTORIES[name]("cpu")
        gn.manual_seed(5)  # same seed, same numbers on every device
        out = FACTORIES[name]("cuda:1")
        assert out.device == "cuda:1" and ref.device == "cpu" and out.dtype == ref.dtype
        np.testing.assert_array_equal(out.cpu().numpy(), ref.numpy())


def test_like_factories_and_new_methods_follow_their_input():
    with fake_cuda():
        x = gn.arange(6.0).reshape(2, 3).to("cuda:1")
        for out in (gn.zeros_like(x), gn.ones_like(x), gn.full_like(x, 2.0), gn.empty_like(x),
                    gn.rand_like(x), gn.randn_like(x), x.new_zeros(2), x.new_ones(2),
                    x.new_full((2,), 3.0), x.new_empty(1), x.new_tensor([1.0]),
                    gn.tensor(x), gn.normal(x, 1.0)):
            assert out.device == "cuda:1"
        assert gn.zeros_like(x, device="cpu").device == "cpu"
        assert x.new_zeros(2, device="cpu").device == "cpu"
        np.testing.assert_array_equal(gn.tensor(x).cpu().numpy(), x.cpu().numpy())
        assert gn.as_tensor(x) is x and gn.as_tensor(x, device="cpu").device == "cpu"


# ---------------------------------------------------------------------------
# One device per op
# ---------------------------------------------------------------------------
def test_mixing_devices_in_one_op_raises_naming_both():
    with fake_cuda():
        a, b = gn.ones(3).cuda(), gn.ones(3).to("cuda:1")
        with pytest.raises(RuntimeError, match="^Add: expected all tensors to be on the same "
                                               "device, but found at least two devices, "
                                               "cuda:0 and cpu"):
            a + gn.ones(3)
        with pytest.raises(RuntimeError, match="cuda:0 and cuda:1"):
            a * b
        with pytest.raises(RuntimeError, match="MatMul.*cuda:1 and cpu"):
            gn.ones(2, 3) @ gn.ones(3, 2).to("cuda:1")


def test_a_zero_dim_cpu_tensor_joins_a_device_op_as_in_torch():
    with fake_cuda():
        a = gn.tensor([1.0, 2.0]).cuda()
        out = a * gn.tensor(3.0)
        assert out.device == "cuda:0"
        np.testing.assert_array_equal(out.cpu().numpy(), [3.0, 6.0])
        s = gn.tensor(3.0, requires_grad=True)  # it would need a gradient on the CPU
        with pytest.raises(RuntimeError, match="cuda:0 and cpu"):
            a * s


def test_same_device_checker_directly():
    cpu = np.ones(3)
    with fake_cuda() as fake:
        dev = fake.from_host(np.ones(3), 1, "t")
        assert backend.same_device("op", [cpu, cpu]) == [cpu, cpu]
        moved = backend.same_device("op", [dev, np.float32(2) * np.ones(())])
        assert backend.device_of(moved[1]) == "cuda:1" and float(moved[1]) == 2.0
        with pytest.raises(RuntimeError, match="^op: .*cuda:1 and cpu"):
            backend.same_device("op", [dev, np.ones(())], movable=[True, False])
        with pytest.raises(RuntimeError, match="^op: .*cuda:1 and cpu"):
            backend.same_device("op", [cpu, dev])
        with pytest.raises(RuntimeError, match="invalid device ordinal: cuda:2 requested, "
                                               "2 cuda device"):
            backend.to_device(cpu, "cuda:2", "t")


# ---------------------------------------------------------------------------
# Modules and optimizers
# ---------------------------------------------------------------------------
def test_module_to_moves_parameters_buffers_and_grads_in_place():
    with fake_cuda():
        model = gn.nn.Sequential(gn.nn.Linear(3, 4), gn.nn.BatchNorm1d(4))
        params = list(model.parameters())
        model[0].weight.grad = gn.ones(4, 3)
        assert model.cuda(1) is model
        assert [id(p) for p in model.parameters()] == [id(p) for p in params]
        tensors = list(model.parameters()) + list(model.buffers())
        assert all(t.device == "cuda:1" for t in tensors)
        assert model[0].weight.grad.device == "cuda:1"
        model.to("cpu", gn.float64)
        assert all(t.device == "cpu" for t in tensors)
        assert model[0].weight.dtype == gn.float64 and model[0].weight.grad.dtype == gn.float64
        assert model[1].num_batches_tracked.dtype == gn.int64  # only floats are cast
        model.to(gn.zeros(1, dtype=gn.float32).cuda())
        assert model[0].bias.device == "cuda:0" and model[0].bias.dtype == gn.float32
        assert model.cpu()[0].weight.device == "cpu"
    with pytest.raises(TypeError, match="Module.to: only floating point dtypes"):
        gn.nn.Linear(2, 2).to(gn.int64)


def test_optimizer_keeps_working_after_model_to_float64_as_torch():
    torch = pytest.importorskip("torch", reason="torch not installed: parity skipped")
    gn.manual_seed(0)
    model = gn.nn.Linear(3, 2)
    tmodel = torch.nn.Linear(3, 2)
    with torch.no_grad():
        tmodel.weight.copy_(torch.from_numpy(model.weight.detach().numpy()))
        tmodel.bias.copy_(torch.from_numpy(model.bias.detach().numpy()))
    opt = gn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.1, momentum=0.9)
    model.to(gn.float64)
    tmodel.to(torch.float64)
    x = np.linspace(-1, 1, 12).reshape(4, 3)
    for _ in range(2):
        for m, o, t in ((model, opt, gn), (tmodel, topt, torch)):
            o.zero_grad()
            (m(t.from_numpy(x)) ** 2).sum().backward()
            o.step()
    assert opt.param_groups[0]["params"][0] is model.weight
    assert model.weight.dtype == gn.float64
    np.testing.assert_allclose(model.weight.detach().numpy(), tmodel.weight.detach().numpy(),
                               rtol=1e-12, atol=1e-12)


def test_optimizer_state_lives_on_its_parameters_device():
    with fake_cuda():
        model = gn.nn.Linear(3, 2)
        src = gn.optim.Adam(model.parameters(), lr=0.01)
        for p in model.parameters():
            p.grad = gn.ones_like(p)
        src.step()
        saved = src.state_dict()
        model.cuda().double()
        for p in model.parameters():
            p.grad = gn.ones_like(p)
        opt = gn.optim.Adam(model.parameters(), lr=0.01)
        opt.load_state_dict(saved)
        state = opt.state[model.weight]
        assert state["exp_avg"].device == "cuda:0" and state["exp_avg"].dtype == gn.float64
        assert state["step"].device == "cpu"  # torch keeps the step counter on the host
        np.testing.assert_allclose(state["exp_avg"].cpu().numpy(),
                                   src.state[model.weight]["exp_avg"].numpy())
        opt.step()
        assert model.weight.device == "cuda:0" and state["exp_avg_sq"].device == "cuda:0"
        fresh = gn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        fresh.step()
        assert fresh.state[model.weight]["momentum_buffer"].device == "cuda:0"


def test_dataloader_accepts_pin_memory():
    ds = gn.utils.data.TensorDataset(gn.arange(10.0).reshape(5, 2), gn.arange(5))
    pinned = list(gn.utils.data.DataLoader(ds, batch_size=2, pin_memory=True))
    plain = list(gn.utils.data.DataLoader(ds, batch_size=2))
    assert len(pinned) == len(plain) == 3
    for (x, y), (px, py) in zip(plain, pinned):
        np.testing.assert_array_equal(px.numpy(), x.numpy())
        np.testing.assert_array_equal(py.numpy(), y.numpy())


# ---------------------------------------------------------------------------
# Checkpoints: host arrays in the file, map_location on load
# ---------------------------------------------------------------------------
def _saved_on_two_devices(path):
    state = {"a": gn.tensor([1.0, 2.0]).cuda(0), "b": gn.arange(3).to("cuda:1"),
             "c": gn.tensor([5.0])}
    gn.save(state, path)
    return state


def test_save_writes_host_arrays_and_load_puts_them_back_where_they_were(tmp_path):
    path = tmp_path / "s.safetensors"
    with fake_cuda():
        _saved_on_two_devices(path)
        back = gn.load(path)
        assert {k: str(v.device) for k, v in back.items()} == {
            "a": "cuda:0", "b": "cuda:1", "c": "cpu"}
        np.testing.assert_array_equal(back["b"].cpu().numpy(), [0, 1, 2])
    safetensors = pytest.importorskip("safetensors.numpy", reason="safetensors not installed")
    raw = safetensors.load_file(str(path))  # a plain safetensors file of host arrays
    np.testing.assert_array_equal(raw["a"], [1.0, 2.0])


@pytest.mark.parametrize("map_location,expected", [
    ("cpu", {"a": "cpu", "b": "cpu", "c": "cpu"}),
    (gn.device("cuda", 1), {"a": "cuda:1", "b": "cuda:1", "c": "cuda:1"}),
    ({"cuda:1": "cuda:0"}, {"a": "cuda:0", "b": "cuda:0", "c": "cpu"}),
    ({"cpu": "cuda:1", "cuda:0": "cpu"}, {"a": "cpu", "b": "cuda:1", "c": "cuda:1"}),
    (lambda t, loc: t, {"a": "cpu", "b": "cpu", "c": "cpu"}),
    (lambda t, loc: None, {"a": "cuda:0", "b": "cuda:1", "c": "cpu"}),
    (lambda t, loc: t.cuda(1) if loc == "cpu" else None,
     {"a": "cuda:0", "b": "cuda:1", "c": "cuda:1"}),
], ids=["str", "device", "dict", "dict-cpu", "callable-host", "callable-none", "callable"])
def test_load_map_location_follows_torch(tmp_path, map_location, expected):
    path = tmp_path / "s.safetensors"
    with fake_cuda():
        state = _saved_on_two_devices(path)
        back = gn.load(path, map_location=map_location)
        assert {k: str(v.device) for k, v in back.items()} == expected
        for k in state:
            np.testing.assert_array_equal(back[k].cpu().numpy(), state[k].cpu().numpy())


def test_loading_a_cuda_checkpoint_without_cuda_asks_for_map_location(tmp_path):
    path = tmp_path / "s.safetensors"
    with fake_cuda():
        _saved_on_two_devices(path)
    with fake_cuda(device_count=0):
        with pytest.raises(RuntimeError, match="saved on a CUDA device but "
                                               "glassnet.cuda.is_available\\(\\) is False.*"
                                               "map_location='cpu'"):
            gn.load(path)
        back = gn.load(path, map_location="cpu")
        assert all(v.device == "cpu" for v in back.values())


def test_modules_and_nested_objects_are_placed_too(tmp_path):
    with fake_cuda():
        model = gn.nn.Linear(2, 3).cuda()
        gn.save(model, tmp_path / "m.safetensors")
        gn.save({"model": model.state_dict(), "step": 3}, tmp_path / "n.safetensors")
        loaded = gn.load(tmp_path / "m.safetensors")
        assert loaded.weight.device == "cuda:0" and isinstance(loaded.weight, gn.nn.Parameter)
        nested = gn.load(tmp_path / "n.safetensors", map_location={"cuda:0": "cuda:1"})
        assert nested["model"]["bias"].device == "cuda:1" and nested["step"] == 3
        np.testing.assert_array_equal(loaded.weight.detach().cpu().numpy(),
                                      model.weight.detach().cpu().numpy())


def test_a_cpu_checkpoint_records_no_devices(tmp_path):
    path = tmp_path / "s.safetensors"
    gn.save({"w": gn.ones(2)}, path)
    assert b"glassnet.devices" not in path.read_bytes()


@pytest.mark.parametrize("bad,exc,match", [
    (1.5, TypeError, "map_location must be None, a device"),
    ("gpu", ValueError, "invalid device type 'gpu'"),
    ({"cuda:0": 1.5}, TypeError, "map_location dict values must be device strings"),
])
def test_bad_map_locations_are_refused(tmp_path, bad, exc, match):
    path = tmp_path / "s.safetensors"
    gn.save({"w": gn.ones(2)}, path)
    with pytest.raises(exc, match=match):
        gn.load(path, map_location=bad)


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------
@NO_CUDA
@pytest.mark.parametrize("command", ["train", "bench"])
def test_cli_device_cuda_without_a_gpu_fails_clearly(command, capsys):
    from glassnet.cli.main import main

    extra = ["--epochs", "1"] if command == "train" else ["--quick", "--only", "add"]
    assert main([command, "--device", "cuda", *extra]) == 2
    err = capsys.readouterr().err
    assert f"glassnet {command}: error: --device cuda: " in err and "CUDA is not available" in err
    assert main([command, "--device", "gpu", *extra]) == 2
    assert "invalid device type 'gpu'" in capsys.readouterr().err


def test_layers_built_with_a_device_live_there_and_save_without_it(tmp_path):
    with fake_cuda():
        layers = [gn.nn.Linear(2, 3, device="cuda:1"), gn.nn.Linear(2, 3, True, "cuda:1"),
                  gn.nn.Conv2d(1, 2, 3, device=gn.device("cuda", 1)),
                  gn.nn.BatchNorm2d(3, device="cuda:1")]
        for layer in layers:
            assert all(t.device == "cuda:1" for t in [*layer.parameters(), *layer.buffers()])
        gn.save(layers[0], tmp_path / "l.safetensors")
        assert layers[0]._init_args[2] == {} and layers[1]._init_args[1] == (2, 3, True, None)
    with fake_cuda(device_count=0):  # no GPU: the saved layer still loads on the CPU
        back = gn.load(tmp_path / "l.safetensors", map_location="cpu")
        assert back.weight.device == "cpu"
        np.testing.assert_array_equal(back.weight.detach().numpy(),
                                      layers[0].weight.detach().cpu().numpy())
        with pytest.raises(RuntimeError, match="^Linear: CUDA is not available"):
            gn.nn.Linear(2, 3, device="cuda")


def test_accelerator_is_cuda_when_cuda_is_available():
    with fake_cuda():
        assert gn.accelerator.is_available() and gn.accelerator.device_count() == 2
        assert gn.accelerator.current_accelerator() == gn.device("cuda")
    with fake_cuda(device_count=0):
        assert not gn.accelerator.is_available()
        assert gn.accelerator.current_accelerator() is None


def test_trainer_on_a_device_moves_batches_and_matches_the_cpu_run():
    from glassnet.train import Trainer

    def run(where):
        gn.manual_seed(0)
        model = gn.nn.Linear(4, 3).to(where)
        gen = np.random.default_rng(1)
        ds = gn.utils.data.TensorDataset(gn.from_numpy(gen.standard_normal((20, 4), "f4")),
                                         gn.from_numpy(gen.integers(0, 3, 20)))
        loader = gn.utils.data.DataLoader(ds, batch_size=5)
        opt = gn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        history = Trainer(model, opt, loader, loader, progress=False, device=where).fit(2)
        return model, history

    with fake_cuda():
        model, on_device = run("cuda")
        assert model.weight.device == "cuda:0"
        _, on_cpu = run("cpu")
    for key in ("train_loss", "train_accuracy", "val_loss", "val_accuracy"):
        assert [h[key] for h in on_device] == pytest.approx([h[key] for h in on_cpu],
                                                            rel=1e-6), key


def test_cuda_array_interface_only_on_cuda_tensors():
    torch = pytest.importorskip("torch", reason="torch not installed: parity skipped")
    assert not hasattr(gn.ones(2), "__cuda_array_interface__")
    assert not hasattr(torch.ones(2), "__cuda_array_interface__")


def test_a_corrupt_devices_record_is_reported(tmp_path):
    safetensors = pytest.importorskip("safetensors.numpy", reason="safetensors not installed")
    path = tmp_path / "s.safetensors"
    safetensors.save_file({"w": np.ones(2, np.float32)}, str(path),
                          metadata={"glassnet.devices": "{not json"})
    with pytest.raises(ValueError, match="'glassnet.devices' metadata is not valid JSON"):
        gn.load(path)


def test_numpy_force_copies_device_tensors_to_the_host():
    with fake_cuda():
        y = gn.tensor([1.0, 2.0], requires_grad=True).cuda()
        host = y.numpy(force=True)
        assert type(host) is np.ndarray
        np.testing.assert_array_equal(host, [1.0, 2.0])
    x = gn.tensor([3.0], requires_grad=True)
    assert x.numpy(force=True).tolist() == [3.0]
