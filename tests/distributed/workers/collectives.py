"""Every collective on rank-dependent inputs; each rank saves its results to
OUT/rank<r>.npz for the test to compare with NumPy reductions."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

import numpy as np  # noqa: E402

import glassnet as gn  # noqa: E402
import glassnet.distributed as dist  # noqa: E402
from glassnet.distributed import ReduceOp  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import data  # noqa: E402



out = Path(sys.argv[1])
dist.init_process_group("mpi")
rank, world = dist.get_rank(), dist.get_world_size()
res = {"rank": np.array(rank), "world": np.array(world)}
for name in ("SUM", "AVG", "MAX", "MIN", "PRODUCT"):
    t = gn.tensor(data(rank))
    assert dist.all_reduce(t, getattr(ReduceOp, name)) is None
    res[f"all_reduce_{name}"] = t.numpy()
t = gn.tensor(data(rank, np.int64))
dist.all_reduce(t, op=ReduceOp.MAX)
res["all_reduce_MAX_int64"] = t.numpy()
t = gn.tensor(data(rank))
work = dist.all_reduce(t, ReduceOp.SUM, async_op=True)
work.wait()
res["all_reduce_async"], res["async_completed"] = t.numpy(), np.array(work.is_completed())
t = gn.tensor(data(rank).T.copy()).t()  # a non-contiguous view: written back in place
dist.all_reduce(t)
res["all_reduce_noncontig"] = t.numpy()
t = gn.tensor(data(rank))
dist.broadcast(t, src=world - 1)
res["broadcast"] = t.numpy()
t = gn.tensor(data(rank))
dist.broadcast(t, src=0, async_op=True).wait()
res["broadcast_async"] = t.numpy()
parts = [gn.zeros(3, 5, dtype=gn.float64) for _ in range(world)]
dist.all_gather(parts, gn.tensor(data(rank)))
res["all_gather"] = np.stack([p.numpy() for p in parts])
big = gn.zeros(world * 3, 5, dtype=gn.float64)
dist.all_gather_into_tensor(big, gn.tensor(data(rank)))
res["all_gather_into_tensor"] = big.numpy()
t = gn.zeros(3, 5, dtype=gn.float64)
dist.reduce_scatter(t, [gn.tensor(data(rank) * (k + 1)) for k in range(world)])
res["reduce_scatter"] = t.numpy()
t = gn.zeros(3, 5, dtype=gn.float64)
dist.reduce_scatter_tensor(t, gn.tensor(np.concatenate([data(rank) * (k + 1)
                                                        for k in range(world)])),
                           op=ReduceOp.AVG)
res["reduce_scatter_tensor_AVG"] = t.numpy()
t = gn.tensor(data(rank))
dist.reduce(t, dst=world - 1)
res["reduce"] = t.numpy()
sub = dist.new_group([0, world - 1])
if sub is not dist.GroupMember.NON_GROUP_MEMBER:
    t = gn.tensor(data(rank))
    dist.all_reduce(t, group=sub)
    res["subgroup_sum"], res["subgroup_rank"] = t.numpy(), np.array(dist.get_rank(sub))
try:
    dist.all_reduce([1.0, 2.0])
except TypeError as err:
    res["type_error"] = np.array(str(err))
try:
    dist.broadcast(gn.zeros(2), src=world)
except ValueError as err:
    res["src_error"] = np.array(str(err))
dist.barrier()
np.savez(out / f"rank{rank}.npz", **res)
dist.destroy_process_group()
res_after = dist.is_initialized()
assert res_after is False
