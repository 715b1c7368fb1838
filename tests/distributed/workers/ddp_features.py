"""DistributedDataParallel's no_sync, find_unused_parameters, broadcast_buffers and
bucket overlap on 2 ranks; each rank saves what it saw to OUT/rank<r>.npz."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from common import Heads, micro_batch, mse  # noqa: E402  (puts the repo on sys.path)
import glassnet as gn  # noqa: E402
import glassnet.distributed as dist  # noqa: E402
import glassnet.nn as nn  # noqa: E402
from glassnet.nn.parallel import DistributedDataParallel as DDP  # noqa: E402

out = Path(sys.argv[1])
dist.init_process_group("mpi")
rank = dist.get_rank()
res = {}

# no_sync: two local micro-batches, then a synchronised one.
gn.manual_seed(0)
ddp = DDP(nn.Linear(4, 3).double())
res["keys"] = np.array(sorted(ddp.state_dict()))
for micro in range(2):
    with ddp.no_sync():
        mse(ddp(micro_batch(rank, micro)[0]), micro_batch(rank, micro)[1]).backward()
res["local_grad"] = ddp.module.weight.grad.numpy().copy()
x, y = micro_batch(rank, 2)
mse(ddp(x), y).backward()
res["synced_grad"] = ddp.module.weight.grad.numpy().copy()

# find_unused_parameters: head b is used on rank 0 only, head c on no rank.
gn.manual_seed(1)
ddp = DDP(Heads().double(), find_unused_parameters=True)
x, y = micro_batch(rank, 3)
mse(ddp(x, ("a", "b") if rank == 0 else ("a",)), y).backward()
res["unused_a"] = ddp.module.a.weight.grad.numpy()
res["unused_b"] = ddp.module.b.weight.grad.numpy()
res["unused_c_is_none"] = np.array(ddp.module.c.weight.grad is None)
# Without it, a parameter without gradient is an error on every rank...
ddp = DDP(Heads().double())
try:
    mse(ddp(x, ("a", "b")), y).backward()
except RuntimeError as err:
    res["unused_error"] = np.array(str(err))
# ... after which the group still works.
ddp.zero_grad()
with ddp.no_sync():
    mse(ddp(x), y).backward()
res["local_c"] = ddp.module.c.weight.grad.numpy().copy()
ddp.zero_grad()
mse(ddp(x), y).backward()
res["synced_c"] = ddp.module.c.weight.grad.numpy()

# broadcast_buffers: rank 0's running statistics replace the others' at each forward.
for flag in (True, False):
    bn = nn.BatchNorm1d(3, momentum=0.0).double()
    ddp = DDP(bn, broadcast_buffers=flag)
    bn.running_mean.data.fill_(float(rank + 1))
    ddp(gn.tensor(np.random.default_rng(rank).standard_normal((6, 3)))).sum().backward()
    res[f"running_mean_{flag}"] = bn.running_mean.numpy()

# Overlap: with one parameter per bucket, the last layers' buckets are in flight before
# backward reaches the first layer.
gn.manual_seed(2)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(),
                      nn.Linear(8, 3)).double()
ddp = DDP(model, bucket_cap_mb=1e-6)
seen = []
model[0].weight.register_hook(lambda g: seen.append(ddp._next_bucket))
x, y = micro_batch(rank, 4)
mse(ddp(x), y).backward()
res["buckets"] = np.array(len(ddp._buckets))
res["started_before_first_layer"] = np.array(seen[0])
res["first_layer_grad"] = model[0].weight.grad.numpy()
# DistributedSampler takes num_replicas and rank from the group.
from glassnet.utils.data import DistributedSampler  # noqa: E402

sampler = DistributedSampler(list(range(7)), shuffle=False)
res["sampler"] = np.array([sampler.num_replicas, sampler.rank, *sampler])
np.savez(out / f"rank{rank}.npz", **res)
dist.destroy_process_group()
