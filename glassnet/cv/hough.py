"""Hough line transforms with OpenCV's semantics.

A line is ``rho = x cos(theta) + y sin(theta)``: ``rho`` is the signed distance
from the top-left pixel, ``theta`` the angle of the normal (0 = vertical line).
Every edge pixel votes once per angle for the ``rho`` bin its line passes through.
P. Hough, US patent 3069654 (1962); R. Duda and P. Hart, "Use of the Hough
transformation to detect lines and curves in pictures", CACM 15(1), 1972,
doi:10.1145/361237.361242.

``hough_lines`` reproduces ``cv2.HoughLines`` (standard transform) exactly: the
same accumulator layout and float32 rounding, the same local-maximum test and the
same ordering. ``hough_lines_p`` is a deterministic, vectorised take on the
progressive probabilistic transform of ``cv2.HoughLinesP`` (Matas, Galambos and
Kittler, CVIU 78(1), 2000, doi:10.1006/cviu.1999.0831): it finds the same lines,
but may split or end the segments differently.
"""

from __future__ import annotations

import math

import numpy as np

from ._border import check_image

__all__ = ["hough_lines", "hough_lines_p"]

# Votes (points x angles) computed per block, so the temporaries stay ~8 MB.
_VOTE_BLOCK = 1 << 20


def _edge_points(edges: np.ndarray, func: str) -> tuple[np.ndarray, np.ndarray]:
    edges = check_image(edges, func, (np.uint8, np.bool_), channels=(1,), name="edges")
    if edges.ndim == 3:
        edges = edges[..., 0]
    ys, xs = np.nonzero(edges)
    return xs, ys


def _check_resolution(rho: float, theta: float, threshold: int, func: str):
    if not rho > 0:
        raise ValueError(f"{func}: rho must be > 0, got {rho}")
    if not theta > 0:
        raise ValueError(f"{func}: theta must be > 0, got {theta}")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, np.integer)):
        raise TypeError(f"{func}: threshold must be an int, got {type(threshold).__name__}")


def _vote(
    xs: np.ndarray,
    ys: np.ndarray,
    cos_tab: np.ndarray,
    sin_tab: np.ndarray,
    numrho: int,
    sign: int = 1,
    accum: np.ndarray | None = None,
) -> np.ndarray:
    """Add ``sign`` to bin ``(n, round(x cos_n + y sin_n) + (numrho - 1) // 2)``.

    ``cos_tab``/``sin_tab`` already include the ``1 / rho`` factor and are float32;
    the products and sum are float32 and rounded half to even, as cv2's ``cvRound``
    of a float expression.
    """
    numangle = cos_tab.size
    if accum is None:
        accum = np.zeros(numangle * numrho, dtype=np.int64)
    offset = (numrho - 1) // 2
    base = np.arange(numangle, dtype=np.int64) * numrho + offset
    block = max(1, _VOTE_BLOCK // max(numangle, 1))
    for start in range(0, xs.size, block):
        x = xs[start : start + block].astype(np.float32)[:, None]
        y = ys[start : start + block].astype(np.float32)[:, None]
        r = np.rint(x * cos_tab + y * sin_tab).astype(np.int64)
        bins = (r + base).ravel()
        counts = np.bincount(bins, minlength=accum.size)
        if sign > 0:
            accum += counts
        else:
            accum -= counts
    return accum


def hough_lines(
    edges: np.ndarray,
    rho: float,
    theta: float,
    threshold: int,
    srn: float = 0,
    stn: float = 0,
    min_theta: float = 0.0,
    max_theta: float = math.pi,
) -> np.ndarray:
    """Standard Hough transform for lines, identical to ``cv2.HoughLines``.

    Parameters
    ----------
    edges : ndarray
        uint8 (or bool) edge map ``(H, W)``; every non-zero pixel votes.
    rho : float
        Distance resolution of the accumulator, in pixels.
    theta : float
        Angle resolution, in radians.
    threshold : int
        A line is reported if its accumulator cell has *more than* ``threshold``
        votes and is a local maximum.
    srn, stn : float, optional
        Multi-scale divisors of cv2; only the standard transform (0, 0) is
        implemented.
    min_theta, max_theta : float, optional
        Range of the normal angle, ``0 <= min_theta <= max_theta <= pi``.

    Returns
    -------
    ndarray
        float32 array of ``(rho, theta)`` pairs, sorted by decreasing votes (ties:
        smaller angle first, then smaller rho). cv2 returns ``None`` when nothing
        is found; this returns an empty array.

    Shape
    -----
    - edges: ``(H, W)``
    - output: ``(K, 1, 2)``

    Notes
    -----
    Accumulator: ``numangle = round((max_theta - min_theta) / theta)`` angles
    (accumulated in float32 as ``min_theta + n * theta``), ``numrho =
    round((2 * (W + H) + 1) / rho)`` distance bins, bin
    ``round((x cos + y sin) / rho) + (numrho - 1) // 2`` (float32 arithmetic). A
    cell is a peak if ``> threshold``, ``>`` its lower-rho and lower-angle
    neighbours and ``>=`` the other two (cells outside the accumulator count 0).

    Examples
    --------
    >>> img = np.zeros((20, 20), np.uint8); img[:, 7] = 255
    >>> hough_lines(img, 1, np.pi / 180, 10)[0]
    array([[7., 0.]], dtype=float32)
    """
    func = "hough_lines"
    _check_resolution(rho, theta, threshold, func)
    if srn != 0 or stn != 0:
        raise NotImplementedError(
            f"{func}: the multi-scale transform (srn={srn}, stn={stn}) is not implemented; "
            "use srn=0 and stn=0"
        )
    if not 0 <= min_theta <= max_theta <= math.pi + 1e-12:
        raise ValueError(
            f"{func}: need 0 <= min_theta <= max_theta <= pi, got min_theta={min_theta}, "
            f"max_theta={max_theta}"
        )
    xs, ys = _edge_points(edges, func)
    h, w = edges.shape[:2]
    rho32 = np.float32(rho)
    theta32 = np.float32(theta)
    irho = np.float32(1) / rho32
    numangle = int(round((max_theta - min_theta) / theta))
    numrho = int(round((2 * (w + h) + 1) / rho))
    if numangle < 1 or numrho < 1:
        return np.zeros((0, 1, 2), np.float32)

    # Trig tables: the angle advances in float32 exactly as cv2's createTrigTable.
    angles = np.empty(numangle, dtype=np.float32)
    ang = np.float32(min_theta)
    for n in range(numangle):
        angles[n] = ang
        ang = np.float32(ang + theta32)
    cos_tab = (np.cos(angles.astype(np.float64)) * irho).astype(np.float32)
    sin_tab = (np.sin(angles.astype(np.float64)) * irho).astype(np.float32)

    # Stage 1: votes
    accum = _vote(xs, ys, cos_tab, sin_tab, numrho).reshape(numangle, numrho)

    # Stage 2: local maxima in the 4-neighbourhood (zero border, as cv2's padding).
    padded = np.zeros((numangle + 2, numrho + 2), dtype=np.int64)
    padded[1:-1, 1:-1] = accum
    centre = padded[1:-1, 1:-1]
    # NOTE: '>' towards smaller rho / angle and '>=' towards larger, so of two equal
    # neighbouring peaks exactly one is kept.
    peak = (
        (centre > threshold)
        & (centre > padded[1:-1, :-2])
        & (centre >= padded[1:-1, 2:])
        & (centre > padded[:-2, 1:-1])
        & (centre >= padded[2:, 1:-1])
    )
    n_idx, r_idx = np.nonzero(peak)  # row-major: angle first, as cv2's cell index

    # Stage 3: sort by votes (descending), ties by cell index (stable sort).
    order = np.argsort(-accum[n_idx, r_idx], kind="stable")
    n_idx = n_idx[order]
    r_idx = r_idx[order]
    out = np.empty((n_idx.size, 1, 2), dtype=np.float32)
    # NOTE: OpenCV 5 maps the bin back with the same integer offset (numrho - 1) // 2
    # used for voting (OpenCV <= 4.x used (numrho - 1) * 0.5, half a bin off for an
    # even numrho).
    out[:, 0, 0] = (r_idx - (numrho - 1) // 2).astype(np.float32) * rho32
    out[:, 0, 1] = np.float32(min_theta) + n_idx.astype(np.float32) * theta32
    return out


def hough_lines_p(
    edges: np.ndarray,
    rho: float,
    theta: float,
    threshold: int,
    min_line_length: float = 0,
    max_line_gap: float = 0,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Line segments by a progressive Hough transform, like ``cv2.HoughLinesP``.

    Parameters
    ----------
    edges : ndarray
        uint8 (or bool) edge map ``(H, W)``.
    rho : float
        Distance resolution, in pixels.
    theta : float
        Angle resolution, in radians (``floor(pi / theta)`` angles, as cv2).
    threshold : int
        Minimum number of votes (``>=``) of the line supporting a segment.
    min_line_length : float, optional
        A segment is kept if its x extent or its y extent is ``>= min_line_length``
        (cv2's test).
    max_line_gap : float, optional
        Largest run of missing pixels (steps along the line's major axis) bridged
        inside one segment.
    rng : numpy.random.Generator, optional
        Accepted for API symmetry with the randomised cv2 algorithm; this
        implementation is deterministic and does not use it.

    Returns
    -------
    ndarray
        int32 segments ``(x1, y1, x2, y2)``, strongest line first, in OpenCV 4's
        ``(K, 1, 4)`` layout (OpenCV 5.0 returns ``(K, 4)``;
        ``segments.reshape(-1, 4)`` suits both). cv2 returns ``None`` when nothing
        is found; this returns an empty array.

    Shape
    -----
    - edges: ``(H, W)``
    - output: ``(K, 1, 4)``

    Notes
    -----
    cv2 visits the edge pixels in random order, votes incrementally and walks
    along the first line that reaches the threshold. Here, all pixels vote at
    once; then, repeatedly, the strongest accumulator cell (if it has at least
    ``threshold`` votes) selects the live pixels within one ``rho`` bin of its
    line; they are ordered along the line's major axis, split wherever more than
    ``max_line_gap`` steps are missing, each piece long enough becomes a segment
    from its first to its last pixel, and all selected pixels are removed (their
    votes withdrawn). The loop runs once per line found, never per pixel.

    Examples
    --------
    >>> img = np.zeros((20, 30), np.uint8); img[5, 3:25] = 255
    >>> hough_lines_p(img, 1, np.pi / 180, 10, min_line_length=5)
    array([[[ 3,  5, 24,  5]]], dtype=int32)
    """
    func = "hough_lines_p"
    _check_resolution(rho, theta, threshold, func)
    if min_line_length < 0 or max_line_gap < 0:
        raise ValueError(
            f"{func}: min_line_length and max_line_gap must be >= 0, got "
            f"{min_line_length} and {max_line_gap}"
        )
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{func}: rng must be a numpy.random.Generator or None, got {type(rng).__name__}"
        )
    xs, ys = _edge_points(edges, func)
    h, w = edges.shape[:2]
    numangle = int(math.floor(math.pi / theta))
    numrho = int(round((2 * (w + h) + 1) / rho))
    if numangle < 1 or xs.size == 0:
        return np.zeros((0, 1, 4), np.int32)
    irho = 1.0 / np.float32(rho)
    n = np.arange(numangle, dtype=np.float64)
    cos_tab = (np.cos(n * theta) * irho).astype(np.float32)
    sin_tab = (np.sin(n * theta) * irho).astype(np.float32)
    accum = _vote(xs, ys, cos_tab, sin_tab, numrho)
    alive = np.ones(xs.size, dtype=bool)
    threshold = max(int(threshold), 1)
    offset = (numrho - 1) // 2
    segments = []
    while True:
        best = int(np.argmax(accum))
        if accum[best] < threshold:
            break
        n_best, r_best = divmod(best, numrho)
        angle = n_best * theta
        c, s = math.cos(angle), math.sin(angle)
        line_rho = (r_best - offset) * rho
        live = np.flatnonzero(alive)
        # Pixels within one rho bin of the line (its voters lie within half a bin).
        dist = xs[live] * c + ys[live] * s - line_rho
        near = live[np.abs(dist) <= max(rho, 1.0)]
        # Walk along the major axis of the line direction (-sin, cos), as cv2 steps.
        major = xs if abs(s) > abs(c) else ys
        order = near[np.argsort(major[near], kind="stable")]
        steps = np.diff(major[order])
        breaks = np.flatnonzero(steps - 1 > max_line_gap) + 1
        for piece in np.split(order, breaks):
            # Ends of the segment: its first and last pixels along the major axis.
            first, last = piece[0], piece[-1]
            x1, y1, x2, y2 = xs[first], ys[first], xs[last], ys[last]
            if abs(x2 - x1) >= min_line_length or abs(y2 - y1) >= min_line_length:
                segments.append((x1, y1, x2, y2))
        alive[near] = False
        _vote(xs[near], ys[near], cos_tab, sin_tab, numrho, sign=-1, accum=accum)
    if not segments:
        return np.zeros((0, 1, 4), np.int32)
    return np.array(segments, dtype=np.int32).reshape(-1, 1, 4)
