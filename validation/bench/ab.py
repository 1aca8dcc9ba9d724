#!/usr/bin/env python3
"""A/B speed of two rootgrad binaries on the commands users run (a benchmark, never a
test): `rootgrad train` on the 2,000,000 x 30 benchmark file (validation/bench/
train_2m.toml; one epoch and three epochs, so the epoch is the difference and reading
plus start-up is the one-epoch run minus an epoch; the epochs' own times from
history.csv too, which the reading's noise does not touch) and `rootgrad apply` of the trained
model to the same file. The two binaries run alternately, `--reps` rounds; medians and
the min-max of each are printed, with the ratio B/A of the medians.

Standard library only. The input is written by bench_common.ensure_file (needs uproot):
run `python3 validation/bench/run.py --only read --quick` once, or
`python3 -c 'import bench_common; bench_common.ensure_file("/tmp/rootgrad-bench", 2000000)'`
from this folder in an environment with uproot.

    python3 validation/bench/ab.py A_BINARY B_BINARY [--reps 5] [--threads 2]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_common import cpu_model

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "train_2m.toml"
INPUT = Path("/tmp/rootgrad-bench/bench-2000000x30-chunk100000-zlib1.root")


def timed(cmd, env):
    t = time.perf_counter()
    r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f"ab.py: {' '.join(map(str, cmd))} failed:\n{r.stderr}")
    return dt


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    if not INPUT.exists():
        sys.exit(f"ab.py: {INPUT} is missing; see this script's doc for how to write it")
    env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads))
    work = Path(tempfile.mkdtemp(prefix="rootgrad-ab-"))
    sides = {"A": args.a, "B": args.b}
    times = {(s, k): [] for s in sides for k in ("train1", "train3", "apply", "history")}
    for r in range(args.reps):
        for side, binary in sides.items():
            base = [binary, "train", str(CONFIG), "--quiet", "--threads", str(args.threads), "--force"]
            t1 = timed(base + ["--set", "training.epochs=1", "--out", str(work / f"{side}1")], env)
            t3 = timed(base + ["--set", "training.epochs=3", "--set", "training.early_stopping=0",
                               "--out", str(work / f"{side}3")], env)
            model = work / f"{side}1" / "model.json"
            ta = timed([binary, "apply", "-m", str(model), f"{INPUT}:t", "-o", str(work / f"{side}.root"),
                        "--force", "--quiet", "--threads", str(args.threads)], env)
            times[(side, "train1")].append(t1)
            times[(side, "train3")].append(t3)
            times[(side, "apply")].append(ta)
            # the trainer's own time of each epoch (history.csv's `seconds`)
            for run in ("1", "3"):
                with open(work / f"{side}{run}" / "history.csv") as f:
                    head = f.readline().rstrip("\n").split(",")
                    col = head.index("seconds")
                    for line in f:
                        times[(side, "history")].append(float(line.rstrip("\n").split(",")[col]))
            print(f"round {r + 1} {side}: train 1 epoch {t1:.2f} s, 3 epochs {t3:.2f} s, apply {ta:.2f} s",
                  flush=True)
    print(f"\n{cpu_model()}, {os.cpu_count()} cores, {args.threads} threads, load {os.getloadavg()[0]:.1f}")
    print(f"{'measure':<28}{'A median':>10}{'B median':>10}{'B/A':>8}   A min-max / B min-max")
    rows = [
        ("train, 1 epoch (s)", "train1", None),
        ("train, 3 epochs (s)", "train3", None),
        ("epoch, (3 - 1) / 2 (s)", None, ("train3", "train1")),
        ("read + start, 1ep - epoch (s)", None, ("train1", "epoch")),
        ("epoch, history.csv (s)", "history", None),
        ("apply 2M (s)", "apply", None),
    ]
    derived = {}
    for side in sides:
        e = [(t3 - t1) / 2 for t1, t3 in zip(times[(side, "train1")], times[(side, "train3")])]
        derived[(side, "epoch")] = e
        derived[(side, "read")] = [t1 - ei for t1, ei in zip(times[(side, "train1")], e)]
    for label, key, pair in rows:
        vals = {}
        for side in sides:
            if key:
                vals[side] = times[(side, key)]
            elif pair == ("train3", "train1"):
                vals[side] = derived[(side, "epoch")]
            else:
                vals[side] = derived[(side, "read")]
        ma, mb = statistics.median(vals["A"]), statistics.median(vals["B"])
        span = lambda v: f"{min(v):.2f}-{max(v):.2f}"
        print(f"{label:<28}{ma:>10.3f}{mb:>10.3f}{mb / ma:>8.3f}   {span(vals['A'])} / {span(vals['B'])}")


if __name__ == "__main__":
    main()
