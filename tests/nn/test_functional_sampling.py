"""interpolate / pixel_shuffle tests beyond the op registry: known answers, adjointness,
a randomized sweep against PyTorch, and error messages."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.nn import functional as F


def test_interpolate_known_answers():
    x = gn.tensor([[[0., 1.]]])
    assert F.interpolate(x, scale_factor=2).tolist() == [[[0.0, 0.0, 1.0, 1.0]]]
    # half-pixel centres, clamped at 0: src = (dst + 0.5) / 2 - 0.5
    assert F.interpolate(x, scale_factor=2, mode="linear").tolist() == \
        [[[0.0, 0.25, 0.75, 1.0]]]
    # align_corners: the end points map onto each other
    out = F.interpolate(x, size=5, mode="linear", align_corners=True)
    np.testing.assert_allclose(out.data, [[[0.0, 0.25, 0.5, 0.75, 1.0]]])
    # nearest uses floor(dst * in / out); nearest-exact the pixel centres
    y = gn.arange(3.).reshape(1, 1, 3)
    assert F.interpolate(y, size=2).tolist() == [[[0.0, 1.0]]]
    assert F.interpolate(y, size=2, mode="nearest-exact").tolist() == [[[0.0, 2.0]]]


def test_interpolate_float32_and_aliases():
    x = gn.randn(1, 2, 3, 4, requires_grad=True)
    out = F.upsample_bilinear(x, scale_factor=2)
    ref = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
    assert out.dtype == gn.float32 and out.shape == (1, 2, 6, 8)
    np.testing.assert_array_equal(out.data, ref.data)
    np.testing.assert_array_equal(F.upsample_nearest(x, size=(5, 5)).data,
                                  F.interpolate(x, size=(5, 5)).data)
    np.testing.assert_array_equal(F.upsample(x, scale_factor=3).data,
                                  F.interpolate(x, scale_factor=3).data)
    out.sum().backward()
    assert x.grad.dtype == gn.float32


@pytest.mark.parametrize("shape,mode,align_corners,kwargs", [
    # 3 -> 6 with factor 2.159: torch's 1-D backward (dst // 2) disagrees with its forward
    # (floor(dst / 2.159)); ours is the exact adjoint of the forward.
    ((2, 3, 3), "nearest", None, {"scale_factor": 2.159}),
    ((2, 3, 5, 4), "nearest", None, {"size": (7, 3)}),
    ((2, 3, 5, 4), "bilinear", False, {"scale_factor": (1.7, 0.6)}),
    ((2, 3, 5, 4), "bilinear", True, {"size": (2, 9)}),
    ((2, 3, 3), "linear", False, {"size": 13}),
])
def test_interpolate_backward_is_adjoint_of_forward(shape, mode, align_corners, kwargs):
    rng = np.random.default_rng(0)
    x = gn.tensor(rng.standard_normal(shape), dtype=gn.float64, requires_grad=True)
    out = F.interpolate(x, mode=mode, align_corners=align_corners, **kwargs)
    y = rng.standard_normal(out.shape)
    out.backward(gn.tensor(y, dtype=gn.float64))
    np.testing.assert_allclose(float((out.data * y).sum()), float((x.data * x.grad.data).sum()),
                               rtol=1e-10)


def test_interpolate_random_sweep_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    for trial in range(120):
        nd = 1 + trial % 2
        mode = ["nearest", "nearest-exact", "area", "linear" if nd == 1 else "bilinear",
                "linear" if nd == 1 else "bilinear"][trial // 2 % 5]
        align = None if mode in ("nearest", "nearest-exact", "area") else bool(trial % 3)
        in_size = tuple(int(v) for v in rng.integers(1, 16, nd))
        if trial % 4 < 2:
            kwargs = {"size": tuple(int(v) for v in rng.integers(1, 20, nd))}
        else:
            factors = tuple(float(np.round(rng.uniform(0.4, 3.0), 3)) for _ in range(nd))
            if any(int(s * f) < 1 for s, f in zip(in_size, factors)):
                continue
            if nd == 1 and mode == "nearest" and int(in_size[0] * factors[0]) in (
                    in_size[0], 2 * in_size[0]):
                continue  # torch's 1-D backward is inconsistent with its forward here
            kwargs = {"scale_factor": factors}
        x = rng.standard_normal((2, 2) + in_size).astype(np.float32)
        gx = gn.tensor(x, requires_grad=True)
        tx = torch.tensor(x, requires_grad=True)
        out = F.interpolate(gx, mode=mode, align_corners=align, **kwargs)
        tout = torch.nn.functional.interpolate(tx, mode=mode, align_corners=align, **kwargs)
        msg = f"{mode} align_corners={align} {in_size} {kwargs}"
        assert tuple(out.shape) == tuple(tout.shape), msg
        np.testing.assert_allclose(out.data, tout.detach().numpy(), atol=1e-5, err_msg=msg)
        cot = rng.standard_normal(out.shape).astype(np.float32)
        out.backward(gn.tensor(cot))
        tout.backward(torch.tensor(cot))
        np.testing.assert_allclose(gx.grad.data, tx.grad.numpy(), atol=1e-4, err_msg=msg)


def test_pixel_shuffle_round_trip():
    x = gn.randn(2, 3, 4, 6)
    y = F.pixel_unshuffle(x, 2)
    assert y.shape == (2, 12, 2, 3)
    np.testing.assert_array_equal(F.pixel_shuffle(y, 2).data, x.data)


def test_sampling_errors():
    x = gn.ones(1, 2, 4, 4)
    with pytest.raises(ValueError, match=r"interpolate: give exactly one of size and "
                                         r"scale_factor"):
        F.interpolate(x, size=3, scale_factor=2)
    with pytest.raises(ValueError, match=r"interpolate: align_corners option can only be set "
                                         r"with the interpolating modes"):
        F.interpolate(x, size=3, align_corners=True)
    with pytest.raises(ValueError, match=r"interpolate: mode 'bilinear' needs a 4-D input"):
        F.interpolate(gn.ones(1, 2, 4), size=3, mode="bilinear")
    with pytest.raises(ValueError, match=r"interpolate: size must have 2 elements"):
        F.interpolate(x, size=(3, 3, 3))
    with pytest.raises(ValueError, match=r"interpolate: mode must be one of"):
        F.interpolate(x, size=3, mode="cubic")
    with pytest.raises(NotImplementedError, match=r"interpolate: mode 'bicubic'"):
        F.interpolate(x, size=3, mode="bicubic")
    with pytest.raises(ValueError, match=r"pixel_shuffle: input channels \(2\) must be "
                                         r"divisible by upscale_factor\^2 = 4"):
        F.pixel_shuffle(x, 2)
    with pytest.raises(ValueError, match=r"pixel_unshuffle: height \(4\) and width \(4\) "
                                         r"must be divisible by downscale_factor=3"):
        F.pixel_unshuffle(x, 3)
