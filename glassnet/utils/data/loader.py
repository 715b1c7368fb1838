"""``DataLoader``: batches from a dataset, with shuffling, worker threads and resume.

Names, arguments and defaults follow ``torch.utils.data.DataLoader``.  Workers are
daemon threads rather than processes: NumPy and Pillow release the GIL in their kernels,
threads need no pickling of the dataset, and a worker stuck in the dataset never keeps the
interpreter from exiting.
"""
from __future__ import annotations

import collections
import concurrent.futures
import copy
import itertools
import queue
import threading
import traceback
from collections.abc import Mapping

import numpy as np

from glassnet.backend import default_generator
from glassnet.utils.data._random import call_with_sample_key
from glassnet.utils.data.collate import default_collate, default_convert
from glassnet.utils.data.dataset import IterableDataset
from glassnet.utils.data.sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info", "WorkerInfo"]


# -- Worker threads ----------------------------------------
class WorkerInfo:
    """What :func:`get_worker_info` returns inside a worker thread."""

    def __init__(self, id: int, num_workers: int, dataset):  # noqa: A002 (torch's name)
        self.id = id
        self.num_workers = num_workers
        self.dataset = dataset

    def __repr__(self) -> str:
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers})"


_WORKER = threading.local()


def get_worker_info() -> WorkerInfo | None:
    """The :class:`WorkerInfo` of the calling worker thread, or None in the main thread."""
    return getattr(_WORKER, "info", None)


def _make_worker_initializer(num_workers, dataset, worker_init_fn):
    # NOTE: the initializer must not reference the DataLoader: worker threads hold it
    # strongly, and a persistent pool would otherwise keep its loader alive forever.
    ids = itertools.count()
    lock = threading.Lock()

    def init():
        with lock:
            worker_id = next(ids)
        _WORKER.info = WorkerInfo(worker_id, num_workers, dataset)
        if worker_init_fn is not None:
            worker_init_fn(worker_id)

    return init


class _DaemonPool:
    """The worker threads: a minimal pool of *daemon* threads with the part of
    ``concurrent.futures.ThreadPoolExecutor``'s interface the loader uses.

    ``ThreadPoolExecutor`` joins its threads at interpreter exit, so one dataset
    ``__getitem__`` that never returns (a hung network read) would keep the process
    alive forever after the training script ended; daemon threads end with it.
    """

    def __init__(self, max_workers: int, thread_name_prefix: str, initializer):
        self._queue = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._work, args=(initializer,),
                                          name=f"{thread_name_prefix}_{i}", daemon=True)
                         for i in range(max_workers)]
        for t in self._threads:
            t.start()

    def _work(self, initializer):
        try:
            initializer()
            failed = None
        except BaseException as exc:  # every task of this thread reports it
            failed = exc
        while True:
            item = self._queue.get()
            if item is None:
                return
            future, fn = item
            if not future.set_running_or_notify_cancel():
                continue
            if failed is not None:
                future.set_exception(RuntimeError(
                    f"DataLoader: worker_init_fn raised {type(failed).__name__}: {failed}"))
                continue
            try:
                result = fn()
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(result)

    def submit(self, fn) -> concurrent.futures.Future:
        future = concurrent.futures.Future()
        self._queue.put((future, fn))
        return future

    def shutdown(self, wait: bool = False, cancel_futures: bool = True) -> None:
        """Stop the threads once they finish what they run (queued tasks the loader
        cancelled are skipped); ``wait`` joins them."""
        for _ in self._threads:
            self._queue.put(None)
        if wait:
            for t in self._threads:
                t.join()


class _WorkerFailure(Exception):
    """Carries an exception raised in a worker thread, with its traceback text."""

    def __init__(self, exc: BaseException, worker_id, tb_text: str):
        super().__init__(str(exc))
        self.exc = exc
        self.worker_id = worker_id
        self.tb_text = tb_text

    def reraise(self):
        msg = (f"Caught {type(self.exc).__name__} in DataLoader worker thread "
               f"{self.worker_id}.\nOriginal {self.tb_text}")
        try:
            new = type(self.exc)(msg)
        except Exception:  # an exception type whose constructor needs other arguments
            new = RuntimeError(msg)
        raise new from self.exc


class _EpochPlan:
    """One epoch: its batches of indices, base seed, and how many were yielded."""

    __slots__ = ("batches", "offsets", "base_seed", "yielded")

    def __init__(self, batches, base_seed: int, yielded: int = 0, batched: bool = True):
        self.batches = batches
        self.base_seed = int(base_seed)
        self.yielded = int(yielded)
        self.offsets = None
        if batches is not None:
            if batched:
                self.offsets = np.concatenate(
                    [[0], np.cumsum([len(b) for b in batches])]).astype(np.int64).tolist()
            else:
                self.offsets = list(range(len(batches) + 1))

    @property
    def finished(self) -> bool:
        return self.batches is not None and self.yielded >= len(self.batches)


_END = object()


def _plain(index):
    """Index (or list of indices) as plain Python ints, so that state_dict is JSON-able."""
    if isinstance(index, np.integer):
        return int(index)
    if isinstance(index, (list, tuple, np.ndarray)):
        return [int(i) if isinstance(i, np.integer) else i for i in index]
    return index


# -- DataLoader ----------------------------------------
class DataLoader:
    """Iterate over a dataset in batches (``torch.utils.data.DataLoader``).

    Parameters
    ----------
    dataset : Dataset or IterableDataset
    batch_size : int or None
        Samples per batch (default 1); None disables automatic batching and yields
        single samples passed through ``collate_fn`` (default :func:`default_convert`).
    shuffle : bool
        Visit the samples in a new random order each epoch (a :class:`RandomSampler`).
    sampler : Sampler or iterable of indices, optional
        Custom order; mutually exclusive with ``shuffle``.
    batch_sampler : Sampler yielding lists of indices, optional
        Mutually exclusive with ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``.
    num_workers : int
        Number of worker threads loading batches in the background (0: load in the
        main thread).  Batches are yielded in sampler order.
    collate_fn : callable, optional
        Merges a list of samples into a batch; default :func:`default_collate`.
    pin_memory : bool
        Accepted for compatibility; has no effect (arrays live in host memory).
    drop_last : bool
        Drop the last incomplete batch.
    timeout : float
        Seconds to wait for a batch from the workers (0: forever).
    worker_init_fn : callable, optional
        Called as ``worker_init_fn(worker_id)`` in each worker thread when it starts.
    generator : numpy.random.Generator, optional
        Source of the shuffling order and of the augmentation seeds; default
        ``glassnet.backend.default_generator()``, so ``glassnet.manual_seed`` makes
        runs reproducible.
    prefetch_factor : int
        Batches loaded ahead per worker (``num_workers * prefetch_factor`` in flight).
    persistent_workers : bool
        Keep the worker threads between epochs (requires ``num_workers > 0``).

    Notes
    -----
    **Randomness.**  At the start of each epoch the loader draws the sampler's order
    and one ``base_seed`` from ``generator``.  Every ``dataset[i]`` call then runs with
    the sample stream keyed by ``(base_seed, position)`` installed (``position`` is the
    sample's place in the epoch), and glassnet's random transforms draw from it through
    :func:`glassnet.utils.data.get_sample_generator`.  So the augmentations do not depend on
    thread timing: ``num_workers=0`` and ``num_workers=2`` give identical batches.
    Custom random transforms should draw from ``get_sample_generator()`` too.

    **Resume.**  :meth:`state_dict` captures the current epoch (its index order, its
    base seed and the number of batches already yielded) and the state of
    ``generator``.  After :meth:`load_state_dict` the next ``iter(loader)`` yields
    exactly the remaining batches of that epoch (same order, same augmentations), and
    later epochs continue as in an uninterrupted run.  When the loader draws from the
    default generator, also save and restore ``glassnet.get_rng_state()``.

    **Workers.**  Workers are threads; an exception in a worker is re-raised in the
    main thread with the worker's traceback in its message.  An
    :class:`IterableDataset` is read by a single background thread, in order.

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.utils.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(np.arange(10, dtype=np.float32), np.arange(10))
    >>> loader = DataLoader(ds, batch_size=4, shuffle=True,
    ...                     generator=np.random.default_rng(0))
    >>> len(loader), [tuple(x.shape) for x, y in loader]
    (3, [(4,), (4,), (2,)])
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool = False,
                 sampler=None, batch_sampler=None, num_workers: int = 0, collate_fn=None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn=None, generator=None, prefetch_factor: int | None = 2,
                 persistent_workers: bool = False):
        fn = "DataLoader"
        if not isinstance(num_workers, (int, np.integer)) or num_workers < 0:
            raise ValueError(f"{fn}: num_workers option should be a non-negative integer, "
                             f"got {num_workers!r}")
        if not isinstance(timeout, (int, float)) or timeout < 0:
            raise ValueError(f"{fn}: timeout option should be a non-negative number, got "
                             f"{timeout!r}")
        if prefetch_factor is None:
            prefetch_factor = 2
        if not isinstance(prefetch_factor, (int, np.integer)) or prefetch_factor < 1:
            raise ValueError(f"{fn}: prefetch_factor should be a positive integer, got "
                             f"{prefetch_factor!r}")
        if persistent_workers and num_workers == 0:
            raise ValueError(f"{fn}: persistent_workers option needs num_workers > 0")
        if generator is not None and not isinstance(generator, np.random.Generator):
            raise TypeError(f"{fn}: generator must be a numpy.random.Generator or None, got "
                            f"{type(generator).__name__}")
        for name, value in (("collate_fn", collate_fn), ("worker_init_fn", worker_init_fn)):
            if value is not None and not callable(value):
                raise TypeError(f"{fn}: {name} must be callable, got {type(value).__name__}")
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable and (shuffle or sampler is not None or batch_sampler is not None):
            raise ValueError(f"{fn}: an IterableDataset takes no shuffle, sampler or "
                             f"batch_sampler (it defines its own order), got shuffle="
                             f"{shuffle}, sampler={sampler!r}, batch_sampler={batch_sampler!r}")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(f"{fn}: batch_sampler option is mutually exclusive with "
                                 f"batch_size, shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None:
            if drop_last:
                raise ValueError(f"{fn}: batch_size=None option disables auto-batching and "
                                 f"is mutually exclusive with drop_last")
        elif not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) \
                or batch_size <= 0:
            raise ValueError(f"{fn}: batch_size should be a positive integer or None, got "
                             f"{batch_size!r}")
        if sampler is not None and shuffle:
            raise ValueError(f"{fn}: sampler option is mutually exclusive with shuffle")
        if not self._iterable:
            if sampler is None:
                sampler = (RandomSampler(dataset, generator=generator) if shuffle
                           else SequentialSampler(dataset))
            if batch_size is not None and batch_sampler is None:
                batch_sampler = BatchSampler(sampler, int(batch_size), bool(drop_last))
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = int(num_workers)
        self._auto_collation = batch_sampler is not None or (self._iterable
                                                              and batch_size is not None)
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.generator = generator
        self.prefetch_factor = int(prefetch_factor)
        self.persistent_workers = persistent_workers
        self._executor = None
        self._plan = None      # the epoch being iterated
        self._resume = None    # an epoch loaded by load_state_dict, not yet started
        self._epoch = 0        # epochs started so far

    # -- sizes -----------------------------------------------------------------
    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)  # TypeError if the stream has no length, as in PyTorch
            if self.batch_size is None:
                return n
            if self.drop_last:
                return n // self.batch_size
            return (n + self.batch_size - 1) // self.batch_size
        return len(self._index_sampler)

    # -- iteration -------------------------------------------------------------
    def __iter__(self):
        plan = self._resume
        self._resume = None
        if plan is None or plan.finished:
            plan = self._new_plan()
        self._plan = plan
        if self._iterable:
            return self._iter_stream(plan)
        if self.num_workers == 0:
            return self._iter_serial(plan)
        return self._iter_threads(plan)

    def _new_plan(self) -> _EpochPlan:
        rng = self.generator if self.generator is not None else default_generator()
        batches = None if self._iterable else [_plain(b) for b in self._index_sampler]
        base_seed = int(rng.integers(0, 2**63 - 1))
        self._epoch += 1
        return _EpochPlan(batches, base_seed, 0, batched=self._auto_collation)

    def _finish(self, plan: _EpochPlan) -> None:
        if self._plan is plan:
            self._plan = None

    def _fetch(self, plan: _EpochPlan, k: int):
        """Load and collate batch ``k`` of the epoch (runs in a worker or the main thread)."""
        indices = plan.batches[k]
        start = plan.offsets[k]
        getitem = self.dataset.__getitem__
        if not self._auto_collation:
            return self.collate_fn(call_with_sample_key(plan.base_seed, start, getitem, indices))
        samples = [call_with_sample_key(plan.base_seed, start + j, getitem, idx)
                   for j, idx in enumerate(indices)]
        return self.collate_fn(samples)

    def _iter_serial(self, plan: _EpochPlan):
        while plan.yielded < len(plan.batches):
            batch = self._fetch(plan, plan.yielded)
            plan.yielded += 1
            yield batch
        self._finish(plan)

    def _worker_fetch(self, plan: _EpochPlan, k: int):
        try:
            return self._fetch(plan, k)
        except Exception as exc:
            info = get_worker_info()
            raise _WorkerFailure(exc, info.id if info else "?", traceback.format_exc()) \
                from None

    def _get_executor(self, max_workers: int, reuse: bool = True):
        if reuse and self._executor is not None:
            return self._executor
        executor = _DaemonPool(
            max_workers=max_workers, thread_name_prefix="glassnet-data",
            initializer=_make_worker_initializer(max_workers, self.dataset,
                                                 self.worker_init_fn))
        if reuse and self.persistent_workers:
            self._executor = executor
        return executor

    def _result(self, future):
        try:
            return future.result(timeout=self.timeout if self.timeout > 0 else None)
        except concurrent.futures.TimeoutError:
            raise RuntimeError(f"DataLoader: timed out after {self.timeout} seconds waiting "
                               f"for a batch from the worker threads") from None
        except _WorkerFailure as failure:
            failure.reraise()

    def _pipeline(self, executor, tasks):
        """Run ``tasks`` (callables) on ``executor`` keeping a bounded window in order."""
        depth = self.num_workers * self.prefetch_factor
        pending = collections.deque()
        try:
            while True:
                while len(pending) < depth:
                    task = next(tasks, None)
                    if task is None:
                        break
                    pending.append(executor.submit(task))
                if not pending:
                    return
                result = self._result(pending.popleft())
                if result is _END:
                    return
                yield result
        finally:
            for future in pending:
                future.cancel()
            if executor is not self._executor:
                executor.shutdown(wait=False, cancel_futures=True)

    def _iter_threads(self, plan: _EpochPlan):
        executor = self._get_executor(self.num_workers)
        tasks = ((lambda k=k: self._worker_fetch(plan, k))
                 for k in range(plan.yielded, len(plan.batches)))
        for batch in self._pipeline(executor, tasks):
            plan.yielded += 1
            yield batch
        self._finish(plan)

    def _stream_batches(self, plan: _EpochPlan):
        """Batches of an IterableDataset; the first ``plan.yielded`` are read and skipped."""
        it = iter(self.dataset)
        size = self.batch_size if self._auto_collation else 1
        position = 0
        skip = plan.yielded
        while True:
            samples = []
            for _ in range(size):
                item = call_with_sample_key(plan.base_seed, position, next, it, _END)
                if item is _END:
                    break
                samples.append(item)
                position += 1
            if not samples or (self.drop_last and len(samples) < size):
                return
            if skip:
                skip -= 1
                continue
            yield self.collate_fn(samples if self._auto_collation else samples[0])

    def _iter_stream(self, plan: _EpochPlan):
        producer = self._stream_batches(plan)
        if self.num_workers == 0:
            batches = producer
        else:
            # NOTE: exactly one thread (never the persistent pool) advances the producer,
            # so the stream is read in order and never from two threads at once.
            def step():
                try:
                    return next(producer, _END)
                except Exception as exc:
                    raise _WorkerFailure(exc, 0, traceback.format_exc()) from None

            executor = self._get_executor(1, reuse=False)
            batches = self._pipeline(executor, iter(lambda: step, None))
        for batch in batches:
            plan.yielded += 1
            yield batch
        plan.batches = []  # marks the plan finished
        self._finish(plan)

    # -- resume ----------------------------------------------------------------
    def state_dict(self) -> dict:
        """The loader's position: the current epoch's plan and the generator state.

        Returns
        -------
        dict
            ``epoch`` (epochs started), ``base_seed`` and ``batches`` (the epoch's
            index lists; None between epochs or for an IterableDataset), and
            ``batches_yielded``, plus ``generator_state`` (the ``generator``'s
            ``bit_generator.state``, or None when the default generator is used).
            Only plain ints, lists and dicts (JSON-friendly).
        """
        plan = self._resume if self._resume is not None else self._plan
        state = {"epoch": self._epoch, "base_seed": None, "batches": None,
                 "batches_yielded": 0, "generator_state": None}
        if plan is not None and not plan.finished:
            state["base_seed"] = plan.base_seed
            state["batches"] = copy.deepcopy(plan.batches)
            state["batches_yielded"] = plan.yielded
        if self.generator is not None:
            state["generator_state"] = copy.deepcopy(self.generator.bit_generator.state)
        return state

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict`; the next ``iter(self)`` resumes that epoch.

        Parameters
        ----------
        state : dict
            As returned by :meth:`state_dict` of a loader over the same dataset with
            the same batching options.
        """
        fn = "DataLoader.load_state_dict"
        keys = {"epoch", "base_seed", "batches", "batches_yielded", "generator_state"}
        if not isinstance(state, Mapping) or not keys <= set(state):
            got = sorted(state) if isinstance(state, Mapping) else type(state).__name__
            raise ValueError(f"{fn}: state must be a dict with keys {sorted(keys)}, got {got}")
        if state["generator_state"] is not None:
            if self.generator is None:
                raise ValueError(f"{fn}: state holds a generator_state but this DataLoader "
                                 f"has no generator= to restore it into")
            self.generator.bit_generator.state = copy.deepcopy(state["generator_state"])
        self._epoch = int(state["epoch"])
        self._plan = None
        self._resume = None
        if state["base_seed"] is None:
            return
        batches = state["batches"]
        if self._iterable:
            batches = None
        else:
            if not isinstance(batches, (list, tuple)):
                raise ValueError(f"{fn}: state['batches'] must be a list, got "
                                 f"{type(batches).__name__}")
            batches = [_plain(b) for b in batches]
        yielded = int(state["batches_yielded"])
        if yielded < 0 or (batches is not None and yielded > len(batches)):
            raise ValueError(f"{fn}: state['batches_yielded'] must be in [0, "
                             f"{len(batches) if batches is not None else 'n'}], got {yielded}")
        self._resume = _EpochPlan(batches, state["base_seed"], yielded,
                                  batched=self._auto_collation)
