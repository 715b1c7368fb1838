"""ActivationStats and GradientStats against hand computations with numpy; their plots."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.inspect import (ActivationStats, GradientStats, activation_stats,
                              plot_activation_histograms, plot_gradient_norms)


def _mlp(act=nn.Tanh):
    gn.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 7), act(), nn.Linear(7, 6), act(), nn.Linear(6, 3))


def _np_forward(net, x):
    """The activations of ``_mlp`` by hand: h1 = act(x W1^T + b1), ..."""
    acts = {}
    h = x
    for name, m in net.named_children():
        if isinstance(m, nn.Linear):
            h = h @ m.weight.detach().numpy().T + m.bias.detach().numpy()
        elif isinstance(m, nn.Tanh):
            h = np.tanh(h)
        elif isinstance(m, nn.Sigmoid):
            h = 1 / (1 + np.exp(-h))
        elif isinstance(m, nn.ReLU):
            h = np.maximum(h, 0)
        acts[name] = h
    return acts


def test_activation_stats_match_numpy_on_a_tanh_mlp():
    net = _mlp()
    x = np.random.default_rng(1).standard_normal((64, 5)).astype(np.float32) * 3
    with ActivationStats(net, bins=10) as st:
        net(gn.tensor(x))
    assert st.layers == ["1", "3"]  # the activation modules by default
    ref = _np_forward(net, x)
    for name in st.layers:
        s, y = st.stats[name], ref[name]
        assert s["kind"] == "Tanh" and s["calls"] == 1 and s["shape"] == list(y.shape)
        np.testing.assert_allclose(s["mean"], y.mean(), rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(s["std"], y.std(), rtol=1e-4)
        np.testing.assert_allclose(s["percentiles"]["50"], np.median(y), rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(s["percentiles"]["99"], np.percentile(y, 99), rtol=1e-4)
        counts, edges = np.histogram(y, bins=10, range=(y.min(), y.max()))
        # float32 vs float64 rounding can move a value sitting on a bin edge
        assert np.abs(np.array(s["histogram"]["counts"]) - counts).sum() <= 2
        np.testing.assert_allclose(s["histogram"]["edges"], edges, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(s["saturated_fraction"], (np.abs(y) > 0.99).mean())
    # inputs with std 3 saturate the first tanh noticeably
    assert st.stats["1"]["saturated_fraction"] > 0.05


def test_sigmoid_saturation_and_the_rule_of_the_layer_before_it():
    net = _mlp(nn.Sigmoid)
    x = np.random.default_rng(2).standard_normal((50, 5)).astype(np.float32) * 6
    with ActivationStats(net, layers=["0", "1", "4"]) as st:
        net(gn.tensor(x))
    ref = _np_forward(net, x)
    y = ref["1"]
    np.testing.assert_allclose(st.stats["1"]["saturated_fraction"],
                               ((y < 0.01) | (y > 0.99)).mean())
    # the Linear before a sigmoid: saturated where the sigmoid after it is, |x| > ln 99
    z = ref["0"]
    assert st.stats["0"]["saturation_rule"].startswith("|x| > logit")
    np.testing.assert_allclose(st.stats["0"]["saturated_fraction"],
                               (np.abs(z) > math.log(99)).mean())
    np.testing.assert_allclose(st.stats["0"]["saturated_fraction"],
                               st.stats["1"]["saturated_fraction"], atol=0.01)
    # the last Linear is followed by nothing: no rule
    assert st.stats["4"]["saturated_fraction"] is None


def test_zero_and_dead_fractions_of_relu():
    net = _mlp(nn.ReLU)
    with gn.no_grad():
        net[2].bias.fill_(-100.0)   # the second ReLU never fires: every unit dead
        net[0].bias[:3] = -100.0    # three of seven first-layer units dead
    x = np.random.default_rng(3).standard_normal((40, 5)).astype(np.float32)
    with ActivationStats(net) as st:
        net(gn.tensor(x))
    ref = _np_forward(net, x)
    assert st.stats["3"]["dead_fraction"] == 1.0 and st.stats["3"]["zero_fraction"] == 1.0
    h = ref["1"]
    np.testing.assert_allclose(st.stats["1"]["zero_fraction"], (h == 0).mean())
    np.testing.assert_allclose(st.stats["1"]["dead_fraction"], (h == 0).all(axis=0).mean())
    assert st.stats["1"]["dead_fraction"] >= 3 / 7
    assert st.stats["1"]["saturated_fraction"] is None  # not defined for ReLU


def test_dead_units_of_a_conv_output_are_channels():
    y = np.ones((4, 3, 5, 5), np.float32)
    y[:, 1] = 0
    y[0, 2, 0, 0] = 0
    s = activation_stats(y)
    assert s["dead_fraction"] == pytest.approx(1 / 3)
    assert s["zero_fraction"] == pytest.approx((4 * 25 + 1) / y.size)


def test_nonfinite_values_are_counted_and_left_out():
    s = activation_stats(np.array([[1.0, np.nan], [3.0, np.inf]], np.float32))
    assert s["nonfinite_fraction"] == 0.5 and s["mean"] == 2.0 and s["max"] == 3.0


def test_hooks_go_on_exit_and_remove_and_summary_to_dict():
    net = _mlp()
    st = ActivationStats(net, layers=nn.Linear, hist_range=(-1, 1))
    net(gn.randn(8, 5))
    assert st.layers == ["0", "2", "4"] and st.stats["0"]["histogram"]["edges"][0] == -1.0
    st.remove()
    st.reset()
    net(gn.randn(8, 5))
    assert st.stats == {}
    with ActivationStats(net) as st2:
        net(gn.randn(8, 5))
        net(gn.randn(8, 5))
    net(gn.randn(8, 5))
    assert st2.stats["1"]["calls"] == 2
    table = st2.summary().splitlines()
    assert table[0].split()[:4] == ["layer", "kind", "mean", "std"] and len(table) == 4
    assert f"{st2.stats['3']['std']:.3g}" in table[3]
    json.dumps(st2.to_dict())


def test_activation_stats_reject_bad_arguments():
    net = _mlp()
    with pytest.raises(ValueError, match="ActivationStats: layers .*'9'"):
        ActivationStats(net, layers=["9"])
    with pytest.raises(ValueError, match="ActivationStats: bins"):
        ActivationStats(net, bins=0)
    with pytest.raises(ValueError, match="hist_range"):
        ActivationStats(net, hist_range=(1, 0))
    with pytest.raises(TypeError, match="ActivationStats: model must be"):
        ActivationStats(object())


def test_gradient_stats_match_numpy_and_sgd_update_ratio():
    net = _mlp()
    opt = optim.SGD(net.parameters(), lr=0.5)
    gs = GradientStats(net)
    assert gs.layers == ["0", "2", "4"] and gs.params["0"] == ["0.weight", "0.bias"]
    x = gn.randn(16, 5)
    before = {n: p.detach().numpy().copy() for n, p in net.named_parameters()}
    net(x).pow(2).mean().backward()
    grads = {n: p.grad.numpy().copy() for n, p in net.named_parameters()}
    rec = gs.record_gradients(step=7)
    opt.step()
    rec = gs.record_update()
    assert rec["step"] == 7
    for n in grads:
        np.testing.assert_allclose(rec["grad_norm"][n], np.linalg.norm(grads[n]), rtol=1e-5)
        np.testing.assert_allclose(rec["weight_norm"][n], np.linalg.norm(before[n]), rtol=1e-5)
        # plain SGD: the update is lr * grad
        np.testing.assert_allclose(rec["update_ratio"][n], 0.5 * np.linalg.norm(grads[n])
                                   / np.linalg.norm(before[n]), rtol=1e-4)
    g0 = np.sqrt(np.sum(grads["0.weight"] ** 2) + np.sum(grads["0.bias"] ** 2))
    np.testing.assert_allclose(rec["layer_grad_norm"]["0"], g0, rtol=1e-5)
    total = np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads.values()))
    np.testing.assert_allclose(rec["total_grad_norm"], total, rtol=1e-5)
    w4 = np.sqrt(np.sum(before["4.weight"] ** 2) + np.sum(before["4.bias"] ** 2))
    np.testing.assert_allclose(rec["layer_update_ratio"]["4"],
                               0.5 * np.sqrt(np.sum(grads["4.weight"] ** 2)
                                             + np.sum(grads["4.bias"] ** 2)) / w4, rtol=1e-4)


def test_gradient_stats_history_means_layers_and_errors():
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    gs = GradientStats(net, layers=nn.Linear)
    assert gs.layers == ["0", "3"]
    with pytest.raises(RuntimeError, match="record_gradients"):
        gs.record_update()
    norms = []
    for _ in range(3):
        net.zero_grad()
        net(gn.randn(8, 3)).sum().backward()
        norms.append(np.linalg.norm(net[3].weight.grad.numpy()))
        gs.record_gradients(snapshot=False)
    hist = gs.history("grad_norm")
    np.testing.assert_allclose(hist["3.weight"], norms, rtol=1e-5)
    assert gs.layer_means()["0"] == pytest.approx(gs.history()["0"].mean())
    assert [r["step"] for r in gs.records] == [0, 1, 2]
    assert "3 recorded steps" in gs.summary()
    json.dumps(gs.to_dict())
    net.zero_grad()
    rec = GradientStats(net).record_gradients()
    assert math.isnan(rec["grad_norm"]["0.weight"])  # no gradient yet
    assert GradientStats(net).to_dict()["records"] == []
    with pytest.raises(ValueError, match="own no parameters"):
        GradientStats(net, layers=nn.ReLU)


def test_plots_write_labelled_pngs(tmp_path):
    pytest.importorskip("matplotlib")
    net = _mlp()
    with ActivationStats(net) as st:
        net(gn.randn(32, 5))
    gs = GradientStats(net)
    net(gn.randn(8, 5)).sum().backward()
    gs.record_gradients()
    p1 = plot_activation_histograms(st, tmp_path / "h.png")
    p2 = plot_activation_histograms({"a": st, "b": st.to_dict()}, tmp_path / "h2.png")
    p3 = plot_gradient_norms({"tanh": gs, "given": [1.0, 0.1, 0.01]}, tmp_path / "g.png")
    for p in (p1, p2, p3):
        assert open(p, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    fig = plot_gradient_norms(gs)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_xlabel() and ax.get_ylabel()
    np.testing.assert_allclose(ax.lines[0].get_ydata(), list(gs.layer_means().values()))
    fig = plot_activation_histograms(st)
    assert len([a for a in fig.axes if a.get_visible()]) == 2
    with pytest.raises(TypeError, match="plot_activation_histograms"):
        plot_activation_histograms({"a": 3})


def test_parameters_of_the_model_itself_are_a_layer():
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Linear(2, 2)
            self.scale = nn.Parameter(gn.ones(1))

        def forward(self, x):
            return self.body(x) * self.scale

    net = Scaled()
    gs = GradientStats(net)
    assert gs.layers == ["Scaled", "body"] and gs.params["Scaled"] == ["scale"]
    net(gn.randn(4, 2)).sum().backward()
    rec = gs.record_gradients()
    np.testing.assert_allclose(rec["layer_grad_norm"]["Scaled"],
                               abs(float(net.scale.grad.numpy()[0])), rtol=1e-6)
    with ActivationStats(net) as st:  # no activation modules: every leaf module
        net(gn.randn(4, 2))
    assert st.layers == ["body"]
