#!/usr/bin/env bash
# CI steps of the RNTuple friends (issue 16, items 3 and 5), run by .ci/run from the
# project root: `rootgrad apply` on an RNTuple input (1.1 M entries in 4 clusters, written
# by uproot) writes an RNTuple friend (the default for RNTuple inputs), which uproot 5.7
# and ROOT 6.40 read: RNTupleReader, RDataFrame, and RNTupleProcessor::CreateJoin of the
# input and the friend entry by entry; and a friend of every column type (float, double,
# int32, int64, bool; examples/write_friend.rs --rntuple) read by uproot and RDataFrame
# against the example's formulas (validation/rntuple_friend/check.py). The Rust
# round trips, refusals and the flag's default run in `cargo test`
# (src/root/rntuple/write_tests.rs, validation/workflow/rntuple_friends.rs).
# ROOT is the `root` wheel that ttree.sh and rntuple.sh install into the same venv (pip
# finds it installed and does nothing). About 30 s beyond the build.
set -euo pipefail
VENV="${VENV:-${TMPDIR:-/tmp}/rootgrad-ci-venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check root uproot numpy
BIN=target/debug/rootgrad
[ -x "$BIN" ] || cargo build --quiet
WORK="$(mktemp -d "${TMPDIR:-/tmp}/rootgrad-rntw.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

echo "== RNTuple friends written by rootgrad apply, read by uproot 5.7 and ROOT 6.40 (join entry by entry)"
"$VENV/bin/python" validation/rntuple_friend/check.py --rootgrad "$BIN" --keep "$WORK" \
  2> >(grep -v -e "alpha stage" -e "warnings.warn" -e "UserWarning" -e "^$" >&2)
