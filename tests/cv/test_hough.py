"""Hough transforms: known answers, parity with cv2.HoughLines, and HoughLinesP lines."""

import math

import numpy as np
import pytest

from glassnet.cv import canny, hough_lines, hough_lines_p


def draw_line(img, p, q):
    """Rasterise a 1-pixel line from p=(x, y) to q (no OpenCV needed)."""
    n = int(max(abs(q[0] - p[0]), abs(q[1] - p[1]))) + 1
    xs = np.rint(np.linspace(p[0], q[0], n)).astype(int)
    ys = np.rint(np.linspace(p[1], q[1], n)).astype(int)
    img[ys, xs] = 255


LINES = [((10, 20), (240, 170)), ((30, 190), (220, 15)), ((130, 5), (130, 195))]


def three_lines():
    img = np.zeros((200, 260), np.uint8)
    for p, q in LINES:
        draw_line(img, p, q)
    return img


# ---------------------------------------------------------------- known answers


def test_vertical_and_horizontal_lines():
    img = np.zeros((40, 50), np.uint8)
    img[:, 12] = 255
    img[30, :] = 255
    lines = hough_lines(img, 1, np.pi / 180, 30)
    assert lines.dtype == np.float32 and lines.shape[1:] == (1, 2)
    found = {(round(float(r)), round(math.degrees(t))) for r, t in lines[:, 0]}
    assert (12, 0) in found and (30, 90) in found


def test_votes_order_and_threshold():
    img = np.zeros((40, 50), np.uint8)
    img[:, 12] = 255  # 40 votes
    img[30, 5:30] = 255  # 25 votes
    lines = hough_lines(img, 1, np.pi / 180, 20)
    assert lines[0, 0, 0] == 12 and lines[0, 0, 1] == 0  # strongest (x = 12) first
    assert hough_lines(img, 1, np.pi / 180, 100).shape == (0, 1, 2)


def test_empty_edges_give_empty_results():
    blank = np.zeros((30, 30), np.uint8)
    assert hough_lines(blank, 1, np.pi / 180, 1).shape == (0, 1, 2)
    assert hough_lines_p(blank, 1, np.pi / 180, 1).shape == (0, 1, 4)


def test_hough_lines_p_finds_drawn_segments():
    img = three_lines()
    segs = hough_lines_p(img, 1, np.pi / 180, 50, min_line_length=40, max_line_gap=5)
    assert segs.dtype == np.int32 and segs.shape[1:] == (1, 4)
    for p, q in LINES:
        assert any(_same_line((p[0], p[1], q[0], q[1]), s, 2.0, 2.0) for s in segs[:, 0])


def test_hough_errors():
    img = np.zeros((10, 10), np.uint8)
    with pytest.raises(ValueError, match=r"hough_lines: rho must be > 0, got 0"):
        hough_lines(img, 0, 0.1, 5)
    with pytest.raises(TypeError, match=r"hough_lines: edges dtype must be one of uint8, bool"):
        hough_lines(img.astype(np.float32), 1, 0.1, 5)
    with pytest.raises(ValueError, match=r"hough_lines: edges must have 1 channel"):
        hough_lines(np.zeros((5, 5, 3), np.uint8), 1, 0.1, 5)
    with pytest.raises(NotImplementedError, match=r"multi-scale"):
        hough_lines(img, 1, 0.1, 5, srn=2, stn=2)
    with pytest.raises(ValueError, match=r"hough_lines_p: min_line_length and max_line_gap"):
        hough_lines_p(img, 1, 0.1, 5, min_line_length=-1)


# ---------------------------------------------------------------- parity with OpenCV


def _same_line(seg_a, seg_b, dist_tol, angle_tol_deg):
    """True if both ends of seg_a lie within dist_tol of seg_b's line, angles agree."""
    ax1, ay1, ax2, ay2 = (float(v) for v in seg_a)
    bx1, by1, bx2, by2 = (float(v) for v in seg_b)
    bdx, bdy = bx2 - bx1, by2 - by1
    blen = math.hypot(bdx, bdy)
    if blen == 0:
        return False
    for x, y in ((ax1, ay1), (ax2, ay2)):
        if abs((x - bx1) * bdy - (y - by1) * bdx) / blen > dist_tol:
            return False
    angle_a = math.degrees(math.atan2(ay2 - ay1, ax2 - ax1)) % 180
    angle_b = math.degrees(math.atan2(bdy, bdx)) % 180
    delta = abs(angle_a - angle_b)
    return min(delta, 180 - delta) <= angle_tol_deg


@pytest.mark.parametrize(
    "rho, theta, threshold, min_theta, max_theta",
    [
        (1, np.pi / 180, 80, 0, np.pi),
        (1, np.pi / 180, 150, 0, np.pi),
        (2, np.pi / 90, 60, 0, np.pi),
        (1.5, 0.013, 40, 0.2, 2.5),
        (1, np.pi / 360, 100, 0, np.pi),
    ],
)
def test_hough_lines_matches_cv2_exactly(cv2, photos, rho, theta, threshold, min_theta, max_theta):
    edge_maps = {
        "camera": canny(photos["camera"], 50, 150),
        "coins": canny(photos["coins"], 50, 150),
        "three_lines": three_lines(),
    }
    for name, edges in edge_maps.items():
        ref = cv2.HoughLines(edges, rho, theta, threshold, min_theta=min_theta,
                             max_theta=max_theta)
        ref = np.zeros((0, 1, 2), np.float32) if ref is None else ref.reshape(-1, 1, 2)
        ours = hough_lines(edges, rho, theta, threshold, min_theta=min_theta,
                           max_theta=max_theta)
        assert ours.shape == ref.shape, name
        assert np.array_equal(ours, ref), name


def test_hough_lines_p_finds_every_cv2_line(cv2):
    img = three_lines()
    ref = cv2.HoughLinesP(img, 1, np.pi / 180, 50, minLineLength=40, maxLineGap=5)
    ours = hough_lines_p(img, 1, np.pi / 180, 50, min_line_length=40, max_line_gap=5)
    assert ref is not None and len(ours)
    for seg in ref.reshape(-1, 4):
        assert any(_same_line(seg, s, 2.5, 2.0) for s in ours.reshape(-1, 4)), seg
    # ... and glassnet invents no line cv2 does not see.
    for s in ours.reshape(-1, 4):
        assert any(_same_line(s, seg, 2.5, 2.0) for seg in ref.reshape(-1, 4)), s
