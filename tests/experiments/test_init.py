"""init (quick): activation scale per layer under each initialisation, saturated tanh and dead
ReLU units, and what training does with each."""
from __future__ import annotations

import json

import pytest

from glassnet.experiments._context import Context

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from glassnet.experiments import init

    out = tmp_path_factory.mktemp("init")
    return out, init.run(Context("init", out, quick=True, seed=0, progress=False))


def test_activation_scale_collapses_explodes_or_stays(run):
    n = run[1]["nets"]
    for act in ("tanh", "relu"):
        assert n[f"{act}/zeros"]["last_layer_std"] == 0.0
        small = n[f"{act}/N(0, 0.02)"]
        assert small["last_layer_std"] < 1e-4 * small["first_layer_std"]
    assert n["relu/N(0, 1)"]["last_layer_std"] > 1e4
    assert n["relu/He"]["last_layer_std"] > 0.5 * n["relu/He"]["first_layer_std"]
    assert n["tanh/N(0, 1)"]["saturated_fraction_at_init"] > 0.5
    assert n["tanh/Xavier"]["saturated_fraction_at_init"] < 0.05


def test_dead_units_are_more_for_the_badly_initialised_relu_nets(run):
    n = run[1]["nets"]
    he = n["relu/He"]
    assert n["relu/zeros"]["dead_fraction_at_init"] == 1.0 > he["dead_fraction_at_init"]
    assert n["relu/zeros"]["dead_fraction_after"] == 1.0
    assert n["relu/N(0, 0.02)"]["dead_fraction_after"] > he["dead_fraction_after"]


def test_only_the_scaled_inits_learn(run):
    n = run[1]["nets"]
    for act in ("tanh", "relu"):
        assert n[f"{act}/He"]["test_accuracy"] > 0.8
        assert n[f"{act}/zeros"]["test_accuracy"] < 0.2
        assert n[f"{act}/N(0, 0.02)"]["test_accuracy"] < 0.2
    assert n["relu/N(0, 1)"]["diverged_at"] is not None


def test_files_and_readme_numbers(run):
    out, r = run
    doc = json.loads((out / "results.json").read_text())
    figs = doc["meta"]["figures"]
    assert {"tanh_histograms_at_init.png", "relu_histograms_at_init.png"} <= set(figs)
    for f in figs:
        assert (out / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    readme = (out / "README.md").read_text()
    assert f"{r['nets']['relu/He']['test_accuracy']:.3f}" in readme
    assert f"{100 * r['nets']['relu/N(0, 0.02)']['dead_fraction_after']:.1f}%" in readme
