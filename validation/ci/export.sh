#!/usr/bin/env bash
# CI for `rootgrad export` (issue 15): onnxruntime, a g++ -Werror driver and ROOT's
# RDataFrame against `rootgrad apply` on 120,000 entries per model
# (validation/export/check_export.py). Needs $VENV (made by .ci/run) and g++; installs
# onnx, onnxruntime and root (ROOT 6.40, ~250 MB; a no-op if already there).
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${VENV:=${TMPDIR:-/tmp}/rootgrad-ci-venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check uproot numpy awkward lz4 zstandard xxhash
fi
command -v g++ >/dev/null || { apt-get update -qq && apt-get install -y -qq g++; }
"$VENV/bin/pip" install --quiet --disable-pip-version-check onnx onnxruntime root xxhash
[ -x target/debug/rootgrad ] || cargo build --quiet
echo "== export: ONNX (onnxruntime), C++ header (g++ -Werror, ROOT RDataFrame) against apply"
"$VENV/bin/python" validation/export/check_export.py --rootgrad target/debug/rootgrad
