"""activations (quick): every activation but sigmoid learns the same MLP, a large learning
rate leaves ReLUs dead but not leaky ones, and the autograd derivatives are the closed
forms."""
from __future__ import annotations

import json

import numpy as np
import pytest

from glassnet.experiments._context import Context

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from glassnet.experiments import activations

    out = tmp_path_factory.mktemp("activations")
    ctx = Context("activations", out, quick=True, seed=0, progress=False)
    return out, activations.run(ctx)


def test_every_activation_but_sigmoid_beats_chance_by_a_margin(run):
    acc = run[1]["test_accuracy"]
    assert len(acc) == 10
    for name, a in acc.items():
        if name != "Sigmoid":
            assert a > 0.8, name


def test_large_lr_kills_relus_not_leaky_ones(run):
    r = run[1]
    dead = r["large_lr_dead_fraction"]
    assert dead["ReLU"] > 0.2
    assert dead["ReLU"] >= dead["LeakyReLU"] + 0.2
    assert dead["LeakyReLU"] == 0.0 and dead["ELU"] == 0.0  # never exactly 0
    assert dead["ReLU"] > r["dead_fraction"]["ReLU"] + 0.1  # more than at the normal lr
    for name in ("Tanh", "LeakyReLU", "PReLU", "ELU", "SELU", "SiLU", "Mish"):
        assert r["dead_fraction"][name] == 0.0, name


def test_autograd_derivatives_match_the_closed_forms(run):
    c = run[1]["derivative_checks"]
    x = np.array(c["Sigmoid"]["x"])
    s = 1 / (1 + np.exp(-x))
    t = np.tanh(x)
    expected = {"Sigmoid": s * (1 - s), "Tanh": 1 - t ** 2, "ReLU": (x > 0) * 1.0,
                "LeakyReLU": np.where(x > 0, 1.0, 0.01),
                "ELU": np.where(x > 0, 1.0, np.exp(x)),
                "SiLU": s + x * s * (1 - s),
                "Hardswish": np.where(x <= -3, 0.0, np.where(x >= 3, 1.0, (2 * x + 3) / 6))}
    assert 0 not in x
    for name, e in expected.items():
        np.testing.assert_allclose(c[name]["dfdx"], e, rtol=1e-6, atol=1e-7, err_msg=name)


def test_init_for_rejects_unknown_names():
    from glassnet.experiments.activations import init_for

    with pytest.raises(ValueError, match="init_for: name"):
        init_for("Swishy")
    assert init_for("SELU")[0] == "LeCun-normal"


def test_files_and_readme_numbers(run):
    out, r = run
    doc = json.loads((out / "results.json").read_text())
    figs = doc["meta"]["figures"]
    assert figs == ["functions_and_derivatives.png", "training.png", "dead_units.png"]
    for f in figs:
        assert (out / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    readme = (out / "README.md").read_text()
    for name, a in r["test_accuracy"].items():
        assert f"| {name} |" in readme and f"{a:.3f}" in readme
    assert f"{100 * r['large_lr_dead_fraction']['ReLU']:.1f}%" in readme
