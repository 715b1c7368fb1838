"""Optimizer base behaviour: param groups, closures, state_dict, dtypes, errors, and
hand-computed first steps on a quadratic."""
import numpy as np
import pytest

import glassnet as gn
from glassnet import optim

A = np.array([1.0, 4.0, 0.5])
X0 = np.array([1.0, -2.0, 3.0])


def _quadratic_grad(x):
    """Gradient of f(x) = 0.5 * sum(a x^2): a * x, set directly as ``.grad``."""
    x.grad = gn.tensor(A * x.detach().numpy(), dtype=x.dtype)


# -- hand-computed steps ------------------------------------------------------------
def test_sgd_momentum_first_two_steps_by_hand():
    x = gn.tensor(X0, dtype=gn.float64, requires_grad=True)
    opt = optim.SGD([x], lr=0.1, momentum=0.9, dampening=0.5)
    _quadratic_grad(x)
    opt.step()
    g0 = A * X0
    x1 = X0 - 0.1 * g0  # the buffer starts as the first gradient (no dampening)
    np.testing.assert_allclose(x.detach().numpy(), x1, rtol=1e-15)
    _quadratic_grad(x)
    opt.step()
    buf = 0.9 * g0 + 0.5 * (A * x1)
    np.testing.assert_allclose(x.detach().numpy(), x1 - 0.1 * buf, rtol=1e-15)


def test_adam_first_two_steps_by_hand():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    x = gn.tensor(X0, dtype=gn.float64, requires_grad=True)
    opt = optim.Adam([x], lr=lr)
    _quadratic_grad(x)
    opt.step()
    g0 = A * X0
    # Bias correction makes the first step lr * g / (|g| + eps): about lr per coordinate.
    x1 = X0 - lr * g0 / (np.abs(g0) + eps)
    np.testing.assert_allclose(x.detach().numpy(), x1, rtol=1e-14)
    _quadratic_grad(x)
    opt.step()
    g1 = A * x1
    m = b1 * (1 - b1) * g0 + (1 - b1) * g1
    v = b2 * (1 - b2) * g0 ** 2 + (1 - b2) * g1 ** 2
    x2 = x1 - lr / (1 - b1 ** 2) * m / (np.sqrt(v) / np.sqrt(1 - b2 ** 2) + eps)
    np.testing.assert_allclose(x.detach().numpy(), x2, rtol=1e-14)


def test_sgd_converges_on_quadratic_with_autograd():
    x = gn.tensor(X0, requires_grad=True)
    a = gn.tensor(A)
    opt = optim.SGD([x], lr=0.2, momentum=0.5)
    for _ in range(200):
        opt.zero_grad()
        loss = (0.5 * a * x * x).sum()
        loss.backward()
        opt.step()
    assert np.abs(x.detach().numpy()).max() < 1e-5


# -- step(), closure, zero_grad ---------------------------------------------------------
def test_step_with_closure_returns_loss_and_enables_grad():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([x], lr=0.1)
    modes = []

    def closure():
        modes.append(gn.is_grad_enabled())
        opt.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        return loss

    with gn.no_grad():
        loss = opt.step(closure)
    assert modes == [True]
    assert loss.item() == pytest.approx(5.0)
    np.testing.assert_allclose(x.detach().numpy(), [0.8, 1.6], rtol=1e-6)
    assert opt.step() is None


def test_zero_grad_set_to_none_or_zero():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([x], lr=0.1)
    (x * x).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert x.grad is not None and not x.grad.numpy().any()
    opt.zero_grad()
    assert x.grad is None


def test_parameters_without_grad_are_skipped():
    x = gn.tensor([1.0], requires_grad=True)
    y = gn.tensor([2.0], requires_grad=True)
    opt = optim.Adam([x, y], lr=0.1)
    (x * 3).sum().backward()
    opt.step()
    assert y.item() == 2.0 and x.item() != 1.0
    assert y not in opt.state


def test_add_param_group_fills_defaults():
    x = gn.tensor([1.0], requires_grad=True)
    y = gn.tensor([1.0], requires_grad=True)
    opt = optim.SGD([x], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": y, "lr": 0.5})
    assert len(opt.param_groups) == 2
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["momentum"] == 0.9
    assert opt.param_groups[1]["params"][0] is y


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW",
                                  "NAdam", "Adamax"])
def test_float32_parameters_and_state_stay_float32(name):
    x = gn.tensor([1.0, -2.0, 0.5], requires_grad=True)
    kwargs = {"momentum": 0.9} if name in ("SGD", "RMSprop") else {}
    opt = getattr(optim, name)([x], lr=0.01, **kwargs)
    for _ in range(3):
        opt.zero_grad()
        (x * x).sum().backward()
        opt.step()
    assert x.dtype == np.float32
    for key, value in opt.state[x].items():
        if key not in ("step", "mu_product"):
            assert value.dtype == np.float32, key


# -- state_dict ------------------------------------------------------------------------
_rng = np.random.default_rng(1)
_X = _rng.standard_normal((6, 3))
_Y = _rng.standard_normal((6, 2))
_W0 = _rng.standard_normal((2, 3))
_B0 = _rng.standard_normal(2)

ROUND_TRIP = [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("Adadelta", dict(lr=0.5)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("AdamW", dict(lr=0.05)),
    ("NAdam", dict(lr=0.05)),
    ("Adamax", dict(lr=0.05)),
]


def _train(opt, W, b, steps):
    x, y = gn.tensor(_X), gn.tensor(_Y)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((x @ W.T + b - y) ** 2).mean()
        loss.backward()
        opt.step()


def _make(name, kwargs, W0=_W0, B0=_B0):
    W = gn.tensor(W0, dtype=gn.float64, requires_grad=True)
    b = gn.tensor(B0, dtype=gn.float64, requires_grad=True)
    opt = getattr(optim, name)([{"params": [W]}, {"params": [b], "lr": kwargs["lr"] / 2}],
                               **kwargs)
    return opt, W, b


@pytest.mark.parametrize("config", ROUND_TRIP, ids=[c[0] for c in ROUND_TRIP])
def test_state_dict_round_trip_continues_identically(config):
    name, kwargs = config
    opt, W, b = _make(name, kwargs)
    _train(opt, W, b, 100)

    opt1, W1, b1 = _make(name, kwargs)
    _train(opt1, W1, b1, 50)
    saved = opt1.state_dict()
    opt2, W2, b2 = _make(name, kwargs, W1.detach().numpy(), b1.detach().numpy())
    opt2.load_state_dict(saved)
    _train(opt1, W1, b1, 7)  # keep using the source: the loaded copy must not share state
    _train(opt2, W2, b2, 50)
    np.testing.assert_array_equal(W2.detach().numpy(), W.detach().numpy())
    np.testing.assert_array_equal(b2.detach().numpy(), b.detach().numpy())
    assert opt2.param_groups[1]["lr"] == kwargs["lr"] / 2
    assert opt2.param_groups[0]["params"][0] is W2


@pytest.mark.parametrize("config", ROUND_TRIP, ids=[c[0] for c in ROUND_TRIP])
def test_state_dict_has_torch_structure(config):
    torch = pytest.importorskip("torch")
    name, kwargs = config
    opt, W, b = _make(name, kwargs)
    _train(opt, W, b, 2)
    Wt = torch.tensor(_W0, requires_grad=True)
    bt = torch.tensor(_B0, requires_grad=True)
    topt = getattr(torch.optim, name)([{"params": [Wt]}, {"params": [bt],
                                                          "lr": kwargs["lr"] / 2}],
                                      foreach=False, **kwargs)
    for _ in range(2):
        topt.zero_grad()
        ((torch.tensor(_X) @ Wt.T + bt - torch.tensor(_Y)) ** 2).mean().backward()
        topt.step()
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sd["state"].keys() == tsd["state"].keys() == {0, 1}
    for i in (0, 1):
        assert sd["state"][i].keys() == tsd["state"][i].keys()
        for key, value in sd["state"][i].items():
            np.testing.assert_allclose(np.asarray(value.data),
                                       tsd["state"][i][key].detach().numpy(), rtol=1e-10)
    for group, tgroup in zip(sd["param_groups"], tsd["param_groups"]):
        assert group["params"] == tgroup["params"]
        assert set(group) <= set(tgroup)
        assert all(group[k] == tgroup[k] for k in group)


def test_load_state_dict_casts_state_to_parameter_dtype():
    opt, W, b = _make("Adam", dict(lr=0.05))
    _train(opt, W, b, 3)
    W32 = gn.tensor(_W0, dtype=gn.float32, requires_grad=True)
    b32 = gn.tensor(_B0, dtype=gn.float32, requires_grad=True)
    opt32 = optim.Adam([{"params": [W32]}, {"params": [b32]}])
    opt32.load_state_dict(opt.state_dict())
    assert opt32.state[W32]["exp_avg"].dtype == np.float32
    assert opt32.state[W32]["step"].dtype == np.float32
    assert opt32.state[W32]["step"].item() == 3


def test_load_state_dict_rejects_mismatched_groups():
    opt, W, b = _make("SGD", dict(lr=0.05))
    one_group = optim.SGD([W, b], lr=0.1)
    with pytest.raises(ValueError, match="2 parameter groups.*1"):
        one_group.load_state_dict(opt.state_dict())
    other = optim.SGD([{"params": [W, b]}, {"params": [gn.tensor(1.0, requires_grad=True)]}])
    with pytest.raises(ValueError, match="group 0 has 1 parameters"):
        other.load_state_dict(opt.state_dict())


# -- argument errors -------------------------------------------------------------------
def _p():
    return [gn.tensor([1.0], requires_grad=True)]


@pytest.mark.parametrize("make, message", [
    (lambda: optim.SGD(_p(), lr=-0.1), "SGD: lr must be >= 0, got -0.1"),
    (lambda: optim.SGD(_p(), momentum=-0.9), "SGD: momentum must be >= 0, got -0.9"),
    (lambda: optim.SGD(_p(), nesterov=True),
     "SGD: nesterov requires a momentum > 0 and zero dampening"),
    (lambda: optim.SGD(_p(), momentum=0.9, dampening=0.1, nesterov=True),
     "SGD: nesterov requires a momentum > 0 and zero dampening"),
    (lambda: optim.Adam(_p(), betas=(1.5, 0.999)),
     r"Adam: betas\[0\] must be in \[0, 1\), got 1.5"),
    (lambda: optim.AdamW(_p(), betas=(0.9, 1.0)),
     r"AdamW: betas\[1\] must be in \[0, 1\), got 1.0"),
    (lambda: optim.Adam(_p(), eps=-1e-8), "Adam: eps must be >= 0"),
    (lambda: optim.Adagrad(_p(), lr_decay=-1), "Adagrad: lr_decay must be >= 0"),
    (lambda: optim.RMSprop(_p(), alpha=-0.1), "RMSprop: alpha must be >= 0"),
    (lambda: optim.Adadelta(_p(), rho=1.5), r"Adadelta: rho must be in \[0, 1\]"),
    (lambda: optim.NAdam(_p(), momentum_decay=-1), "NAdam: momentum_decay must be >= 0"),
    (lambda: optim.Adamax(_p(), weight_decay=-1), "Adamax: weight_decay must be >= 0"),
    (lambda: optim.SGD([{"params": _p(), "lr": -1.0}], lr=0.1),
     "SGD: lr must be >= 0, got -1.0"),
    (lambda: optim.SGD([]), "SGD: got an empty parameter list"),
    (lambda: optim.SGD([(gn.tensor([1.0], requires_grad=True) * 2)]),
     "SGD: can't optimize a non-leaf Tensor"),
    (lambda: optim.LBFGS([{"params": _p()}, {"params": _p()}]),
     "LBFGS: doesn't support per-parameter options"),
    (lambda: optim.LBFGS(_p(), line_search_fn="armijo"),
     "LBFGS: line_search_fn must be None or 'strong_wolfe'"),
])
def test_bad_hyperparameters_raise_value_error(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_params_raise_type_error_or_value_error():
    x = gn.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="SGD: params must be an iterable"):
        optim.SGD(x)
    with pytest.raises(TypeError, match="can only optimize Tensors, got ndarray"):
        optim.SGD([np.zeros(2)])
    with pytest.raises(TypeError, match="lr must be a real number, got str"):
        optim.SGD([x], lr="0.1")
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [x]}, {"params": [x]}], lr=0.1)
    with pytest.raises(TypeError, match="ordered collection"):
        optim.SGD([{"params": {x}}], lr=0.1)
