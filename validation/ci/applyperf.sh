#!/usr/bin/env bash
# CI steps of the `applyperf` branch (issue 18, items 3 to 5): the benchmark tools of
# apply and the friend writer stay runnable. Not timed: a few seconds.
# - examples/friend_write_speed (debug build; `cargo test` built it) writes 300,000
#   entries x 2 float columns and prints its codec table; uproot reads the friend back
#   with the announced entries and columns;
# - validation/bench/apply_baskets.py and run.py parse their arguments (--help).
set -euo pipefail
: "${VENV:?set VENV to the CI venv (see .ci/run)}"
echo "== friend writer benchmark and apply's layouts benchmark are runnable"
bin="${CARGO_TARGET_DIR:-target}/debug/examples/friend_write_speed"
[ -x "$bin" ] || cargo build --quiet --example friend_write_speed
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$bin" "$out/speed.root" 300000 2 1 | tee "$out/log"
for s in 101 106 501 503 505; do
    grep -q "^codec setting $s: " "$out/log" || { echo "no codec line for $s"; exit 1; }
done
"$VENV/bin/python" - "$out/speed.root" <<'PY'
import sys
import uproot
t = uproot.open(sys.argv[1])["rootgrad"]
assert t.num_entries == 300000, t.num_entries
assert t.keys() == ["score0", "score1"], t.keys()
v = t["score1"].array(library="np")
assert ((v > 0) & (v < 1)).all(), "scores are sigmoids"
print("friend_write_speed's friend: 300000 entries x 2, read by uproot")
PY
"$VENV/bin/python" validation/bench/apply_baskets.py --help >/dev/null
"$VENV/bin/python" validation/bench/run.py --help >/dev/null
