"""What the compiled kernels share: their thread pool (chosen before numba starts it),
the lock around it, the import of a kernel module, the switch back to the NumPy
reference (:class:`disabled`), and the thread count (:func:`set_num_threads`, as
``torch.set_num_threads``).

One pool for everything. Every parallel hot path runs on numba's threads: the compiled
kernels, and the matrix products too (:mod:`glassnet.ops.kernels.gemm` spreads each
large product over the pool as single-threaded BLAS calls), so NumPy's BLAS is set to
one thread when the pool starts (:func:`configure`). Two pools, each with as many
threads as cores, take the cores from each other: OpenBLAS's idle threads spin for
~2^28 cycles after each product, OpenMP's after each parallel region. numba's pool is
OpenMP where it loads (launch ~2 us against ~150 us for numba's own ``workqueue``, whose
threads sleep, which was chosen while BLAS had threads of its own), its threads
spinning only briefly after a region (:data:`SPIN_COUNT`). Measured on 2 cores, img/s of
a training step, BLAS threads + workqueue / one OpenMP pool: ResNet-20 186-206 / 252-266,
LeNet-5 6750 / 8100-8670. ``NUMBA_THREADING_LAYER`` or ``NUMBA_THREADING_LAYER_PRIORITY``
set by the user is respected. GNU OpenMP is not fork-safe: a process forked after the pool started
must not run glassnet's parallel kernels (numba stops it with a message); glassnet's
data loader uses threads and ``glassnet.multiprocessing.spawn`` starts fresh processes.
Kernels never nest, and every kernel call holds :data:`LOCK`.
"""
import importlib
import os
import threading

LOCK = threading.Lock()
_off: list = []
_state: dict = {}


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


def loader(name: str):
    """A function that returns :func:`load`'s module for ``name`` (or None), loading it
    on its first call only: each kernel module's ``_build``."""
    found = []

    def build():
        if not found:
            found.append(load(name))
        return found[0]

    return build


def configure() -> None:
    """Call before the first parallel kernel runs (numba reads its configuration from
    the environment, and reads it again when it compiles, so the choice is made there).
    Sets NumPy's BLAS to one thread (see the module's docstring). Raises ImportError
    without numba."""
    if _state.get("configured"):
        return
    import numba  # ImportError: no numba, nothing to configure

    if ("NUMBA_THREADING_LAYER" not in os.environ
            and "NUMBA_THREADING_LAYER_PRIORITY" not in os.environ):
        os.environ["NUMBA_THREADING_LAYER_PRIORITY"] = "omp tbb workqueue"
        numba.config.reload_config()
    _state["configured"] = True
    _start_pool()
    _own_blas()
    _keep_freed_memory()


# Activations of a conv net are arrays of megabytes, allocated and freed every step.
# glibc's malloc maps blocks above its threshold (at most 32 MB, adjusted as blocks are
# freed) fresh from the OS and returns them on free, so each new array pays a page fault
# per 4 KiB on first touch: a 38 MB ReLU6 output costs 3.7 ms instead of 1.6 ms. Above
# _KEEP bytes that stays so; below, freed memory is kept for the next allocation (as
# torch's caching allocators do). Measured on 2 cores, glassnet alone, img/s: ResNet-20
# training 309 -> 331, ResNet-18 inference 30.5 -> 32.7, MobileNetV2 74.5 -> 81-85.
_KEEP = 1 << 30


def _keep_freed_memory() -> None:
    """Set glibc's ``M_MMAP_THRESHOLD`` and ``M_TRIM_THRESHOLD`` to :data:`_KEEP`, unless
    the user set malloc's tunables or this is not glibc."""
    if any(k.startswith("MALLOC_") or k == "GLIBC_TUNABLES" for k in os.environ):
        return
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # pragma: no cover - not glibc (musl has none)
        return
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    _state["malloc"] = (mallopt(-3, _KEEP), mallopt(-1, _KEEP))  # M_MMAP_, M_TRIM_THRESHOLD


# GNU OpenMP's threads spin this many rounds at the end of a parallel region before they
# sleep (its default, 300000, is ~1 ms). Measured on 2 cores, img/s, alone / two
# processes at once: LeNet-5 training 8100 / 1060 each with the default, 8300 / 4240
# with 30000, 7080 / 6660 sleeping at once (OMP_WAIT_POLICY=passive; small CNN on digits
# alone 1660 against 2410): spinning wins alone, and a short spin bounds what it costs
# when another process wants the core.
SPIN_COUNT = 30000


def _start_pool() -> None:
    """Start numba's pool now, GNU OpenMP reading ``GOMP_SPINCOUNT`` as it loads; the
    environment is restored after (torch, in the same process, has its own OpenMP
    copy, which must not see it). A user's ``OMP_WAIT_POLICY``/``GOMP_SPINCOUNT`` win."""
    if "OMP_WAIT_POLICY" in os.environ or "GOMP_SPINCOUNT" in os.environ:
        return
    os.environ["GOMP_SPINCOUNT"] = str(SPIN_COUNT)
    try:
        from numba.np.ufunc import parallel

        parallel._launch_threads()
    except (ImportError, AttributeError):  # pragma: no cover - numba moved it: defaults
        pass
    finally:
        del os.environ["GOMP_SPINCOUNT"]


def _own_blas() -> None:
    from glassnet.ops import _blas

    if not _blas.AVAILABLE:  # no CBLAS to call from the pool: NumPy's BLAS keeps its threads
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn (a dependency) brings it
        return
    _state["blas"] = threadpool_limits(limits=1, user_api="blas")


def set_num_threads(n: int) -> None:
    """Threads of glassnet's parallel work (``torch.set_num_threads``): numba's pool,
    which also runs the matrix products; without numba, NumPy's BLAS. At most the
    number of cores numba saw at start (``NUMBA_NUM_THREADS``)."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"set_num_threads: n must be an int, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"set_num_threads: n must be >= 1, got {n}")
    try:
        configure()
        import numba
    except ImportError:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover
            return
        _state["blas"] = threadpool_limits(limits=n, user_api="blas")
        return
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))


def get_num_threads() -> int:
    """Threads of glassnet's parallel work (``torch.get_num_threads``)."""
    try:
        configure()
        import numba
    except ImportError:
        try:
            from threadpoolctl import threadpool_info
        except ImportError:  # pragma: no cover
            return 1
        blas = [i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas"]
        return blas[0] if blas else 1
    return numba.get_num_threads()
