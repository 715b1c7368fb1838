"""``ImageFolder``: one class per sub-folder (torchvision's ``DatasetFolder`` layout)::

    root/cat/001.png
    root/cat/002.jpg
    root/dog/abc.png
"""
from __future__ import annotations

import os
from pathlib import Path

from glassnet.vision.datasets.vision import VisionDataset

__all__ = ["DatasetFolder", "ImageFolder", "IMG_EXTENSIONS", "pil_loader", "find_classes",
           "make_dataset", "has_file_allowed_extension"]

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def pil_loader(path):
    """Open an image file with Pillow and convert it to an RGB ``PIL.Image.Image``."""
    from PIL import Image  # Pillow is needed only when images are read

    with open(path, "rb") as f:
        img = Image.open(f)
        return img.convert("RGB")


def has_file_allowed_extension(filename: str, extensions) -> bool:
    """Whether ``filename`` ends with one of ``extensions`` (case-insensitive)."""
    return filename.lower().endswith(tuple(e.lower() for e in extensions))


def find_classes(directory) -> tuple:
    """Sorted class names (the sub-folders of ``directory``) and their indices."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"find_classes: {directory} is not a directory")
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"find_classes: couldn't find any class folder in {directory}")
    return classes, {name: i for i, name in enumerate(classes)}


def _walk_once(root: Path, top: Path):
    """``(dirpath, sorted filenames)`` under ``top``, sorted by dirpath as torchvision's
    ``sorted(os.walk(top, followlinks=True))``, following links but entering each real
    directory once: a link back to ``root`` or to an ancestor (a loop that would give
    2**40 paths) or to ``.`` (duplicate samples) is skipped."""
    seen = {os.path.realpath(root)}
    stack = [str(top)]
    found = []
    while stack:
        dirpath = stack.pop()
        real = os.path.realpath(dirpath)
        if real in seen and dirpath != str(top):
            continue
        seen.add(real)
        try:
            entries = sorted(os.scandir(dirpath), key=lambda e: e.name)
        except OSError:
            continue
        found.append((dirpath, [e.name for e in entries if not e.is_dir()]))
        # depth first, in sorted order (reversed onto the stack): a directory reached by
        # two paths keeps the first in sorted order, as the walk meets it
        stack.extend(os.path.join(dirpath, e.name) for e in reversed(entries) if e.is_dir())
    return sorted(found)


def make_dataset(directory, class_to_idx: dict, extensions=None, is_valid_file=None,
                 allow_empty: bool = False) -> list:
    """``(path, class_index)`` for every valid file, classes in order, files sorted.

    Exactly one of ``extensions`` and ``is_valid_file`` must be given.
    """
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("make_dataset: exactly one of extensions and is_valid_file must be "
                         "passed")
    if extensions is not None:
        def is_valid_file(path: str) -> bool:
            return has_file_allowed_extension(path, extensions)

    directory = Path(directory)
    samples, empty = [], []
    for target_class in sorted(class_to_idx):
        class_index = class_to_idx[target_class]
        before = len(samples)
        for dirpath, filenames in _walk_once(directory, directory / target_class):
            for name in filenames:
                path = os.path.join(dirpath, name)
                if is_valid_file(path):
                    samples.append((path, class_index))
        if len(samples) == before:
            empty.append(target_class)
    if empty and not allow_empty:
        msg = f"make_dataset: found no valid file for the classes {', '.join(sorted(empty))}."
        if extensions is not None:
            msg += f" Supported extensions are: {', '.join(extensions)}"
        raise FileNotFoundError(msg)
    return samples


class DatasetFolder(VisionDataset):
    """Samples ``(loader(path), class_index)`` from ``root/<class>/**/<file>``.

    Parameters
    ----------
    root : str or Path
    loader : callable
        Reads a sample from its path.
    extensions : tuple of str, optional
        Allowed file extensions (exclusive with ``is_valid_file``).
    transform, target_transform : callable, optional
    is_valid_file : callable, optional
        ``is_valid_file(path) -> bool`` selects the files.
    allow_empty : bool
        Allow class folders without valid files.

    Attributes
    ----------
    classes : list of str
        Sorted sub-folder names.
    class_to_idx : dict
    samples : list of (str, int)
    targets : list of int
    """

    def __init__(self, root, loader, extensions=None, transform=None, target_transform=None,
                 is_valid_file=None, allow_empty: bool = False):
        super().__init__(root, transform, target_transform)
        if not callable(loader):
            raise TypeError(f"{type(self).__name__}: loader must be callable, got "
                            f"{type(loader).__name__}")
        classes, class_to_idx = find_classes(self.root)
        samples = make_dataset(self.root, class_to_idx, extensions, is_valid_file,
                               allow_empty)
        self.loader = loader
        self.extensions = extensions
        self.classes = classes
        self.class_to_idx = class_to_idx
        self.samples = samples
        self.targets = [s[1] for s in samples]

    def __getitem__(self, index: int):
        path, target = self.samples[index]
        return self._transformed(self.loader(path), target)

    def __len__(self) -> int:
        return len(self.samples)


class ImageFolder(DatasetFolder):
    """Images in ``root/<class>/...``, decoded to RGB PIL Images by Pillow.

    Parameters
    ----------
    root : str or Path
    transform, target_transform : callable, optional
    loader : callable
        Default :func:`pil_loader` (RGB PIL Image).
    is_valid_file : callable, optional
        Default: the extension is in :data:`IMG_EXTENSIONS`.
    allow_empty : bool

    Attributes
    ----------
    imgs : list of (str, int)
        Same as ``samples``.
    """

    def __init__(self, root, transform=None, target_transform=None, loader=pil_loader,
                 is_valid_file=None, allow_empty: bool = False):
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None,
                         transform, target_transform, is_valid_file, allow_empty)
        self.imgs = self.samples
