"""The thread pool of the compiled kernels, chosen before numba starts it.

numba's default pool on Linux is OpenMP, whose threads spin for a while after each
parallel region; with as many threads as cores they then compete with NumPy's BLAS
threads, which run next. numba's own ``workqueue`` pool sleeps instead (2 cores, same
machine: ResNet-20 training step 156 -> 181 img/s, MobileNetV2 inference 36 -> 44 img/s;
``NUMBA_THREADING_LAYER=omp`` or any other value the user sets is respected).
``workqueue`` must not be entered by two threads at once, so every kernel call holds
:data:`LOCK` (kernels never nest).
"""
import os
import threading

LOCK = threading.Lock()


def configure() -> None:
    """Call before the first parallel kernel runs (numba reads its configuration from
    the environment, and reads it again when it compiles, so the choice is made there)."""
    if "NUMBA_THREADING_LAYER" not in os.environ:
        os.environ["NUMBA_THREADING_LAYER"] = "workqueue"
        import numba

        numba.config.reload_config()
