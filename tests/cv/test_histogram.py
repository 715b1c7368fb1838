"""Histograms: known answers and parity with cv2.calcHist / cv2.equalizeHist."""

import numpy as np
import pytest

from glassnet.cv import calc_hist, equalize_hist


def test_calc_hist_counts_and_shape():
    img = np.array([[0, 1, 1], [2, 255, 255]], np.uint8)
    hist = calc_hist(img)
    assert hist.dtype == np.float32 and hist.shape == (256, 1)
    assert hist[0, 0] == 1 and hist[1, 0] == 2 and hist[255, 0] == 2 and hist.sum() == 6


def test_calc_hist_range_mask_and_channel():
    img = np.stack([np.arange(12, dtype=np.uint8).reshape(3, 4), np.full((3, 4), 200, np.uint8)], 2)
    assert calc_hist(img, 1, hist_size=2).ravel().tolist() == [0, 12]
    assert calc_hist(img, 0, hist_size=2, ranges=(0, 6)).ravel().tolist() == [3, 3]
    mask = np.zeros((3, 4), np.uint8)
    mask[0] = 1
    assert calc_hist(img, 0, mask, hist_size=4, ranges=(0, 4)).ravel().tolist() == [1, 1, 1, 1]


def test_equalize_spreads_levels_to_full_range():
    img = np.array([[10, 20], [20, 30]], np.uint8)
    out = equalize_hist(img)
    assert out.min() == 0 and out.max() == 255
    flat = np.full((4, 4), 9, np.uint8)
    assert np.array_equal(equalize_hist(flat), flat)


def test_histogram_errors():
    img = np.zeros((4, 4), np.uint8)
    with pytest.raises(ValueError, match=r"calc_hist: channel must be in \[0, 0\]"):
        calc_hist(img, channel=1)
    with pytest.raises(ValueError, match=r"calc_hist: ranges must satisfy low < high"):
        calc_hist(img, ranges=(5, 5))
    with pytest.raises(ValueError, match=r"calc_hist: mask must have shape \(4, 4\)"):
        calc_hist(img, mask=np.ones((3, 3), np.uint8))
    with pytest.raises(ValueError, match=r"equalize_hist: image must have 1 channel"):
        equalize_hist(np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(TypeError, match=r"equalize_hist: image dtype must be one of uint8"):
        equalize_hist(img.astype(np.float32))


def test_calc_hist_matches_cv2(cv2, photos, random_images):
    rng = np.random.default_rng(5)
    for name, img in {**photos, **random_images}.items():
        for channel in range(1 if img.ndim == 2 else 3):
            for size, ranges in [(256, (0, 256)), (32, (0, 256)), (10, (20, 200)),
                                 (7, (0.5, 255.5)), (3, (0, 255))]:
                mask = (rng.random(img.shape[:2]) < 0.5).astype(np.uint8)
                for m in (None, mask):
                    ref = cv2.calcHist([img], [channel], m, [size], list(ranges))
                    ours = calc_hist(img, channel, m, size, ranges)
                    # OpenCV 5 returns shape (size,), OpenCV 4 (size, 1).
                    assert np.array_equal(ours.ravel(), ref.ravel()), (name, size, ranges)
        as_float = img[..., 0] if img.ndim == 3 else img
        as_float = as_float.astype(np.float32) / 255
        for size, ranges in [(256, (0, 1)), (17, (0.1, 0.9))]:
            ref = cv2.calcHist([as_float], [0], None, [size], list(ranges))
            assert np.array_equal(calc_hist(as_float, 0, None, size, ranges).ravel(), ref.ravel())


def test_equalize_hist_matches_cv2_exactly(cv2, photos, random_images):
    rng = np.random.default_rng(6)
    grey = [photos["camera"], photos["coins"], random_images["grey_37x53"],
            rng.integers(30, 60, (33, 47), dtype=np.uint8), np.full((5, 5), 7, np.uint8),
            photos["astronaut"][..., 1].copy()]
    for img in grey:
        assert np.array_equal(equalize_hist(img), cv2.equalizeHist(img))
