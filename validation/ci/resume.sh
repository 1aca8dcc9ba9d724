#!/usr/bin/env bash
# Issue 17, item 6, with a real Ctrl-C (SIGINT to the process, as a terminal sends it):
#  1. `train` with 3 folds (40 epochs each) gets SIGINT once fold 1 has run an epoch:
#     exit 0, the folds before the one in training saved as an incomplete model (the one
#     in training dropped: usually fold 1; on a fast machine a later one), the announced
#     message on standard error, `apply` refusing the incomplete model (exit 2, no
#     output folder);
#  2. `train --resume` trains the missing folds: model.json has the bytes of an
#     uninterrupted run's;
#  3. two SIGINTs during the first fold (slow epochs: histogram loss, batches of 16):
#     exit 130 at once, no output folder left.
# Uses the toy samples (6000 events) and the debug binary the tests built. About a
# minute on 2 idle cores.
set -euo pipefail

BIN="$(pwd)/target/debug/rootgrad"
[ -x "$BIN" ] || cargo build --quiet
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
"$BIN" samples generate --out "$T/s" --events 6000 >/dev/null
cd "$T/s"
SETS=(--set training.folds=3 --set 'training.fold="event % 3"' --set training.epochs=40)

fail() { echo "resume.sh: $*" >&2; exit 1; }

# waits until standard error file $1 has a line matching $2 (at most 10 minutes)
wait_for() {
  for _ in $(seq 1 30000); do
    grep -q "$2" "$1" && return 0
    sleep 0.02
  done
  fail "no line matching '$2' in $1"
}

echo "== resume: uninterrupted 3-fold run"
"$BIN" train photon_id.toml --out full "${SETS[@]}" -q >/dev/null

echo "== resume: SIGINT in fold 1"
"$BIN" train photon_id.toml --out part "${SETS[@]}" >out.txt 2>err.txt &
pid=$!
wait_for err.txt '^fold 1 epoch   1 '
kill -INT "$pid" 2>/dev/null || true
status=0
wait "$pid" || status=$?
[ "$status" = 0 ] || fail "interrupted train exited with $status: $(cat err.txt)"
grep -q "rootgrad: interrupt: finishing this epoch, then saving the folds that finished" err.txt ||
  fail "no interrupt message: $(cat err.txt)"
grep -q "^interrupted during fold " out.txt || fail "no interrupted line: $(cat out.txt)"
grep -q -- "--resume$" out.txt || fail "no resume command: $(cat out.txt)"
python3 - <<'EOF'
import json
m = json.load(open("part/model.json"))
missing = m["folds"]["missing"]
# the fold in training was dropped, and every fold after it; those before are kept
assert missing and missing[0] >= 1 and missing == list(range(missing[0], 3)), missing
assert len(m["folds"]["models"]) == missing[0]
s = json.load(open("part/summary.json"))
assert s["interrupted"] and s["dropped_fold"]["fold"] == missing[0], s
assert s["missing_folds"] == missing, s
EOF
status=0
"$BIN" apply -m part/model.json zee_data.root --output-dir part/fr 2>apply.txt || status=$?
[ "$status" = 2 ] || fail "apply of an incomplete model exited with $status"
grep -q "of 3 not trained" apply.txt || fail "$(cat apply.txt)"
[ ! -e part/fr ] || fail "apply left part/fr behind"

echo "== resume: train --resume"
"$BIN" train photon_id.toml --out part "${SETS[@]}" --resume -q >resume.txt
grep -q "^resumed: fold(s) 0" resume.txt || fail "$(cat resume.txt)"
cmp part/model.json full/model.json || fail "resumed model.json differs from the uninterrupted run's"

echo "== resume: two SIGINTs stop at once"
"$BIN" train photon_id.toml --out twice/deep "${SETS[@]}" --set adaptation.method=histogram \
  --set training.batch_size=16 >out2.txt 2>err2.txt &
pid=$!
wait_for err2.txt '^fold 0 epoch   1 '
kill -INT "$pid" 2>/dev/null || true
sleep 0.05
kill -INT "$pid" 2>/dev/null || true
status=0
wait "$pid" || status=$?
[ "$status" = 130 ] || fail "two SIGINTs: exit $status: $(cat err2.txt)"
grep -q "interrupted twice; stopping now, writing nothing more" err2.txt || fail "$(cat err2.txt)"
[ ! -e twice ] || fail "two SIGINTs left an output folder: $(find twice)"
echo "resume: ok"
