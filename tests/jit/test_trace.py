"""glassnet.jit.trace: recorded graphs equal the eager call, list and draw themselves,
and warn on data-dependent control flow."""
import shutil
import warnings

import numpy as np
import pytest

import glassnet
import glassnet.nn as nn
from glassnet import autograd, jit, models


def _eager_and_graph(name, shape, **config):
    glassnet.manual_seed(0)
    model = models.get_model(name, **config).eval()
    x = glassnet.randn(*shape)
    graph = jit.trace(model, x)
    return model, x, graph


@pytest.mark.parametrize("name, shape", [
    ("lenet5", (2, 1, 28, 28)),
    ("resnet20", (2, 3, 32, 32)),
    ("mobilenet_v2", (1, 3, 32, 32)),
])
def test_traced_zoo_model_equals_eager(name, shape):
    model, x, graph = _eager_and_graph(name, shape)
    # A new input of the traced shape, not the example one.
    x2 = glassnet.randn(*shape)
    with glassnet.no_grad():
        want = model(x2).numpy()
    got = graph(x2)
    assert isinstance(got, glassnet.Tensor) and not got.requires_grad
    np.testing.assert_array_equal(got.numpy(), want)
    # ndarray in, ndarray out
    np.testing.assert_array_equal(graph(x2.numpy()), want)
    # every conv and every batch norm of the model is a node
    convs = sum(isinstance(m, nn.Conv2d) for m in model.modules())
    assert sum(n.op.__name__ == "Conv2d" for n in graph.nodes) == convs
    assert autograd._tracers == 0


def test_graph_reads_parameters_live_and_freezes_constants():
    lin = nn.Linear(3, 2)

    def f(x):
        return lin(x) + glassnet.ones(2)

    x = glassnet.randn(4, 3)
    graph = jit.trace(f, x)
    with glassnet.no_grad():
        lin.weight.mul_(2.0)
        want = (x.numpy() @ lin.weight.detach().numpy().T) + lin.bias.detach().numpy() + 1
    np.testing.assert_allclose(graph(x).numpy(), want, rtol=1e-6, atol=1e-6)
    kinds = [v.kind for v in graph.values]
    # lin's weight and bias (leaves that require grad) are live parameters; ones(2) is a
    # constant
    assert sorted(kinds) == ["const", "input", "node", "node", "param", "param"]


def test_module_parameters_are_named_params_and_scopes_are_module_paths():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    graph = jit.trace(model, glassnet.randn(5, 3))
    names = [v.name for v in graph.values if v.kind == "param"]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [(n.op.__name__, n.scope) for n in graph.nodes] == [
        ("Linear", "0"), ("ReLU", "1"), ("Linear", "2")]


def test_nested_outputs_keep_their_structure():
    def f(x, y):
        return {"sum": x + y, "pair": (x * y, glassnet.relu(x))}

    x, y = glassnet.randn(3), glassnet.randn(3)
    out = jit.trace(f, (x, y))(x, y)
    np.testing.assert_array_equal(out["sum"].numpy(), (x + y).numpy())
    np.testing.assert_array_equal(out["pair"][0].numpy(), (x * y).numpy())
    np.testing.assert_array_equal(out["pair"][1].numpy(), np.maximum(x.numpy(), 0))


def test_print_lists_every_node_with_shapes():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3))
    text = str(jit.trace(model, glassnet.randn(1, 1, 4, 4)))
    lines = text.splitlines()
    assert lines[0].split() == ["kind", "name", "op", "[module]", "inputs", "attrs", "shape",
                                "dtype"]
    conv = next(ln for ln in lines if ln.startswith("op") and "Conv2d" in ln)
    assert "input, 0.weight, 0.bias" in conv and "(1, 2, 2, 2)" in conv
    assert "k=(3, 3)" in conv
    flat = next(ln for ln in lines if "Reshape" in ln)
    assert "shape=(1, 8)" in flat
    assert lines[-1].split() == ["output", "output", "linear_3"]


def test_to_dot_text_and_png(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    graph = jit.trace(model, glassnet.randn(2, 3))
    text = graph.to_dot(tmp_path / "g.dot")
    assert text.startswith("digraph G {") and text.rstrip().endswith("}")
    assert (tmp_path / "g.dot").read_text() == text
    lin, relu = graph.nodes
    assert f"v0 -> v{lin.output}" in text and f"v{lin.output} -> v{relu.output}" in text
    assert f"v{relu.output} -> out0" in text
    assert 'label="Linear' in text and "(0.weight, 0.bias)" in text
    if shutil.which("dot") is None:
        with pytest.raises(RuntimeError, match="dot"):
            graph.to_dot(tmp_path / "g.png")
        pytest.skip("Graphviz 'dot' is not installed: PNG rendering not checked")
    graph.to_dot(tmp_path / "g.png")
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_data_dependent_control_flow_warns_with_the_line():
    def f(x):
        if x.sum() > 0:  # the line the warning must name
            return x * 2
        return x * 3

    import inspect
    line = inspect.getsourcelines(f)[1] + 1
    x = glassnet.ones(3)
    with pytest.warns(jit.TracerWarning, match="constant") as record:
        graph = jit.trace(f, x)
    assert record[0].filename == __file__ and record[0].lineno == line
    # the branch taken at trace time is frozen: a negative input still doubles
    np.testing.assert_array_equal(graph(-x).numpy(), [-2.0, -2.0, -2.0])


def test_item_and_float_of_a_traced_tensor_warn_but_parameters_do_not():
    lin = nn.Linear(2, 2)

    def f(x):
        scale = float(lin.weight[0, 0])  # a parameter: no data dependence, no warning
        return x * scale + x.mean().item()

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        jit.trace(f, glassnet.randn(2))
    tracer_warnings = [w for w in record if issubclass(w.category, jit.TracerWarning)]
    assert len(tracer_warnings) == 1 and "item" in str(tracer_warnings[0].message)


def test_graph_checks_inputs():
    graph = jit.trace(lambda x: x * 2, glassnet.randn(2, 3))
    with pytest.raises(ValueError, match=r"traced shape \(2, 3\), got \(3, 3\)"):
        graph(glassnet.randn(3, 3))
    with pytest.raises(TypeError, match="float64"):
        graph(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="expected 1 inputs, got 2"):
        graph(glassnet.randn(2, 3), glassnet.randn(2, 3))
    with pytest.raises(TypeError, match="example_inputs"):
        jit.trace(lambda x: x, [np.zeros(3)])


def test_tracer_is_removed_after_an_error():
    def bad(x):
        glassnet.relu(x)
        raise KeyError("boom")

    with pytest.raises(KeyError):
        jit.trace(bad, glassnet.randn(2))
    assert autograd._tracers == 0 and getattr(autograd._STATE, "tracer", None) is None
    y = glassnet.relu(glassnet.randn(2))  # no tracer records it
    assert y.shape == (2,)


def test_memory_plan_peak_below_total_on_resnet20():
    _, x, graph = _eager_and_graph("resnet20", (2, 3, 32, 32))
    plan = graph.memory_plan()
    owned = [n for n in graph.nodes if not n.op.is_view]
    out_bytes = [int(np.prod(graph.values[n.output].shape)) * 4 for n in owned]
    assert plan["total_bytes"] == sum(out_bytes)
    # ResNet-20's largest activations are (2, 16, 32, 32) float32 = 128 KiB; a block's
    # input, two branch outputs and the sum are alive together at most.
    assert max(out_bytes) <= plan["peak_bytes"] <= 4 * max(out_bytes)
    assert plan["peak_bytes"] < plan["total_bytes"] / 5


def test_memory_plan_by_hand():
    # x (4 KiB) -> a = x * 2 -> v = a.reshape (a view of a) -> b = relu(v) -> out = b + a
    # a lives until the last op (its view and itself are read there): peak a + b + out
    def f(x):
        a = x * 2
        b = glassnet.relu(a.reshape(-1))
        return b + a.reshape(-1)

    graph = jit.trace(f, glassnet.randn(32, 32))
    kib = 32 * 32 * 4
    assert graph.memory_plan() == {"peak_bytes": 3 * kib, "total_bytes": 3 * kib}

    def g(x):
        a = x * 2
        b = glassnet.relu(a)  # a's last reader
        return glassnet.exp(b)  # b's last reader

    assert jit.trace(g, glassnet.randn(32, 32)).memory_plan() == {
        "peak_bytes": 2 * kib, "total_bytes": 3 * kib}


def test_inplace_ops_are_traced_as_their_out_of_place_op():
    def f(x):
        y = x * 2
        y += 1
        y.relu_()
        return y * x

    graph = jit.trace(f, glassnet.randn(3, 4))
    assert [n.op.__name__ for n in graph.nodes] == ["Mul", "Add", "ReLU", "Mul"]
    x2 = glassnet.randn(3, 4)
    want = np.maximum(x2.numpy() * 2 + 1, 0) * x2.numpy()
    np.testing.assert_allclose(graph(x2).numpy(), want, rtol=1e-6)


def test_inplace_write_into_a_view_warns():
    def f(x):
        y = x * 2
        y[0] = 5.0
        return y

    with pytest.warns(jit.TracerWarning, match="view"):
        jit.trace(f, glassnet.randn(3, 4))


def test_a_trace_records_only_its_own_thread():
    import threading

    other = {}

    def f(x):
        t = threading.Thread(target=lambda: other.setdefault("y", glassnet.exp(x.detach())))
        t.start()
        t.join()
        return glassnet.relu(x)

    x = glassnet.randn(3)
    graph = jit.trace(f, x)
    assert [n.op.__name__ for n in graph.nodes] == ["ReLU"]  # the thread's Exp is not
    np.testing.assert_allclose(other["y"].numpy(), np.exp(x.numpy()), rtol=1e-6)


def test_max_along_a_dim_is_recomputed_for_new_inputs():
    def f(x):
        return x.max(dim=1).values + x.min(1, keepdim=True)[0].squeeze(1)

    x = glassnet.randn(4, 5)
    graph = jit.trace(f, x)
    x2 = glassnet.randn(4, 5)
    want = x2.numpy().max(1) + x2.numpy().min(1)
    np.testing.assert_array_equal(graph(x2).numpy(), want)
    assert [n.info for n in graph.nodes if n.op.__name__ == "GatherMax"] == [
        {"reduce": "max"}, {"reduce": "min"}]
    assert "indices=<argmax(input)>" in str(graph)


def test_gather_index_from_a_graph_input_is_bound_to_it():
    def f(x, idx):
        return x.gather(1, idx)

    x, idx = glassnet.randn(3, 5), glassnet.tensor([[0], [4], [2]])
    graph = jit.trace(f, (x, idx))
    (node,) = graph.nodes
    assert node.bound == {"index": 1}
    assert "index=<input_1>" in str(graph)
    idx2 = glassnet.tensor([[3], [3], [1]])
    np.testing.assert_array_equal(graph(x, idx2).numpy(),
                                  np.take_along_axis(x.numpy(), idx2.numpy(), 1))


def test_a_condition_computed_from_traced_values_warns():
    def f(x):
        return glassnet.where(x > 0, x, x * 0.1)

    with pytest.warns(jit.TracerWarning, match=r"Where \(node where_1\) takes a condition"):
        jit.trace(f, glassnet.randn(6))

