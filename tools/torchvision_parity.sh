#!/usr/bin/env bash
# Run glassnet's torchvision-dependent tests against the real torchvision.
#
# CI has torch without torchvision, so these tests skip there (or fall back to torchvision's
# formulas transcribed in plain torch).  This runs them in an interpreter that has torch,
# torchvision and glassnet's test dependencies (pyproject's "test" extra minus torch) but
# not glassnet itself: run from the repository root, the checkout is what gets imported.
#
#   tools/torchvision_parity.sh [PYTHON] [pytest options...]
#
# PYTHON defaults to $TV_PYTHON, else python3.  Example, with a venv made once by
#   python3 -m venv ../tvenv && ../tvenv/bin/pip install torch==2.14.1 torchvision==0.29.1 numpy pillow \
#       safetensors scikit-learn scipy matplotlib rich scikit-image opencv-python-headless \
#       pycocotools hypothesis pytest pytest-xdist numba onnx onnxruntime
#   tools/torchvision_parity.sh ../tvenv/bin/python
# It fails if torchvision is missing, if a test fails, or if a test still skipped for want
# of torchvision; its last line says how many tests ran.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${TV_PYTHON:-python3}
if [[ $# -gt 0 && $1 != -* ]]; then py=$1; shift; fi

versions=$("$py" -c 'import torch, torchvision, numpy; print(f"torch {torch.__version__}, \
torchvision {torchvision.__version__}, numpy {numpy.__version__}")') || {
    echo "torchvision_parity: $py cannot import torch and torchvision" >&2; exit 2; }
"$py" -c 'import os, glassnet; d = os.path.dirname(os.path.dirname(glassnet.__file__))
assert os.path.samefile(d, "."), f"glassnet is imported from {d}, not from this checkout"' || {
    echo "torchvision_parity: uninstall glassnet from $py (the checkout must be imported)" >&2
    exit 2; }

# Test files that use torchvision itself (an import or importorskip of it), the import
# map (each torchvision path's names), and the PyTorch programs, whose torch run imports
# torchvision where it is installed.
uses='importorskip\("torchvision|find_spec\("torchvision|^\s*(import|from) torchvision'
uses+='|_torchvision\(\)'
mapfile -t files < <({ grep -rlE --include='test_*.py' "$uses" tests
                       echo tests/test_import_map.py; echo tests/test_torch_programs.py; } \
                     | sort -u)

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "torchvision_parity: ${#files[@]} test files with $versions"
start=$SECONDS
set +e
OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} \
MKL_NUM_THREADS=${MKL_NUM_THREADS:-1} \
    "$py" -m pytest "${files[@]}" -q -n 0 -rs -p no:randomly "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
summary=$(grep -E '^=* ?[0-9]+ [a-z]+.* in [0-9.]+s' "$log" | tail -1 \
          | sed -E 's/=//g; s/ in [0-9.]+s.*//; s/^ +//' || true)
ran=$( (grep -oE '[0-9]+ (passed|failed|errors?|xfailed|xpassed)' <<<"$summary" || true) \
      | awk '{n += $1} END {print n + 0}')
if grep -E '^SKIPPED \[[0-9]+\] [^ ]+: .*torchvision' "$log" >/dev/null; then
    echo "torchvision_parity: tests skipped for want of torchvision (see SKIPPED above)" >&2
    rc=1
fi
echo "torchvision_parity: ran $ran tests ($summary) in $((SECONDS - start)) s"
exit "$rc"
