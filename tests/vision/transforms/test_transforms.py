"""Transform classes: shapes, dtypes, types preserved, determinism, known answers."""
import numpy as np
import pytest
from PIL import Image

import glassnet
from glassnet.utils.data import sample_generator
from glassnet.vision import transforms as T
from glassnet.tensor import Tensor

RNG = np.random.default_rng(0)
RGB = RNG.integers(0, 256, (16, 20, 3), dtype=np.uint8)
GRAY = RNG.integers(0, 256, (16, 20), dtype=np.uint8)


def as_type(kind, arr=RGB):
    if kind == "pil":
        return Image.fromarray(arr)
    if kind == "ndarray":
        return arr.copy()
    return T.ToTensor()(arr)


def to_np(img):
    if isinstance(img, Image.Image):
        return np.asarray(img)
    if isinstance(img, Tensor):
        return img.numpy()
    return img


def dims(img):
    return T.functional.get_dimensions(img)


# Every transform that takes all three image types, with its expected output size (H, W).
ALL_TYPES = [
    (T.Resize(8), (8, 10)),
    (T.Resize((10, 7), interpolation="bicubic"), (10, 7)),
    (T.Resize([9, 9], interpolation="nearest"), (9, 9)),
    (T.CenterCrop(10), (10, 10)),
    (T.Pad((1, 2), fill=3, padding_mode="constant"), (20, 22)),
    (T.Pad(2, padding_mode="reflect"), (20, 24)),
    (T.RandomCrop(12, padding=2), (12, 12)),
    (T.RandomCrop((18, 25), pad_if_needed=True, padding_mode="edge"), (18, 25)),
    (T.RandomResizedCrop(9), (9, 9)),
    (T.RandomHorizontalFlip(), (16, 20)),
    (T.RandomVerticalFlip(), (16, 20)),
    (T.RandomRotation(30), (16, 20)),
    (T.RandomRotation(30, interpolation="bilinear", fill=1), (16, 20)),
    (T.RandomAffine(20, translate=(0.1, 0.2), scale=(0.8, 1.2), shear=(-5, 5, -5, 5)),
     (16, 20)),
    (T.ColorJitter(0.4, 0.4, 0.4, 0.2), (16, 20)),
    (T.Grayscale(3), (16, 20)),
    (T.RandomGrayscale(0.5), (16, 20)),
    (T.GaussianBlur(5, sigma=(0.5, 1.5)), (16, 20)),
    (T.PCALighting(0.1), (16, 20)),
    (T.RandomApply([T.RandomHorizontalFlip(1.0)], p=0.5), (16, 20)),
    (T.RandomChoice([T.RandomVerticalFlip(1.0), T.CenterCrop(16)]), (16, 16)),
    (T.RandomOrder([T.RandomHorizontalFlip(), T.RandomVerticalFlip()]), (16, 20)),
    (T.Lambda(lambda x: x), (16, 20)),
]


@pytest.mark.parametrize("kind", ["pil", "ndarray", "tensor"])
@pytest.mark.parametrize("transform,size", ALL_TYPES, ids=[repr(t).split("(")[0] + str(k)
                                                          for k, (t, _) in enumerate(ALL_TYPES)])
def test_transform_keeps_type_dtype_and_gives_size(transform, size, kind):
    img = as_type(kind)
    glassnet.manual_seed(3)
    out = transform(img)
    assert type(out) is type(img)
    c, h, w = dims(out)
    if size != (16, 16):  # RandomChoice may pick either branch
        assert (h, w) == size
    assert c == 3
    if kind != "pil":
        assert to_np(out).dtype == to_np(img).dtype
    # Determinism: the same seed gives the same output.
    glassnet.manual_seed(3)
    np.testing.assert_array_equal(to_np(transform(img)), to_np(out))
    with sample_generator(42, 7):
        a = to_np(transform(img))
    with sample_generator(42, 7):
        b = to_np(transform(img))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", ["pil", "ndarray", "tensor"])
def test_flip_twice_is_identity(kind):
    img = as_type(kind)
    for flip in (T.RandomHorizontalFlip(1.0), T.RandomVerticalFlip(1.0)):
        once = flip(img)
        assert not np.array_equal(to_np(once), to_np(img))
        np.testing.assert_array_equal(to_np(flip(once)), to_np(img))
    np.testing.assert_array_equal(to_np(T.RandomHorizontalFlip(0.0)(img)), to_np(img))


def test_hflip_matches_numpy():
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(RGB), RGB[:, ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(1.0)(GRAY), GRAY[::-1])


def test_to_tensor_scaling_and_layout():
    x = T.ToTensor()(RGB)
    assert tuple(x.shape) == (3, 16, 20) and x.dtype == np.float32
    np.testing.assert_array_equal(x.numpy(), RGB.transpose(2, 0, 1) / np.float32(255))
    g = T.ToTensor()(GRAY)
    assert tuple(g.shape) == (1, 16, 20)
    assert float(T.ToTensor()(np.full((2, 2), 255, np.uint8)).numpy().max()) == 1.0
    p = T.ToTensor()(Image.fromarray(RGB))
    np.testing.assert_array_equal(p.numpy(), x.numpy())
    f = T.ToTensor()(np.full((2, 2, 1), 7.0, np.float64))  # non-uint8: no scaling
    assert f.dtype == np.float64 and float(f.numpy().max()) == 7.0
    with pytest.raises(TypeError, match="PIL Image or ndarray"):
        T.ToTensor()(x)


def test_pil_to_tensor_and_to_pil_image_roundtrip():
    t = T.PILToTensor()(Image.fromarray(RGB))
    assert t.dtype == np.uint8 and tuple(t.shape) == (3, 16, 20)
    back = T.ToPILImage()(T.ToTensor()(RGB))
    assert back.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(back), RGB)
    assert T.ToPILImage()(GRAY).mode == "L"


def test_normalize_maths_and_errors():
    x = T.ToTensor()(RGB)
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.25, 2.0)
    y = T.Normalize(mean, std)(x)
    expected = (x.numpy() - np.array(mean, np.float32)[:, None, None]) / \
        np.array(std, np.float32)[:, None, None]
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-6)
    assert y.dtype == np.float32 and y.numpy() is not x.numpy()
    with pytest.raises(TypeError, match="ToTensor"):
        T.Normalize((0.5,), (0.5,))(RGB)
    with pytest.raises(ValueError, match="std"):
        T.Normalize((0.5,), (0.0,))
    with pytest.raises(ValueError, match="3 values"):
        T.Normalize((0.5, 0.5), (1, 1))(x)


def test_center_crop_known_array():
    a = np.arange(36, dtype=np.uint8).reshape(6, 6)
    np.testing.assert_array_equal(T.CenterCrop(2)(a), [[14, 15], [20, 21]])
    # top = round(1.5) = 2: Python rounds half to even, as torchvision does
    np.testing.assert_array_equal(T.CenterCrop((3, 2))(a), [[14, 15], [20, 21], [26, 27]])
    big = T.CenterCrop(8)(a)  # larger than the image: zero padding around it
    assert big.shape == (8, 8) and big[0].sum() == 0 and big[1, 1] == 0 and big[2, 2] == 7
    t = T.CenterCrop(2)(glassnet.tensor(a[None].astype(np.float32)))
    np.testing.assert_array_equal(t.numpy()[0], [[14, 15], [20, 21]])


def test_random_crop_with_padding_is_a_window_of_the_padded_image():
    img = RNG.integers(1, 256, (28, 28), dtype=np.uint8)
    padded = np.pad(img, 2)
    t = T.RandomCrop(28, padding=2)
    offsets = set()
    for seed in range(20):
        glassnet.manual_seed(seed)
        out = t(img)
        hits = [(i, j) for i in range(5) for j in range(5)
                if np.array_equal(padded[i:i + 28, j:j + 28], out)]
        assert len(hits) == 1
        offsets.add(hits[0])
    assert len(offsets) > 5  # the offsets vary
    with pytest.raises(ValueError, match="larger than the input"):
        T.RandomCrop(40)(img)


def test_pad_modes_match_numpy():
    for mode in ("edge", "reflect", "symmetric"):
        np.testing.assert_array_equal(T.Pad((1, 2, 3, 4), padding_mode=mode)(GRAY),
                                      np.pad(GRAY, ((2, 4), (1, 3)), mode=mode))
    out = T.Pad(1, fill=(1, 2, 3))(RGB)
    np.testing.assert_array_equal(out[0, 0], [1, 2, 3])
    t = T.Pad(1, fill=(1, 2, 3))(T.PILToTensor()(Image.fromarray(RGB)))
    np.testing.assert_array_equal(t.numpy().transpose(1, 2, 0), out)


def test_resize_int_matches_shorter_side():
    out = T.Resize(8)(RNG.integers(0, 255, (30, 15), dtype=np.uint8))
    assert out.shape == (16, 8)
    t = T.Resize(10)(T.ToTensor()(RGB))
    assert tuple(t.shape) == (3, 10, 12)  # 12 = int(10 * 20 / 16)
    t = T.Resize(10, max_size=11)(T.ToTensor()(RGB))
    assert tuple(t.shape) == (3, 9, 11)  # the longer side capped, the shorter scaled


def test_random_resized_crop_full_scale_is_a_resize():
    img = RNG.integers(0, 255, (12, 12, 3), dtype=np.uint8)
    out = T.RandomResizedCrop(12, scale=(1.0, 1.0), ratio=(1.0, 1.0))(img)
    np.testing.assert_array_equal(out, img)


@pytest.mark.parametrize("kind", ["pil", "ndarray", "tensor"])
def test_rotation_by_zero_is_identity(kind):
    img = as_type(kind)
    np.testing.assert_array_equal(to_np(T.RandomRotation((0, 0))(img)), to_np(img))
    np.testing.assert_array_equal(to_np(T.RandomAffine(0)(img)), to_np(img))


def test_rotation_by_90_matches_rot90():
    x = glassnet.tensor(RNG.random((2, 8, 8)).astype(np.float32))
    out = T.RandomRotation((90, 90))(x)
    np.testing.assert_array_equal(out.numpy(), np.rot90(x.numpy(), 1, axes=(1, 2)))
    sq = RGB[:16, :16]
    np.testing.assert_array_equal(T.RandomRotation((90, 90))(sq), np.rot90(sq, 1))


def test_affine_translation_shifts_pixels():
    x = glassnet.tensor(RNG.random((1, 6, 9)).astype(np.float32))
    out = T.functional.affine(x, 0.0, [2, 1], 1.0, [0.0, 0.0]).numpy()
    np.testing.assert_array_equal(out[:, 1:, 2:], x.numpy()[:, :-1, :-2])
    assert np.all(out[:, :, :2] == 0) and np.all(out[:, :1] == 0)


@pytest.mark.parametrize("kind", ["pil", "ndarray", "tensor"])
def test_color_jitter_zero_is_identity(kind):
    img = as_type(kind)
    assert T.ColorJitter()(img) is img
    out = T.ColorJitter(brightness=(1, 1), contrast=(1, 1), saturation=(1, 1), hue=(0, 0))(img)
    np.testing.assert_array_equal(to_np(out), to_np(img))


def test_color_adjustments_known_answers():
    F = T.functional
    x = T.ToTensor()(RGB)
    np.testing.assert_allclose(F.adjust_brightness(x, 0.5).numpy(), x.numpy() * 0.5, atol=1e-7)
    np.testing.assert_array_equal(F.adjust_brightness(x, 3.0).numpy().max(), 1.0)
    flat = F.adjust_contrast(x, 0.0).numpy()
    assert np.ptp(flat) < 1e-6  # a single grey level
    gray = F.rgb_to_grayscale(x, 3).numpy()
    np.testing.assert_allclose(F.adjust_saturation(x, 0.0).numpy(), gray, atol=1e-6)
    np.testing.assert_allclose(F.adjust_hue(x, 0.0).numpy(), x.numpy(), atol=1e-6)
    np.testing.assert_allclose(F.adjust_hue(F.adjust_hue(x, 0.3), -0.3).numpy(), x.numpy(),
                               atol=1e-5)
    with pytest.raises(ValueError, match="hue_factor"):
        F.adjust_hue(x, 0.7)
    with pytest.raises(ValueError, match="non-negative"):
        T.ColorJitter(brightness=-1)


def test_grayscale_luma_and_channels():
    x = T.ToTensor()(RGB)
    g = T.Grayscale()(x).numpy()
    expected = 0.2989 * x.numpy()[0] + 0.587 * x.numpy()[1] + 0.114 * x.numpy()[2]
    np.testing.assert_allclose(g[0], expected, atol=1e-6)
    g3 = T.Grayscale(3)(RGB)
    assert g3.shape == (16, 20, 3) and np.array_equal(g3[..., 0], g3[..., 2])
    np.testing.assert_array_equal(T.Grayscale()(RGB)[..., 0],
                                  np.asarray(Image.fromarray(RGB).convert("L")))
    r = T.RandomGrayscale(1.0)(RGB)
    assert r.shape == RGB.shape and np.array_equal(r[..., 0], r[..., 1])
    np.testing.assert_array_equal(T.RandomGrayscale(0.0)(RGB), RGB)


def test_random_erasing_rectangle():
    x = glassnet.ones(3, 20, 20)
    glassnet.manual_seed(0)
    out = T.RandomErasing(p=1.0, scale=(0.1, 0.2), value=0)(x).numpy()
    erased = out[0] == 0
    rows, cols = np.flatnonzero(erased.any(1)), np.flatnonzero(erased.any(0))
    area = erased.sum()
    assert area == len(rows) * len(cols)  # a rectangle
    assert 0.1 * 400 * 0.5 <= area <= 0.2 * 400 * 1.5
    assert np.all(out[:, erased] == 0) and x.numpy().min() == 1  # not in place
    r = T.RandomErasing(p=1.0, value="random")(x)
    assert r.dtype == np.float32
    assert T.RandomErasing(p=0.0)(x) is x
    with pytest.raises(TypeError, match="Tensor"):
        T.RandomErasing(p=1.0)(RGB)


def test_gaussian_blur_constant_and_impulse():
    const = np.full((9, 9), 77, np.uint8)
    np.testing.assert_array_equal(T.GaussianBlur(5, 1.0)(const), const)
    imp = glassnet.zeros(1, 9, 9)
    imp.data[0, 4, 4] = 1.0
    out = T.GaussianBlur(5, 1.0)(imp).numpy()[0]
    assert abs(out.sum() - 1.0) < 1e-6
    np.testing.assert_allclose(out, out.T, atol=1e-7)
    np.testing.assert_allclose(out, out[::-1, ::-1], atol=1e-7)
    with pytest.raises(ValueError, match="odd"):
        T.GaussianBlur(4)


def test_containers():
    assert T.RandomApply([T.RandomHorizontalFlip(1.0)], p=0.0)(RGB) is RGB
    np.testing.assert_array_equal(T.RandomApply([T.RandomHorizontalFlip(1.0)], p=1.0)(RGB),
                                  RGB[:, ::-1])
    np.testing.assert_array_equal(
        T.RandomChoice([T.RandomHorizontalFlip(1.0), T.RandomVerticalFlip(1.0)],
                       p=[0.0, 1.0])(RGB), RGB[::-1])
    assert T.Lambda(lambda x: x + 1)(1) == 2
    with pytest.raises(TypeError, match="callable"):
        T.Compose([T.ToTensor(), 3])
    assert "RandomCrop" in repr(T.Compose([T.RandomCrop(3), T.ToTensor()]))


def test_pca_lighting_identity_and_orthonormal_eigenvectors():
    x = T.ToTensor()(RGB)
    assert T.PCALighting(alphastd=0.0)(x) is x
    default = T.PCALighting()
    np.testing.assert_allclose(default.eigvec.T @ default.eigvec, np.eye(3), atol=2e-3)
    images = RNG.integers(0, 256, (6, 8, 8, 3), dtype=np.uint8)
    images[..., 1] = images[..., 0] // 2 + 30  # correlated channels
    fitted = T.PCALighting.from_data(images, alphastd=0.2)
    np.testing.assert_allclose(fitted.eigvec.T @ fitted.eigvec, np.eye(3), atol=1e-12)
    assert np.all(np.diff(fitted.eigval) <= 0) and np.all(fitted.eigval >= 0)
    pixels = images.reshape(-1, 3) / 255.0
    cov = np.cov(pixels, rowvar=False)
    np.testing.assert_allclose(fitted.eigvec @ np.diag(fitted.eigval) @ fitted.eigvec.T, cov,
                               atol=1e-12)
    as_tensor = glassnet.tensor(images.transpose(0, 3, 1, 2) / np.float32(255))
    np.testing.assert_allclose(T.PCALighting.from_data(as_tensor).eigval, fitted.eigval,
                               rtol=1e-5)
    # The offset is constant over the image and lies along eigvec @ (alpha * eigval).
    glassnet.manual_seed(0)
    out = fitted(x).numpy() - x.numpy()
    np.testing.assert_allclose(out, np.broadcast_to(out[:, :1, :1], out.shape), atol=1e-6)
    with pytest.raises(ValueError, match="shape"):
        T.PCALighting(eigval=[1, 2])
