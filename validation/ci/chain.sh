#!/usr/bin/env bash
# Issue 19 (chain): a small `morph --chain` run on the demo's Z -> ee control region
# (3,000 + 3,000 events: 2 variables, one with a point mass, 3 conditioning variables,
# 2 folds), then `apply -m chain.json` on the simulation file, and uproot checks that
# the apply friend's values equal morph's friend entry for entry (bit for bit, NaN
# where NaN) and that every entry has a finite corrected value. Uses the debug binary
# the tests built and $VENV's uproot. About 30 s on 2 idle cores.
set -euo pipefail

BIN="$(pwd)/target/debug/rootgrad"
[ -x "$BIN" ] || cargo build --quiet
PY="${VENV:-${TMPDIR:-/tmp}/rootgrad-ci-venv}/bin/python"
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
"$BIN" samples generate --out "$T/s" --events 3000 >/dev/null
cd "$T/s"

echo "== chain: morph --chain on the demo's control region"
"$BIN" morph photon_id.toml --chain --var r9 --var 'log(pfRelIso03_chg + 1e-3)' \
  --given pt --given 'abs(eta)' --given nPV --levels 11 --hidden 16,16 --epochs 5 \
  --out m -q
test -f m/chain.json && test -f m/morph.json && test -f m/report/index.html

echo "== chain: apply -m chain.json"
"$BIN" apply -m m/chain.json zee_mc.root --output-dir ap -q

"$PY" - <<'PY'
import json
import numpy as np
import uproot

m = uproot.open("m/zee_mc.morph.root")["morph"]
a = uproot.open("ap/zee_mc.rootgrad.root")["rootgrad"]
src = uproot.open("zee_mc.root")["Events"]
assert m.num_entries == a.num_entries == src.num_entries, (m.num_entries, a.num_entries)
for b in ["r9_morphed", "log_pfRelIso03_chg_1e_3_morphed"]:
    x = m[b].array(library="np")
    y = a[b].array(library="np")
    assert x.dtype == np.float64 and y.dtype == np.float64
    assert np.array_equal(x.view(np.uint64), y.view(np.uint64)), b
    assert np.isfinite(x).all(), b
s = json.load(open("m/morph.json"))
assert s["method"] == "chain" and s["folds"]["k"] == 2, s
print("chain: apply equals morph on", a.num_entries, "entries")
PY
