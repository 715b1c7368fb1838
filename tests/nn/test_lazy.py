"""Lazy modules against torch: repr before the first forward, in-place materialisation,
outputs and gradients after copying torch's weights in (the torch docs' recipe), an
optimizer built before the first forward, ``load_state_dict`` into a lazy module."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet
import glassnet.nn as nn
from glassnet.nn.parameter import UninitializedBuffer, UninitializedParameter

torch = pytest.importorskip("torch")
tnn = torch.nn


def _copy_from_torch(gmodel, tmodel):
    gmodel.load_state_dict({k: v.detach().numpy() for k, v in tmodel.state_dict().items()})


CASES = [
    ("LazyLinear", lambda m: m.LazyLinear(3), (1, 5)),
    ("LazyLinear-nobias-3d", lambda m: m.LazyLinear(4, bias=False), (2, 3, 7)),
    ("LazyConv1d", lambda m: m.LazyConv1d(4, 3, stride=2, padding=1), (2, 3, 9)),
    ("LazyConv1d-unbatched", lambda m: m.LazyConv1d(2, 2), (3, 7)),
    ("LazyConv2d", lambda m: m.LazyConv2d(6, 3, padding=1, groups=2), (1, 4, 5, 7)),
    ("LazyConv2d-reflect", lambda m: m.LazyConv2d(3, (2, 3), padding_mode="reflect",
                                                  padding=1), (2, 3, 5, 5)),
    ("LazyConvTranspose2d", lambda m: m.LazyConvTranspose2d(3, 3, stride=2,
                                                            output_padding=1), (2, 4, 3, 5)),
    ("LazyBatchNorm1d", lambda m: m.LazyBatchNorm1d(), (4, 3)),
    ("LazyBatchNorm1d-3d", lambda m: m.LazyBatchNorm1d(momentum=None), (4, 3, 5)),
    ("LazyBatchNorm2d", lambda m: m.LazyBatchNorm2d(affine=False), (3, 2, 3, 5)),
    ("LazyInstanceNorm2d", lambda m: m.LazyInstanceNorm2d(), (2, 3, 4, 5)),
    ("LazyConv3d", lambda m: m.LazyConv3d(4, 2, stride=(1, 2, 1), padding=1), (1, 3, 3, 4, 5)),
    ("LazyConvTranspose1d", lambda m: m.LazyConvTranspose1d(3, 3, stride=2), (2, 4, 5)),
    ("LazyConvTranspose3d", lambda m: m.LazyConvTranspose3d(2, 2, stride=2), (1, 3, 2, 3, 2)),
    ("LazyBatchNorm3d", lambda m: m.LazyBatchNorm3d(), (2, 3, 2, 3, 2)),
    ("LazyInstanceNorm1d", lambda m: m.LazyInstanceNorm1d(), (2, 3, 7)),
    ("LazyInstanceNorm3d", lambda m: m.LazyInstanceNorm3d(affine=False), (2, 3, 2, 3, 4)),
]


@pytest.mark.parametrize("name,make,shape", CASES, ids=[c[0] for c in CASES])
def test_lazy_module_matches_torch_after_dry_run(name, make, shape):
    rng = np.random.default_rng(0)
    g, t = make(nn), make(tnn)
    assert repr(g) == repr(t)
    assert g.has_uninitialized_params()
    params_before = [id(p) for p in g.parameters()]
    dry = rng.standard_normal(shape).astype(np.float32)
    g(glassnet.tensor(dry))
    t(torch.tensor(dry))
    # materialised in place: same objects, now plain Parameters of the non-lazy class
    assert [id(p) for p in g.parameters()] == params_before
    assert all(type(p) is nn.Parameter for p in g.parameters())
    assert type(g).__name__ == type(t).__name__ == name.split("-")[0][4:]
    assert repr(g) == repr(t)
    _copy_from_torch(g, t)
    x = rng.standard_normal(shape).astype(np.float32)
    gx = glassnet.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    gy, ty = g(gx), t(tx)
    np.testing.assert_allclose(gy.detach().numpy(), ty.detach().numpy(), rtol=1e-5,
                               atol=1e-5)
    grad = rng.standard_normal(ty.shape).astype(np.float32)
    gy.backward(glassnet.tensor(grad))
    ty.backward(torch.tensor(grad))
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-5)
    tparams = dict(t.named_parameters())
    for k, p in g.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tparams[k].grad.numpy(), rtol=1e-4,
                                   atol=1e-4)
    for k, b in t.named_buffers():
        np.testing.assert_allclose(g.get_buffer(k).numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


def test_materialised_parameters_use_the_non_lazy_default_init():
    glassnet.manual_seed(3)
    lazy = nn.LazyLinear(5)
    lazy(glassnet.randn(2, 40))
    bound = 1 / np.sqrt(40)
    w, b = lazy.weight.detach().numpy(), lazy.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert w.std() > bound / 3  # uniform(-bound, bound) has std bound / sqrt(3)
    bn = nn.LazyBatchNorm2d()
    bn.eval()
    bn.initialize_parameters(glassnet.zeros(1, 3, 2, 2))
    np.testing.assert_array_equal(bn.weight.detach().numpy(), np.ones(3, np.float32))
    np.testing.assert_array_equal(bn.bias.detach().numpy(), np.zeros(3, np.float32))
    np.testing.assert_array_equal(bn.running_var.numpy(), np.ones(3, np.float32))
    assert type(bn) is nn.LazyBatchNorm2d  # the class changes in the forward hook only


@pytest.mark.parametrize("opt_name,kwargs", [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)), ("Adam", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)), ("RMSprop", dict(lr=0.01, momentum=0.5)),
    ("Adadelta", dict(lr=0.5)), ("NAdam", dict(lr=0.01)), ("Adamax", dict(lr=0.01)),
])
def test_optimizer_built_before_first_forward_trains_as_torch(opt_name, kwargs):
    rng = np.random.default_rng(1)

    def build(m):
        # NOTE: no bias right before a batch norm: its gradient is ~0, and Adam turns
        # that rounding noise into lr-sized steps of either sign.
        return m.Sequential(m.LazyBatchNorm2d(), m.LazyConv2d(4, 3), m.ReLU(), m.Flatten(),
                            m.LazyLinear(3))

    g, t = build(nn), build(tnn)
    gopt = getattr(glassnet.optim, opt_name)(g.parameters(), **kwargs)
    topt = getattr(torch.optim, opt_name)(t.parameters(), **kwargs)
    x = rng.standard_normal((4, 2, 6, 6)).astype(np.float32)
    target = rng.integers(0, 3, 4)
    with glassnet.no_grad():
        g(glassnet.tensor(x))
    with torch.no_grad():
        t(torch.tensor(x))
    _copy_from_torch(g, t)
    for _ in range(4):
        gopt.zero_grad()
        topt.zero_grad()
        gl = nn.functional.cross_entropy(g(glassnet.tensor(x)), glassnet.tensor(target))
        tl = tnn.functional.cross_entropy(t(torch.tensor(x)), torch.tensor(target))
        gl.backward()
        tl.backward()
        gopt.step()
        topt.step()
        np.testing.assert_allclose(gl.item(), tl.item(), rtol=1e-4)
    tparams = dict(t.named_parameters())
    for k, p in g.named_parameters():
        np.testing.assert_allclose(p.detach().numpy(), tparams[k].detach().numpy(),
                                   rtol=1e-3, atol=1e-4)


def test_adagrad_accepts_uninitialised_parameters_and_creates_state_after_forward():
    lazy = nn.LazyLinear(2)
    opt = glassnet.optim.Adagrad(lazy.parameters(), lr=0.5, initial_accumulator_value=0.1)
    assert len(opt.state) == 0
    lazy(glassnet.ones(1, 3)).sum().backward()
    opt.step()
    np.testing.assert_allclose(opt.state[lazy.weight]["sum"].numpy(),
                               np.full((2, 3), 1.1, np.float32))


def test_dcgan_weights_init_applies_after_dry_run():
    def weights_init(m):
        classname = m.__class__.__name__
        if classname.find("Conv") != -1:
            nn.init.normal_(m.weight.data, 0.0, 0.02)
        elif classname.find("BatchNorm") != -1:
            nn.init.normal_(m.weight.data, 1.0, 0.02)
            nn.init.constant_(m.bias.data, 0)

    net = nn.Sequential(nn.LazyConvTranspose2d(64, 4, 1, 0, bias=False), nn.LazyBatchNorm2d(),
                        nn.ReLU(), nn.LazyConv2d(8, 3, bias=False))
    net(glassnet.randn(2, 16, 1, 1))
    net.apply(weights_init)
    w0, w3 = net[0].weight.detach().numpy(), net[3].weight.detach().numpy()
    assert w0.shape == (16, 64, 4, 4) and w3.shape == (8, 64, 3, 3)
    assert abs(w0.std() - 0.02) < 0.002 and abs(w3.std() - 0.02) < 0.002
    assert abs(net[1].weight.detach().numpy().mean() - 1.0) < 0.01
    np.testing.assert_array_equal(net[1].bias.detach().numpy(), np.zeros(64, np.float32))


def test_state_dict_of_uninitialised_module_holds_uninitialised_parameters():
    g, t = nn.LazyLinear(3), tnn.LazyLinear(3)
    gsd, tsd = g.state_dict(), t.state_dict()
    assert list(gsd) == list(tsd) == ["weight", "bias"]
    assert all(type(v) is UninitializedParameter for v in gsd.values())
    bn = nn.LazyBatchNorm1d().state_dict()
    assert type(bn["running_mean"]) is UninitializedBuffer
    assert bn["num_batches_tracked"].item() == 0
    # lazy into lazy loads (nothing to copy); the module stays lazy
    other = nn.LazyLinear(3)
    other.load_state_dict(gsd)
    assert other.has_uninitialized_params()


def test_load_state_dict_into_lazy_module_materialises_from_the_loaded_shapes():
    src = nn.Conv2d(6, 4, 3, groups=2)
    lazy = nn.LazyConv2d(4, 3, groups=2)
    weight = lazy.weight
    lazy.load_state_dict(src.state_dict())
    assert lazy.weight is weight and tuple(weight.shape) == (4, 3, 3, 3)
    assert lazy.in_channels == 6
    np.testing.assert_array_equal(weight.detach().numpy(), src.weight.detach().numpy())
    x = glassnet.randn(1, 6, 5, 5)
    np.testing.assert_allclose(lazy(x).detach().numpy(), src(x).detach().numpy(), rtol=1e-6)
    assert type(lazy) is nn.Conv2d


def test_load_initialised_lazy_state_into_initialised_module_is_refused():
    target = nn.Linear(3, 2)
    with pytest.raises(nn.StateDictError, match="uninitialised"):
        target.load_state_dict(nn.LazyLinear(2).state_dict())


def test_ops_on_uninitialised_parameter_raise_clear_error():
    lazy = nn.LazyLinear(3)
    with pytest.raises(ValueError, match="has not been initialised; run a forward pass first"):
        lazy.weight + 1
    with pytest.raises(ValueError, match="has not been initialised"):
        nn.functional.linear(glassnet.ones(2, 2), lazy.weight)
    with pytest.raises(RuntimeError, match="shape of an uninitialized parameter"):
        lazy.weight.shape
    assert repr(lazy.weight) == repr(tnn.LazyLinear(3).weight) == "<UninitializedParameter>"
    assert lazy.weight.dtype == glassnet.float32 and lazy.weight.requires_grad


def test_uninitialised_parameter_materialize_keeps_identity_and_dtype():
    p = UninitializedParameter(dtype=glassnet.float64)
    b = UninitializedBuffer()
    assert isinstance(p, nn.Parameter) and not b.requires_grad
    p.materialize((2, 3))
    b.materialize(4)
    assert type(p) is nn.Parameter and p.dtype == glassnet.float64
    assert type(b) is glassnet.Tensor and tuple(b.shape) == (4,)
    with pytest.raises(ValueError, match="non-negative"):
        UninitializedParameter().materialize((2, -1))


def test_module_to_before_materialisation_sets_the_parameter_dtype():
    lazy = nn.LazyLinear(2).double()
    out = lazy(glassnet.ones(1, 3, dtype=glassnet.float64))
    assert lazy.weight.dtype == glassnet.float64 and out.dtype == glassnet.float64


def test_lazy_conv_rejects_wrong_input_rank_and_groups():
    with pytest.raises(ValueError, match=r"expected 3D \(unbatched\) or 4D \(batched\)"):
        nn.LazyConv2d(4, 3)(glassnet.ones(2, 3))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.LazyConv2d(4, 1, groups=2)(glassnet.ones(1, 3, 2, 2))
