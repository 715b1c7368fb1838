"""What the compiled kernels share: their thread pool (chosen before numba starts it),
the lock around it, the import of a kernel module, and the switch back to the NumPy
reference (:class:`disabled`).

numba's default pool on Linux is OpenMP, whose threads spin for a while after each
parallel region; with as many threads as cores they then compete with NumPy's BLAS
threads, which run next. numba's own ``workqueue`` pool sleeps instead (2 cores, same
machine: ResNet-20 training step 156 -> 181 img/s, MobileNetV2 inference 36 -> 44 img/s;
``NUMBA_THREADING_LAYER=omp`` or any other value the user sets is respected).
``workqueue`` must not be entered by two threads at once, so every kernel call holds
:data:`LOCK` (kernels never nest).
"""
import importlib
import os
import threading

LOCK = threading.Lock()
_off: list = []


class disabled:
    """Context manager: every op runs its NumPy reference instead of the compiled
    kernels (tests compare the two)."""

    def __enter__(self):
        _off.append(True)
        return self

    def __exit__(self, *exc):
        _off.pop()


def is_disabled() -> bool:
    return bool(_off)


def load(name: str):
    """The numba kernel module ``glassnet.ops.kernels.<name>``, or None without numba."""
    try:
        configure()
        return importlib.import_module(f"glassnet.ops.kernels.{name}")
    except ImportError:
        return None


def configure() -> None:
    """Call before the first parallel kernel runs (numba reads its configuration from
    the environment, and reads it again when it compiles, so the choice is made there)."""
    if "NUMBA_THREADING_LAYER" not in os.environ:
        import numba  # ImportError: no numba, nothing to configure

        os.environ["NUMBA_THREADING_LAYER"] = "workqueue"

        numba.config.reload_config()
