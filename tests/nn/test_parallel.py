"""``nn.DataParallel`` without GPUs, against torch on this
CPU-only machine: the module runs as is, keys gain ``module.``, the repr is torch's."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet
import glassnet.nn as nn

torch = pytest.importorskip("torch")
tnn = torch.nn


def _pair():
    g = nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 2))
    t = tnn.Sequential(tnn.Linear(5, 4), tnn.ReLU(), tnn.Linear(4, 2))
    g.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return g, t


def test_data_parallel_runs_the_module_like_torch_on_cpu():
    g, t = _pair()
    gdp, tdp = nn.DataParallel(g, device_ids=[0, 1]), tnn.DataParallel(t, device_ids=[0, 1])
    assert nn.DataParallel is nn.parallel.DataParallel
    assert gdp.module is g and tdp.module is t
    assert gdp.device_ids == tdp.device_ids == []
    assert gdp.dim == 0 and gdp.output_device is None
    assert repr(gdp) == repr(tdp)
    assert list(gdp.state_dict()) == list(tdp.state_dict())
    assert list(gdp.state_dict())[0] == "module.0.weight"
    x = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    gx, tx = glassnet.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gy, ty = gdp(gx), tdp(tx)
    np.testing.assert_allclose(gy.detach().numpy(), ty.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    gy.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(g[0].weight.grad.numpy(), t[0].weight.grad.numpy(),
                               rtol=1e-5, atol=1e-7)


def test_data_parallel_checkpoint_loads_into_the_unwrapped_module():
    g, _ = _pair()
    sd = nn.DataParallel(g).state_dict()
    plain = nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 2))
    plain.load_state_dict({k[len("module."):]: v for k, v in sd.items()})
    x = glassnet.randn(2, 5)
    np.testing.assert_array_equal(plain(x).detach().numpy(), g(x).detach().numpy())


def test_data_parallel_passes_kwargs_and_trains():
    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(glassnet.ones(1))

        def forward(self, x, factor=1.0):
            return x * self.w * factor

    model = nn.DataParallel(Scale())
    opt = glassnet.optim.SGD(model.parameters(), lr=0.1)
    out = model(glassnet.tensor([2.0]), factor=3.0)
    assert out.item() == 6.0
    out.sum().backward()
    opt.step()
    assert model.module.w.item() == pytest.approx(1.0 - 0.1 * 6.0)


def test_data_parallel_rejects_non_modules():
    with pytest.raises(TypeError, match="DataParallel: module must be a glassnet.nn.Module"):
        nn.DataParallel(lambda x: x)
