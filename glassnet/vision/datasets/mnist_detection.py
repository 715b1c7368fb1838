"""MNISTDetection: scenes of real MNIST digits on a canvas, with a box and class per digit.

A small, real detection dataset that trains in minutes on a CPU: each sample is a
``canvas x canvas`` grey image holding ``num_digits`` handwritten digits taken from the
MNIST IDX files (the training split's digits for ``train=True``, the test split's
otherwise, so the two never share a digit), rescaled to random heights and placed so that
no two overlap much.  The target is torchvision's detection format: ``{"boxes": (K, 4)
float32 xyxy, "labels": (K,) int64}``, each box tight around its digit's ink.
"""
from __future__ import annotations

import numpy as np

from glassnet.tensor import Tensor
from glassnet.vision.datasets.mnist import MNIST, _grey_image
from glassnet.vision.datasets.vision import VisionDataset

__all__ = ["MNISTDetection", "collate_fn"]

# A pixel counts as ink from this grey level on (of 255): the bilinear resize leaves
# faint halo pixels that the eye cannot see, and a box around them would not be tight.
_INK = 32


def collate_fn(batch):
    """torchvision's detection collate: ``[(img, target), ...] -> (imgs, targets)``, two
    tuples, since images may differ in size and targets in their number of boxes."""
    return tuple(zip(*batch))


def _pair(value, name: str, low: int):
    if isinstance(value, (int, np.integer)):
        value = (int(value), int(value))
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or not all(isinstance(v, (int, np.integer)) for v in value)):
        raise TypeError(f"MNISTDetection: {name} must be an int or a pair (min, max) of ints, "
                        f"got {value!r}")
    lo, hi = int(value[0]), int(value[1])
    if lo < low or hi < lo:
        raise ValueError(f"MNISTDetection: {name} must satisfy {low} <= min <= max, got "
                         f"({lo}, {hi})")
    return lo, hi


class MNISTDetection(VisionDataset):
    """Detection scenes made of real MNIST digits (1 to 5 per image by default).

    Parameters
    ----------
    root : str or Path, optional
        Where the MNIST IDX files are (as :class:`MNIST`).
    train : bool
        Digits from MNIST's training split (else its test split).
    num_digits : int or (int, int)
        Number of digits per image, drawn uniformly in ``[min, max]``.  A digit that
        cannot be placed within ``max_overlap`` after 50 tries is dropped, so a crowded
        canvas may hold fewer (never fewer than one).
    canvas : int
        Side of the square image, pixels.
    scale : int or (int, int)
        Height of each digit's ink after rescaling, drawn uniformly in ``[min, max]``
        pixels (the width follows the digit's aspect ratio).
    seed : int
        Scene ``i`` depends only on ``(seed, train, i)``: the same at every access, in
        every process, in any order.
    length : int, optional
        Number of scenes; default the split's number of digits divided by the mean number
        of digits per scene (each digit used about once per epoch).
    max_overlap : float
        Largest intersection of two boxes, as a fraction of the smaller box's area.
    transform, target_transform : callable, optional
        Applied to the PIL image / the target dict.
    download : bool
        Passed to :class:`MNIST`.

    Returns
    -------
    ``dataset[i]`` is ``(image, target)``: a PIL Image of mode ``"L"`` ``(canvas,
    canvas)`` (``transforms.ToTensor()`` gives ``(1, canvas, canvas)`` float32) and
    ``{"boxes": Tensor (K, 4) float32, "labels": Tensor (K,) int64}``, boxes in pixel
    coordinates ``(x1, y1, x2, y2)`` with ``x2 - x1`` the ink's width, labels the digits
    ``0..9``.  :meth:`scene` gives the same as numpy arrays, without PIL.

    Notes
    -----
    Torchvision's Faster R-CNN reserves label 0 for the background: a model with that
    convention is trained on ``labels + 1``.
    """

    classes = MNIST.classes

    def __init__(self, root=None, train: bool = True, num_digits=(1, 5), canvas: int = 96,
                 scale=(14, 40), seed: int = 0, length: int | None = None,
                 max_overlap: float = 0.2, transform=None, target_transform=None,
                 download: bool = False):
        super().__init__(root, transform, target_transform)
        self.num_digits = _pair(num_digits, "num_digits", 1)
        self.scale = _pair(scale, "scale", 2)
        if not isinstance(canvas, (int, np.integer)) or canvas < 8:
            raise ValueError(f"MNISTDetection: canvas must be an int >= 8, got {canvas!r}")
        if self.scale[1] > canvas:
            raise ValueError(f"MNISTDetection: scale's max ({self.scale[1]}) must fit in the "
                             f"canvas ({canvas})")
        if not 0.0 <= float(max_overlap) <= 1.0:
            raise ValueError(f"MNISTDetection: max_overlap must be in [0, 1], got "
                             f"{max_overlap!r}")
        self.canvas = int(canvas)
        self.seed = int(seed)
        self.train = bool(train)
        self.max_overlap = float(max_overlap)
        mnist = MNIST(root, train=train, download=download)
        self._digits = mnist.data._data  # (N, 28, 28) uint8
        self._labels = mnist.targets._data
        mean_k = sum(self.num_digits) / 2
        if length is None:
            length = int(len(self._digits) / mean_k)
        if not isinstance(length, (int, np.integer)) or length < 1:
            raise ValueError(f"MNISTDetection: length must be a positive int, got {length!r}")
        self.length = int(length)

    def __len__(self) -> int:
        return self.length

    def scene(self, index: int):
        """Scene ``index`` as arrays: image ``(canvas, canvas)`` uint8, boxes ``(K, 4)``
        float32, labels ``(K,)`` int64."""
        if not -self.length <= index < self.length:
            raise IndexError(f"MNISTDetection: index {index} out of range for "
                             f"{self.length} scenes")
        index %= self.length
        from PIL import Image

        rng = np.random.default_rng([self.seed, int(self.train), index])
        size = self.canvas
        image = np.zeros((size, size), np.uint8)
        boxes, labels = [], []
        k = int(rng.integers(self.num_digits[0], self.num_digits[1] + 1))
        for _ in range(k):
            j = int(rng.integers(len(self._digits)))
            digit = self._digits[j]
            # crop the ink, rescale it to the drawn height (aspect ratio kept)
            rows = np.flatnonzero((digit >= _INK).any(axis=1))
            cols = np.flatnonzero((digit >= _INK).any(axis=0))
            crop = digit[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
            h = int(rng.integers(self.scale[0], self.scale[1] + 1))
            w = max(2, min(size, int(round(crop.shape[1] * h / crop.shape[0]))))
            patch = np.asarray(Image.fromarray(crop).resize((w, h), Image.BILINEAR))
            # re-tighten: the resize may leave the outermost rows below the ink level
            ink = patch >= _INK
            r, c = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
            if r.size == 0:  # a tiny scale can blur a thin digit below the ink level
                continue
            patch = np.where(ink, patch, 0)[r[0]:r[-1] + 1, c[0]:c[-1] + 1]
            ph, pw = patch.shape
            for _try in range(50):
                x = int(rng.integers(0, size - pw + 1))
                y = int(rng.integers(0, size - ph + 1))
                box = np.array([x, y, x + pw, y + ph], np.float32)
                if not boxes or self._overlap(box, np.array(boxes)) <= self.max_overlap:
                    break
            else:
                continue
            region = image[y:y + ph, x:x + pw]
            np.maximum(region, patch, out=region)
            boxes.append(box)
            labels.append(int(self._labels[j]))
        return (image, np.array(boxes, np.float32).reshape(-1, 4),
                np.array(labels, np.int64))

    @staticmethod
    def _overlap(box: np.ndarray, others: np.ndarray) -> float:
        """Largest intersection with ``others`` over the smaller of the two areas."""
        w = np.minimum(box[2], others[:, 2]) - np.maximum(box[0], others[:, 0])
        h = np.minimum(box[3], others[:, 3]) - np.maximum(box[1], others[:, 1])
        inter = np.clip(w, 0, None) * np.clip(h, 0, None)
        area = (box[2] - box[0]) * (box[3] - box[1])
        areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
        return float((inter / np.minimum(area, areas)).max())

    def __getitem__(self, index: int):
        image, boxes, labels = self.scene(index)
        target = {"boxes": Tensor._wrap(boxes), "labels": Tensor._wrap(labels)}
        return self._transformed(_grey_image(image), target)

    def extra_repr(self) -> str:
        return (f"Split: {'Train' if self.train else 'Test'}\nnum_digits={self.num_digits}, "
                f"canvas={self.canvas}, scale={self.scale}, seed={self.seed}")
