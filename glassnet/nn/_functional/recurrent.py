"""The stacked recurrent computation behind ``nn.RNN``/``LSTM``/``GRU`` and their cells.

torch.nn.functional has no public recurrent functions, so nothing here is exported to
``glassnet.nn.functional``; the modules of :mod:`glassnet.nn.rnn` validate their inputs
and call :func:`rnn_stack` (a Python loop over layers and directions; each layer and
direction is one fused :mod:`glassnet.ops.recurrent` Function over all time steps).
"""
from __future__ import annotations

from glassnet.nn._functional.dropout import dropout as _dropout
from glassnet.ops.recurrent import GRULayer, LSTMLayer, RNNLayer
from glassnet.ops.shape import cat, stack

__all__: list = []

MODES = ("RNN_TANH", "RNN_RELU", "LSTM", "GRU")
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _split(flat, sizes):
    """Views of a layer Function's flat output: ``[(shape), ...]`` in order."""
    parts, start = [], 0
    for shape in sizes:
        n = 1
        for s in shape:
            n *= s
        parts.append(flat[start:start + n].reshape(*shape))
        start += n
    return parts


def rnn_layer(mode, x, h0, c0, weights, has_bias, lengths=None, reverse=False):
    """One layer in one direction: ``(output (T, N, H_out), h_n (N, H_out), c_n or None)``.

    ``x`` is time-major ``(T, N, I)``; ``weights`` is ``(w_ih, w_hh[, b_ih, b_hh][, w_hr])``
    in torch's order; ``lengths`` (int array, or None) the valid steps per sequence.
    """
    steps, batch = x.shape[0], x.shape[1]
    out_size = weights[1].shape[1]
    if mode == "LSTM":
        has_proj = len(weights) == (5 if has_bias else 3)
        flat = LSTMLayer.apply(x, h0, c0, *weights, has_bias=has_bias, has_proj=has_proj,
                               lengths=lengths, reverse=reverse)
        hidden = weights[0].shape[0] // 4
        return tuple(_split(flat, [(steps, batch, out_size), (batch, out_size),
                                   (batch, hidden)]))
    if mode == "GRU":
        flat = GRULayer.apply(x, h0, *weights, has_bias=has_bias, lengths=lengths,
                              reverse=reverse)
    else:
        flat = RNNLayer.apply(x, h0, *weights, has_bias=has_bias, lengths=lengths,
                              reverse=reverse,
                              nonlinearity="tanh" if mode == "RNN_TANH" else "relu")
    y, h = _split(flat, [(steps, batch, out_size), (batch, out_size)])
    return y, h, None


def rnn_stack(mode, x, hx, cx, weights, num_layers, bidirectional, has_bias, dropout=0.0,
              training=False, lengths=None):
    """A stack of ``num_layers`` recurrent layers (torch's multi-layer semantics).

    Parameters
    ----------
    mode : str
        One of ``RNN_TANH``, ``RNN_RELU``, ``LSTM``, ``GRU``.
    x : Tensor ``(T, N, I)``
        Time-major input.
    hx : Tensor ``(num_layers * D, N, H_out)``; cx : Tensor ``(num_layers * D, N, H)`` or None
        Initial states (``cx`` for the LSTM only); row ``layer * D + direction``.
    weights : list of tuples
        One ``(w_ih, w_hh[, b_ih, b_hh][, w_hr])`` per layer and direction, same order.
    dropout : float
        Dropout on the outputs of every layer but the last, when ``training``.
    lengths : int array ``(N,)`` or None
        Valid steps per sequence (packed input).

    Returns
    -------
    (output ``(T, N, D * H_out)``, h_n ``(num_layers * D, N, H_out)``, c_n or None)
    """
    dirs = 2 if bidirectional else 1
    hs, cs = [], []
    for layer in range(num_layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            y, h, c = rnn_layer(mode, x, hx[k], None if cx is None else cx[k], weights[k],
                                has_bias, lengths=lengths, reverse=d == 1)
            outs.append(y)
            hs.append(h)
            cs.append(c)
        x = outs[0] if dirs == 1 else cat(outs, dim=2)
        if dropout > 0 and training and layer < num_layers - 1:
            x = _dropout(x, dropout, training=True)
    return x, stack(hs, 0), (None if cx is None else stack(cs, 0))
