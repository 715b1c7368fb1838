"""glassnet.vision.transforms.functional against torchvision.transforms.functional itself,
call for call with the same arguments, on float and uint8 tensors (3-channel, 1-channel and
batched) and on PIL images.  The other transform tests compare with torch, Pillow and
closed forms and run everywhere; this file needs torchvision and skips without it."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import glassnet
from glassnet.vision.transforms import functional as F

torch = pytest.importorskip("torch")
TVF = pytest.importorskip("torchvision.transforms.functional",
                          reason="torchvision not installed")

RNG = np.random.default_rng(0)
FLOAT = RNG.random((3, 19, 27)).astype(np.float32)
UINT8 = RNG.integers(0, 256, (3, 19, 27), dtype=np.uint8)
INPUTS = {
    "float": FLOAT,
    "grey": RNG.random((1, 19, 27)).astype(np.float32),
    "batch": RNG.random((2, 3, 19, 27)).astype(np.float32),
    "uint8": UINT8,
    "pil": Image.fromarray(np.moveaxis(UINT8, 0, -1)),
    "pil_grey": Image.fromarray(UINT8[0]),
}


class Mode:
    """An interpolation mode, given to each side as its own InterpolationMode."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


CASES = [
    ("resize", ([8, 11],), {}), ("resize", ([8, 11],), {"antialias": False}),
    ("resize", ([40, 31], Mode("BICUBIC")), {}), ("resize", ([12, 50], Mode("NEAREST")), {}),
    ("resize", ([13, 7], Mode("NEAREST_EXACT")), {}), ("resize", ([9],), {}),
    ("resize", ([30],), {"max_size": 40}),
    ("resized_crop", (2, 3, 12, 15, [9, 10]), {}),
    ("center_crop", ([10, 9],), {}), ("center_crop", ([25, 30],), {}),
    ("center_crop", ([7],), {}),
    ("crop", (3, 4, 10, 12), {}), ("crop", (-2, 20, 10, 12), {}),
    ("pad", ([1, 2, 3, 4],), {}), ("pad", ([2],), {"fill": 1}),
    ("pad", ([1, 3],), {"padding_mode": "edge"}),
    ("pad", ([3, 1, 2, 4],), {"padding_mode": "reflect"}),
    ("pad", ([3, 1, 2, 4],), {"padding_mode": "symmetric"}),
    ("hflip", (), {}), ("vflip", (), {}),
    ("rotate", (30.0,), {}), ("rotate", (-47.0, Mode("BILINEAR")), {}),
    ("rotate", (30.0,), {"expand": True}), ("rotate", (15.0,), {"center": [3, 5]}),
    ("affine", (20.0, [2, -3], 1.2, [5.0, -7.0]), {}),
    ("affine", (-10.0, [0, 4], 0.8, [0.0, 10.0], Mode("BILINEAR")), {}),
    ("adjust_brightness", (1.4,), {}), ("adjust_brightness", (0.3,), {}),
    ("adjust_contrast", (1.7,), {}), ("adjust_contrast", (0.4,), {}),
    ("adjust_saturation", (1.6,), {}), ("adjust_saturation", (0.2,), {}),
    ("adjust_hue", (0.2,), {}), ("adjust_hue", (-0.45,), {}),
    ("rgb_to_grayscale", (), {}), ("rgb_to_grayscale", (3,), {}),
    ("gaussian_blur", ([5, 3],), {}), ("gaussian_blur", ([3, 7], [0.8, 1.9]), {}),
    ("get_dimensions", (), {}),
]
# PIL images take no antialias argument (Pillow always filters) and colour ops need RGB.
COLOUR = ("adjust_saturation", "adjust_hue")


def _side(args, mode_enum):
    return [getattr(mode_enum, a.name) if isinstance(a, Mode) else a for a in args]


def _array(x) -> np.ndarray:
    if isinstance(x, (torch.Tensor, glassnet.Tensor)):
        return x.numpy()
    return np.asarray(x)


@pytest.mark.parametrize("kind", list(INPUTS))
@pytest.mark.parametrize("name, args, kwargs", CASES,
                         ids=[f"{n}{list(a)}{k or ''}" for n, a, k in CASES])
def test_functional_equals_torchvisions(name, args, kwargs, kind):
    from torchvision.transforms import InterpolationMode as TVMode

    if kind.startswith("pil") and "antialias" in kwargs:
        pytest.skip("PIL images take no antialias argument")
    if kind in ("grey", "pil_grey") and name in COLOUR:
        pytest.skip("saturation and hue need three channels")
    if kind == "grey" and name == "rgb_to_grayscale" and args == (3,):
        # NOTE: torchvision returns a 1-channel tensor's clone as is, even when asked for
        # 3 output channels (l_img.expand(img.shape)); glassnet gives the documented 3
        # channels, as torchvision's PIL path does.
        pytest.skip("the reference keeps 1 channel here (see the note)")
    x = INPUTS[kind]
    ours_in = x if kind.startswith("pil") else glassnet.tensor(x)
    ref_in = x if kind.startswith("pil") else torch.from_numpy(x.copy())
    ref = getattr(TVF, name)(ref_in, *_side(args, TVMode), **kwargs)
    ours = getattr(F, name)(ours_in, *_side(args, F.InterpolationMode), **kwargs)
    if name == "get_dimensions":
        assert list(ours) == list(ref)
        return
    assert type(ours).__name__ == ("Image" if kind.startswith("pil") else "Tensor")
    a, b = _array(ours), _array(ref)
    assert a.shape == b.shape and a.dtype == b.dtype
    if kind == "uint8" and name in ("resize", "resized_crop"):
        # NOTE: torch's uint8 interpolation kernel rounds a few values the other way.
        diff = np.abs(a.astype(np.int64) - b.astype(np.int64))
        assert diff.max() <= 1 and (diff > 0).mean() < 0.01
    elif a.dtype == np.float32:
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)
    else:
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", ["float", "batch"])
def test_normalize_erase_and_conversions_equal_torchvisions(kind):
    x = INPUTS[kind]
    mean, std = [0.4, 0.5, 0.6], [0.2, 0.25, 0.3]
    np.testing.assert_allclose(F.normalize(glassnet.tensor(x), mean, std).numpy(),
                               TVF.normalize(torch.from_numpy(x.copy()), mean, std).numpy(),
                               rtol=1e-6, atol=1e-6)
    v = RNG.random((3, 4, 5)).astype(np.float32)
    np.testing.assert_array_equal(
        F.erase(glassnet.tensor(x), 2, 3, 4, 5, glassnet.tensor(v)).numpy(),
        TVF.erase(torch.from_numpy(x.copy()), 2, 3, 4, 5, torch.from_numpy(v)).numpy())
    pil = INPUTS["pil"]
    np.testing.assert_array_equal(F.to_tensor(pil).numpy(), TVF.to_tensor(pil).numpy())
    np.testing.assert_array_equal(F.pil_to_tensor(pil).numpy(), TVF.pil_to_tensor(pil).numpy())
    for mode in (None, "RGB"):
        np.testing.assert_array_equal(
            np.asarray(F.to_pil_image(glassnet.tensor(FLOAT), mode)),
            np.asarray(TVF.to_pil_image(torch.from_numpy(FLOAT.copy()), mode)))
    np.testing.assert_array_equal(np.asarray(F.to_grayscale(pil, 3)),
                                  np.asarray(TVF.to_grayscale(pil, 3)))
