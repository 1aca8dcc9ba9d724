#!/usr/bin/env bash
# CI steps of the TTree conformance work (issue 16, items 4 and 5), run by .ci/run from
# the project root:
#  1. installs ROOT 6.40 (the `root` wheel, ~250 MB) into the CI venv;
#  2. ROOT writes TTrees of every leaf type and layout into a temporary folder
#     (validation/root640/generate.py), ROOT reads them (reference.py), and rootgrad's
#     reading is compared with ROOT's, bit for bit (check.py);
#  3. friend trees written by `rootgrad apply` are read back by ROOT with
#     TTree::AddFriend, Scan and RDataFrame, entry by entry (friend_root.py).
# The generated ROOT files stay in the temporary folder, never in git.
set -euo pipefail
VENV="${VENV:-${TMPDIR:-/tmp}/rootgrad-ci-venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check root uproot numpy
cargo build --quiet
BIN="$PWD/target/debug/rootgrad"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/rootgrad-root640.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

echo "== ROOT 6.40 writes TTrees of every leaf type and layout; rootgrad reads them bit-exact"
"$VENV/bin/python" validation/root640/generate.py "$WORK/files" 2>&1 | grep -E "^generate:" 
"$VENV/bin/python" validation/root640/reference.py "$WORK/files" 2>&1 | grep -E "^reference:"
"$VENV/bin/python" validation/root640/check.py "$WORK/files" --rootgrad "$BIN"

echo "== friend trees written by rootgrad apply, read back by ROOT 6.40"
"$VENV/bin/python" validation/apply_uproot.py --rootgrad "$BIN" --keep "$WORK/apply" --events 2000 >/dev/null
for f in "$WORK"/apply/folds.root "$WORK"/apply/fraction.root; do
  "$VENV/bin/python" validation/root640/friend_root.py "$f" "$WORK/apply/mc.root:Events" 2>/dev/null | grep -v "^File <"
done
