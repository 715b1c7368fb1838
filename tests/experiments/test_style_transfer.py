"""style-transfer (quick): content from deep layers loses the photo's appearance, style
from more layers matches more of the texture, and the stylisation lowers its loss."""
from __future__ import annotations

import json

import pytest

from glassnet.experiments._context import Context

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from glassnet.experiments import style_transfer

    out = tmp_path_factory.mktemp("style")
    ctx = Context("style-transfer", out, quick=True, seed=0, progress=False)
    return out, style_transfer.run(ctx)


def test_deeper_content_layers_keep_less_of_the_pixels(run):
    c = run[1]["content"]
    assert [row["layer"] for row in c][0] == "relu1_2" and c[-1]["layer"] == "relu5_2"
    assert c[0]["correlation"] > 0.5  # a shallow layer pins the pixels down
    assert c[0]["pixel_error"] < 0.8 * c[-1]["pixel_error"]
    assert c[-1]["correlation"] < 0.5 * c[0]["correlation"]
    assert all(row["loss_reduction"] > 2 for row in c)  # every reconstruction converged


def test_more_style_layers_match_more_of_the_texture(run):
    st = run[1]["style"]
    assert [len(row["layers"]) for row in st] == [1, 2, 3, 4, 5]
    assert st[-1]["mean_log10_relative"] < st[0]["mean_log10_relative"]
    # the deepest layer's statistics are matched better once it is in the set
    assert st[-1]["relative"]["relu5_1"] < st[0]["relative"]["relu5_1"]
    assert all(v < 1 for row in st for v in row["relative"].values())  # all beat noise


def test_stylisation_lowers_the_loss_and_says_which_features(run):
    out, r = run
    assert "random weights" in r["features"]
    for s in r["stylized"].values():
        assert s["loss_reduction"] > 10 and s["loss_end"] < s["loss_start"]
    doc = json.loads((out / "results.json").read_text())
    assert set(doc["meta"]["figures"]) == {"layers.png", "stylized.png"}
    for f in doc["meta"]["figures"]:
        assert (out / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    readme = (out / "README.md").read_text()
    assert f"{r['content'][0]['pixel_error']:.3f}" in readme
    assert f"{r['style'][-1]['mean_log10_relative']:.2f}" in readme
