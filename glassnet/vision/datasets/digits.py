"""The 8x8 handwritten digits that ship with scikit-learn: glassnet's offline dataset.

1,797 images of 8x8 pixels (UCI "Optical Recognition of Handwritten Digits", Alpaydin
and Kaynak, 1998, doi:10.24432/C50P49), read from scikit-learn's bundled copy, so it
works on a fresh machine with no network and no files to place.
"""
from __future__ import annotations

import numpy as np

from glassnet.tensor import Tensor
from glassnet.vision.datasets.mnist import _grey_image
from glassnet.vision.datasets.vision import VisionDataset

__all__ = ["Digits", "digits"]

_TEST_FRACTION = 0.2
_SPLIT_SEED = 0


def _stratified_split(targets: np.ndarray) -> tuple:
    """Fixed 80/20 stratified split: sorted ``(train_indices, test_indices)``.

    For each class ``c`` in increasing order, a permutation of its indices is drawn
    from ``numpy.random.default_rng(0)`` (one generator for all classes) and its first
    ``round(0.2 * n_c)`` indices go to the test split.
    """
    rng = np.random.default_rng(_SPLIT_SEED)
    test = []
    for c in np.unique(targets):
        idx = rng.permutation(np.flatnonzero(targets == c))
        test.append(idx[:int(round(_TEST_FRACTION * idx.size))])
    test = np.sort(np.concatenate(test))
    train = np.setdiff1d(np.arange(targets.size), test)
    return train, test


class Digits(VisionDataset):
    """scikit-learn's 8x8 digits as uint8 images, with a fixed stratified split.

    A glassnet extra (torchvision has no such dataset), laid out exactly as
    :class:`~glassnet.vision.datasets.MNIST` so that the same code and transforms apply:
    ``.data`` is a uint8 Tensor ``(N, 8, 8)``, ``.targets`` an int64 Tensor, and a sample
    is ``(PIL Image of mode "L", int)``.  The 0..16 grey levels are rescaled to 0..255
    (``round(v * 255 / 16)``).  The split is fixed: 1,438 training and 359 test images,
    each class split 80/20 (see :func:`_stratified_split`).

    Parameters
    ----------
    root : str or Path, optional
        Ignored (the data ship with scikit-learn); accepted for a uniform signature.
    train : bool
        The training split (else the test split).
    transform, target_transform : callable, optional

    Attributes
    ----------
    data : Tensor
        ``(N, 8, 8)`` uint8.
    targets : Tensor
        ``(N,)`` int64 labels in ``0..9``.
    classes : list of str

    Examples
    --------
    >>> from glassnet.vision.datasets import Digits
    >>> ds = Digits(train=False)
    >>> len(ds), tuple(ds.data.shape[1:]), ds.data.dtype
    (359, (8, 8), dtype('uint8'))
    >>> img, label = ds[0]
    >>> img.mode, img.size, type(label).__name__
    ('L', (8, 8), 'int')
    """

    classes = [str(d) for d in range(10)]

    def __init__(self, root=None, train: bool = True, transform=None, target_transform=None):
        super().__init__(root, transform, target_transform)
        from sklearn.datasets import load_digits  # imported here: sklearn is slow to import

        bunch = load_digits()
        images = np.round(bunch.images * (255.0 / 16.0)).astype(np.uint8)
        targets = bunch.target.astype(np.int64)
        train_idx, test_idx = _stratified_split(targets)
        keep = train_idx if train else test_idx
        self.train = bool(train)
        self.data = Tensor._wrap(images[keep])
        self.targets = Tensor._wrap(targets[keep])

    @property
    def class_to_idx(self) -> dict:
        return {c: i for i, c in enumerate(self.classes)}

    def __getitem__(self, index: int):
        return self._transformed(_grey_image(self.data._data[index]),
                                 int(self.targets._data[index]))

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"


def digits(root=None, train: bool = True, transform=None, target_transform=None) -> Digits:
    """The :class:`Digits` dataset (function alias, for ``--dataset digits`` lookups)."""
    return Digits(root, train, transform, target_transform)
