"""Op registry rows: normalisation.

Running statistics are non-differentiable buffers mutated in place, so the rows' ``fn``
create fresh buffers on every call (gradcheck calls ``fn`` many times); eval-mode rows
pass fixed running statistics as numpy arrays in ``kwargs``, copied into fresh tensors
by both the glassnet and the torch callable.  The running-stat updates themselves are
compared with PyTorch in ``tests/nn/test_functional_norm.py``.
"""
from __future__ import annotations

import glassnet as gn
import glassnet.nn.functional as F
from glassnet.nn._functional import norm as NF
from glassnet.nn._functional.norm import _cross_map_lrn2d
from glassnet.testing.op_registry import OpInfo, Sample


def _affine(rng, c, which):
    w = rng.uniform(0.5, 1.5, c) if "w" in which else None
    b = rng.standard_normal(c) if "b" in which else None
    return w, b


# ---------------------------------------------------------------------------
# batch_norm
# ---------------------------------------------------------------------------
def _bn_train(x, weight=None, bias=None, momentum=0.1, eps=1e-5):
    c = x.shape[1]
    rm, rv = gn.zeros(c, dtype=x.dtype), gn.ones(c, dtype=x.dtype)
    return F.batch_norm(x, rm, rv, weight, bias, training=True, momentum=momentum, eps=eps)


def _torch_bn_train(torch, x, weight=None, bias=None, momentum=0.1, eps=1e-5):
    c = x.shape[1]
    rm, rv = torch.zeros(c, dtype=x.dtype), torch.ones(c, dtype=x.dtype)
    return torch.nn.functional.batch_norm(x, rm, rv, weight, bias, training=True,
                                          momentum=momentum, eps=eps)


def _bn_train_samples(rng):
    out = []
    for shape, which, kw in [((1, 3, 2, 3), "wb", {}), ((4, 3), "wb", {}),
                             ((5, 2, 7), "", {"eps": 1e-3}), ((2, 3, 3, 3), "w", {}),
                             ((3, 4, 5), "b", {"momentum": 0.3}), ((1, 2, 3), "wb", {}),
                             ((2, 1, 1, 1), "wb", {})]:
        w, b = _affine(rng, shape[1], which)
        x = rng.standard_normal(shape) * 2 + 1
        out.append(Sample((x, w, b), kw, desc=f"{shape} affine={which or 'none'}"))
    return out


def _bn_eval(x, weight=None, bias=None, rm=None, rv=None, eps=1e-5):
    return F.batch_norm(x, gn.tensor(rm, dtype=x.dtype), gn.tensor(rv, dtype=x.dtype), weight,
                        bias, training=False, eps=eps)


def _torch_bn_eval(torch, x, weight=None, bias=None, rm=None, rv=None, eps=1e-5):
    rm, rv = torch.tensor(rm, dtype=x.dtype), torch.tensor(rv, dtype=x.dtype)
    return torch.nn.functional.batch_norm(x, rm, rv, weight, bias, training=False, eps=eps)


def _bn_eval_samples(rng):
    out = []
    for shape, which in [((1, 3), "wb"), ((4, 3, 5), "wb"), ((2, 3, 2, 3), "b"),
                         ((1, 2, 3, 3), ""), ((5, 4), "w")]:
        c = shape[1]
        w, b = _affine(rng, c, which)
        kw = {"rm": rng.standard_normal(c), "rv": rng.uniform(0.5, 2.0, c)}
        out.append(Sample((rng.standard_normal(shape), w, b), kw,
                          desc=f"{shape} affine={which or 'none'}"))
    return out


def _bn_relu_train(x, weight=None, bias=None, momentum=0.1, eps=1e-5):
    c = x.shape[1]
    rm, rv = gn.zeros(c, dtype=x.dtype), gn.ones(c, dtype=x.dtype)
    return NF.batch_norm_relu(x, rm, rv, weight, bias, training=True, momentum=momentum,
                              eps=eps)


def _torch_bn_relu_train(torch, x, weight=None, bias=None, momentum=0.1, eps=1e-5):
    return torch.relu(_torch_bn_train(torch, x, weight, bias, momentum, eps))


def _bn_relu_eval(x, weight=None, bias=None, rm=None, rv=None, eps=1e-5):
    return NF.batch_norm_relu(x, gn.tensor(rm, dtype=x.dtype), gn.tensor(rv, dtype=x.dtype),
                              weight, bias, training=False, eps=eps)


def _torch_bn_relu_eval(torch, x, weight=None, bias=None, rm=None, rv=None, eps=1e-5):
    return torch.relu(_torch_bn_eval(torch, x, weight, bias, rm, rv, eps))


# ---------------------------------------------------------------------------
# instance_norm
# ---------------------------------------------------------------------------
def _in(x, weight=None, bias=None, rm=None, rv=None, use_input_stats=True, eps=1e-5):
    if rm is not None:
        rm, rv = gn.tensor(rm, dtype=x.dtype), gn.tensor(rv, dtype=x.dtype)
    return F.instance_norm(x, rm, rv, weight, bias, use_input_stats=use_input_stats, eps=eps)


def _torch_in(torch, x, weight=None, bias=None, rm=None, rv=None, use_input_stats=True,
              eps=1e-5):
    if rm is not None:
        rm, rv = torch.tensor(rm, dtype=x.dtype), torch.tensor(rv, dtype=x.dtype)
    return torch.nn.functional.instance_norm(x, rm, rv, weight, bias,
                                             use_input_stats=use_input_stats, eps=eps)


def _in_samples(rng):
    out = []
    for shape, which, stats, use in [((2, 3, 4), "", False, True),
                                     ((1, 2, 3, 3), "wb", False, True),
                                     ((3, 2, 5), "wb", True, True),
                                     ((2, 3, 2, 3), "w", True, False),
                                     ((2, 2, 2, 2, 3), "b", False, True),
                                     ((1, 3, 2), "wb", False, True)]:
        c = shape[1]
        w, b = _affine(rng, c, which)
        kw = {"use_input_stats": use}
        if stats:
            kw.update(rm=rng.standard_normal(c), rv=rng.uniform(0.5, 2.0, c))
        out.append(Sample((rng.standard_normal(shape) * 2, w, b), kw,
                          desc=f"{shape} affine={which or 'none'} {kw}"))
    return out


# ---------------------------------------------------------------------------
# layer_norm and group_norm
# ---------------------------------------------------------------------------
def _ln_samples(rng):
    out = []
    for shape, ns, which in [((4, 5), (5,), "wb"), ((2, 3, 4), (3, 4), "wb"),
                             ((1, 6), 6, "wb"), ((2, 3, 2, 3), (2, 3), ""),
                             ((3, 5), (5,), "w"), ((7,), (7,), "b"),
                             ((2, 3, 4), (2, 3, 4), "wb")]:
        wshape = (ns,) if isinstance(ns, int) else ns
        w = rng.uniform(0.5, 1.5, wshape) if "w" in which else None
        b = rng.standard_normal(wshape) if "b" in which else None
        out.append(Sample((rng.standard_normal(shape) * 2, w, b), {"normalized_shape": ns},
                          desc=f"{shape} normalized_shape={ns} affine={which or 'none'}"))
    return out


def _ln(x, weight=None, bias=None, normalized_shape=None, eps=1e-5):
    return F.layer_norm(x, normalized_shape, weight, bias, eps=eps)


def _torch_ln(torch, x, weight=None, bias=None, normalized_shape=None, eps=1e-5):
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
    return torch.nn.functional.layer_norm(x, ns, weight, bias, eps=eps)


def _gn_samples(rng):
    # No bias-without-weight case here: PyTorch's group_norm backward fails on it ("tensor
    # does not have a device"); tests/nn/test_functional_norm.py covers it instead.
    out = []
    for shape, groups, which in [((2, 4, 3), 1, "wb"), ((2, 4, 3), 2, "wb"),
                                 ((2, 4, 3), 4, "wb"), ((1, 6, 2, 3), 3, "wb"),
                                 ((3, 4), 2, ""), ((2, 6, 5), 6, "w"), ((1, 2, 3, 3), 1, "w")]:
        w, b = _affine(rng, shape[1], which)
        out.append(Sample((rng.standard_normal(shape) * 2, w, b), {"num_groups": groups},
                          desc=f"{shape} groups={groups} affine={which or 'none'}"))
    return out


def _gn(x, weight=None, bias=None, num_groups=1, eps=1e-5):
    return F.group_norm(x, num_groups, weight, bias, eps=eps)


def _torch_gn(torch, x, weight=None, bias=None, num_groups=1, eps=1e-5):
    return torch.nn.functional.group_norm(x, num_groups, weight, bias, eps=eps)


# ---------------------------------------------------------------------------
# local_response_norm and normalize
# ---------------------------------------------------------------------------
def _lrn_samples(rng):
    out = []
    for shape, kw in [((2, 5, 3), {"size": 2}), ((1, 4, 3, 3), {"size": 3}),
                      ((2, 7, 4), {"size": 5}), ((3, 3, 2), {"size": 3, "alpha": 0.5, "k": 2.0}),
                      ((1, 6, 2, 2), {"size": 5, "alpha": 1.0, "beta": 0.5}),
                      ((2, 3, 2, 2, 2), {"size": 2, "alpha": 0.3}),
                      ((2, 2, 3), {"size": 4, "alpha": 0.8, "beta": 1.2})]:
        out.append(Sample((rng.standard_normal(shape) * 2,), kw, desc=f"{shape} {kw}"))
    return out


def _normalize_samples(rng):
    out = []
    for shape, kw in [((3, 4), {}), ((4, 3), {"p": 1.0, "dim": 0}),
                      ((2, 3, 4), {"p": 3.0, "dim": -1}), ((2, 5), {"p": float("inf")}),
                      ((1, 5), {}), ((3, 4), {"eps": 10.0}), ((2, 3, 2, 2), {"p": 1.5})]:
        out.append(Sample((rng.standard_normal(shape),), kw, desc=f"{shape} {kw}"))
    return out


def _rms_samples(rng):
    out = []
    for shape, ns, w, eps in [((3, 4), (4,), True, None), ((2, 3, 5), (3, 5), True, 1e-3),
                              ((1, 5), (5,), False, None), ((4, 3, 2), (2,), True, 0.5),
                              ((7,), (7,), False, 1e-6), ((2, 1, 3), (1, 3), True, None)]:
        args = (rng.standard_normal(shape) * 2, ns)
        if w:
            args += (rng.uniform(0.5, 1.5, ns),)
        out.append(Sample(args, {"eps": eps}, desc=f"{shape} over {ns} weight={w}"))
    return out


def _cross_map_samples(rng):
    out = []
    for shape, kw in [((2, 5, 2, 2), {"size": 3}), ((1, 4, 3, 2), {"size": 2, "alpha": 0.5}),
                      ((1, 6, 1, 3), {"size": 5, "alpha": 1.0, "beta": 0.5, "k": 2.0}),
                      ((2, 3, 2, 1), {"size": 1, "alpha": 0.3}),
                      ((1, 7, 2, 2), {"size": 4, "alpha": 0.8, "beta": 1.2})]:
        out.append(Sample((rng.standard_normal(shape) * 2,), kw, desc=f"{shape} {kw}"))
    return out


def _sync_bn_one_rank(x, weight=None, bias=None, momentum=0.1, eps=1e-5):
    # nn.SyncBatchNorm's Function with a group of one rank (the identity all-reduce);
    # its multi-rank path is checked under mpiexec in tests/distributed/test_ddp.py.
    from glassnet.ops.sync_norm import SyncBatchNormFn

    params = tuple(p for p in (weight, bias) if p is not None)
    return SyncBatchNormFn.apply(x, *params, eps=eps, has_weight=weight is not None,
                                 has_bias=bias is not None, allreduce=lambda a: None)


ROWS = [
    OpInfo("sync_batch_norm", _sync_bn_one_rank, _torch_bn_train, _bn_train_samples,
           notes="SyncBatchNorm's op on one rank: torch's training-mode batch_norm"),
    OpInfo("batch_norm", _bn_train, _torch_bn_train, _bn_train_samples,
           notes="training mode: batch statistics, fresh running buffers per call"),
    OpInfo("batch_norm_eval", _bn_eval, _torch_bn_eval, _bn_eval_samples),
    OpInfo("batch_norm_relu", _bn_relu_train, _torch_bn_relu_train, _bn_train_samples,
           notes="glassnet's fused relu(batch_norm(x)) (training mode): torch's two ops"),
    OpInfo("batch_norm_relu_eval", _bn_relu_eval, _torch_bn_relu_eval, _bn_eval_samples),
    OpInfo("instance_norm", _in, _torch_in, _in_samples),
    OpInfo("layer_norm", _ln, _torch_ln, _ln_samples),
    OpInfo("group_norm", _gn, _torch_gn, _gn_samples),
    OpInfo("local_response_norm", F.local_response_norm,
           lambda torch, x, **kw: torch.nn.functional.local_response_norm(x, **kw),
           _lrn_samples),
    OpInfo("rms_norm", F.rms_norm,
           lambda torch, x, ns, w=None, **kw: torch.nn.functional.rms_norm(x, ns, w, **kw),
           _rms_samples),
    OpInfo("cross_map_lrn2d", _cross_map_lrn2d, None, _cross_map_samples,
           notes="torch's CrossMapLRN2d backward is not the gradient of its own forward; "
                 "its forward is compared with torch in tests/nn/test_layers_more.py"),
    OpInfo("normalize", F.normalize,
           lambda torch, x, **kw: torch.nn.functional.normalize(x, **kw), _normalize_samples),
]
