"""nn.RNN / LSTM / GRU and their cells against torch: parameter names, shapes, order and
initialisation, strict loading of a torch state_dict, outputs, final states and every
gradient (plain, stacked, bidirectional, batch_first, proj_size, unbatched, packed with
unequal lengths), dropout between layers, packed-sequence utilities, errors, and the
sequential-MNIST model. (Float64 gradchecks of the same configurations are registry rows,
glassnet/testing/registry/recurrent.py.)"""
from __future__ import annotations

import math

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn as nn
from glassnet.nn.utils import rnn as U

torch = pytest.importorskip("torch", reason="torch is the parity oracle")

KINDS = {"RNN": (nn.RNN, torch.nn.RNN), "LSTM": (nn.LSTM, torch.nn.LSTM),
         "GRU": (nn.GRU, torch.nn.GRU)}
CONFIGS = [
    ("RNN", {}), ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
    ("RNN", {"bidirectional": True, "bias": False}),
    ("LSTM", {}), ("LSTM", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("LSTM", {"proj_size": 3, "num_layers": 2}),
    ("LSTM", {"proj_size": 2, "bidirectional": True, "bias": False}),
    ("GRU", {}), ("GRU", {"num_layers": 3, "batch_first": True}),
    ("GRU", {"bidirectional": True, "num_layers": 2}),
]
IDS = [f"{k}-{'-'.join(f'{a}={b}' for a, b in c.items()) or 'default'}" for k, c in CONFIGS]


def _pair(kind, config, input_size=4, hidden=5, seed=0):
    torch.manual_seed(seed)
    tm = KINDS[kind][1](input_size, hidden, **config)
    gm = KINDS[kind][0](input_size, hidden, **config)
    state = {k: gn.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()}
    result = gm.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    return gm, tm


def _np(t):
    return t.detach().numpy()


def _flat_states(kind, h):
    return [h[0], h[1]] if kind == "LSTM" else [h]


def _check(gm, tm, kind, x, hx=None, packed_lengths=None, batch_first=False, seed=3,
           atol=2e-5):
    """Forward + backward of a random linear functional of output and final states."""
    gx = gn.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    ghx = thx = None
    if hx is not None:
        ghx = tuple(gn.tensor(h, requires_grad=True) for h in hx)
        thx = tuple(torch.tensor(h, requires_grad=True) for h in hx)
    gin, tin = gx, tx
    if packed_lengths is not None:
        gin = U.pack_padded_sequence(gx, packed_lengths, batch_first=batch_first,
                                     enforce_sorted=False)
        tin = torch.nn.utils.rnn.pack_padded_sequence(tx, packed_lengths,
                                                      batch_first=batch_first,
                                                      enforce_sorted=False)
    arg = lambda h: None if h is None else (h if kind == "LSTM" else h[0])  # noqa: E731
    go, gh = gm(gin, arg(ghx))
    to, th = tm(tin, arg(thx))
    if packed_lengths is not None:
        np.testing.assert_array_equal(go.batch_sizes.numpy(), to.batch_sizes.numpy())
        np.testing.assert_array_equal(go.sorted_indices.numpy(), to.sorted_indices.numpy())
        np.testing.assert_array_equal(go.unsorted_indices.numpy(), to.unsorted_indices.numpy())
        go, to = go.data, to.data
    gouts, touts = [go] + _flat_states(kind, gh), [to] + _flat_states(kind, th)
    rng = np.random.default_rng(seed)
    gl, tl = 0, 0
    for a, b in zip(gouts, touts):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-4, atol=atol)
        c = rng.standard_normal(tuple(b.shape)).astype(np.float32)
        gl = gl + (a * gn.tensor(c)).sum()
        tl = tl + (b * torch.tensor(c)).sum()
    gl.backward()
    tl.backward()
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=atol)
    for a, b in zip(ghx or (), thx or ()):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=atol)
    tparams = dict(tm.named_parameters())
    for name, p in gm.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tparams[name].grad.numpy(), rtol=1e-4,
                                   atol=atol, err_msg=name)


# -- construction ------------------------------------------------------------------------
@pytest.mark.parametrize("kind,config", CONFIGS, ids=IDS)
def test_parameter_names_shapes_and_order_are_torchs(kind, config):
    gm = KINDS[kind][0](4, 5, **config)
    tm = KINDS[kind][1](4, 5, **config)
    ours = [(n, tuple(p.shape)) for n, p in gm.named_parameters()]
    theirs = [(n, tuple(p.shape)) for n, p in tm.named_parameters()]
    assert ours == theirs
    assert list(gm.state_dict()) == list(tm.state_dict())
    assert repr(gm) == repr(tm)


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU, nn.RNNCell, nn.LSTMCell,
                                 nn.GRUCell])
def test_default_init_is_uniform_within_one_over_sqrt_hidden(cls):
    gn.manual_seed(0)
    hidden = 64
    m = cls(48, hidden)
    bound = 1 / math.sqrt(hidden)
    values = np.concatenate([p.detach().numpy().ravel() for p in m.parameters()])
    assert np.abs(values).max() <= bound
    # U(-b, b): mean 0, std b / sqrt(3); 4 standard errors of slack on >= 12k samples.
    se = bound / math.sqrt(3) / math.sqrt(values.size)
    assert abs(values.mean()) < 4 * se
    assert abs(values.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert values.dtype == np.float32


# -- parity ------------------------------------------------------------------------------
@pytest.mark.parametrize("kind,config", CONFIGS, ids=IDS)
def test_torch_state_dict_gives_same_outputs_states_and_gradients(kind, config):
    gm, tm = _pair(kind, config)
    rng = np.random.default_rng(1)
    steps, batch = 6, 3
    shape = (batch, steps, 4) if config.get("batch_first") else (steps, batch, 4)
    x = rng.standard_normal(shape).astype(np.float32)
    _check(gm, tm, kind, x)


@pytest.mark.parametrize("kind,config", [c for c in CONFIGS if not c[1].get("batch_first")],
                         ids=[i for i, c in zip(IDS, CONFIGS) if not c[1].get("batch_first")])
def test_initial_states_and_unbatched_input_match_torch(kind, config):
    gm, tm = _pair(kind, config, seed=1)
    rng = np.random.default_rng(2)
    dirs = 2 if config.get("bidirectional") else 1
    layers = config.get("num_layers", 1)
    out = config.get("proj_size") or 5
    h0 = rng.standard_normal((layers * dirs, 2, out)).astype(np.float32)
    c0 = rng.standard_normal((layers * dirs, 2, 5)).astype(np.float32)
    hx = (h0, c0) if kind == "LSTM" else (h0,)
    _check(gm, tm, kind, rng.standard_normal((5, 2, 4)).astype(np.float32), hx)
    # unbatched: (L, H_in) input, states without the batch dimension
    hx1 = tuple(h[:, 0] for h in hx)
    _check(gm, tm, kind, rng.standard_normal((5, 4)).astype(np.float32), hx1)


@pytest.mark.parametrize("kind,config", CONFIGS, ids=IDS)
def test_packed_unequal_lengths_match_torch(kind, config):
    gm, tm = _pair(kind, config, seed=2)
    rng = np.random.default_rng(4)
    bf = config.get("batch_first", False)
    lengths = [3, 7, 1, 7, 5]
    x = rng.standard_normal((5, 7, 4) if bf else (7, 5, 4)).astype(np.float32)
    dirs = 2 if config.get("bidirectional") else 1
    layers = config.get("num_layers", 1)
    out = config.get("proj_size") or 5
    h0 = rng.standard_normal((layers * dirs, 5, out)).astype(np.float32)
    c0 = rng.standard_normal((layers * dirs, 5, 5)).astype(np.float32)
    _check(gm, tm, kind, x, (h0, c0) if kind == "LSTM" else (h0,), packed_lengths=lengths,
           batch_first=bf)


def test_packed_output_pads_back_to_torchs_padded_output():
    gm, tm = _pair("GRU", {"bidirectional": True})
    x = np.random.default_rng(5).standard_normal((4, 3, 4)).astype(np.float32)
    lengths = [2, 4, 1]
    go, _ = gm(U.pack_padded_sequence(gn.tensor(x), lengths, enforce_sorted=False))
    to, _ = tm(torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(x), lengths,
                                                       enforce_sorted=False))
    gp, gl = U.pad_packed_sequence(go, batch_first=True, padding_value=-1.0, total_length=6)
    tp, tl = torch.nn.utils.rnn.pad_packed_sequence(to, batch_first=True, padding_value=-1.0,
                                                    total_length=6)
    np.testing.assert_array_equal(gl.numpy(), tl.numpy())
    np.testing.assert_allclose(_np(gp), _np(tp), rtol=1e-5, atol=1e-6)
    assert np.all(_np(gp)[2, 1:] == -1.0)  # the length-1 sequence is padded after step 0


def test_packed_final_state_is_each_sequences_own_last_step():
    gm, _ = _pair("LSTM", {})
    x = np.random.default_rng(6).standard_normal((5, 2, 4)).astype(np.float32)
    _, (h, c) = gm(U.pack_padded_sequence(gn.tensor(x), [5, 3]))
    _, (h3, c3) = gm(gn.tensor(x[:3, 1:2]))
    np.testing.assert_allclose(_np(h)[:, 1], _np(h3)[:, 0], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(_np(c)[:, 1], _np(c3)[:, 0], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("kind,cells", [("RNN", (nn.RNNCell, torch.nn.RNNCell)),
                                        ("LSTM", (nn.LSTMCell, torch.nn.LSTMCell)),
                                        ("GRU", (nn.GRUCell, torch.nn.GRUCell))])
def test_cells_load_torch_weights_and_match_the_layer_step_by_step(kind, cells):
    torch.manual_seed(0)
    tc = cells[1](4, 5)
    gc = cells[0](4, 5)
    gc.load_state_dict({k: gn.tensor(v.detach().numpy()) for k, v in tc.state_dict().items()},
                       strict=True)
    assert repr(gc) == repr(tc)
    x = np.random.default_rng(7).standard_normal((3, 2, 4)).astype(np.float32)
    # A layer with the cell's weights run over 3 steps equals the cell applied 3 times.
    layer = KINDS[kind][0](4, 5)
    layer.load_state_dict({f"{k}_l0": v for k, v in gc.state_dict().items()}, strict=True)
    out, _ = layer(gn.tensor(x))
    state, tstate = None, None
    for t in range(3):
        state = gc(gn.tensor(x[t]), state)
        tstate = tc(torch.tensor(x[t]), tstate)
        h, th = (state[0], tstate[0]) if kind == "LSTM" else (state, tstate)
        np.testing.assert_allclose(_np(h), _np(th), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(_np(h), _np(out)[t], rtol=1e-5, atol=1e-6)
    single = gc(gn.tensor(x[0, 0]))  # unbatched
    first = single[0] if kind == "LSTM" else single
    assert tuple(first.shape) == (5,)
    np.testing.assert_allclose(_np(first), _np(out)[0, 0], rtol=1e-5, atol=1e-6)


# -- dropout between layers --------------------------------------------------------------
def test_dropout_one_between_layers_matches_torch_in_training_and_is_off_in_eval():
    # p = 1 zeroes the second layer's input: deterministic, so torch must agree exactly.
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.5)
    gm, tm = _pair("LSTM", {"num_layers": 2, "dropout": 1.0})
    x = np.random.default_rng(8).standard_normal((4, 2, 4)).astype(np.float32)
    gm.train()
    tm.train()
    _check(gm, tm, "LSTM", x)
    plain_g, _ = _pair("LSTM", {"num_layers": 2})
    gm.eval()
    np.testing.assert_allclose(_np(gm(gn.tensor(x))[0]), _np(plain_g(gn.tensor(x))[0]),
                               rtol=1e-6, atol=1e-7)


def test_dropout_between_layers_drops_about_p_and_scales_the_rest():
    gn.manual_seed(0)
    m = nn.RNN(2, 300, num_layers=2, dropout=0.3, bias=False)
    with gn.no_grad():  # layer 1 passes its (dropped-out) input through: tanh(x_t)
        m.weight_hh_l1.zero_()
        m.weight_ih_l1.copy_(gn.eye(300))
    first = nn.RNN(2, 300, bias=False)
    first.load_state_dict({k: v for k, v in m.state_dict().items() if k.endswith("l0")})
    x = gn.ones(1, 1, 2)
    out = _np(m(x)[0]).ravel()
    h1 = _np(first(x)[0]).ravel()
    dropped = out == 0
    assert 0.2 < dropped.mean() < 0.4  # 300 draws of p = 0.3: 4.6 standard errors
    np.testing.assert_allclose(out[~dropped], np.tanh(h1[~dropped] / 0.7), rtol=1e-5,
                               atol=1e-6)
    m.eval()
    np.testing.assert_allclose(_np(m(x)[0]).ravel(), np.tanh(h1), rtol=1e-5, atol=1e-6)


# -- batch_first and formats -----------------------------------------------------------
def test_batch_first_is_the_transpose_of_time_major():
    gm, _ = _pair("GRU", {})
    gb, _ = _pair("GRU", {"batch_first": True})
    x = np.random.default_rng(9).standard_normal((3, 6, 4)).astype(np.float32)
    ob, hb = gb(gn.tensor(x))
    ot, ht = gm(gn.tensor(x.transpose(1, 0, 2).copy()))
    np.testing.assert_allclose(_np(ob), _np(ot).transpose(1, 0, 2), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(_np(hb), _np(ht), rtol=1e-6, atol=1e-7)


def test_float64_module_keeps_float64():
    m = nn.LSTM(3, 4, dtype=gn.float64)
    out, (h, c) = m(gn.randn(2, 1, 3, dtype=gn.float64))
    assert out.dtype == h.dtype == c.dtype == np.float64


# -- packed-sequence utilities ------------------------------------------------------------
def test_pack_sequence_and_friends_match_torch():
    rng = np.random.default_rng(10)
    seqs = [rng.standard_normal((n, 2)).astype(np.float32) for n in (2, 4, 4, 1)]
    g = [gn.tensor(s) for s in seqs]
    t = [torch.tensor(s) for s in seqs]
    gp = U.pack_sequence(g, enforce_sorted=False)
    tp = torch.nn.utils.rnn.pack_sequence(t, enforce_sorted=False)
    for a, b in zip(gp, tp):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for side in ("right", "left"):
        np.testing.assert_array_equal(
            U.pad_sequence(g, batch_first=True, padding_value=9.0, padding_side=side).numpy(),
            torch.nn.utils.rnn.pad_sequence(t, batch_first=True, padding_value=9.0,
                                            padding_side=side).numpy())
    for a, b in zip(U.unpack_sequence(gp), torch.nn.utils.rnn.unpack_sequence(tp)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    padded = U.pad_sequence(g)
    for a, b in zip(U.unpad_sequence(padded, [2, 4, 4, 1]), seqs):
        np.testing.assert_array_equal(a.numpy(), b)
    assert isinstance(gp, tuple) and gp._fields == tp._fields


def test_pack_padded_sequence_accepts_a_lengths_tensor_and_sorted_input():
    x = gn.arange(12.).reshape(3, 2, 2)
    p = U.pack_padded_sequence(x, gn.tensor([3, 2]))
    assert p.sorted_indices is None and p.unsorted_indices is None
    assert p.batch_sizes.tolist() == [2, 2, 1]
    assert p.data.tolist() == [[0., 1.], [2., 3.], [4., 5.], [6., 7.], [8., 9.]]


# -- errors ------------------------------------------------------------------------------
def test_errors_name_the_function_argument_and_values():
    m = nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(ValueError, match=r"LSTM: input.size\(-1\) must be equal to "
                                         r"input_size. Expected 3, got 5"):
        m(gn.zeros(2, 1, 5))
    with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 4D"):
        m(gn.zeros(2, 1, 1, 3))
    with pytest.raises(ValueError, match=r"LSTM: expected h_0 size \(2, 1, 4\), got "
                                         r"\(1, 1, 4\)"):
        m(gn.zeros(2, 1, 3), (gn.zeros(1, 1, 4), gn.zeros(2, 1, 4)))
    with pytest.raises(TypeError, match=r"LSTM: hx must be a tuple \(h_0, c_0\)"):
        m(gn.zeros(2, 1, 3), gn.zeros(2, 1, 4))
    with pytest.raises(ValueError, match="should also be 3-D"):
        nn.GRU(3, 4)(gn.zeros(2, 1, 3), gn.zeros(1, 4))
    with pytest.raises(TypeError, match="GRU: input dtype must be float32 or float64"):
        nn.GRU(3, 4)(gn.zeros(2, 1, 3, dtype=gn.int64))
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="RNN: nonlinearity must be 'tanh' or 'relu'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.GRU(3, 4, dropout=1.5)
    with pytest.raises(ValueError, match="LSTMCell: input has inconsistent input_size: got 2"):
        nn.LSTMCell(3, 4)(gn.zeros(1, 2))
    with pytest.raises(ValueError, match="sorted in decreasing order"):
        U.pack_padded_sequence(gn.zeros(3, 2, 1), [1, 3])
    with pytest.raises(ValueError, match=r"every length must be in 1..3"):
        U.pack_padded_sequence(gn.zeros(3, 2, 1), [4, 3])
    with pytest.raises(ValueError, match="total_length must be at least"):
        U.pad_packed_sequence(U.pack_padded_sequence(gn.zeros(3, 1, 1), [3]), total_length=2)


# -- training --------------------------------------------------------------------------
def test_lstm_train_steps_reduce_the_loss_and_clipping_bounds_the_gradient():
    gn.manual_seed(0)
    m = nn.LSTM(2, 8, batch_first=True)
    head = nn.Linear(8, 1)
    params = list(m.parameters()) + list(head.parameters())
    opt = gn.optim.Adam(params, lr=0.02)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 5, 2)).astype(np.float32)
    y = x[:, 0, :1] * 0.5  # the first step's input: a memory task
    losses = []
    for _ in range(60):
        loss = nn.functional.mse_loss(head(m(gn.tensor(x))[0][:, -1]), gn.tensor(y))
        opt.zero_grad()
        loss.backward()
        norm = float(nn.utils.clip_grad_norm_(params, 0.5))
        after = math.sqrt(sum(float((p.grad.numpy() ** 2).sum()) for p in params))
        assert after <= 0.5 * (1 + 1e-4) or norm <= 0.5
        opt.step()
        losses.append(float(loss.item()))
    assert losses[-1] < 0.1 * losses[0]


# -- the sequential-MNIST model --------------------------------------------------------
def test_lstm_mnist_is_registered_and_matches_its_torch_twin():
    import importlib.util
    import pathlib

    from glassnet.models import get_model, list_models

    assert {"lstm_mnist", "gru_mnist", "rnn_mnist"} <= set(list_models())
    path = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "torch_reference.py"
    spec = importlib.util.spec_from_file_location("_torch_reference", path)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    gn.manual_seed(0)
    gm = get_model("lstm_mnist")
    tm = ref.from_glassnet("lstm_mnist", gm)
    x = np.random.default_rng(11).standard_normal((3, 1, 28, 28)).astype(np.float32)
    np.testing.assert_allclose(_np(gm(gn.tensor(x))), _np(tm(torch.tensor(x))), rtol=1e-4,
                               atol=1e-5)
    # 28 rows x (4 * 128 * (28 + 128)) weight MACs + the 128 x 10 classifier
    from glassnet.inspect import summary

    assert summary(gm, (1, 28, 28)).total_macs == 28 * 4 * 128 * (28 + 128) + 1280


def test_cli_trains_lstm_mnist_row_by_row_on_the_digits(tmp_path, capsys):
    import json

    from glassnet.cli.main import main

    rc = main(["train", "--model", "lstm_mnist", "--epochs", "3", "--out", str(tmp_path),
               "--no-progress"])
    assert rc == 0
    assert "training lstm_mnist" in capsys.readouterr().out
    test = json.loads((tmp_path / "test_metrics.json").read_text())["test"]
    assert test["accuracy"] > 0.7  # 8 rows of 8 pixels; chance is 0.1 (0.90 measured)
