#!/usr/bin/env python3
"""A/B speed of the training step of two builds of `examples/train_step` (a benchmark,
never a test): the one-output network of the issue-18 benchmark (30 inputs, hidden
[64, 64, 64] ReLU, one logit, weighted BCE, Adam, f32), fused pass and separate passes,
for a before/after comparison of an engine change that must leave the one-output path
unchanged (issue 19: `NetworkSpec::outputs`).

    python3 validation/bench/train_step_ab.py A_TRAIN_STEP B_TRAIN_STEP [--reps 7]
        [--threads 2] [--batches 1024,65536] [--steps N] [--json OUT]

Each binary is a `cargo build --release --example train_step` of one commit (copy
`target/release/examples/train_step` away between the builds). For each batch size and
mode (`fused`, `--separate`), the two binaries run alternately, --reps rounds, each run
10 warm-up steps then --steps timed steps (default max(20, 204800 / batch): 200 at 1024,
20 at 65536). Per run: the example's own seconds per step
(wall, timed steps only) and the process's CPU seconds (user + system, getrusage; less
sensitive to other load than wall time; includes the set-up, the same for both). Prints
the median and min-max of each, the ratio B/A of the medians, whether both sides end on
the same loss (they must, bit for bit, when the change keeps the one-output results), the
CPU model and the load average before and after.

Standard library only.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import cpu_model, loadavg  # noqa: E402


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(binary, batch, steps, separate, threads):
    cmd = [binary, str(batch), "--steps", str(steps), "--warmup", "10"]
    if separate:
        cmd.append("--separate")
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    c = children_cpu()
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    cpu = children_cpu() - c
    if r.returncode != 0:
        sys.exit(f"train_step_ab.py: {' '.join(cmd)} failed:\n{r.stderr}")
    out = json.loads(r.stdout.strip().splitlines()[-1])
    return out["seconds_per_step"], cpu, out["final_loss"]


def summary(v):
    return f"median {statistics.median(v):.6g} (min {min(v):.6g}, max {max(v):.6g})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batches", default="1024,65536")
    ap.add_argument("--steps", type=int)
    ap.add_argument("--json")
    o = ap.parse_args()
    print(f"CPU: {cpu_model()}; threads {o.threads}; load before: {loadavg()}")
    results = []
    for batch in [int(b) for b in o.batches.split(",")]:
        steps = o.steps or max(20, 204800 // batch)
        for separate in (False, True):
            mode = "separate" if separate else "fused"
            # one warm-up run of each (page cache, CPU frequency)
            run(o.a, batch, 10, separate, o.threads)
            run(o.b, batch, 10, separate, o.threads)
            sides = {"A": ([], [], set()), "B": ([], [], set())}
            for _ in range(o.reps):
                for name, binary in (("A", o.a), ("B", o.b)):
                    sps, cpu, loss = run(binary, batch, steps, separate, o.threads)
                    sides[name][0].append(sps)
                    sides[name][1].append(cpu)
                    sides[name][2].add(loss)
            (wa, ca, la), (wb, cb, lb) = sides["A"], sides["B"]
            r_wall = statistics.median(wb) / statistics.median(wa)
            r_cpu = statistics.median(cb) / statistics.median(ca)
            same = la == lb and len(la) == 1
            print(f"batch {batch} {mode}:")
            print(f"  A s/step {summary(wa)}; CPU s/run {summary(ca)}")
            print(f"  B s/step {summary(wb)}; CPU s/run {summary(cb)}")
            print(f"  ratio B/A: wall s/step {r_wall:.3f}, CPU s/run {r_cpu:.3f}; "
                  f"same final loss: {same} {sorted(la | lb)}")
            results.append({"batch": batch, "mode": mode, "a_seconds_per_step": wa,
                            "b_seconds_per_step": wb, "a_cpu": ca, "b_cpu": cb,
                            "ratio_wall": r_wall, "ratio_cpu": r_cpu, "same_loss": same})
    print(f"load after: {loadavg()}")
    if o.json:
        with open(o.json, "w") as fh:
            json.dump({"cpu": cpu_model(), "results": results}, fh, indent=1)


if __name__ == "__main__":
    main()
