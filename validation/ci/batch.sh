#!/bin/bash
# Batch jobs for real (docs/batch.md): a single-node Slurm cluster on this machine
# (munged, slurmctld, slurmd; configuration in validation/slurm/), a sharded apply of a
# three-file chain run as a Slurm job array with the rootgrad binary, one shard killed
# with kill -9 mid-run, `batch status` showing it, the rescue array rerunning it alone,
# `batch merge`, and every entry's score (and every byte) equal to a one-process
# `apply`. The HTCondor submit files are parsed and expanded by HTCondor's own Python
# bindings. The daemons are stopped at the end by their process ids.
set -euo pipefail

VENV="${VENV:-${TMPDIR:-/tmp}/rootgrad-ci-venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check uproot numpy awkward lz4 zstandard xxhash
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check htcondor

echo "== batch: the binary"
BIN="${ROOTGRAD_BIN:-target/portable/rootgrad}"
if [ ! -x "$BIN" ]; then
  cargo build --release --quiet
  BIN=target/release/rootgrad
fi
BIN="$(realpath "$BIN")"
"$BIN" --version

echo "== batch: Slurm and munge (apt)"
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/rootgrad-batch-XXXXXX")"
STATE="$WORK/slurm"
mkdir -p "$STATE/ctld" "$STATE/spool" "$WORK/munge"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for f in "$STATE/slurmd.pid" "$STATE/slurmctld.pid" "$WORK/munge/munged.pid"; do
    if [ -s "$f" ]; then kill "$(cat "$f" 2>/dev/null)" 2>/dev/null || true; fi
  done
}
trap cleanup EXIT

# munge: a key of its own, socket and pid in the work folder
dd if=/dev/urandom of="$WORK/munge/munge.key" bs=1024 count=1 status=none
chmod 600 "$WORK/munge/munge.key"
chown -R munge:munge "$WORK/munge"
chmod 755 "$WORK" "$WORK/munge"
SOCKET="$WORK/munge/munge.socket"
runuser -u munge -- /usr/sbin/munged --key-file="$WORK/munge/munge.key" \
  --socket="$SOCKET" --pid-file="$WORK/munge/munged.pid" \
  --log-file="$WORK/munge/munged.log" --seed-file="$WORK/munge/munged.seed"
for _ in $(seq 50); do [ -s "$WORK/munge/munged.pid" ] && break; sleep 0.1; done

HOST="$(hostname -s)"
CPUS="$(nproc)"
MEM=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
sed -e "s|@HOST@|$HOST|g" -e "s|@STATE@|$STATE|g" -e "s|@CPUS@|$CPUS|g" \
    -e "s|@MEM@|$MEM|g" -e "s|@CTLD_PORT@|16817|g" -e "s|@D_PORT@|16818|g" \
    validation/slurm/slurm.conf.in > "$STATE/slurm.conf"
# Slurm finds munge's socket through its AuthInfo setting
echo "AuthInfo=socket=$SOCKET" >> "$STATE/slurm.conf"
export SLURM_CONF="$STATE/slurm.conf"
/usr/sbin/slurmctld -f "$SLURM_CONF"
/usr/sbin/slurmd -f "$SLURM_CONF"
for _ in $(seq 100); do
  [ -s "$STATE/slurmctld.pid" ] && [ -s "$STATE/slurmd.pid" ] && break
  sleep 0.2
done
PIDS+=("$(cat "$STATE/slurmd.pid")" "$(cat "$STATE/slurmctld.pid")" "$(cat "$WORK/munge/munged.pid")")
for _ in $(seq 100); do
  sinfo -h -o %T 2>/dev/null | grep -q idle && break
  sleep 0.3
done
sinfo

echo "== batch: inputs (uproot) and a model"
D="$WORK/data"
"$VENV/bin/python" validation/batch/make_inputs.py "$D" "${BATCH_ENTRIES:-1000000}"
"$BIN" train "$D/run.toml" --out "$D/m" -q

echo "== batch: plan and job folder"
JOBS="$WORK/jobs"
"$BIN" batch apply -m "$D/m/model.json" "$D"/chain_*.root --shards 6 --dir "$JOBS" \
  --output-dir "$D/merged" --cpus 1 --minutes 10 --max-running 1 --binary "$BIN"
"$VENV/bin/python" validation/batch/condor_expand.py "$JOBS"

wait_jobs() {
  for _ in $(seq 600); do
    [ -z "$(squeue -h -o %i)" ] && return 0
    sleep 0.5
  done
  echo "jobs did not finish"; squeue; return 1
}

echo "== batch: the job array, shard 2 killed with kill -9 mid-run"
sbatch "$JOBS/slurm.sh"
KILLED=0
# A tight loop of shell builtins only (no subprocess): the shard's `.started` marker
# appears (written whole, by rename) before it reads its first entry; its pid is killed
# within a millisecond or so, long before the shard can finish (it scores ~500k entries).
STARTED="$JOBS/shards/0002.started"
END=$((SECONDS + 600))
while [ "$SECONDS" -lt "$END" ]; do
  if [ -e "$STARTED" ]; then
    PID=""
    while read -r line; do
      case "$line" in *'"pid"'*) PID="${line//[^0-9]/}" ;; esac
    done < "$STARTED"
    kill -9 "$PID" && KILLED=1
    break
  fi
done
[ "$KILLED" = 1 ] || { echo "shard 2 never started"; exit 1; }
wait_jobs
"$BIN" batch status "$JOBS" | tee "$WORK/status.txt"
grep -E "^shard +2 +killed" "$WORK/status.txt"
grep -q "5 of 6 shards done" "$WORK/status.txt"
if "$BIN" batch merge "$JOBS" 2> "$WORK/merge.err"; then
  echo "merge should refuse while shard 2 is not done"; exit 1
fi
grep -q "2 (killed)" "$WORK/merge.err"

echo "== batch: the rescue reruns shard 2 alone"
"$BIN" batch rescue "$JOBS" --cpus 1 --minutes 10 --binary "$BIN"
grep -q -- "--array=2%" "$JOBS/slurm-rescue-1.sh"
"$VENV/bin/python" validation/batch/condor_expand.py "$JOBS" --expect=2 \
  condor-rescue-1.sub condor-rescue-1-transfer.sub
sbatch "$JOBS/slurm-rescue-1.sh"
wait_jobs
"$BIN" batch status "$JOBS" | tee "$WORK/status.txt"
grep -q "6 of 6 shards done" "$WORK/status.txt"
# the rerun ran with the single core Slurm granted
grep -q '"threads": 1' "$JOBS/shards/0002.json"

echo "== batch: merge, and every score (and byte) equal to a one-process apply"
"$BIN" batch merge "$JOBS"
# a friend records the path it was written under: the one-process apply writes into the
# same folder, after the merged files are put aside
mkdir "$D/from-shards"
mv "$D"/merged/*.root "$D/from-shards/"
"$BIN" apply -m "$D/m/model.json" "$D"/chain_*.root --output-dir "$D/merged" -q
"$VENV/bin/python" validation/batch/compare.py "$D/merged" "$D/from-shards"
echo "== batch: passed"
