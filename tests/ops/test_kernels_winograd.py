"""Winograd F(2x2, 3x3)'s data transforms through the compiled kernels
(glassnet.ops.kernels.winograd) give the NumPy stages' values bit for bit: the forward,
the input gradient (a forward with the flipped kernel), the weight gradient and the
transformed tiles themselves; torch agrees with the layer."""
import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F
from glassnet.ops import _conv_winograd as wg
from glassnet.ops._conv_engine import use_algorithm
from glassnet.ops.kernels import _threads, winograd as K

pytestmark = pytest.mark.skipif(not K.available(), reason="numba not installed")

# (N, C, O, H, W, padding (top/bottom, left/right), groups): odd and tiny planes, batch 1,
# no padding, more padding than the kernel, uneven padding, groups
CASES = [(1, 3, 5, 7, 9, (1, 1), 1), (2, 4, 6, 8, 8, (1, 1), 2), (3, 2, 2, 5, 6, (0, 0), 1),
         (2, 3, 4, 6, 5, (2, 2), 1), (1, 2, 2, 3, 3, (1, 1), 1), (1, 1, 1, 4, 7, (3, 0), 1),
         (2, 6, 3, 1, 2, (2, 1), 3)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES)
def test_forward_and_gradients_are_the_numpy_stages_bit_for_bit(case, dtype):
    n, c, o, h, w, pad, groups = case
    rng = np.random.default_rng(5)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    wt = rng.standard_normal((o, c // groups, 3, 3)).astype(dtype)
    fast = wg.winograd_conv2d(x, wt, pad, groups=groups)
    gy = rng.standard_normal(fast.shape).astype(dtype)
    fast_gx = wg.winograd_conv2d_input_grad(gy, wt, x.shape, pad, groups=groups)
    fast_gw = wg.winograd_conv2d_weight_grad(gy, x, wt.shape, pad, groups=groups)
    with _threads.disabled():
        ref = wg.winograd_conv2d(x, wt, pad, groups=groups)
        ref_gx = wg.winograd_conv2d_input_grad(gy, wt, x.shape, pad, groups=groups)
        ref_gw = wg.winograd_conv2d_weight_grad(gy, x, wt.shape, pad, groups=groups)
    assert fast.dtype == dtype and np.array_equal(fast, ref)
    assert np.array_equal(fast_gx, ref_gx)
    assert np.array_equal(fast_gw, ref_gw)


@pytest.mark.parametrize("pads", [(1, 1), (0, 2), (-1, -1), (2, -1), (0, -3)])
def test_the_tiles_are_the_numpy_transforms(pads):
    # negative pads crop (the input gradient of a conv padded by more than 2)
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3, 9, 8)).astype(np.float32)
    ho, wo, th, tw = wg._geometry(9, 8, pads, 2)
    wq, L = tw + 1, th * (tw + 1)
    v = np.full((4, 4, 3, 2, L), np.nan, np.float32)
    K.input_tiles(x, v, pads, th, wq)
    with _threads.disabled():
        xq = np.empty((2, 2, 3, 2, th + 1, wq), np.float32)
        wg._phase_copy(xq, x, pads, 2)
        ref = wg._input_transform(xq, 2, th, wg._Workspace(np.float32))
    tiles = v.reshape(4, 4, 3, 2, th, wq)
    # the last tile of each row is the canvas' garbage column: zero here
    assert np.array_equal(tiles[..., :tw], ref.reshape(tiles.shape)[..., :tw])
    assert not tiles[..., tw].any()
    mt = rng.standard_normal((4, 4, 5, 2, L)).astype(np.float32)
    y = np.full((2, 5, ho, wo), np.nan, np.float32)
    K.output_tiles(mt, y, wq)
    want = np.empty_like(y)
    wg._scatter_tiles(want, wg._output_transform(mt, 2, wg._Workspace(np.float32)), 2, th,
                      wq)
    assert np.array_equal(y, want)
    # the output gradient's blocks (odd sizes: the last row/column of blocks is cut)
    gy = rng.standard_normal((2, 5, ho, wo)).astype(np.float32)
    wt = np.full((4, 4, 5, 2, L), np.nan, np.float32)
    K.grad_tiles(gy, wt, th, wq)
    gq = np.empty((2, 2, 5, 2, th, wq), np.float32)
    wg._phase_copy(gq, gy, (0, 0), 2)
    ref = wg._grad_transform(gq, 2, wg._Workspace(np.float32)).reshape(wt.shape)
    assert np.array_equal(wt, ref)  # its garbage column is zero too


def test_the_layer_matches_torch_through_the_kernels():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 8, 7, 10)).astype(np.float32)
    w = (rng.standard_normal((6, 8, 3, 3)) * 0.2).astype(np.float32)
    tx = gn.tensor(x, requires_grad=True)
    tw_ = gn.tensor(w, requires_grad=True)
    with use_algorithm("winograd"):
        y = F.conv2d(tx, tw_, padding=1)
    gy = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(gn.tensor(gy))
    torch = pytest.importorskip("torch")
    rx = torch.tensor(x, requires_grad=True)
    rw = torch.tensor(w, requires_grad=True)
    ry = torch.nn.functional.conv2d(rx, rw, padding=1)
    ry.backward(torch.tensor(gy))
    np.testing.assert_allclose(y.detach().numpy(), ry.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(tx.grad.numpy(), rx.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(tw_.grad.numpy(), rw.grad.numpy(), rtol=1e-4, atol=1e-4)
