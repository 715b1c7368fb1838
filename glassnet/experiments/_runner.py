"""Running experiments by name, all of them into one folder, and the static index page.

The library behind ``glassnet experiment`` (the CLI only parses flags and prints).
"""
from __future__ import annotations

import html
import json
import os
import time
import traceback
from pathlib import Path

from glassnet.experiments import get, names
from glassnet.experiments._context import Context, DataUnavailable
from glassnet.experiments._markdown import markdown_to_html

__all__ = ["run_experiment", "run_all", "write_index", "listing"]


def listing() -> list:
    """``[(name, summary), ...]`` of every experiment whose module exists."""
    return [(n, getattr(get(n), "SUMMARY", "")) for n in names()]


def run_experiment(name: str, out, quick: bool = False, seed: int = 0, data_dir=None,
                   progress: bool = True) -> dict:
    """Run experiment ``name`` into folder ``out``; returns what ``ctx.finish`` wrote
    (``{'meta': ..., 'results': ...}``) read back from ``results.json``."""
    module = get(name)
    if data_dir is not None and not os.path.isdir(data_dir):
        raise FileNotFoundError(f"glassnet experiment: --data-dir {data_dir} is not a folder")
    ctx = Context(name, out, quick=quick, seed=seed, data_dir=data_dir, progress=progress)
    module.run(ctx)
    path = Path(out) / "results.json"
    if not path.exists():
        raise RuntimeError(f"experiment {name!r} did not call ctx.finish (no results.json)")
    return json.loads(path.read_text(encoding="utf-8"))


def run_all(out, quick: bool = False, seed: int = 0, data_dir=None, progress: bool = True,
            log=print, only=None) -> dict:
    """Run every experiment into ``out/<name>/`` and write ``out/index.html``.

    A failing experiment is reported (its traceback goes to ``out/<name>/error.txt`` and
    onto the page) and the others still run. Returns ``{name: {'ok', 'wall_time_s',
    'error'}}``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    todo = list(only) if only is not None else names()
    status = {}
    for k, name in enumerate(todo, 1):
        log(f"[{k}/{len(todo)}] {name} ...")
        t0 = time.perf_counter()
        folder = out / name
        try:
            run_experiment(name, folder, quick=quick, seed=seed, data_dir=data_dir,
                           progress=progress)
            status[name] = {"ok": True, "wall_time_s": round(time.perf_counter() - t0, 1),
                            "error": None}
            if (folder / "error.txt").exists():
                (folder / "error.txt").unlink()
        except DataUnavailable as exc:  # not a failure: this machine lacks its data
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "README.md").write_text(f"# {name}\n\nSkipped: {exc}\n",
                                              encoding="utf-8")
            status[name] = {"ok": True, "skipped": str(exc),
                            "wall_time_s": round(time.perf_counter() - t0, 1), "error": None}
        except Exception as exc:  # keep going: one broken experiment must not hide the rest
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "error.txt").write_text(traceback.format_exc(), encoding="utf-8")
            status[name] = {"ok": False, "wall_time_s": round(time.perf_counter() - t0, 1),
                            "error": f"{type(exc).__name__}: {exc}"}
        s = status[name]
        word = ("skipped: " + s["skipped"] if s.get("skipped") else "done") if s["ok"] \
            else "FAILED: " + s["error"]
        log(f"[{k}/{len(todo)}] {name}: {word} "
            f"({s['wall_time_s']} s)")
    write_index(out, status)
    return status


_CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 0 auto;
       max-width: 1100px; padding: 1.5em; color: #1b1f24; line-height: 1.45; }
h1 { border-bottom: 2px solid #ddd; padding-bottom: .3em; }
section { border-top: 1px solid #ddd; margin-top: 2.5em; padding-top: .5em; }
nav table, section table { border-collapse: collapse; margin: .8em 0; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; }
th { background: #f3f4f6; }
img { max-width: 100%; height: auto; display: block; margin: 1em 0;
      border: 1px solid #eee; }
code { background: #f3f4f6; padding: 0 .25em; border-radius: 3px; }
pre { background: #f3f4f6; padding: .8em; overflow-x: auto; }
.failed { color: #b00020; font-weight: bold; }
.meta { color: #57606a; }
"""


def _readme_html(folder: Path, name: str) -> str:
    readme = folder / "README.md"
    if not readme.exists():
        return "<p class='failed'>no README.md was written</p>"
    text = readme.read_text(encoding="utf-8")
    return markdown_to_html(text, image_src=lambda src: f"{name}/{src}", heading_offset=1)


def write_index(out, status: dict | None = None) -> str:
    """Write ``out/index.html``: a contents table and, per experiment folder in ``out``,
    its README (findings, settings, every figure) rendered to HTML.

    ``status`` (from :func:`run_all`) adds failures and wall times; without it every
    ``out/<name>/`` holding a README or an error is listed in the registry's order.
    """
    out = Path(out)
    order = [n for n in names() if (out / n).is_dir()]
    order += sorted(p.name for p in out.iterdir() if p.is_dir() and p.name not in order
                    and ((p / "README.md").exists() or (p / "error.txt").exists()))
    status = dict(status or {})
    rows, sections = [], []
    for name in order:
        folder = out / name
        meta = {}
        if (folder / "results.json").exists():
            meta = json.loads((folder / "results.json").read_text(encoding="utf-8"))["meta"]
        st = status.get(name, {"ok": not (folder / "error.txt").exists(), "error": None})
        wall = st.get("wall_time_s", meta.get("wall_time_s"))
        mode = "" if not meta else ("quick" if meta.get("quick") else "full")
        state = ("skipped" if st.get("skipped") else "ok") if st["ok"] \
            else "<span class='failed'>failed</span>"
        rows.append(f"<tr><td><a href='#{html.escape(name)}'>{html.escape(name)}</a></td>"
                    f"<td>{state}</td><td>{html.escape(str(meta.get('data', '')))}</td>"
                    f"<td>{mode}</td><td>{'' if wall is None else f'{wall} s'}</td></tr>")
        body = []
        if not st["ok"]:
            err = st.get("error") or (folder / "error.txt").read_text(encoding="utf-8")
            body.append(f"<h2>{html.escape(name)}</h2><p class='failed'>failed: "
                        f"{html.escape(str(err).strip().splitlines()[-1])}</p>"
                        f"<p class='meta'>traceback: <a href='{html.escape(name)}/error.txt'>"
                        f"{html.escape(name)}/error.txt</a></p>")
        if st["ok"] or (folder / "README.md").exists():
            body.append(_readme_html(folder, name))
        sections.append(f"<section id='{html.escape(name)}'>{''.join(body)}</section>")
    total = sum(s.get("wall_time_s") or 0 for s in status.values())
    ok = sum(1 for n in order if status.get(n, {"ok": True})["ok"])
    head = (f"<p class='meta'>{ok} of {len(order)} experiments ran"
            + (f" in {total:.0f} s" if status else "") + ". Generated by "
            "<code>glassnet experiment all</code>; each section is that experiment's "
            "README.md (findings with the measured numbers) and figures.</p>")
    page = ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<title>glassnet experiments</title>"
            f"<style>{_CSS}</style></head><body>\n<h1>glassnet experiments</h1>\n{head}\n"
            "<nav><table><thead><tr><th>experiment</th><th>status</th><th>data</th>"
            f"<th>mode</th><th>wall time</th></tr></thead><tbody>{''.join(rows)}</tbody>"
            "</table></nav>\n" + "\n".join(sections) + "\n</body></html>\n")
    path = out / "index.html"
    tmp = path.with_name("index.html.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return str(path)
