"""Recurrent ops: one fused Function runs one layer of an RNN, LSTM or GRU in one
direction over every time step, with a hand-written backward (backpropagation through
time), plus the two row gathers that turn packed sequences into padded ones and back.

Every layer Function follows the same plan (PyTorch's gate order and equations, see the
docs of ``torch.nn.RNN``/``LSTM``/``GRU``):

1. the input projections of all time steps in one GEMM up front,
   ``xg = x.reshape(T * N, I) @ W_ih^T + b``;
2. one GEMM per time step for all gates, ``h_{t-1} @ W_hh^T``, then the element-wise gate
   maths on ``(N, gates * H)`` arrays (a loop over time steps only, never over the batch);
3. backward walks the steps in reverse with one GEMM per step (``dgates_t @ W_hh``), keeps
   every step's gate gradients, and finishes with one GEMM each for ``dx``, ``dW_ih`` and
   ``dW_hh`` over all steps.

Inputs are time-major, ``x: (T, N, I)``. ``lengths`` (an int array ``(N,)``, or None for
full-length sequences) marks the valid steps of each sequence: past its end a sequence's
state is carried unchanged and its output is 0, which is what a packed sequence means.
``reverse=True`` runs each sequence backwards *within its own length* (the second
direction of a bidirectional layer). The Function returns one flat array, the output
sequence ``(T, N, H_out)`` followed by ``h_n (N, H_out)`` (and ``c_n (N, H)`` for the
LSTM), which :mod:`glassnet.nn._functional.recurrent` splits with views; this keeps one
graph node per layer and direction.
"""
from __future__ import annotations

import math

import numpy as np

from glassnet.autograd import Function
from glassnet.ops import _blas
from glassnet.ops._blas import product
from glassnet.ops.kernels import lstm as _lstm

# Only Function classes and helpers live here.
__all__: list = []


def sigmoid_(a):
    """In-place logistic sigmoid of ``a``; returns ``a``."""
    # NOTE: sigmoid(x) = (1 + tanh(x / 2)) / 2 exactly; tanh never overflows, so this is
    # stable for any |x| and costs one transcendental per element.
    a *= 0.5
    np.tanh(a, out=a)
    a += 1.0
    a *= 0.5
    return a


def reversal_index(lengths, steps: int):
    """``(T, N)`` time index that reverses each sequence within its length; steps past a
    sequence's end map to themselves (an involution: applying it twice is the identity)."""
    t = np.arange(steps)[:, None]
    n = np.asarray(lengths)[None, :]
    return np.where(t < n, n - 1 - t, t)


class _Layer(Function):
    """Plumbing shared by the three layer Functions: valid-step masks, the per-sequence
    time reversal, and splitting the flat output gradient."""

    def _setup(self, x, lengths, reverse):
        steps = x.shape[0]
        self.reverse = reverse
        self.rev_index = None
        if lengths is None:
            self.mask = None
        else:
            lengths = np.asarray(lengths)
            valid = np.arange(steps)[:, None] < lengths[None, :]
            self.mask = valid[:, :, None]  # (T, N, 1) bool
            if reverse:
                self.rev_index = reversal_index(lengths, steps)
        return np.ascontiguousarray(self._order(x))

    def _order(self, seq):
        """``seq`` (T, N, F) in the direction this layer runs (and back: an involution)."""
        if not self.reverse:
            return seq
        if self.rev_index is None:
            return seq[::-1]
        return np.take_along_axis(seq, self.rev_index[:, :, None], axis=0)

    def _step_mask(self, t):
        return None if self.mask is None else self.mask[t]

    def _split(self, g, sizes):
        parts, start = [], 0
        for shape in sizes:
            n = int(math.prod(shape))
            parts.append(g[start:start + n].reshape(shape))
            start += n
        return parts

    def _weight_grads(self, d_in, d_hid, x, h_prev, w_ih, w_hh):
        """``dx, dW_ih, dW_hh, db_ih, db_hh`` from the gate gradients of every step:
        ``d_in`` (T, N, G) on the input side, ``d_hid`` on the hidden side (the same array
        except for the GRU's candidate gate)."""
        steps, batch, width = d_in.shape
        need = self.needs_input_grad
        d_in2 = d_in.reshape(steps * batch, width)
        d_hid2 = d_hid.reshape(steps * batch, width)
        dx = None
        if need[0]:
            dx = self._order(product(d_in2, w_ih).reshape(steps, batch, -1))
        dw_ih = product(d_in2.T, x.reshape(steps * batch, -1))
        dw_hh = product(d_hid2.T, h_prev.reshape(steps * batch, -1))
        return dx, dw_ih, dw_hh, d_in2.sum(axis=0), d_hid2.sum(axis=0)


def _accumulate_matmul(a, b, out):
    """``out += a @ b`` (one BLAS call with beta = 1 when NumPy's BLAS is reachable)."""
    if _blas.AVAILABLE and isinstance(out, np.ndarray) and out.dtype in (np.float32,
                                                                           np.float64):
        _blas.gemm(a, b, out, beta=1.0)
    else:
        out += a @ b


def _carry(mask, new, old):
    """The state after a step: ``new`` where the sequence is still running, else ``old``."""
    return new if mask is None else np.where(mask, new, old)


def _grad_split(mask, dh):
    """(gradient into this step's new state, gradient carried past it unchanged)."""
    if mask is None:
        return dh, None
    return dh * mask, dh * ~mask


class RNNLayer(_Layer):
    """Elman RNN layer: ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``.

    ``forward(x, h0, w_ih, w_hh[, b_ih, b_hh], nonlinearity, has_bias, lengths,
    reverse)``; ``nonlinearity`` is ``'tanh'`` or ``'relu'``.
    """

    def forward(self, x, h0, w_ih, w_hh, *bias, nonlinearity="tanh", has_bias=True,
                lengths=None, reverse=False):
        x = self._setup(x, lengths, reverse)
        steps, batch, _ = x.shape
        hidden = w_hh.shape[1]
        xg = product(x.reshape(steps * batch, -1), w_ih.T).reshape(steps, batch, hidden)
        if has_bias:
            xg += bias[0] + bias[1]
        hs = np.empty((steps + 1, batch, hidden), x.dtype)  # state fed to each step
        hs[0] = h0
        new = np.empty((steps, batch, hidden), x.dtype)  # each step's new state
        w_hh_t = np.ascontiguousarray(w_hh.T)
        for t in range(steps):
            a = xg[t]
            _accumulate_matmul(hs[t], w_hh_t, a)
            if nonlinearity == "tanh":
                np.tanh(a, out=a)
            else:
                np.maximum(a, 0, out=a)
            new[t] = a
            hs[t + 1] = _carry(self._step_mask(t), a, hs[t])
        out = new if self.mask is None else new * self.mask
        self.saved = (x, hs, new, w_ih, w_hh, nonlinearity, has_bias)
        return np.concatenate([self._order(out).ravel(), hs[steps].ravel()])

    def backward(self, g):
        x, hs, new, w_ih, w_hh, nonlinearity, has_bias = self.saved
        steps, batch, hidden = new.shape
        gy, gh = self._split(g, [(steps, batch, hidden), (batch, hidden)])
        gy = self._order(gy)
        da_all = np.empty_like(new)
        dh = np.array(gh, dtype=new.dtype)
        for t in reversed(range(steps)):
            m = self._step_mask(t)
            d_new, keep = _grad_split(m, dh)
            d_new = d_new + (gy[t] if m is None else gy[t] * m)
            h = new[t]
            # NOTE: relu's gradient at 0 is 0, as torch (threshold_backward on h > 0).
            da = d_new * (1 - h * h) if nonlinearity == "tanh" else d_new * (h > 0)
            da_all[t] = da
            dh = product(da, w_hh)
            if keep is not None:
                dh += keep
        dx, dw_ih, dw_hh, db_ih, db_hh = self._weight_grads(da_all, da_all, x, hs[:steps],
                                                            w_ih, w_hh)
        return (dx, dh, dw_ih, dw_hh) + ((db_ih, db_hh) if has_bias else ())


class LSTMLayer(_Layer):
    """LSTM layer (Hochreiter & Schmidhuber 1997, with forget gate; torch's equations):

    ``i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of (x_t W_ih^T + b_ih + h_{t-1} W_hh^T
    + b_hh)`` split in four, ``c_t = f * c_{t-1} + i * g``, ``h_t = o * tanh(c_t)``, and
    with a projection (``proj_size > 0``, Sak et al. 2014) ``h_t = (o * tanh(c_t)) W_hr^T``.

    ``forward(x, h0, c0, w_ih, w_hh[, b_ih, b_hh][, w_hr], has_bias, has_proj, lengths,
    reverse)``.

    All four gates come from one ``tanh`` over the step's ``(N, 4H)`` pre-activations:
    the rows of the i, f and o gates in ``W_ih``, ``W_hh`` and the bias are halved up front
    (a copy), since ``sigmoid(x) = (1 + tanh(x / 2)) / 2``; one multiply-add per element
    then turns those columns into sigmoids. The same ``tanh`` value ``u`` gives every
    gate's local derivative, ``(1 - u^2) / 4`` for a sigmoid and ``1 - u^2`` for ``g``,
    stored per step for the backward pass.
    """

    def forward(self, x, h0, c0, w_ih, w_hh, *rest, has_bias=True, has_proj=False,
                lengths=None, reverse=False):
        x = self._setup(x, lengths, reverse)
        steps, batch, _ = x.shape
        hidden, out_size = w_ih.shape[0] // 4, w_hh.shape[1]
        h2, h3 = 2 * hidden, 3 * hidden
        dt = x.dtype
        w_hr = rest[-1] if has_proj else None
        # Per gate column: pre-activation scale (1/2 for sigmoid gates), then a * u + b.
        scale = np.full(4 * hidden, 0.5, dt)
        scale[h2:h3] = 1.0
        shift = np.where(scale == 0.5, 0.5, 0.0).astype(dt)
        xg = product(x.reshape(steps * batch, -1), w_ih.T * scale).reshape(steps, batch, -1)
        if has_bias:
            xg += (rest[0] + rest[1]) * scale
        w_hh_t = np.ascontiguousarray(w_hh.T * scale)
        dscale = (scale * scale).astype(dt)  # d act / d pre = (1 - u^2) * scale^2 * ...
        dscale[h2:h3] = 1.0
        gates = xg  # overwritten step by step with the gate activations i, f, g, o
        deriv = np.empty_like(gates)
        hs = np.empty((steps + 1, batch, out_size), dt)
        cs = np.empty((steps + 1, batch, hidden), dt)
        hs[0], cs[0] = h0, c0
        tanh_c = np.empty((steps, batch, hidden), dt)
        r = np.empty((steps, batch, hidden), dt) if has_proj else None
        y = np.empty((steps, batch, out_size), dt) if self.mask is not None else None
        for t in range(steps):
            a, d = gates[t], deriv[t]
            _accumulate_matmul(hs[t], w_hh_t, a)
            if (not has_proj and self._step_mask(t) is None
                    and _lstm.cell_forward(a, d, scale, shift, dscale, cs[t], cs[t + 1],
                                           tanh_c[t], hs[t + 1])):
                continue
            np.tanh(a, out=a)
            np.multiply(a, a, out=d)
            np.subtract(1.0, d, out=d)
            d *= dscale
            a *= scale
            a += shift
            i, f, g, o = a[:, :hidden], a[:, hidden:h2], a[:, h2:h3], a[:, h3:]
            m = self._step_mask(t)
            c = f * cs[t]
            c += i * g
            tc = np.tanh(c, out=tanh_c[t])
            h = o * tc
            if has_proj:
                r[t] = h
                h = product(h, w_hr.T)
            if m is None:
                cs[t + 1], hs[t + 1] = c, h
            else:
                y[t] = h
                cs[t + 1] = np.where(m, c, cs[t])
                hs[t + 1] = np.where(m, h, hs[t])
        if self.mask is not None:
            y *= self.mask
        else:
            y = hs[1:]
        self.saved = (x, hs, cs, gates, deriv, tanh_c, r, w_ih, w_hh, w_hr, has_bias)
        return np.concatenate([self._order(y).ravel(), hs[steps].ravel(), cs[steps].ravel()])

    def backward(self, g):
        x, hs, cs, gates, deriv, tanh_c, r, w_ih, w_hh, w_hr, has_bias = self.saved
        steps, batch, hidden = tanh_c.shape
        out_size = hs.shape[2]
        gy, gh, gc = self._split(g, [(steps, batch, out_size), (batch, out_size),
                                     (batch, hidden)])
        gy = self._order(gy)
        dgates = np.empty_like(gates)
        d_proj = np.empty((steps, batch, out_size), hs.dtype) if w_hr is not None else None
        dh = np.array(gh, dtype=hs.dtype)
        dc = np.array(gc, dtype=hs.dtype)
        h2, h3 = 2 * hidden, 3 * hidden
        for t in reversed(range(steps)):
            m = self._step_mask(t)
            if (w_hr is None and m is None
                    and _lstm.cell_backward(dh, gy[t], dc, gates[t], tanh_c[t], cs[t],
                                            deriv[t], dgates[t])):
                dh = product(dgates[t], w_hh)
                continue
            d_h, keep_h = _grad_split(m, dh)
            d_h = d_h + (gy[t] if m is None else gy[t] * m)
            d_c, keep_c = _grad_split(m, dc)
            if w_hr is not None:
                d_proj[t] = d_h
                d_h = product(d_h, w_hr)
            a = gates[t]
            i, f, gg, o = a[:, :hidden], a[:, hidden:h2], a[:, h2:h3], a[:, h3:]
            tc = tanh_c[t]
            d = dgates[t]
            np.multiply(d_h, tc, out=d[:, h3:])
            d_tc = d_h * o
            d_tc *= 1 - tc * tc
            d_c = d_c + d_tc
            np.multiply(d_c, gg, out=d[:, :hidden])
            np.multiply(d_c, cs[t], out=d[:, hidden:h2])
            np.multiply(d_c, i, out=d[:, h2:h3])
            d *= deriv[t]
            dc = d_c * f
            dh = product(d, w_hh)
            if keep_h is not None:
                dh += keep_h
                dc += keep_c
        dx, dw_ih, dw_hh, db_ih, db_hh = self._weight_grads(dgates, dgates, x, hs[:steps],
                                                            w_ih, w_hh)
        out = (dx, dh, dc, dw_ih, dw_hh) + ((db_ih, db_hh) if has_bias else ())
        if w_hr is not None:
            out += (d_proj.reshape(steps * batch, out_size).T
                    @ r.reshape(steps * batch, hidden),)
        return out


class GRULayer(_Layer):
    """GRU layer (Cho et al. 2014; torch's equations, gates r, z, n):

    ``r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr)``, ``z`` likewise,
    ``n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))``, ``h_t = (1 - z) n + z h_{t-1}``.

    ``forward(x, h0, w_ih, w_hh[, b_ih, b_hh], has_bias, lengths, reverse)``.
    """

    def forward(self, x, h0, w_ih, w_hh, *bias, has_bias=True, lengths=None, reverse=False):
        x = self._setup(x, lengths, reverse)
        steps, batch, _ = x.shape
        hidden = w_hh.shape[1]
        h2 = 2 * hidden
        xg = product(x.reshape(steps * batch, -1), w_ih.T).reshape(steps, batch, 3 * hidden)
        if has_bias:
            xg += bias[0]
        hs = np.empty((steps + 1, batch, hidden), x.dtype)
        hs[0] = h0
        rz = np.empty((steps, batch, h2), x.dtype)
        cand = np.empty((steps, batch, hidden), x.dtype)   # n
        hn = np.empty((steps, batch, hidden), x.dtype)     # h W_hn^T + b_hn
        y = np.empty((steps, batch, hidden), x.dtype)
        w_hh_t = np.ascontiguousarray(w_hh.T)
        hg = np.empty((batch, 3 * hidden), x.dtype)
        for t in range(steps):
            if has_bias:
                hg[...] = bias[1]
                _accumulate_matmul(hs[t], w_hh_t, hg)
            else:
                np.matmul(hs[t], w_hh_t, out=hg)
            a = rz[t]
            np.add(xg[t, :, :h2], hg[:, :h2], out=a)
            sigmoid_(a)
            hn[t] = hg[:, h2:]
            n = np.tanh(xg[t, :, h2:] + a[:, :hidden] * hg[:, h2:], out=cand[t])
            h = n + a[:, hidden:] * (hs[t] - n)
            y[t] = h
            hs[t + 1] = _carry(self._step_mask(t), h, hs[t])
        if self.mask is not None:
            y *= self.mask
        self.saved = (x, hs, rz, cand, hn, w_ih, w_hh, has_bias)
        return np.concatenate([self._order(y).ravel(), hs[steps].ravel()])

    def backward(self, g):
        x, hs, rz, cand, hn, w_ih, w_hh, has_bias = self.saved
        steps, batch, hidden = cand.shape
        h2 = 2 * hidden
        gy, gh = self._split(g, [(steps, batch, hidden), (batch, hidden)])
        gy = self._order(gy)
        d_in = np.empty((steps, batch, 3 * hidden), hs.dtype)
        d_hid = np.empty_like(d_in)
        dh = np.array(gh, dtype=hs.dtype)
        for t in reversed(range(steps)):
            m = self._step_mask(t)
            d_h, keep = _grad_split(m, dh)
            d_h = d_h + (gy[t] if m is None else gy[t] * m)
            r, z, n = rz[t, :, :hidden], rz[t, :, hidden:], cand[t]
            dn = d_h * (1 - z) * (1 - n * n)
            d_in[t, :, h2:] = dn
            d_hid[t, :, h2:] = dn * r
            d_in[t, :, :hidden] = dn * hn[t] * r * (1 - r)
            d_in[t, :, hidden:h2] = d_h * (hs[t] - n) * z * (1 - z)
            d_hid[t, :, :h2] = d_in[t, :, :h2]
            dh = product(d_hid[t], w_hh)
            dh += d_h * z
            if keep is not None:
                dh += keep
        dx, dw_ih, dw_hh, db_ih, db_hh = self._weight_grads(d_in, d_hid, x, hs[:steps],
                                                            w_ih, w_hh)
        return (dx, dh, dw_ih, dw_hh) + ((db_ih, db_hh) if has_bias else ())


# ---------------------------------------------------------------------------
# Packed <-> padded: row gathers with unique indices (each row is read once)
# ---------------------------------------------------------------------------
class PadRows(Function):
    """``out.reshape(rows, *F)[index] = data``, every other row ``padding_value``: packed
    data ``(sum(lengths), *F)`` to a padded ``(T, B, *F)``. ``index`` is unique, so the
    backward is a plain gather (no accumulation)."""

    def forward(self, data, index, shape, padding_value=0.0):
        self.index = index
        rows = int(math.prod(shape[:2]))
        out = np.full((rows,) + data.shape[1:], padding_value, dtype=data.dtype)
        out[index] = data
        return out.reshape(tuple(shape[:2]) + data.shape[1:])

    def backward(self, g):
        return (g.reshape((-1,) + g.shape[2:])[self.index],)


class PackRows(Function):
    """``padded.reshape(T * B, *F)[index]``: a padded ``(T, B, *F)`` to packed data; the
    backward scatters into zeros (``index`` is unique: plain assignment)."""

    def forward(self, padded, index):
        self.index, self.shape = index, padded.shape
        return padded.reshape((-1,) + padded.shape[2:])[index]

    def backward(self, g):
        out = np.zeros((int(math.prod(self.shape[:2])),) + self.shape[2:], dtype=g.dtype)
        out[self.index] = g
        return (out.reshape(self.shape),)
