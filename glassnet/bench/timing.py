"""Threads and the timing schedule: the frameworks take turns in blocks of steps.

Not call by call: after a parallel region, a library's idle worker threads keep
spinning for a while (OpenBLAS, OpenMP), and would steal the cores from the other
framework's next step. Blocks alternate in the order A B, B A, A B, ... so that slow
drifts and bursts of outside load hit both frameworks alike.
"""
from __future__ import annotations

import math
import time

import numpy as np

__all__ = ["set_threads", "numpy_threads", "alternate", "choose_steps", "stats"]


def set_threads(n: int | None):
    """Give glassnet ``n`` threads (:func:`glassnet.set_num_threads`: numba's pool, which
    also runs the large matrix products, NumPy's BLAS then on one thread; without numba,
    NumPy's BLAS). Returns None; ``n`` None keeps the defaults."""
    if n is None:
        return None
    if n < 1:
        raise ValueError(f"bench: threads must be >= 1, got {n}")
    from glassnet.ops.kernels._threads import set_num_threads

    set_num_threads(n)
    return None


def numpy_threads():
    """Threads of NumPy's BLAS as threadpoolctl reads them (None when unknown)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return int(infos[0]["num_threads"]) if infos else None


def choose_steps(step_seconds: float, *, target: float, minimum: int = 10,
                 maximum: int = 100) -> int:
    """Timed steps per framework: enough for about ``target`` seconds, within
    [minimum, maximum]."""
    if step_seconds <= 0:
        return maximum
    return int(min(maximum, max(minimum, math.ceil(target / step_seconds))))


def alternate(fns: dict, steps: int, *, rounds: int | None = None,
              warm_each_block: bool = False, on_step=None) -> dict:
    """Time ``steps`` calls of each ``fns[name]()``, in ``rounds`` alternating blocks.

    ``warm_each_block`` runs one untimed call at the start of each block (cheap steps:
    it absorbs the other framework's spinning threads). Returns name -> list of seconds.
    """
    names = list(fns)
    rounds = rounds or min(5, max(1, steps // 2))
    per_block = math.ceil(steps / rounds)
    times: dict = {k: [] for k in names}
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            fn, out = fns[name], times[name]
            if warm_each_block:
                fn()
            for _ in range(min(per_block, steps - len(out))):
                start = time.perf_counter()
                fn()
                out.append(time.perf_counter() - start)
                if on_step is not None:
                    on_step()
    return times


def stats(seconds, *, per: int = 1) -> dict:
    """Median, quartiles, min and max of ``seconds`` (per call when a step is ``per``
    calls)."""
    t = np.asarray(seconds, dtype=np.float64) / per
    q1, med, q3 = np.percentile(t, [25, 50, 75])
    return {"n": int(t.size), "median_s": float(med), "q1_s": float(q1), "q3_s": float(q3),
            "min_s": float(t.min()), "max_s": float(t.max())}
