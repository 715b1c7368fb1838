"""Newton: one step on a convex quadratic, quadratic convergence on Rosenbrock, errors."""
import numpy as np
import pytest

import glassnet as gn
from glassnet import optim

_rng = np.random.default_rng(3)
_M = _rng.standard_normal((6, 6))
Q = _M @ _M.T + 6 * np.eye(6)  # symmetric positive definite
C = _rng.standard_normal(6)
THETA_STAR = np.linalg.solve(Q, C)


def _quadratic_problem(dtype=gn.float64):
    """f = 0.5 t'Qt - c't over t = [W.flatten(), b] with W (2, 2) and b (2,)."""
    W = gn.tensor(np.arange(4.0).reshape(2, 2), dtype=dtype, requires_grad=True)
    b = gn.tensor([1.0, -1.0], dtype=dtype, requires_grad=True)
    q, c = gn.tensor(Q, dtype=dtype), gn.tensor(C, dtype=dtype)

    def loss_fn():
        theta = gn.cat([W.reshape(-1), b])
        return 0.5 * (theta @ (q @ theta)) - (c * theta).sum()

    return W, b, loss_fn


def _closure(opt, loss_fn):
    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss
    return closure


def _theta(W, b):
    return np.concatenate([W.detach().numpy().ravel(), b.detach().numpy()])


def test_newton_fd_reaches_quadratic_minimum_in_one_step():
    W, b, loss_fn = _quadratic_problem()
    opt = optim.Newton([W, b])
    loss = opt.step(_closure(opt, loss_fn))
    np.testing.assert_allclose(_theta(W, b), THETA_STAR, rtol=1e-7, atol=1e-9)
    assert loss.item() > loss_fn().item()
    assert opt.state[W]["func_evals"] == 1 + 2 * 6
    # The gradient left in .grad is the one at the starting point.
    assert W.grad is not None


def test_newton_with_analytic_hessian_is_exact_and_needs_no_closure():
    W, b, loss_fn = _quadratic_problem()
    seen = []

    def hessian(params):
        seen.append(params)
        return Q

    opt = optim.Newton([W, b], hessian=hessian)
    loss_fn().backward()
    assert opt.step() is None
    np.testing.assert_allclose(_theta(W, b), THETA_STAR, rtol=1e-12, atol=1e-12)
    assert seen[0][0] is W and seen[0][1] is b


def test_newton_damping_and_lr_follow_the_formula():
    W, b, loss_fn = _quadratic_problem()
    theta0 = _theta(W, b)
    opt = optim.Newton([W, b], lr=0.5, damping=2.0, hessian=lambda params: gn.tensor(Q))
    loss_fn().backward()
    opt.step()
    g = Q @ theta0 - C
    expected = theta0 - 0.5 * np.linalg.solve(Q + 2.0 * np.eye(6), g)
    np.testing.assert_allclose(_theta(W, b), expected, rtol=1e-12)


def test_newton_singular_hessian_falls_back_to_least_squares():
    x = gn.tensor([0.0, 0.0], dtype=gn.float64, requires_grad=True)
    opt = optim.Newton([x], hessian=lambda params: np.array([[2.0, 2.0], [2.0, 2.0]]))
    ((x[0] + x[1] - 1) ** 2).backward()
    opt.step()
    # Minimum-norm solution: the closest point of the line x + y = 1.
    np.testing.assert_allclose(x.detach().numpy(), [0.5, 0.5], rtol=1e-12)


def test_newton_float32_parameters_stay_float32():
    W, b, loss_fn = _quadratic_problem(gn.float32)
    opt = optim.Newton([W, b], eps=1e-2)
    opt.step(_closure(opt, loss_fn))
    assert W.dtype == np.float32 and b.dtype == np.float32
    np.testing.assert_allclose(_theta(W, b), THETA_STAR, rtol=1e-3, atol=1e-4)


def _rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def _rosenbrock_grad(v):
    x, y = v
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


def test_newton_beats_sgd_on_rosenbrock():
    start = [-1.2, 1.0]
    x = gn.tensor(start, dtype=gn.float64, requires_grad=True)
    opt = optim.Newton([x])
    newton_iters = None
    for k in range(1, 51):
        opt.step(_closure(opt, lambda: _rosenbrock(x)))
        if np.linalg.norm(x.detach().numpy() - 1.0) < 1e-6:
            newton_iters = k
            break

    # SGD with the largest stable-looking lr; analytic gradients keep the test fast.
    y = gn.tensor(start, dtype=gn.float64, requires_grad=True)
    sgd = optim.SGD([y], lr=1e-3)
    sgd_iters = None
    for k in range(1, 100_001):
        y.grad = gn.from_numpy(_rosenbrock_grad(y.data))
        sgd.step()
        if np.linalg.norm(y.data - 1.0) < 1e-6:
            sgd_iters = k
            break
    print(f"\nRosenbrock from (-1.2, 1) to |theta - (1, 1)| < 1e-6: "
          f"Newton {newton_iters} iterations, SGD(lr=1e-3) {sgd_iters} iterations")
    assert newton_iters is not None and newton_iters <= 10
    assert sgd_iters is not None and sgd_iters > 1000 * newton_iters


def test_newton_errors():
    big = gn.zeros(101, requires_grad=True)
    with pytest.raises(ValueError, match="Newton: 101 parameters exceed max_params=100"):
        optim.Newton([big], max_params=100)
    x = gn.tensor([1.0, 2.0], dtype=gn.float64, requires_grad=True)
    with pytest.raises(TypeError, match="Newton.step: hessian='fd' needs a closure"):
        optim.Newton([x]).step()
    with pytest.raises(ValueError, match="Newton: hessian must be 'fd' or a callable"):
        optim.Newton([x], hessian="exact")
    with pytest.raises(ValueError, match="Newton: damping must be >= 0"):
        optim.Newton([x], damping=-1.0)
    with pytest.raises(ValueError, match="Newton: eps must be > 0"):
        optim.Newton([x], eps=0.0)
    opt = optim.Newton([x], hessian=lambda params: np.eye(3))
    (x * x).sum().backward()
    with pytest.raises(ValueError, match=r"shape \(2, 2\) for 2 parameters, got \(3, 3\)"):
        opt.step()
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        optim.Newton([{"params": [x]}, {"params": [big]}])
