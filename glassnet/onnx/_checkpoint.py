"""``glassnet export CKPT --onnx out.onnx``: a training checkpoint as an ONNX file."""
from __future__ import annotations

import numpy as np

__all__ = ["export_checkpoint"]


def export_checkpoint(checkpoint, path, batch_size: int = 1, opset_version: int = 17,
                      dynamic_batch: bool = True, check: bool = True) -> dict:
    """Rebuild the model of a training checkpoint (as ``glassnet eval`` does) and export
    it to ONNX with input ``input`` ``(N, C, H, W)`` and output ``logits``.

    With ``check`` and onnxruntime installed, the file is run on a seeded random batch
    and compared with glassnet's output.  Returns a summary dict: ``model``, ``path``,
    ``input_shape``, ``nodes`` and, when checked, ``max_abs_diff``.
    """
    import glassnet
    from glassnet.onnx._export import export
    from glassnet.train.recipe import load_checkpoint_model

    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"export_checkpoint: batch_size must be a positive int, got "
                         f"{batch_size!r}")
    model, meta = load_checkpoint_model(checkpoint)
    size, channels = int(meta["input_size"]), int(meta["in_channels"])
    rng = np.random.default_rng(0)
    x = glassnet.from_numpy(rng.standard_normal((batch_size, channels, size, size))
                            .astype(np.float32))
    axes = {"input": {0: "batch"}, "logits": {0: "batch"}} if dynamic_batch else None
    proto = export(model, x, str(path), input_names=["input"], output_names=["logits"],
                   dynamic_axes=axes, opset_version=opset_version)
    info = {"model": meta["model"], "path": str(path), "input_shape": tuple(x.shape),
            "nodes": len(proto.graph.node)}
    if check:
        try:
            import onnxruntime
        except ImportError:
            return info
        sess = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        n = batch_size + 1 if dynamic_batch else batch_size
        xb = rng.standard_normal((n, channels, size, size)).astype(np.float32)
        got = sess.run(None, {"input": xb})[0]
        with glassnet.no_grad():
            want = model(glassnet.from_numpy(xb)).numpy()
        info["max_abs_diff"] = float(np.abs(got - want).max())
        info["check_batch"] = n
    return info
