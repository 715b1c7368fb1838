"""``glassnet.utils.tensorboard``: the ``torch.utils.tensorboard`` counterpart.

:class:`SummaryWriter` writes TensorBoard event files (scalars, histograms, images,
matplotlib figures, text, hyper-parameters) through the ``tensorboard`` package's own
event writer and protocol buffers, so ``tensorboard --logdir DIR`` reads them. Values may
be glassnet tensors, NumPy arrays or Python numbers.

``tensorboard`` is an optional dependency: ``pip install 'glassnet[tensorboard]'``.

Examples
--------
>>> import tempfile
>>> from glassnet.utils.tensorboard import SummaryWriter
>>> with SummaryWriter(tempfile.mkdtemp()) as w:
...     for step in range(3):
...         w.add_scalar("loss", 1.0 / (step + 1), step)
"""
from __future__ import annotations

import io
import os
import time

import numpy as np

try:
    from tensorboard.compat.proto.event_pb2 import Event, SessionLog
    from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
except ImportError as exc:  # pragma: no cover - exercised with the package hidden
    raise ImportError(
        "glassnet.utils.tensorboard needs the 'tensorboard' package, which is not "
        "installed; install the extra with: pip install 'glassnet[tensorboard]' "
        f"(or: pip install tensorboard). Original error: {exc}") from exc

__all__ = ["SummaryWriter"]


# ---------------------------------------------------------------------------- values
def _array(value, fn: str, arg: str) -> np.ndarray:
    """A NumPy array from a glassnet tensor, NumPy array, number or nested list."""
    data = getattr(value, "_data", None)
    if data is not None:  # a glassnet Tensor (Parameters and views too)
        return np.asarray(data)
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"SummaryWriter.{fn}: {arg} must be a tensor, array or number, got "
                        f"{type(value).__name__} {value!r}")
    try:
        arr = np.asarray(value)
    except Exception as e:  # noqa: BLE001 - ragged lists and odd objects
        raise TypeError(f"SummaryWriter.{fn}: {arg} must be a tensor, array or number, got "
                        f"{type(value).__name__}") from e
    if arr.dtype == object:
        raise TypeError(f"SummaryWriter.{fn}: {arg} must be a tensor, array or number, got "
                        f"{type(value).__name__}")
    return arr


def _scalar(value, fn: str, arg: str = "scalar_value") -> float:
    arr = _array(value, fn, arg)
    if arr.size != 1:
        raise ValueError(f"SummaryWriter.{fn}: {arg} must be a number or a one-element tensor, "
                         f"got shape {tuple(arr.shape)}")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise TypeError(f"SummaryWriter.{fn}: {arg} must be numeric, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"SummaryWriter.{fn}: {arg} must be real, got dtype {arr.dtype}")
    return float(arr.reshape(()))


def _step(global_step, fn: str):
    if global_step is None:
        return None
    try:
        return int(_scalar(global_step, fn, "global_step"))
    except (TypeError, ValueError) as e:
        raise TypeError(f"SummaryWriter.{fn}: global_step must be an int or None, got "
                        f"{global_step!r}") from e


def _tag(tag, fn: str, arg: str = "tag") -> str:
    if not isinstance(tag, str) or not tag:
        raise TypeError(f"SummaryWriter.{fn}: {arg} must be a non-empty str, got {tag!r}")
    return tag


def _default_bins() -> list:
    """TensorFlow's histogram buckets: +-1e-12 growing by 10% up to 1e20, and 0."""
    pos = []
    v = 1e-12
    while v < 1e20:
        pos.append(v)
        v *= 1.1
    return [-b for b in reversed(pos)] + [0.0] + pos


_TF_BINS = None


def _histogram_proto(values: np.ndarray, bins, max_bins, fn: str) -> HistogramProto:
    """Histogram of ``values`` in TensorBoard's layout: bucket ``i`` counts the values
    up to ``bucket_limit[i]``; one empty bucket stands left of the first non-empty one
    so that the left edge is kept; empty buckets outside the support are dropped."""
    v = values.astype(np.float64).reshape(-1)
    if v.size == 0:
        raise ValueError(f"SummaryWriter.{fn}: values must not be empty, got shape "
                         f"{tuple(values.shape)}")
    if not np.isfinite(v).all():
        raise ValueError(f"SummaryWriter.{fn}: values must be finite, got "
                         f"{int((~np.isfinite(v)).sum())} NaN/inf of {v.size}")
    counts, edges = np.histogram(v, bins=bins)
    if max_bins is not None:
        if not isinstance(max_bins, int) or max_bins < 1:
            raise ValueError(f"SummaryWriter.{fn}: max_bins must be a positive int or None, "
                             f"got {max_bins!r}")
        if counts.size > max_bins:
            # merge groups of `group` neighbouring buckets (zero-padding the last group)
            group = counts.size // max_bins
            pad = (-counts.size) % group
            counts = np.concatenate([counts, np.zeros(pad, counts.dtype)])
            counts = counts.reshape(-1, group).sum(axis=1)
            edges = np.concatenate([edges[:-1:group], edges[-1:]])
    nonzero = np.flatnonzero(counts)
    first, last = int(nonzero[0]), int(nonzero[-1])
    if first > 0:
        kept = counts[first - 1:last + 1]
    else:
        kept = np.concatenate([[0], counts[:last + 1]])
    limits = edges[first:last + 2]
    return HistogramProto(min=float(v.min()), max=float(v.max()), num=float(v.size),
                          sum=float(v.sum()), sum_squares=float(v @ v),
                          bucket_limit=limits.tolist(), bucket=kept.tolist())


def _to_hwc(arr: np.ndarray, dataformats, fn: str) -> np.ndarray:
    """An ``(H, W, C)`` array (C in 1, 3, 4; grey replicated to RGB) from ``dataformats``
    (a permutation of CHW, HW, or NCHW for a grid of images)."""
    if not isinstance(dataformats, str):
        raise TypeError(f"SummaryWriter.{fn}: dataformats must be a str such as 'CHW', "
                        f"'HWC', 'HW' or 'NCHW', got {dataformats!r}")
    fmt = dataformats.upper()
    valid = {2: "HW", 3: "CHW", 4: "NCHW"}
    if len(fmt) not in valid or sorted(fmt) != sorted(valid[len(fmt)]):
        raise ValueError(f"SummaryWriter.{fn}: dataformats must be a permutation of 'CHW', "
                         f"'HW' or 'NCHW', got {dataformats!r}")
    if arr.ndim != len(fmt):
        raise ValueError(f"SummaryWriter.{fn}: img_tensor with dataformats={dataformats!r} "
                         f"must have {len(fmt)} dimensions, got shape {tuple(arr.shape)}")
    if len(fmt) == 2:
        hw = arr.transpose([fmt.index(c) for c in "HW"])
        return np.stack([hw] * 3, axis=2)
    if len(fmt) == 4:
        nchw = arr.transpose([fmt.index(c) for c in "NCHW"])
        _check_channels(nchw.shape[1], dataformats, arr.shape, fn)
        return _grid(nchw).transpose(1, 2, 0)
    hwc = arr.transpose([fmt.index(c) for c in "HWC"])
    _check_channels(hwc.shape[2], dataformats, arr.shape, fn)
    if hwc.shape[2] == 1:
        hwc = np.concatenate([hwc] * 3, axis=2)
    return hwc


def _check_channels(c, dataformats, shape, fn):
    if c not in (1, 3, 4):
        raise ValueError(f"SummaryWriter.{fn}: the channel axis of dataformats="
                         f"{dataformats!r} must have 1, 3 or 4 entries, got {c} "
                         f"(img_tensor shape {tuple(shape)}); is dataformats right?")


def _grid(nchw: np.ndarray, ncols: int = 8) -> np.ndarray:
    """Images ``(N, C, H, W)`` tiled into one ``(C, rows*H, cols*W)`` canvas."""
    if nchw.shape[1] == 1:
        nchw = np.concatenate([nchw] * 3, axis=1)
    n, c, h, w = nchw.shape
    cols = max(min(n, ncols), 1)
    rows = -(-n // cols)
    canvas = np.zeros((c, rows * h, cols * w), dtype=nchw.dtype)
    for i in range(n):
        r, k = divmod(i, cols)
        canvas[:, r * h:(r + 1) * h, k * w:(k + 1) * w] = nchw[i]
    return canvas


def _image_proto(hwc: np.ndarray, fn: str) -> Summary.Image:
    from PIL import Image

    if np.iscomplexobj(hwc) or not (np.issubdtype(hwc.dtype, np.number)
                                    or hwc.dtype == np.bool_):
        raise TypeError(f"SummaryWriter.{fn}: img_tensor must be numeric, got dtype "
                        f"{hwc.dtype}")
    # uint8 images are in [0, 255]; anything else is taken to be in [0, 1]
    scale = 1.0 if hwc.dtype == np.uint8 else 255.0
    pixels = (hwc.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)
    h, w, c = pixels.shape
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buf, format="PNG")
    return Summary.Image(height=h, width=w, colorspace=c, encoded_image_string=buf.getvalue())


def _figure_chw(figure, close: bool) -> np.ndarray:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    w, h = canvas.get_width_height()
    rgba = np.frombuffer(canvas.buffer_rgba(), dtype=np.uint8).reshape(h, w, 4)
    if close:
        import matplotlib.pyplot as plt

        plt.close(figure)
    return np.ascontiguousarray(rgba[:, :, :3].transpose(2, 0, 1))


def _hparams_summaries(hparam_dict, metric_dict, hparam_domain_discrete):
    """The hparams plugin's three summaries: experiment, session start, session end."""
    from google.protobuf import struct_pb2
    from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2

    fn = "add_hparams"
    if not isinstance(hparam_dict, dict):
        raise TypeError(f"SummaryWriter.{fn}: hparam_dict must be a dict, got "
                        f"{type(hparam_dict).__name__}")
    if not isinstance(metric_dict, dict):
        raise TypeError(f"SummaryWriter.{fn}: metric_dict must be a dict, got "
                        f"{type(metric_dict).__name__}")
    domains = hparam_domain_discrete or {}
    if not isinstance(domains, dict):
        raise TypeError(f"SummaryWriter.{fn}: hparam_domain_discrete must be a dict or None, "
                        f"got {type(domains).__name__}")
    for k, vals in domains.items():
        if k not in hparam_dict or not isinstance(vals, list) or not all(
                isinstance(d, type(hparam_dict[k])) for d in vals):
            raise TypeError(f"SummaryWriter.{fn}: hparam_domain_discrete[{k!r}] must be a "
                            f"list of values of the type of hparam_dict[{k!r}], got {vals!r}")

    start = plugin_data_pb2.SessionStartInfo()
    infos = []
    for k, v in hparam_dict.items():
        if v is None:
            continue
        if isinstance(v, bool):
            start.hparams[k].bool_value = v
            kind, field = "DATA_TYPE_BOOL", "bool_value"
        elif isinstance(v, str):
            start.hparams[k].string_value = v
            kind, field = "DATA_TYPE_STRING", "string_value"
        elif isinstance(v, (int, float, np.number)) or hasattr(v, "_data"):
            start.hparams[k].number_value = _scalar(v, fn, f"hparam_dict[{k!r}]")
            kind, field = "DATA_TYPE_FLOAT64", "number_value"
        else:
            raise TypeError(f"SummaryWriter.{fn}: hparam_dict[{k!r}] must be an int, float, "
                            f"str, bool, one-element tensor or None, got "
                            f"{type(v).__name__}")
        domain = None
        if k in domains:
            domain = struct_pb2.ListValue(values=[struct_pb2.Value(**{field: d})
                                                  for d in domains[k]])
        infos.append(api_pb2.HParamInfo(name=k, type=api_pb2.DataType.Value(kind),
                                        domain_discrete=domain))
    experiment = api_pb2.Experiment(
        hparam_infos=infos,
        metric_infos=[api_pb2.MetricInfo(name=api_pb2.MetricName(tag=k)) for k in metric_dict])
    end = plugin_data_pb2.SessionEndInfo(status=api_pb2.Status.Value("STATUS_SUCCESS"))

    def summary(tag, **content):
        data = plugin_data_pb2.HParamsPluginData(version=metadata.PLUGIN_DATA_VERSION,
                                                 **content)
        meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(
            plugin_name=metadata.PLUGIN_NAME, content=data.SerializeToString()))
        return Summary(value=[Summary.Value(tag=tag, metadata=meta)])

    return (summary(metadata.EXPERIMENT_TAG, experiment=experiment),
            summary(metadata.SESSION_START_INFO_TAG, session_start_info=start),
            summary(metadata.SESSION_END_INFO_TAG, session_end_info=end))


# ---------------------------------------------------------------------------- writer
class SummaryWriter:
    """Write TensorBoard event files (``torch.utils.tensorboard.SummaryWriter``).

    Parameters
    ----------
    log_dir : str or Path, optional
        Default ``runs/<Mon DD_HH-MM-SS>_<hostname><comment>``.
    comment : str
        Suffix of the default ``log_dir`` (ignored when ``log_dir`` is given).
    purge_step : int, optional
        Resuming after a crash at step ``T + X`` from step ``T``: TensorBoard hides the
        events of this log dir from step ``T`` on that were written before.
    max_queue : int
        Pending events before an ``add_*`` call forces a write.
    flush_secs : float
        Seconds between automatic flushes.
    filename_suffix : str
        Suffix of the event file names.
    """

    def __init__(self, log_dir=None, comment: str = "", purge_step=None, max_queue: int = 10,
                 flush_secs: float = 120, filename_suffix: str = ""):
        if not log_dir:
            import socket
            from datetime import datetime

            log_dir = os.path.join("runs", datetime.now().strftime("%b%d_%H-%M-%S") + "_"
                                   + socket.gethostname() + str(comment))
        if not isinstance(max_queue, int) or max_queue < 1:
            raise ValueError(f"SummaryWriter: max_queue must be a positive int, got "
                             f"{max_queue!r}")
        if not isinstance(flush_secs, (int, float)) or not flush_secs > 0:
            raise ValueError(f"SummaryWriter: flush_secs must be a positive number, got "
                             f"{flush_secs!r}")
        self.log_dir = str(log_dir)
        self.purge_step = None if purge_step is None else _step(purge_step, "__init__")
        self.max_queue, self.flush_secs = max_queue, flush_secs
        self.filename_suffix = str(filename_suffix)
        self._writers = None  # log dir -> EventFileWriter; None once closed
        self._file_writer()

    # -- plumbing ------------------------------------------------------------------
    def _file_writer(self) -> EventFileWriter:
        """The main event file writer (re-created after :meth:`close`)."""
        if self._writers is None:
            main = EventFileWriter(self.log_dir, self.max_queue, self.flush_secs,
                                   self.filename_suffix)
            self._writers = {self.log_dir: main}
            if self.purge_step is not None:
                # a new file_version event at the purge step, then a session start: the
                # reader drops the earlier events at or after this step
                main.add_event(Event(step=self.purge_step, wall_time=time.time(),
                                     file_version="brain.Event:2"))
                main.add_event(Event(step=self.purge_step, wall_time=time.time(),
                                     session_log=SessionLog(status=SessionLog.START)))
                self.purge_step = None
        return self._writers[self.log_dir]

    def _writer_for(self, log_dir: str) -> EventFileWriter:
        self._file_writer()
        if log_dir not in self._writers:
            self._writers[log_dir] = EventFileWriter(log_dir, self.max_queue, self.flush_secs,
                                                     self.filename_suffix)
        return self._writers[log_dir]

    @staticmethod
    def _emit(writer, summary, global_step, walltime, fn):
        event = Event(summary=summary,
                      wall_time=time.time() if walltime is None else float(walltime))
        step = _step(global_step, fn)
        if step is not None:
            event.step = step
        writer.add_event(event)

    def get_logdir(self) -> str:
        """The directory the event files go to."""
        return self.log_dir

    # -- scalars -------------------------------------------------------------------
    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None,
                   new_style: bool = False, double_precision: bool = False) -> None:
        """Record one number ``scalar_value`` (number, 0-d/one-element tensor or array)
        under ``tag`` at ``global_step``."""
        fn = "add_scalar"
        value = _scalar(scalar_value, fn)
        summary = self._scalar_summary(_tag(tag, fn), value, new_style, double_precision)
        self._emit(self._file_writer(), summary, global_step, walltime, fn)

    @staticmethod
    def _scalar_summary(tag, value, new_style=False, double_precision=False):
        if not new_style:
            return Summary(value=[Summary.Value(tag=tag, simple_value=value)])
        from tensorboard.compat.proto.tensor_pb2 import TensorProto

        tensor = (TensorProto(double_val=[value], dtype="DT_DOUBLE") if double_precision
                  else TensorProto(float_val=[value], dtype="DT_FLOAT"))
        meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
        return Summary(value=[Summary.Value(tag=tag, tensor=tensor, metadata=meta)])

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None) -> None:
        """Several curves in one chart: each ``tag`` of ``tag_scalar_dict`` goes to the
        sub-run ``<log_dir>/<main_tag>_<tag>`` under the tag ``main_tag``."""
        fn = "add_scalars"
        _tag(main_tag, fn, "main_tag")
        if not isinstance(tag_scalar_dict, dict):
            raise TypeError(f"SummaryWriter.{fn}: tag_scalar_dict must be a dict of tag -> "
                            f"number, got {type(tag_scalar_dict).__name__}")
        walltime = time.time() if walltime is None else walltime
        for tag, v in tag_scalar_dict.items():
            value = _scalar(v, fn, f"tag_scalar_dict[{tag!r}]")
            run = self.log_dir + "/" + main_tag.replace("/", "_") + "_" + str(tag)
            self._emit(self._writer_for(run), self._scalar_summary(main_tag, value),
                       global_step, walltime, fn)

    # -- histograms ----------------------------------------------------------------
    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None,
                      max_bins=None) -> None:
        """Histogram of ``values`` (any shape). ``bins`` is ``'tensorflow'`` (the default
        exponential buckets), any ``numpy.histogram`` bins string ('auto', 'fd', ...), an
        int or a sequence of edges."""
        global _TF_BINS
        fn = "add_histogram"
        arr = _array(values, fn, "values")
        if isinstance(bins, str) and bins == "tensorflow":
            if _TF_BINS is None:
                _TF_BINS = _default_bins()
            bins = _TF_BINS
        try:
            proto = _histogram_proto(arr, bins, max_bins, fn)
        except (TypeError, ValueError) as e:
            if str(e).startswith(f"SummaryWriter.{fn}"):
                raise
            raise ValueError(f"SummaryWriter.{fn}: bins must be 'tensorflow', a "
                             f"numpy.histogram bins name, an int or increasing edges, got "
                             f"{bins!r} ({e})") from e
        self._emit(self._file_writer(), Summary(value=[Summary.Value(
            tag=_tag(tag, fn), histo=proto)]), global_step, walltime, fn)

    def add_histogram_raw(self, tag, min, max, num, sum, sum_squares, bucket_limits,
                          bucket_counts, global_step=None, walltime=None) -> None:
        """A histogram from precomputed statistics: ``bucket_counts[i]`` values up to
        ``bucket_limits[i]`` (the upper edges)."""
        fn = "add_histogram_raw"
        limits = _array(bucket_limits, fn, "bucket_limits").astype(np.float64).reshape(-1)
        counts = _array(bucket_counts, fn, "bucket_counts").astype(np.float64).reshape(-1)
        if limits.size != counts.size:
            raise ValueError(f"SummaryWriter.{fn}: bucket_limits and bucket_counts must have "
                             f"the same length, got {limits.size} and {counts.size}")
        total = _scalar(num, fn, "num")
        if counts.sum() != total:
            raise ValueError(f"SummaryWriter.{fn}: num must equal the sum of bucket_counts, "
                             f"got num={total:g} and sum {counts.sum():g}")
        proto = HistogramProto(min=_scalar(min, fn, "min"), max=_scalar(max, fn, "max"),
                               num=total, sum=_scalar(sum, fn, "sum"),
                               sum_squares=_scalar(sum_squares, fn, "sum_squares"),
                               bucket_limit=limits.tolist(), bucket=counts.tolist())
        self._emit(self._file_writer(), Summary(value=[Summary.Value(
            tag=_tag(tag, fn), histo=proto)]), global_step, walltime, fn)

    # -- images --------------------------------------------------------------------
    def add_image(self, tag, img_tensor, global_step=None, walltime=None,
                  dataformats: str = "CHW") -> None:
        """One image: float values in [0, 1] or uint8 in [0, 255]; ``dataformats`` a
        permutation of 'CHW' (C = 1, 3 or 4) or 'HW'."""
        fn = "add_image"
        hwc = _to_hwc(_array(img_tensor, fn, "img_tensor"), dataformats, fn)
        self._emit(self._file_writer(), Summary(value=[Summary.Value(
            tag=_tag(tag, fn), image=_image_proto(hwc, fn))]), global_step, walltime, fn)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None,
                   dataformats: str = "NCHW") -> None:
        """A batch of images as one grid (8 per row)."""
        fn = "add_images"
        arr = _array(img_tensor, fn, "img_tensor")
        if not isinstance(dataformats, str) or len(dataformats) != 4:
            raise ValueError(f"SummaryWriter.{fn}: dataformats must be a permutation of "
                             f"'NCHW', got {dataformats!r}")
        hwc = _to_hwc(arr, dataformats, fn)
        self._emit(self._file_writer(), Summary(value=[Summary.Value(
            tag=_tag(tag, fn), image=_image_proto(hwc, fn))]), global_step, walltime, fn)

    def add_figure(self, tag, figure, global_step=None, close: bool = True,
                   walltime=None) -> None:
        """Render a matplotlib figure (or a list of them, as a grid) into an image."""
        fn = "add_figure"
        if isinstance(figure, list):
            if not figure or not all(hasattr(f, "canvas") for f in figure):
                raise TypeError(f"SummaryWriter.{fn}: figure must be a matplotlib Figure or "
                                f"a non-empty list of them, got {figure!r}")
            imgs = np.stack([_figure_chw(f, close) for f in figure])
            self.add_images(tag, imgs, global_step, walltime, dataformats="NCHW")
            return
        if not hasattr(figure, "canvas"):
            raise TypeError(f"SummaryWriter.{fn}: figure must be a matplotlib Figure or a "
                            f"list of them, got {type(figure).__name__}")
        self.add_image(tag, _figure_chw(figure, close), global_step, walltime,
                       dataformats="CHW")

    # -- text and hyper-parameters -------------------------------------------------
    def add_text(self, tag, text_string, global_step=None, walltime=None) -> None:
        """A (markdown) text entry."""
        from tensorboard.compat.proto.tensor_pb2 import TensorProto
        from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto

        fn = "add_text"
        if not isinstance(text_string, str):
            raise TypeError(f"SummaryWriter.{fn}: text_string must be a str, got "
                            f"{type(text_string).__name__}")
        meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="text"))
        tensor = TensorProto(dtype="DT_STRING", string_val=[text_string.encode("utf-8")],
                             tensor_shape=TensorShapeProto(
                                 dim=[TensorShapeProto.Dim(size=1)]))
        self._emit(self._file_writer(), Summary(value=[Summary.Value(
            tag=_tag(tag, fn) + "/text_summary", metadata=meta, tensor=tensor)]),
            global_step, walltime, fn)

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None,
                    run_name=None, global_step=None) -> None:
        """Hyper-parameters and their metrics for TensorBoard's HPARAMS tab, written (like
        torch) to a sub-run ``<log_dir>/<run_name>`` (default: the current time)."""
        exp, start, end = _hparams_summaries(hparam_dict, metric_dict, hparam_domain_discrete)
        values = {k: _scalar(v, "add_hparams", f"metric_dict[{k!r}]")
                  for k, v in metric_dict.items()}
        run = os.path.join(self.log_dir, str(run_name) if run_name else str(time.time()))
        writer = EventFileWriter(run, self.max_queue, self.flush_secs, self.filename_suffix)
        try:
            for s in (exp, start, end):
                self._emit(writer, s, global_step, None, "add_hparams")
            for k, v in values.items():
                self._emit(writer, self._scalar_summary(k, v), global_step, None,
                           "add_hparams")
        finally:
            writer.close()

    # -- lifetime ------------------------------------------------------------------
    def flush(self) -> None:
        """Write every pending event to disk."""
        for w in (self._writers or {}).values():
            w.flush()

    def close(self) -> None:
        """Flush and close the event files (a later ``add_*`` opens new ones)."""
        if self._writers is None:
            return
        for w in self._writers.values():
            w.flush()
            w.close()
        self._writers = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self) -> str:
        return f"SummaryWriter(log_dir={self.log_dir!r})"
