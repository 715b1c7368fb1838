"""``glassnet experiment``: --list, errors, one quick run, ``all`` with its index.html; the
Markdown converter behind the page."""
from __future__ import annotations

import json
import types

import pytest

from glassnet.cli.main import main
from glassnet.experiments import _runner, names
from glassnet.experiments._markdown import markdown_to_html


def test_list_prints_every_existing_experiment_with_its_summary(capsys):
    assert main(["experiment", "--list"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [ln.split()[0] for ln in lines] == names()
    assert {"init", "vanishing-gradients"} <= set(names())
    from glassnet.experiments import get

    for ln in lines:
        assert ln.split(None, 1)[1].strip() == get(ln.split()[0]).SUMMARY


def test_unknown_experiment_is_one_line_error(capsys, tmp_path):
    assert main(["experiment", "no-such-thing", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown experiment 'no-such-thing'" in err[0]
    assert "init" in err[0]  # names the known ones


def test_no_name_and_missing_data_dir_are_errors(capsys, tmp_path):
    assert main(["experiment"]) == 1
    assert "--list" in capsys.readouterr().err
    assert main(["experiment", "init", "--data-dir", str(tmp_path / "nope"), "--out",
                 str(tmp_path / "o")]) == 1
    assert "is not a folder" in capsys.readouterr().err


def test_a_quick_run_writes_figures_results_and_readme(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "vg"
    assert main(["experiment", "vanishing-gradients", "--quick", "--out", str(out),
                 "--no-progress", "--seed", "1"]) == 0
    printed = capsys.readouterr().out
    doc = json.loads((out / "results.json").read_text())
    assert doc["meta"]["seed"] == 1 and doc["meta"]["quick"] is True
    assert all((out / f).exists() for f in doc["meta"]["figures"])
    ratio = doc["results"]["at_init"]["sigmoid/plain"]["first_over_last"]
    assert f"{ratio:.1e}" in printed and f"wrote {out}/" in printed


# -- all + index.html, with two stand-in experiments (one fails) ----------------------
def _fake_ok(ctx):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4], label="line")
    ax.set_title("fake")
    ax.legend()
    ctx.savefig(fig, "fake.png")
    findings = ("## Finding\n\nThe value is **0.125** with `code <x>`.\n\n- one\n- two\n\n"
                "| a | b |\n|---|---|\n| 1 | 2 |\n")
    return ctx.finish({"value": 0.125}, findings, "Fake experiment")["results"]


def _fake_fail(ctx):
    raise RuntimeError("deliberate failure")


@pytest.fixture
def fake_registry(monkeypatch):
    mods = {"fake-ok": types.SimpleNamespace(NAME="fake-ok", SUMMARY="works", run=_fake_ok),
            "fake-fail": types.SimpleNamespace(NAME="fake-fail", SUMMARY="breaks",
                                               run=_fake_fail)}
    monkeypatch.setattr(_runner, "names", lambda: list(mods))
    monkeypatch.setattr(_runner, "get", lambda name: mods[name])
    return mods


def test_all_runs_every_experiment_and_writes_a_static_index(capsys, tmp_path, fake_registry):
    pytest.importorskip("matplotlib")
    out = tmp_path / "all"
    assert main(["experiment", "all", "--quick", "--out", str(out), "--no-progress"]) == 1
    printed = capsys.readouterr().out
    assert "failed: fake-fail" in printed and "1 of 2 experiments ran" in printed
    assert (out / "fake-ok" / "results.json").exists()
    assert "deliberate failure" in (out / "fake-fail" / "error.txt").read_text()
    page = (out / "index.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "http://" not in page and "https://" not in page  # no network
    assert '<img src="fake-ok/fake.png" alt="fake.png">' in page
    assert "<strong>0.125</strong>" in page and "<code>code &lt;x&gt;</code>" in page
    assert "<ul><li>one</li><li>two</li></ul>" in page
    assert "<th>a</th><th>b</th>" in page and "<td>1</td><td>2</td>" in page
    assert "<h2>Fake experiment</h2>" in page and "<h3>Finding</h3>" in page
    assert "failed: RuntimeError: deliberate failure" in page
    assert page.index("id='fake-ok'") < page.index("id='fake-fail'")


def test_list_uses_the_registry(capsys, fake_registry):
    assert main(["experiment", "--list"]) == 0
    assert capsys.readouterr().out.split() == ["fake-ok", "works", "fake-fail", "breaks"]


def test_markdown_converter():
    html = markdown_to_html("# T\n\nA *b* **c** `d*e*` [l](u.html) 1 < 2\nnext line\n\n"
                            "1. x\n2. y\n\n```\na < b\n```\n![f](f.png)",
                            image_src=lambda s: "dir/" + s)
    assert "<h1>T</h1>" in html
    assert "<p>A <em>b</em> <strong>c</strong> <code>d*e*</code> <a href=\"u.html\">l</a> " \
           "1 &lt; 2 next line</p>" in html
    assert "<ol><li>x</li><li>y</li></ol>" in html
    assert "<pre><code>a &lt; b</code></pre>" in html
    assert '<img src="dir/f.png" alt="f">' in html
    assert markdown_to_html("### h", heading_offset=4) == "<h6>h</h6>"


def _fake_no_data(ctx):
    from glassnet.experiments._context import DataUnavailable

    raise DataUnavailable("needs the MNIST IDX files: pass --data-dir")


def test_all_lists_an_experiment_without_its_data_as_skipped_not_failed(capsys, tmp_path,
                                                                       monkeypatch):
    pytest.importorskip("matplotlib")
    mods = {"fake-ok": types.SimpleNamespace(NAME="fake-ok", SUMMARY="works", run=_fake_ok),
            "fake-nodata": types.SimpleNamespace(NAME="fake-nodata", SUMMARY="needs MNIST",
                                                 run=_fake_no_data)}
    monkeypatch.setattr(_runner, "names", lambda: list(mods))
    monkeypatch.setattr(_runner, "get", lambda name: mods[name])
    out = tmp_path / "all"
    assert main(["experiment", "all", "--quick", "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "1 of 2 experiments ran; skipped (no data): fake-nodata)" in printed
    assert "needs the MNIST IDX files" in (out / "fake-nodata" / "README.md").read_text()
    page = (out / "index.html").read_text()
    assert "<td>skipped</td>" in page and "needs the MNIST IDX files" in page


def test_the_detection_experiment_without_mnist_raises_data_unavailable(tmp_path,
                                                                        monkeypatch):
    pytest.importorskip("matplotlib")
    from glassnet.experiments import detection
    from glassnet.experiments._context import Context, DataUnavailable

    monkeypatch.setenv("GLASSNET_DATA", str(tmp_path / "empty"))
    ctx = Context("detection", tmp_path / "out", quick=True, progress=False)
    with pytest.raises(DataUnavailable, match="pass --data-dir"):
        detection.run(ctx)
