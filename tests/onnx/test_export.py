"""glassnet.onnx.export: checker-valid files whose onnxruntime outputs equal glassnet's
(max abs diff <= 1e-5), with a dynamic batch axis, over the zoo and every converter."""
import io

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import glassnet  # noqa: E402
import glassnet.nn as nn  # noqa: E402
import glassnet.nn.functional as F  # noqa: E402
import glassnet.onnx  # noqa: E402
from glassnet import models  # noqa: E402

ATOL = 1e-5


def _randomize_norms(model, seed=0):
    """Non-trivial normalisation statistics and affine parameters, so that outputs are
    O(1) and every input of the exported normalisation nodes matters."""
    rng = np.random.default_rng(seed)

    def fill(t, lo, hi):
        t.copy_(glassnet.from_numpy(rng.uniform(lo, hi, tuple(t.shape)).astype(np.float32)))

    norms = (nn.BatchNorm1d, nn.BatchNorm2d, nn.InstanceNorm2d, nn.GroupNorm, nn.LayerNorm)
    with glassnet.no_grad():
        for m in model.modules():
            if not isinstance(m, norms):
                continue
            if getattr(m, "running_mean", None) is not None:
                fill(m.running_mean, -0.2, 0.2)
                fill(m.running_var, 1.0, 2.0)
            if getattr(m, "weight", None) is not None:
                fill(m.weight, 0.5, 1.0)
            if getattr(m, "bias", None) is not None:
                fill(m.bias, -0.2, 0.2)
    return model


def _roundtrip(model, shape, batches=(2, 3), atol=ATOL, **export_kw):
    """Export with a dynamic batch axis, check the file, run it in onnxruntime at each
    batch size and compare with glassnet; returns the ModelProto."""
    rng = np.random.default_rng(1)
    x = glassnet.from_numpy(rng.standard_normal((batches[0],) + shape).astype(np.float32))
    buf = io.BytesIO()
    proto = glassnet.onnx.export(model, x, buf, input_names=["x"], output_names=["y"],
                                 dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
                                 **export_kw)
    onnx.checker.check_model(onnx.load_from_string(buf.getvalue()), full_check=True)
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    for n in batches:
        xb = rng.standard_normal((n,) + shape).astype(np.float32)
        with glassnet.no_grad():
            want = model(glassnet.from_numpy(xb)).numpy()
        (got,) = sess.run(None, {"x": xb})
        assert got.shape == want.shape
        assert np.abs(want).max() > 1e-3  # the comparison is not between tiny numbers
        np.testing.assert_allclose(got, want, rtol=0, atol=atol)
    return proto


def _shrink_classifier(model, in_features, hidden=32, num_classes=10):
    """AlexNet's / VGG's classifier (dropout, linear, relu, dropout, linear, relu,
    linear) at a small width: the 100M-parameter fully connected layers would take most
    of the test's time to serialize, while the convolutional stacks are what differ."""
    model.classifier = nn.Sequential(nn.Dropout(), nn.Linear(in_features, hidden),
                                     nn.ReLU(True), nn.Dropout(), nn.Linear(hidden, hidden),
                                     nn.ReLU(True), nn.Linear(hidden, num_classes))
    return model


@pytest.mark.parametrize("name, shape", [
    ("lenet5", (1, 28, 28)),
    ("resnet20", (3, 32, 32)),
    ("resnet32", (3, 32, 32)),
    ("preact_resnet20", (3, 32, 32)),
    ("resnet18", (3, 32, 32)),
    ("googlenet", (3, 64, 64)),
    ("mobilenet_v2", (3, 32, 32)),
])
def test_zoo_model_roundtrips_through_onnxruntime(name, shape):
    glassnet.manual_seed(0)
    model = _randomize_norms(models.get_model(name, num_classes=10)).eval()
    _roundtrip(model, shape)


def test_vgg11_roundtrips():
    glassnet.manual_seed(0)
    model = _shrink_classifier(models.get_model("vgg11", num_classes=10), 512 * 7 * 7)
    proto = _roundtrip(model.eval(), (3, 32, 32))
    ops = [n.op_type for n in proto.graph.node]
    assert ops.count("Conv") == 8 and ops.count("MaxPool") == 5
    # 1x1 features -> 7x7 adaptive bins (output larger than input): two MatMuls
    assert ops.count("MatMul") == 2


def test_alexnet_lrn_roundtrips():
    glassnet.manual_seed(0)
    model = _shrink_classifier(models.get_model("alexnet_lrn", num_classes=10), 256 * 6 * 6)
    proto = _roundtrip(model.eval(), (3, 67, 67))
    assert [n.op_type for n in proto.graph.node].count("LRN") == 2


def test_export_writes_a_path_and_uses_default_names(tmp_path):
    model = nn.Sequential(nn.Linear(4, 3), nn.Tanh())
    path = tmp_path / "m.onnx"
    proto = glassnet.onnx.export(model, glassnet.randn(2, 4), path)
    loaded = onnx.load(str(path))
    assert [i.name for i in loaded.graph.input] == ["input"]
    assert [o.name for o in loaded.graph.output] == ["output"]
    assert loaded.opset_import[0].version == 17 == proto.opset_import[0].version
    # parameters are initializers named by their state_dict keys
    assert {i.name for i in loaded.graph.initializer} == {"0.weight", "0.bias"}
    dims = [d.dim_value for d in loaded.graph.input[0].type.tensor_type.shape.dim]
    assert dims == [2, 4]  # no dynamic axes asked for: static shape


def test_export_restores_train_mode_and_exports_eval_semantics():
    glassnet.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 5), nn.Dropout(0.5), nn.BatchNorm1d(5))
    _randomize_norms(model)
    model.train()
    proto = _roundtrip_eval_only(model)
    assert model.training and all(m.training for m in model.modules())
    assert "Dropout" not in [n.op_type for n in proto.graph.node]


def _roundtrip_eval_only(model):
    x = glassnet.randn(3, 5)
    buf = io.BytesIO()
    proto = glassnet.onnx.export(model, x, buf)
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    model.eval()
    with glassnet.no_grad():
        want = model(x).numpy()
    model.train()
    np.testing.assert_allclose(sess.run(None, {"input": x.numpy()})[0], want, atol=ATOL)
    return proto


class _Fn(nn.Module):
    def __init__(self, fn, *mods):
        super().__init__()
        self.mods = nn.ModuleList(mods)
        self.fn = fn

    def forward(self, x):
        return self.fn(x, *self.mods)


ACTIVATIONS = [nn.ReLU(), nn.ReLU6(), nn.LeakyReLU(0.1), nn.PReLU(4), nn.ELU(0.7), nn.SELU(),
               nn.CELU(1.3), nn.GELU(), nn.GELU(approximate="tanh"), nn.Sigmoid(),
               nn.Hardsigmoid(), nn.Tanh(), nn.Softplus(), nn.Softplus(beta=2.0), nn.SiLU(),
               nn.Hardswish(), nn.Mish(), nn.Hardtanh(-0.5, 0.7), nn.Softsign(),
               nn.LogSigmoid(), nn.Tanhshrink(), nn.Hardshrink(0.3), nn.Softshrink(0.3),
               nn.Threshold(0.1, -2.0), nn.Softmax(dim=1), nn.LogSoftmax(dim=1),
               nn.Softmin(dim=1)]


@pytest.mark.parametrize("act", ACTIVATIONS, ids=lambda m: repr(m))
def test_every_activation_exports(act):
    glassnet.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), act).eval()
    _roundtrip(model, (3, 5, 6), batches=(1, 2))


LAYERS = {
    "conv_stride_dilation_groups": lambda: nn.Conv2d(4, 6, 3, stride=2, padding=2, dilation=2,
                                                     groups=2),
    "conv_asymmetric_no_bias": lambda: nn.Conv2d(4, 3, (3, 1), stride=(2, 1), padding=(1, 0),
                                                 bias=False),
    "conv_transpose_output_padding": lambda: nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1,
                                                                output_padding=1),
    "conv_transpose_groups": lambda: nn.ConvTranspose2d(4, 2, 4, stride=2, padding=1,
                                                        groups=2),
    "maxpool_ceil_dilation": lambda: nn.MaxPool2d(3, stride=2, padding=1, dilation=1,
                                                  ceil_mode=True),
    "maxpool_dilated": lambda: nn.MaxPool2d(2, stride=1, dilation=2),
    "avgpool_pad_exclude": lambda: nn.AvgPool2d(3, stride=2, padding=1,
                                                count_include_pad=False),
    "avgpool_ceil": lambda: nn.AvgPool2d(2, stride=2, ceil_mode=True),
    "avgpool_divisor": lambda: nn.AvgPool2d(2, divisor_override=3),
    "adaptive_avg_uneven": lambda: nn.AdaptiveAvgPool2d((3, 2)),
    "adaptive_avg_global": lambda: nn.AdaptiveAvgPool2d(1),
    "adaptive_max_global": lambda: nn.AdaptiveMaxPool2d(1),
    "batchnorm_eval_no_affine": lambda: nn.BatchNorm2d(4, affine=False),
    "instancenorm_affine": lambda: nn.InstanceNorm2d(4, affine=True),
    "instancenorm_running_stats": lambda: nn.InstanceNorm2d(4, track_running_stats=True),
    "groupnorm": lambda: nn.GroupNorm(2, 4),
    "layernorm_two_axes": lambda: nn.LayerNorm((7, 6)),
    "layernorm_last_axis_no_affine": lambda: nn.LayerNorm(6, elementwise_affine=False),
    "lrn": lambda: nn.LocalResponseNorm(3, alpha=1e-2, beta=0.75, k=2.0),
    "upsample_nearest": lambda: nn.Upsample(scale_factor=2, mode="nearest"),
    "upsample_bilinear": lambda: nn.Upsample(size=(5, 9), mode="bilinear",
                                             align_corners=False),
    "upsample_bilinear_corners": lambda: nn.Upsample(scale_factor=1.5, mode="bilinear",
                                                     align_corners=True),
    "zero_pad": lambda: nn.ZeroPad2d((1, 2, 0, 1)),
    "flatten_linear": lambda: nn.Sequential(nn.Flatten(), nn.Linear(4 * 7 * 6, 5)),
    "dropout_eval": lambda: nn.Dropout2d(0.3),
}


@pytest.mark.parametrize("make", LAYERS.values(), ids=list(LAYERS))
def test_layer_exports(make):
    glassnet.manual_seed(0)
    model = _randomize_norms(nn.Sequential(make())).eval()
    _roundtrip(model, (4, 7, 6), batches=(1, 3))


FUNCTIONS = {
    "add_mul_sub_div": lambda x: (x + 1.5) * x - x / (x.abs() + 1),
    "cat": lambda x: glassnet.cat([x, glassnet.relu(x) * 2], 1),
    "stack_mean": lambda x: glassnet.stack([x, x * 3], 2).mean(2),
    "permute_matmul": lambda x: x.permute(0, 2, 3, 1) @ glassnet.ones(4, 3),
    "linear_3d": lambda x: F.linear(x.flatten(2), glassnet.ones(5, 42) * 0.1),
    "slicing": lambda x: x[:, 1:3, ::2, -3:],
    "int_index_and_none": lambda x: x[:, 2, None, 1:],
    "reductions": lambda x: x.sum((2, 3)) + x.mean(dim=(1, 2)).mean(1, keepdim=True),
    "view_reshape": lambda x: x.reshape(x.shape[0], 2, -1).transpose(1, 2).reshape(
        x.shape[0], -1),
    "pad_reflect": lambda x: F.pad(x, (1, 1, 2, 0), value=0.5),
    "clamp_pow_exp": lambda x: glassnet.clamp(x, -0.5, 0.8) ** 2 + glassnet.exp(-x * x),
    "max_min": lambda x: glassnet.maximum(x, x * 0.5) - glassnet.minimum(x, -x),
    "softmax_dim0": lambda x: F.softmax(x, dim=-1) + F.log_softmax(x, dim=2),
    "max_min_along_dims": lambda x: x.max(dim=1).values + x.min(1)[0] + x.amax(
        (1, 2), keepdim=True)[:, 0],
}


@pytest.mark.parametrize("fn", FUNCTIONS.values(), ids=list(FUNCTIONS))
def test_function_exports(fn):
    _roundtrip(_Fn(fn), (4, 7, 6), batches=(2, 3))


def test_unsupported_op_names_the_op_and_the_module():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 3)

        def forward(self, x):
            return glassnet.cumsum(self.fc(x), 1)

    with pytest.raises(glassnet.onnx.UnsupportedOperatorError,
                       match=r"op CumSum \(node cumsum_1.*test_export.py"):
        glassnet.onnx.export(Net(), glassnet.randn(2, 3), io.BytesIO())


def test_export_rejects_bad_arguments():
    model = nn.Linear(2, 2)
    x = glassnet.randn(1, 2)
    with pytest.raises(ValueError, match=r"opset_version must be an int in \[13, 21\], got 9"):
        glassnet.onnx.export(model, x, io.BytesIO(), opset_version=9)
    with pytest.raises(ValueError, match="dynamic_axes names 'z'"):
        glassnet.onnx.export(model, x, io.BytesIO(), dynamic_axes={"z": [0]})
    with pytest.raises(TypeError, match=r"args\[0\] must be a Tensor, got ndarray"):
        glassnet.onnx.export(model, np.zeros((1, 2), np.float32), io.BytesIO())
    with pytest.raises(ValueError, match="input_names"):
        glassnet.onnx.export(model, x, io.BytesIO(), input_names=["a", "b"])


def test_gather_with_an_index_input_exports_as_gather_elements():
    def f(x, idx):
        return x.gather(1, idx) * 2

    x, idx = glassnet.randn(3, 5), glassnet.tensor([[0, 1], [4, 4], [2, 0]])
    buf = io.BytesIO()
    proto = glassnet.onnx.export(f, (x, idx), buf, input_names=["x", "idx"])
    assert "GatherElements" in [n.op_type for n in proto.graph.node]
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    idx2 = np.array([[3, 3], [1, 0], [4, 2]])
    (got,) = sess.run(None, {"x": x.numpy(), "idx": idx2})
    np.testing.assert_array_equal(got, np.take_along_axis(x.numpy(), idx2, 1) * 2)


@pytest.mark.parametrize("opset", [13, 18])
def test_other_opsets(opset):
    model = _Fn(lambda x: x.mean((2, 3)) + glassnet.relu(x).sum((2, 3)) + x.max(2).values.amax(
        2))
    proto = _roundtrip(model, (4, 5, 5), opset_version=opset)
    assert proto.opset_import[0].version == opset


def test_torch_tutorial_call_with_compatibility_keywords(capsys):
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    x = glassnet.randn(2, 4)
    buf = io.BytesIO()
    glassnet.onnx.export(model, x, buf, export_params=True, opset_version=None,
                         do_constant_folding=True, dynamo=False, input_names=["in"],
                         output_names=["out"], verbose=True)
    assert "Linear" in capsys.readouterr().out  # verbose prints the traced graph
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    with glassnet.no_grad():
        want = model(x).numpy()
    np.testing.assert_allclose(sess.run(["out"], {"in": x.numpy()})[0], want, atol=ATOL)
    with pytest.raises(TypeError):
        glassnet.onnx.export(model, x, buf, ["in"])  # keyword-only, as torch 2.x


def test_export_params_false_makes_parameters_inputs():
    model = nn.Sequential(nn.Linear(4, 3), nn.Tanh())
    x = glassnet.randn(2, 4)
    buf = io.BytesIO()
    proto = glassnet.onnx.export(model, x, buf, export_params=False)
    assert [i.name for i in proto.graph.input] == ["input", "0.weight", "0.bias"]
    assert len(proto.graph.initializer) == 0
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    feeds = {"input": x.numpy(), "0.weight": model[0].weight.detach().numpy(),
             "0.bias": model[0].bias.detach().numpy()}
    with glassnet.no_grad():
        np.testing.assert_allclose(sess.run(None, feeds)[0], model(x).numpy(), atol=ATOL)
    kept = glassnet.onnx.export(model, x, io.BytesIO(), keep_initializers_as_inputs=True)
    assert [i.name for i in kept.graph.input] == ["input", "0.weight", "0.bias"]
    assert {i.name for i in kept.graph.initializer} == {"0.weight", "0.bias"}


def test_training_preserve_keeps_train_mode_and_rejects_batch_statistics():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)).train()
    with pytest.raises(glassnet.onnx.UnsupportedOperatorError,
                       match=r"batch statistics.*op StatNorm \(node statnorm_1 in module '1'"):
        glassnet.onnx.export(model, glassnet.randn(2, 1, 5, 5), io.BytesIO(),
                             training="preserve")
    with pytest.raises(ValueError, match="training must be None, 'eval' or 'preserve'"):
        glassnet.onnx.export(model, glassnet.randn(2, 1, 5, 5), io.BytesIO(),
                             training="train")
