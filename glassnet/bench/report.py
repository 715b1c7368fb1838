"""The bench report: a table (rich when installed, plain text otherwise) and JSON."""
from __future__ import annotations

import json
import os
import time

__all__ = ["table_rows", "print_table", "write_json", "default_json_path", "HEADERS"]

HEADERS = ("workload", "batch", "glassnet", "torch", "ratio", "spread gn/torch",
           "GFLOPS gn/torch", "peak MiB gn/torch", "threads", "check")


def _speed(rec, side):
    st = rec.get(side)
    if not st:
        return "-"
    if "us_per_call" in st:
        return f"{st['us_per_call']:.1f} µs"
    return f"{st['img_per_s']:.1f} img/s"


def _num(v, fmt):
    return "-" if v is None else format(v, fmt)


def _spread(st):
    """Interquartile range / median of the step times (None without times)."""
    if not st or not st.get("median_s"):
        return None
    return (st["q3_s"] - st["q1_s"]) / st["median_s"]


def _pair(a, b, fmt):
    if a is None and b is None:
        return "-"
    return f"{_num(a, fmt)} / {_num(b, fmt)}"


def table_rows(report) -> list:
    """One tuple of strings per workload, in ``HEADERS`` order."""
    th = report["threads"]
    threads = (f"{th.get('glassnet') or th['numpy_blas'] or '?'}/"
               f"{th['torch'] if th['torch'] is not None else '-'}")
    rows = []
    for rec in report["workloads"]:
        gn, tc = rec["glassnet"], rec["torch"] or {}
        parity = rec["parity"]
        check = "-" if parity is None else ("ok" if parity["ok"] else "MISMATCH") + \
            f" {parity['max_rel_err']:.0e}"
        gflops = _pair(gn.get("gflops"), tc.get("gflops"), ".1f")
        peak = _pair(gn.get("peak_mib"), tc.get("peak_mib"), ".0f")
        spread = _pair(_spread(gn), _spread(tc), ".0%")
        rows.append((rec["name"], _num(rec["batch"], "d"), _speed(rec, "glassnet"),
                     _speed(rec, "torch"), _num(rec["ratio"], ".2f"), spread, gflops, peak,
                     threads, check))
    return rows


def _title(report):
    v = report["versions"]
    torch = f"torch {v['torch']}" if v["torch"] else "no torch"
    return f"glassnet bench — glassnet {v['glassnet']} vs {torch}, numpy {v['numpy']}"


def _caption(report):
    lines = [report["conventions"]["ratio"] + ".",
             "µs: per call of a tiny op, forward + backward. threads: glassnet / torch.",
             "spread: interquartile range / median of the step times (large: a noisy row).",
             "peak MiB: peak RSS during the steps minus RSS before them (fresh subprocess).",
             "GFLOPS: " + report["conventions"]["flops"].split("= ", 1)[1] + "."]
    return "\n".join(lines + report.get("notes", []))


def print_table(report, console=None) -> None:
    """Print the report's table (rich if installed)."""
    rows = table_rows(report)
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover - rich is an optional dependency
        print(format_plain(report))
        return
    table = Table(title=_title(report), caption=_caption(report), caption_justify="left")
    for i, h in enumerate(HEADERS):
        table.add_column(h, justify="left" if i == 0 else "right", no_wrap=i == 0)
    for row in rows:
        style = None
        if row[4] != "-":
            style = "green" if float(row[4]) >= 1.0 else None
        table.add_row(*row, style=style)
    if console is None:
        console = Console()
        if not console.is_terminal:  # a log file or a pipe: do not squeeze to 80 columns
            console = Console(width=160)
    console.print(table)


def format_plain(report) -> str:
    """The table as plain text (no rich)."""
    rows = [HEADERS] + table_rows(report)
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADERS))]
    lines = [_title(report)]
    for r in rows:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths))))
    return "\n".join(lines + [_caption(report)])


def default_json_path() -> str:
    """``runs/bench/bench-<YYYYmmdd-HHMMSS>.json`` under the current directory."""
    return os.path.join("runs", "bench", f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json")


def write_json(report, path: str) -> str:
    """Write the report as indented JSON (creating folders); return the path."""
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    return path
