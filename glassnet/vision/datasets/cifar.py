"""CIFAR-10 and CIFAR-100 from the python-pickle batches (torchvision names and layout).

The batches are pickles, and unpickling can run arbitrary code, so they are read with
a restricted unpickler that resolves only the few globals a CIFAR batch references
(numpy array reconstruction) and rejects everything else.

As in torchvision, ``.data`` is a uint8 numpy array ``(N, 32, 32, 3)`` (HWC), ``.targets``
a list of int, and a sample is ``(image, target)`` with ``image`` a PIL Image of mode
``"RGB"`` (before ``transform``) and ``target`` an int.
"""
from __future__ import annotations

import codecs
import pickle
from pathlib import Path

import numpy as np

from glassnet.vision.datasets._download import (DownloadError, check_integrity, default_root,
                                              download_url, extract_tar)
from glassnet.vision.datasets.vision import VisionDataset

__all__ = ["CIFAR10", "CIFAR100", "load_pickle_batch", "UnsafePickleError"]


def _numpy_reconstruct():
    try:
        from numpy._core.multiarray import _reconstruct  # NumPy >= 2
    except ImportError:  # pragma: no cover - NumPy 1.x
        from numpy.core.multiarray import _reconstruct
    return _reconstruct


# The only globals a CIFAR batch needs.  The batches were written by Python 2 with
# numpy.core; NumPy 2 pickles name numpy._core.
# NOTE: ``_codecs.encode`` is how Python 3 writes ``bytes`` under pickle protocol 2
# (``encode(text, 'latin1')``); it only turns a str into bytes, so it is safe.
def _checked_reconstruct():
    reconstruct = _numpy_reconstruct()

    def _reconstruct(subtype, shape, dtype):
        # NOTE: NumPy's pickles always reconstruct an empty array and fill it from the
        # state that follows (whose size numpy checks against its data); any other shape
        # would allocate that much memory from a few bytes of pickle.
        if subtype is not np.ndarray or tuple(np.atleast_1d(shape)) != (0,):
            raise UnsafePickleError(f"load_pickle_batch: refusing to rebuild a "
                                    f"{getattr(subtype, '__name__', subtype)!s} of shape "
                                    f"{shape!r}; NumPy pickles rebuild empty ndarrays only")
        return reconstruct(subtype, shape, dtype)

    return _reconstruct


def _checked_dtype():
    def dtype(*args):
        dt = np.dtype(*args)
        if dt.hasobject or dt.fields is not None or dt.subdtype is not None:
            raise UnsafePickleError(f"load_pickle_batch: refusing the numpy dtype {dt!r}: a "
                                    f"CIFAR batch holds plain numbers only")
        return dt

    return dtype


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _checked_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _checked_reconstruct,
    ("numpy", "ndarray"): lambda: np.ndarray,
    ("numpy", "dtype"): _checked_dtype,
    ("_codecs", "encode"): lambda: codecs.encode,
}


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle referenced a global outside the CIFAR allow-list (it may run code)."""


class _SafeUnpickler(pickle.Unpickler):
    """An Unpickler whose ``find_class`` resolves only :data:`_ALLOWED`."""

    def __init__(self, file, path, **kwargs):
        super().__init__(file, **kwargs)
        self._path = path

    def find_class(self, module: str, name: str):
        factory = _ALLOWED.get((module, name))
        if factory is None:
            raise UnsafePickleError(
                f"load_pickle_batch: refusing to load global '{module}.{name}' from "
                f"{self._path}: a CIFAR batch holds only numpy arrays, lists, numbers and "
                f"strings, so this file is corrupt or malicious")
        return factory()


def load_pickle_batch(path) -> dict:
    """Load one CIFAR batch safely; keys are returned as ``str``.

    Raises
    ------
    UnsafePickleError
        (a ``pickle.UnpicklingError``) if the pickle references any global other than
        numpy array reconstruction.
    ValueError
        If the file is not a valid pickled dict.
    """
    path = Path(path)
    with open(path, "rb") as f:
        try:
            entry = _SafeUnpickler(f, path, encoding="latin1").load()
        except UnsafePickleError:
            raise
        except Exception as exc:
            raise ValueError(f"load_pickle_batch: {path} is not a valid CIFAR batch ({exc}); "
                             f"delete it and download it again") from exc
    if not isinstance(entry, dict):
        raise ValueError(f"load_pickle_batch: {path} must hold a dict, got "
                         f"{type(entry).__name__}")
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in entry.items()}


def _as_str(value) -> str:
    return value.decode("latin1") if isinstance(value, bytes) else str(value)


class CIFAR10(VisionDataset):
    """CIFAR-10: 50,000 training and 10,000 test colour images, 32x32, 10 classes.

    Parameters
    ----------
    root : str or Path, optional
        Directory holding ``cifar-10-batches-py/`` (or the ``cifar-10-python.tar.gz``
        archive, which is then extracted).  Default ``$GLASSNET_DATA``, else
        ``~/.cache/glassnet``.
    train : bool
        The training split (``data_batch_1..5``), else ``test_batch``.
    transform, target_transform : callable, optional
    download : bool
        Fetch the archive (MD5-checked) into ``root`` and extract it.

    Attributes
    ----------
    data : numpy.ndarray
        ``(N, 32, 32, 3)`` uint8, HWC as torchvision.
    targets : list of int
    classes : list of str
    class_to_idx : dict

    Notes
    -----
    Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", 2009.
    """

    base_folder = "cifar-10-batches-py"
    mirrors = ["https://www.cs.toronto.edu/~kriz/"]
    filename = "cifar-10-python.tar.gz"
    # Per-file MD5s as torchvision lists them; the archive's MD5 (checked before
    # extraction) already covers them, so loading does not re-hash 180 MB each time.
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [["data_batch_1", "c99cafc152244af753f735de768cd75f"],
                  ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
                  ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
                  ["data_batch_4", "634d18415352ddfa80567beed471001a"],
                  ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"]]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names",
            "md5": "5ff9c542aee3614f3951f8cda6e48888"}
    labels_key = "labels"
    timeout = 60.0

    def __init__(self, root=None, train: bool = True, transform=None, target_transform=None,
                 download: bool = False):
        super().__init__(default_root() if root is None else root, transform,
                         target_transform)
        self.train = bool(train)
        name = type(self).__name__
        if not self._check_exists():
            archive = self.root / self.filename
            if download:
                self.download()
            elif archive.is_file():
                self._extract(archive)
            else:
                files = [f for f, _ in self.train_list + self.test_list] + [self.meta["filename"]]
                raise RuntimeError(
                    f"{name}: dataset not found. Place the folder {self.base_folder}/ (with "
                    f"{', '.join(files)}) or the archive {self.filename} in {self.root}, or "
                    f"pass download=True to fetch it from {self.mirrors[0]}{self.filename}")
        folder = self.root / self.base_folder
        data, targets = [], []
        for file_name, _ in (self.train_list if self.train else self.test_list):
            path = folder / file_name
            entry = load_pickle_batch(path)
            if "data" not in entry or self.labels_key not in entry:
                raise ValueError(f"{name}: {path} must have keys 'data' and "
                                 f"'{self.labels_key}', got {sorted(entry)}")
            batch = np.asarray(entry["data"])
            labels = np.asarray(entry[self.labels_key])
            if labels.dtype.kind not in "ui" and labels.size:
                raise ValueError(f"{name}: {path} '{self.labels_key}' must be integers, got "
                                 f"{labels.dtype} (e.g. {labels.reshape(-1)[0]!r})")
            labels = labels.astype(np.int64).reshape(-1)
            if batch.dtype != np.uint8 or batch.ndim != 2 or batch.shape[1] != 3 * 32 * 32:
                raise ValueError(f"{name}: {path} 'data' must be uint8 of shape (N, 3072), "
                                 f"got {batch.dtype} {batch.shape}")
            if labels.shape[0] != batch.shape[0]:
                raise ValueError(f"{name}: {path} has {batch.shape[0]} images but "
                                 f"{labels.shape[0]} labels")
            data.append(batch)
            targets.append(labels)
        # Rows are CHW planes (1024 R, 1024 G, 1024 B); store HWC like torchvision.
        self.data = np.ascontiguousarray(
            np.concatenate(data).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        self.targets = np.concatenate(targets).tolist()
        meta = load_pickle_batch(folder / self.meta["filename"])
        self.classes = [_as_str(c) for c in meta[self.meta["key"]]]
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        if self.targets and not 0 <= min(self.targets) <= max(self.targets) < len(self.classes):
            raise ValueError(f"{name}: labels must be in 0..{len(self.classes) - 1}, got "
                             f"{min(self.targets)}..{max(self.targets)}")

    def _check_exists(self) -> bool:
        folder = self.root / self.base_folder
        needed = [f for f, _ in self.train_list + self.test_list] + [self.meta["filename"]]
        return all((folder / f).is_file() for f in needed)

    def _extract(self, archive: Path) -> None:
        if not check_integrity(archive, self.tgz_md5):
            raise RuntimeError(f"{type(self).__name__}: {archive} is corrupt (MD5 mismatch, "
                               f"expected {self.tgz_md5}); delete it and download it again")
        extract_tar(archive, self.root)

    def download(self) -> None:
        """Download the archive into ``root`` (if absent) and extract it."""
        if self._check_exists():
            return
        archive = self.root / self.filename
        if not check_integrity(archive, self.tgz_md5):
            try:
                download_url([m + self.filename for m in self.mirrors], archive, self.tgz_md5,
                             self.timeout)
            except DownloadError as exc:
                raise DownloadError(
                    f"{type(self).__name__}: could not download {self.filename} (offline, or "
                    f"the mirrors are unreachable). Place it, or its extracted folder "
                    f"{self.base_folder}/, in {self.root} and try again.\n{exc}") from None
        self._extract(archive)

    def __getitem__(self, index: int):
        from PIL import Image  # Pillow is needed only when samples are read

        img = Image.fromarray(self.data[index])  # Pillow copies RGB arrays
        return self._transformed(img, self.targets[index])

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"


class CIFAR100(CIFAR10):
    """CIFAR-100: as :class:`CIFAR10` with 100 fine classes (``fine_labels``)."""

    base_folder = "cifar-100-python"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"]]
    meta = {"filename": "meta", "key": "fine_label_names",
            "md5": "7973b15100ade9c7d40fb424638fde48"}
    labels_key = "fine_labels"
