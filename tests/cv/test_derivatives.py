"""Sobel, Scharr and Laplacian: known answers, checks, and parity with OpenCV."""

import numpy as np
import pytest

from glassnet.cv import (
    BORDER_CONSTANT,
    BORDER_REFLECT,
    BORDER_REFLECT_101,
    BORDER_REPLICATE,
    get_deriv_kernels,
    laplacian,
    scharr,
    sobel,
)

BORDERS = [BORDER_CONSTANT, BORDER_REPLICATE, BORDER_REFLECT, BORDER_REFLECT_101]


def diff(a, b):
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))


# ---------------------------------------------------------------- known answers


def test_flat_image_has_zero_derivatives():
    flat = np.full((9, 12), 123, np.uint8)
    for ksize in (1, 3, 5, 7, -1):
        assert not sobel(flat, np.int16, 1, 0, ksize=ksize).any()
        assert not sobel(flat, np.float32, 0, 1, ksize=ksize).any()
    assert not laplacian(flat, np.int16, ksize=5).any()


def test_sobel_of_a_ramp_is_constant_inside():
    ramp = np.tile(np.arange(10, dtype=np.float64) * 3, (6, 1))
    dx = sobel(ramp, -1, 1, 0, ksize=3, border_type=BORDER_REPLICATE)
    # [-1, 0, 1] x [1, 2, 1]: slope 3 -> 2 * 3 * 4 = 24 away from the borders.
    np.testing.assert_array_equal(dx[:, 1:-1], 24.0)
    kx, ky = get_deriv_kernels(1, 0, 3, normalize=True)
    dx_norm = sobel(ramp, -1, 1, 0, ksize=3, scale=1 / 8)
    np.testing.assert_allclose(dx_norm[:, 1:-1], 3.0)
    assert kx.ravel().tolist() == [-0.5, 0.0, 0.5] and ky.ravel().tolist() == [0.25, 0.5, 0.25]


def test_sobel_uint8_output_saturates_negative_to_zero():
    step = np.zeros((5, 6), np.uint8)
    step[:, 3:] = 200
    down = 255 - step
    assert sobel(step, -1, 1, 0).max() == 255
    assert sobel(down, -1, 1, 0).max() == 0  # the negative derivative clips to 0


def test_deriv_kernel_values():
    kx, ky = get_deriv_kernels(2, 1, 5)
    assert kx.ravel().tolist() == [1, 0, -2, 0, 1]
    assert ky.ravel().tolist() == [-1, -2, 0, 2, 1]
    kx, ky = get_deriv_kernels(0, 1, -1)
    assert kx.ravel().tolist() == [3, 10, 3] and ky.ravel().tolist() == [-1, 0, 1]
    kx, ky = get_deriv_kernels(1, 0, 1)
    assert kx.ravel().tolist() == [-1, 0, 1] and ky.ravel().tolist() == [1]


def test_laplacian_of_impulse_is_the_kernel():
    img = np.zeros((5, 5), np.float32)
    img[2, 2] = 1
    out = laplacian(img, -1, ksize=1)
    np.testing.assert_array_equal(out[1:4, 1:4], [[0, 1, 0], [1, -4, 1], [0, 1, 0]])


def test_derivative_errors():
    img = np.zeros((8, 8), np.uint8)
    with pytest.raises(ValueError, match=r"sobel: dx \+ dy must be > 0, got dx=0, dy=0"):
        sobel(img, np.int16, 0, 0)
    with pytest.raises(ValueError, match=r"sobel: ksize must be -1 or odd in \[1, 31\], got 4"):
        sobel(img, np.int16, 1, 0, ksize=4)
    with pytest.raises(ValueError, match=r"scharr: Scharr \(ksize=-1\) needs dx \+ dy == 1"):
        scharr(img, np.int16, 1, 1)
    with pytest.raises(ValueError, match=r"sobel: dx must be < the kernel size 3"):
        sobel(img, np.int16, 3, 0, ksize=3)
    with pytest.raises(ValueError, match=r"laplacian: ksize must be odd in \[1, 31\], got 2"):
        laplacian(img, np.int16, ksize=2)
    with pytest.raises(ValueError, match=r"sobel: ddepth must be -1, a numpy dtype or a cv2"):
        sobel(img, 9, 1, 0)
    with pytest.raises(TypeError, match=r"sobel: image dtype must be one of"):
        sobel(img.astype(np.int64), np.float64, 1, 0)


# ---------------------------------------------------------------- parity with OpenCV


def test_get_deriv_kernels_matches_cv2(cv2):
    for dx in range(4):
        for dy in range(4):
            for ksize in (-1, 1, 3, 5, 7, 9, 31):
                try:
                    ref = cv2.getDerivKernels(dx, dy, ksize)
                except cv2.error:
                    with pytest.raises(ValueError):
                        get_deriv_kernels(dx, dy, ksize)
                    continue
                for normalize in (False, True):
                    ref = cv2.getDerivKernels(dx, dy, ksize, normalize=normalize)
                    ours = get_deriv_kernels(dx, dy, ksize, normalize=normalize)
                    assert np.array_equal(ours[0], ref[0]) and np.array_equal(ours[1], ref[1])


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("ksize", [-1, 1, 3, 5, 7])
def test_sobel_matches_cv2(cv2, photos, random_images, border, ksize):
    imgs = {**photos, **random_images}
    orders = [(1, 0), (0, 1)] if ksize == -1 else [(1, 0), (0, 1), (1, 1), (2, 0)]
    for name, img in imgs.items():
        as_float = img.astype(np.float32) / 255
        for dx, dy in orders:
            for ddepth in (np.int16, np.uint8, np.float32, np.float64):
                cv_depth = {np.int16: cv2.CV_16S, np.uint8: cv2.CV_8U,
                            np.float32: cv2.CV_32F, np.float64: cv2.CV_64F}[ddepth]
                ours = sobel(img, ddepth, dx, dy, ksize=ksize, border_type=border)
                ref = cv2.Sobel(img, cv_depth, dx, dy, ksize=ksize, borderType=border)
                assert ours.dtype == ref.dtype and np.array_equal(ours, ref), (name, dx, dy, ddepth)
            ours = sobel(img, np.int16, dx, dy, ksize=ksize, scale=1 / 16, delta=3,
                         border_type=border)
            ref = cv2.Sobel(img, cv2.CV_16S, dx, dy, ksize=ksize, scale=1 / 16, delta=3,
                            borderType=border)
            assert np.array_equal(ours, ref), name
            ours_f = sobel(as_float, -1, dx, dy, ksize=ksize, border_type=border)
            ref_f = cv2.Sobel(as_float, -1, dx, dy, ksize=ksize, borderType=border)
            assert diff(ours_f, ref_f) <= 1e-4 * max(1.0, np.abs(ref_f).max()), name


@pytest.mark.parametrize("border", BORDERS)
def test_scharr_matches_cv2(cv2, photos, border):
    img = photos["coins"]
    for dx, dy in [(1, 0), (0, 1)]:
        ours = scharr(img, np.float32, dx, dy, scale=0.5, delta=1, border_type=border)
        ref = cv2.Scharr(img, cv2.CV_32F, dx, dy, scale=0.5, delta=1, borderType=border)
        assert diff(ours, ref) <= 1e-4
        assert np.array_equal(scharr(img, np.int16, dx, dy, border_type=border),
                              cv2.Scharr(img, cv2.CV_16S, dx, dy, borderType=border))


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("ksize", [1, 3, 5, 7])
def test_laplacian_matches_cv2(cv2, photos, random_images, border, ksize):
    for name, img in {**photos, **random_images}.items():
        for ddepth, cv_depth in [(np.int16, cv2.CV_16S), (np.uint8, cv2.CV_8U),
                                 (np.float32, cv2.CV_32F)]:
            ours = laplacian(img, ddepth, ksize=ksize, border_type=border)
            ref = cv2.Laplacian(img, cv_depth, ksize=ksize, borderType=border)
            assert ours.dtype == ref.dtype and diff(ours, ref) <= 1, (name, ddepth)
        as_float = img.astype(np.float32) / 255
        ours_f = laplacian(as_float, -1, ksize=ksize, scale=2, delta=0.5, border_type=border)
        ref_f = cv2.Laplacian(as_float, -1, ksize=ksize, scale=2, delta=0.5, borderType=border)
        assert diff(ours_f, ref_f) <= 1e-4 * max(1.0, np.abs(ref_f).max()), name
