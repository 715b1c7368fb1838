"""SyncBatchNorm on one process (no group): plain batch norm; convert_sync_batchnorm."""
import numpy as np
import pytest

import glassnet as gn
import glassnet.nn as nn
from glassnet.ops.sync_norm import SyncBatchNormFn
from glassnet.testing import gradcheck


def test_convert_replaces_every_batchnorm_and_shares_its_state():
    net = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3),
                        nn.Sequential(nn.Flatten(), nn.BatchNorm1d(12, momentum=None)))
    net.eval()
    old = net[1]
    out = nn.SyncBatchNorm.convert_sync_batchnorm(net)
    assert out is net
    assert type(net[1]) is nn.SyncBatchNorm and type(net[2][1]) is nn.SyncBatchNorm
    assert net[1].weight is old.weight and net[1].running_var is old.running_var
    assert net[2][1].momentum is None and net[1].training is False
    single = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm1d(4))
    assert type(single) is nn.SyncBatchNorm and single.num_features == 4


@pytest.mark.parametrize("shape", [(1, 3, 5), (6, 3), (4, 3, 2, 3)])
def test_without_a_group_it_is_batch_norm_in_training_and_eval(shape):
    x = gn.tensor(np.random.default_rng(0).standard_normal(shape))
    sync, plain = nn.SyncBatchNorm(3).double(), nn.BatchNorm1d(3).double()
    for mode in ("train", "eval"):
        getattr(sync, mode)()
        getattr(plain, mode)()
        if mode == "eval" or shape[0] * int(np.prod(shape[2:])) > 1:
            a = sync(x)
            b = nn.functional.batch_norm(x, plain.running_mean, plain.running_var,
                                         plain.weight, plain.bias, mode == "train")
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12,
                                       atol=1e-12)
    np.testing.assert_allclose(sync.running_var.numpy(), plain.running_var.numpy(),
                               rtol=1e-12)


def test_sync_batch_norm_function_gradcheck_and_running_stats_with_one_rank():
    # The identity all-reduce is a group of one: values, gradients and running statistics
    # are those of batch norm (a closed form here), checked by finite differences.
    rng = np.random.default_rng(1)
    x = gn.tensor(rng.standard_normal((3, 2, 4)), requires_grad=True)
    w = gn.tensor(rng.uniform(0.5, 1.5, 2), requires_grad=True)
    b = gn.tensor(rng.standard_normal(2), requires_grad=True)
    mean, var = np.zeros(2), np.ones(2)
    out = SyncBatchNormFn.apply(x, w, b, eps=1e-5, has_weight=True, has_bias=True,
                                allreduce=lambda a: None, running=(mean, var, 0.5))
    xs = x.detach().numpy()
    mu, sigma2 = xs.mean(axis=(0, 2)), xs.var(axis=(0, 2))
    ref = (xs - mu[:, None]) / np.sqrt(sigma2[:, None] + 1e-5) * w.detach().numpy()[:, None] \
        + b.detach().numpy()[:, None]
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mean, 0.5 * mu, rtol=1e-12)
    np.testing.assert_allclose(var, 0.5 + 0.5 * sigma2 * 12 / 11, rtol=1e-12)
    assert gradcheck(lambda x, w, b: SyncBatchNormFn.apply(
        x, w, b, eps=1e-5, has_weight=True, has_bias=True, allreduce=lambda a: None),
        (x, w, b))


def test_bad_input_is_rejected():
    bn = nn.SyncBatchNorm(3)
    with pytest.raises(ValueError, match=r"SyncBatchNorm: expected at least 2D input "
                                         r"\(got 1D"):
        bn(gn.ones(3))
    with pytest.raises(ValueError, match="SyncBatchNorm: input must have 3 channels"):
        bn(gn.ones(2, 4))
