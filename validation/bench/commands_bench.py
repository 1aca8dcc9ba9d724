#!/usr/bin/env python3
"""The commands users run, timed as whole processes (a benchmark, never a test):
`rootgrad train` and `rootgrad apply` on the 2,000,000 x 30 float32 file in two basket
layouts (50,000 and 500,000 entries per basket), beside the step benchmark
(`train_step`) and rootgrad's own read (`read_all`), alternating, --reps rounds.

    python3 validation/bench/commands_bench.py --rootgrad target/release/rootgrad \
        --train-step target/release/examples/train_step \
        --read-all target/release/examples/read_all \
        --workdir /tmp/rootgrad-bench [--reps 3] [--threads 2] [--python PY] [--json OUT]

Standard library only; the input files are written by bench_common.ensure_file (needs
numpy and uproot: run.py does it).

Training: the reference network (30 inputs, [64, 64, 64] ReLU, Adam, no validation set,
so every event trains: validation/bench/train_2m.toml with `training.validation = 0`),
signal `f0 + f10 > 0` and background the rest. Each case runs `rootgrad train` once with
1 + EXTRA epochs (EXTRA = 3) and reads the trainer's own time of each epoch from the run
folder's history.csv (`seconds`: the epoch's steps, its training-AUC probe and the rest of
its end, from the permutation to the history row); an epoch's time is the median of epochs
2 to 1 + EXTRA (the first one also faults in the step's buffers), so reading,
standardisation, start-up and writing the model never enter it. Its rate is the training
events (2,000,000) over that. The process's CPU time (user + system) over its wall time
(how much of the cores it had: near the thread count on a quiet machine) is kept in the
JSON beside it. The cases:

- B = 1024 and 4096, plain BCE (on each basket layout for 4096);
- B = 1024 and 4096 with `[adaptation] method = "histogram"` (lambda_H 10, 10 bins):
  a domain batch of B data + B simulation events each step from a control region
  (`[domain]` data `f2 > 1`, simulation `f3 > 1` of the same file, about 320,000 each);
- B = 1024 and 4096 with `method = "reversal"` (gradient reversal alone, the domain head
  [32] on the last hidden layer) and with `method = "both"` (histogram loss and reversal).

Beside each, in the same round: the step benchmark at the same B (`train_step B`, the
fused step on consecutive batches of an in-memory set; with `--hist-epoch 2000000`,
`--rev-epoch 2000000` or `--both-epoch 2000000` for the adaptation cases: the same
epoch's steps with the domain batches and their terms, in memory). The target (issue 18):
epoch rate >= 0.9 x the step's.
With `--python PATH` (an interpreter with torch), also PyTorch's own loop as the peer of
the plain and histogram cases: one shuffled epoch of 2,000,000 events at the same B
(train_bench.py's worker: randperm, index, step; the histogram loss's domain batches
likewise), 2 threads; targets >= 3.5x at B = 1024 and >= 3x at 4096 (plain).

Apply: `rootgrad apply` of the model of the first case on each layout (whole process:
open, read, features, standardisation, forward, friend write), beside `read_all` on the
same file (its own read time), for the ratio apply / read (target >= 0.7).
"""

import argparse
import csv
import json
import os
import statistics
import sys
import resource
import tempfile
import time
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_common import (bench_file, fail as _fail, loadavg, machine, run_json,  # noqa: E402
                          run_timed, save_json)

SCRIPT = "commands_bench"
CONFIG = HERE / "train_2m.toml"
EXTRA = 3
LAYOUTS = (50_000, 500_000)

DOMAIN = ['--set', 'domain.data.files=["{f}:t"]', '--set', 'domain.data.cut="f2 > 1"',
          '--set', 'domain.mc.files=["{f}:t"]', '--set', 'domain.mc.cut="f3 > 1"']


def fail(msg):
    _fail(SCRIPT, msg)


def cases(workdir, entries):
    """(label, file, batch, method) of every training case."""
    small, big = (bench_file(workdir, entries, chunk=c) for c in LAYOUTS)
    out = [("plain", small, 1024, "none"), ("plain", small, 4096, "none"),
           ("plain", big, 4096, "none")]
    for method in ("histogram", "reversal", "both"):
        out += [(method, small, b, method) for b in (1024, 4096)]
    return out


def train_timed(cmd, out, what, env):
    """Runs `rootgrad train` (`cmd`, run folder `out`): (wall seconds of the process, its
    CPU seconds, the seconds of each epoch from history.csv)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = run_timed(cmd, SCRIPT, what, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    try:
        with open(Path(out) / "history.csv", newline="") as f:
            secs = [float(r["seconds"]) for r in csv.DictReader(f)]
    except (OSError, KeyError, ValueError) as e:
        fail(f"{what}: cannot read the epoch times of {out}/history.csv: {e}")
    if len(secs) != 1 + EXTRA:
        fail(f"{what}: history.csv has {len(secs)} epochs, expected {1 + EXTRA}")
    return wall, cpu, secs


def torch_epoch(python, threads, batch, method, entries):
    """PyTorch's own loop over one shuffled epoch of `entries` events at `batch`
    (train_bench.py's worker; with the histogram loss for "histogram"): events/s."""
    import train_bench  # noqa: E402 (standard library only at import)
    a = types.SimpleNamespace(python=python, threads=threads, min_seconds=1)
    return train_bench.run_torch(a, batch, entries, method == "histogram")["events_per_second"]


def train_cmd(exe, file, batch, method, epochs, out, threads):
    cmd = [exe, "train", CONFIG, "--quiet", "--force", "--threads", threads, "--out", out,
           "--set", f'classification.signal.files=["{file}:t"]',
           "--set", f'classification.background.files=["{file}:t"]',
           "--set", "training.validation=0", "--set", "training.early_stopping=0",
           "--set", f"training.batch_size={batch}", "--set", f"training.epochs={epochs}"]
    if method != "none":
        cmd += [a.format(f=file) for a in DOMAIN]
        cmd += ["--set", f'adaptation.method="{method}"']
    return cmd


def step_cmd(exe, batch, method, entries):
    cmd = [exe, str(batch), "--min-seconds", "1"]
    flag = {"histogram": "--hist-epoch", "reversal": "--rev-epoch", "both": "--both-epoch"}
    if method in flag:
        cmd += [flag[method], str(entries)]
    return cmd


def med(v):
    return {"median": statistics.median(v), "min": min(v), "max": max(v)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rootgrad", required=True)
    ap.add_argument("--train-step", required=True)
    ap.add_argument("--read-all", required=True)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/rootgrad-bench"))
    ap.add_argument("--entries", type=int, default=2_000_000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", choices=["train", "apply"], help="one half only")
    ap.add_argument("--cases", default="plain,histogram,reversal,both",
                    help="training cases to run, of plain, histogram, reversal, both "
                    "(default: all)")
    ap.add_argument("--python", help="an interpreter with torch: PyTorch's own loop as "
                    "the peer of the plain and histogram epochs (default: none)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads))
    for c in LAYOUTS:
        f = bench_file(args.workdir, args.entries, chunk=c)
        if not f.exists():
            fail(f"{f} is missing (bench_common.ensure_file(workdir, entries, chunk={c}) "
                 "writes it; run.py does)")
    work = Path(tempfile.mkdtemp(prefix="rootgrad-commands-"))
    th = str(args.threads)
    result = {"machine": machine(), "reps": args.reps, "threads": args.threads,
              "entries": args.entries, "extra_epochs": EXTRA, "load": [loadavg()]}

    train = {}
    model = None
    if args.only != "apply":
        wanted = set(args.cases.split(","))
        for (label, file, batch, method) in cases(args.workdir, args.entries):
            if label not in wanted:
                continue
            key = f"{label} B={batch} {file.name.split('-')[2]}"
            train[key] = {"label": label, "batch": batch, "file": str(file), "wall": [],
                          "cpu_per_wall": [], "epochs_s": [], "epoch_s": [], "step": [],
                          "torch": []}
        for r in range(args.reps):
            for key, c in train.items():
                out = work / key.replace(" ", "_")
                method = {"plain": "none"}.get(c["label"], c["label"])
                cmd = train_cmd(args.rootgrad, c["file"], c["batch"], method, 1 + EXTRA, out,
                                th)
                wall, cpu, secs = train_timed(cmd, out, f"train {key}", env)
                if model is None:
                    model = work / "model.json"
                    (out / "model.json").replace(model)
                epoch = statistics.median(secs[1:])
                c["wall"].append(wall)
                c["epochs_s"].append(secs)
                c["epoch_s"].append(epoch)
                c["cpu_per_wall"].append(cpu / wall)
                s = run_json(step_cmd(args.train_step, c["batch"], method, args.entries),
                             SCRIPT, f"train_step {key}", env)
                c["step"].append(s["events_per_second"])
                if c["label"] in ("plain", "histogram") and args.python and "chunk50000" in key:
                    c["torch"].append(torch_epoch(args.python, args.threads, c["batch"], method,
                                                  args.entries))
                step = f", step {c['step'][-1] / 1e6:.2f} M ev/s" if c["step"] else ""
                step += f", PyTorch {c['torch'][-1] / 1e6:.2f} M ev/s" if c["torch"] else ""
                print(f"round {r + 1} {key}: epochs {', '.join(f'{x:.2f}' for x in secs)} s "
                      f"-> epoch {epoch:.3f} s ({args.entries / epoch / 1e6:.2f} M ev/s){step}",
                      flush=True)
        for key, c in train.items():
            rate = [args.entries / e for e in c["epoch_s"]]
            c["epoch_rate"] = med(rate)
            if c["step"]:
                c["step_rate"] = med(c["step"])
                c["ratio_epoch_over_step"] = c["epoch_rate"]["median"] / c["step_rate"]["median"]
                c["paired"] = [a / b for a, b in zip(rate, c["step"])]
            if c["torch"]:
                c["torch_rate"] = med(c["torch"])
                c["ratio_epoch_over_torch"] = (c["epoch_rate"]["median"]
                                               / c["torch_rate"]["median"])
                c["paired_torch"] = [a / b for a, b in zip(rate, c["torch"])]
        result["train"] = train
        result["load"].append(loadavg())

    apply_ = {}
    if args.only != "train":
        if model is None:
            _, file, batch, _ = cases(args.workdir, args.entries)[0]
            run_timed(train_cmd(args.rootgrad, file, batch, "none", 1, work / "m", th),
                      SCRIPT, "train (the model for apply)", env)
            model = work / "m" / "model.json"
        for c in LAYOUTS:
            f = bench_file(args.workdir, args.entries, chunk=c)
            apply_[f"{c} per basket"] = {"file": str(f), "apply_s": [], "read_s": []}
        for r in range(args.reps + 1):
            for key, a in apply_.items():
                ta = run_timed([args.rootgrad, "apply", "-m", model, f"{a['file']}:t", "-o",
                                work / "friend.root", "--force", "--quiet", "--threads", th],
                               SCRIPT, f"apply {key}", env)
                rd = run_json([args.read_all, f"{a['file']}:t"], SCRIPT, f"read_all {key}",
                              env)["seconds"]
                if r > 0:  # round 0 warms the page cache
                    a["apply_s"].append(ta)
                    a["read_s"].append(rd)
                    print(f"round {r} apply {key}: {ta:.2f} s, read_all {rd:.2f} s", flush=True)
        for key, a in apply_.items():
            a["apply_rate"] = med([args.entries / t for t in a["apply_s"]])
            a["read_rate"] = med([args.entries / t for t in a["read_s"]])
            a["ratio_apply_over_read"] = a["apply_rate"]["median"] / a["read_rate"]["median"]
            a["paired"] = [r / t for t, r in zip(a["apply_s"], a["read_s"])]
        result["apply"] = apply_
        result["load"].append(loadavg())

    print(f"\n{result['machine']['cpu']}, {args.threads} threads, load "
          + " -> ".join(f"{x[0]:.1f}" for x in result["load"] if x))
    for key, c in train.items():
        s = (f"step {c['step_rate']['median'] / 1e6:.2f} M ev/s, epoch / step "
             f"{c['ratio_epoch_over_step']:.2f}" if c["step"] else "no step benchmark")
        if c["torch"]:
            s += (f"; PyTorch {c['torch_rate']['median'] / 1e6:.2f} M ev/s, epoch / PyTorch "
                  f"{c['ratio_epoch_over_torch']:.2f}")
        print(f"  train {key:<26} epoch {c['epoch_rate']['median'] / 1e6:.2f} M ev/s "
              f"({c['epoch_rate']['min'] / 1e6:.2f}-{c['epoch_rate']['max'] / 1e6:.2f}); {s}")
    for key, a in apply_.items():
        print(f"  apply {key:<16} {a['apply_rate']['median'] / 1e6:.2f} M ev/s, read_all "
              f"{a['read_rate']['median'] / 1e6:.2f}, apply / read "
              f"{a['ratio_apply_over_read']:.2f}")
    if args.json:
        save_json(args.json, result)
    print(json.dumps({"ok": True}))


if __name__ == "__main__":
    main()
