"""What an experiment gets to run with: where to write, how big to run, its data."""
from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import numpy as np

__all__ = ["Context", "load_images"]


def load_images(data_dir=None, train: bool = True, limit: int | None = None, seed: int = 0):
    """Images and labels as float32 ``(N, 1, H, W)`` in ``[0, 1]`` and int64 ``(N,)``.

    MNIST (28x28) from the IDX files in ``data_dir`` when given, else scikit-learn's 8x8
    digits (offline). ``limit`` keeps a class-stratified random subset of that size
    (drawn with ``seed``), so quick runs still see every class.
    """
    if data_dir is not None:
        from glassnet.vision.datasets import MNIST

        ds = MNIST(data_dir, train=train)
    else:
        from glassnet.vision.datasets import Digits

        ds = Digits(train=train)
    x = ds.data.numpy().astype(np.float32)[:, None] / np.float32(255.0)
    y = ds.targets.numpy().astype(np.int64)
    if limit is not None and limit < len(y):
        rng = np.random.default_rng(seed)
        per = [rng.permutation(np.flatnonzero(y == c)) for c in range(10)]
        take = np.concatenate([p[:math.ceil(limit / 10)] for p in per])[:limit]
        take = np.sort(take)
        x, y = x[take], y[take]
    return x, y


class DataUnavailable(RuntimeError):
    """Raised by an experiment whose data is not on this machine (``experiment all``
    lists it as skipped, with this message, instead of failed)."""


class Context:
    """The run of one experiment.

    Attributes
    ----------
    name : str
    out : Path
        Folder of this experiment's files (created).
    quick : bool
        Small sizes (the test suite's mode: well under a minute).
    seed : int
    data_dir : str or None
        MNIST folder; None means the embedded digits.
    progress : bool
        Show progress bars.
    figures : list of str
        File names of the figures saved so far (in order), for the README and index page.
    """

    def __init__(self, name, out, quick=False, seed=0, data_dir=None, progress=True):
        self.name = name
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.quick = bool(quick)
        self.seed = int(seed)
        self.data_dir = None if data_dir is None else str(data_dir)
        self.progress = bool(progress)
        self.figures = []
        self._t0 = time.perf_counter()

    # -- data ------------------------------------------------------------------------
    def images(self, train: bool = True, limit: int | None = None):
        """:func:`load_images` with this run's data folder and seed."""
        return load_images(self.data_dir, train=train, limit=limit, seed=self.seed)

    @property
    def dataset_name(self) -> str:
        return "MNIST" if self.data_dir is not None else "digits (8x8)"

    def rng(self, offset: int = 0):
        """A numpy Generator seeded from this run's seed (``offset`` decorrelates uses)."""
        return np.random.default_rng(self.seed + offset)

    def manual_seed(self, offset: int = 0):
        """Seed glassnet's global generator (weight init, dropout, shuffling)."""
        import glassnet

        glassnet.manual_seed(self.seed + offset)

    # -- progress ----------------------------------------------------------------------
    def track(self, iterable, description: str, total: int | None = None):
        """Iterate with a progress bar (rich when installed and enabled; else plain)."""
        if not self.progress:
            yield from iterable
            return
        try:
            from rich.progress import track
        except ImportError:  # pragma: no cover - rich is an optional dependency
            yield from iterable
            return
        yield from track(iterable, description=f"{self.name}: {description}", total=total,
                         transient=True)

    # -- outputs -------------------------------------------------------------------------
    def savefig(self, fig, filename: str) -> str:
        """Save a matplotlib figure as ``out/filename`` (PNG, 120 dpi) and close it."""
        import matplotlib.pyplot as plt

        if not filename.endswith(".png"):
            raise ValueError(f"Context.savefig: filename must end with .png, got {filename!r}")
        path = self.out / filename
        fig.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(fig)
        if filename not in self.figures:
            self.figures.append(filename)
        return str(path)

    def finish(self, results: dict, findings: str, title: str | None = None,
               data: str | None = None) -> dict:
        """Write ``results.json`` (``results`` + run metadata) and ``README.md``.

        ``findings`` is Markdown stating the finding in words with the measured numbers;
        the README adds a title, the run settings and every saved figure. ``data`` names
        the data for experiments that do not train on :attr:`dataset_name` (photos,
        detection scenes, none).
        """
        data = self.dataset_name if data is None else data
        meta = {"experiment": self.name, "quick": self.quick, "seed": self.seed,
                "data": data, "wall_time_s": round(time.perf_counter() - self._t0, 2),
                "figures": list(self.figures)}
        doc = {"meta": meta, "results": results}
        _atomic_write(self.out / "results.json", json.dumps(doc, indent=2, default=_jsonable))
        lines = [f"# {title or self.name}", "",
                 f"Data: {data}; seed {self.seed}; "
                 f"{'quick' if self.quick else 'full'} run; {meta['wall_time_s']} s.", "",
                 findings.strip(), ""]
        for f in self.figures:
            lines += [f"![{f}]({f})", ""]
        _atomic_write(self.out / "README.md", "\n".join(lines))
        return doc


def _jsonable(v):
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    raise TypeError(f"results.json: cannot store a {type(v).__name__}")


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
