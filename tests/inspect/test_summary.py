"""summary(): shapes, parameters, MACs, receptive field; conv_output_size."""
from __future__ import annotations

import pytest

from glassnet import nn
from glassnet.inspect import conv_output_size, summary


def test_conv_output_size_formula():
    assert conv_output_size(224, 7, 2, 3) == 112
    assert conv_output_size(32, 3, 1, 1) == 32
    assert conv_output_size(28, 5) == 24
    assert conv_output_size(10, 3, 1, 0, dilation=2) == 6
    assert conv_output_size(7, 3, 2, 0) == 3


def test_conv_output_size_errors_when_output_would_be_empty():
    with pytest.raises(ValueError, match="smaller than the dilated kernel"):
        conv_output_size(4, 5)
    with pytest.raises(ValueError, match="stride must be an int >= 1"):
        conv_output_size(10, 3, 0)


def test_summary_rows_params_macs_and_receptive_field():
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 8, 3), nn.Flatten(), nn.Linear(8 * 5 * 5, 10))
    model[0].weight.requires_grad_(False)
    s = summary(model, (1, 14, 14))
    kinds = [r.kind for r in s.rows]
    assert kinds == ["Conv2d", "ReLU", "MaxPool2d", "Conv2d", "Flatten", "Linear"]
    assert s.rows[0].output_shape == (4, 14, 14)
    assert s.rows[3].output_shape == (8, 5, 5)
    assert s.rows[0].frozen == 36 and s.rows[0].trainable == 4
    assert s.rows[0].macs == 4 * 14 * 14 * 9
    assert s.rows[3].macs == 8 * 5 * 5 * 4 * 9
    assert s.rows[5].macs == 200 * 10
    # receptive field: 3 -> pool 2 (jump 2) -> 4 -> conv3: 4 + 2*2 = 8
    assert [r.receptive_field for r in s.rows[:4]] == [3, 3, 4, 8]
    assert s.rows[3].jump == 2
    assert s.total_params == 40 + 296 + 2010
    assert s.trainable_params == s.total_params - 36
    text = str(s)
    assert "multiply-accumulates" in text and " RF " in text and "frozen" in text


def test_summary_receptive_field_through_residual_branch():
    from glassnet.models import resnet18

    s = summary(resnet18(), (3, 64, 64))
    last_conv = [r for r in s.rows if r.kind == "Conv2d"][-1]
    assert last_conv.jump == 32
    assert last_conv.receptive_field == 435  # the standard value for ResNet-18's last conv


def test_summary_rejects_bad_input_size():
    with pytest.raises(ValueError, match="summary: input_size must be"):
        summary(nn.Linear(2, 2), (0,))
