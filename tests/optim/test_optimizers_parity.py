"""Every first-order optimizer follows torch.optim's trajectory for 100 steps (float64)."""
import numpy as np
import pytest

import glassnet as gn
from glassnet import optim

torch = pytest.importorskip("torch")

_rng = np.random.default_rng(0)
X = _rng.standard_normal((8, 3))
Y = _rng.standard_normal((8, 5))
W0 = _rng.standard_normal((5, 3))
B0 = _rng.standard_normal(5)


def _run_glassnet(name, kwargs, groups, steps, sign):
    W = gn.tensor(W0, dtype=gn.float64, requires_grad=True)
    b = gn.tensor(B0, dtype=gn.float64, requires_grad=True)
    x, y = gn.tensor(X), gn.tensor(Y)
    params = [W, b] if groups is None else [dict(params=[W], **groups[0]),
                                            dict(params=[b], **groups[1])]
    opt = getattr(optim, name)(params, **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((x @ W.T + b - y) ** 2).mean() * sign
        loss.backward()
        opt.step()
    return W.detach().numpy(), b.detach().numpy()


def _run_torch(name, kwargs, groups, steps, sign):
    W = torch.tensor(W0, requires_grad=True)
    b = torch.tensor(B0, requires_grad=True)
    x, y = torch.tensor(X), torch.tensor(Y)
    params = [W, b] if groups is None else [dict(params=[W], **groups[0]),
                                            dict(params=[b], **groups[1])]
    opt = getattr(torch.optim, name)(params, foreach=False, **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((x @ W.T + b - y) ** 2).mean() * sign
        loss.backward()
        opt.step()
    return W.detach().numpy(), b.detach().numpy()


CONFIGS = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.5, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, weight_decay=0.01, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=0.1, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.5)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, centered=True, momentum=0.5, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.1)),
    ("Adadelta", dict(maximize=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1)),
    ("Adam", dict(lr=0.05, amsgrad=True, maximize=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.05, maximize=True)),
    ("NAdam", dict(lr=0.05)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(lr=0.05, momentum_decay=0.01, maximize=True)),
    ("Adamax", dict(lr=0.05)),
    ("Adamax", dict(lr=0.05, weight_decay=0.1)),
    ("Adamax", dict(lr=0.05, maximize=True)),
]


def _id(config):
    name, kwargs = config
    return name + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("config", CONFIGS, ids=[_id(c) for c in CONFIGS])
def test_optimizer_matches_torch_for_100_steps(config):
    name, kwargs = config
    sign = -1.0 if kwargs.get("maximize") else 1.0
    W, b = _run_glassnet(name, kwargs, None, 100, sign)
    W_t, b_t = _run_torch(name, kwargs, None, 100, sign)
    # The parameters moved a lot, so agreement is not an accident of small steps.
    assert np.abs(W - W0).max() > 1e-2
    np.testing.assert_allclose(W, W_t, rtol=1e-5, atol=1e-12)
    np.testing.assert_allclose(b, b_t, rtol=1e-5, atol=1e-12)


GROUP_CONFIGS = [
    ("SGD", dict(lr=0.05, momentum=0.9), [dict(), dict(lr=0.01, nesterov=True)]),
    ("Adam", dict(lr=0.05), [dict(lr=0.01), dict(betas=(0.5, 0.9), weight_decay=0.1)]),
    ("RMSprop", dict(lr=0.01), [dict(centered=True), dict(lr=0.003, momentum=0.3)]),
    ("Adagrad", dict(lr=0.1), [dict(lr=0.2), dict()]),
    ("NAdam", dict(lr=0.05), [dict(lr=0.01), dict()]),
]


@pytest.mark.parametrize("config", GROUP_CONFIGS, ids=[c[0] for c in GROUP_CONFIGS])
def test_param_groups_with_different_options_match_torch(config):
    name, kwargs, groups = config
    W, b = _run_glassnet(name, kwargs, groups, 100, 1.0)
    W_t, b_t = _run_torch(name, kwargs, groups, 100, 1.0)
    np.testing.assert_allclose(W, W_t, rtol=1e-5, atol=1e-12)
    np.testing.assert_allclose(b, b_t, rtol=1e-5, atol=1e-12)
