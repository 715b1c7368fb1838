"""MNIST and Fashion-MNIST from their IDX files (torchvision names and layout).

As in torchvision, ``.data`` is a uint8 Tensor ``(N, 28, 28)``, ``.targets`` an int64
Tensor ``(N,)``, and a sample is ``(image, target)`` with ``image`` a PIL Image of mode
``"L"`` (before ``transform``) and ``target`` an int, so ``transforms.ToTensor()`` gives
a float32 ``(1, 28, 28)`` Tensor in ``[0, 1]``.
"""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from glassnet.tensor import Tensor
from glassnet.vision.datasets._download import DownloadError, default_root, download_url
from glassnet.vision.datasets.vision import VisionDataset

__all__ = ["MNIST", "FashionMNIST", "read_idx"]

# IDX type codes -> big-endian dtypes (LeCun's format description on the MNIST page).
_IDX_TYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_IDX_CODE = {dt.str[1:]: code for code, dt in _IDX_TYPES.items()}


# gzip (deflate) cannot expand data by more than ~1032x: a header declaring more than
# that much data for a compressed file cannot be honest, and is refused before reading.
_MAX_GZIP_RATIO = 1100
_CHUNK = 1 << 20


def read_idx(path) -> np.ndarray:
    """Read an IDX file (gzip-compressed or raw) into a native-endian numpy array.

    The header's declared size is checked against the file before anything is allocated,
    and a compressed file is decompressed in chunks, never past the declared size (a
    decompression bomb costs no memory).

    Raises
    ------
    ValueError
        If the path is not a regular file, the file is not IDX (bad magic number), is
        truncated, has extra bytes, or declares more data than it can hold.
    """
    path = Path(path)
    import os
    import stat

    try:
        st = os.stat(path)
    except OSError:
        st = None  # open() raises the usual FileNotFoundError
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise ValueError(f"read_idx: {path} is not a regular file (a device, FIFO or "
                         f"folder); expected an IDX file")
    try:
        with open(path, "rb") as raw_file:
            size = os.fstat(raw_file.fileno()).st_size
            compressed = raw_file.read(2) == b"\x1f\x8b"  # gzip magic
            raw_file.seek(0)
            f = gzip.GzipFile(fileobj=raw_file) if compressed else raw_file
            return _read_idx_stream(f, path, size, compressed)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise ValueError(f"read_idx: {path} is corrupt ({exc}); delete it and download "
                         f"it again") from exc


def _read_exactly(f, n: int) -> bytearray:
    out = bytearray()
    while len(out) < n:
        chunk = f.read(min(_CHUNK, n - len(out)))
        if not chunk:
            break
        out += chunk
    return out


def _read_idx_stream(f, path, size: int, compressed: bool) -> np.ndarray:
    head = _read_exactly(f, 4)
    if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] not in _IDX_TYPES \
            or head[3] == 0:
        raise ValueError(f"read_idx: {path} is not an IDX file (magic number "
                         f"{bytes(head).hex() or 'missing'}, expected 000008NN); delete it "
                         f"and download it again")
    dtype, ndim = _IDX_TYPES[head[2]], head[3]
    dims = _read_exactly(f, 4 * ndim)
    if len(dims) < 4 * ndim:
        raise ValueError(f"read_idx: {path} is truncated inside its header")
    shape = tuple(int(d) for d in np.frombuffer(bytes(dims), ">u4", ndim))
    header = 4 + 4 * ndim
    nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
    limit = size * _MAX_GZIP_RATIO if compressed else size - header
    if nbytes > limit:
        raise ValueError(f"read_idx: {path} declares shape {shape} ({header + nbytes} bytes) "
                         f"but the file has {size} bytes{' compressed' if compressed else ''}"
                         f"; it is truncated or corrupt: delete it and download it again")
    data = _read_exactly(f, nbytes)
    extra = f.read(1)
    if len(data) != nbytes or extra:
        got = f"more than {header + nbytes}" if extra else f"{header + len(data)}"
        raise ValueError(f"read_idx: {path} is truncated or corrupt: its header declares "
                         f"shape {shape} ({header + nbytes} bytes) but it has {got} bytes"
                         f"{' uncompressed' if compressed else ''}; delete it and download "
                         f"it again")
    arr = np.frombuffer(data, dtype).reshape(shape)
    return arr.astype(dtype.newbyteorder("="))  # a writable, native-endian copy


def _grey_image(pixels: np.ndarray):
    """A PIL Image of mode "L" of a uint8 ``(H, W)`` array."""
    from PIL import Image  # Pillow is needed only when samples are read

    # NOTE: Pillow maps an "L" array read-only and copies it before any in-place edit, so
    # no copy is needed to keep the dataset unchanged (the tests check it).
    return Image.fromarray(pixels)


class MNIST(VisionDataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28.

    Parameters
    ----------
    root : str or Path, optional
        Directory holding the IDX files (``train-images-idx3-ubyte[.gz]``, ...), either
        directly or in ``root/MNIST/raw`` (torchvision's layout).  Default
        ``$GLASSNET_DATA``, else ``~/.cache/glassnet``.
    train : bool
        The training split (else the test split).
    transform, target_transform : callable, optional
    download : bool
        Fetch missing files from ``mirrors`` into ``root/MNIST/raw``, verifying their
        MD5 checksums.

    Attributes
    ----------
    data : Tensor
        ``(N, 28, 28)`` uint8.
    targets : Tensor
        ``(N,)`` int64 labels in ``0..9``.
    classes : list of str

    Returns
    -------
    ``dataset[i]`` is ``(image, target)``: a PIL Image of mode ``"L"`` (28x28) and an int,
    each passed through ``transform`` / ``target_transform`` when given.

    Notes
    -----
    LeCun, Bottou, Bengio, Haffner, "Gradient-based learning applied to document
    recognition", Proc. IEEE 1998, doi:10.1109/5.726791.  Mirrors and checksums are
    class attributes (``MNIST.mirrors = [...]`` points the download elsewhere).
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
               "https://storage.googleapis.com/cvdf-datasets/mnist/"]
    # (file, MD5 of the published .gz (torchvision's), MD5 of its decompressed content)
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873",
         "6bbc9ace898e44ae57da46a324031adb"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432",
         "a25bea736e30d166cdddb491f175f624"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3",
         "2646ac647ad5339dbf082846283269ea"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c",
         "27ae3e4e09519cfbb04c329615203637"),
    ]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    timeout = 30.0

    def __init__(self, root=None, train: bool = True, transform=None, target_transform=None,
                 download: bool = False):
        super().__init__(default_root() if root is None else root, transform,
                         target_transform)
        self.train = bool(train)
        prefix = "train" if self.train else "t10k"
        names = [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]
        paths = self._find(names)
        if None in paths and download:
            self.download()
            paths = self._find(names)
        if None in paths:
            missing = [n + ".gz" for n, p in zip(names, paths) if p is None]
            raise RuntimeError(
                f"{type(self).__name__}: dataset not found. Place {' and '.join(missing)} "
                f"(gzipped or not) in {self.raw_folder} or {self.root}, or pass "
                f"download=True to fetch them from {self.mirrors[0]}")
        self.data, self.targets = self._load(*paths)

    @property
    def raw_folder(self) -> Path:
        return self.root / type(self).__name__ / "raw"

    @property
    def class_to_idx(self) -> dict:
        return {c: i for i, c in enumerate(self.classes)}

    def _find(self, names) -> list:
        """The path of each file in ``raw_folder`` or ``root`` (raw or .gz), or None."""
        found = []
        for name in names:
            hit = None
            for folder in (self.raw_folder, self.root):
                for candidate in (folder / name, folder / (name + ".gz")):
                    if candidate.is_file():
                        hit = candidate
                        break
                if hit is not None:
                    break
            found.append(hit)
        return found

    def _load(self, images_path, labels_path):
        name = type(self).__name__
        images = read_idx(images_path)
        labels = read_idx(labels_path)
        if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
            raise ValueError(f"{name}: {images_path} must hold uint8 images (N, 28, 28), got "
                             f"{images.dtype} {images.shape}")
        if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
            raise ValueError(f"{name}: {labels_path} must hold {images.shape[0]} labels (one "
                             f"per image), got shape {labels.shape}")
        if labels.dtype.kind not in "ui":
            raise ValueError(f"{name}: {labels_path} must hold integer labels, got "
                             f"{labels.dtype} (IDX type 0x{_IDX_CODE[labels.dtype.str[1:]]:02X})")
        bad = (labels < 0) | (labels >= len(self.classes))
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{name}: {labels_path} has label {int(labels[k])} at index {k}, "
                             f"expected 0..{len(self.classes) - 1}")
        return Tensor._wrap(images), Tensor._wrap(labels.astype(np.int64))

    def download(self) -> None:
        """Fetch the dataset's missing files into :attr:`raw_folder`."""
        failures = []
        for filename, md5, gunzip_md5 in self.resources:
            stem = filename[:-3] if filename.endswith(".gz") else filename
            if self._find([stem])[0] is not None:
                continue
            urls = [mirror + filename for mirror in self.mirrors]
            try:
                download_url(urls, self.raw_folder / filename, md5, self.timeout, gunzip_md5)
            except DownloadError as exc:
                failures.append((filename, exc))
        if failures:
            files = ", ".join(f for f, _ in failures)
            details = "\n".join(str(e) for _, e in failures)
            raise DownloadError(
                f"{type(self).__name__}: could not download {files} (offline, or the mirrors "
                f"are unreachable). Place these files in {self.raw_folder} and try again.\n"
                f"{details}")

    def __getitem__(self, index: int):
        return self._transformed(_grey_image(self.data._data[index]),
                                 int(self.targets._data[index]))

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: MNIST's format and sizes, 10 clothing classes.

    Parameters and attributes as :class:`MNIST`; files are looked up in ``root`` or
    ``root/FashionMNIST/raw``.

    Notes
    -----
    Xiao, Rasul, Vollgraf, "Fashion-MNIST: a Novel Image Dataset for Benchmarking
    Machine Learning Algorithms", arXiv:1708.07747, 2017.
    """

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d", None),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe", None),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79", None),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310", None),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
