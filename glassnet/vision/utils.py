"""``make_grid`` and ``save_image`` with ``torchvision.utils``' names and semantics."""
from __future__ import annotations

import math

import numpy as np

from glassnet.tensor import Tensor

__all__ = ["make_grid", "save_image"]


def _as_batch(tensor, fn: str) -> np.ndarray:
    """The images as an ``(N, C, H, W)`` array, 1-channel images repeated to 3 channels."""
    if isinstance(tensor, (list, tuple)):
        if not tensor or not all(isinstance(t, Tensor) for t in tensor):
            raise TypeError(f"{fn}: tensor must be a Tensor or a non-empty list of Tensors, "
                            f"got {type(tensor).__name__} of "
                            f"{sorted({type(t).__name__ for t in tensor}) or 'nothing'}")
        shapes = {tuple(t.shape) for t in tensor}
        if len(shapes) > 1:
            raise ValueError(f"{fn}: all images in the list must have the same shape, got "
                             f"{sorted(shapes)}")
        arr = np.stack([t._data for t in tensor])
    elif isinstance(tensor, Tensor):
        arr = tensor._data
    else:
        raise TypeError(f"{fn}: tensor must be a Tensor or a list of Tensors, got "
                        f"{type(tensor).__name__}")
    if arr.ndim == 2:  # one (H, W) image
        arr = arr[None]
    if arr.ndim == 3:  # one (C, H, W) image
        arr = arr[None]
    if arr.ndim != 4:
        raise ValueError(f"{fn}: tensor must have shape (H, W), (C, H, W) or (N, C, H, W), "
                         f"got {arr.shape}")
    if arr.shape[1] == 1:  # grey images become RGB, as torchvision does
        arr = np.concatenate([arr, arr, arr], axis=1)
    return arr


def _normalize(arr: np.ndarray, value_range, scale_each: bool, fn: str) -> np.ndarray:
    """Clamp to ``value_range`` (default: the images' min and max) and map it to [0, 1]."""
    if value_range is not None and not isinstance(value_range, tuple):
        raise TypeError(f"{fn}: value_range has to be a tuple (min, max) if specified, got "
                        f"{type(value_range).__name__}")
    if not np.issubdtype(arr.dtype, np.floating):
        raise TypeError(f"{fn}: normalize=True needs a floating-point tensor, got {arr.dtype}")
    dtype = arr.dtype
    if value_range is not None:
        low = np.full((arr.shape[0], 1, 1, 1), value_range[0], np.float64)
        high = np.full((arr.shape[0], 1, 1, 1), value_range[1], np.float64)
    elif scale_each:
        low = arr.min(axis=(1, 2, 3), keepdims=True).astype(np.float64)
        high = arr.max(axis=(1, 2, 3), keepdims=True).astype(np.float64)
    else:
        low = np.full((arr.shape[0], 1, 1, 1), arr.min(), np.float64)
        high = np.full((arr.shape[0], 1, 1, 1), arr.max(), np.float64)
    # NOTE: torchvision clamps and divides by max(high - low, 1e-5) in the tensor's dtype,
    # with low and high as Python floats; doing it in that dtype keeps the rounding.
    out = np.clip(arr, low.astype(dtype), high.astype(dtype))
    out = (out - low.astype(dtype)) / np.maximum(high - low, 1e-5).astype(dtype)
    return out.astype(dtype, copy=False)


def make_grid(tensor, nrow: int = 8, padding: int = 2, normalize: bool = False,
              value_range: tuple | None = None, scale_each: bool = False,
              pad_value: float = 0.0) -> Tensor:
    """Tile a batch of images into one image, as ``torchvision.utils.make_grid``.

    Parameters
    ----------
    tensor : Tensor or list of Tensor
        ``(N, C, H, W)``, a list of ``(C, H, W)`` images of one shape, or one image
        ``(C, H, W)`` / ``(H, W)``.  1-channel images are repeated to 3 channels.
    nrow : int
        Images per row (the last row may be shorter).
    padding : int
        Pixels of ``pad_value`` around and between the images.
    normalize : bool
        Map each pixel to [0, 1]: clamp to ``value_range`` (default: the min and max of
        the batch, or of each image with ``scale_each``), subtract the low end and divide
        by ``max(high - low, 1e-5)``.
    value_range : tuple of (float, float), optional
        The ``(min, max)`` that ``normalize`` maps to [0, 1].
    scale_each : bool
        With ``normalize`` and no ``value_range``: use each image's own min and max.
    pad_value : float
        Value of the padding pixels.

    Returns
    -------
    Tensor
        ``(C, H_grid, W_grid)`` of the input's dtype; a batch of one image is returned
        as that image, without padding.

    Shape
    -----
    - input: ``(N, C, H, W)``; output: ``(C', rows * (H + padding) + padding,
      cols * (W + padding) + padding)`` with ``cols = min(nrow, N)``,
      ``rows = ceil(N / cols)`` and ``C' = 3`` if ``C == 1`` else ``C``.

    Examples
    --------
    >>> import glassnet
    >>> from glassnet.vision.utils import make_grid
    >>> grid = make_grid(glassnet.ones(5, 1, 4, 4), nrow=3, padding=1)
    >>> tuple(grid.shape), float(grid.sum())
    ((3, 11, 16), 240.0)
    """
    fn = "make_grid"
    if not isinstance(nrow, int) or isinstance(nrow, bool) or nrow < 1:
        raise ValueError(f"{fn}: nrow must be a positive int, got {nrow!r}")
    if not isinstance(padding, int) or isinstance(padding, bool) or padding < 0:
        raise ValueError(f"{fn}: padding must be a non-negative int, got {padding!r}")
    arr = _as_batch(tensor, fn)
    if normalize:
        arr = _normalize(arr, value_range, scale_each, fn)
    if arr.shape[0] == 1:
        return Tensor._wrap(np.array(arr[0]))
    n, c, h, w = arr.shape
    cols = min(nrow, n)
    rows = int(math.ceil(n / cols))
    # Each image sits at the bottom-right of an (h + padding, w + padding) tile; the tiles
    # are laid out row-major and the grid gets one more padding strip at the bottom/right.
    tiles = np.full((rows * cols, c, h + padding, w + padding), pad_value, arr.dtype)
    tiles[:n, :, padding:, padding:] = arr
    body = tiles.reshape(rows, cols, c, h + padding, w + padding).transpose(2, 0, 3, 1, 4)
    grid = np.full((c, rows * (h + padding) + padding, cols * (w + padding) + padding),
                   pad_value, arr.dtype)
    grid[:, :rows * (h + padding), :cols * (w + padding)] = body.reshape(
        c, rows * (h + padding), cols * (w + padding))
    return Tensor._wrap(grid)


def save_image(tensor, fp, format: str | None = None, **kwargs) -> None:  # noqa: A002
    """Write ``make_grid(tensor, **kwargs)`` to an image file, as ``torchvision.utils``.

    Pixel values in [0, 1] become ``floor(255 * v + 0.5)`` clamped to ``0..255`` (uint8).

    Parameters
    ----------
    tensor : Tensor or list of Tensor
        Images as :func:`make_grid` takes them (float, values in [0, 1]).
    fp : str, path-like or file object
        Destination; the format follows the suffix unless ``format`` is given.
    format : str, optional
        Pillow format name (``"PNG"``, ``"JPEG"``, ...); required for a file object.
    **kwargs
        Passed to :func:`make_grid` (``nrow``, ``padding``, ``normalize``, ...).

    Shape
    -----
    - input: as :func:`make_grid`; the file holds a ``(H_grid, W_grid)`` RGB image
      (RGBA for 4-channel input).

    Examples
    --------
    >>> import os, tempfile
    >>> import glassnet
    >>> from PIL import Image
    >>> path = os.path.join(tempfile.mkdtemp(), "grid.png")
    >>> save_image(glassnet.full((2, 1, 3, 3), 0.5), path, padding=1)
    >>> img = Image.open(path)
    >>> img.mode, img.size, img.getpixel((1, 1))
    ('RGB', (9, 5), (128, 128, 128))
    """
    from PIL import Image  # Pillow is needed only when images are written

    grid = make_grid(tensor, **kwargs)._data
    if grid.shape[0] not in (3, 4):
        raise ValueError(f"save_image: images must have 1, 3 or 4 channels, got "
                         f"{grid.shape[0]}")
    # NOTE: torchvision adds 0.5 after scaling to [0, 255] and truncates: round half up.
    scaled = np.clip(grid * np.asarray(255, grid.dtype) + np.asarray(0.5, grid.dtype), 0, 255)
    pixels = np.ascontiguousarray(scaled.transpose(1, 2, 0)).astype(np.uint8)
    Image.fromarray(pixels).save(fp, format=format)
