"""``VisionDataset``: the base of the image datasets (torchvision's name)."""
from __future__ import annotations

from pathlib import Path

from glassnet.utils.data.dataset import Dataset

__all__ = ["VisionDataset"]


class VisionDataset(Dataset):
    """An image dataset with ``root``, ``transform`` and ``target_transform``.

    Parameters
    ----------
    root : str or Path, optional
    transform : callable, optional
        Applied to each image.
    target_transform : callable, optional
        Applied to each target.
    """

    def __init__(self, root=None, transform=None, target_transform=None):
        for name, value in (("transform", transform), ("target_transform", target_transform)):
            if value is not None and not callable(value):
                raise TypeError(f"{type(self).__name__}: {name} must be callable, got "
                                f"{type(value).__name__}")
        self.root = None if root is None else Path(root).expanduser()
        self.transform = transform
        self.target_transform = target_transform

    def _transformed(self, img, target):
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}"]
        if self.root is not None:
            lines.append(f"    Root location: {self.root}")
        lines += [f"    {line}" for line in self.extra_repr().splitlines()]
        if self.transform is not None:
            lines.append(f"    Transform: {self.transform!r}".replace("\n", "\n    "))
        if self.target_transform is not None:
            lines.append(f"    Target transform: {self.target_transform!r}")
        return "\n".join(lines)
