"""LBFGS follows torch.optim.LBFGS's trajectory, with and without the strong-Wolfe search."""
import numpy as np
import pytest

import glassnet as gn
from glassnet import optim

torch = pytest.importorskip("torch")

_rng = np.random.default_rng(2)
X = _rng.standard_normal((10, 4))
Y = 0.5 * _rng.standard_normal((10, 3))
W0 = _rng.standard_normal((3, 4))
B0 = _rng.standard_normal(3)


def _lsq(lib, W, b, nonlinear):
    x, y = lib.tensor(X), lib.tensor(Y)
    z = x @ W.T + b
    if nonlinear:
        z = lib.sin(z)
    return ((z - y) ** 2).mean()


def _rosenbrock(lib, W, b):
    return (1 - W[0]) ** 2 + 100 * (W[1] - W[0] ** 2) ** 2 + (b[0] - 2) ** 2


def _run(lib, problem, kwargs, steps, start):
    W = lib.tensor(start[0], requires_grad=True)
    b = lib.tensor(start[1], requires_grad=True)
    opt = (optim if lib is gn else torch.optim).LBFGS([W, b], **kwargs)

    def closure():
        opt.zero_grad()
        loss = problem(lib, W, b)
        loss.backward()
        return loss

    trace = []
    for _ in range(steps):
        loss = opt.step(closure)
        trace.append((float(loss.detach()), W.detach().numpy().copy(), b.detach().numpy().copy()))
    state = opt.state[W]
    return trace, state["func_evals"], state["n_iter"]


CASES = [
    ("lsq-fixed-step", lambda lib, W, b: _lsq(lib, W, b, False), dict(), (W0, B0)),
    ("lsq-fixed-step-small-history", lambda lib, W, b: _lsq(lib, W, b, False),
     dict(lr=0.5, max_iter=7, history_size=3), (W0, B0)),
    ("sin-strong-wolfe", lambda lib, W, b: _lsq(lib, W, b, True),
     dict(line_search_fn="strong_wolfe"), (W0, B0)),
    ("rosenbrock-strong-wolfe", _rosenbrock,
     dict(line_search_fn="strong_wolfe", history_size=5, max_iter=10),
     (np.array([-1.5, 2.0]), np.array([0.0]))),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_lbfgs_trajectory_matches_torch(case):
    _, problem, kwargs, start = case
    trace, evals, iters = _run(gn, problem, kwargs, 4, start)
    trace_t, evals_t, iters_t = _run(torch, problem, kwargs, 4, start)
    assert (evals, iters) == (evals_t, iters_t)
    for (loss, W, b), (loss_t, W_t, b_t) in zip(trace, trace_t):
        assert loss == pytest.approx(loss_t, rel=1e-5, abs=1e-12)
        np.testing.assert_allclose(W, W_t, rtol=1e-5, atol=1e-9)
        np.testing.assert_allclose(b, b_t, rtol=1e-5, atol=1e-9)
    # It made real progress from the start.
    assert trace[-1][0] < 0.5 * trace[0][0]


def test_lbfgs_strong_wolfe_solves_rosenbrock():
    trace, _, _ = _run(gn, _rosenbrock, dict(line_search_fn="strong_wolfe"), 5,
                       (np.array([-1.5, 2.0]), np.array([0.0])))
    # tolerance_change=1e-9 on the loss stops it about 1e-5 from the minimum, as in torch.
    np.testing.assert_allclose(trace[-1][1], [1.0, 1.0], atol=1e-4)
    assert trace[-1][0] < 1e-9


def test_lbfgs_requires_closure_and_keeps_float32():
    w = gn.tensor([3.0, -1.0], requires_grad=True)
    opt = optim.LBFGS([w])
    with pytest.raises(TypeError, match="LBFGS.step: closure must be a callable"):
        opt.step(None)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    assert w.dtype == np.float32
    assert np.abs(w.detach().numpy()).max() < 1e-3


def test_lbfgs_state_dict_round_trip():
    kwargs = dict(line_search_fn="strong_wolfe", max_iter=3)
    start = (W0, B0)
    problem = CASES[2][1]
    full, _, _ = _run(gn, problem, kwargs, 4, start)

    W = gn.tensor(W0, requires_grad=True)
    b = gn.tensor(B0, requires_grad=True)
    opt = optim.LBFGS([W, b], **kwargs)

    def closure_for(o, W, b):
        def closure():
            o.zero_grad()
            loss = problem(gn, W, b)
            loss.backward()
            return loss
        return closure

    for _ in range(2):
        opt.step(closure_for(opt, W, b))
    W2 = gn.tensor(W.detach().numpy(), requires_grad=True)
    b2 = gn.tensor(b.detach().numpy(), requires_grad=True)
    opt2 = optim.LBFGS([W2, b2], **kwargs)
    opt2.load_state_dict(opt.state_dict())
    for _ in range(2):
        opt2.step(closure_for(opt2, W2, b2))
    np.testing.assert_allclose(W2.detach().numpy(), full[-1][1], rtol=1e-12)
