"""``glassnet bench``: glassnet against PyTorch, in the same run, on the workloads that
matter for this framework (CIFAR ResNets, LeNet-5, the small CNN of ``glassnet train``,
an MLP, ImageNet-sized inference, conv2d layer shapes and the per-op overhead).

Method:

- Both frameworks run the same architecture from the same initial weights (glassnet's,
  copied into plain-torch twins by ``state_dict``; the check that their first-step
  losses or outputs agree is printed) on the same inputs.
- After a warm-up, the frameworks take turns in blocks of steps (never call by call:
  idle BLAS/OpenMP threads spin after a parallel region), at least 10 timed steps each;
  medians are reported.
- ratio = glassnet throughput / torch throughput: **> 1 means glassnet is faster**.
- Effective GFLOPS from the counted multiply-accumulates (``glassnet.inspect.summary``).
- Peak memory per (framework, workload) in a fresh subprocess, see
  :mod:`glassnet.bench.memory`.

torch is optional: without it, glassnet's numbers alone. torch is imported only inside
a run (``import glassnet.bench`` does not import it).
"""
from glassnet.bench.report import default_json_path, format_plain, print_table, write_json
from glassnet.bench.runner import run_bench
from glassnet.bench.workloads import GROUPS, list_names, select

__all__ = ["run_bench", "print_table", "format_plain", "write_json", "default_json_path",
           "list_names", "select", "GROUPS"]
