"""Plots: a PNG with matplotlib, a one-line ImportError naming glassnet[all] without it."""
import sys

import numpy as np
import pytest

from glassnet.inspect.plots import MISSING_MATPLOTLIB, plot_confusion_matrix


def test_confusion_matrix_png_is_written(tmp_path):
    pytest.importorskip("matplotlib")
    path = plot_confusion_matrix(np.array([[3, 1], [0, 4]]), tmp_path / "cm.png", ["a", "b"])
    assert path == str(tmp_path / "cm.png")
    assert (tmp_path / "cm.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_matplotlib_the_error_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    with pytest.raises(ImportError) as info:
        plot_confusion_matrix(np.eye(2, dtype=int), tmp_path / "cm.png")
    assert str(info.value) == MISSING_MATPLOTLIB and "pip install glassnet[all]" in str(info.value)
    assert not (tmp_path / "cm.png").exists()
