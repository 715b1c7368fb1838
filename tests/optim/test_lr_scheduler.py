"""Every scheduler's lr (and momentum) sequence matches torch.optim.lr_scheduler's."""
import math
import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet import optim
from glassnet.optim import lr_scheduler

torch = pytest.importorskip("torch")


def _optimizer(lib, kind="sgd"):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = lib.tensor([3.0], requires_grad=True)
    groups = [{"params": [a]}, {"params": [b], "lr": 0.05}]
    module = optim if lib is gn else torch.optim
    if kind == "adam":
        return module.Adam(groups, lr=0.1)
    return module.SGD(groups, lr=0.1, momentum=0.9)


def _sched(lib):
    return lr_scheduler if lib is gn else torch.optim.lr_scheduler


class Scale:
    """A callable object: its attributes are saved by the lambda schedulers' state_dict."""

    def __init__(self, base):
        self.base = base

    def __call__(self, epoch):
        return self.base ** epoch


SCHEDULERS = {
    "LambdaLR": (lambda S, o: S.LambdaLR(o, lambda e: 0.95 ** e), 100),
    "LambdaLR-per-group": (lambda S, o: S.LambdaLR(o, [lambda e: 1 / (1 + e), Scale(0.9)]),
                           100),
    "MultiplicativeLR": (lambda S, o: S.MultiplicativeLR(o, lambda e: 0.97), 100),
    "StepLR": (lambda S, o: S.StepLR(o, step_size=7, gamma=0.5), 100),
    "MultiStepLR": (lambda S, o: S.MultiStepLR(o, milestones=[10, 30, 30, 60], gamma=0.5),
                    100),
    "ExponentialLR": (lambda S, o: S.ExponentialLR(o, gamma=0.96), 100),
    "CosineAnnealingLR": (lambda S, o: S.CosineAnnealingLR(o, T_max=20, eta_min=1e-3), 100),
    "CosineAnnealingWarmRestarts": (
        lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2, eta_min=1e-3), 100),
    "CosineAnnealingWarmRestarts-Tmult1": (
        lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=7), 100),
    "LinearLR-warmup": (lambda S, o: S.LinearLR(o, start_factor=0.25, total_iters=10), 100),
    "LinearLR-decay": (lambda S, o: S.LinearLR(o, start_factor=1.0, end_factor=0.1,
                                               total_iters=30), 100),
    "ConstantLR": (lambda S, o: S.ConstantLR(o, factor=0.5, total_iters=20), 100),
    "PolynomialLR": (lambda S, o: S.PolynomialLR(o, total_iters=40, power=2.0), 100),
    "OneCycleLR-cos": (lambda S, o: S.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=100),
                       100),
    "OneCycleLR-linear-three-phase-adam": (
        lambda S, o: S.OneCycleLR(o, max_lr=0.3, epochs=10, steps_per_epoch=10,
                                  anneal_strategy="linear", three_phase=True,
                                  pct_start=0.25), 100, "adam"),
    "OneCycleLR-no-momentum": (
        lambda S, o: S.OneCycleLR(o, max_lr=1.0, total_steps=50, cycle_momentum=False), 50),
    "CyclicLR-triangular": (
        lambda S, o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=10), 100),
    "CyclicLR-triangular2": (
        lambda S, o: S.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=[0.1, 0.3], step_size_up=5,
                                step_size_down=15, mode="triangular2"), 100),
    "CyclicLR-exp-range-adam": (
        lambda S, o: S.CyclicLR(o, base_lr=0.001, max_lr=0.01, step_size_up=8,
                                mode="exp_range", gamma=0.98, base_momentum=0.85,
                                max_momentum=0.95), 100, "adam"),
    "CyclicLR-scale-fn": (
        lambda S, o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=6,
                                scale_fn=lambda x: 1 / (1 + x), scale_mode="iterations",
                                cycle_momentum=False), 100),
    "SequentialLR": (
        lambda S, o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=5),
                                        S.ExponentialLR(o, gamma=0.9)], milestones=[5]), 100),
    "SequentialLR-three": (
        lambda S, o: S.SequentialLR(o, [S.ConstantLR(o, factor=0.2, total_iters=10),
                                        S.CosineAnnealingLR(o, T_max=30),
                                        S.StepLR(o, step_size=10, gamma=0.5)],
                                    milestones=[10, 40]), 100),
    "ChainedScheduler": (
        lambda S, o: S.ChainedScheduler([S.ConstantLR(o, factor=0.1, total_iters=10),
                                         S.ExponentialLR(o, gamma=0.95)]), 100),
}


def _trace(lib, name, steps=None):
    make, n_steps, *kind = SCHEDULERS[name]
    opt = _optimizer(lib, *kind)
    sched = make(_sched(lib), opt)
    rows = []
    for _ in range(steps or n_steps):
        rows.append(_snapshot(sched, opt))
        opt.step()
        sched.step()
    rows.append(_snapshot(sched, opt))
    return rows


def _snapshot(sched, opt):
    row = [float(lr) for lr in sched.get_last_lr()]
    row += [float(g["lr"]) for g in opt.param_groups]
    for g in opt.param_groups:
        row.append(float(g["betas"][0] if "betas" in g else g["momentum"]))
    return row


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_scheduler_matches_torch(name):
    ours = np.array(_trace(gn, name))
    theirs = np.array(_trace(torch, name))
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    assert len(np.unique(ours[:, 0])) >= 2  # the lr really changed


def _plateau_metrics():
    rng = np.random.default_rng(4)
    values = list(1.0 / np.arange(1, 21))  # improving
    values += list(0.05 + 0.001 * rng.standard_normal(40))  # plateau
    values += list(np.linspace(0.04, 0.01, 20))  # improving again
    values += [0.01] * 20  # flat
    return values


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(patience=3, factor=0.5),
    dict(patience=2, cooldown=4, factor=0.5, min_lr=[0.01, 0.02]),
    dict(mode="max", patience=1, factor=0.3, threshold_mode="abs", threshold=0.01),
    dict(patience=0, factor=0.7, threshold=0.1, min_lr=0.009, eps=1e-3),
], ids=["default", "patience3", "cooldown-minlr", "max-abs", "eps"])
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    rows = []
    for lib in (gn, torch):
        opt = _optimizer(lib)
        sched = _sched(lib).ReduceLROnPlateau(opt, **kwargs)
        trace = []
        for metric in _plateau_metrics():
            opt.step()
            sched.step(metric)
            trace.append([float(g["lr"]) for g in opt.param_groups]
                         + [float(x) for x in sched.get_last_lr()]
                         + [sched.num_bad_epochs, sched.cooldown_counter, sched.best])
        rows.append(np.array(trace))
    np.testing.assert_allclose(rows[0], rows[1], rtol=1e-12)
    assert rows[0][-1, 0] < 0.1 or kwargs.get("mode") == "max"


def test_warm_restarts_with_fractional_epochs_match_torch():
    rows = []
    for lib in (gn, torch):
        opt = _optimizer(lib)
        sched = _sched(lib).CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=1e-3)
        trace = []
        iters = 7
        for epoch in range(20):
            for i in range(iters):
                opt.step()
                sched.step(epoch + i / iters)
                trace.append([float(g["lr"]) for g in opt.param_groups]
                             + [sched.T_cur, sched.T_i, sched.last_epoch])
        rows.append(np.array(trace))
    np.testing.assert_allclose(rows[0], rows[1], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ExponentialLR",
                                  "CosineAnnealingLR", "LinearLR-decay", "ConstantLR",
                                  "PolynomialLR"])
def test_step_with_epoch_uses_closed_form_like_torch(name):
    rows = []
    for lib in (gn, torch):
        make, *_ = SCHEDULERS[name]
        opt = _optimizer(lib)
        sched = make(_sched(lib), opt)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trace = []
            for epoch in [3, 17, 5, 40, 29, 80, 20]:
                sched.step(epoch)
                trace.append([float(g["lr"]) for g in opt.param_groups])
        rows.append(np.array(trace))
    np.testing.assert_allclose(rows[0], rows[1], rtol=1e-12)


@pytest.mark.parametrize("name", list(SCHEDULERS) + ["ReduceLROnPlateau"])
def test_scheduler_state_dict_round_trip(name):
    def build():
        if name == "ReduceLROnPlateau":
            opt = _optimizer(gn)
            return opt, lr_scheduler.ReduceLROnPlateau(opt, patience=2, cooldown=1)
        make, _, *kind = SCHEDULERS[name]
        opt = _optimizer(gn, *kind)
        return opt, make(lr_scheduler, opt)

    metrics = _plateau_metrics()

    def advance(opt, sched, start, n):
        out = []
        for i in range(start, start + n):
            opt.step()
            if name == "ReduceLROnPlateau":
                sched.step(metrics[i])
            else:
                sched.step()
            out.append(_snapshot(sched, opt))
        return out

    opt, sched = build()
    advance(opt, sched, 0, 23)
    saved_sched, saved_opt = sched.state_dict(), opt.state_dict()
    assert "optimizer" not in saved_sched
    expected = advance(opt, sched, 23, 27)

    opt2, sched2 = build()
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    assert advance(opt2, sched2, 23, 27) == expected


def test_lambda_state_dict_saves_callable_objects_only():
    opt = _optimizer(gn)
    scale = Scale(0.9)
    sched = lr_scheduler.LambdaLR(opt, [lambda e: 1.0, scale])
    state = sched.state_dict()
    assert state["lr_lambdas"] == [None, {"base": 0.9}]
    scale2 = Scale(0.5)
    sched2 = lr_scheduler.LambdaLR(_optimizer(gn), [lambda e: 1.0, scale2])
    sched2.load_state_dict(state)
    assert scale2.base == 0.9


def test_construction_sets_initial_lr_and_first_values():
    opt = _optimizer(gn)
    sched = lr_scheduler.StepLR(opt, step_size=2)
    assert sched.last_epoch == 0 and sched.base_lrs == [0.1, 0.05]
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]
    assert sched.get_last_lr() == [0.1, 0.05]
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(_optimizer(gn), step_size=2, last_epoch=5)


def test_scheduler_errors():
    opt = _optimizer(gn)
    S = lr_scheduler
    with pytest.raises(TypeError, match="StepLR: optimizer must be an Optimizer, got list"):
        S.StepLR([], step_size=1)
    with pytest.raises(ValueError, match="expected 2 lr_lambdas"):
        S.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(ValueError, match="ConstantLR: factor must be in"):
        S.ConstantLR(opt, factor=2.0)
    with pytest.raises(ValueError, match="LinearLR: start_factor must be in"):
        S.LinearLR(opt, start_factor=0.0)
    with pytest.raises(ValueError, match="ReduceLROnPlateau: factor must be < 1.0"):
        S.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode must be 'min' or 'max'"):
        S.ReduceLROnPlateau(opt, mode="lowest")
    with pytest.raises(ValueError, match="T_0 must be a positive int"):
        S.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="CyclicLR: mode must be"):
        S.CyclicLR(opt, 0.01, 0.1, mode="sawtooth")
    with pytest.raises(ValueError, match="needs an optimizer with a 'momentum' or 'betas'"):
        S.OneCycleLR(optim.Adagrad([gn.tensor([1.0], requires_grad=True)]), max_lr=1.0,
                     total_steps=10)
    with pytest.raises(ValueError, match="give either total_steps or both epochs"):
        S.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match="2 milestones for 3 schedulers, got 1"):
        S.SequentialLR(opt, [S.ConstantLR(opt), S.ConstantLR(opt), S.ConstantLR(opt)], [3])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        S.ChainedScheduler([S.ReduceLROnPlateau(opt)])
    one_cycle = S.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(3):
        one_cycle.step()
    with pytest.raises(ValueError, match="tried to step 4 times; total_steps is 3"):
        one_cycle.step()


def test_cosine_annealing_closed_form_values():
    opt = _optimizer(gn)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    lrs = []
    for _ in range(10):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    expected = [0.05 * (1 + math.cos(math.pi * t / 10)) for t in range(1, 11)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-12, atol=1e-15)
