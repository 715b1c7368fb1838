"""glassnet against PyTorch on whole models, conv layer shapes and per-op overhead.

A thin wrapper of ``glassnet bench`` (the logic lives in ``glassnet/bench/``); the same
options: ``--only``, ``--batch``, ``--steps``, ``--threads``, ``--quick``, ``--json``,
``--no-torch``, ``--no-memory``, ``--list``. Run from the repository root:

    python benchmarks/bench_models.py --only resnet20-train,conv-resnet20
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from glassnet.cli.main import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["bench"] + sys.argv[1:]))
