#!/usr/bin/env python3
"""Memory benchmark: the peak resident memory (max RSS) of `rootgrad train` and
`rootgrad apply` on the benchmark files.

A benchmark, not a test: `cargo test` never runs it.

    python validation/bench/memory_bench.py --rootgrad target/release/rootgrad \
        [--entries 2000000] [--big-entries 20000000] [--skip-big] [--json OUT]

Each measurement starts a fresh measuring process (a few lines of Python) whose only
child is the rootgrad command; it reports `getrusage(RUSAGE_CHILDREN).ru_maxrss`, so the
maxima of different runs never mix. MB here are 10^6 bytes.

- train: `rootgrad train CONFIG --threads N -q --force` with CONFIG =
  validation/bench/train_2m.toml
  (30 inputs f0..f29, [64, 64, 64] ReLU, Adam, B = 1024; signal and background from
  complementary cuts of the one tree), its `files` pointed at the --entries file with
  `--set`. Target: max RSS <= 1.5 x the
  f32 feature matrix (entries x 30 x 4 bytes) + 200 MB, 560 MB for 2,000,000 entries.
- apply: `rootgrad apply --model M FILE:t -o OUT --force --threads N -q` on the
  --entries file and, unless --skip-big, on a --big-entries file of the same 30 branches
  (written into --workdir once, chunk by chunk, about 1.7 GB for 20,000,000 entries, and
  reused). The model is apply_bench.py's (seeded random weights). Bounded memory shows
  as a max RSS that does not grow with the file (the f32 features of 20,000,000 entries
  alone would be 2,400 MB).

Needs: numpy, uproot (to write the files and the model).
"""

import argparse
import datetime
import json
import os
import platform
import shlex
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_common import (save_json, TREE, BRANCHES, ensure_file, fail as _fail, loadavg,  # noqa: E402
                          machine, run_json)

SCRIPT = "memory_bench"
# The training run: 30 inputs, [64, 64, 64] ReLU, 2 epochs on the 2M file (its comment
# says how to run it by hand).
DEFAULT_CONFIG = HERE / "train_2m.toml"
MB = 1e6

# The measuring process: runs its arguments as one child and reports that child's peak
# RSS (Linux: ru_maxrss in kB) and wall time.
MEASURE = r"""
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
seconds = time.perf_counter() - t0
if p.returncode != 0:
    sys.stderr.write(p.stderr)
    sys.exit(p.returncode)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"max_rss_kb": ru.ru_maxrss, "seconds": seconds}))
"""


def fail(msg):
    _fail(SCRIPT, msg)


def train_limit_mb(entries):
    """The issue's bound: 1.5 x the f32 feature matrix + 200 MB."""
    return 1.5 * entries * BRANCHES * 4 / MB + 200


def measure(cmd, what, env, reps):
    """Peak RSS (MB) and wall time of `cmd`, each of `reps` runs in a fresh measuring process."""
    runs = []
    for _ in range(reps):
        r = run_json([sys.executable, "-c", MEASURE] + [str(c) for c in cmd], SCRIPT, what,
                     env=env)
        runs.append({"max_rss_mb": r["max_rss_kb"] * 1024 / MB, "seconds": r["seconds"]})
    return {"command": shlex.join(map(str, cmd)), "runs": runs,
            "max_rss_mb": max(r["max_rss_mb"] for r in runs)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rootgrad", required=True, help="the rootgrad executable (release build)")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/rootgrad-bench"),
                    help="where the input files are written and reused, and the outputs go "
                         "(default: %(default)s)")
    ap.add_argument("--entries", type=int, default=2_000_000)
    ap.add_argument("--big-entries", type=int, default=20_000_000)
    ap.add_argument("--skip-big", action="store_true", help="no apply on the --big-entries file")
    ap.add_argument("--config", type=Path, default=DEFAULT_CONFIG,
                    help="the training run description (default: %(default)s); its "
                         "classification.signal/background files are set to the input file")
    ap.add_argument("--threads", type=int, default=2, help="rootgrad --threads (default: 2)")
    ap.add_argument("--reps", type=int, default=1,
                    help="runs of each command; the largest peak is reported (default: 1)")
    ap.add_argument("--only", choices=["train", "apply"], help="measure only this command")
    ap.add_argument("--json", type=Path, help="also save the results here")
    args = ap.parse_args()
    if args.reps < 1 or args.threads < 1:
        fail("--reps and --threads must be at least 1")
    if not os.access(args.rootgrad, os.X_OK):
        fail(f"{args.rootgrad} is not an executable file")
    if not args.config.is_file():
        fail(f"no training config {args.config}")

    from apply_bench import write_model

    args.workdir.mkdir(parents=True, exist_ok=True)
    n = str(args.threads)
    env = dict(os.environ, RAYON_NUM_THREADS=n)
    data = ensure_file(args.workdir, args.entries)
    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": shlex.join([sys.executable] + sys.argv),
        "machine": machine(), "python": platform.python_version(), "threads": args.threads,
        "mb": "10^6 bytes", "load_before": loadavg(), "measurements": {},
    }
    out = result["measurements"]

    if args.only in (None, "train"):
        files = json.dumps([f"{data}:{TREE}"])
        cmd = [args.rootgrad, "train", args.config, "--out", args.workdir / "memory-train",
               "--force", "-q", "--threads", n,
               "--set", f"classification.signal.files={files}",
               "--set", f"classification.background.files={files}"]
        print(f"train on {data.name} ...", flush=True)
        m = measure(cmd, "rootgrad train", env, args.reps)
        m.update(entries=args.entries, config=str(args.config),
                 limit_mb=train_limit_mb(args.entries))
        m["met"] = m["max_rss_mb"] <= m["limit_mb"]
        out[f"train_{args.entries}"] = m
        print(f"  max RSS {m['max_rss_mb']:.0f} MB (limit 1.5 x {args.entries * BRANCHES * 4 / MB:.0f}"
              f" MB + 200 MB = {m['limit_mb']:.0f} MB: {'met' if m['met'] else 'NOT met'}), "
              f"{m['runs'][-1]['seconds']:.1f} s", flush=True)

    if args.only in (None, "apply"):
        model = args.workdir / f"apply-model-{BRANCHES}x64x64x64-seed1.json"
        write_model(model, data, 1)
        sizes = [args.entries] + ([] if args.skip_big else [args.big_entries])
        for entries in sizes:
            path = ensure_file(args.workdir, entries)
            output = args.workdir / f"memory-apply-{entries}.root"
            cmd = [args.rootgrad, "apply", "--model", model, f"{path}:{TREE}", "-o", output,
                   "--force", "--threads", n, "-q"]
            print(f"apply on {path.name} ...", flush=True)
            m = measure(cmd, "rootgrad apply", env, args.reps)
            m.update(entries=entries, features_mb=entries * BRANCHES * 4 / MB)
            out[f"apply_{entries}"] = m
            print(f"  max RSS {m['max_rss_mb']:.0f} MB (the f32 features would be "
                  f"{m['features_mb']:.0f} MB), {m['runs'][-1]['seconds']:.1f} s, "
                  f"{entries / m['runs'][-1]['seconds'] / 1e6:.2f} M events/s", flush=True)
            output.unlink(missing_ok=True)

    result["load_after"] = loadavg()
    print(f"load {result['load_before']} before, {result['load_after']} after")
    if args.json:
        save_json(args.json, result)


if __name__ == "__main__":
    main()
