"""Rank 1 raises while rank 0 waits in an all_reduce: the group must abort, not hang."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

import glassnet as gn  # noqa: E402
import glassnet.distributed as dist  # noqa: E402

dist.init_process_group("mpi")
t = gn.ones(4)
dist.all_reduce(t)
if dist.get_rank() == 1:
    raise ValueError("a bad batch on rank 1")
dist.all_reduce(t)  # rank 0 would wait here forever without the abort
print("rank 0 finished", flush=True)
