#!/usr/bin/env python3
"""Apply benchmark: `rootgrad apply` end to end against uproot + numpy, side by side.

A benchmark, not a test: `cargo test` never runs it, and nothing asserts a time.

    python validation/bench/apply_bench.py --rootgrad target/release/rootgrad \
        --read-all target/release/examples/read_all [--reps 5] [--threads 2] [--json OUT]

1. The input is read_bench.py's file (TTree `t`, --entries x 30 float32 branches f0..f29,
   zlib 1), written into --workdir once and reused.
2. The model: 30 inputs f0..f29, hidden [64, 64, 64] ReLU, one sigmoid output, written as
   a model.json v1 (docs/formats.md) with seeded random weights (PyTorch's nn.Linear rule,
   U(+-1/sqrt(fan_in)) for weights and biases) and the standardisation (mean, std) of the
   file's first 100,000 entries.
3. One warm-up of each side, then --reps rounds alternating three processes:
   - rootgrad: `rootgrad apply --model M FILE:t -o OUT --force --threads N -q`
     (RAYON_NUM_THREADS=N too), timed as the wall time of the whole process: read, features,
     standardisation, forward, friend-tree write;
   - the peer, a fresh Python process timing everything after its imports: read the model,
     `uproot.open(FILE)["t"].arrays([...30 names], library="np")`, the numpy float32
     forward pass of docs/formats.md ("Scoring in Python"), and `uproot.recreate(OUT,
     compression=None)` + `mktree` + `extend` of the float32 score into a friend tree
     `rootgrad` (uncompressed, as rootgrad writes it); numpy's threads
     (OMP/OPENBLAS/MKL_NUM_THREADS) are set to N;
   - rootgrad's `read_all FILE:t` (read_bench.py's reader), its own timing of the read,
     so that apply's speed can be compared with reading alone (target >= 0.7).
4. The two friend trees must agree: same entry count, NaN in the same entries, and a
   maximum relative difference of the scores below --rtol (default 1e-5); checked after
   the warm-up and after the last round; otherwise exit 2.

Prints events/s (median, min, max) of each and the ratios of the medians; --json saves
every run. Needs: numpy, uproot.
"""

import argparse
import datetime
import json
import os
import platform
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import (save_json, TREE, BRANCHES, ensure_file, fail as _fail, loadavg,  # noqa: E402
                          machine, run_json, run_timed, summary)

SCRIPT = "apply_bench"
HIDDEN = [64, 64, 64]
FRIEND_TREE = "rootgrad"
FRIEND_BRANCH = "score"
STANDARDIZE_ENTRIES = 100_000
READ_TARGET = 0.7


def fail(msg):
    _fail(SCRIPT, msg)


# ---------------------------------------------------------------- the model


def write_model(path, data_file, seed):
    """A model.json v1 for f0..f29 -> [64, 64, 64] ReLU -> sigmoid, seeded random weights."""
    import numpy as np
    import uproot

    names = [f"f{k}" for k in range(BRANCHES)]
    with uproot.open(data_file) as f:
        cols = f[TREE].arrays(names, entry_stop=STANDARDIZE_ENTRIES, library="np")
    x = np.column_stack([cols[n].astype(np.float64) for n in names])
    mean, std = x.mean(axis=0), x.std(axis=0)
    if not (np.isfinite(mean).all() and (std > 0).all()):
        fail(f"{data_file}: a branch is constant or non-finite in its first "
             f"{STANDARDIZE_ENTRIES} entries; cannot standardise")

    rng = np.random.default_rng(seed)
    sizes = [BRANCHES] + HIDDEN + [1]
    layers = []
    for k, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        bound = 1.0 / np.sqrt(fan_in)
        w = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32)
        b = rng.uniform(-bound, bound, fan_out).astype(np.float32)
        last = k == len(sizes) - 2
        layers.append({
            # float(f32) is the f32's exact value, which reads back to the same f32
            "weight": [[float(v) for v in row] for row in w],
            "bias": [float(v) for v in b],
            "activation": "sigmoid" if last else "relu",
        })
    model = {
        "format": "rootgrad-model",
        "version": 1,
        "inputs": [{"name": n, "expression": n} for n in names],
        "standardize": {"mean": [float(v) for v in mean], "std": [float(v) for v in std]},
        "layers": layers,
        "folds": None,
        "training": {},
        "metrics": [],
        "provenance": {"written_by": "validation/bench/apply_bench.py", "seed": seed},
    }
    path.write_text(json.dumps(model) + "\n")


# ---------------------------------------------------------------- the peer

PEER = r"""
import json, sys, time
import numpy as np
import uproot
path, tree, model_path, out, friend_tree, branch = sys.argv[1:7]

t0 = time.perf_counter()
m = json.load(open(model_path))
names = [i["expression"] for i in m["inputs"]]
arrays = uproot.open(path)[tree].arrays(names, library="np")
x32 = np.column_stack([arrays[n] for n in names]).astype(np.float32, copy=False)
t1 = time.perf_counter()

st = m["standardize"]
u = ((x32.astype(np.float64) - np.asarray(st["mean"])) / np.asarray(st["std"])).astype(np.float32)
h = u
with np.errstate(over="ignore"):
    for layer in m["layers"]:
        w = np.asarray(layer["weight"], dtype=np.float32)   # (out, in)
        b = np.asarray(layer["bias"], dtype=np.float32)
        a = h @ w.T + b
        act = layer["activation"]
        if act == "relu":
            h = np.maximum(a, np.float32(0))
        elif act == "sigmoid":
            h = np.float32(1) / (np.float32(1) + np.exp(-a))
        else:
            sys.exit(f"apply peer: activation {act!r} not implemented")
score = np.ascontiguousarray(h[:, 0])
score[~np.isfinite(x32).all(axis=1)] = np.nan
t2 = time.perf_counter()

with uproot.recreate(out, compression=None) as f:
    f.mktree(friend_tree, {branch: "float32"}).extend({branch: score})
t3 = time.perf_counter()
print(json.dumps({"entries": len(score), "seconds": t3 - t0, "read_seconds": t1 - t0,
                  "forward_seconds": t2 - t1, "write_seconds": t3 - t2}))
"""


def compare_scores(ours, theirs, entries, rtol):
    """Both friend trees hold `entries` scores that agree; return the max relative diff."""
    import numpy as np
    import uproot

    got = {}
    for who, path in (("rootgrad", ours), ("peer", theirs)):
        try:
            with uproot.open(path) as f:
                got[who] = f[FRIEND_TREE][FRIEND_BRANCH].array(library="np")
        except Exception as e:  # uproot raises many kinds; all mean "not the friend we expect"
            fail(f"cannot read {FRIEND_TREE}/{FRIEND_BRANCH} of the {who} output {path}: {e}")
        if len(got[who]) != entries:
            fail(f"the {who} output {path} has {len(got[who])} entries, expected {entries}")
    a, b = got["rootgrad"].astype(np.float64), got["peer"].astype(np.float64)
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    if (nan_a != nan_b).any():
        k = int(np.argmax(nan_a != nan_b))
        fail(f"NaN scores differ: entry {k}: rootgrad {float(a[k])!r}, peer {float(b[k])!r}")
    ok = ~nan_a
    denom = np.maximum(np.maximum(np.abs(a[ok]), np.abs(b[ok])), np.finfo(np.float32).tiny)
    rel = np.abs(a[ok] - b[ok]) / denom
    worst = float(rel.max()) if rel.size else 0.0
    if worst >= rtol:
        k = int(np.flatnonzero(ok)[np.argmax(rel)])
        fail(f"scores disagree: max relative difference {worst:.3g} >= {rtol:g} at entry {k} "
             f"(rootgrad {float(a[k])!r}, peer {float(b[k])!r})")
    return worst


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rootgrad", required=True, help="the rootgrad executable (release build)")
    ap.add_argument("--read-all", required=True, help="the read_all example executable")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/rootgrad-bench"),
                    help="where the input file is written and reused, and the outputs go "
                         "(default: %(default)s)")
    ap.add_argument("--entries", type=int, default=2_000_000)
    ap.add_argument("--reps", type=int, default=5, help="timed runs of each side (default: 5)")
    ap.add_argument("--threads", type=int, default=2,
                    help="threads for rootgrad (--threads, RAYON_NUM_THREADS) and numpy "
                         "(default: 2)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the model's weights")
    ap.add_argument("--rtol", type=float, default=1e-5,
                    help="largest accepted relative difference of the scores (default: 1e-5)")
    ap.add_argument("--json", type=Path, help="also save the results here")
    args = ap.parse_args()
    if args.reps < 1 or args.threads < 1:
        fail("--reps and --threads must be at least 1")
    for exe in (args.rootgrad, args.read_all):
        if not os.access(exe, os.X_OK):
            fail(f"{exe} is not an executable file")

    import numpy as np
    import uproot

    args.workdir.mkdir(parents=True, exist_ok=True)
    data = ensure_file(args.workdir, args.entries)
    model = args.workdir / f"apply-model-{BRANCHES}x64x64x64-seed{args.seed}.json"
    write_model(model, data, args.seed)
    ours = args.workdir / f"apply-out-rootgrad-{args.entries}.root"
    theirs = args.workdir / f"apply-out-peer-{args.entries}.root"
    print(f"input {data} ({data.stat().st_size / 1e6:.0f} MB), model {model}", flush=True)

    n = str(args.threads)
    env = dict(os.environ, RAYON_NUM_THREADS=n)
    peer_env = dict(os.environ, OMP_NUM_THREADS=n, OPENBLAS_NUM_THREADS=n, MKL_NUM_THREADS=n)
    target = f"{data}:{TREE}"
    apply_cmd = [args.rootgrad, "apply", "--model", model, target, "-o", ours, "--force",
                 "--threads", n, "-q"]
    peer_cmd = [sys.executable, "-c", PEER, data, TREE, model, theirs, FRIEND_TREE,
                FRIEND_BRANCH]
    read_cmd = [args.read_all, target]

    def one_round():
        r = {"rootgrad": run_timed(apply_cmd, SCRIPT, "rootgrad apply", env=env)}
        r["peer"] = run_json(peer_cmd, SCRIPT, "the uproot + numpy peer", env=peer_env)
        read = run_json(read_cmd, SCRIPT, "read_all", env=env)
        if int(read.get("entries", -1)) != args.entries:
            fail(f"read_all read {read.get('entries')} entries, expected {args.entries}")
        r["read_all"] = read
        return r

    load_before = loadavg()
    print("warm-up ...", flush=True)
    warm = one_round()
    diff_warm = compare_scores(ours, theirs, args.entries, args.rtol)
    rounds = []
    for rep in range(args.reps):
        r = one_round()
        rounds.append(r)
        print(f"rep {rep + 1}/{args.reps}: rootgrad apply {r['rootgrad']:.3f} s, peer "
              f"{r['peer']['seconds']:.3f} s (read {r['peer']['read_seconds']:.2f}, forward "
              f"{r['peer']['forward_seconds']:.2f}, write {r['peer']['write_seconds']:.2f}), "
              f"read_all {r['read_all']['seconds']:.3f} s", flush=True)
    diff = max(diff_warm, compare_scores(ours, theirs, args.entries, args.rtol))
    load_after = loadavg()

    ev = args.entries
    apply_s = summary([ev / r["rootgrad"] for r in rounds])
    peer_s = summary([ev / r["peer"]["seconds"] for r in rounds])
    read_s = summary([ev / r["read_all"]["seconds"] for r in rounds])
    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": shlex.join([sys.executable] + sys.argv),
        "machine": machine(),
        "versions": {"python": platform.python_version(), "uproot": uproot.__version__,
                     "numpy": np.__version__},
        "input": str(data), "entries": ev, "model": str(model), "threads": args.threads,
        "reps": args.reps, "max_relative_difference": diff, "rtol": args.rtol,
        "load_before": load_before, "load_after": load_after,
        "events_per_second": {"rootgrad_apply": apply_s, "peer": peer_s,
                              "rootgrad_read_all": read_s},
        "ratio_apply_vs_peer": apply_s["median"] / peer_s["median"],
        "ratio_apply_vs_read": apply_s["median"] / read_s["median"],
        "warmup": warm, "runs": rounds,
    }

    print()
    print(f"scores agree: max relative difference {diff:.2g} (< {args.rtol:g})")
    print(f"{'':<24}{'median Mev/s':>14}{'min':>8}{'max':>8}   ({args.reps} runs)")
    for label, s in (("rootgrad apply", apply_s), ("uproot+numpy peer", peer_s),
                     ("rootgrad read_all", read_s)):
        print(f"{label:<24}{s['median'] / 1e6:>14.2f}{s['min'] / 1e6:>8.2f}{s['max'] / 1e6:>8.2f}")
    ra, rr = result["ratio_apply_vs_peer"], result["ratio_apply_vs_read"]
    print(f"apply / peer (medians): {ra:.2f}x")
    print(f"apply / read_all (medians): {rr:.2f}   (target >= {READ_TARGET}: "
          f"{'met' if rr >= READ_TARGET else 'NOT met'})")
    print(f"load {load_before} before, {load_after} after")
    if args.json:
        save_json(args.json, result)


if __name__ == "__main__":
    main()
