"""The ImageClassification preset of the weights enums, against references built from
Pillow and torch.nn.functional.interpolate (torchvision's tensor resize)."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet
from glassnet.vision.models import ResNet50_Weights
from glassnet.vision.transforms._presets import ImageClassification

torch = pytest.importorskip("torch")
Image = pytest.importorskip("PIL.Image")

MEAN = np.array([0.485, 0.456, 0.406], np.float32).reshape(3, 1, 1)
STD = np.array([0.229, 0.224, 0.225], np.float32).reshape(3, 1, 1)


def _crop(chw, size):
    h, w = chw.shape[-2:]
    top, left = int(round((h - size) / 2.0)), int(round((w - size) / 2.0))
    return chw[..., top:top + size, left:left + size]


def _torch_resize(x, size):
    """torchvision's tensor resize of the shorter side: bilinear, antialiased."""
    h, w = x.shape[-2:]
    oh, ow = (size, int(size * w / h)) if h <= w else (int(size * h / w), size)
    out = torch.nn.functional.interpolate(x.float(), size=(oh, ow), mode="bilinear",
                                          align_corners=False, antialias=True)
    return out.round().to(torch.uint8) if x.dtype == torch.uint8 else out


def _image(seed, shape):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def test_the_weights_carry_torchvisions_presets():
    v1 = ResNet50_Weights.IMAGENET1K_V1.transforms()
    v2 = ResNet50_Weights.IMAGENET1K_V2.transforms()
    assert (v1.resize_size, v1.crop_size) == ([256], [224])
    assert (v2.resize_size, v2.crop_size) == ([232], [224])
    assert v2.mean == [0.485, 0.456, 0.406] and v2.std == [0.229, 0.224, 0.225]
    assert "interpolation=InterpolationMode.BILINEAR" in repr(v2)
    assert "resize_size=[232]" in v2.describe()


def test_uint8_tensor_batch_matches_torch_interpolate_within_one_level():
    img = _image(0, (2, 3, 37, 50))
    got = ImageClassification(crop_size=24, resize_size=30)(glassnet.tensor(img))
    ref = _crop(_torch_resize(torch.from_numpy(img), 30).numpy(), 24)
    ref = (ref.astype(np.float32) / 255 - MEAN) / STD
    assert tuple(got.shape) == (2, 3, 24, 24) and got.dtype == np.float32
    # NOTE: rounding the resized uint8 image may differ by one level on exact ties.
    np.testing.assert_allclose(got.numpy(), ref, atol=1.01 / 255 / 0.224, rtol=0)
    assert np.mean(np.abs(got.numpy() - ref)) < 1e-3


def test_float_tensor_matches_torch_interpolate():
    x = np.random.default_rng(1).random((3, 41, 29), dtype=np.float32)
    got = ImageClassification(crop_size=17, resize_size=21)(glassnet.tensor(x))
    ref = _crop(_torch_resize(torch.from_numpy(x)[None], 21)[0].numpy(), 17)
    np.testing.assert_allclose(got.numpy(), (ref - MEAN) / STD, atol=1e-5, rtol=1e-5)


def test_pil_image_and_uint8_array_follow_pillows_resize():
    arr = _image(2, (45, 61, 3))
    pil = Image.fromarray(arr)
    resized = np.asarray(pil.resize((int(32 * 61 / 45), 32), Image.BILINEAR))
    ref = (_crop(resized.transpose(2, 0, 1), 28).astype(np.float32) / 255 - MEAN) / STD
    preset = ImageClassification(crop_size=28, resize_size=32)
    for img in (pil, arr):
        out = preset(img)
        assert tuple(out.shape) == (3, 28, 28)
        np.testing.assert_allclose(out.numpy(), ref, atol=1e-6)
