"""``glassnet.onnx``: export to and import from ONNX, as ``torch.onnx``.

:func:`export` traces a model (:func:`glassnet.jit.trace`) and writes the graph as an
ONNX file; :func:`load` turns an ONNX file written by any tool into a glassnet Module.
Both need the optional ``onnx`` package (``pip install glassnet[onnx]``); it is imported
only when they run.
"""
from glassnet.onnx._export import UnsupportedOperatorError, export

__all__ = ["export", "load", "UnsupportedOperatorError"]


def load(path):
    """Load an ONNX model as a glassnet Module (see :func:`glassnet.onnx._load.load`)."""
    from glassnet.onnx._load import load as _load

    return _load(path)
