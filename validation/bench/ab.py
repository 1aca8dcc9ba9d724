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
        [--input FILE.root] [--read-all A_READ_ALL B_READ_ALL] [--json OUT]

--read-all adds each side's `read_all` example (its own time of reading every branch of
the input into memory) to each round; --json saves every run and the medians (run.py's
`portable` part compares the portable binary with the ordinary release build this way).
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_common import cpu_model, loadavg

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "train_2m.toml"
INPUT = Path("/tmp/rootgrad-bench/bench-2000000x30-chunk100000-zlib1.root")


CPU = []  # the CPU seconds (user + system) of each timed command, in order


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd, env):
    """The wall seconds of `cmd`; its CPU seconds are appended to CPU (on a loaded machine
    they move less than the wall time, since waiting for a core costs no CPU time)."""
    c = children_cpu()
    t = time.perf_counter()
    r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t
    CPU.append(children_cpu() - c)
    if r.returncode != 0:
        sys.exit(f"ab.py: {' '.join(map(str, cmd))} failed:\n{r.stderr}")
    return dt


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--input", type=Path, default=INPUT,
                    help="the 2,000,000 x 30 input (default: %(default)s)")
    ap.add_argument("--read-all", nargs=2, metavar=("A_READ_ALL", "B_READ_ALL"),
                    help="each side's read_all example, timed on the input each round")
    ap.add_argument("--json", type=Path, help="save every run and the medians here")
    args = ap.parse_args()
    if not args.input.exists():
        sys.exit(f"ab.py: {args.input} is missing; see this script's doc for how to write it")
    files = f'["{args.input}:t"]'
    load = [loadavg()]
    env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads))
    work = Path(tempfile.mkdtemp(prefix="rootgrad-ab-"))
    sides = {"A": args.a, "B": args.b}
    readers = dict(zip(sides, args.read_all)) if args.read_all else {}
    times = {(s, k): [] for s in sides
             for k in ("train1", "train3", "apply", "history", "read", "cpu1", "cpu3", "cpua")}
    for r in range(args.reps):
        for side, binary in sides.items():
            base = [binary, "train", str(CONFIG), "--quiet", "--threads", str(args.threads), "--force",
                    "--set", f"classification.signal.files={files}",
                    "--set", f"classification.background.files={files}"]
            t1 = timed(base + ["--set", "training.epochs=1", "--out", str(work / f"{side}1")], env)
            t3 = timed(base + ["--set", "training.epochs=3", "--set", "training.early_stopping=0",
                               "--out", str(work / f"{side}3")], env)
            model = work / f"{side}1" / "model.json"
            ta = timed([binary, "apply", "-m", str(model), f"{args.input}:t", "-o", str(work / f"{side}.root"),
                        "--force", "--quiet", "--threads", str(args.threads)], env)
            if side in readers:
                out = subprocess.run([readers[side], f"{args.input}:t"], env=env, capture_output=True,
                                     text=True)
                if out.returncode != 0:
                    sys.exit(f"ab.py: {readers[side]} failed:\n{out.stderr}")
                times[(side, "read")].append(json.loads(out.stdout.strip().splitlines()[-1])["seconds"])
            times[(side, "train1")].append(t1)
            times[(side, "train3")].append(t3)
            times[(side, "apply")].append(ta)
            for k, v in zip(("cpu1", "cpu3", "cpua"), CPU[-3:]):
                times[(side, k)].append(v)
            # the trainer's own time of each epoch (history.csv's `seconds`)
            for run in ("1", "3"):
                with open(work / f"{side}{run}" / "history.csv") as f:
                    head = f.readline().rstrip("\n").split(",")
                    col = head.index("seconds")
                    for line in f:
                        times[(side, "history")].append(float(line.rstrip("\n").split(",")[col]))
            rd = f", read {times[(side, 'read')][-1]:.2f} s" if side in readers else ""
            print(f"round {r + 1} {side}: train 1 epoch {t1:.2f} s, 3 epochs {t3:.2f} s, apply {ta:.2f} s{rd}",
                  flush=True)
    load.append(loadavg())
    print(f"\n{cpu_model()}, {os.cpu_count()} cores, {args.threads} threads, load "
          f"{load[0][0]:.1f} -> {load[1][0]:.1f}")
    print(f"{'measure':<28}{'A median':>10}{'B median':>10}{'B/A':>8}   A min-max / B min-max")
    rows = [
        ("train, 1 epoch (s)", "train1", None),
        ("train, 3 epochs (s)", "train3", None),
        ("epoch, (3 - 1) / 2 (s)", None, ("train3", "train1")),
        ("read + start, 1ep - epoch (s)", None, ("train1", "epoch")),
        ("epoch, history.csv (s)", "history", None),
        ("apply 2M (s)", "apply", None),
        ("apply 2M, CPU time (s)", "cpua", None),
        ("epoch, CPU time (3 - 1) / 2 (s)", None, ("cpu3", "cpu1")),
    ] + ([("read_all, its own time (s)", "read", None)] if readers else [])
    derived, medians = {}, {}
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
            elif pair == ("cpu3", "cpu1"):
                vals[side] = [(b - a) / 2 for a, b in zip(times[(side, "cpu1")],
                                                          times[(side, "cpu3")])]
            else:
                vals[side] = derived[(side, "read")]
        ma, mb = statistics.median(vals["A"]), statistics.median(vals["B"])
        medians[label] = {"A": vals["A"], "B": vals["B"], "A_median": ma, "B_median": mb,
                          "B_over_A": mb / ma}
        span = lambda v: f"{min(v):.2f}-{max(v):.2f}"
        print(f"{label:<28}{ma:>10.3f}{mb:>10.3f}{mb / ma:>8.3f}   {span(vals['A'])} / {span(vals['B'])}")

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"a": args.a, "b": args.b, "input": str(args.input),
                                         "reps": args.reps, "threads": args.threads,
                                         "load": load, "cpu": cpu_model(), "rows": medians},
                                        indent=1) + "\n")
        print(f"saved {args.json}")


if __name__ == "__main__":
    main()
