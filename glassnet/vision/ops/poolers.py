"""FPN level assignment (Lin et al. 2017, arXiv:1612.03144, eq. 1) and
``MultiScaleRoIAlign``, with ``torchvision.ops.poolers`` semantics."""
from __future__ import annotations

import numpy as np

from glassnet.nn.module import Module
from glassnet.ops.shape import cat
from glassnet.tensor import Tensor
from glassnet.vision.ops.roi import _rois, roi_align

__all__ = ["LevelMapper", "MultiScaleRoIAlign"]


class LevelMapper:
    """Assign each box to an FPN level (Lin et al. 2017, arXiv:1612.03144, eq. 1).

    ``k = floor(k0 + log2(sqrt(w * h) / s0) + eps)``, clamped to ``[k_min, k_max]``
    and returned relative to ``k_min``.

    Parameters
    ----------
    k_min, k_max : int
        Finest and coarsest pyramid levels available.
    canonical_scale : int
        ``s0``: a box of ``s0 x s0`` maps to ``canonical_level`` (224, ImageNet size).
    canonical_level : int
        ``k0`` (4).
    eps : float
        Guards the floor against round-off at exact powers of two (1e-6).

    Shape
    -----
    - boxlists: list of ``(L_i, 4)`` xyxy Tensors
    - output: ``(sum L_i)`` int64 level indices in ``[0, k_max - k_min]``
    """

    def __init__(self, k_min: int, k_max: int, canonical_scale: int = 224,
                 canonical_level: int = 4, eps: float = 1e-6):
        if k_min > k_max:
            raise ValueError(f"LevelMapper: k_min must be <= k_max, got {k_min} > {k_max}")
        self.k_min = k_min
        self.k_max = k_max
        self.s0 = canonical_scale
        self.lvl0 = canonical_level
        self.eps = eps

    def __call__(self, boxlists) -> Tensor:
        areas = [(b._data[:, 2] - b._data[:, 0]) * (b._data[:, 3] - b._data[:, 1])
                 for b in boxlists]
        s = np.sqrt(np.concatenate(areas))
        t = s.dtype.type
        lvl = np.floor(t(self.lvl0) + np.log2(s / t(self.s0)) + t(self.eps))
        lvl = np.clip(lvl, self.k_min, self.k_max)
        return Tensor._wrap(lvl.astype(np.int64) - self.k_min)


def _infer_scale(feature: Tensor, original_size) -> float:
    # Assumes the scale is 2 ** -k (torchvision's heuristic).
    approx = float(feature.shape[-2]) / float(original_size[0])
    return float(2.0 ** float(np.round(np.log2(np.float32(approx)))))


class MultiScaleRoIAlign(Module):
    """RoIAlign over several feature maps, each box pooled from its FPN level.

    The scale of each map is inferred on the first call as ``2 ** round(log2(H_feat /
    H_image))`` from the largest image size; boxes are assigned to levels with
    :class:`LevelMapper`.  A single map pools every box from it.

    Parameters
    ----------
    featmap_names : list of str
        Keys of the feature dict to use, in order from finest to coarsest.
    output_size : int or tuple of int
        ``(PH, PW)``.
    sampling_ratio : int
        Passed to :func:`roi_align`.
    canonical_scale, canonical_level : int
        Passed to :class:`LevelMapper` (224 and 4).

    Shape
    -----
    - x: dict of ``(N, C, H_l, W_l)`` Tensors
    - boxes: list of N ``(L_i, 4)`` Tensors in image coordinates
    - output: ``(sum L_i, C, PH, PW)``
    """

    def __init__(self, featmap_names, output_size, sampling_ratio: int, *,
                 canonical_scale: int = 224, canonical_level: int = 4):
        super().__init__()
        if isinstance(output_size, int):
            output_size = (output_size, output_size)
        self.featmap_names = list(featmap_names)
        self.sampling_ratio = sampling_ratio
        self.output_size = tuple(output_size)
        self.canonical_scale = canonical_scale
        self.canonical_level = canonical_level
        self.scales = None
        self.map_levels = None

    def _setup_scales(self, features, image_shapes):
        if not image_shapes:
            raise ValueError("MultiScaleRoIAlign: image_shapes must not be empty")
        original = (max(s[0] for s in image_shapes), max(s[1] for s in image_shapes))
        self.scales = [_infer_scale(f, original) for f in features]
        lvl_min = -np.log2(np.float32(self.scales[0]))
        lvl_max = -np.log2(np.float32(self.scales[-1]))
        self.map_levels = LevelMapper(int(lvl_min), int(lvl_max), self.canonical_scale,
                                      self.canonical_level)

    def forward(self, x: dict, boxes, image_shapes) -> Tensor:
        features = [v for k, v in x.items() if k in self.featmap_names]
        if not features:
            raise ValueError(f"MultiScaleRoIAlign: none of featmap_names "
                             f"{self.featmap_names} is a key of x ({list(x)})")
        if self.scales is None or self.map_levels is None:
            self._setup_scales(features, image_shapes)
        if len(features) == 1:
            return roi_align(features[0], boxes, self.output_size, self.scales[0],
                             self.sampling_ratio)
        levels = self.map_levels(boxes)._data
        rois = _rois(list(boxes), features[0].shape[0], features[0].dtype,
                     "MultiScaleRoIAlign")
        parts, where = [], []
        for level, (feat, scale) in enumerate(zip(features, self.scales)):
            idx = np.flatnonzero(levels == level)
            if idx.size:
                parts.append(roi_align(feat, Tensor._wrap(rois[idx]), self.output_size,
                                       scale, self.sampling_ratio))
                where.append(idx)
        # Undo the grouping by level: row i of the output is box i.
        inverse = np.argsort(np.concatenate(where), kind="stable")
        stacked = parts[0] if len(parts) == 1 else cat(parts, dim=0)
        return stacked[inverse]

    def extra_repr(self) -> str:
        return (f"featmap_names={self.featmap_names}, output_size={self.output_size}, "
                f"sampling_ratio={self.sampling_ratio}")
