"""Op registry rows: recurrent layers, cells, packed sequences and embedding.

A layer row's ``fn(x, h0, c0, *weights, mode=..., **config)`` builds the module
(``nn.RNN``/``LSTM``/``GRU``) with ``config``, puts the sample's weight arrays in place
of its parameters (torch's order: ``weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0,
[weight_hr_l0], ..._reverse, ..._l1``) and returns one flat tensor: the output sequence
(a packed sequence's ``data`` when ``lengths`` is given), then ``h_n`` (and ``c_n``), so
that the generic tests check the gradients reaching the input, the initial states and
every parameter through outputs and final states at once. torch's side does the same
with ``torch.func.functional_call``.
"""
from __future__ import annotations

import numpy as np

import glassnet as gn
import glassnet.nn.functional as F
import glassnet.nn.utils.rnn  # noqa: F401  (gn.nn.utils.rnn, reached through ``lib``)
from glassnet.testing.op_registry import OpInfo, Sample

_GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}


def _module(lib, mode, input_size, hidden_size, config):
    kw = {k: v for k, v in config.items() if k != "lengths"}
    if mode.startswith("rnn"):
        return lib.nn.RNN(input_size, hidden_size, nonlinearity=mode[4:], **kw)
    return {"lstm": lib.nn.LSTM, "gru": lib.nn.GRU}[mode](input_size, hidden_size, **kw)


def _run(lib, mode, x, h0, c0, weights, config, module):
    lengths = config.get("lengths")
    inp = x
    if lengths is not None:
        pack = lib.nn.utils.rnn.pack_padded_sequence
        inp = pack(x, lengths, batch_first=config.get("batch_first", False),
                   enforce_sorted=False)
    hx = None if h0 is None else ((h0, c0) if mode == "lstm" else h0)
    out, h = module(inp, hx)
    if lengths is not None:
        out = out.data
    parts = [out, h[0], h[1]] if mode == "lstm" else [out, h]
    return lib.cat([p.reshape(-1) for p in parts])


def _layer_fn(mode):
    def fn(x, h0, c0, *weights, hidden_size, **config):
        m = _module(gn, mode, x.shape[-1], hidden_size, config)
        names = [n for n, _ in m.named_parameters()]
        for n, w in zip(names, weights):
            m._parameters[n] = w
        return _run(gn, mode, x, h0, c0, weights, config, m)
    return fn


def _layer_torch_fn(mode):
    def fn(torch, x, h0, c0, *weights, hidden_size, **config):
        m = _module(torch, mode, x.shape[-1], hidden_size, config).to(x.dtype)
        names = [n for n, _ in m.named_parameters()]
        m = _Functional(torch, m, dict(zip(names, weights)))
        return _run(torch, mode, x, h0, c0, weights, config, m)
    return fn


class _Functional:
    """``module(*args)`` with the given parameters (``torch.func.functional_call``)."""

    def __init__(self, torch, module, params):
        self.torch, self.module, self.params = torch, module, params

    def __call__(self, *args):
        return self.torch.func.functional_call(self.module, self.params, args)


def _weights(rng, mode, input_size, hidden_size, num_layers=1, bidirectional=False,
             bias=True, proj_size=0, **_):
    gates, dirs = _GATES[mode] * hidden_size, 2 if bidirectional else 1
    out_size = proj_size or hidden_size
    bound = 1 / np.sqrt(hidden_size)
    ws = []
    for layer in range(num_layers):
        for _d in range(dirs):
            shapes = [(gates, input_size if layer == 0 else out_size * dirs),
                      (gates, out_size)]
            shapes += [(gates,), (gates,)] if bias else []
            shapes += [(proj_size, hidden_size)] if proj_size else []
            # NOTE: weights a bit larger than torch's default init keep the gates away
            # from their linear regime, so the check exercises the nonlinearities.
            ws += [rng.uniform(-2 * bound, 2 * bound, s) for s in shapes]
    return ws


# (steps, batch, input_size, hidden_size, config, with initial states, description)
_CONFIGS = [
    (4, 1, 2, 3, {}, False, "batch 1"),
    (5, 3, 3, 2, {"bias": False}, True, "odd sizes, no bias, h0"),
    (3, 2, 2, 3, {"num_layers": 2, "bidirectional": True}, True, "2 layers, bidirectional"),
    (4, 2, 3, 2, {"batch_first": True}, True, "batch_first"),
    (4, 3, 2, 2, {"lengths": [3, 1, 4], "bidirectional": True}, True,
     "packed, unequal lengths, bidirectional"),
    (5, 3, 2, 3, {"lengths": [2, 5, 2], "num_layers": 2}, False, "packed, 2 layers"),
    (3, None, 2, 3, {}, True, "unbatched (L, H_in)"),
]


def _layer_samples(mode):
    def samples(rng):
        out = []
        configs = list(_CONFIGS)
        if mode == "lstm":
            configs += [(4, 2, 3, 3, {"proj_size": 2}, True, "proj_size"),
                        (3, 3, 2, 3, {"proj_size": 1, "bidirectional": True,
                                      "lengths": [1, 3, 2]}, True,
                         "proj_size, packed, bidirectional")]
        for steps, batch, i, h, config, states, desc in configs:
            dirs = 2 if config.get("bidirectional") else 1
            layers = config.get("num_layers", 1)
            out_size = config.get("proj_size") or h
            shape = (steps, i) if batch is None else (
                (batch, steps, i) if config.get("batch_first") else (steps, batch, i))
            x = rng.standard_normal(shape)
            lead = (layers * dirs,) if batch is None else (layers * dirs, batch)
            h0 = rng.standard_normal(lead + (out_size,)) * 0.5 if states else None
            c0 = (rng.standard_normal(lead + (h,)) * 0.5
                  if states and mode == "lstm" else None)
            ws = _weights(rng, mode, i, h, **config)
            out.append(Sample((x, h0, c0, *ws), {"hidden_size": h, **config}, desc=desc))
        return out
    return samples


# ---------------------------------------------------------------------------
# cells
# ---------------------------------------------------------------------------
_CELLS = {"rnn_cell": ("RNNCell", 1), "lstm_cell": ("LSTMCell", 4), "gru_cell": ("GRUCell", 3)}


def _cell_fn(lib, name, x, h0, c0, weights, hidden_size, nonlinearity=None, bias=True,
             torch=False):
    cls = getattr(lib.nn, _CELLS[name][0])
    kw = {"bias": bias} if nonlinearity is None else {"bias": bias,
                                                      "nonlinearity": nonlinearity}
    m = cls(x.shape[-1], hidden_size, **kw)
    names = [n for n, _ in m.named_parameters()]
    hx = None if h0 is None else ((h0, c0) if name == "lstm_cell" else h0)
    if torch:
        out = lib.func.functional_call(m.to(x.dtype), dict(zip(names, weights)), (x, hx))
    else:
        for n, w in zip(names, weights):
            m._parameters[n] = w
        out = m(x, hx)
    if name == "lstm_cell":
        return lib.cat([out[0].reshape(-1), out[1].reshape(-1)])
    return out


def _cell_samples(name):
    gates = _CELLS[name][1]

    def samples(rng):
        out = []
        for batch, i, h, kw, states, desc in [
                (1, 2, 3, {}, False, "batch 1"), (3, 3, 2, {"bias": False}, True, "no bias"),
                (4, 1, 3, {}, True, "odd sizes"), (None, 2, 3, {}, True, "unbatched"),
                (2, 3, 3, {"nonlinearity": "relu"} if name == "rnn_cell" else {}, True,
                 "relu" if name == "rnn_cell" else "batch 2")]:
            lead = () if batch is None else (batch,)
            x = rng.standard_normal(lead + (i,))
            h0 = rng.standard_normal(lead + (h,)) * 0.5 if states else None
            c0 = rng.standard_normal(lead + (h,)) * 0.5 if states and gates == 4 else None
            b = 2 / np.sqrt(h)
            ws = [rng.uniform(-b, b, (gates * h, i)), rng.uniform(-b, b, (gates * h, h))]
            if kw.get("bias", True):
                ws += [rng.uniform(-b, b, gates * h), rng.uniform(-b, b, gates * h)]
            out.append(Sample((x, h0, c0, *ws), {"hidden_size": h, **kw}, desc=desc))
        return out
    return samples


def _cell_row(name):
    return OpInfo(
        name, lambda x, h0, c0, *w, hidden_size, **kw: _cell_fn(gn, name, x, h0, c0, w,
                                                                hidden_size, **kw),
        lambda torch, x, h0, c0, *w, hidden_size, **kw: _cell_fn(
            torch, name, x, h0, c0, w, hidden_size, torch=True, **kw),
        _cell_samples(name), atol=1e-5, rtol=1e-4, grad_atol=1e-5, grad_rtol=1e-4)


# ---------------------------------------------------------------------------
# packed sequences
# ---------------------------------------------------------------------------
def _pack_samples(rng):
    return [Sample((rng.standard_normal((4, 3, 2)),), {"lengths": [4, 2, 1]}, "sorted"),
            Sample((rng.standard_normal((5, 3)),), {"lengths": [2, 5, 5],
                                                    "enforce_sorted": False}, "unsorted, ties"),
            Sample((rng.standard_normal((4, 3, 2)),), {"lengths": [1, 3, 2, 3],
                                                       "enforce_sorted": False,
                                                       "batch_first": True}, "batch_first"),
            Sample((rng.standard_normal((1, 1)),), {"lengths": [1]}, "batch 1, one step"),
            Sample((rng.standard_normal((6, 2, 1, 2)),), {"lengths": [5, 3]},
                   "longer padding than the longest sequence")]


def _pack(lib, x, lengths, batch_first=False, enforce_sorted=True):
    return lib.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=batch_first,
                                                 enforce_sorted=enforce_sorted).data


def _repad(lib, x, lengths, batch_first=False, enforce_sorted=True, total_length=None,
           padding_value=0.0):
    u = lib.nn.utils.rnn
    p = u.pack_padded_sequence(x, lengths, batch_first=batch_first,
                               enforce_sorted=enforce_sorted)
    return u.pad_packed_sequence(p, batch_first=batch_first, padding_value=padding_value,
                                 total_length=total_length)[0]


def _repad_samples(rng):
    out = _pack_samples(rng)
    out[0].kwargs["padding_value"] = -1.5
    out[4].kwargs["total_length"] = 7
    return out


def _pad_sequence(lib, *seqs, batch_first=False, padding_value=0.0, padding_side="right"):
    return lib.nn.utils.rnn.pad_sequence(list(seqs), batch_first=batch_first,
                                         padding_value=padding_value,
                                         padding_side=padding_side)


def _pad_sequence_samples(rng):
    return [Sample((rng.standard_normal((3, 2)), rng.standard_normal((1, 2))), {}, "two"),
            Sample((rng.standard_normal(4),), {"batch_first": True}, "batch 1"),
            Sample(tuple(rng.standard_normal((n, 2, 3)) for n in (2, 5, 3)),
                   {"padding_value": 2.0}, "3 sequences of (L, 2, 3)"),
            Sample(tuple(rng.standard_normal((n, 3)) for n in (1, 4)),
                   {"batch_first": True, "padding_side": "left"}, "left padding"),
            Sample(tuple(rng.standard_normal((n, 1)) for n in (3, 3, 2)),
                   {"padding_side": "left"}, "equal lengths, left")]


# ---------------------------------------------------------------------------
# embedding
# ---------------------------------------------------------------------------
def _embedding_samples(rng):
    return [Sample((np.array([[1, 2, 0, 2]]), rng.standard_normal((4, 3))), {}, "batch 1"),
            Sample((np.array([3, 3, 1, 3, 0]), rng.standard_normal((5, 2))), {},
                   "repeated indices"),
            Sample((rng.integers(0, 7, (2, 3, 5)), rng.standard_normal((7, 4))), {},
                   "3-D index"),
            Sample((np.array(2), rng.standard_normal((3, 5))), {}, "0-d index"),
            Sample((np.array([[0, 4], [4, 4]], dtype=np.int32), rng.standard_normal((5, 1))),
                   {}, "int32 index, odd sizes")]


def _embedding_options_samples(rng):
    return [Sample((np.array([3, 3, 1, 3, 0]), rng.standard_normal((5, 2))),
                   {"padding_idx": 3}, "padding_idx, repeated"),
            Sample((rng.integers(0, 7, (2, 3, 5)), rng.standard_normal((7, 4))),
                   {"scale_grad_by_freq": True}, "3-D index, scale_grad_by_freq"),
            Sample((np.array([[0, 4], [4, 4]]), rng.standard_normal((5, 1))),
                   {"padding_idx": -1, "scale_grad_by_freq": True},
                   "negative padding_idx with scale_grad_by_freq"),
            Sample((np.array([[1]]), rng.standard_normal((2, 3))), {"padding_idx": 0},
                   "batch 1, padding row unused"),
            Sample((np.array([0, 0, 0]), rng.standard_normal((1, 2))), {"padding_idx": 0},
                   "every index is padding")]


def _embedding_max_norm_samples(rng):
    w = rng.standard_normal((6, 3)) * 2
    return [Sample((np.array([[0, 1, 5]]), w), {"max_norm": 1.0}, "max_norm 1"),
            Sample((np.array([2, 2, 3]), w.copy()), {"max_norm": 0.5, "norm_type": 1.0},
                   "L1 norm"),
            Sample((np.array([4]), w.copy()), {"max_norm": 10.0}, "no row too large"),
            Sample((np.array([[0, 1], [1, 0]]), w.copy()),
                   {"max_norm": 2.0, "padding_idx": 1}, "with padding_idx"),
            Sample((np.array([5, 4, 3]), w.copy()),
                   {"max_norm": 1.5, "norm_type": 3.0, "scale_grad_by_freq": True},
                   "norm_type 3, scale_grad_by_freq")]


def _t_embedding(torch, i, w, **kw):
    return torch.nn.functional.embedding(i, w, **kw)


ROWS = [
    *[OpInfo(mode, _layer_fn(mode), _layer_torch_fn(mode), _layer_samples(mode),
             atol=1e-5, rtol=1e-4, grad_atol=1e-5, grad_rtol=1e-4) for mode in _GATES],
    *[_cell_row(name) for name in _CELLS],
    OpInfo("pack_padded_sequence", lambda x, **kw: _pack(gn, x, **kw),
           lambda torch, x, **kw: _pack(torch, x, **kw), _pack_samples),
    OpInfo("pad_packed_sequence", lambda x, **kw: _repad(gn, x, **kw),
           lambda torch, x, **kw: _repad(torch, x, **kw), _repad_samples),
    OpInfo("pad_sequence", lambda *s, **kw: _pad_sequence(gn, *s, **kw),
           lambda torch, *s, **kw: _pad_sequence(torch, *s, **kw), _pad_sequence_samples),
    OpInfo("embedding", F.embedding, _t_embedding, _embedding_samples),
    OpInfo("embedding_options", F.embedding, _t_embedding, _embedding_options_samples,
           gradcheck=False,
           notes="padding_idx zeroes a row's gradient and scale_grad_by_freq divides it by "
                 "the index count: by definition not the derivative (as torch), so only the "
                 "parity with torch is checked"),
    OpInfo("embedding_max_norm", F.embedding, _t_embedding, _embedding_max_norm_samples,
           gradcheck=False,
           notes="max_norm rescales rows in place before the lookup; the gradient ignores "
                 "the rescaling (as torch), so finite differences cannot agree; parity "
                 "(forward, renormed weight and gradient) is checked against torch"),
]
