"""optimizers (quick): momentum beats plain gradient descent on an ill-conditioned quadratic,
Newton solves it in one step and stalls at a saddle, and the minibatch optimizers train a
small CNN."""
from __future__ import annotations

import json

import pytest

from glassnet.experiments._context import Context

pytest.importorskip("matplotlib")

QUAD = "ill-conditioned quadratic"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from glassnet.experiments import optimizers

    out = tmp_path_factory.mktemp("optimizers")
    return out, optimizers.run(Context("optimizers", out, quick=True, seed=0, progress=False))


def test_momentum_beats_plain_gd_at_the_same_lr_on_the_quadratic(run):
    q = run[1]["functions"][QUAD]
    assert q["Momentum"]["lr"] == q["GD"]["lr"] == q["Nesterov"]["lr"]
    gd, mom, nes = (q[k]["steps_to_tol"] for k in ("GD", "Momentum", "Nesterov"))
    assert gd is not None and mom is not None and nes is not None
    assert mom < 0.8 * gd
    assert nes < gd


def test_second_order_methods(run):
    f = run[1]["functions"]
    assert f[QUAD]["Newton"]["steps_to_tol"] in (1, 2)
    assert f[QUAD]["Newton"]["final_loss"] < 1e-10
    assert f[QUAD]["L-BFGS"]["steps_to_tol"] < f[QUAD]["GD"]["steps_to_tol"]
    # Rosenbrock's curved valley: Newton and L-BFGS reach the minimum, GD does not
    ro = f["Rosenbrock"]
    assert ro["Newton"]["steps_to_tol"] is not None and ro["Newton"]["steps_to_tol"] <= 20
    assert ro["L-BFGS"]["steps_to_tol"] is not None
    assert ro["GD"]["steps_to_tol"] is None and ro["GD"]["final_loss"] > 0.1
    # the saddle: Newton goes to the zero of the gradient (f - f* = 0.25), GD escapes
    sa = f["saddle"]
    assert abs(sa["Newton"]["final_loss"] - 0.25) < 1e-6
    assert abs(sa["Newton"]["final_point"][1]) < 1e-6
    assert sa["GD"]["steps_to_tol"] is not None


def test_noisy_sgd_stalls_at_a_noise_floor(run):
    q = run[1]["functions"][QUAD]
    assert q["SGD (noisy)"]["final_loss"] > 1e3 * q["GD"]["final_loss"]


def test_cnn_trains_with_momentum_and_adam(run):
    c = run[1]["cnn"]
    for k in ("Adam", "Momentum"):
        assert c[k]["final_loss"] < 0.5 * c[k]["initial_loss"], k
        assert c[k]["test_accuracy"] > 0.6, k
    assert sum(v["test_accuracy"] > 0.5 for v in c.values()) >= 6


def test_files_and_readme_numbers(run):
    out, r = run
    doc = json.loads((out / "results.json").read_text())
    figs = doc["meta"]["figures"]
    assert {"trajectories.png", "loss_vs_step.png", "cnn_training.png"} <= set(figs)
    for f in figs:
        assert (out / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    readme = (out / "README.md").read_text()
    q = r["functions"][QUAD]
    assert f"GD needs {q['GD']['steps_to_tol']} steps, Momentum {q['Momentum']['steps_to_tol']}" \
        in readme
    assert f"{r['cnn']['Adam']['test_accuracy']:.3f}" in readme
    assert f"{r['cnn']['Momentum']['final_loss']:.3f}" in readme
