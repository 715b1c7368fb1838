"""Data-parallel scaling on this machine: 1 vs N MPI ranks, one BLAS thread each, and
backward with bucketed all-reduce overlap vs all-reduce after backward.

    python3 benchmarks/bench_distributed.py [--nproc 2] [--steps 30] [--batch 64]
                                            [--bucket-cap-mb 25]

Each configuration runs as its own ``mpiexec -n R`` group; every rank trains a LeNet-sized
CNN on (batch, 1, 28, 28) inputs for ``--steps`` steps after 3 warm-up steps and reports
median step times.  Printed: per-rank step time, group img/s and the scaling ratio, and
the backward time (backward + gradient averaging) with DDP's buckets (all-reduces start
during backward) and without (one blocking all-reduce per bucket after backward).

Bandwidth model (what the numbers mean on a cluster): a ring all-reduce of S bytes over N
ranks sends 2 (N - 1) / N * S bytes per rank (reduce-scatter, then all-gather), so its
time is about 2 (N - 1) / N * S / B + 2 (N - 1) * latency for link bandwidth B: nearly
constant in N.  Here the ranks share memory (B of several GB/s, S = the gradient bytes),
so communication is cheap and the scaling is bounded by the 2 shared cores; across nodes
at 10 Gb/s (1.25 GB/s), a 25 MB bucket costs ~20 ms per all-reduce, which overlap hides
behind the backward of the earlier layers.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _model():
    import glassnet.nn as nn

    return nn.Sequential(nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(32 * 7 * 7, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def worker(steps: int, batch: int, bucket_cap_mb: float) -> None:
    import numpy as np
    from mpi4py import MPI

    import glassnet as gn
    import glassnet.distributed as dist
    import glassnet.nn as nn
    from glassnet.nn.parallel import DistributedDataParallel

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    gn.manual_seed(0)
    ddp = DistributedDataParallel(_model(), bucket_cap_mb=bucket_cap_mb)
    opt = gn.optim.SGD(ddp.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(rank)
    x = gn.tensor(rng.standard_normal((batch, 1, 28, 28)).astype(np.float32))
    y = gn.tensor(rng.integers(0, 10, batch))
    loss_fn = nn.CrossEntropyLoss()
    comm = ddp.process_group.comm
    times = {"step": [], "backward_overlap": [], "backward_after": []}
    def overlapped():
        opt.zero_grad()
        loss = loss_fn(ddp(x), y)
        t0 = time.perf_counter()
        loss.backward()  # buckets all-reduce during backward
        return time.perf_counter() - t0

    def after():
        # The same backward without overlap: local backward, then the buckets' all-reduces.
        opt.zero_grad()
        with ddp.no_sync():
            loss = loss_fn(ddp(x), y)
            t0 = time.perf_counter()
            loss.backward()
        for b in ddp._buckets:
            flat = np.concatenate([p.grad._data.ravel() for p in b.params])
            comm.Allreduce(MPI.IN_PLACE, flat, MPI.SUM)
            flat /= world
            for p, sl in zip(b.params, b.slices):
                p.grad._data[...] = flat[sl].reshape(p.shape)
        return time.perf_counter() - t0

    for i in range(steps + 3):
        comm.Barrier()
        t0 = time.perf_counter()
        opt.zero_grad()
        loss_fn(ddp(x), y).backward()
        opt.step()
        step = time.perf_counter() - t0
        comm.Barrier()
        # Alternate which variant runs first, so that neither always meets warm caches.
        first, second = (overlapped, after) if i % 2 else (after, overlapped)
        a, b = first(), second()
        if i >= 3:
            times["step"].append(step)
            times["backward_overlap" if first is overlapped else "backward_after"].append(a)
            times["backward_after" if first is overlapped else "backward_overlap"].append(b)
    med = {k: statistics.median(v) for k, v in times.items()}
    worst = {k: comm.allreduce(v, op=MPI.MAX) for k, v in med.items()}
    if rank == 0:
        grad_mb = sum(p.numel() for p in ddp.parameters()) * 4 / 1e6
        print(json.dumps({"world": world, "batch_per_rank": batch, "buckets": len(ddp._buckets),
                          "grad_mb": round(grad_mb, 2), **{f"{k}_ms": round(1e3 * v, 2)
                                                           for k, v in worst.items()},
                          "group_img_per_s": round(world * batch / worst["step"], 1)}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nproc", type=int, default=2)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--bucket-cap-mb", type=float, default=25.0)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.steps, args.batch, args.bucket_cap_mb)
        return 0
    from glassnet.distributed.launch import mpiexec_command

    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    rows = []
    for world in (1, args.nproc):
        cmd = mpiexec_command(world, [sys.executable, __file__, "--worker", "--steps",
                                      str(args.steps), "--batch", str(args.batch),
                                      "--bucket-cap-mb", str(args.bucket_cap_mb)])
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]))
    one, many = rows
    print(f"scaling {one['world']} -> {many['world']} ranks: "
          f"{many['group_img_per_s'] / one['group_img_per_s']:.2f}x group img/s "
          f"(ideal {many['world']}x); backward+averaging with overlap "
          f"{many['backward_overlap_ms']:.1f} ms vs after backward "
          f"{many['backward_after_ms']:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
