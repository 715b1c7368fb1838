"""Bad inputs raise a clear ValueError/TypeError/IndexError naming the function and the
argument (issue 12 items 6 and 9), where torch raises too; and where torch gives a value
(narrow with a negative start) glassnet gives the same value."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.nn import functional as F

torch = pytest.importorskip("torch")

# (name, glassnet call, torch call, expected glassnet exception, message fragment)
CASES = [
    ("chunk(0)", lambda m: m.ones(4).chunk(0), ValueError, "chunk: chunks must be a positive"),
    ("arange step 0", lambda m: m.arange(0, 5, 0), ValueError, "arange: step must be nonzero"),
    ("arange wrong sign", lambda m: m.arange(0, 5, -1), ValueError, "arange: upper bound"),
    ("eye(-1)", lambda m: m.eye(-1), ValueError, "eye: n must be non-negative, got -1"),
    ("eye(2, -3)", lambda m: m.eye(2, -3), ValueError, "eye: m must be non-negative, got -3"),
    ("linspace(-1)", lambda m: m.linspace(0, 1, -1), ValueError,
     "linspace: steps must be non-negative, got -1"),
    ("linspace(2.5)", lambda m: m.linspace(0, 1, 2.5), TypeError,
     "linspace: steps must be an int, got float"),
    ("repeat(-1)", lambda m: m.ones(2).repeat(-1), ValueError,
     "repeat: repeats must be non-negative"),
    ("argmax of empty", lambda m: m.ones(0).argmax(), IndexError,
     "argmax: cannot take the argmax of an empty dimension"),
    ("argmin of empty dim", lambda m: m.ones(3, 0).argmin(1), IndexError,
     "argmin: cannot take the argmin of an empty dimension"),
    ("linear(list)", lambda m: (F if m is gn else torch.nn.functional).linear(
        [1.0, 2.0], m.ones(2, 2)), TypeError, "linear: input must be a Tensor, got list"),
    ("narrow past the end", lambda m: m.narrow(m.arange(5), 0, 3, 5), ValueError,
     "narrow: start (3) + length (5) must lie in 0..5"),
    ("narrow start out of range", lambda m: m.narrow(m.arange(5), 0, -7, 1), IndexError,
     "narrow: start -7 is out of range"),
    ("narrow negative length", lambda m: m.narrow(m.arange(5), 0, 1, -1), ValueError,
     "with length >= 0"),
    ("reshape(2.5, 12)", lambda m: m.ones(24).reshape(2.5, 12), TypeError,
     "reshape: sizes must be ints, got float 2.5"),
    ("cat(tensor)", lambda m: m.cat(m.ones(2, 3)), TypeError,
     "cat: expected a sequence of Tensors"),
    ("stack(tensor)", lambda m: m.stack(m.ones(2, 3)), TypeError,
     "stack: expected a sequence of Tensors"),
]


@pytest.mark.parametrize("call,exc,fragment", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_a_named_error_where_torch_raises(call, exc, fragment):
    with pytest.raises(Exception):  # the oracle: torch refuses this input too
        call(torch)
    with pytest.raises(exc) as info:
        call(gn)
    assert fragment in str(info.value)


@pytest.mark.parametrize("start,length", [(-1, 1), (-5, 2), (0, 0), (5, 0), (-3, 3)])
def test_narrow_negative_start_counts_from_the_end_as_torch(start, length):
    x = np.arange(10.0).reshape(5, 2)
    got = gn.narrow(gn.tensor(x), 0, start, length).numpy()
    want = torch.narrow(torch.tensor(x), 0, start, length).numpy()
    np.testing.assert_array_equal(got, want)
