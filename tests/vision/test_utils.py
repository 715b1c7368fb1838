"""make_grid and save_image against hand-computed grids and torchvision's arithmetic."""
import numpy as np
import pytest
from PIL import Image

import glassnet
from glassnet.vision.utils import make_grid, save_image


def _images(n, c, h, w, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, c, h, w)).astype(np.float32)


def _reference_grid(arr, nrow, padding, pad_value):
    """torchvision's placement, written as a loop over the tiles (no normalisation)."""
    if arr.shape[1] == 1:
        arr = np.repeat(arr, 3, axis=1)
    n, c, h, w = arr.shape
    if n == 1:
        return arr[0]
    cols = min(nrow, n)
    rows = -(-n // cols)
    height, width = h + padding, w + padding
    grid = np.full((c, height * rows + padding, width * cols + padding), pad_value, arr.dtype)
    for k in range(n):
        y, x = divmod(k, cols)
        grid[:, y * height + padding:y * height + padding + h,
             x * width + padding:x * width + padding + w] = arr[k]
    return grid


def test_two_by_two_grid_by_hand():
    # Four 1x1 grey images 1..4, padding 1, nrow 2: a 5x5 RGB grid with the values at
    # the odd positions and pad_value everywhere else.
    x = glassnet.tensor(np.arange(1, 5, dtype=np.float32).reshape(4, 1, 1, 1))
    grid = make_grid(x, nrow=2, padding=1, pad_value=9.0).numpy()
    expected = np.full((5, 5), 9.0, np.float32)
    expected[1, 1], expected[1, 3], expected[3, 1], expected[3, 3] = 1, 2, 3, 4
    assert grid.shape == (3, 5, 5) and grid.dtype == np.float32
    for channel in grid:  # the grey images are repeated to 3 channels
        np.testing.assert_array_equal(channel, expected)


@pytest.mark.parametrize("n, c, nrow, padding", [(5, 1, 2, 2), (7, 3, 3, 0), (3, 3, 8, 1),
                                                 (8, 4, 4, 3), (2, 2, 1, 2), (10, 3, 3, 2)])
def test_placement_matches_the_tile_loop_for_odd_counts(n, c, nrow, padding):
    arr = _images(n, c, 5, 3)
    grid = make_grid(glassnet.tensor(arr), nrow=nrow, padding=padding, pad_value=0.25)
    np.testing.assert_array_equal(grid.numpy(), _reference_grid(arr, nrow, padding, 0.25))


def test_single_images_and_lists():
    arr = _images(1, 1, 4, 6)
    # One image: returned as itself, grey repeated to RGB, no padding.
    np.testing.assert_array_equal(make_grid(glassnet.tensor(arr)).numpy(),
                                  np.repeat(arr[0], 3, axis=0))
    np.testing.assert_array_equal(make_grid(glassnet.tensor(arr[0, 0])).numpy(),
                                  np.repeat(arr[0], 3, axis=0))
    colour = _images(3, 3, 4, 4, seed=1)
    from_list = make_grid([glassnet.tensor(a) for a in colour], nrow=2)
    np.testing.assert_array_equal(from_list.numpy(), _reference_grid(colour, 2, 2, 0.0))
    u8 = glassnet.tensor(np.arange(2 * 3 * 2 * 2, dtype=np.uint8).reshape(2, 3, 2, 2))
    grid = make_grid(u8, padding=1, pad_value=255)
    assert grid.dtype == glassnet.uint8
    np.testing.assert_array_equal(grid.numpy(), _reference_grid(u8.numpy(), 8, 1, 255))


def _torch_normalized(arr, value_range, scale_each):
    """torchvision's normalisation, step by step in torch (clamp_, sub_, div_)."""
    torch = pytest.importorskip("torch")
    t = torch.from_numpy(arr.copy())

    def norm(img, low, high):
        img.clamp_(min=low, max=high)
        img.sub_(low).div_(max(high - low, 1e-5))

    def norm_range(img):
        if value_range is not None:
            norm(img, value_range[0], value_range[1])
        else:
            norm(img, float(img.min()), float(img.max()))

    if scale_each:
        for img in t:
            norm_range(img)
    else:
        norm_range(t)
    return t.numpy()


@pytest.mark.parametrize("value_range, scale_each", [(None, False), (None, True),
                                                     ((-0.5, 1.0), False), ((-1.0, 0.5), True)])
def test_normalize_matches_torchvision_arithmetic(value_range, scale_each):
    arr = _images(5, 3, 4, 3) * np.float32([1, 2, 3, 0.5, 4]).reshape(5, 1, 1, 1)
    grid = make_grid(glassnet.tensor(arr), nrow=2, normalize=True, value_range=value_range,
                     scale_each=scale_each)
    expected = _reference_grid(_torch_normalized(arr, value_range, scale_each), 2, 2, 0.0)
    np.testing.assert_array_equal(grid.numpy(), expected)
    body = grid.numpy()[:, 2:6, 2:5]
    assert body.min() >= 0.0 and body.max() <= 1.0


def test_normalize_of_a_constant_image_and_grey_input():
    x = glassnet.full((2, 1, 2, 2), 3.0)
    grid = make_grid(x, normalize=True, padding=0)
    np.testing.assert_array_equal(grid.numpy(), np.zeros((3, 2, 4), np.float32))
    assert make_grid(x, normalize=True, scale_each=True).shape == (3, 6, 10)
    arr = _images(3, 1, 3, 3)
    grid = make_grid(glassnet.tensor(arr), normalize=True)
    lo, hi = arr.min(), arr.max()
    np.testing.assert_allclose(grid.numpy()[:, 2:5, 2:5], np.repeat(
        (arr[0] - lo) / (hi - lo), 3, axis=0), rtol=1e-6)


def test_make_grid_rejects_bad_input():
    with pytest.raises(TypeError, match="make_grid: tensor must be a Tensor"):
        make_grid(np.zeros((2, 3, 4, 4)))
    with pytest.raises(ValueError, match=r"make_grid: tensor must have shape .* got "
                                         r"\(1, 2, 3, 4, 5\)"):
        make_grid(glassnet.zeros(1, 2, 3, 4, 5))
    with pytest.raises(ValueError, match="same shape"):
        make_grid([glassnet.zeros(3, 2, 2), glassnet.zeros(3, 2, 3)])
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        make_grid(glassnet.zeros(2, 3, 2, 2), normalize=True, value_range=[0, 1])
    with pytest.raises(ValueError, match="nrow must be a positive int, got 0"):
        make_grid(glassnet.zeros(2, 3, 2, 2), nrow=0)


@pytest.mark.parametrize("suffix", ["png", "bmp"])
def test_save_image_round_trips_through_pil(tmp_path, suffix):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    arr = rng.uniform(-0.1, 1.1, (5, 3, 6, 7)).astype(np.float32)
    arr[0, 0, 0, :4] = [0.5 / 255, 1.5 / 255, 254.5 / 255, 1.0]  # rounding edges
    path = tmp_path / f"grid.{suffix}"
    save_image(glassnet.tensor(arr), path, nrow=3, padding=1, pad_value=0.5)
    img = Image.open(path)
    assert img.mode == "RGB"
    grid = _reference_grid(arr, 3, 1, 0.5)
    # torchvision.utils.save_image: grid.mul(255).add_(0.5).clamp_(0, 255).to(uint8).
    expected = torch.from_numpy(grid).mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0)
    np.testing.assert_array_equal(np.asarray(img), expected.to(torch.uint8).numpy())


def test_save_image_grey_single_image_to_file_object_and_kwargs():
    import io

    x = glassnet.tensor(np.linspace(0, 1, 12, dtype=np.float32).reshape(1, 3, 4))
    buf = io.BytesIO()
    save_image(x, buf, format="PNG")
    img = Image.open(io.BytesIO(buf.getvalue()))
    assert img.mode == "RGB" and img.size == (4, 3)  # a grey image is saved as RGB
    expected = np.floor(np.linspace(0, 1, 12, dtype=np.float32) * np.float32(255)
                        + np.float32(0.5)).astype(np.uint8).reshape(3, 4)
    np.testing.assert_array_equal(np.asarray(img)[..., 1], expected)
    rgba = glassnet.full((2, 4, 2, 2), 1.0)
    buf = io.BytesIO()
    save_image(rgba, buf, format="PNG", padding=0)
    assert Image.open(io.BytesIO(buf.getvalue())).mode == "RGBA"


@pytest.mark.parametrize("n, c, kwargs", [
    (5, 1, {"nrow": 2, "padding": 2}), (7, 3, {"nrow": 3, "padding": 0, "pad_value": 0.25}),
    (1, 1, {}), (8, 4, {"nrow": 4, "padding": 3}),
    (5, 3, {"nrow": 2, "normalize": True}),
    (5, 3, {"normalize": True, "scale_each": True, "pad_value": 1.0}),
    (6, 3, {"nrow": 5, "normalize": True, "value_range": (-0.5, 1.0)}),
    (3, 1, {"normalize": True, "value_range": (-1.0, 0.5), "scale_each": True})])
def test_make_grid_and_save_image_equal_torchvisions(tmp_path, n, c, kwargs):
    torch = pytest.importorskip("torch")
    tv_utils = pytest.importorskip("torchvision.utils", reason="torchvision not installed")
    arr = _images(n, c, 5, 3) * np.float32(np.arange(1, n + 1)).reshape(n, 1, 1, 1)
    grid = make_grid(glassnet.tensor(arr), **kwargs)
    ref = tv_utils.make_grid(torch.from_numpy(arr.copy()), **kwargs)
    assert grid.dtype == glassnet.float32 and grid.shape == tuple(ref.shape)
    np.testing.assert_array_equal(grid.numpy(), ref.numpy())
    save_image(glassnet.tensor(arr), tmp_path / "ours.png", **kwargs)
    tv_utils.save_image(torch.from_numpy(arr.copy()), tmp_path / "ref.png", **kwargs)
    with Image.open(tmp_path / "ours.png") as a, Image.open(tmp_path / "ref.png") as b:
        assert a.mode == b.mode
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    u8 = (np.abs(arr) * 40).astype(np.uint8)  # uint8 tiles and pad value, no normalising
    plain = {k: v for k, v in kwargs.items() if k in ("nrow", "padding")}
    np.testing.assert_array_equal(
        make_grid(glassnet.tensor(u8), pad_value=255, **plain).numpy(),
        tv_utils.make_grid(torch.from_numpy(u8), pad_value=255, **plain).numpy())
