"""shattered-gradients (quick): the input gradient of a deep plain net decorrelates between
neighbouring inputs (white noise); a residual net's stays correlated."""
from __future__ import annotations

import json

import numpy as np
import pytest

from glassnet.experiments._context import Context

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from glassnet.experiments import shattered_gradients

    out = tmp_path_factory.mktemp("shattered")
    ctx = Context("shattered-gradients", out, quick=True, seed=0, progress=False)
    return out, shattered_gradients.run(ctx)


def test_plain_is_far_less_correlated_than_residual_at_depth_50(run):
    r = run[1]
    assert r["depths"][-1] == 50
    top = r["at_max_depth"]
    assert top["plain"] < 0.3
    assert top["residual"] > 0.5
    assert top["residual"] - top["plain"] > 0.4


def test_plain_correlation_decays_with_depth(run):
    r = run[1]
    d, c = r["depths"], r["lag1_correlation"]["plain"]["mean"]
    assert c[0] > 0.9  # one layer: a step function
    assert c[d.index(8)] < c[d.index(2)] - 0.1
    assert max(c[d.index(16):]) < 0.3
    res = r["lag1_correlation"]["residual"]["mean"]
    # at every depth from 4 on the residual net's gradients are the more correlated
    assert all(p < q for p, q in zip(c[d.index(4):], res[d.index(4):]))


def test_lag1_autocorrelation_known_answers():
    from glassnet.experiments.shattered_gradients import lag1_autocorrelation

    assert lag1_autocorrelation(np.linspace(0, 1, 100)) > 0.95
    alternating = np.tile([1.0, -1.0], 50)
    assert lag1_autocorrelation(alternating) < -0.95
    noise = np.random.default_rng(0).standard_normal(4000)
    assert abs(lag1_autocorrelation(noise)) < 0.06
    with pytest.raises(ValueError, match="lag1_autocorrelation"):
        lag1_autocorrelation([1.0, 2.0])


def test_input_gradient_matches_finite_differences():
    import glassnet as gn
    from glassnet.experiments.shattered_gradients import build_net, input_gradient

    gn.manual_seed(0)
    model = build_net("residual, no BN", 3, 16)
    x = np.linspace(-1, 1, 7).astype(np.float32)
    g = input_gradient(model, x)
    model.eval()
    with gn.no_grad():
        f = lambda v: model(gn.tensor(v[:, None].astype(np.float32))).numpy()[:, 0]  # noqa: E731
        fd = (f(x + 1e-3) - f(x - 1e-3)) / 2e-3
    np.testing.assert_allclose(g, fd, rtol=0.05, atol=0.05 * np.abs(fd).max())
    with pytest.raises(ValueError, match="build_net: variant"):
        build_net("dense", 3, 16)


def test_files_and_readme_numbers(run):
    out, r = run
    doc = json.loads((out / "results.json").read_text())
    figs = doc["meta"]["figures"]
    assert figs == ["gradient_vs_input.png", "correlation_vs_depth.png"]
    for f in figs:
        assert (out / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    readme = (out / "README.md").read_text()
    top = r["at_max_depth"]
    assert f"{top['plain']:.3f}" in readme and f"{top['residual']:.3f}" in readme
    assert f"{top['residual'] - top['plain']:.3f}" in readme
