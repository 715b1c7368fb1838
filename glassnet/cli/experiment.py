"""``glassnet experiment``: one-command reproductions of the classic phenomena.

    glassnet experiment --list
    glassnet experiment NAME [--quick] [--out DIR] [--seed S] [--data-dir D] [--no-progress]
    glassnet experiment all [--quick] [--out DIR]     (also writes DIR/index.html)
"""
from __future__ import annotations

import os


def register(sub):
    p = sub.add_parser("experiment", help="run a classic deep-learning experiment",
                       description="Run an experiment: plots (PNG), results.json and a "
                       "README.md stating the finding with the measured numbers. 'all' runs "
                       "every one and writes OUT/index.html.")
    p.add_argument("name", nargs="?", metavar="NAME", help="experiment name (see --list), "
                   "or 'all'")
    p.add_argument("--list", action="store_true", help="list the experiments and exit")
    p.add_argument("--quick", action="store_true", help="small sizes (under a minute each)")
    p.add_argument("--out", help="output folder (default runs/experiments/NAME; for 'all' "
                   "runs/experiments)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", help="MNIST folder (IDX files), e.g. ../shared/data/mnist; "
                   "default the embedded 8x8 digits")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from glassnet.experiments._runner import listing, run_all, run_experiment

    if args.list:
        rows = listing()
        width = max((len(n) for n, _ in rows), default=0)
        for name, summary in rows:
            print(f"{name:<{width}}  {summary}")
        return 0
    if args.name is None:
        raise ValueError("give an experiment NAME, 'all', or --list")
    progress = not args.no_progress
    if args.name == "all":
        out = args.out or os.path.join("runs", "experiments")
        status = run_all(out, quick=args.quick, seed=args.seed, data_dir=args.data_dir,
                         progress=progress)
        failed = [n for n, s in status.items() if not s["ok"]]
        skipped = [n for n, s in status.items() if s.get("skipped")]
        ran = len(status) - len(failed) - len(skipped)
        print(f"wrote {os.path.join(out, 'index.html')} ({ran} of {len(status)} experiments "
              f"ran" + (f"; skipped (no data): {', '.join(skipped)}" if skipped else "")
              + (f"; failed: {', '.join(failed)}" if failed else "") + ")")
        return 1 if failed else 0
    out = args.out or os.path.join("runs", "experiments", args.name)
    doc = run_experiment(args.name, out, quick=args.quick, seed=args.seed,
                         data_dir=args.data_dir, progress=progress)
    readme = os.path.join(out, "README.md")
    with open(readme, encoding="utf-8") as f:
        print(f.read().split("\n![", 1)[0].rstrip())
    print(f"\nwrote {out}/ ({len(doc['meta']['figures'])} figures, results.json, README.md; "
          f"{doc['meta']['wall_time_s']} s)")
    return 0
