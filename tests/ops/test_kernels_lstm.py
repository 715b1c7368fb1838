"""The LSTM step kernels (glassnet.ops.kernels.lstm) give the NumPy reference's bits,
forward and backward, in both directions and stacked; steps with a length mask or a
projection keep the NumPy path."""
import numpy as np
import pytest

import glassnet as gn
from glassnet.ops.kernels import _threads, lstm as L

pytestmark = pytest.mark.skipif(not L.available(), reason="numba not installed")


def _run(dtype, lengths=None, **kw):
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((5, 7, 9)).astype(dtype)
    gn.manual_seed(0)
    m = gn.nn.LSTM(9, 6, batch_first=True, **kw)
    m = m.double() if dtype == np.float64 else m
    x = gn.tensor(x0, requires_grad=True)
    inp = x
    if lengths is not None:
        inp = gn.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True,
                                                   enforce_sorted=False)
    y, (h, c) = m(inp)
    if lengths is not None:
        y = gn.nn.utils.rnn.pad_packed_sequence(y, batch_first=True)[0]
    (y.square().sum() + h.sum() + 2 * c.sum()).backward()
    return [y.detach().numpy(), x.grad.numpy()] + [p.grad.numpy() for p in m.parameters()]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kw", [{}, {"bidirectional": True, "num_layers": 2}],
                         ids=["one-layer", "bidirectional-stacked"])
def test_lstm_step_kernels_give_the_reference_bits(dtype, kw):
    calls = []
    orig_f, orig_b = L.cell_forward, L.cell_backward
    L.cell_forward = lambda *a: calls.append("f") or orig_f(*a)
    L.cell_backward = lambda *a: calls.append("b") or orig_b(*a)
    try:
        fast = _run(dtype, **kw)
    finally:
        L.cell_forward, L.cell_backward = orig_f, orig_b
    assert calls.count("f") >= 7 and calls.count("b") >= 7  # every step took them
    with _threads.disabled():
        ref = _run(dtype, **kw)
    for a, b in zip(fast, ref):
        assert a.dtype == b.dtype and np.array_equal(a, b)


@pytest.mark.parametrize("case", ["lengths", "proj_size"])
def test_masked_or_projected_steps_keep_the_numpy_path(case):
    taken = []
    orig = L._ok
    L._ok = lambda *a: taken.append(1) or orig(*a)
    try:
        if case == "lengths":
            _run(np.float32, lengths=[7, 3, 5, 7, 1])
        else:
            _run(np.float32, proj_size=4)
    finally:
        L._ok = orig
    assert not taken
