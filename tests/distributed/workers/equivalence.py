"""Train the small CNN under DistributedDataParallel: each rank takes its share of each
batch of 128; every rank saves its parameter history to OUT/rank<r>.npy."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

import common  # noqa: E402
import glassnet as gn  # noqa: E402
import glassnet.distributed as dist  # noqa: E402
from glassnet.nn.parallel import DistributedDataParallel  # noqa: E402

norm, out = sys.argv[1], Path(sys.argv[2])
bucket_mb = float(sys.argv[3]) if len(sys.argv) > 3 else None
dist.init_process_group("mpi")
rank, world = dist.get_rank(), dist.get_world_size()
model = common.small_cnn(norm)
if rank:
    gn.manual_seed(rank)  # different replicas: the construction broadcast must fix them
    for p in model.parameters():
        p.data.copy_(gn.randn(*p.shape, dtype=p.dtype))
ddp = DistributedDataParallel(model, bucket_cap_mb=bucket_mb)
per = common.BATCH // world
history = common.train(ddp, shard=lambda x, y: (x[rank * per:(rank + 1) * per],
                                                 y[rank * per:(rank + 1) * per]))
np.save(out / f"rank{rank}.npy", history)
dist.destroy_process_group()
