"""glassnet bench: the CLI's JSON report, the torch twins' weight copy, the FLOP counts,
the alternating schedule and the peak-memory probe (no timing is asserted)."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from glassnet import nn
from glassnet.bench import select
from glassnet.bench.memory import PeakRSS
from glassnet.bench.timing import alternate, choose_steps
from glassnet.bench.workloads import (MODEL_WORKLOADS, conv_macs, glassnet_side, model_flops,
                                      torch_side)
from glassnet.cli.main import main

HAS_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")


def _run_cli(tmp_path, *args):
    path = tmp_path / "bench.json"
    rc = main(["bench", "--quick", "--no-progress", "--json", str(path), *args])
    assert rc == 0
    return json.loads(path.read_text())


def test_bench_cli_quick_writes_json_with_the_fields(tmp_path, capsys):
    report = _run_cli(tmp_path, "--only", "mlp-train,op-overhead/add")
    out = capsys.readouterr().out
    assert "mlp-train" in out and "op-overhead/add" in out and "> 1 means glassnet" in out
    assert [w["name"] for w in report["workloads"]] == ["mlp-train", "op-overhead/add"]
    assert "> 1 means glassnet is faster" in report["conventions"]["ratio"]
    assert report["threads"]["numpy_blas"] is None or report["threads"]["numpy_blas"] >= 1
    from glassnet.ops import _blas

    assert report["machine"]["cpu"] == {"vendor": _blas.cpu_vendor(),
                                        "model": _blas.cpu_model()}
    mlp, add = report["workloads"]
    frameworks = ("glassnet", "torch") if HAS_TORCH else ("glassnet",)
    # mlp-train: 784-512-512-10, forward MACs per image, x2 FLOPs, x3 for training
    macs = 784 * 512 + 512 * 512 + 512 * 10
    assert mlp["flops_per_step"] == 2 * 3 * macs * mlp["batch"]
    for fw in frameworks:
        st = mlp[fw]
        assert st["n"] == 3 and len(st["times_s"]) == 3
        assert st["min_s"] <= st["median_s"] <= st["max_s"]
        assert st["img_per_s"] == pytest.approx(mlp["batch"] / st["median_s"])
        assert st["gflops"] == pytest.approx(mlp["flops_per_step"] / st["median_s"] / 1e9)
        assert st["memory"]["method"] in ("VmHWM", "ru_maxrss")
        assert st["peak_mib"] >= 0
        # the op probe: a step is `calls` calls; the report is per call
        assert add[fw]["us_per_call"] == pytest.approx(add[fw]["median_s"] * 1e6)
        per = add["calls_per_step"]
        assert per > 1
        assert add[fw]["max_s"] == pytest.approx(max(add[fw]["times_s"]) / per, rel=1e-3)
    if HAS_TORCH:
        assert mlp["ratio"] == pytest.approx(mlp["torch"]["median_s"] / mlp["glassnet"]
                                             ["median_s"])
        assert mlp["parity"]["ok"] and add["parity"]["ok"]
        assert "check mlp-train: first-step loss" in out


def test_bench_cli_without_torch_reports_glassnet_only(tmp_path):
    report = _run_cli(tmp_path, "--only", "op-overhead/relu", "--no-torch", "--no-memory")
    (rec,) = report["workloads"]
    assert rec["torch"] is None and rec["ratio"] is None and rec["parity"] is None
    assert rec["glassnet"]["us_per_call"] > 0
    assert report["versions"]["torch"] is None and "glassnet numbers only" in report["notes"][0]


def test_bench_select_rejects_an_unknown_name():
    with pytest.raises(ValueError, match="--only matched no workload.*nope"):
        select(["nope"])


def test_bench_select_expands_conv_groups_to_distinct_layer_shapes():
    names = [c.name for c in select(["conv-resnet20"])]
    assert names == ["conv-resnet20/3-16-k3s1-32x32", "conv-resnet20/16-16-k3s1-32x32",
                     "conv-resnet20/16-32-k3s2-32x32", "conv-resnet20/32-32-k3s1-16x16",
                     "conv-resnet20/32-64-k3s2-16x16", "conv-resnet20/64-64-k3s1-8x8"]
    assert {c.batch for c in select(["conv-resnet20"], batch=5)} == {5}


def test_bench_import_does_not_import_torch():
    code = "import sys, glassnet.bench, glassnet.cli.bench; print('torch' in sys.modules)"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": root}, check=True).stdout
    assert out.strip() == "False"


def test_no_module_of_the_package_imports_torch():
    import ast

    import glassnet

    root = os.path.dirname(glassnet.__file__)
    offenders = []
    for folder, _, files in os.walk(root):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
                mods = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                        [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                if any(m == "torch" or m.startswith("torch.") for m in mods):
                    offenders.append(f"{os.path.relpath(path, root)}:{node.lineno}")
    assert offenders == []


# -- the torch twins -----------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("name", list(MODEL_WORKLOADS))
def test_bench_torch_twin_gets_glassnet_weights_and_agrees(name):
    (case,) = select([name], quick=True)
    gn = glassnet_side(case, seed=1, count_flops=False)
    tc = torch_side(case, gn)
    a, b = gn.check(), tc.check()
    for key in a:
        np.testing.assert_allclose(a[key], b[key], rtol=1e-4, atol=1e-4 * np.abs(b[key]).max())
    if case.kind == "train" and name != "smallcnn-digits-train":  # its dropout masks differ
        gn.step()
        tc.step()
        np.testing.assert_allclose(gn.check()["loss"], tc.check()["loss"], rtol=1e-4)


@needs_torch
def test_bench_torch_conv_and_op_cases_agree():
    for case in select(["conv-resnet18/64-128-k1s2-56x56", "op-overhead/linear"], quick=True):
        gn = glassnet_side(case)
        a, b = gn.check(), torch_side(case, gn).check()
        assert set(a) == set(b) and len(a) >= 3
        for key in a:
            np.testing.assert_allclose(a[key], b[key], rtol=1e-4,
                                       atol=1e-5 * np.abs(b[key]).max())


# -- FLOP counts ---------------------------------------------------------------------
def test_bench_flops_of_a_tiny_net_are_hand_computed():
    net = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, bias=False), nn.Flatten(),
                        nn.Linear(32, 3))
    # conv: 2 out channels x 4x4 outputs x (1 x 3 x 3) taps = 288 MACs; linear: 32 x 3 = 96
    assert model_flops(net, (1, 4, 4), batch=5, train=False) == 2 * 384 * 5
    assert model_flops(net, (1, 4, 4), batch=5, train=True) == 3 * 2 * 384 * 5


def test_bench_conv_macs_with_stride_padding_and_groups():
    g = {"in_channels": 4, "out_channels": 6, "kernel_size": 3, "stride": 2, "padding": 1,
         "dilation": 1, "groups": 2, "height": 5, "width": 5}
    # 3x3 outputs, each of 6 channels sums (4 / 2) x 3 x 3 = 18 products
    assert conv_macs(g, batch=2) == 2 * 6 * 3 * 3 * 18
    g.update(dilation=2, padding=0, stride=1)  # dilated kernel spans 5: 1x1 output
    assert conv_macs(g, batch=1) == 6 * 18


# -- schedule and memory probe -------------------------------------------------------
def test_bench_alternate_runs_blocks_in_abba_order():
    calls = []
    fns = {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}
    times = alternate(fns, 6, rounds=3)
    assert {k: len(v) for k, v in times.items()} == {"a": 6, "b": 6}
    assert "".join(calls) == "aabbbbaaaabb"
    calls.clear()
    alternate(fns, 2, rounds=1, warm_each_block=True)
    assert "".join(calls) == "aaabbb"


def test_bench_choose_steps_stays_within_bounds():
    assert choose_steps(1.0, target=2.0) == 10
    assert choose_steps(0.001, target=2.0) == 100
    assert choose_steps(0.05, target=2.0) == 40


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux /proc")
def test_bench_peak_rss_sees_a_temporary_allocation():
    # NOTE: in a fresh interpreter: a test worker that has run other tests can return
    # freed memory to the OS during the probe, hiding the peak behind the baseline.
    code = (
        "import numpy as np\n"
        "from glassnet.bench.memory import PeakRSS\n"
        "big = np.ones(1_000_000); del big\n"
        "with PeakRSS() as p:\n"
        "    tmp = np.ones(10_000_000); tmp.sum(); del tmp\n"  # 76 MiB, touched
        "print(p.method, p.delta)\n")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        x for x in (root, os.environ.get("PYTHONPATH")) if x))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=120, check=True).stdout.split()
    method, delta = out[0], int(out[1])
    assert method == "VmHWM"
    assert 70 * 2 ** 20 <= delta <= 200 * 2 ** 20
