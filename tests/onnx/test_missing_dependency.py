"""glassnet.onnx without the optional onnx package: one clear ImportError."""
import sys

import pytest

import glassnet
import glassnet.nn as nn
import glassnet.onnx


def test_onnx_without_the_onnx_package_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install 'glassnet\[onnx\]'"):
        glassnet.onnx.export(nn.Linear(2, 2), glassnet.randn(1, 2), "unused.onnx")
    with pytest.raises(ImportError, match="load: needs the optional 'onnx' package"):
        glassnet.onnx.load("unused.onnx")
