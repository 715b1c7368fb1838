"""read_image / write_image round trips and errors."""

import numpy as np
import pytest

from glassnet.cv import read_image, write_image


@pytest.mark.parametrize("shape", [(7, 9), (7, 9, 3), (7, 9, 4)])
@pytest.mark.parametrize("suffix", [".png", ".bmp", ".tiff"])
def test_lossless_round_trip(tmp_path, shape, suffix):
    if suffix == ".bmp" and len(shape) == 3 and shape[2] == 4:
        pytest.skip("BMP has no alpha channel in Pillow")
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, shape, dtype=np.uint8)
    path = tmp_path / f"img{suffix}"
    write_image(path, img)
    back = read_image(path)
    assert back.dtype == np.uint8 and back.shape == img.shape
    assert np.array_equal(back, img)


def test_modes_convert(tmp_path):
    rgb = np.zeros((4, 5, 3), np.uint8)
    rgb[..., 0] = 255  # pure red
    path = tmp_path / "red.png"
    write_image(str(path), rgb)
    assert read_image(path, "L").shape == (4, 5)
    assert read_image(path, "L")[0, 0] == 76  # ITU-R 601 luma of red: 0.299 * 255
    assert read_image(path, "RGBA").shape == (4, 5, 4)
    grey = tmp_path / "grey.png"
    write_image(grey, rgb[..., 0])
    assert read_image(grey, "RGB").shape == (4, 5, 3)


def test_bool_and_single_channel_are_written(tmp_path):
    mask = np.zeros((3, 3), bool)
    mask[1, 1] = True
    write_image(tmp_path / "m.png", mask)
    assert read_image(tmp_path / "m.png")[1, 1] == 255
    write_image(tmp_path / "c.png", np.zeros((3, 3, 1), np.uint8))
    assert read_image(tmp_path / "c.png").shape == (3, 3)


def test_round_trip_matches_cv2_after_bgr_swap(cv2, tmp_path, photos):
    img = photos["astronaut"]
    write_image(tmp_path / "a.png", img)
    assert np.array_equal(cv2.imread(str(tmp_path / "a.png"))[..., ::-1], img)


def test_io_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"read_image: no such file"):
        read_image(tmp_path / "missing.png")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    with pytest.raises(ValueError, match=r"read_image: cannot decode"):
        read_image(bad)
    with pytest.raises(ValueError, match=r"read_image: mode must be None or one of"):
        read_image(bad, mode="CMYK")
    with pytest.raises(TypeError, match=r"write_image: image dtype must be uint8 \(or bool\), got"):
        write_image(tmp_path / "f.png", np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match=r"write_image: image must have shape"):
        write_image(tmp_path / "f.png", np.zeros((2, 2, 2), np.uint8))
    with pytest.raises(FileNotFoundError, match=r"write_image: directory does not exist"):
        write_image(tmp_path / "nope" / "f.png", np.zeros((2, 2), np.uint8))
    with pytest.raises(ValueError, match=r"write_image: cannot write"):
        write_image(tmp_path / "f.unknownext", np.zeros((2, 2), np.uint8))
