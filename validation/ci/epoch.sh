#!/usr/bin/env bash
# CI steps of the `epoch` branch (issue 18 item 2): the benchmark tools of the training
# epoch run end to end on small inputs. No timing is judged here (benchmarks never are);
# this checks that the scripts the lead runs on a quiet machine work:
# - train_step's epochs with the domain terms (--hist-epoch, --rev-epoch, --both-epoch)
#   print a finite loss in the right mode, and refuse an epoch smaller than a batch;
# - commands_bench.py (the suite's `commands` part) on a 20,000-entry file in both basket
#   layouts, one round, with the binaries `cargo test` built: it reads each run's
#   history.csv, runs the step benchmark beside every case and apply beside read_all.
# About 1 minute after `cargo test`.
set -euo pipefail
: "${VENV:?set VENV to the CI venv (see .ci/run)}"
t="${CARGO_TARGET_DIR:-target}/debug"
for b in rootgrad examples/train_step examples/read_all; do
    [ -x "$t/$b" ] || cargo build --quiet --bin rootgrad --example train_step --example read_all
done
echo "== train_step epochs with the histogram loss, gradient reversal, both"
for f in --epoch --hist-epoch --rev-epoch --both-epoch; do
    out=$("$t/examples/train_step" 256 "$f" 4096)
    echo "$out"
    "$VENV/bin/python" - "$f" "$out" <<'PY'
import json, math, sys
flag, line = sys.argv[1], json.loads(sys.argv[2])
want = {"--epoch": "fused", "--hist-epoch": "fused+histogram",
        "--rev-epoch": "fused+reversal", "--both-epoch": "fused+histogram+reversal"}[flag]
assert line["mode"] == want, (flag, line)
assert line["steps"] == 16 and math.isfinite(line["final_loss"]), line
PY
done
if "$t/examples/train_step" 1024 --rev-epoch 100 2>/dev/null; then
    echo "train_step accepted an epoch smaller than a batch" >&2
    exit 1
fi
echo "== commands_bench.py end to end on 20,000 entries (debug binaries, one round)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for c in 50000 500000; do
    "$VENV/bin/python" -c "import sys; sys.path.insert(0, 'validation/bench'); \
import bench_common as b; b.ensure_file('$work', 20000, chunk=$c)"
done
"$VENV/bin/python" validation/bench/commands_bench.py --rootgrad "$t/rootgrad" \
    --train-step "$t/examples/train_step" --read-all "$t/examples/read_all" \
    --workdir "$work" --entries 20000 --reps 1 --json "$work/commands.json"
"$VENV/bin/python" - "$work/commands.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["train"]) == 9, sorted(d["train"])
for key, c in d["train"].items():
    assert len(c["epochs_s"][0]) == 4 and c["epoch_rate"]["median"] > 0, key
    assert c["ratio_epoch_over_step"] > 0, key
assert len(d["apply"]) == 2
print("commands_bench.py: 9 training cases and 2 apply cases measured")
PY
