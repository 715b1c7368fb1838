"""Run a worker script as N MPI ranks (pytest itself stays one process)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WORKERS = Path(__file__).resolve().parent / "workers"


def mpiexec():
    """The mpiexec that glassnet.distributed.launch finds, or skip the test."""
    pytest.importorskip("mpi4py", reason="the mpi extra (mpi4py) is not installed")
    from glassnet.distributed.launch import find_mpiexec

    path = find_mpiexec()
    if path is None:
        pytest.skip("no mpiexec (pip install 'glassnet[mpi]' brings the mpich wheel)")
    return path


def run_ranks(n: int, worker: str, *args, timeout: float = 60) -> subprocess.CompletedProcess:
    """``mpiexec -n n python3 workers/<worker> args...`` with one BLAS thread per rank."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MKL_NUM_THREADS="1", PYTHONPATH=str(REPO))
    cmd = [mpiexec(), "-n", str(n), sys.executable, str(WORKERS / worker), *map(str, args)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout,
                          cwd=str(REPO))


def check(proc: subprocess.CompletedProcess) -> str:
    """Fail with both ranks' output unless mpiexec exited 0; return stdout."""
    assert proc.returncode == 0, (f"mpiexec exited {proc.returncode}\nstdout:\n{proc.stdout}"
                                  f"\nstderr:\n{proc.stderr}")
    return proc.stdout
