#!/usr/bin/env bash
# RNTuple reading (issue 16), the checks that need Python; the Rust ones (the 22 shared
# files against uproot, chains, corrupt files, ~8,400 mutated files) run in `cargo test`
# (validation/rntuple.rs).
# 1. RNTuples written by uproot 5.7 (every type, every codec, 3 clusters) read by rootgrad
#    exactly; train + apply on RNTuple copies of the demo samples score exactly as on the
#    TTrees (validation/rntuple_uproot.py).
# 2. RNTuples written by ROOT 6.40 (the `root` wheel) of every field type and codec, with
#    3 clusters, read bit for bit as ROOT's RDataFrame reads them (validation/rntuple_root.py).
# About 2 minutes beyond the wheel's download (~250 MB).
set -euo pipefail
VENV="${VENV:-${TMPDIR:-/tmp}/rootgrad-ci-venv}"
BIN=target/debug/rootgrad
[ -x "$BIN" ] || cargo build

echo "== RNTuples written by uproot, read by rootgrad"
"$VENV/bin/python" validation/rntuple_uproot.py --rootgrad "$BIN"

echo "== RNTuples written by ROOT 6.40, read by rootgrad against ROOT's own reading"
"$VENV/bin/pip" install --quiet --disable-pip-version-check root
"$VENV/bin/python" validation/rntuple_root.py --rootgrad "$BIN" 2> >(grep -v -e "deprecated" -e "^ " -e "^/" >&2)
