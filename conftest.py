"""Repository-level pytest settings: modules that need an optional dependency at import
time are left out of the doctest collection when that dependency is missing."""
import importlib.util

collect_ignore = []
if importlib.util.find_spec("torch") is None:
    # The bench's plain-torch twins of glassnet's models (imported only inside a run).
    collect_ignore.append("glassnet/bench/_torch_models.py")
if importlib.util.find_spec("onnx") is None:
    # glassnet.onnx's doctests export and load models (glassnet[onnx]).
    collect_ignore += ["glassnet/onnx/_export.py", "glassnet/onnx/_load.py"]
if importlib.util.find_spec("tensorboard") is None:
    # SummaryWriter needs the optional 'tensorboard' package (glassnet[tensorboard]).
    collect_ignore.append("glassnet/utils/tensorboard.py")
