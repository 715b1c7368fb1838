"""glassnet.utils.tensorboard.SummaryWriter: event files read back with TensorBoard's own
reader; the same calls through torch's SummaryWriter give the same values."""
from __future__ import annotations

import importlib
import io
import os
import sys

import numpy as np
import pytest

pytest.importorskip("tensorboard")

import glassnet as gn  # noqa: E402
from glassnet.utils.tensorboard import SummaryWriter  # noqa: E402
from tensorboard.backend.event_processing.event_accumulator import (  # noqa: E402
    EventAccumulator)

ALL = {"scalars": 0, "histograms": 0, "images": 0, "tensors": 0}


def _read(path):
    return EventAccumulator(str(path), size_guidance=ALL).Reload()


def _scalars(acc, tag):
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def _hist(acc, tag):
    return [(e.step, e.histogram_value) for e in acc.Histograms(tag)]


def _pixels(image_event):
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(image_event.encoded_image_string)))


def test_scalars_from_tensors_arrays_and_numbers(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("loss", 0.75, 0)
        w.add_scalar("loss", gn.tensor(0.5), 1)               # 0-d tensor
        w.add_scalar("loss", np.float32(0.25), 2)              # numpy scalar
        w.add_scalar("loss", gn.tensor([0.125]), gn.tensor(3))  # one-element tensor, step
        w.add_scalar("acc", np.array([[7]]), 5, walltime=123.0)
        w.add_scalar("flag", True, 0)
    acc = _read(tmp_path)
    assert _scalars(acc, "loss") == [(0, 0.75), (1, 0.5), (2, 0.25), (3, 0.125)]
    assert _scalars(acc, "acc") == [(5, 7.0)]
    assert acc.Scalars("acc")[0].wall_time == 123.0
    assert _scalars(acc, "flag") == [(0, 1.0)]


def test_add_scalars_writes_one_sub_run_per_curve(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in range(3):
            w.add_scalars("run/loss", {"train": 1.0 / (step + 1), "val": 2.0 * step}, step)
    subs = sorted(d for d in os.listdir(tmp_path) if os.path.isdir(tmp_path / d))
    assert subs == ["run_loss_train", "run_loss_val"]
    train = _read(tmp_path / "run_loss_train")
    val = _read(tmp_path / "run_loss_val")
    np.testing.assert_allclose([v for _, v in _scalars(train, "run/loss")], [1, 0.5, 1 / 3],
                               rtol=1e-6)
    assert _scalars(val, "run/loss") == [(0, 0.0), (1, 2.0), (2, 4.0)]


def test_histogram_statistics_and_buckets(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(1000).astype(np.float32)
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("w", gn.tensor(x), 7)                 # tensorflow buckets
        w.add_histogram("w10", x.reshape(10, 100), 7, bins=10)
        w.add_histogram("const", np.full(5, 3.0), 0)
    acc = _read(tmp_path)
    ((step, h),) = _hist(acc, "w")
    x64 = x.astype(np.float64)
    assert step == 7 and h.num == 1000 and sum(h.bucket) == 1000
    assert h.min == pytest.approx(x64.min()) and h.max == pytest.approx(x64.max())
    assert h.sum == pytest.approx(x64.sum()) and h.sum_squares == pytest.approx(x64 @ x64)
    assert h.bucket[0] == 0 and h.bucket_limit[-1] >= x64.max()
    # bins=10: numpy's ten equal buckets plus the empty one that keeps the left edge
    (_, h10), = _hist(acc, "w10")
    counts, edges = np.histogram(x64, bins=10)
    assert list(h10.bucket) == [0] + counts.tolist()
    np.testing.assert_allclose(h10.bucket_limit, edges, rtol=1e-12)
    (_, hc), = _hist(acc, "const")
    assert hc.num == 5 and hc.min == hc.max == 3.0 and sum(hc.bucket) == 5


def test_histogram_max_bins_merges_buckets(tmp_path):
    x = np.arange(100, dtype=np.float64)
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("x", x, 0, bins=20, max_bins=5)
    (_, h), = _hist(_read(tmp_path), "x")
    assert list(h.bucket) == [0, 20, 20, 20, 20, 20]
    np.testing.assert_allclose(h.bucket_limit, [0, 19.8, 39.6, 59.4, 79.2, 99])


def test_histogram_raw(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_histogram_raw("r", min=-1, max=2, num=6, sum=3, sum_squares=9,
                            bucket_limits=[0, 1, 2], bucket_counts=gn.tensor([1, 2, 3]),
                            global_step=4)
        with pytest.raises(ValueError, match="add_histogram_raw: num must equal"):
            w.add_histogram_raw("r", -1, 2, 5, 3, 9, [0, 1, 2], [1, 2, 3])
    (step, h), = _hist(_read(tmp_path), "r")
    assert step == 4 and list(h.bucket) == [1, 2, 3] and h.sum_squares == 9


def test_images_in_every_layout(tmp_path):
    rng = np.random.default_rng(1)
    chw = rng.random((3, 5, 7)).astype(np.float32)
    with SummaryWriter(tmp_path) as w:
        w.add_image("chw", gn.tensor(chw), 0)
        w.add_image("hwc", chw.transpose(1, 2, 0), 0, dataformats="HWC")
        w.add_image("hw", chw[0], 0, dataformats="HW")
        w.add_image("u8", (chw * 255).astype(np.uint8), 0)
        w.add_image("rgba", rng.random((4, 2, 3)), 0)
        w.add_images("batch", rng.random((10, 1, 4, 6)), 2)   # grid: 8 per row
    acc = _read(tmp_path)
    want = (chw.transpose(1, 2, 0) * 255).clip(0, 255).astype(np.uint8)
    for tag in ("chw", "hwc"):
        ev = acc.Images(tag)[0]
        assert (ev.width, ev.height) == (7, 5)
        np.testing.assert_array_equal(_pixels(ev), want)
    hw = _pixels(acc.Images("hw")[0])
    assert hw.shape == (5, 7, 3) and (hw == want[:, :, :1]).all()
    u8 = _pixels(acc.Images("u8")[0])
    np.testing.assert_array_equal(u8, (chw.transpose(1, 2, 0) * 255).astype(np.uint8))
    assert _pixels(acc.Images("rgba")[0]).shape == (2, 3, 4)
    batch = acc.Images("batch")[0]
    assert batch.step == 2 and (batch.width, batch.height) == (8 * 6, 2 * 4)


def test_add_figure(tmp_path):
    plt = pytest.importorskip("matplotlib.pyplot")
    fig, ax = plt.subplots(figsize=(3, 2), dpi=50)
    ax.plot([0, 1], [1, 0])
    with SummaryWriter(tmp_path) as w:
        w.add_figure("fig", fig, 1)
    assert not plt.fignum_exists(fig.number)  # close=True
    ev = _read(tmp_path).Images("fig")[0]
    assert (ev.width, ev.height) == (150, 100) and ev.step == 1


def test_hparams_go_to_a_sub_run_with_the_plugin_data(tmp_path):
    from tensorboard.plugins.hparams import plugin_data_pb2

    with SummaryWriter(tmp_path) as w:
        w.add_hparams({"lr": 0.01, "optimizer": "adam", "layers": gn.tensor(3), "skip": None},
                      {"hparam/accuracy": 0.875}, run_name="trial0")
    acc = _read(tmp_path / "trial0")
    assert _scalars(acc, "hparam/accuracy") == [(0, 0.875)]
    content = acc.PluginTagToContent("hparams")
    assert set(content) == {"_hparams_/experiment", "_hparams_/session_start_info",
                            "_hparams_/session_end_info"}
    start = plugin_data_pb2.HParamsPluginData.FromString(
        content["_hparams_/session_start_info"]).session_start_info
    assert start.hparams["lr"].number_value == 0.01
    assert start.hparams["optimizer"].string_value == "adam"
    assert start.hparams["layers"].number_value == 3 and "skip" not in start.hparams
    exp = plugin_data_pb2.HParamsPluginData.FromString(
        content["_hparams_/experiment"]).experiment
    assert [m.name.tag for m in exp.metric_infos] == ["hparam/accuracy"]
    assert [h.name for h in exp.hparam_infos] == ["lr", "optimizer", "layers"]


def test_text_flush_close_and_reopen(tmp_path):
    w = SummaryWriter(tmp_path, flush_secs=1000, max_queue=1000)
    w.add_scalar("a", 1.0, 0)
    w.flush()
    assert _scalars(_read(tmp_path), "a") == [(0, 1.0)]
    w.add_text("note", "hello *tensorboard*", 0)
    w.close()
    w.close()  # a second close does nothing
    w.add_scalar("a", 2.0, 1)  # opens a new event file
    w.close()
    acc = _read(tmp_path)
    assert _scalars(acc, "a") == [(0, 1.0), (1, 2.0)]
    assert acc.Tensors("note/text_summary")[0].tensor_proto.string_val == [
        b"hello *tensorboard*"]


def test_purge_step_hides_the_steps_after_a_restart(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for s in range(5):
            w.add_scalar("x", float(s), s)
    with SummaryWriter(tmp_path, purge_step=3) as w:
        for s in range(3, 5):
            w.add_scalar("x", 10.0 + s, s)
    assert _scalars(_read(tmp_path), "x") == [(0, 0.0), (1, 1.0), (2, 2.0), (3, 13.0),
                                              (4, 14.0)]


def test_default_log_dir_uses_runs_and_comment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with SummaryWriter(comment="_lr0.1") as w:
        w.add_scalar("a", 1, 0)
    (run,) = os.listdir(tmp_path / "runs")
    assert run.endswith("_lr0.1") and w.get_logdir() == os.path.join("runs", run)


@pytest.mark.parametrize("call, err, match", [
    (lambda w: w.add_image("i", np.zeros((5, 7, 3))), ValueError,
     r"add_image: the channel axis of dataformats='CHW' must have 1, 3 or 4 entries, got 5"),
    (lambda w: w.add_image("i", np.zeros((3, 5, 7)), dataformats="NHW"), ValueError,
     r"add_image: dataformats must be a permutation of 'CHW', 'HW' or 'NCHW', got 'NHW'"),
    (lambda w: w.add_image("i", np.zeros((5, 7)), dataformats="CHW"), ValueError,
     r"add_image: img_tensor with dataformats='CHW' must have 3 dimensions, got shape"),
    (lambda w: w.add_scalar("s", np.zeros(3)), ValueError,
     r"add_scalar: scalar_value must be a number or a one-element tensor, got shape \(3,\)"),
    (lambda w: w.add_scalar("s", "high"), TypeError,
     r"add_scalar: scalar_value must be a tensor, array or number, got str"),
    (lambda w: w.add_scalar(3, 1.0), TypeError, r"add_scalar: tag must be a non-empty str"),
    (lambda w: w.add_histogram("h", np.zeros(0)), ValueError,
     r"add_histogram: values must not be empty"),
    (lambda w: w.add_histogram("h", np.array([1.0, np.nan])), ValueError,
     r"add_histogram: values must be finite"),
    (lambda w: w.add_histogram("h", np.ones(3), bins="nope"), ValueError,
     r"add_histogram: bins must be"),
    (lambda w: w.add_scalars("m", [1, 2]), TypeError,
     r"add_scalars: tag_scalar_dict must be a dict"),
    (lambda w: w.add_hparams({"lr": [1, 2]}, {}), TypeError,
     r"add_hparams: hparam_dict\['lr'\] must be an int, float, str, bool"),
    (lambda w: w.add_hparams({"lr": 1}, [1]), TypeError,
     r"add_hparams: metric_dict must be a dict, got list"),
    (lambda w: w.add_figure("f", np.zeros(3)), TypeError,
     r"add_figure: figure must be a matplotlib Figure"),
])
def test_bad_arguments_name_function_argument_and_value(tmp_path, call, err, match):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(err, match=match):
            call(w)


def test_import_without_tensorboard_names_the_extra(monkeypatch):
    monkeypatch.delitem(sys.modules, "glassnet.utils.tensorboard", raising=False)
    for name in list(sys.modules):
        if name == "tensorboard" or name.startswith("tensorboard."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # import tensorboard fails
    with pytest.raises(ImportError, match=r"pip install 'glassnet\[tensorboard\]'"):
        importlib.import_module("glassnet.utils.tensorboard")


def test_lazy_attribute_of_glassnet_utils():
    import glassnet.utils

    assert glassnet.utils.tensorboard.SummaryWriter is SummaryWriter


# ---------------------------------------------------------------------------- vs torch
def _same_calls(writer, lib, x, img):
    writer.add_scalar("loss", lib(np.float32(0.3)), 1)
    writer.add_scalar("loss", 0.1, 2)
    writer.add_histogram("w", lib(x), 3)
    writer.add_histogram("w_auto", lib(x), 3, bins="auto")
    writer.add_histogram("w_max", lib(x), 3, bins=64, max_bins=10)
    writer.add_image("img", lib(img), 4)
    writer.add_scalars("curves", {"a": 1.5, "b": -2.0}, 5)
    writer.add_hparams({"lr": 0.1, "opt": "sgd"}, {"hp/acc": 0.5}, run_name="hp")


def test_same_values_as_torch_summary_writer(tmp_path):
    torch = pytest.importorskip("torch")
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    rng = np.random.default_rng(3)
    x = (rng.standard_normal(500) * 3).astype(np.float32)
    img = rng.random((3, 6, 4)).astype(np.float32)
    with SummaryWriter(tmp_path / "gn") as w:
        _same_calls(w, gn.tensor, x, img)
    with TorchWriter(str(tmp_path / "torch")) as w:
        _same_calls(w, torch.tensor, x, img)
    for sub in ("", "curves_a", "curves_b", "hp"):
        ours, theirs = _read(tmp_path / "gn" / sub), _read(tmp_path / "torch" / sub)
        assert ours.Tags()["scalars"] == theirs.Tags()["scalars"]
        for tag in ours.Tags()["scalars"]:
            assert _scalars(ours, tag) == _scalars(theirs, tag)
    ours, theirs = _read(tmp_path / "gn"), _read(tmp_path / "torch")
    for tag in ("w", "w_auto", "w_max"):
        (s1, a), = _hist(ours, tag)
        (s2, b), = _hist(theirs, tag)
        assert s1 == s2 and a.num == b.num and list(a.bucket) == list(b.bucket)
        np.testing.assert_allclose(a.bucket_limit, b.bucket_limit, rtol=1e-12)
        np.testing.assert_allclose([a.min, a.max, a.sum, a.sum_squares],
                                   [b.min, b.max, b.sum, b.sum_squares], rtol=1e-6)
    np.testing.assert_array_equal(_pixels(ours.Images("img")[0]),
                                  _pixels(theirs.Images("img")[0]))
    hp_ours = _read(tmp_path / "gn" / "hp").PluginTagToContent("hparams")
    hp_theirs = _read(tmp_path / "torch" / "hp").PluginTagToContent("hparams")
    assert hp_ours == hp_theirs
