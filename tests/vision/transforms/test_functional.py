"""Functional ops against independent references: torch (interpolate, grid_sample,
conv2d) for the tensor path, Pillow for the uint8 path, colorsys for HSV."""
import colorsys

import numpy as np
import pytest
from PIL import Image, ImageEnhance

import glassnet
from glassnet.vision.transforms import _kernels as K
from glassnet.vision.transforms import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

RNG = np.random.default_rng(1)
RGB = RNG.integers(0, 256, (19, 27, 3), dtype=np.uint8)


def tensor_of(arr):
    return glassnet.tensor(arr)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "nearest", "nearest-exact"])
@pytest.mark.parametrize("antialias", [True, False])
@pytest.mark.parametrize("size", [(8, 11), (40, 31), (19, 9), (3, 50)])
def test_tensor_resize_matches_torch_interpolate(mode, antialias, size):
    x = RNG.random((2, 3, 19, 27)).astype(np.float32)
    out = F.resize(tensor_of(x), list(size), mode, antialias=antialias).numpy()
    kwargs = {} if mode.startswith("nearest") else {"align_corners": False,
                                                    "antialias": antialias}
    ref = TF.interpolate(torch.from_numpy(x), size=size, mode=mode, **kwargs).numpy()
    assert out.shape == ref.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, ref, atol=1e-5)


@pytest.mark.parametrize("interp,pil_mode", [("bilinear", Image.BILINEAR),
                                             ("bicubic", Image.BICUBIC),
                                             ("nearest", Image.NEAREST)])
def test_uint8_resize_is_pillow(interp, pil_mode):
    out = F.resize(RGB, [11, 30], interp)
    np.testing.assert_array_equal(out, np.asarray(Image.fromarray(RGB).resize((30, 11),
                                                                             pil_mode)))


def _torchvision_warp(x, matrix, out_w, out_h, mode, fill):
    """torchvision's tensor rotate/affine: its affine grid fed to torch's grid_sample."""
    h, w = x.shape[-2:]
    theta = torch.tensor(matrix, dtype=torch.float32).reshape(1, 2, 3)
    base = torch.empty(1, out_h, out_w, 3)
    base[..., 0].copy_(torch.linspace(-out_w * 0.5 + 0.5, out_w * 0.5 - 0.5, steps=out_w))
    base[..., 1].copy_(torch.linspace(-out_h * 0.5 + 0.5, out_h * 0.5 - 0.5,
                                      steps=out_h).unsqueeze_(-1))
    base[..., 2].fill_(1)
    grid = base.view(1, -1, 3).bmm(theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h]))
    img = torch.cat((torch.from_numpy(x)[None], torch.ones(1, 1, h, w)), dim=1)
    img = TF.grid_sample(img, grid.view(1, out_h, out_w, 2), mode=mode, padding_mode="zeros",
                         align_corners=False)
    mask, img = img[:, -1:].expand_as(img[:, :-1]), img[:, :-1]
    fill_img = torch.tensor(fill, dtype=torch.float32).view(1, -1, 1, 1).expand_as(img)
    if mode == "nearest":
        img = torch.where(mask < 0.5, fill_img, img)
    else:
        img = img * mask + (1.0 - mask) * fill_img
    return img[0].numpy()


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("angle,expand", [(33.0, False), (-71.5, True), (90.0, False)])
def test_tensor_rotate_matches_grid_sample(mode, angle, expand):
    x = RNG.random((3, 19, 27)).astype(np.float32)
    fill = [0.1, 0.5, 0.9]
    out = F.rotate(tensor_of(x), angle, mode, expand=expand, fill=fill).numpy()
    matrix = K.inverse_affine_matrix([0.0, 0.0], -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    ow, oh = K.affine_output_size(matrix, 27, 19) if expand else (27, 19)
    ref = _torchvision_warp(x, matrix, ow, oh, mode, fill)
    assert out.shape == ref.shape
    if mode == "bilinear":
        np.testing.assert_allclose(out, ref, atol=1e-5)
    else:  # rounding ties may fall differently on a handful of pixels
        assert np.mean(np.abs(out - ref) > 1e-5) < 0.01


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_tensor_affine_matches_grid_sample(mode):
    x = RNG.random((3, 19, 27)).astype(np.float32)
    out = F.affine(tensor_of(x), 12.0, [3, -2], 1.3, [8.0, -4.0], mode, fill=0.0).numpy()
    matrix = K.inverse_affine_matrix([0.0, 0.0], 12.0, [3.0, -2.0], 1.3, [8.0, -4.0])
    ref = _torchvision_warp(x, matrix, 27, 19, mode, [0.0] * 3)
    assert np.mean(np.abs(out - ref) > 1e-5) < 0.01


def test_uint8_rotate_and_affine_are_pillow():
    pil = Image.fromarray(RGB)
    np.testing.assert_array_equal(F.rotate(RGB, 25.0, "bilinear", fill=7),
                                  np.asarray(pil.rotate(25.0, Image.BILINEAR,
                                                        fillcolor=(7, 7, 7))))
    matrix = K.inverse_affine_matrix([27 * 0.5, 19 * 0.5], 10.0, [2, 1], 0.9, [5.0, 0.0])
    np.testing.assert_array_equal(F.affine(RGB, 10.0, [2, 1], 0.9, [5.0, 0.0]),
                                  np.asarray(pil.transform(pil.size, Image.AFFINE, matrix,
                                                           Image.NEAREST, fillcolor=(0, 0, 0))))


def test_uint8_color_ops_are_pillow_enhance():
    pil = Image.fromarray(RGB)
    for fn, enhancer in ((F.adjust_brightness, ImageEnhance.Brightness),
                         (F.adjust_contrast, ImageEnhance.Contrast),
                         (F.adjust_saturation, ImageEnhance.Color)):
        np.testing.assert_array_equal(fn(RGB, 1.4), np.asarray(enhancer(pil).enhance(1.4)))


def test_hsv_matches_colorsys():
    x = RNG.random((3, 4, 5))
    hsv = K.rgb_to_hsv(x)
    for i in range(4):
        for j in range(5):
            np.testing.assert_allclose(hsv[:, i, j], colorsys.rgb_to_hsv(*x[:, i, j]),
                                       atol=1e-12)
    np.testing.assert_allclose(K.hsv_to_rgb(hsv), x, atol=1e-12)


def test_tensor_gaussian_blur_matches_conv2d():
    x = RNG.random((3, 19, 27)).astype(np.float32)
    out = F.gaussian_blur(tensor_of(x), [5, 3], [1.3, 0.7]).numpy()

    def kernel1d(k, s):
        t = np.linspace(-(k - 1) / 2, (k - 1) / 2, k)
        p = np.exp(-0.5 * (t / s) ** 2)
        return p / p.sum()

    k2 = np.outer(kernel1d(3, 0.7), kernel1d(5, 1.3)).astype(np.float32)
    xp = TF.pad(torch.from_numpy(x)[None], [2, 2, 1, 1], mode="reflect")
    weight = torch.from_numpy(k2)[None, None].expand(3, 1, 3, 5)
    ref = TF.conv2d(xp, weight, groups=3)[0].numpy()
    np.testing.assert_allclose(out, ref, atol=1e-6)


def test_uint8_tensor_paths_round_back():
    t = glassnet.tensor(RGB.transpose(2, 0, 1).copy())
    out = F.resize(t, [10, 14])
    assert out.dtype == np.uint8
    ref = TF.interpolate(torch.from_numpy(RGB.transpose(2, 0, 1).copy())[None].float(),
                         size=(10, 14), mode="bilinear", antialias=True,
                         align_corners=False).round().clamp(0, 255).to(torch.uint8)[0]
    assert np.abs(out.numpy().astype(int) - ref.numpy().astype(int)).max() <= 1


def test_bad_inputs_name_the_function():
    with pytest.raises(TypeError, match="resize: img must be"):
        F.resize([1, 2, 3], 4)
    with pytest.raises(ValueError, match="pad: padding_mode"):
        F.pad(RGB, 1, padding_mode="wrap")
    with pytest.raises(ValueError, match="interpolation"):
        F.resize(RGB, 4, "cubic-spline")
