#!/usr/bin/env bash
# CI steps of the vector<vector<T>> work (issue 16, item 4's nested vectors), run by
# .ci/run from the project root. The bit-exact Python check of nested.root against ROOT
# runs in validation/ci/ttree.sh (generate.py, reference.py, check.py); this script runs
# the Rust test on the same kind of file:
#  1. ROOT 6.40 (the `root` wheel, already installed by ttree.sh; pip makes sure) writes
#     nested.root alone (validation/root640/generate.py --only-nested: 13 number types,
#     split levels 0 and 99, 20-40 baskets per branch) and reads it (reference.py);
#  2. `cargo test --test validation nested` compares rootgrad's lists of lists with
#     ROOT's reading, bit for bit, whole and in ranges that cut baskets.
# About a minute (most of it compiling the vector<vector<T> > dictionaries).
set -euo pipefail
VENV="${VENV:-${TMPDIR:-/tmp}/rootgrad-ci-venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check root
WORK="$(mktemp -d "${TMPDIR:-/tmp}/rootgrad-vecvec.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

echo "== vector<vector<T>> written by ROOT 6.40, read by rootgrad (Rust test) against ROOT's reading"
"$VENV/bin/python" validation/root640/generate.py "$WORK" --only-nested 2>&1 | grep -E "^generate:"
"$VENV/bin/python" validation/root640/reference.py "$WORK" 2>&1 | grep -E "^reference:"
ROOTGRAD_ROOT640_DIR="$WORK" ROOTGRAD_REQUIRE_ROOT640=1 cargo test --quiet --test validation nested
