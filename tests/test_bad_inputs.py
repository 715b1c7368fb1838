"""Inputs torch, torchvision or cv2 give a value for, where glassnet gave another (issue 12
items 5, 6 and 9): glassnet now gives the same value; and bad data files or responses
raise one clear error.  The inputs that must raise are rows of the error-input registry
(glassnet/testing/error_inputs.py, driven by tests/test_error_inputs.py)."""
from __future__ import annotations

import gzip
import http.server
import io
import os
import tarfile
import threading
import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet.nn import functional as F


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("start,length", [(-1, 1), (-5, 2), (0, 0), (5, 0), (-3, 3)])
def test_narrow_negative_start_counts_from_the_end_as_torch(torch, start, length):
    x = np.arange(10.0).reshape(5, 2)
    got = gn.narrow(gn.tensor(x), 0, start, length).numpy()
    want = torch.narrow(torch.tensor(x), 0, start, length).numpy()
    np.testing.assert_array_equal(got, want)


# -- a uint8 index tensor is a mask, with torch's deprecation warning --------------------
@pytest.mark.parametrize("index", [
    lambda m: m.tensor([1, 0], dtype=m.uint8),
    lambda m: m.tensor([3, 0], dtype=m.uint8),            # nonzero is True, not "row 3"
    lambda m: (slice(None), m.tensor([1, 0, 0, 2], dtype=m.uint8)),
    lambda m: m.tensor([[1, 0, 0, 1], [0, 1, 1, 1]], dtype=m.uint8),
], ids=["rows", "nonzero-values", "columns", "2-D"])
def test_uint8_index_is_a_mask_as_torch(torch, index):
    x = np.arange(8.0).reshape(2, 4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = gn.tensor(x, requires_grad=True)[index(gn)]
    msgs = [str(w.message) for w in caught]
    assert any(m.startswith("indexing with dtype torch.uint8 is now deprecated, please use a "
                            "dtype torch.bool instead.") for m in msgs), msgs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tx = torch.tensor(x, requires_grad=True)
        want = tx[index(torch)]
    np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
    # backward scatters into the masked places, as torch's
    leaf = gn.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (leaf[index(gn)] * 2).sum().backward()
        (tx[index(torch)] * 2).sum().backward()
    np.testing.assert_array_equal(leaf.grad.numpy(), tx.grad.numpy())


# -- integer tensor with an out-of-range Python int: wraps modulo 2**bits, as torch -------
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32"])
@pytest.mark.parametrize("op,value", [("add", -3), ("add", 300), ("sub", 300),
                                      ("mul", -1), ("radd", -3), ("add", 2**40 + 7)])
def test_out_of_range_scalar_wraps_as_torch(torch, dtype, op, value):
    x = np.array([0, 1, 100, 127], dtype=dtype)
    fns = {"add": lambda t: t + value, "sub": lambda t: t - value,
           "mul": lambda t: t * value, "radd": lambda t: value + t}
    got = fns[op](gn.tensor(x))
    want = fns[op](torch.tensor(x))
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_integer_division_by_zero_is_runtime_and_zero_division_error(torch):
    from glassnet.ops.elementwise import IntegerDivisionByZero

    with pytest.raises(RuntimeError, match="ZeroDivisionError") as ref:
        torch.tensor([5]) // 0
    with pytest.raises(IntegerDivisionByZero) as ours:
        gn.tensor([5]) // 0
    assert isinstance(ours.value, RuntimeError) and isinstance(ours.value, ZeroDivisionError)
    assert str(ref.value) in str(ours.value)
    # floats still give inf / nan, as torch
    np.testing.assert_array_equal((gn.tensor([5.0, -1.0]) // 0).numpy(),
                                  (torch.tensor([5.0, -1.0]) // 0).numpy())


def test_batch_norm_eps_zero_in_eval_is_accepted_as_torch(torch):
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    rm, rv = np.zeros(3, np.float32), np.full(3, 2.0, np.float32)
    got = F.batch_norm(gn.tensor(x), gn.tensor(rm), gn.tensor(rv), eps=0.0)
    want = torch.nn.functional.batch_norm(torch.tensor(x), torch.tensor(rm),
                                          torch.tensor(rv), eps=0.0)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


# -- nms: NaN scores come first, as torch's descending sort puts them ---------------------
def test_nms_visits_nan_scores_first_as_torchvision(torch):
    from glassnet.vision.ops import batched_nms, nms

    boxes = np.array([[0, 0, 1, 1], [2, 2, 3, 3], [4, 4, 5, 5], [6, 6, 7, 7], [8, 8, 9, 9]],
                     np.float32)
    scores = np.array([0.5, np.nan, 0.9, np.nan, np.inf], np.float32)
    # disjoint boxes: every box is kept, in the order of torch.sort(descending, stable),
    # which is torchvision's visiting order
    want = torch.sort(torch.tensor(scores), descending=True, stable=True).indices.numpy()
    np.testing.assert_array_equal(nms(gn.tensor(boxes), gn.tensor(scores), 0.5).numpy(),
                                  want)
    assert want.tolist() == [1, 3, 4, 2, 0]
    # a NaN-scored box is visited first, so it suppresses the finite one it overlaps
    over = gn.tensor([[0.0, 0, 10, 10], [0.5, 0.5, 10, 10]])
    assert nms(over, gn.tensor([0.9, float("nan")]), 0.5).tolist() == [1]
    idxs = gn.tensor([0, 0, 1, 1, 1])
    got = batched_nms(gn.tensor(boxes), gn.tensor(scores), idxs, 0.5).numpy()
    np.testing.assert_array_equal(got, want)
    try:  # and torchvision's own nms, where it is installed
        from torchvision.ops import batched_nms as tv_batched_nms, nms as tv_nms
    except ImportError:
        return
    np.testing.assert_array_equal(tv_nms(torch.tensor(boxes), torch.tensor(scores), 0.5), want)
    np.testing.assert_array_equal(tv_batched_nms(torch.tensor(boxes), torch.tensor(scores),
                                                 torch.tensor([0, 0, 1, 1, 1]), 0.5), want)
    assert tv_nms(torch.tensor(over.numpy()), torch.tensor([0.9, float("nan")]),
                  0.5).tolist() == [1]


# -- canny: infinite thresholds as cv2 -----------------------------------------------------
@pytest.mark.parametrize("t1,t2", [(np.inf, 150), (50, np.inf), (-np.inf, 150),
                                   (-np.inf, -np.inf), (50, 1e12), (-1e12, 100)])
@pytest.mark.parametrize("l2", [False, True])
def test_canny_infinite_thresholds_match_cv2(t1, t2, l2):
    cv2 = pytest.importorskip("cv2")
    from glassnet.cv import canny

    img = (np.random.default_rng(0).random((24, 24)) * 255).astype(np.uint8)
    img[6:18, 6:18] = 220
    got = canny(img, t1, t2, l2_gradient=l2)
    np.testing.assert_array_equal(got, cv2.Canny(img, t1, t2, L2gradient=l2))


# -- files and downloads -------------------------------------------------------------------
class _ShortBody(http.server.BaseHTTPRequestHandler):
    """Announces 1000 bytes and sends ``self.server.body`` (maybe fewer)."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(self.server.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def short_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ShortBody)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_download_url_without_checksum_refuses_a_truncated_response(short_server, tmp_path):
    from glassnet.vision.datasets._download import DownloadError, download_url

    url = f"http://127.0.0.1:{short_server.server_address[1]}/f.bin"
    short_server.body = b"x" * 400  # the connection closes after 400 of 1000 bytes
    with pytest.raises(DownloadError, match="f.bin: ValueError: truncated response: received "
                                            "400 bytes, Content-Length announced 1000"):
        download_url(url, tmp_path / "f.bin")
    assert os.listdir(tmp_path) == []  # neither the file nor a temporary one is left
    short_server.body = b"y" * 1000
    path = download_url(url, tmp_path / "f.bin")
    assert path.read_bytes() == b"y" * 1000


def test_image_folder_enters_each_real_directory_once(tmp_path):
    pytest.importorskip("PIL")
    from PIL import Image

    from glassnet.vision.datasets import ImageFolder

    for cls in ("cat", "dog"):
        (tmp_path / cls / "sub").mkdir(parents=True)
        Image.new("L", (4, 4), 7).save(tmp_path / cls / "a.png")
        Image.new("L", (4, 4), 9).save(tmp_path / cls / "sub" / "b.png")
    os.symlink(".", tmp_path / "cat" / "self")           # a link to '.'
    os.symlink("..", tmp_path / "cat" / "sub" / "up")    # a link to an ancestor
    os.symlink(str(tmp_path), tmp_path / "dog" / "root")  # a link back to the root
    ds = ImageFolder(str(tmp_path))
    rel = [(os.path.relpath(p, tmp_path), c) for p, c in ds.samples]
    assert rel == [("cat/a.png", 0), ("cat/sub/b.png", 0),
                   ("dog/a.png", 1), ("dog/sub/b.png", 1)]


def test_corrupt_tar_member_gives_a_value_error_with_the_file_name(tmp_path):
    from glassnet.vision.datasets._download import extract_tar

    payload = b"".join(b"line %d of the member\n" % i for i in range(20_000))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("data.bin")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    raw = gzip.compress(buf.getvalue())
    archive = tmp_path / "cut.tar.gz"
    archive.write_bytes(raw[: len(raw) // 2])  # the member's data is cut short
    with pytest.raises(ValueError, match=r"extract_tar: corrupt tar archive .*cut\.tar\.gz: "):
        extract_tar(archive, tmp_path / "out")
    plain = tmp_path / "cut.tar"
    plain.write_bytes(buf.getvalue()[:5000])  # an uncompressed tar cut inside the member
    with pytest.raises(ValueError, match=r"corrupt tar archive .*cut\.tar: ReadError"):
        extract_tar(plain, tmp_path / "out2")
