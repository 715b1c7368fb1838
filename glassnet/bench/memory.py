"""Peak memory of one (framework, workload), measured in a fresh subprocess.

tracemalloc sees only NumPy's allocations, not torch's allocator, so both frameworks
are measured the same way, by the operating system: peak memory = the peak resident
set size (RSS) during the steps minus the RSS just before them, i.e. after the
imports, the model build and the inputs. It counts what the steps allocate on top of
the model: activations saved for backward, gradients, optimizer state (created by the
first step), workspaces and temporaries, at their worst moment.

On Linux the kernel's high-water mark ``VmHWM`` is reset to the current RSS by writing
``5`` to ``/proc/self/clear_refs``, then read after the steps. Elsewhere (or if that file
is not writable) ``ru_maxrss`` is used; it cannot be reset, so a peak below the one
reached during the build reads as 0 (the ``method`` field says which was used).

Run as ``python -m glassnet.bench.memory --case NAME --framework glassnet|torch``
(``--batch``, ``--steps``, ``--threads``, ``--seed``); it prints one JSON line.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys

__all__ = ["measure_in_subprocess", "PeakRSS", "DEFINITION"]

MIB = 2.0 ** 20
DEFINITION = ("peak RSS during the steps minus RSS just before them (after imports, model "
              "build and inputs), in a fresh subprocess per (framework, workload): what the "
              "steps add on top of the model (saved activations, gradients, optimizer state, "
              "workspaces, temporaries) at their worst moment")


def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


class PeakRSS:
    """``with PeakRSS() as p: ...`` then ``p.baseline``, ``p.peak`` (bytes) and
    ``p.delta = peak - baseline``."""

    def __enter__(self):
        gc.collect()
        self.method = "VmHWM"
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            self.baseline = _status_kib("VmRSS") * 1024
        except OSError:
            import resource

            self.method = "ru_maxrss"
            self.baseline = self._maxrss(resource)
        return self

    @staticmethod
    def _maxrss(resource):
        r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return r if sys.platform == "darwin" else r * 1024  # macOS: bytes; Linux: KiB

    def __exit__(self, *exc):
        if self.method == "VmHWM":
            self.peak = _status_kib("VmHWM") * 1024
        else:
            import resource

            self.peak = self._maxrss(resource)
        self.delta = max(0, self.peak - self.baseline)
        return False


def measure_in_subprocess(case, framework: str, *, steps: int, threads: int | None,
                          seed: int = 0, timeout: float = 900.0) -> dict:
    """Run ``steps`` steps of ``case`` in a fresh interpreter; return its JSON record
    (``peak_mib``, ``baseline_mib``, ``method``) or ``{"error": ...}``."""
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
        __file__))))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH"))
                                        if p)
    cmd = [sys.executable, "-m", "glassnet.bench.memory", "--case", case.name,
           "--framework", framework, "--steps", str(steps), "--seed", str(seed)]
    if case.batch is not None:
        cmd += ["--batch", str(case.batch)]
    if threads is not None:
        cmd += ["--threads", str(threads)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return {"error": f"exit {proc.returncode}: {tail[0]}"}
    return json.loads(lines[-1])


def _main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m glassnet.bench.memory")
    p.add_argument("--case", required=True)
    p.add_argument("--framework", choices=("glassnet", "torch"), required=True)
    p.add_argument("--batch", type=int, default=None)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    from glassnet.bench.timing import set_threads
    from glassnet.bench.workloads import glassnet_side, select, torch_side

    if args.framework == "glassnet":
        # NOTE: not in torch's process: glassnet's runtime setup (its thread pool,
        # malloc keeping freed memory) would change what torch's steps add.
        set_threads(args.threads)
    case = next(c for c in select([args.case], batch=args.batch) if c.name == args.case)
    if args.framework == "torch" and args.threads is not None:
        from glassnet.bench.reference import load_reference

        load_reference()[0].torch.set_num_threads(args.threads)
    side = glassnet_side(case, args.seed, count_flops=False)
    if args.framework == "torch":
        side = torch_side(case, side)
    if args.framework == "glassnet":
        from glassnet.ops.kernels import warm_up
        warm_up()  # the compiled kernels' one-time load, outside the measurement
    with PeakRSS() as peak:
        for _ in range(args.steps):
            side.step()
    print(json.dumps({"case": case.name, "framework": args.framework, "batch": case.batch,
                      "steps": args.steps, "method": peak.method,
                      "baseline_mib": peak.baseline / MIB, "peak_mib": peak.delta / MIB}))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
