"""The harness of tests/test_torch_programs.py: the import map that ports a PyTorch program
to glassnet, running a program with either library, and the comparisons of their results.

Not a test module (this folder's conftest.py keeps pytest from collecting it); the test
module loads it by path.
"""
from __future__ import annotations

import gzip
import importlib.util
import math
import re
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch

import glassnet

PROGRAMS = Path(__file__).resolve().parent
# The torch run uses the real torchvision where it is installed, the stand-in otherwise.
REAL_TV = importlib.util.find_spec("torchvision") is not None
PROGRAM_NAMES = sorted(p.stem for p in PROGRAMS.glob("*.py")
                       if p.stem not in ("conftest", "harness", "torchvision_standin"))


# ---------------------------------------------------------------------------
# The import map
# ---------------------------------------------------------------------------
_IMPORT = re.compile(r"^import (?P<mod>[\w.]+)(?: as (?P<alias>\w+))?$"
                     r"|^from (?P<src>[\w.]+) import (?P<names>[\w, ]+)$")


def _glassnet_path(module: str) -> str | None:
    """``torch.nn`` -> ``glassnet.nn``, ``torchvision.models`` -> ``glassnet.vision.models``."""
    head, _, tail = module.partition(".")
    base = {"torch": "glassnet", "torchvision": "glassnet.vision"}.get(head)
    if base is None:
        return None
    return f"{base}.{tail}" if tail else base


def _port_line(line: str) -> str:
    match = _IMPORT.match(line)
    if match is None:
        return line
    if match["src"] is not None:
        target = _glassnet_path(match["src"])
        return line if target is None else f"from {target} import {match['names']}"
    target = _glassnet_path(match["mod"])
    if target is None:
        return line
    if match["alias"] is not None:
        return f"import {target} as {match['alias']}"
    head = match["mod"].split(".")[0]
    if head == match["mod"]:  # import torch / import torchvision
        return f"import {target} as {head}"
    # ``import torch.utils.data`` binds ``torch`` and loads the submodule.
    return f"import {_glassnet_path(head)} as {head}; import {target}"


def port(source: str) -> str:
    """The glassnet version of a PyTorch program: its import lines rewritten, nothing else."""
    return "\n".join(_port_line(line) for line in source.split("\n"))


def assert_only_imports_differ(source: str, ported: str) -> None:
    before, after = source.split("\n"), ported.split("\n")
    assert len(before) == len(after)
    for old, new in zip(before, after):
        if old != new:
            assert _IMPORT.match(old), f"a non-import line changed: {old!r} -> {new!r}"
            assert "glassnet" in new and "torch" in old, (old, new)


def _standin():
    spec = importlib.util.spec_from_file_location(
        "torchvision_standin", PROGRAMS / "torchvision_standin.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_program(name: str, lib: str, monkeypatch) -> types.ModuleType:
    """Execute program ``name`` with ``lib`` ("torch" or "glassnet") as a fresh module.

    The module is registered in ``sys.modules`` until ``monkeypatch`` undoes it, so that
    pickle and glassnet's class allow-list find the program's classes by import path.  The
    torch run of a program importing torchvision gets the real torchvision where it is
    installed, the stand-in otherwise.
    """
    source = (PROGRAMS / f"{name}.py").read_text()
    if lib == "torch" and not REAL_TV and re.search(r"^(from|import) torchvision", source,
                                                      re.M):
        _standin().install(monkeypatch)
    if lib == "glassnet":
        ported = port(source)
        assert_only_imports_differ(source, ported)
        source = ported
    module = types.ModuleType(f"torch_program_{name}_{lib}")
    module.__file__ = str(PROGRAMS / f"{name}.py")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    exec(compile(source, f"{name}.py [{lib}]", "exec"), module.__dict__)
    return module


# ---------------------------------------------------------------------------
# Comparisons
# ---------------------------------------------------------------------------
def copy_weights(src, dst) -> None:
    """Load a torch module's state_dict into the glassnet module (strict)."""
    dst.load_state_dict(to_glassnet(src.state_dict()))


def to_glassnet(state: dict) -> dict:
    return {k: glassnet.tensor(v.detach().numpy().copy()) for k, v in state.items()}


def _numpy(value):
    if isinstance(value, (torch.Tensor, glassnet.Tensor)):
        return value.detach().numpy()
    return value


def assert_same(ours, ref, name="result", rtol=1e-4, atol=1e-5):
    """Tensors by dtype, shape and values; floats approximately; the rest exactly."""
    if isinstance(ref, glassnet.Tensor):  # glassnet against itself
        assert isinstance(ours, glassnet.Tensor) and ours.dtype == ref.dtype, name
        np.testing.assert_allclose(_numpy(ours), _numpy(ref), rtol, atol, err_msg=name)
    elif isinstance(ref, torch.Tensor):
        assert isinstance(ours, glassnet.Tensor), f"{name}: got {type(ours).__name__}"
        assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1], (
            f"{name}: dtype {ours.dtype} != torch {ref.dtype}")
        assert tuple(ours.shape) == tuple(ref.shape), (
            f"{name}: shape {tuple(ours.shape)} != torch {tuple(ref.shape)}")
        np.testing.assert_allclose(_numpy(ours), _numpy(ref), rtol, atol, err_msg=name)
    elif isinstance(ref, np.ndarray):
        assert isinstance(ours, np.ndarray) and ours.dtype == ref.dtype, name
        np.testing.assert_allclose(ours, ref, rtol, atol, err_msg=name)
    elif isinstance(ref, dict):
        assert isinstance(ours, dict) and ours.keys() == ref.keys(), name
        for key in ref:
            assert_same(ours[key], ref[key], f"{name}[{key!r}]", rtol, atol)
    elif isinstance(ref, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(ref), name
        for k, (o, r) in enumerate(zip(ours, ref)):
            assert_same(o, r, f"{name}[{k}]", rtol, atol)
    elif isinstance(ref, float):
        assert type(ours) is float, f"{name}: {type(ours).__name__} is not float"
        assert ours == pytest.approx(ref, rel=rtol, abs=atol), name
    else:
        assert type(ours) is type(ref), f"{name}: {type(ours).__name__} != {type(ref).__name__}"
        assert ours == ref, f"{name}: {ours!r} != torch {ref!r}"


def assert_same_params(ours, ref, rtol=1e-3, atol=1e-5, skip=()):
    """The same state_dict keys, in order, and values (``skip``: keys not compared)."""
    theirs = dict(ref.state_dict())
    mine = dict(ours.state_dict())
    assert list(mine) == list(theirs)
    for key in theirs:
        if key not in skip:
            assert_same(mine[key], theirs[key], key, rtol, atol)


_NUMBER = re.compile(r"-?\d+(?:\.(\d+))?")


def assert_same_text(ours: str, ref: str, rtol=1e-3) -> None:
    """Printed logs: the same words; numbers within ``rtol`` or one unit of the last digit."""
    assert _NUMBER.sub("#", ours) == _NUMBER.sub("#", ref)
    for mine, theirs in zip(_NUMBER.finditer(ours), _NUMBER.finditer(ref)):
        if theirs[1] is None:
            assert mine[0] == theirs[0], (mine[0], theirs[0])
        else:
            unit = 10.0 ** -len(theirs[1])
            assert abs(float(mine[0]) - float(theirs[0])) <= max(
                unit * 1.01, rtol * abs(float(theirs[0]))), (mine[0], theirs[0])


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------
def write_idx(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def read_idx_prefix(path, count: int, item: int) -> np.ndarray:
    offset = 16 if item > 1 else 8
    with gzip.open(path, "rb") as f:
        raw = f.read(offset + count * item)
    return np.frombuffer(raw, np.uint8, offset=offset)


def both(array: np.ndarray):
    """The same array as a torch tensor and as a glassnet tensor."""
    return torch.from_numpy(array.copy()), glassnet.from_numpy(array.copy())


def reference_grid(images: np.ndarray, nrow=8, padding=2) -> np.ndarray:
    """numpy reference of torchvision's make_grid(normalize=True): min-max scaling over
    the whole batch, grey to RGB, a grid of ``nrow`` columns with ``padding`` black pixels."""
    x = images.astype(np.float32)
    low, high = x.min(), x.max()
    x = (np.clip(x, low, high) - low) / max(high - low, 1e-5)
    if x.shape[1] == 1:
        x = np.repeat(x, 3, axis=1)
    n, c, h, w = x.shape
    cols = min(nrow, n)
    rows = math.ceil(n / cols)
    grid = np.zeros((c, rows * (h + padding) + padding, cols * (w + padding) + padding),
                    np.float32)
    for k in range(n):
        top, left = divmod(k, cols)
        top, left = top * (h + padding) + padding, left * (w + padding) + padding
        grid[:, top:top + h, left:left + w] = x[k]
    return grid


def to_png(grid: np.ndarray) -> np.ndarray:
    """save_image's conversion: ``uint8(x * 255 + 0.5)`` clamped, channels last."""
    return np.clip(np.floor(grid * 255 + 0.5), 0, 255).astype(np.uint8).transpose(1, 2, 0)
