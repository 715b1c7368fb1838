"""``run_bench``: build each case in both frameworks, check they agree, time them in
alternating blocks, measure peak memory in subprocesses, and collect the records."""
from __future__ import annotations

import gc
import os
import platform
import time

import numpy as np

from glassnet.bench import memory, timing
from glassnet.bench.workloads import glassnet_side, select, torch_side

__all__ = ["run_bench", "RATIO_CONVENTION", "FLOPS_CONVENTION", "MEMORY_DEFINITION"]

RATIO_CONVENTION = ("ratio = glassnet throughput / torch throughput (= torch median time / "
                    "glassnet median time): > 1 means glassnet is faster")
FLOPS_CONVENTION = ("effective GFLOPS = counted FLOPs / median step time; FLOPs = 2 x the "
                    "multiply-accumulates of convolutions and linear layers "
                    "(glassnet.inspect.summary), x 3 for training and conv forward+backward")
MEMORY_DEFINITION = memory.DEFINITION
PARITY_RTOL = 1e-3  # max |glassnet - torch| / max |torch|, float32 through a whole net


def run_bench(only=None, *, quick: bool = False, batch: int | None = None,
              steps: int | None = None, threads: int | None = None, use_torch: bool = True,
              measure_memory: bool = True, seed: int = 0, target_seconds: float = 2.0,
              progress: bool = True, log=print, device="cpu") -> dict:
    """Run the selected workloads; return the report (the JSON document).

    ``steps``: timed steps per framework (default: enough for ``target_seconds``, at
    least 10; ``quick``: 3). ``log`` receives the one-line parity checks.  ``device``:
    where both frameworks run (``"cuda"``: glassnet on CuPy against torch CUDA, each
    timed step ending with a device synchronisation; peak memory is measured on CPU
    runs only).
    """
    from glassnet.backend import resolve_device

    device = str(resolve_device(device, "bench"))  # RuntimeError when CUDA is missing
    if device != "cpu":
        measure_memory = False
    cases = select(only, quick=quick, batch=batch)
    # NOTE: torch first: glassnet's MKL (when installed) loads its libraries with global
    # symbols, and a torch imported after it would bind its own MKL calls to them.
    torch, torch_note = _import_torch(use_torch)
    timing.set_threads(threads)
    if torch is not None and threads is not None:
        torch.set_num_threads(threads)
    threads_used = {"glassnet": _glassnet_threads(), "numpy_blas": timing.numpy_threads(),
                    "torch": torch.get_num_threads() if torch is not None else None}
    warmup = 1 if quick else 2
    report = {
        "schema": 1,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "versions": _versions(torch),
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpu": _cpu(), "cpu_count": os.cpu_count(),
                    "load_average_start": _loadavg()},
        "threads": threads_used,
        "settings": {"quick": quick, "batch": batch, "steps": steps, "warmup": warmup,
                     "seed": seed, "target_seconds": target_seconds,
                     "measure_memory": measure_memory, "torch": torch is not None,
                     "device": device},
        "conventions": {"ratio": RATIO_CONVENTION, "flops": FLOPS_CONVENTION,
                        "peak_memory": MEMORY_DEFINITION,
                        "parity": f"max |glassnet - torch| / max |torch| <= {PARITY_RTOL}"},
        "notes": [torch_note] if torch_note else [],
        "workloads": [],
    }
    load = _load_note()
    if load:
        report["notes"].append(load)
        log(load)
    with _Progress(progress, len(cases)) as bar:
        for case in cases:
            bar.start(case.name)
            record = _run_case(case, torch, warmup=warmup, steps=steps, quick=quick,
                               seed=seed, target=target_seconds, bar=bar, log=bar.log or log,
                               device=device)
            if measure_memory and case.measures_memory:
                bar.phase(case.name, "memory")
                mem_steps = 2
                for fw in (("glassnet", "torch") if torch is not None else ("glassnet",)):
                    got = memory.measure_in_subprocess(case, fw, steps=mem_steps,
                                                       threads=threads, seed=seed)
                    record[fw]["peak_mib"] = got.get("peak_mib")
                    record[fw]["memory"] = got
            report["workloads"].append(record)
            bar.done()
    report["machine"]["load_average_end"] = _loadavg()
    return report


def _cpu():
    """The CPU's vendor and model (which conv algorithms win depends on them)."""
    from glassnet.ops import _blas

    return {"vendor": _blas.cpu_vendor(), "model": _blas.cpu_model()}


def _loadavg():
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except (AttributeError, OSError):  # pragma: no cover - not on every platform
        return None


def _load_note():
    """A warning when other processes already keep the CPUs busy (noisy numbers)."""
    load, cpus = _loadavg(), os.cpu_count() or 1
    if load is None or load[0] < 0.5 * cpus:
        return None
    return (f"load average {load[0]:.1f} on {cpus} CPUs before the run: other processes "
            f"compete for the cores, so times are noisy (see the spread column)")


def _glassnet_threads() -> int:
    from glassnet.ops.kernels._threads import get_num_threads

    return get_num_threads()


def _import_torch(use_torch):
    """torch (through the reference in ``benchmarks/``), or None and why not."""
    if not use_torch:
        return None, "torch disabled (--no-torch): glassnet numbers only"
    from glassnet.bench.reference import load_reference

    ref, note = load_reference()
    return (None, note) if ref is None else (ref.torch, None)


def _versions(torch):
    import glassnet

    return {"glassnet": glassnet.__version__, "numpy": np.__version__,
            "torch": torch.__version__ if torch is not None else None,
            "python": platform.python_version()}


def _run_case(case, torch, *, warmup, steps, quick, seed, target, bar, log, device="cpu"):
    start = time.perf_counter()
    bar.phase(case.name, "build")
    gn = glassnet_side(case, seed, device=device)
    sides = {"glassnet": gn}
    record = {"name": case.name, "group": case.group, "kind": case.kind, "batch": case.batch,
              "calls_per_step": case.calls, "flops_per_step": gn.flops,
              "glassnet": {}, "torch": None, "ratio": None, "parity": None}
    if torch is not None:
        sides["torch"] = torch_side(case, gn)
        record["torch"] = {}
        record["parity"] = parity = _parity(sides["glassnet"].check(), sides["torch"].check())
        log(f"check {case.name}: {parity['summary']}")

    steps_of = {k: _synced(k, s.step, device) for k, s in sides.items()}
    # Warm-up (first calls allocate workspaces, optimizer state), which also sizes the run.
    bar.phase(case.name, "warm-up")
    last = {}
    for name in sides:
        for _ in range(warmup):
            t0 = time.perf_counter()
            steps_of[name]()
            last[name] = time.perf_counter() - t0
    slowest = max(last.values())
    n = steps or (3 if quick else timing.choose_steps(slowest, target=target))
    bar.phase(case.name, "timing", total=n * len(sides))
    times = timing.alternate(steps_of, n,
                             warm_each_block=slowest < 0.25, on_step=bar.advance)
    for name, secs in times.items():
        st = timing.stats(secs, per=case.calls)
        if case.kind == "op":
            st["us_per_call"] = st["median_s"] * 1e6
        else:
            st["img_per_s"] = case.batch / st["median_s"]
        st["gflops"] = (gn.flops / (st["median_s"] * case.calls) / 1e9) if gn.flops else None
        st["times_s"] = [round(t, 7) for t in secs]
        record[name] = st
    if torch is not None:
        record["ratio"] = record["torch"]["median_s"] / record["glassnet"]["median_s"]
    del sides, gn
    gc.collect()
    record["wall_s"] = time.perf_counter() - start
    return record


def _synced(framework: str, step, device: str):
    """``step``, followed on a GPU by a wait for the framework's queued work, so that a
    timed step is the work and not its launch."""
    if device == "cpu":
        return step
    if framework == "torch":
        from glassnet.bench.reference import load_reference

        sync = load_reference()[0].synchronize
    else:
        from glassnet import cuda

        sync = cuda.synchronize

    def synced():
        step()
        sync(device)

    return synced


def _parity(a: dict, b: dict) -> dict:
    """Compare the check arrays of both frameworks, key by key."""
    errors = {}
    for key in a:
        x, y = np.asarray(a[key], np.float64), np.asarray(b[key], np.float64)
        if x.shape != y.shape:
            errors[key] = float("inf")
            continue
        scale = max(float(np.abs(y).max()), 1e-30)
        errors[key] = float(np.abs(x - y).max() / scale)
    worst = max(errors.values())
    ok = worst <= PARITY_RTOL
    if "loss" in a:
        head = f"first-step loss glassnet {float(a['loss']):.6f} torch {float(b['loss']):.6f}"
    else:
        head = ", ".join(f"{k} {v:.1e}" for k, v in errors.items())
    return {"ok": ok, "max_rel_err": worst, "errors": errors,
            "summary": f"{head}; max rel err {worst:.1e} {'ok' if ok else 'MISMATCH'}"}


class _Progress:
    """A rich progress bar (workloads done, and the steps of the current phase), removed
    when done; nothing when disabled or when rich is missing."""

    def __init__(self, enabled, n_cases):
        self.progress = self.log = None
        if not enabled:
            return
        try:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeElapsedColumn)
        except ImportError:  # pragma: no cover - rich is an optional dependency
            return
        self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TimeElapsedColumn(),
                                 transient=True)
        self.overall = self.progress.add_task("workloads", total=n_cases)
        self.current = self.progress.add_task("", total=None)
        self.log = lambda text: self.progress.console.print(text, soft_wrap=True)

    def __enter__(self):
        if self.progress is not None:
            self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        if self.progress is not None:
            self.progress.__exit__(*exc)
        return False

    def start(self, name):
        self.phase(name, "build")

    def phase(self, name, what, total=None):
        if self.progress is not None:
            self.progress.reset(self.current, total=total, description=f"{name}: {what}")

    def advance(self):
        if self.progress is not None:
            self.progress.advance(self.current)

    def done(self):
        if self.progress is not None:
            self.progress.advance(self.overall)
