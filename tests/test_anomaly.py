"""Anomaly mode (issue 12 item 7): ``glassnet.autograd.detect_anomaly`` /
``set_detect_anomaly`` / ``is_anomaly_enabled``, with torch's names and message."""
from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet import autograd


def _line():
    """The line number of the caller's next line."""
    return inspect.currentframe().f_back.f_lineno + 1


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield
    assert not gn.is_anomaly_enabled()  # every test leaves the mode off


def test_nan_names_the_function_output_and_the_forward_call_site():
    x = gn.tensor([0.0, 1.0], requires_grad=True)
    with autograd.detect_anomaly():
        assert gn.is_anomaly_enabled() and gn.is_anomaly_check_nan_enabled()
        line = _line()
        y = gn.log(x) * 0.0  # d/dx = 0 * (1 / 0) = nan at x = 0
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
    msg = str(info.value)
    assert msg.startswith("Function 'LogBackward' returned nan values in its 0th output; "
                          f"its forward op was called at {__file__}:{line} (in test_nan_")
    assert "y = gn.log(x) * 0.0" in msg  # the forward traceback, as torch's warning
    assert x.grad is None  # nothing reached the leaf


def test_inf_is_caught_too_and_the_first_bad_function_is_named():
    x = gn.tensor([1.0, 4.0], requires_grad=True)
    with autograd.detect_anomaly():
        y = gn.sqrt(gn.log(x))  # log(1) = 0: sqrt's gradient there is inf, then log's
        with pytest.raises(RuntimeError, match="^Function 'SqrtBackward' returned inf "
                                               "values in its 0th output"):
            y.sum().backward()


def test_only_gradients_that_flow_are_checked():
    # x holds a NaN (a value, not a gradient): d/dc = x would be NaN, but c needs no
    # gradient; d/dx = c is finite, so nothing is reported (torch agrees)
    x = gn.tensor([np.nan, 1.0], requires_grad=True)
    c = gn.tensor([2.0, 3.0])
    with autograd.detect_anomaly():
        (x * c).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 3.0])


def test_off_by_default_records_nothing_and_lets_nan_through():
    assert not autograd.is_anomaly_enabled()
    x = gn.tensor([0.0, 1.0], requires_grad=True)
    y = gn.log(x) * 0.0
    assert "_anomaly_stack" not in vars(y.grad_fn)  # no stack taken when off
    y.sum().backward()
    assert np.isnan(x.grad.numpy()[0]) and x.grad.numpy()[1] == 0.0


def test_graph_recorded_while_off_says_so():
    x = gn.tensor([0.0], requires_grad=True)
    y = gn.log(x) * 0.0
    with autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match="'LogBackward' returned nan values in its 0th "
                                               r"output \(its forward op was recorded while "
                                               "anomaly mode was off\\)"):
            y.sum().backward()


def test_set_detect_anomaly_call_context_and_decorator_forms():
    autograd.set_detect_anomaly(True)
    assert gn.is_anomaly_enabled()
    autograd.set_detect_anomaly(False)
    assert not gn.is_anomaly_enabled()
    with autograd.set_detect_anomaly(True, check_nan=False):
        assert gn.is_anomaly_enabled() and not gn.is_anomaly_check_nan_enabled()
        x = gn.tensor([0.0], requires_grad=True)
        y = gn.log(x) * 0.0
        assert vars(y.grad_fn)["_anomaly_stack"]  # stacks kept, values not checked
        y.sum().backward()
        assert np.isnan(x.grad.numpy()[0])
    assert not gn.is_anomaly_enabled() and gn.is_anomaly_check_nan_enabled()

    @autograd.detect_anomaly()
    def step(v):
        assert gn.is_anomaly_enabled()
        (gn.log(v) * 0.0).sum().backward()

    assert not gn.is_anomaly_enabled()  # decorating switches nothing on
    with pytest.raises(RuntimeError, match="'LogBackward' returned nan"):
        step(gn.tensor([0.0], requires_grad=True))

    @autograd.set_detect_anomaly(True)
    def probe():
        return gn.is_anomaly_enabled()

    assert not gn.is_anomaly_enabled() and probe() and not gn.is_anomaly_enabled()
    with pytest.raises(TypeError, match="set_detect_anomaly: mode must be a bool, got str"):
        autograd.set_detect_anomaly("yes")


def test_detect_anomaly_warns_as_torch():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with autograd.detect_anomaly():
            pass
    assert any("Anomaly Detection has been enabled" in str(w.message) for w in caught)


def test_same_program_same_verdict_as_torch():
    torch = pytest.importorskip("torch")
    with torch.autograd.detect_anomaly():
        tx = torch.tensor([0.0, 1.0], requires_grad=True)
        with pytest.raises(RuntimeError) as ref:
            (torch.log(tx) * 0.0).sum().backward()
    x = gn.tensor([0.0, 1.0], requires_grad=True)
    with autograd.detect_anomaly():
        with pytest.raises(RuntimeError) as ours:
            (gn.log(x) * 0.0).sum().backward()
    # torch: "Function 'LogBackward0' returned nan values in its 0th output."
    assert str(ref.value).replace("Backward0", "Backward").rstrip(".") \
        == str(ours.value).split(";")[0]
