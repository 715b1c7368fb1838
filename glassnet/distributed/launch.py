"""Start ``N`` ranks of a Python program with ``mpiexec`` (``glassnet train --nproc N``).

``mpiexec`` is looked for beside the running interpreter first (where the ``mpich``
wheel installs it, also inside a virtual environment), then on ``PATH``.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig

__all__ = ["find_mpiexec", "mpiexec_command", "launch", "under_mpiexec"]

# Variables that MPICH's and Open MPI's launchers set in every rank they start, and the
# one launch() sets, so that a rank never starts a group of its own.
_LAUNCHED = "GLASSNET_MPI_RANK_OF"
_LAUNCHER_VARIABLES = ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", _LAUNCHED)


def find_mpiexec() -> str | None:
    """Path of ``mpiexec``, or None when no MPI launcher is installed."""
    for folder in (os.path.dirname(sys.executable), sysconfig.get_path("scripts")):
        candidate = os.path.join(folder, "mpiexec")
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("mpiexec")


def under_mpiexec() -> bool:
    """True when this process was started by an MPI launcher (``mpiexec -n N ...``)."""
    return any(name in os.environ for name in _LAUNCHER_VARIABLES)


def mpiexec_command(nproc: int, argv: list[str]) -> list[str]:
    """``mpiexec -n nproc <argv>``; RuntimeError when mpiexec is missing."""
    if isinstance(nproc, bool) or not isinstance(nproc, int) or nproc < 1:
        raise ValueError(f"mpiexec_command: nproc must be an int >= 1, got {nproc!r}")
    mpiexec = find_mpiexec()
    if mpiexec is None:
        raise RuntimeError("mpiexec_command: no mpiexec found beside the Python interpreter "
                           "or on PATH; pip install 'glassnet[mpi]' (the mpich wheel "
                           "provides it)")
    return [mpiexec, "-n", str(nproc), *argv]


def launch(nproc: int, argv: list[str], blas_threads: int = 1, timeout=None) -> int:
    """Run ``argv`` as ``nproc`` MPI ranks and return mpiexec's exit status.

    Each rank gets ``blas_threads`` BLAS/OpenMP threads (default 1, so that ``N`` ranks
    do not oversubscribe the cores).
    """
    env = dict(os.environ, **{_LAUNCHED: str(nproc)})
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                 "NUMBA_NUM_THREADS"):
        env[name] = str(blas_threads)
    return subprocess.run(mpiexec_command(nproc, argv), env=env, timeout=timeout).returncode
