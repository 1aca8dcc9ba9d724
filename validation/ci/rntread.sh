#!/usr/bin/env bash
# RNTuple read speed (issue 16 item 7): a smoke run of the benchmark, so it keeps working
# for the quiet-machine reruns. validation/bench/rntuple_bench.py on 20,000 entries x 30
# floats (zstd), one file written by ROOT 6.40 and one by uproot, one round: rootgrad's
# read_all (debug build), uproot, ROOT's RNTupleReader loop (1 and 2 threads) and
# RDataFrame (1 and 2 threads) must all read the same values (float64 sums agree to
# 1e-6, else exit 2). No time is asserted. Needs the `root` wheel in $VENV (installed by
# validation/ci/rntuple.sh; installed here if missing). About 1-2 minutes.
set -euo pipefail
VENV="${VENV:-${TMPDIR:-/tmp}/rootgrad-ci-venv}"
"$VENV/bin/python" -c "import ROOT" 2>/dev/null ||
  "$VENV/bin/pip" install --quiet --disable-pip-version-check root
cargo build --example read_all
WORK="$(mktemp -d "${TMPDIR:-/tmp}/rootgrad-rntread.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
echo "== RNTuple read benchmark (smoke: 20,000 entries, 1 round; no time asserted)"
"$VENV/bin/python" validation/bench/rntuple_bench.py --read-all target/debug/examples/read_all \
  --python "$VENV/bin/python" --root-python "$VENV/bin/python" --entries 20000 --reps 1 \
  --workdir "$WORK" --json "$WORK/result.json" 2> >(grep -v -i -e "warn" -e "^ " >&2)
