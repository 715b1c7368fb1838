"""The error-input registry (glassnet/testing/error_inputs.py), one test per row: the bad
call raises the row's exception with its message fragment, and, where the row says so,
torch refuses the same input (the oracle that the row is not stricter than torch by
accident)."""
from __future__ import annotations

import warnings

import pytest

import glassnet as gn
from glassnet.nn import functional as F
from glassnet.testing.error_inputs import ERROR_INPUTS, families


@pytest.mark.parametrize("row", ERROR_INPUTS, ids=[r.id for r in ERROR_INPUTS])
def test_error_input(row):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(row.exc) as info:
            row.call(gn, F)
    assert row.match in str(info.value), str(info.value)
    if row.torch_raises is None:
        return
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            row.call(torch, torch.nn.functional)
        except Exception:
            refused = True
        else:
            refused = False
    assert refused == row.torch_raises, f"torch {'accepts' if not refused else 'refuses'} it"


def test_every_row_is_unique_and_counted():
    ids = [r.id for r in ERROR_INPUTS]
    assert len(ids) == len(set(ids))
    assert sum(families().values()) == len(ERROR_INPUTS)
    assert all(r.reason for r in ERROR_INPUTS if r.torch_raises is False)
