#!/usr/bin/env bash
# Issue 19 item 4: how long `morph --chain` takes to train 6 variables with 3
# conditioning variables on 200,000 + 200,000 control-region events, with its default
# network settings (21 levels, [64, 64], 12 epochs, 2 folds).
#
# Uses the demo samples (`samples generate --events 200000`: zee_data and zee_mc, each
# 200,000 entries, all in the control region) with the 6 shower-shape and isolation
# variables r9, sieie, hoe, log(pfRelIso03_chg + 1e-3), log(pfRelIso03_all + 1e-3)
# and pfRelIso03_all * pt, given pt, abs(eta), nPV. Runs the release binary REPEAT
# times (default 3) and prints each run's wall, user and system seconds and the
# training seconds from morph.json, then the medians. Record `cat /proc/loadavg` with
# the numbers. Usage: bash validation/bench/chain_speed.sh [REPEAT]
set -euo pipefail
REPEAT="${1:-3}"
cargo build --release --quiet
BIN="$(pwd)/target/release/rootgrad"
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
"$BIN" samples generate --out "$T/s" --events 200000 >/dev/null
cd "$T/s"
echo "load before: $(cat /proc/loadavg)"
for i in $(seq 1 "$REPEAT"); do
  /usr/bin/time -f "%e %U %S" -o time.txt "$BIN" morph photon_id.toml --chain \
    --var r9 --var sieie --var hoe --var 'log(pfRelIso03_chg + 1e-3)' \
    --var 'log(pfRelIso03_all + 1e-3)' --var 'pfRelIso03_all * pt' \
    --given pt --given 'abs(eta)' --given nPV --out "run$i" -q >/dev/null
  train=$(python3 -c "import json; print(round(json.load(open('run$i/morph.json'))['timings']['train_seconds'], 1))")
  read -r wall user sys < time.txt
  echo "run $i: wall $wall s, user $user s, sys $sys s, training $train s (load $(cut -d' ' -f1-3 /proc/loadavg))"
  echo "$wall $user $sys $train" >> all.txt
done
python3 - <<'PY'
import statistics as s
rows = [list(map(float, l.split())) for l in open("all.txt")]
names = ["wall", "user", "sys", "training"]
print("medians:", ", ".join(f"{n} {s.median(r[i] for r in rows):.1f} s" for i, n in enumerate(names)))
print("target: training under 120 s")
PY
