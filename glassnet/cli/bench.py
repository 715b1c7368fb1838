"""``glassnet bench``: time glassnet against PyTorch in the same run (see glassnet.bench)."""
from __future__ import annotations

import sys


def _positive_int(s):
    try:
        v = int(s)
    except ValueError:
        raise ValueError(f"expected a positive integer, got {s!r}") from None
    if v < 1:
        raise ValueError(f"expected a positive integer, got {v}")
    return v


def register(sub):
    p = sub.add_parser("bench", help="throughput, GFLOPS and peak memory against PyTorch")
    p.add_argument("--only", action="append", default=None, metavar="NAMES",
                   help="comma-separated workloads, groups or shell patterns (e.g. "
                        "resnet20-train,conv-*); repeatable; default: all (see --list)")
    p.add_argument("--batch", type=_positive_int, default=None,
                   help="batch size of every model and conv workload")
    p.add_argument("--steps", type=_positive_int, default=None,
                   help="timed steps per framework (default: ~2 s worth, at least 10)")
    p.add_argument("--threads", type=_positive_int, default=None,
                   help="threads of glassnet (glassnet.set_num_threads) and of torch")
    p.add_argument("--quick", action="store_true", help="tiny batches and 3 steps (tests)")
    p.add_argument("--json", default=None, metavar="PATH",
                   help="where to write the JSON report (default runs/bench/bench-TIME.json)")
    p.add_argument("--no-torch", action="store_true", help="glassnet numbers only")
    p.add_argument("--no-memory", action="store_true",
                   help="skip the peak-memory subprocesses")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda[:N]: glassnet on "
                   "CuPy against torch CUDA (needs CuPy, a GPU and a CUDA build of torch)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--list", action="store_true", help="list the workload names")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from glassnet import bench

    if args.list:
        print("\n".join(bench.list_names()))
        return 0
    only = None
    if args.only:
        only = [n.strip() for part in args.only for n in part.split(",") if n.strip()]
    try:
        report = bench.run_bench(only, quick=args.quick, batch=args.batch, steps=args.steps,
                                 threads=args.threads, use_torch=not args.no_torch,
                                 measure_memory=not args.no_memory, seed=args.seed,
                                 progress=not args.no_progress, device=args.device)
    except (TypeError, ValueError) as e:
        if "device" not in str(e):
            raise
        print(f"glassnet bench: error: --device {args.device}: {e}", file=sys.stderr)
        return 2
    except RuntimeError as e:
        if "CUDA" not in str(e):
            raise
        print(f"glassnet bench: error: --device {args.device}: {e}", file=sys.stderr)
        return 2
    bench.print_table(report)
    path = bench.write_json(report, args.json or bench.default_json_path())
    print(f"wrote {path}")
    bad = [w["name"] for w in report["workloads"] if w["parity"] and not w["parity"]["ok"]]
    if bad:
        print(f"glassnet bench: glassnet and torch disagree on {', '.join(bad)}")
    return 0
