"""Tests of nn.Module and nn.Parameter: registration, names, state_dict, hooks, repr."""
from collections import OrderedDict

import numpy as np
import pytest

import glassnet
import glassnet.nn as nn
from glassnet.nn import StateDictError

torch = pytest.importorskip("torch")
tnn = torch.nn


# ---------------------------------------------------------------------------
# Twin models built the same way in glassnet and torch
# ---------------------------------------------------------------------------
def _block(m, cin, cout):
    return m.Sequential(m.Conv2d(cin, cout, 3, padding=1, bias=False), m.BatchNorm2d(cout),
                        m.ReLU())


def make_model(m):
    """A nested model using every container, a shared parameter and a None child."""

    class Net(m.Module):
        def __init__(self):
            super().__init__()
            self.features = m.Sequential(OrderedDict([
                ("stem", _block(m, 3, 4)),
                ("pool", m.MaxPool2d(2)),
            ]))
            self.blocks = m.ModuleList([_block(m, 4, 4) for _ in range(2)])
            self.heads = m.ModuleDict({"cls": m.Linear(4, 3), "box": m.Linear(4, 2)})
            self.tied = m.Linear(4, 3)
            self.tied.weight = self.heads["cls"].weight  # shared parameter
            self.scale = m.Parameter(torch.ones(1) if m is tnn else glassnet.ones(1))
            self.register_buffer("steps", torch.zeros(2) if m is tnn else glassnet.zeros(2))
            self.register_buffer("cache", torch.zeros(1) if m is tnn else glassnet.zeros(1),
                                 persistent=False)
            self.unused = None

        def forward(self, x):
            return x

    return Net()


def test_named_parameters_match_torch_for_nested_model():
    g, t = make_model(nn), make_model(tnn)
    gp = [(n, tuple(p.shape)) for n, p in g.named_parameters()]
    tp = [(n, tuple(p.shape)) for n, p in t.named_parameters()]
    assert gp == tp
    assert "tied.weight" not in dict(gp)  # shared parameter yielded once
    assert [n for n, _ in g.named_parameters(remove_duplicate=False)] == \
        [n for n, _ in t.named_parameters(remove_duplicate=False)]
    assert [n for n, _ in g.named_parameters(recurse=False)] == ["scale"]
    assert [n for n, _ in g.named_parameters(prefix="model")] == \
        [n for n, _ in t.named_parameters(prefix="model")]
    assert len(list(g.parameters())) == len(list(t.parameters()))


def test_buffers_modules_children_match_torch():
    g, t = make_model(nn), make_model(tnn)
    assert [n for n, _ in g.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in g.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in g.named_children()] == [n for n, _ in t.named_children()]
    assert [type(c).__name__ for c in g.children()] == [type(c).__name__ for c in t.children()]
    assert len(list(g.modules())) == len(list(t.modules()))
    assert len(list(g.buffers())) == len(list(t.buffers()))


def test_state_dict_keys_match_torch_including_shared_and_bn_buffers():
    g, t = make_model(nn), make_model(tnn)
    gsd, tsd = g.state_dict(), t.state_dict()
    assert isinstance(gsd, OrderedDict)
    assert list(gsd) == list(tsd)
    assert "cache" not in gsd and "tied.weight" in gsd
    nbt = gsd["features.stem.1.num_batches_tracked"]
    assert nbt.dtype == np.int64 and nbt.shape == ()
    for k in gsd:
        assert tuple(gsd[k].shape) == tuple(tsd[k].shape), k


def test_state_dict_values_are_detached_and_share_memory():
    lin = nn.Linear(3, 2)
    sd = lin.state_dict()
    assert type(sd["weight"]) is glassnet.Tensor and not sd["weight"].requires_grad
    assert np.shares_memory(sd["weight"].data, lin.weight.data)
    kept = lin.state_dict(keep_vars=True)
    assert kept["weight"] is lin.weight


def test_state_dict_round_trip_torch_to_glassnet_and_back():
    torch.manual_seed(0)
    t = tnn.Sequential(tnn.Conv2d(3, 4, 3), tnn.BatchNorm2d(4), tnn.ReLU(), tnn.Flatten(),
                       tnn.Linear(4 * 6 * 6, 5))
    t.train()
    t(torch.randn(4, 3, 8, 8))  # move the running stats
    t.eval()
    g = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                      nn.Linear(4 * 6 * 6, 5)).eval()
    result = g.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32)
    np.testing.assert_allclose(g(glassnet.tensor(x)).data,
                               t(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-5)
    # and back: glassnet -> torch with strict=True
    t2 = tnn.Sequential(tnn.Conv2d(3, 4, 3), tnn.BatchNorm2d(4), tnn.ReLU(), tnn.Flatten(),
                        tnn.Linear(4 * 6 * 6, 5))
    t2.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                        for k, v in g.state_dict().items()})
    assert int(t2[1].num_batches_tracked) == 1


def test_load_state_dict_copies_in_place_and_casts_dtype():
    lin = nn.Linear(3, 2)
    w = lin.weight
    lin.load_state_dict({"weight": np.ones((2, 3), np.float64), "bias": glassnet.zeros(2)})
    assert lin.weight is w and w.dtype == np.float32
    np.testing.assert_array_equal(w.data, 1.0)


def test_load_state_dict_names_every_missing_unexpected_and_mismatched_key():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    sd = {"0.weight": np.zeros((2, 4), np.float32), "0.bias": np.zeros(2, np.float32),
          "2.weight": np.zeros((1, 2), np.float32), "extra": np.zeros(1, np.float32)}
    with pytest.raises(StateDictError) as exc:
        model.load_state_dict(sd)
    msg = str(exc.value)
    assert "Error(s) in loading state_dict for Sequential" in msg
    assert '"1.weight", "1.bias"' in msg
    assert '"2.weight", "extra"' in msg
    assert "size mismatch for 0.weight" in msg and "(2, 4)" in msg and "(2, 3)" in msg
    assert isinstance(exc.value, RuntimeError) and isinstance(exc.value, ValueError)


def test_load_state_dict_non_strict_returns_keys_but_still_rejects_shapes():
    model = nn.Sequential(nn.Linear(3, 2))
    res = model.load_state_dict({"0.weight": np.zeros((2, 3), np.float32), "x.y": np.ones(1)},
                                strict=False)
    assert res.missing_keys == ["0.bias"] and res.unexpected_keys == ["x.y"]
    assert res == (["0.bias"], ["x.y"])
    with pytest.raises(StateDictError, match="size mismatch for 0.bias"):
        model.load_state_dict({"0.bias": np.zeros(3, np.float32)}, strict=False)
    with pytest.raises(StateDictError, match="expected glassnet.Tensor or numpy.ndarray"):
        model.load_state_dict({"0.weight": [[0.0] * 3] * 2, "0.bias": np.zeros(2)})


def test_load_state_dict_tolerates_missing_num_batches_tracked_like_torch():
    bn = nn.BatchNorm1d(3)
    tbn = tnn.BatchNorm1d(3)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    for _ in range(3):  # three training steps: num_batches_tracked == 3 on both
        bn(glassnet.tensor(x))
        tbn(torch.from_numpy(x))
    source = nn.BatchNorm1d(3)
    with glassnet.no_grad():
        source.running_mean.fill_(0.5)
        source.running_var.fill_(2.0)
        source.weight.fill_(3.0)
    sd = {k: v for k, v in source.state_dict().items() if k != "num_batches_tracked"}
    res = bn.load_state_dict(sd)
    tres = tbn.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in sd.items()})
    assert res.missing_keys == tres.missing_keys and res.unexpected_keys == []
    for key in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_array_equal(bn.state_dict()[key].numpy(),
                                      tbn.state_dict()[key].numpy(), err_msg=key)


# ---------------------------------------------------------------------------
# Registration rules
# ---------------------------------------------------------------------------
def test_setattr_registers_parameters_buffers_and_modules():
    m = nn.Module()
    m.w = nn.Parameter(glassnet.zeros(2))
    m.register_buffer("b", glassnet.zeros(1))
    m.child = nn.Linear(1, 1)
    m.plain = glassnet.zeros(3)  # a plain Tensor attribute is not registered
    assert list(m._parameters) == ["w"] and list(m._buffers) == ["b"]
    assert list(m._modules) == ["child"] and "plain" not in m.state_dict()
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'w'"):
        m.w = glassnet.zeros(2)
    with pytest.raises(TypeError, match="as child module 'child'"):
        m.child = 3
    with pytest.raises(TypeError, match="as buffer 'b'"):
        m.b = 3
    m.w = None
    assert m.w is None and list(m.named_parameters()) == list(m.child.named_parameters(
        prefix="child"))
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("plain", glassnet.zeros(1))
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(TypeError, match="glassnet.nn.Parameter or None required"):
        m.register_parameter("q", glassnet.zeros(1))
    del m.child
    assert "child" not in m._modules
    with pytest.raises(AttributeError, match="has no attribute 'child'"):
        m.child


def test_assigning_before_init_raises():
    class Bad(nn.Module):
        def __init__(self):
            self.lin = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad()


def test_module_without_forward_raises():
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)


# ---------------------------------------------------------------------------
# Parameter
# ---------------------------------------------------------------------------
def test_parameter_shares_data_repr_and_ops_return_plain_tensors():
    t = glassnet.ones(2, 2)
    p = nn.Parameter(t)
    assert p._data is t._data and p.requires_grad and p.is_leaf
    assert repr(p).startswith("Parameter containing:\ntensor(")
    for out in (p * 2, p + p, p.sum(), p.reshape(4), p.detach(), p.exp()):
        assert type(out) is glassnet.Tensor
    (p * 3).sum().backward()
    assert type(p.grad) is glassnet.Tensor
    np.testing.assert_array_equal(p.grad.data, 3.0)
    assert not nn.Parameter(glassnet.zeros(1), requires_grad=False).requires_grad
    with pytest.raises(TypeError, match="Parameter: data must be"):
        nn.Parameter([1.0])


# ---------------------------------------------------------------------------
# Modes, gradients, dtype, apply
# ---------------------------------------------------------------------------
def test_train_eval_propagate_to_every_descendant():
    g = make_model(nn)
    assert all(m.training for m in g.modules())
    assert g.eval() is g
    assert not any(m.training for m in g.modules())
    g.blocks.train()
    assert g.blocks[1][1].training and not g.features.training
    with pytest.raises(ValueError, match="mode must be a bool"):
        g.train("yes")


def test_zero_grad_to_none_and_to_zero():
    lin = nn.Linear(3, 2)
    lin(glassnet.randn(4, 3)).sum().backward()
    assert lin.weight.grad is not None
    lin.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(lin.weight.grad.data, 0.0)
    lin.zero_grad()
    assert lin.weight.grad is None and lin.bias.grad is None


def test_requires_grad_and_apply():
    g = make_model(nn)
    g.requires_grad_(False)
    assert not any(p.requires_grad for p in g.parameters())
    seen = []
    g.features.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Conv2d", "BatchNorm2d", "ReLU", "Sequential", "MaxPool2d", "Sequential"]


def test_to_double_casts_in_place_and_keeps_integer_buffers():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    w = model[0].weight
    model(glassnet.randn(3, 2)).sum().backward()
    assert model.double() is model
    assert model[0].weight is w and w.dtype == np.float64 and w.grad.dtype == np.float64
    assert model[1].running_mean.dtype == np.float64
    assert model[1].num_batches_tracked.dtype == np.int64
    model.to(glassnet.float32)
    assert w.dtype == np.float32
    model.to("cpu")
    with pytest.raises(TypeError, match="only floating point dtypes"):
        model.to(glassnet.int64)


def test_get_submodule_and_get_parameter():
    g = make_model(nn)
    assert g.get_submodule("features.stem.0") is g.features.stem[0]
    assert g.get_parameter("heads.cls.bias") is g.heads["cls"].bias
    with pytest.raises(AttributeError):
        g.get_submodule("features.nope")


# ---------------------------------------------------------------------------
# Hooks
# ---------------------------------------------------------------------------
def test_forward_pre_hook_and_forward_hook_change_args_and_output_and_remove():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: calls.append(args) or out + 1)
    x = glassnet.ones(1, 2)
    out = lin(x)
    np.testing.assert_allclose(out.data, lin.bias.data[None] + 1, rtol=1e-6)
    assert len(calls) == 1 and np.all(calls[0][0].numpy() == 0)
    h1.remove()
    h2.remove()
    np.testing.assert_allclose(lin(x).data, (x.data @ lin.weight.data.T + lin.bias.data))
    assert len(calls) == 1


def test_forward_hooks_with_kwargs_and_prepend_order():
    class M(nn.Module):
        def forward(self, x, scale=1.0):
            return x * scale

    m = M()
    order = []
    m.register_forward_hook(lambda mod, a, out: order.append("a"))
    m.register_forward_hook(lambda mod, a, out: order.append("b"), prepend=True)
    m.register_forward_pre_hook(lambda mod, a, kw: (a, {"scale": 3.0}), with_kwargs=True)
    m.register_forward_hook(lambda mod, a, kw, out: order.append(kw["scale"]) or out,
                            with_kwargs=True)
    out = m(glassnet.ones(1), scale=2.0)
    assert out.item() == 3.0 and order == ["b", "a", 3.0]


def _hook_args_glassnet(module, inputs):
    record = {}

    def hook(mod, grad_input, grad_output):
        record["in"] = [None if g is None else g.numpy().copy() for g in grad_input]
        record["out"] = [None if g is None else g.numpy().copy() for g in grad_output]

    handle = module.register_full_backward_hook(hook)
    out = module(*inputs)
    return record, handle, out


def test_full_backward_hook_arguments_match_torch_for_linear():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    gout = rng.standard_normal((4, 2)).astype(np.float32)
    g = nn.Linear(3, 2)
    t = tnn.Linear(3, 2)
    t.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in g.state_dict().items()})

    gx = glassnet.tensor(x, requires_grad=True)
    rec, handle, out = _hook_args_glassnet(g, (gx,))
    out.backward(glassnet.tensor(gout))

    trec = {}
    t.register_full_backward_hook(lambda m, gi, go: trec.update(
        gin=[None if v is None else v.numpy().copy() for v in gi],
        gout=[None if v is None else v.numpy().copy() for v in go]))
    tx = torch.tensor(x, requires_grad=True)
    t(tx).backward(torch.tensor(gout))
    assert len(rec["in"]) == len(trec["gin"]) == 1
    np.testing.assert_allclose(rec["in"][0], trec["gin"][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rec["out"][0], trec["gout"][0], rtol=1e-6)
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)
    # removed hooks are not called any more
    handle.remove()
    rec.clear()
    g(gx).sum().backward()
    assert rec == {}


class _TwoInputs:
    """A module with two tensor inputs, a non-tensor argument and two outputs."""

    @staticmethod
    def make(m):
        class TwoInputs(m.Module):
            def forward(self, a, b, k):
                return a * b * k, a - b

        return TwoInputs()


def test_full_backward_hook_multiple_inputs_outputs_and_no_grad_input_match_torch():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3,)).astype(np.float32)
    b = rng.standard_normal((3,)).astype(np.float32)
    for b_requires_grad in (True, False):
        g = _TwoInputs.make(nn)
        ga = glassnet.tensor(a, requires_grad=True)
        gb = glassnet.tensor(b, requires_grad=b_requires_grad)
        rec, _, (o1, o2) = _hook_args_glassnet(g, (ga, gb, 2.0))
        ((o1 * 3).sum() + (o2 * o2).sum()).backward()

        t = _TwoInputs.make(tnn)
        trec = {}
        t.register_full_backward_hook(lambda m, gi, go: trec.update(
            gin=[None if v is None else v.numpy().copy() for v in gi],
            gout=[None if v is None else v.numpy().copy() for v in go]))
        ta = torch.tensor(a, requires_grad=True)
        tb = torch.tensor(b, requires_grad=b_requires_grad)
        t1, t2 = t(ta, tb, 2.0)
        ((t1 * 3).sum() + (t2 * t2).sum()).backward()

        assert len(rec["in"]) == len(trec["gin"]) == 3
        assert len(rec["out"]) == len(trec["gout"]) == 2
        for mine, theirs in zip(rec["in"] + rec["out"], trec["gin"] + trec["gout"]):
            assert (mine is None) == (theirs is None)
            if mine is not None:
                np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(ga.grad.numpy(), ta.grad.numpy(), rtol=1e-5)


def test_full_backward_hook_called_when_no_input_requires_grad():
    lin = nn.Linear(3, 2)
    x = glassnet.randn(2, 3)
    rec, _, out = _hook_args_glassnet(lin, (x,))
    out.sum().backward()
    assert rec["in"] == [None]
    # d(sum)/d(out) is all ones; the weight still gets ones^T @ x.
    np.testing.assert_array_equal(rec["out"][0], np.ones((2, 2), np.float32))
    np.testing.assert_allclose(lin.weight.grad.numpy(), np.ones((2, 2)) @ x.numpy(), rtol=1e-6)
    np.testing.assert_allclose(lin.bias.grad.numpy(), [2.0, 2.0])


def test_full_backward_hook_can_replace_grad_input():
    lin = nn.Linear(3, 2)
    lin.register_full_backward_hook(
        lambda m, gi, go: None if gi[0] is None else (gi[0] * 0 + 7,))
    x = glassnet.randn(2, 3, requires_grad=True)
    before = glassnet.randn(2, 3)
    (lin(before).sum() * 0 + lin(x).sum()).backward()
    np.testing.assert_array_equal(x.grad.data, 7.0)
    bad = nn.Linear(3, 2)
    bad.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="invalid number of grad_input"):
        bad(glassnet.randn(1, 3, requires_grad=True)).sum().backward()


def test_full_backward_pre_hook_can_replace_grad_output():
    lin = nn.Linear(3, 2)
    lin.register_full_backward_pre_hook(lambda m, go: (go[0] * 2,))
    x = glassnet.randn(4, 3, requires_grad=True)
    lin(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.ones((4, 2)) @ lin.weight.detach().numpy(),
                               rtol=1e-6)


def test_backward_hooks_inactive_under_no_grad_and_output_values_unchanged():
    lin = nn.Linear(3, 2)
    lin.register_full_backward_hook(lambda *a: None)
    x = glassnet.randn(2, 3, requires_grad=True)
    with glassnet.no_grad():
        y0 = lin(x)
    y1 = lin(x)
    np.testing.assert_array_equal(y0.data, y1.data)
    assert y0.dtype == y1.dtype == np.float32


# ---------------------------------------------------------------------------
# repr
# ---------------------------------------------------------------------------
def _repr_model(m):
    class Small(m.Module):
        def __init__(self):
            super().__init__()
            self.body = m.Sequential(
                m.Conv2d(1, 6, 5, padding=2), m.BatchNorm2d(6), m.ReLU(inplace=True),
                m.MaxPool2d(2, 2), m.Conv2d(6, 16, 3, stride=2, groups=2, bias=False,
                                            padding_mode="reflect"),
                m.Flatten(), m.Dropout(0.2), m.Linear(16, 10))
            self.layers = m.ModuleList([m.Linear(4, 4) for _ in range(3)] + [m.Tanh()])
            self.acts = m.ModuleDict({"a": m.LeakyReLU(0.2), "b": m.GELU("tanh")})
            self.norm = m.LayerNorm([4, 5], elementwise_affine=False)

        def forward(self, x):
            return x

    return Small()


def test_repr_identical_to_torch():
    assert repr(_repr_model(nn)) == repr(_repr_model(tnn))
    assert repr(nn.Module()) == repr(tnn.Module()) == "Module()"
    assert repr(nn.Linear(2, 3, bias=False)) == repr(tnn.Linear(2, 3, bias=False))


def test_full_backward_hook_unused_output_is_none_and_unused_input_zero_like_torch():
    def make(m):
        class M(m.Module):
            def forward(self, a, b):
                return a * 2, b * 3

        return M()

    results = []
    for m, lib in ((nn, glassnet), (tnn, torch)):
        mod = make(m)
        rec = {}
        mod.register_full_backward_hook(lambda _, gi, go: rec.update(
            gin=[None if g is None else np.array(g.numpy()) for g in gi],
            gout=[None if g is None else np.array(g.numpy()) for g in go]))
        a = lib.ones(3, requires_grad=True)
        b = lib.ones(3, requires_grad=True)
        o1, _ = mod(a, b)
        o1.sum().backward()
        results.append(rec)
    mine, theirs = results
    assert mine["gout"][1] is None and theirs["gout"][1] is None
    np.testing.assert_array_equal(mine["gout"][0], theirs["gout"][0])
    for x, y in zip(mine["gin"], theirs["gin"]):
        np.testing.assert_array_equal(x, y)


def test_deepcopy_gives_independent_parameters():
    import copy

    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    clone = copy.deepcopy(model)
    assert [n for n, _ in clone.named_parameters()] == [n for n, _ in model.named_parameters()]
    clone[0].weight.data[...] = 0
    assert bool((model[0].weight.data != 0).any())
    assert isinstance(clone[0].weight, nn.Parameter)
