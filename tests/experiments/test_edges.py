"""edges (quick): each Canny stage on a real photo — NMS thins the thresholded magnitude,
hysteresis keeps strong pixels and only strong or weak ones, fewer edges with higher
thresholds and larger sigma, and the staged result equals glassnet.cv.canny."""
from __future__ import annotations

import json

import numpy as np
import pytest

from glassnet.experiments._context import Context

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from glassnet.experiments import edges

    out = tmp_path_factory.mktemp("edges")
    ctx = Context("edges", out, quick=True, seed=0, progress=False)
    photos = edges._photos(ctx, edges._settings(True)["images"])
    return out, edges.run(ctx), photos


def _stages(run):
    from glassnet.experiments import edges

    s = run[1]["settings"]
    name, img = next(iter(run[2].items()))
    return name, img, edges.canny_stages(img, s["low"], s["high"], s["sigma"])


def test_nms_is_a_thinner_subset_of_the_thresholded_magnitude(run):
    name, img, st = _stages(run)
    assert not np.any(st["nms"] & ~st["above_low"])
    n_nms, n_low = np.count_nonzero(st["nms"]), np.count_nonzero(st["above_low"])
    assert 0 < n_nms < 0.6 * n_low
    r = run[1]["images"][name]
    assert r["nms_subset_of_above_low"]
    assert r["counts"]["nms"] == n_nms and r["counts"]["above_low"] == n_low
    # thin: far fewer runs of 3 horizontal neighbours survive than were above low
    horiz = st["nms"][:, :-2] & st["nms"][:, 1:-1] & st["nms"][:, 2:]
    assert np.count_nonzero(horiz) < np.count_nonzero(
        st["above_low"][:, :-2] & st["above_low"][:, 1:-1] & st["above_low"][:, 2:])


def test_hysteresis_keeps_strong_and_only_strong_or_weak(run):
    name, _, st = _stages(run)
    e, strong, weak = st["edges"], st["strong"], st["weak"]
    assert not np.any(e & ~(strong | weak))
    assert not np.any(strong & ~e)
    assert not np.any(strong & weak)
    kept_weak = np.count_nonzero(e & weak)
    assert 0 < kept_weak < np.count_nonzero(weak)  # some weak pixels linked, some dropped
    r = run[1]["images"][name]
    assert r["edges_subset_of_strong_or_weak"] and r["edges_contain_strong"]
    assert r["counts"]["edges"] == np.count_nonzero(e)


def test_staged_result_equals_public_canny(run):
    from glassnet.cv import canny

    name, img, st = _stages(run)
    s = run[1]["settings"]
    assert np.array_equal(st["edges"], canny(img, s["low"], s["high"], sigma=s["sigma"]) > 0)
    r = run[1]["images"][name]
    assert r["equals_public_canny"] and r["sobel_matches_stage"]
    if r["opencv"] is not None:
        assert r["opencv"]["f_score_raw"] == 1.0


def test_fewer_edges_with_higher_thresholds_and_larger_sigma(run):
    for name, r in run[1]["images"].items():
        t = r["thresholds"]["edge_pixels"]
        for row in t:
            v = [x for x in row if x is not None]
            assert all(a >= b for a, b in zip(v, v[1:])), name
        for col in zip(*t):
            v = [x for x in col if x is not None]
            assert all(a >= b for a, b in zip(v, v[1:])), name
        assert t[0][0] > 2 * t[-1][-1]
        g = r["sigma"]["edge_pixels"]
        assert all(a > b for a, b in zip(g, g[1:])), (name, g)
        assert g[0] > 1.5 * g[-1]


def test_files_and_readme_numbers(run):
    out, r, _ = run
    doc = json.loads((out / "results.json").read_text())
    figs = doc["meta"]["figures"]
    assert {"thresholds.png", "sigma.png"} <= set(figs)
    assert any(f.startswith("stages_") for f in figs)
    for f in figs:
        assert (out / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    readme = (out / "README.md").read_text()
    for name, v in r["images"].items():
        c = v["counts"]
        assert f"{c['nms']:,}" in readme and f"{c['edges']:,}" in readme
        assert f"({100 * v['nms_kept_fraction']:.1f}%)" in readme
        assert f"{v['sigma']['edge_pixels'][-1]:,} at sigma" in readme
