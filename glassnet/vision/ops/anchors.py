"""Anchor boxes for region proposal networks (Faster R-CNN; Ren et al., NeurIPS 2015,
arXiv:1506.01497), with ``torchvision.models.detection.anchor_utils.AnchorGenerator``'s
formulas and ordering."""
from __future__ import annotations

import numpy as np

from glassnet.tensor import Tensor

__all__ = ["AnchorGenerator"]


class AnchorGenerator:
    """Generate anchors on the grids of one or more feature maps.

    For feature map ``i`` there are ``len(sizes[i]) * len(aspect_ratios[i])`` anchors per
    location.  The zero-centred cell anchors are (aspect ratio = height / width)::

        h_ratio = sqrt(ar);  w_ratio = 1 / h_ratio
        w = w_ratio * size;  h = h_ratio * size        (ratios outer, sizes inner)
        cell = round([-w, -h, w, h] / 2)               (round half to even)

    and are shifted by ``(x * stride_w, y * stride_h)`` for every grid cell, with
    ``stride = image_size // feature_size`` (integer division per axis).

    Parameters
    ----------
    sizes : tuple of tuple of int
        Anchor sizes per feature map (``((128, 256, 512),)``); a flat tuple means one
        size per feature map.
    aspect_ratios : tuple of tuple of float
        Height / width ratios per feature map (``((0.5, 1.0, 2.0),)``); a flat tuple is
        reused for every map.

    Notes
    -----
    torchvision's module takes an ``ImageList`` and the feature maps and returns one
    copy of the anchors per image.  Here the call takes sizes only,
    ``gen(image_size, feature_map_sizes)``, and returns the anchors of one image (they
    are identical for every image of a padded batch).

    Shape
    -----
    - image_size: ``(H_img, W_img)``
    - feature_map_sizes: list of ``(H_i, W_i)``, one per entry of ``sizes``
    - output: ``(sum_i H_i * W_i * A_i, 4)`` xyxy, ordered by feature map, then row
      ``y``, then column ``x``, then cell anchor (ratio-major), as torchvision

    Examples
    --------
    >>> from glassnet.vision.ops import AnchorGenerator
    >>> gen = AnchorGenerator(sizes=((32,),), aspect_ratios=((1.0,),))
    >>> anchors = gen((64, 64), [(2, 2)])   # stride 32: one anchor per cell
    >>> anchors[:2].tolist()
    [[-16.0, -16.0, 16.0, 16.0], [16.0, -16.0, 48.0, 16.0]]
    """

    def __init__(self, sizes=((128, 256, 512),), aspect_ratios=((0.5, 1.0, 2.0),)):
        if not isinstance(sizes[0], (list, tuple)):
            sizes = tuple((s,) for s in sizes)
        if not isinstance(aspect_ratios[0], (list, tuple)):
            aspect_ratios = (aspect_ratios,) * len(sizes)
        if len(sizes) != len(aspect_ratios):
            raise ValueError(f"AnchorGenerator: sizes and aspect_ratios must have one entry "
                             f"per feature map, got {len(sizes)} and {len(aspect_ratios)}")
        for ars in aspect_ratios:
            if any(a <= 0 for a in ars):
                raise ValueError(f"AnchorGenerator: aspect_ratios must be > 0, got {ars}")
        self.sizes = sizes
        self.aspect_ratios = aspect_ratios
        self.cell_anchors = [self.generate_anchors(s, a) for s, a in zip(sizes, aspect_ratios)]

    @staticmethod
    def generate_anchors(scales, aspect_ratios, dtype=np.float32) -> Tensor:
        """Zero-centred cell anchors ``(len(aspect_ratios) * len(scales), 4)``."""
        scales = np.asarray(scales, dtype=dtype)
        aspect_ratios = np.asarray(aspect_ratios, dtype=dtype)
        h_ratios = np.sqrt(aspect_ratios)
        w_ratios = 1 / h_ratios
        ws = (w_ratios[:, None] * scales[None, :]).reshape(-1)
        hs = (h_ratios[:, None] * scales[None, :]).reshape(-1)
        base = np.stack([-ws, -hs, ws, hs], axis=1) / dtype(2)
        # NOTE: np.round and torch.round both round halves to even.
        return Tensor._wrap(np.round(base).astype(dtype))

    def num_anchors_per_location(self) -> list:
        """Anchors per grid cell for each feature map."""
        return [len(s) * len(a) for s, a in zip(self.sizes, self.aspect_ratios)]

    def grid_anchors(self, grid_sizes, strides) -> list:
        """Anchors of each feature map: every cell anchor at every grid position."""
        if not len(grid_sizes) == len(strides) == len(self.cell_anchors):
            raise ValueError(f"AnchorGenerator: got {len(grid_sizes)} feature maps for "
                             f"{len(self.cell_anchors)} entries of sizes/aspect_ratios")
        anchors = []
        for (gh, gw), (sh, sw), base in zip(grid_sizes, strides, self.cell_anchors):
            shift_x = np.arange(gw, dtype=np.int64) * int(sw)
            shift_y = np.arange(gh, dtype=np.int64) * int(sh)
            sy, sx = np.meshgrid(shift_y, shift_x, indexing="ij")
            sx, sy = sx.reshape(-1), sy.reshape(-1)
            shifts = np.stack([sx, sy, sx, sy], axis=1).astype(base.dtype)
            anchors.append((shifts[:, None, :] + base._data[None, :, :]).reshape(-1, 4))
        return anchors

    def __call__(self, image_size, feature_map_sizes) -> Tensor:
        try:
            img_h, img_w = (int(v) for v in image_size)
            grid_sizes = [tuple(int(v) for v in g[-2:]) for g in feature_map_sizes]
        except (TypeError, ValueError):
            raise ValueError(f"AnchorGenerator: image_size must be (H, W) and "
                             f"feature_map_sizes a list of (H, W), got {image_size!r} and "
                             f"{feature_map_sizes!r}") from None
        for g in grid_sizes:
            if len(g) != 2 or min(g) <= 0:
                raise ValueError(f"AnchorGenerator: feature map sizes must be positive "
                                 f"(H, W), got {g}")
        strides = [(img_h // gh, img_w // gw) for gh, gw in grid_sizes]
        parts = self.grid_anchors(grid_sizes, strides)
        return Tensor._wrap(np.concatenate(parts, axis=0))

    forward = __call__

    def __repr__(self) -> str:
        return f"AnchorGenerator(sizes={self.sizes}, aspect_ratios={self.aspect_ratios})"
