#!/usr/bin/env python3
"""A/B of the plain training epoch (issue 18.2) between two rootgrad binaries (a
benchmark, never a test): `rootgrad train` on the 2,000,000 x 30 benchmark file
(validation/bench/train_2m.toml with no validation set, no early stopping, the reference
network, 1 + EXTRA epochs) at each batch size, A and B alternately, `--reps` rounds.

Per run it records the epochs' own times (history.csv `seconds`, epochs 2 on: the
permutation, the steps, the training-AUC probe and the history row; reading and start-up
never enter) and the process's CPU seconds (user + system; on a loaded machine they move
less than the wall clock). With `--step A_STEP B_STEP` it also times each side's
`train_step` example at the same batch (consecutive batches of an in-memory set: the
rate the issue's target compares the epoch with, >= 0.9x). Prints, per batch size, the
medians, min-max and the ratio of medians B/A, the load before and after, and the CPU.

    python3 validation/bench/epoch_ab.py A_ROOTGRAD B_ROOTGRAD [--step A_STEP B_STEP]
        [--batches 1024,4096] [--reps 5] [--extra 3] [--threads 2] [--input FILE.root]
        [--json OUT]

Standard library only. The input is the suite's (see ab.py's doc for how to write it).
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_common import cpu_model, loadavg

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "train_2m.toml"
INPUT = Path("/tmp/rootgrad-bench/bench-2000000x30-chunk100000-zlib1.root")


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(cmd, env):
    """Runs `cmd`; returns its stdout and CPU seconds (user + system)."""
    c = children_cpu()
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    cpu = children_cpu() - c
    if r.returncode != 0:
        sys.exit(f"epoch_ab.py: {' '.join(map(str, cmd))} failed:\n{r.stderr}")
    return r.stdout, cpu


def epoch_seconds(folder):
    with open(folder / "history.csv") as f:
        head = f.readline().rstrip("\n").split(",")
        col = head.index("seconds")
        return [float(line.rstrip("\n").split(",")[col]) for line in f]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--step", nargs=2, metavar=("A_STEP", "B_STEP"))
    ap.add_argument("--batches", default="1024,4096")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--extra", type=int, default=3, help="epochs after the first")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--input", type=Path, default=INPUT)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if not args.input.exists():
        sys.exit(f"epoch_ab.py: {args.input} is missing; see ab.py's doc for how to write it")
    files = f'["{args.input}:t"]'
    env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads))
    work = Path(tempfile.mkdtemp(prefix="rootgrad-epoch-ab-"))
    sides = {"A": args.a, "B": args.b}
    steps = dict(zip(sides, args.step)) if args.step else {}
    batches = [int(b) for b in args.batches.split(",")]
    entries = 2_000_000
    load = [loadavg()]
    res = {(s, b, k): [] for s in sides for b in batches for k in ("epoch", "cpu", "step")}
    for r in range(args.reps):
        for b in batches:
            for side, exe in sides.items():
                out = work / f"{side}{b}"
                cmd = [exe, "train", str(CONFIG), "--quiet", "--threads", str(args.threads),
                       "--force", "--out", str(out),
                       "--set", f"classification.signal.files={files}",
                       "--set", f"classification.background.files={files}",
                       "--set", "training.validation=0", "--set", "training.early_stopping=0",
                       "--set", f"training.batch_size={b}",
                       "--set", f"training.epochs={1 + args.extra}"]
                _, cpu = run(cmd, env)
                secs = epoch_seconds(out)
                res[(side, b, "epoch")].append(statistics.median(secs[1:]))
                res[(side, b, "cpu")].append(cpu)
                line = f"round {r + 1} B={b} {side}: epochs {', '.join(f'{x:.2f}' for x in secs)} s, CPU {cpu:.2f} s"
                if side in steps:
                    so, _ = run([steps[side], str(b), "--min-seconds", "1"], env)
                    eps = json.loads(so.strip().splitlines()[-1])["events_per_second"]
                    res[(side, b, "step")].append(eps)
                    line += f", step {eps / 1e6:.2f} M ev/s"
                print(line, f"(load {loadavg()[0]:.1f})", flush=True)
    load.append(loadavg())
    print(f"\n{cpu_model()}, {os.cpu_count()} cores, {args.threads} threads, {args.reps} rounds, "
          f"load {load[0][0]:.1f} -> {load[1][0]:.1f}")
    print(f"{'measure':<44}{'A median':>10}{'B median':>10}{'B/A':>8}   A min-max / B min-max")
    table = {}
    span = lambda v: f"{min(v):.3f}-{max(v):.3f}"
    for b in batches:
        rows = [(f"B={b} epoch, history.csv (s)", "epoch", 1.0),
                (f"B={b} epoch rate (M ev/s)", "epoch", None),
                (f"B={b} process CPU, {1 + args.extra} epochs (s)", "cpu", 1.0)]
        if steps:
            rows.append((f"B={b} train_step (M ev/s)", "step", 1e-6))
        for label, key, scale in rows:
            if scale is None:
                va = [entries / e / 1e6 for e in res[("A", b, key)]]
                vb = [entries / e / 1e6 for e in res[("B", b, key)]]
            else:
                va = [v * scale for v in res[("A", b, key)]]
                vb = [v * scale for v in res[("B", b, key)]]
            ma, mb = statistics.median(va), statistics.median(vb)
            table[label] = {"A": va, "B": vb, "A_median": ma, "B_median": mb, "B_over_A": mb / ma}
            print(f"{label:<44}{ma:>10.3f}{mb:>10.3f}{mb / ma:>8.3f}   {span(va)} / {span(vb)}")
        if steps:
            for side in sides:
                er = statistics.median(entries / e for e in res[(side, b, "epoch")])
                sr = statistics.median(res[(side, b, "step")])
                table[f"B={b} epoch / step, {side}"] = er / sr
                print(f"{f'B={b} epoch / train_step, {side}':<44}{er / sr:>10.3f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"a": args.a, "b": args.b, "reps": args.reps,
                                         "threads": args.threads, "load": load,
                                         "cpu": cpu_model(), "rows": table}, indent=1) + "\n")
        print(f"saved {args.json}")


if __name__ == "__main__":
    main()
