"""Anchor-to-ground-truth assignment and minibatch sampling for two-stage detectors,
with ``torchvision.models.detection._utils`` semantics (``Matcher``,
``BalancedPositiveNegativeSampler``)."""
from __future__ import annotations

import numpy as np

from glassnet.backend import default_generator
from glassnet.tensor import Tensor

__all__ = ["Matcher", "BalancedPositiveNegativeSampler"]


class Matcher:
    """Assign each prediction (anchor) the ground-truth box it overlaps best.

    For each column of the quality matrix (usually IoU), the best row's index is kept
    when its value is ``>= high_threshold``; values in ``[low_threshold,
    high_threshold)`` give ``BETWEEN_THRESHOLDS`` (-2) and values ``< low_threshold``
    give ``BELOW_LOW_THRESHOLD`` (-1).  With ``allow_low_quality_matches``, every
    prediction that ties for the best quality of some ground truth gets back its best
    match even if below the thresholds (Faster R-CNN's rule, so no ground truth is left
    without an anchor).

    Parameters
    ----------
    high_threshold : float
        Quality at or above which a match is accepted (0.7 in RPNs).
    low_threshold : float
        Quality below which a prediction is background (0.3 in RPNs).
    allow_low_quality_matches : bool
        Apply the low-quality rule above.

    Shape
    -----
    - match_quality_matrix: ``(G, A)`` (ground truths x predictions)
    - output: ``(A)`` int64 in ``{-2, -1, 0, ..., G - 1}``

    Examples
    --------
    >>> import glassnet as gn
    >>> from glassnet.vision.ops import Matcher
    >>> m = Matcher(0.7, 0.3)
    >>> m(gn.tensor([[0.9, 0.5, 0.1], [0.2, 0.6, 0.0]])).tolist()
    [0, -2, -1]
    """

    BELOW_LOW_THRESHOLD = -1
    BETWEEN_THRESHOLDS = -2

    def __init__(self, high_threshold: float = 0.7, low_threshold: float = 0.3,
                 allow_low_quality_matches: bool = False):
        if low_threshold > high_threshold:
            raise ValueError(f"Matcher: low_threshold must be <= high_threshold, got "
                             f"{low_threshold} > {high_threshold}")
        self.high_threshold = high_threshold
        self.low_threshold = low_threshold
        self.allow_low_quality_matches = allow_low_quality_matches

    def __call__(self, match_quality_matrix: Tensor) -> Tensor:
        q = match_quality_matrix
        if not isinstance(q, Tensor) or q.ndim != 2:
            got = tuple(q.shape) if isinstance(q, Tensor) else type(q).__name__
            raise ValueError(f"Matcher: match_quality_matrix must be a (G, A) Tensor, got "
                             f"{got}")
        q = q._data
        if q.size == 0:
            if q.shape[0] == 0:
                raise ValueError("Matcher: no ground-truth boxes available for one of the "
                                 "images during training")
            raise ValueError("Matcher: no proposal boxes available for one of the images "
                             "during training")
        # NOTE: argmax returns the first of tied ground truths, as torch.max(dim=0) does.
        matches = q.argmax(axis=0).astype(np.int64)
        matched_vals = q[matches, np.arange(q.shape[1])]
        all_matches = matches.copy()
        below = matched_vals < self.low_threshold
        between = (matched_vals >= self.low_threshold) & (matched_vals < self.high_threshold)
        matches[below] = self.BELOW_LOW_THRESHOLD
        matches[between] = self.BETWEEN_THRESHOLDS
        if self.allow_low_quality_matches:
            self.set_low_quality_matches_(matches, all_matches, q)
        return Tensor._wrap(matches)

    @staticmethod
    def set_low_quality_matches_(matches, all_matches, quality) -> None:
        """Give back their best match to the predictions that have the highest quality
        (ties included) for some ground truth."""
        best_per_gt = quality.max(axis=1)
        pred_inds = np.nonzero(quality == best_per_gt[:, None])[1]
        matches[pred_inds] = all_matches[pred_inds]


class BalancedPositiveNegativeSampler:
    """Sample a fixed-size minibatch per image with a target fraction of positives.

    ``matched_idxs`` entries ``>= 1`` are positives, ``0`` negatives and ``-1`` ignored
    (torchvision's convention: labels after matching).  At most
    ``int(batch_size_per_image * positive_fraction)`` positives are drawn, and
    negatives fill the rest of the batch, each uniformly without replacement.

    Parameters
    ----------
    batch_size_per_image : int
        Elements selected per image (e.g. 256 for an RPN).
    positive_fraction : float
        Target fraction of positives (e.g. 0.5).
    generator : numpy.random.Generator, optional
        Random stream; glassnet's default generator (``glassnet.manual_seed``) if None.

    Shape
    -----
    - matched_idxs: list of ``(A_i)`` integer Tensors
    - output: two lists of ``(A_i)`` uint8 masks (positives, negatives)
    """

    def __init__(self, batch_size_per_image: int, positive_fraction: float, *,
                 generator: np.random.Generator | None = None):
        if batch_size_per_image < 0:
            raise ValueError(f"BalancedPositiveNegativeSampler: batch_size_per_image must "
                             f"be >= 0, got {batch_size_per_image}")
        if not 0 <= positive_fraction <= 1:
            raise ValueError(f"BalancedPositiveNegativeSampler: positive_fraction must be "
                             f"in [0, 1], got {positive_fraction}")
        self.batch_size_per_image = batch_size_per_image
        self.positive_fraction = positive_fraction
        self.generator = generator

    def __call__(self, matched_idxs, generator: np.random.Generator | None = None):
        rng = generator or self.generator or default_generator()
        pos_idx, neg_idx = [], []
        for matched in matched_idxs:
            m = matched._data if isinstance(matched, Tensor) else np.asarray(matched)
            positive = np.flatnonzero(m >= 1)
            negative = np.flatnonzero(m == 0)
            num_pos = min(positive.size, int(self.batch_size_per_image
                                             * self.positive_fraction))
            num_neg = min(negative.size, self.batch_size_per_image - num_pos)
            pos_mask = np.zeros(m.shape, np.uint8)
            neg_mask = np.zeros(m.shape, np.uint8)
            pos_mask[positive[rng.permutation(positive.size)[:num_pos]]] = 1
            neg_mask[negative[rng.permutation(negative.size)[:num_neg]]] = 1
            pos_idx.append(Tensor._wrap(pos_mask))
            neg_idx.append(Tensor._wrap(neg_mask))
        return pos_idx, neg_idx
