"""``glassnet edges`` and ``glassnet filter``: exit codes, messages, output files."""

import argparse

import numpy as np
import pytest

from glassnet.cli import edges, filter as filter_cli
from glassnet.cv import canny, gaussian_blur, read_image, write_image


def run_cli(module, argv):
    parser = argparse.ArgumentParser(prog="glassnet")
    sub = parser.add_subparsers()
    module.register(sub)
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture
def square_png(tmp_path):
    img = np.zeros((40, 50), np.uint8)
    img[10:30, 12:40] = 220
    path = tmp_path / "square.png"
    write_image(path, img)
    return path, img


def test_edges_writes_default_output(square_png, capsys):
    path, img = square_png
    assert run_cli(edges, ["edges", str(path)]) == 0
    out_path = path.with_name("square_edges.png")
    assert np.array_equal(read_image(out_path), canny(img, 50, 150))
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 1 and "square_edges.png" in printed[0] and "edge pixels" in printed[0]


def test_edges_options(square_png, tmp_path):
    path, img = square_png
    out = tmp_path / "custom.png"
    argv = ["edges", str(path), "-o", str(out), "--low", "20", "--high", "60", "--aperture", "5",
            "--l2", "--blur", "1.2"]
    assert run_cli(edges, argv) == 0
    expected = canny(img, 20, 60, aperture_size=5, l2_gradient=True, sigma=1.2)
    assert np.array_equal(read_image(out), expected)


def test_edges_colour_image_matches_cv2_on_imread(cv2, tmp_path, photos):
    path = tmp_path / "astro.png"
    write_image(path, photos["astronaut"])
    assert run_cli(edges, ["edges", str(path)]) == 0
    ref = cv2.Canny(cv2.imread(str(path)), 50, 150)
    assert np.array_equal(read_image(tmp_path / "astro_edges.png"), ref)


def test_missing_file_is_one_line_and_exit_1(tmp_path, capsys):
    for module, argv in [(edges, ["edges"]), (filter_cli, ["filter", "--op", "median"])]:
        assert run_cli(module, argv + [str(tmp_path / "nope.png")]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "not found" in err[0] and "nope.png" in err[0]


@pytest.mark.parametrize("op", ["gaussian", "median", "bilateral", "sobel", "laplacian"])
def test_filter_ops_write_output(square_png, op, capsys):
    path, img = square_png
    assert run_cli(filter_cli, ["filter", str(path), "--op", op]) == 0
    result = read_image(path.with_name(f"square_{op}.png"))
    assert result.shape == img.shape and result.dtype == np.uint8
    assert len(capsys.readouterr().out.strip().splitlines()) == 1


def test_filter_gaussian_values_and_output_option(square_png, tmp_path):
    path, img = square_png
    out = tmp_path / "g.png"
    assert run_cli(filter_cli, ["filter", str(path), "--op", "gaussian", "--ksize", "5",
                                "--sigma", "1.5", "-o", str(out)]) == 0
    assert np.array_equal(read_image(out), gaussian_blur(img, 5, 1.5))


def test_filter_bad_ksize_is_exit_1(square_png, capsys):
    path, _ = square_png
    assert run_cli(filter_cli, ["filter", str(path), "--op", "median", "--ksize", "4"]) == 1
    err = capsys.readouterr().err.strip()
    assert "median_blur: ksize must be odd and > 1, got 4" in err


def test_filter_rejects_unknown_op(square_png):
    path, _ = square_png
    with pytest.raises(SystemExit) as exc:
        run_cli(filter_cli, ["filter", str(path), "--op", "emboss"])
    assert exc.value.code == 2
