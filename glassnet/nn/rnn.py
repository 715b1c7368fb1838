"""Recurrent layers (``torch.nn.RNN``, ``LSTM``, ``GRU``) and cells (``RNNCell``,
``LSTMCell``, ``GRUCell``) with torch's constructor arguments, parameter names, shapes,
order and default initialisation, so a torch ``state_dict`` loads with ``strict=True`` and
gives the same outputs.

Each layer and direction runs as one fused Function over all time steps
(:mod:`glassnet.ops.recurrent`): the input projections of every step in one GEMM, one GEMM
per step for all gates, and a hand-written backpropagation through time. Packed sequences
(:mod:`glassnet.nn.utils.rnn`) are accepted by the three layers.
"""
from __future__ import annotations

import math
import numbers
import warnings

from glassnet._checks import check_float, check_tensor
from glassnet._creation import zeros
from glassnet.nn import init
from glassnet.nn._functional.recurrent import GATES, rnn_layer, rnn_stack
from glassnet.nn._layer_checks import _check_int, _factory_dtype
from glassnet.nn.module import Module, Parameter
from glassnet.nn.utils.rnn import PackedSequence, _lengths_from_batch_sizes, _packed_index
from glassnet.ops.recurrent import PackRows, PadRows

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


class RNNBase(Module):
    """Base class of :class:`RNN`, :class:`LSTM` and :class:`GRU` (``torch.nn.RNNBase``).

    Parameters
    ----------
    mode : str
        ``'RNN_TANH'``, ``'RNN_RELU'``, ``'LSTM'`` or ``'GRU'``.
    input_size, hidden_size : int
    num_layers : int
        Stacked layers; layer ``k > 0`` reads layer ``k - 1``'s output.
    bias : bool
        Learn ``b_ih`` and ``b_hh``.
    batch_first : bool
        Input and output are ``(N, L, *)`` instead of ``(L, N, *)`` (states are not).
    dropout : float
        Dropout probability on the outputs of every layer but the last (training only).
    bidirectional : bool
        A second layer per level reads the sequence backwards; outputs are concatenated.
    proj_size : int
        LSTM only: project ``h`` to ``proj_size`` features (Sak et al. 2014).

    Attributes
    ----------
    weight_ih_l[k], weight_hh_l[k], bias_ih_l[k], bias_hh_l[k], weight_hr_l[k] : Parameter
        ``_reverse`` suffix for the second direction. ``weight_ih_l0``:
        ``(gates * hidden_size, input_size)``, deeper layers ``(gates * hidden_size,
        D * H_out)``; ``weight_hh``: ``(gates * hidden_size, H_out)``; biases
        ``(gates * hidden_size,)``; ``weight_hr``: ``(proj_size, hidden_size)``. Gates:
        1 (RNN), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n). Every parameter is initialised
        from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as torch.
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None, dtype=None):
        super().__init__()
        name = {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(mode, mode)
        if mode not in GATES:
            raise ValueError(f"{name}: mode must be one of {', '.join(GATES)}, got {mode!r}")
        dt = _factory_dtype(dtype, device, name)
        self.mode = mode
        self.input_size = _check_int(input_size, "input_size", name, 0)
        self.hidden_size = _check_int(hidden_size, "hidden_size", name, 1)
        self.num_layers = _check_int(num_layers, "num_layers", name, 1)
        self.proj_size = _check_int(proj_size, "proj_size", name, 0)
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) \
                or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout should be a number in range [0, 1] "
                             f"representing the probability of an element being zeroed, got "
                             f"{dropout!r}")
        if self.proj_size and mode != "LSTM":
            raise ValueError(f"{name}: proj_size argument is only supported for LSTM, not "
                             f"RNN or GRU, got proj_size={proj_size}")
        if self.proj_size >= self.hidden_size:
            raise ValueError(f"{name}: proj_size has to be smaller than hidden_size, got "
                             f"proj_size={proj_size} and hidden_size={hidden_size}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"dropout option adds dropout after all but last recurrent layer, "
                          f"so non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        dirs = 2 if bidirectional else 1
        gate_size = GATES[mode] * hidden_size
        real_hidden = self.proj_size or hidden_size
        self._flat_weights_names, self._all_weights = [], []
        for layer in range(num_layers):
            for d in range(dirs):
                layer_in = input_size if layer == 0 else real_hidden * dirs
                suffix = "_reverse" if d == 1 else ""
                shapes = [("weight_ih", (gate_size, layer_in)),
                          ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if self.proj_size:
                    shapes.append(("weight_hr", (self.proj_size, hidden_size)))
                names = []
                for base, shape in shapes:
                    pname = f"{base}_l{layer}{suffix}"
                    setattr(self, pname, Parameter(zeros(*shape, dtype=dt)))
                    names.append(pname)
                self._flat_weights_names += names
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        """The parameters per layer and direction, as torch's ``all_weights``."""
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """No-op (torch compacts cuDNN weights here; glassnet's are always usable)."""

    @property
    def _name(self) -> str:
        return type(self).__name__

    def _check_state(self, h, shape, what):
        check_float(h, what, self._name)
        if tuple(h.shape) != tuple(shape):
            raise ValueError(f"{self._name}: expected {what} size {tuple(shape)}, got "
                             f"{tuple(h.shape)}")

    def forward(self, input, hx=None):
        """Run the recurrent stack.

        Parameters
        ----------
        input : Tensor ``(L, N, H_in)`` (``(N, L, H_in)`` with ``batch_first``), an
            unbatched ``(L, H_in)``, or a :class:`PackedSequence`
        hx : Tensor ``(D * num_layers, N, H_out)`` (LSTM: a tuple ``(h_0, c_0)``, ``c_0``
            of shape ``(D * num_layers, N, hidden_size)``); unbatched inputs take states
            without the ``N`` dimension; zeros when None.

        Returns
        -------
        output : Tensor ``(L, N, D * H_out)`` (or a PackedSequence for packed input)
        h_n : Tensor ``(D * num_layers, N, H_out)`` (LSTM: ``(h_n, c_n)``)

        ``D`` is 2 when bidirectional, else 1; ``H_out`` is ``proj_size`` if > 0, else
        ``hidden_size``. For packed input, ``h_n`` is the state after each sequence's
        own last step, in the original batch order.
        """
        name, is_lstm = self._name, self.mode == "LSTM"
        packed = isinstance(input, PackedSequence)
        lengths = sorted_indices = None
        if packed:
            data, batch_sizes = input.data, input.batch_sizes.numpy()
            check_float(data, "input.data", name)
            batch = int(batch_sizes[0])
            x = PadRows.apply(data, index=_packed_index(batch_sizes, batch),
                              shape=(len(batch_sizes), batch))
            lengths = _lengths_from_batch_sizes(batch_sizes)
            sorted_indices = input.sorted_indices
            batched = True
        else:
            check_float(input, "input", name)
            if input.ndim not in (2, 3):
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got "
                                 f"{input.ndim}D tensor instead (shape {tuple(input.shape)})")
            batched = input.ndim == 3
            x = input if batched else input.unsqueeze(1)
            if batched and self.batch_first:
                x = x.transpose(0, 1)
        if x.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input.size(-1) must be equal to input_size. Expected "
                             f"{self.input_size}, got {x.shape[-1]}")
        batch = x.shape[1]
        dirs = 2 if self.bidirectional else 1
        h_shape = (self.num_layers * dirs, batch, self.proj_size or self.hidden_size)
        c_shape = (self.num_layers * dirs, batch, self.hidden_size)
        if hx is None:
            h0 = zeros(*h_shape, dtype=x.dtype)
            c0 = zeros(*c_shape, dtype=x.dtype) if is_lstm else None
        else:
            if is_lstm:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise TypeError(f"{name}: hx must be a tuple (h_0, c_0), got "
                                    f"{type(hx).__name__}")
                h0, c0 = hx
            else:
                h0, c0 = hx, None
            states = [("h_0" if is_lstm else "hx", h0)] + ([("c_0", c0)] if is_lstm else [])
            for what, h in states:
                check_tensor(h, what, name)
                want = 3 if batched else 2
                if h.ndim != want:
                    kind = "batched 3-D" if batched else "unbatched 2-D"
                    raise ValueError(f"{name}: for {kind} input, {what} should also be "
                                     f"{want}-D but got {h.ndim}-D tensor (shape "
                                     f"{tuple(h.shape)})")
            if not batched:
                h0 = h0.unsqueeze(1)
                c0 = c0.unsqueeze(1) if is_lstm else None
            if sorted_indices is not None:
                h0 = h0.index_select(1, sorted_indices)
                c0 = c0.index_select(1, sorted_indices) if is_lstm else None
            self._check_state(h0, h_shape, "h_0" if is_lstm else "hidden")
            if is_lstm:
                self._check_state(c0, c_shape, "c_0")
        weights = [tuple(getattr(self, n) for n in names) for names in self._all_weights]
        out, h_n, c_n = rnn_stack(self.mode, x, h0, c0, weights, self.num_layers,
                                  self.bidirectional, self.bias, dropout=self.dropout,
                                  training=self.training, lengths=lengths)
        if packed:
            out = PackedSequence(PackRows.apply(out, index=_packed_index(batch_sizes, batch)),
                                 input.batch_sizes, input.sorted_indices,
                                 input.unsorted_indices)
            if input.unsorted_indices is not None:
                h_n = h_n.index_select(1, input.unsorted_indices)
                c_n = c_n.index_select(1, input.unsorted_indices) if is_lstm else None
        elif not batched:
            out, h_n = out.squeeze(1), h_n.squeeze(1)
            c_n = c_n.squeeze(1) if is_lstm else None
        elif self.batch_first:
            out = out.transpose(0, 1)
        return (out, (h_n, c_n)) if is_lstm else (out, h_n)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    """Elman RNN, ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or ReLU)
    (``torch.nn.RNN``). Arguments and shapes as :class:`RNNBase`; ``nonlinearity`` is
    ``'tanh'`` (default) or ``'relu'``.

    Examples
    --------
    >>> import glassnet, glassnet.nn as nn
    >>> out, h_n = nn.RNN(4, 3, num_layers=2)(glassnet.randn(5, 2, 4))
    >>> tuple(out.shape), tuple(h_n.shape)
    ((5, 2, 3), (2, 2, 3))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got "
                             f"{nonlinearity!r}")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         0, device, dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory (Hochreiter & Schmidhuber 1997; ``torch.nn.LSTM``):

    ``i, f, g, o = sigma, sigma, tanh, sigma (x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``,
    ``c_t = f c_{t-1} + i g``, ``h_t = o tanh(c_t)`` (times ``W_hr^T`` if ``proj_size``).
    The cell state's additive update is what lets gradients survive long spans.
    Arguments and shapes as :class:`RNNBase`; ``hx`` and the state output are tuples
    ``(h, c)``.

    Examples
    --------
    >>> import glassnet, glassnet.nn as nn
    >>> out, (h_n, c_n) = nn.LSTM(4, 6, proj_size=3, batch_first=True)(glassnet.randn(2, 5, 4))
    >>> tuple(out.shape), tuple(h_n.shape), tuple(c_n.shape)
    ((2, 5, 3), (1, 2, 3), (1, 2, 6))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit (Cho et al. 2014; ``torch.nn.GRU``):

    ``r, z = sigma(x_t W_i{r,z}^T + b_i{r,z} + h_{t-1} W_h{r,z}^T + b_h{r,z})``,
    ``n = tanh(x_t W_in^T + b_in + r (h_{t-1} W_hn^T + b_hn))``,
    ``h_t = (1 - z) n + z h_{t-1}``. Arguments and shapes as :class:`RNNBase`.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, 0, device, dtype)


# ---------------------------------------------------------------------------
# Cells: one time step
# ---------------------------------------------------------------------------
class RNNCellBase(Module):
    """Base class of the cells: ``weight_ih (chunks * hidden_size, input_size)``,
    ``weight_hh (chunks * hidden_size, hidden_size)``, ``bias_ih``, ``bias_hh``
    ``(chunks * hidden_size,)``, all from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""

    _mode = "RNN_TANH"

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        dt = _factory_dtype(dtype, device, name)
        self.input_size = _check_int(input_size, "input_size", name, 0)
        self.hidden_size = _check_int(hidden_size, "hidden_size", name, 1)
        self.bias = bool(bias)
        self.weight_ih = Parameter(zeros(num_chunks * hidden_size, input_size, dtype=dt))
        self.weight_hh = Parameter(zeros(num_chunks * hidden_size, hidden_size, dtype=dt))
        if bias:
            self.bias_ih = Parameter(zeros(num_chunks * hidden_size, dtype=dt))
            self.bias_hh = Parameter(zeros(num_chunks * hidden_size, dtype=dt))
        else:
            self.bias_ih = self.bias_hh = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _inputs(self, input, states):
        """(x ``(1, N, I)``, states ``(N, H)`` each, batched?) after validation."""
        name = type(self).__name__
        check_float(input, "input", name)
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D "
                             f"instead (shape {tuple(input.shape)})")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input has inconsistent input_size: got "
                             f"{input.shape[-1]}, expected {self.input_size}")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        out = []
        for what, h in states:
            if h is None:
                h = zeros(x.shape[0], self.hidden_size, dtype=x.dtype)
            else:
                check_float(h, what, name)
                if h.ndim != input.ndim:
                    raise ValueError(f"{name}: {what} must be {input.ndim}-D like input, got "
                                     f"shape {tuple(h.shape)}")
                h = h if batched else h.unsqueeze(0)
                if tuple(h.shape) != (x.shape[0], self.hidden_size):
                    raise ValueError(f"{name}: {what} must have shape ({x.shape[0]}, "
                                     f"{self.hidden_size}), got {tuple(h.shape)}")
            out.append(h)
        return x.unsqueeze(0), out, batched

    def _weights(self):
        w = (self.weight_ih, self.weight_hh)
        return w + ((self.bias_ih, self.bias_hh) if self.bias else ())

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"  # unquoted, as torch
        return s


class RNNCell(RNNCellBase):
    """One Elman RNN step, ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or ReLU)
    (``torch.nn.RNNCell``).

    Shape: input ``(N, input_size)`` or ``(input_size,)``; hx and output ``(N,
    hidden_size)`` or ``(hidden_size,)`` (hx zeros when None).
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got "
                             f"{nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, (h,), batched = self._inputs(input, [("hx", hx)])
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        _, h, _ = rnn_layer(mode, x, h, None, self._weights(), self.bias)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step (``torch.nn.LSTMCell``): returns ``(h', c')``.

    Shape: input ``(N, input_size)`` or ``(input_size,)``; hx a tuple ``(h, c)`` of
    ``(N, hidden_size)`` (or ``(hidden_size,)``) tensors, zeros when None.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        if hx is None:
            hx = (None, None)
        elif not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError(f"LSTMCell: hx must be a tuple (h, c), got {type(hx).__name__}")
        x, (h, c), batched = self._inputs(input, [("hx[0]", hx[0]), ("hx[1]", hx[1])])
        _, h, c = rnn_layer("LSTM", x, h, c, self._weights(), self.bias)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step (``torch.nn.GRUCell``). Shapes as :class:`RNNCell`."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        x, (h,), batched = self._inputs(input, [("hx", hx)])
        _, h, _ = rnn_layer("GRU", x, h, None, self._weights(), self.bias)
        return h if batched else h.squeeze(0)

