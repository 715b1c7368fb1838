"""Smoothing filters: known answers, input checks, and parity with OpenCV."""

import numpy as np
import pytest

from glassnet.cv import (
    BORDER_CONSTANT,
    BORDER_REFLECT,
    BORDER_REFLECT_101,
    BORDER_REPLICATE,
    BORDER_WRAP,
    bilateral_filter,
    blur,
    box_filter,
    copy_make_border,
    filter2d,
    gaussian_blur,
    get_gaussian_kernel,
    median_blur,
)

BORDERS = [BORDER_CONSTANT, BORDER_REPLICATE, BORDER_REFLECT, BORDER_REFLECT_101]


def diff(a, b):
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))


def images(photos, random_images):
    return {**photos, **random_images}


# ---------------------------------------------------------------- known answers


def test_borders_follow_opencv_layout():
    row = np.array([[1, 2, 3, 4]])
    assert copy_make_border(row, 0, 0, 2, 2, "constant", 9).tolist() == [[9, 9, 1, 2, 3, 4, 9, 9]]
    assert copy_make_border(row, 0, 0, 2, 2, "replicate").tolist() == [[1, 1, 1, 2, 3, 4, 4, 4]]
    assert copy_make_border(row, 0, 0, 2, 2, "reflect").tolist() == [[2, 1, 1, 2, 3, 4, 4, 3]]
    assert copy_make_border(row, 0, 0, 2, 2, "wrap").tolist() == [[3, 4, 1, 2, 3, 4, 1, 2]]
    assert copy_make_border(row, 0, 0, 2, 2, "reflect_101").tolist() == [[3, 2, 1, 2, 3, 4, 3, 2]]


def test_flat_image_is_unchanged_by_every_smoothing_filter():
    flat = np.full((9, 11), 77, np.uint8)
    for out in (
        gaussian_blur(flat, 5, 1.3),
        blur(flat, (3, 5)),
        median_blur(flat, 5),
        bilateral_filter(flat, 5, 20, 3),
        filter2d(flat, np.full((3, 3), 1 / 9)),
    ):
        assert out.dtype == np.uint8
        assert np.array_equal(out, flat)


def test_filter2d_is_correlation_with_anchor_and_delta():
    img = np.zeros((5, 5), np.float32)
    img[2, 2] = 1
    kernel = np.arange(9, dtype=np.float32).reshape(3, 3)
    out = filter2d(img, kernel, delta=0.5, border_type=BORDER_CONSTANT)
    # Correlation: the impulse response is the kernel flipped.
    np.testing.assert_array_equal(out[1:4, 1:4], kernel[::-1, ::-1] + 0.5)
    shifted = filter2d(img, kernel, anchor=(0, 0), border_type=BORDER_CONSTANT)
    np.testing.assert_array_equal(shifted[0:3, 0:3], kernel[::-1, ::-1])


def test_uint8_outputs_saturate_and_round_half_to_even():
    img = np.array([[1, 3, 200]], np.uint8)
    out = filter2d(img, np.array([[0.5]]))
    assert out.tolist() == [[0, 2, 100]]  # 0.5 -> 0, 1.5 -> 2
    assert filter2d(img, np.array([[2.0]])).tolist() == [[2, 6, 255]]


def test_gaussian_kernel_tables_and_normalisation():
    assert get_gaussian_kernel(3, 0).ravel().tolist() == [0.25, 0.5, 0.25]
    assert get_gaussian_kernel(5, -1).ravel().tolist() == [0.0625, 0.25, 0.375, 0.25, 0.0625]
    k = get_gaussian_kernel(11, 2.0)
    assert k.shape == (11, 1)
    assert abs(k.sum() - 1) < 1e-12
    assert np.allclose(k.ravel(), k.ravel()[::-1])


def test_gaussian_ksize_from_sigma_matches_opencv_rule():
    img = np.zeros((41, 41), np.uint8)
    img[20, 20] = 255
    out = gaussian_blur(img, 0, 2.0)  # uint8: round(2*3*2+1)|1 = 13 taps
    assert np.count_nonzero(out[20]) <= 13


def test_median_removes_salt_noise():
    img = np.full((7, 7), 10, np.uint8)
    img[3, 3] = 255
    assert np.array_equal(median_blur(img, 3), np.full((7, 7), 10, np.uint8))


def test_box_filter_sum_without_normalize():
    img = np.ones((4, 4), np.uint8)
    out = box_filter(img, np.int32, 3, normalize=False, border_type=BORDER_CONSTANT)
    assert out[1, 1] == 9 and out[0, 0] == 4


# ---------------------------------------------------------------- input checks


def test_errors_name_function_argument_and_value():
    img = np.zeros((8, 8), np.uint8)
    with pytest.raises(ValueError, match=r"median_blur: ksize must be odd and > 1, got 4"):
        median_blur(img, 4)
    with pytest.raises(TypeError, match=r"gaussian_blur: image dtype must be one of .* got int64"):
        gaussian_blur(img.astype(np.int64), 3, 0)
    with pytest.raises(ValueError, match=r"gaussian_blur: ksize width must be odd"):
        gaussian_blur(img, (4, 3), 0)
    with pytest.raises(ValueError, match=r"filter2d: kernel must be a non-empty 2-D array"):
        filter2d(img, np.ones(3))
    with pytest.raises(ValueError, match=r"filter2d: border_type BORDER_WRAP is not supported"):
        filter2d(img, np.ones((3, 3)), border_type=BORDER_WRAP)
    with pytest.raises(ValueError, match=r"border_type must be one of"):
        blur(img, 3, border_type="mirror")
    with pytest.raises(ValueError, match=r"filter2d: ddepth int16 is not supported for float32"):
        filter2d(img.astype(np.float32), np.ones((3, 3)), ddepth=np.int16)
    with pytest.raises(ValueError, match=r"bilateral_filter: image must have 1 or 3 channel"):
        bilateral_filter(np.zeros((4, 4, 4), np.uint8), 5, 10, 10)
    with pytest.raises(TypeError, match=r"median_blur: image must be a numpy.ndarray"):
        median_blur([[1, 2], [3, 4]], 3)


# ---------------------------------------------------------------- parity with OpenCV


@pytest.mark.parametrize("border", BORDERS)
def test_copy_make_border_matches_cv2(cv2, random_images, border):
    img = random_images["grey_37x53"]
    for shape in [(37, 53), (1, 53), (37, 1), (2, 3)]:
        src = np.ascontiguousarray(img[: shape[0], : shape[1]])
        for pads in [(3, 2, 5, 1), (40, 41, 60, 70)]:
            assert np.array_equal(
                copy_make_border(src, *pads, border), cv2.copyMakeBorder(src, *pads, border)
            )


@pytest.mark.parametrize("border", BORDERS)
def test_filter2d_matches_cv2(cv2, photos, random_images, border):
    rng = np.random.default_rng(0)
    for name, img in images(photos, random_images).items():
        for shape in [(3, 3), (5, 3), (4, 6)]:
            kernel = rng.normal(size=shape).astype(np.float32)
            ours = filter2d(img, kernel, border_type=border)
            assert diff(ours, cv2.filter2D(img, -1, kernel, borderType=border)) <= 1, name
            as_float = img.astype(np.float32) / 255
            ours_f = filter2d(as_float, kernel, delta=0.25, border_type=border)
            ref_f = cv2.filter2D(as_float, -1, kernel, delta=0.25, borderType=border)
            assert diff(ours_f, ref_f) <= 1e-4, name
        kernel = rng.normal(size=(3, 5))
        ours16 = filter2d(img, kernel, ddepth=np.int16, border_type=border)
        ref16 = cv2.filter2D(img, cv2.CV_16S, kernel, borderType=border)
        assert ours16.dtype == np.int16 and diff(ours16, ref16) <= 1, name


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize(
    "ksize, sigma_x, sigma_y",
    [(3, 0, 0), ((5, 5), 0, 0), ((3, 7), 1.5, 0), (0, 2.0, 0), ((9, 9), 0, 0), ((11, 5), 2.5, 0.8)],
)
def test_gaussian_blur_uint8_is_bit_exact_with_cv2(cv2, photos, random_images, border, ksize,
                                                   sigma_x, sigma_y):
    cv_ksize = (ksize, ksize) if isinstance(ksize, int) else ksize
    for name, img in images(photos, random_images).items():
        ours = gaussian_blur(img, ksize, sigma_x, sigma_y, border_type=border)
        ref = cv2.GaussianBlur(img, cv_ksize, sigma_x, sigmaY=sigma_y, borderType=border)
        assert np.array_equal(ours, ref), name


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("border", BORDERS)
def test_gaussian_blur_float_matches_cv2(cv2, photos, dtype, border):
    img = photos["camera"].astype(dtype) / 255
    for ksize, sigma in [((7, 7), 1.2), ((0, 0), 3.0), ((5, 9), 0)]:
        ours = gaussian_blur(img, ksize, sigma, border_type=border)
        ref = cv2.GaussianBlur(img, ksize, sigma, borderType=border)
        assert ours.dtype == ref.dtype
        assert diff(ours, ref) <= 1e-4
    for n, sigma in [(1, 0), (3, 0), (7, 0), (9, 0), (11, 0), (15, 2.2), (4, 1.0)]:
        np.testing.assert_allclose(get_gaussian_kernel(n, sigma), cv2.getGaussianKernel(n, sigma),
                                   rtol=1e-15, atol=1e-17)


@pytest.mark.parametrize("border", BORDERS)
def test_blur_and_box_filter_match_cv2(cv2, photos, random_images, border):
    for name, img in images(photos, random_images).items():
        for ksize in [(3, 3), (5, 4), (17, 17), (21, 21)]:
            ours = blur(img, ksize, border_type=border)
            assert np.array_equal(ours, cv2.blur(img, ksize, borderType=border)), (name, ksize)
        ours = box_filter(img, np.float32, (4, 6), normalize=False, border_type=border)
        ref = cv2.boxFilter(img, cv2.CV_32F, (4, 6), normalize=False, borderType=border)
        assert diff(ours, ref) == 0, name
        as_float = img.astype(np.float32) / 255
        ref_f = cv2.boxFilter(as_float, -1, (5, 3), anchor=(1, 2), borderType=border)
        ours_f = box_filter(as_float, -1, (5, 3), anchor=(1, 2), border_type=border)
        assert diff(ours_f, ref_f) <= 1e-5, name


@pytest.mark.parametrize("ksize", [3, 5, 7, 9])
def test_median_blur_matches_cv2_exactly(cv2, photos, random_images, ksize):
    for name, img in images(photos, random_images).items():
        assert np.array_equal(median_blur(img, ksize), cv2.medianBlur(img, ksize)), name
    if ksize <= 5:
        as_float = photos["coins"].astype(np.float32) / 255
        assert np.array_equal(median_blur(as_float, ksize), cv2.medianBlur(as_float, ksize))


@pytest.mark.parametrize("d, sigma_color, sigma_space", [(9, 40, 5), (5, 75, 75), (0, 30, 2.5)])
def test_bilateral_filter_matches_cv2(cv2, photos, random_images, d, sigma_color, sigma_space):
    # Tolerance: at most 1 grey level, on at most 0.1% of the pixels against OpenCV's
    # own algorithm (it sums the taps in another order with fused multiply-adds).
    # With IPP (the pip wheels), grey images with radius <= 2 go to Intel IPP, which
    # truncates instead of rounding: still within 1 grey level, on ~50% of pixels.
    for name, img in images(photos, random_images).items():
        ours = bilateral_filter(img, d, sigma_color, sigma_space)
        ref_ipp = cv2.bilateralFilter(img, d, sigma_color, sigma_space)
        assert diff(ours, ref_ipp) <= 1, name
        use_ipp = cv2.ipp.useIPP()
        cv2.ipp.setUseIPP(False)
        try:
            ref = cv2.bilateralFilter(img, d, sigma_color, sigma_space)
        finally:
            cv2.ipp.setUseIPP(use_ipp)
        assert np.mean(ours != ref) <= 1e-3, name
    as_float = photos["coins"].astype(np.float32) / 255
    ours_f = bilateral_filter(as_float, d, sigma_color / 255, sigma_space)
    ref_f = cv2.bilateralFilter(as_float, d, sigma_color / 255, sigma_space)
    assert diff(ours_f, ref_f) <= 1e-4
