"""Elementwise ops: gradients PyTorch defines by convention (nan_to_num, fmod, remainder,
rounding, fmax ties), dtype rules and the in-place variants, compared with torch."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn

torch = pytest.importorskip("torch")


def _grads(fn, *arrays):
    """``fn``'s output and input gradients (cotangent of ones) in glassnet and torch."""
    gx = [gn.tensor(a, requires_grad=True) for a in arrays]
    tx = [torch.tensor(a, requires_grad=True) for a in arrays]
    g_out, t_out = fn(gn, *gx), fn(torch, *tx)
    g_out.sum().backward()
    t_out.sum().backward()
    g_grads = [np.zeros(a.shape) if x.grad is None else x.grad.numpy() for a, x in
               zip(arrays, gx)]
    t_grads = [np.zeros(a.shape) if x.grad is None else x.grad.numpy(force=True)
               for a, x in zip(arrays, tx)]
    return g_out.detach().numpy(), t_out.detach().numpy(), g_grads, t_grads


def _check(fn, *arrays):
    g_out, t_out, g_grads, t_grads = _grads(fn, *arrays)
    np.testing.assert_allclose(g_out, t_out, rtol=1e-6, atol=1e-6)
    for a, b in zip(g_grads, t_grads):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_nan_to_num_stays_in_the_graph_times_x_gives_2x():
    x = np.array([1.5, -2.0, 0.25])
    _, _, (g,), _ = _grads(lambda m, t: m.nan_to_num(t) * t, x)
    np.testing.assert_allclose(g, 2 * x)


def test_nan_to_num_gradient_is_zero_where_input_was_not_finite():
    x = np.array([np.nan, np.inf, -np.inf, 2.0])
    _check(lambda m, t: m.nan_to_num(t, nan=1.0, posinf=5.0, neginf=-5.0) * 3, x)


def test_fmod_and_remainder_gradients_are_one_and_minus_trunc_or_floor():
    a = np.array([1.5, -2.5, 0.5, 3.7, -7.1])
    b = np.array([2.0, 2.0, -1.0, -2.0, 3.0])
    _check(lambda m, x, y: m.fmod(x, y), a, b)
    _check(lambda m, x, y: m.remainder(x, y), a, b)
    _check(lambda m, x, y: x % y, a, b)


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc", "sign", "sgn", "fix"])
def test_rounding_ops_have_zero_gradient_as_torch(name):
    _check(lambda m, x: getattr(m, name)(x) * 2, np.array([0.4, -1.6, 2.5, 3.0]))


def test_div_with_rounding_mode_has_zero_gradient_as_torch():
    a, b = np.array([1.5, -2.5, 7.0]), np.array([2.0, 0.7, -3.0])
    for mode in ("floor", "trunc"):
        _check(lambda m, x, y: m.div(x, y, rounding_mode=mode), a, b)


def test_fmax_ties_send_the_whole_gradient_to_input_maximum_splits_them():
    a, b = np.array([1.0, 2.0, np.nan]), np.array([1.0, 3.0, 0.5])
    _check(lambda m, x, y: m.fmax(x, y), a, b)
    _check(lambda m, x, y: m.fmin(x, y), a, b)
    _check(lambda m, x, y: m.maximum(x, y), a[:2], b[:2])


def test_xlogy_at_zero_matches_torch_values_and_gradients():
    _check(lambda m, x, y: m.xlogy(x, y), np.array([0.0, 0.0, 1.0, 0.0]),
           np.array([0.0, -1.0, 2.0, 2.0]))


def test_copysign_gradient_is_zero_for_other_and_at_zero():
    _check(lambda m, x, y: m.copysign(x, y), np.array([0.0, 2.0, -3.0]),
           np.array([-1.0, -1.0, 1.0]))


def test_integer_inputs_promote_to_float_for_unary_maths_as_torch():
    for name in ("sinh", "exp2", "erf", "deg2rad", "sqrt", "logit", "atan2"):
        args = (gn.tensor([1, 2]),) * (2 if name == "atan2" else 1)
        targs = (torch.tensor([1, 2]),) * (2 if name == "atan2" else 1)
        out, ref = getattr(gn, name)(*args), getattr(torch, name)(*targs)
        assert str(out.dtype) == str(ref.dtype).replace("torch.", ""), name
        np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6)


def test_rounding_and_sign_keep_integer_dtype_as_torch():
    for name in ("floor", "ceil", "round", "trunc", "sign", "abs", "square", "neg"):
        out = getattr(gn, name)(gn.tensor([3, -2]))
        ref = getattr(torch, name)(torch.tensor([3, -2]))
        assert out.dtype == np.int64 and out.tolist() == ref.tolist(), name


def test_float_power_computes_in_float64():
    out = gn.float_power(gn.tensor([2.0, 3.0]), 2)
    assert out.dtype == np.float64 and out.tolist() == [4.0, 9.0]


@pytest.mark.parametrize("name,args", [
    ("sinh_", ()), ("arccos_", ()), ("logit_", (0.1,)), ("atan2_", ("y",)),
    ("hypot_", ("y",)), ("clamp_min_", (0.2,)), ("addcmul_", ("y", "y")),
    ("polygamma_", (1,)), ("nan_to_num_", ()), ("frac_", ()), ("eq_", ("y",)),
    ("copysign_", ("y",)), ("xlogy_", ("y",)), ("float_power_", (2.0,)),
])
def test_in_place_variant_writes_the_out_of_place_result(name, args):
    x = np.array([0.3, 0.6, 0.9])
    y = np.array([0.5, 0.6, 0.2])
    g, t = gn.tensor(x, dtype=gn.float64), torch.tensor(x)
    gargs = [gn.tensor(y) if a == "y" else a for a in args]
    targs = [torch.tensor(y) if a == "y" else a for a in args]
    assert getattr(g, name)(*gargs) is g
    getattr(t, name)(*targs)
    np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-6)


def test_bitwise_ops_refuse_float_tensors():
    with pytest.raises(TypeError, match="bitwise_and"):
        gn.bitwise_and(gn.tensor([1.0]), gn.tensor([1.0]))


def test_tensor_operators_on_integers_are_bitwise_as_torch():
    a, b = gn.tensor([6, 3]), gn.tensor([3, 5])
    assert (a & b).tolist() == [2, 1] and (a | b).tolist() == [7, 7]
    assert (a ^ b).tolist() == [5, 6] and (~a).tolist() == [-7, -4]
    assert (gn.tensor([True, False]) ^ gn.tensor([True, True])).tolist() == [False, True]
