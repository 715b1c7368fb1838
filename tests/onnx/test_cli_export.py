"""``glassnet export CKPT --onnx out.onnx`` on a checkpoint in the training format."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import glassnet  # noqa: E402
from glassnet.cli.main import main  # noqa: E402
from glassnet.train.recipe import build_model  # noqa: E402


@pytest.fixture
def checkpoint(tmp_path):
    glassnet.manual_seed(0)
    model = build_model("small_cnn", 10, 1, 8)
    meta = {"model": "small_cnn", "model_kwargs": {}, "dataset": "digits", "num_classes": 10,
            "classes": None, "in_channels": 1, "input_size": 8, "mean": [0.0], "std": [1.0],
            "config": {}}
    path = tmp_path / "model.ckpt"
    glassnet.save({"model": model.state_dict(), "meta": meta}, str(path))
    return path, model.eval()


def test_export_cli_writes_a_model_equal_to_the_checkpoint(checkpoint, tmp_path, capsys):
    path, model = checkpoint
    out = tmp_path / "m.onnx"
    assert main(["export", str(path), "--onnx", str(out)]) == 0
    text = capsys.readouterr().out
    assert "wrote" in text and "small_cnn" in text and "max abs diff" in text
    proto = onnx.load(str(out))
    onnx.checker.check_model(proto)
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(3).standard_normal((5, 1, 8, 8)).astype(np.float32)
    with glassnet.no_grad():
        want = model(glassnet.from_numpy(x)).numpy()
    np.testing.assert_allclose(sess.run(["logits"], {"input": x})[0], want, atol=1e-5,
                               rtol=0)


def test_export_cli_static_batch_and_missing_checkpoint(checkpoint, tmp_path, capsys):
    path, _ = checkpoint
    out = tmp_path / "s.onnx"
    assert main(["export", str(path), "--onnx", str(out), "--static-batch", "--batch", "4",
                 "--no-check"]) == 0
    dims = onnx.load(str(out)).graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims] == [4, 1, 8, 8]
    assert main(["export", str(tmp_path / "nope.ckpt"), "--onnx", str(out)]) == 1
    assert "checkpoint not found" in capsys.readouterr().err
