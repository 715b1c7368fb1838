"""conv-arithmetic (quick): output size formula, groups, bottleneck and depthwise-separable
costs, all measured on nn.Conv2d modules with glassnet.inspect.summary."""
from __future__ import annotations

import json

import pytest

from glassnet.experiments._context import Context

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from glassnet.experiments import conv_arithmetic

    out = tmp_path_factory.mktemp("conv_arithmetic")
    ctx = Context("conv-arithmetic", out, quick=True, seed=0, progress=False)
    return out, conv_arithmetic.run(ctx)


def test_output_size_formula_matches_summary_and_forward(run):
    g = run[1]["grid"]
    assert g["configs"] > 300
    assert g["mismatches"] == 0
    for r in g["rows"]:
        want = (r["n"] + 2 * r["p"] - r["d"] * (r["k"] - 1) - 1) // r["s"] + 1
        assert r["summary"] == [1, want, want] == r["forward"], r
    # the grid really varies every hyper-parameter
    for key in ("n", "k", "s", "p", "d"):
        assert len({r[key] for r in g["rows"]}) >= 3, key
    for key, v in run[1]["sweeps"].items():
        assert v["measured"] == v["formula"], key
        assert len(set(v["measured"])) > 2, key


def test_groups_divide_weights_and_macs(run):
    g = run[1]["groups"]
    c = g["channels"]
    p1 = g["per_groups"]["1"]
    assert g["groups"][-1] == c  # reaches depthwise
    for gs in g["groups"]:
        r = g["per_groups"][str(gs)]
        assert r["params"] * gs == p1["params"]
        assert r["macs"] * gs == p1["macs"]
        assert r["params_bias"] == (p1["params_bias"] - c) // gs + c
        assert r["params_bias"] - r["params"] == c


def test_bottleneck_is_cheaper_by_the_computed_factor(run):
    b = run[1]["bottleneck"]
    c, m = b["channels"], b["mid"]
    factor = 9 * c * c / (2 * c * m + 9 * m * m)
    assert factor > 4
    assert b["params_factor"] == pytest.approx(factor, rel=1e-12)
    assert b["macs_factor"] == pytest.approx(factor, rel=1e-12)
    assert b["bottleneck"]["macs"] < b["direct"]["macs"]
    assert b["output_shape"] == [c, b["hw"], b["hw"]]


def test_separable_ratio_is_one_over_n_plus_one_over_k_squared(run):
    sep = run[1]["separable"]
    assert len(sep["rows"]) >= 12
    for r in sep["rows"]:
        want = 1 / r["N"] + 1 / r["k"] ** 2
        assert abs(r["macs_ratio"] - want) < 1e-9, r
        assert abs(r["params_ratio"] - want) < 1e-9, r
        if r["k"] > 1 and r["N"] > 1:
            assert r["separable_macs"] < r["standard_macs"]


def test_files_and_readme_numbers(run):
    out, r = run
    doc = json.loads((out / "results.json").read_text())
    figs = doc["meta"]["figures"]
    assert {"output_size.png", "groups.png", "bottleneck.png",
            "depthwise_separable.png"} <= set(figs)
    for f in figs:
        assert (out / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    readme = (out / "README.md").read_text()
    b = r["bottleneck"]
    assert f"{b['params_factor']:.3f}x fewer parameters" in readme
    assert f"{b['bottleneck']['params']:,}" in readme
    assert f"{r['grid']['configs']} (n, k, s, p, d)" in readme
    row = r["separable"]["rows"][-1]
    assert f"{row['macs_ratio']:.6f}" in readme
