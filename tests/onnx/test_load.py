"""glassnet.onnx.load: ONNX files written by torch.onnx.export (TorchScript exporter,
``dynamo=False``: the dynamo exporter needs onnxscript, not installed) and by glassnet run
in glassnet with the outputs of the model that wrote them."""
import io
import warnings

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
torch = pytest.importorskip("torch")

import glassnet  # noqa: E402
import glassnet.onnx  # noqa: E402
from glassnet import models  # noqa: E402

tnn = torch.nn
ATOL = 1e-5


def _torch_export(model, x, fold=False, **kw):
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), buf, dynamo=False, do_constant_folding=fold,
                          input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "n"}, "y": {0: "n"}}, **kw)
    return buf.getvalue()


def _check_torch_model(model, shape, fold=False, batches=(2, 3), **kw):
    torch.manual_seed(0)
    for m in model.modules():  # non-trivial batch-norm statistics
        if isinstance(m, (tnn.BatchNorm1d, tnn.BatchNorm2d)):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(1.0, 2.0)
            m.weight.data.uniform_(0.5, 1.0)
            m.bias.data.uniform_(-0.2, 0.2)
    model.eval()
    data = _torch_export(model, torch.randn((batches[0],) + shape), fold, **kw)
    loaded = glassnet.onnx.load(data)
    rng = np.random.default_rng(0)
    for n in batches:
        x = rng.standard_normal((n,) + shape).astype(np.float32)
        with torch.no_grad():
            want = model(torch.from_numpy(x)).numpy()
        with glassnet.no_grad():
            got = loaded(glassnet.from_numpy(x)).numpy()
        assert got.shape == want.shape and np.abs(want).max() > 1e-3
        np.testing.assert_allclose(got, want, rtol=0, atol=ATOL)
    return loaded, onnx.load_from_string(data)


class _Residual(tnn.Module):
    def __init__(self):
        super().__init__()
        self.stem = tnn.Sequential(tnn.Conv2d(3, 8, 3, padding=1, bias=False),
                                   tnn.BatchNorm2d(8), tnn.ReLU())
        self.a = tnn.Conv2d(8, 4, 1)
        self.b = tnn.Sequential(tnn.Conv2d(8, 4, 3, padding=1), tnn.LeakyReLU(0.2))
        self.pool = tnn.AvgPool2d(2)
        self.fc = tnn.Linear(8, 5)

    def forward(self, x):
        x = self.stem(x)
        y = torch.cat([self.a(x), self.b(x)], 1) + x
        y = self.pool(y)
        y = torch.nn.functional.adaptive_avg_pool2d(y, 1)
        return torch.softmax(self.fc(y.view(y.size(0), -1)), dim=1)


class _Decoder(tnn.Module):
    def __init__(self):
        super().__init__()
        self.up = tnn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1)
        self.conv = tnn.Conv2d(4, 4, 3, padding=(2, 1), dilation=(2, 1), groups=2)

    def forward(self, x):
        x = torch.tanh(self.up(x))
        x = torch.nn.functional.interpolate(x, scale_factor=2, mode="nearest")
        x = torch.nn.functional.pad(self.conv(x), (1, 0, 2, 1), value=0.3)
        x = torch.nn.functional.interpolate(x, size=(7, 9), mode="bilinear",
                                            align_corners=False)
        return torch.nn.functional.hardswish(x) + torch.sigmoid(x) * torch.nn.functional.elu(x)


class _Head(tnn.Module):
    def __init__(self):
        super().__init__()
        self.drop = tnn.Dropout(0.5)
        self.fc = tnn.Linear(6, 4)

    def forward(self, x):
        x = self.drop(torch.nn.functional.max_pool2d(x, 3, stride=2, padding=1))
        x = x.permute(0, 2, 3, 1).mean(dim=1)  # (N, W, C)
        x = torch.nn.functional.gelu(x[:, 1:, :] @ torch.linspace(-1, 1, 36).reshape(6, 6))
        return torch.log_softmax(self.fc(x), dim=-1)


def test_torch_conv_bn_relu_pool_linear_softmax():
    model = tnn.Sequential(tnn.Conv2d(3, 4, 3, padding=1), tnn.BatchNorm2d(4), tnn.ReLU(),
                           tnn.MaxPool2d(2), tnn.Flatten(), tnn.Linear(4 * 4 * 4, 5),
                           tnn.Softmax(1))
    loaded, proto = _check_torch_model(model, (3, 8, 8))
    ops = [n.op_type for n in proto.graph.node]
    assert {"Conv", "BatchNormalization", "MaxPool", "Flatten", "Gemm", "Softmax"} <= set(ops)
    # float initializers are parameters of the loaded module
    assert sum(p.numel() for p in loaded.parameters()) == sum(
        p.numel() for p in model.parameters()) + 8  # + BN running mean and var


def test_torch_residual_concat_and_shape_arithmetic():
    _, proto = _check_torch_model(_Residual(), (3, 6, 6))
    ops = {n.op_type for n in proto.graph.node}
    assert {"Concat", "Add", "AveragePool", "GlobalAveragePool", "Reshape"} <= ops


def test_torch_transposed_conv_resize_pad_activations():
    _, proto = _check_torch_model(_Decoder(), (3, 4, 5), batches=(1, 2))
    assert {"ConvTranspose", "Resize", "Pad", "HardSwish"} <= {n.op_type
                                                               for n in proto.graph.node}


def test_torch_permute_matmul_log_softmax():
    _, proto = _check_torch_model(_Head(), (6, 7, 8))
    assert {"Transpose", "MatMul", "LogSoftmax"} <= {n.op_type for n in proto.graph.node}


def test_lrn_node_matches_torch():
    # NOTE: torch.onnx.export writes LocalResponseNorm as a decomposition with an If
    # node, not as LRN; this graph is written by hand.
    from onnx import TensorProto, helper

    node = helper.make_node("LRN", ["x"], ["y"], size=5, alpha=1e-2, beta=0.6, bias=1.5)
    info = [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in ("x", "y")]
    model = helper.make_model(helper.make_graph([node], "g", info[:1], info[1:]),
                              opset_imports=[helper.make_opsetid("", 17)])
    x = np.random.default_rng(0).standard_normal((2, 7, 3, 4)).astype(np.float32) * 3
    want = torch.nn.functional.local_response_norm(torch.from_numpy(x), 5, 1e-2, 0.6, 1.5)
    got = glassnet.onnx.load(model)(glassnet.from_numpy(x))
    np.testing.assert_allclose(got.detach().numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


def test_torch_folded_model_and_older_opset():
    model = tnn.Sequential(tnn.Conv2d(1, 3, 5), tnn.BatchNorm2d(3), tnn.ReLU6(),
                           tnn.AdaptiveAvgPool2d(1), tnn.Flatten(), tnn.Linear(3, 2))
    _check_torch_model(model, (1, 9, 9), fold=True, opset_version=11)


def test_loaded_module_is_differentiable_with_torch_gradients():
    torch.manual_seed(0)
    model = tnn.Sequential(tnn.Conv2d(2, 3, 3), tnn.ReLU(), tnn.Flatten(), tnn.Linear(12, 2))
    x = np.random.default_rng(0).standard_normal((2, 2, 4, 4)).astype(np.float32)
    loaded = glassnet.onnx.load(_torch_export(model, torch.from_numpy(x)))
    (model(torch.from_numpy(x)) ** 2).sum().backward()
    (loaded(glassnet.from_numpy(x)) ** 2).sum().backward()
    conv_w = next(p for p in loaded.parameters() if p.ndim == 4)
    np.testing.assert_allclose(conv_w.grad.numpy(), model[0].weight.grad.numpy(),
                               rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name, shape", [("resnet20", (3, 16, 16)), ("googlenet", (3, 32, 32))])
def test_glassnet_export_then_load_gives_the_model_back(name, shape):
    glassnet.manual_seed(0)
    model = models.get_model(name, num_classes=10).eval()
    x = glassnet.randn(2, *shape)
    buf = io.BytesIO()
    glassnet.onnx.export(model, x, buf, dynamic_axes={"input": [0], "output": [0]})
    loaded = glassnet.onnx.load(buf.getvalue())
    x3 = glassnet.randn(3, *shape)
    with glassnet.no_grad():
        np.testing.assert_allclose(loaded(x3).numpy(), model(x3).numpy(), rtol=0, atol=ATOL)


def test_glassnet_norm_layers_export_then_load():
    glassnet.manual_seed(0)
    model = glassnet.nn.Sequential(glassnet.nn.Conv2d(3, 4, 3), glassnet.nn.GroupNorm(2, 4),
                                   glassnet.nn.InstanceNorm2d(4, affine=True),
                                   glassnet.nn.LayerNorm((5, 5))).eval()
    with glassnet.no_grad():
        for p in model.parameters():
            p.copy_(glassnet.randn(*p.shape) * 0.5 + 0.5)
    x = glassnet.randn(2, 3, 7, 7)
    buf = io.BytesIO()
    proto = glassnet.onnx.export(model, x, buf)
    ops = {n.op_type for n in proto.graph.node}
    assert {"InstanceNormalization", "LayerNormalization"} <= ops
    with glassnet.no_grad():
        np.testing.assert_allclose(glassnet.onnx.load(buf.getvalue())(x).numpy(),
                                   model(x).numpy(), rtol=0, atol=ATOL)


def test_unsupported_op_names_op_type_and_node():
    class Cum(tnn.Module):
        def forward(self, x):
            return torch.cumsum(torch.relu(x), 1)

    data = _torch_export(Cum(), torch.randn(2, 3))
    with pytest.raises(glassnet.onnx.UnsupportedOperatorError,
                       match=r"unsupported ONNX op 'CumSum' \(node '/CumSum'\)"):
        glassnet.onnx.load(data)


def test_custom_domain_and_bad_paths(tmp_path):
    from onnx import TensorProto, helper

    node = helper.make_node("Fancy", ["x"], ["y"], name="fancy_1", domain="com.example")
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, [1])], [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                                                       [1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.example", 1)])
    with pytest.raises(glassnet.onnx.UnsupportedOperatorError,
                       match=r"com.example::Fancy \(node 'fancy_1'\)"):
        glassnet.onnx.load(model)
    with pytest.raises(FileNotFoundError, match="nope.onnx"):
        glassnet.onnx.load(tmp_path / "nope.onnx")
    with pytest.raises(TypeError, match="got int"):
        glassnet.onnx.load(3)


def test_loaded_module_checks_its_inputs():
    loaded = glassnet.onnx.load(_torch_export(tnn.Linear(3, 2), torch.randn(1, 3)))
    with pytest.raises(TypeError, match=r"expected 1 inputs \(x\), got 2"):
        loaded(glassnet.randn(1, 3), glassnet.randn(1, 3))
    assert loaded.input_names == ["x"] and loaded.output_names == ["y"]


@pytest.mark.parametrize("name, shape", [("resnet20", (3, 16, 16)), ("mobilenet_v2", (3, 32, 32)),
                                         ("small_cnn", (1, 8, 8))])
def test_torch_twins_of_zoo_models_load_with_equal_outputs(name, shape):
    """The bench's plain-torch definitions (benchmarks/torch_reference.py), exported by
    torch: ResNet-20's option-A shortcut (strided slicing + channel zero padding), the
    inverted residuals' ReLU6 and depthwise convs, global pooling."""
    from glassnet.bench.reference import load_reference

    ref, why = load_reference()
    if ref is None:
        pytest.skip(why)
    torch.manual_seed(0)
    model = ref.build(name, num_classes=10) if name != "small_cnn" else ref.build(name)
    _check_torch_model(model, shape, fold=True)
