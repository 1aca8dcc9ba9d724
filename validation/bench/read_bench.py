#!/usr/bin/env python3
"""Read benchmark: rootgrad's TTree reader against uproot, side by side, on one file.

A benchmark, not a test: `cargo test` never runs it, and nothing asserts a time.

    python validation/bench/read_bench.py [--reps 7] [--threads 2] [--json out.json]

1. Writes (once; reused while present) a 2,000,000-entry TTree `t` of 30 float32 branches
   f0..f29 with varied, realistic distributions, zlib level 1 (uproot's default codec and
   level, given explicitly), in `extend` chunks of 100,000 entries: every branch has 20
   baskets of 400,000 bytes uncompressed.
2. Builds rootgrad's `read_all` example once (`cargo build --release --example read_all`).
3. One warm-up run of each (this also puts the file in the page cache), then --reps times,
   alternating: uproot in a fresh Python process, timing
   `uproot.open(path)["t"].arrays(library="np")` inside it; rootgrad's `read_all FILE:t`
   (RAYON_NUM_THREADS=--threads), which reports the wall time of its read, open to last
   value, as one JSON line {"entries", "branches", "seconds", "checksum"}.
4. Checks that both checksums (the float64 sum of every value) agree to 1e-6 relative, and
   prints median, min and max events/s of each and the ratio of the medians.

Needs: uproot numpy (and cargo for the rootgrad side).
"""

import argparse
import datetime
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import cpu_model, save_json  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TREE = "t"
SEED = 12345
CHECKSUM_RTOL = 1e-6


def fail(msg):
    print(f"read_bench: error: {msg}", file=sys.stderr)
    sys.exit(2)


# ---------------------------------------------------------------- the file


def branch_values(rng, k, n):
    """Branch f<k>: ten families of ntuple-like distributions, parameters varying with k."""
    import numpy as np

    fam, rep = k % 10, k // 10  # rep = 0, 1, 2 shifts each family's parameters
    if fam == 0:  # a resolution: gaussian
        v = rng.normal(0.0, 1.0 + rep, n)
    elif fam == 1:  # a mass peak on a falling background
        peak = rng.normal(91.19 + 30 * rep, 2.5, n)
        v = np.where(rng.random(n) < 0.7, peak, 60 + rng.exponential(40.0, n))
    elif fam == 2:  # transverse momentum: exponential above a threshold
        v = 20.0 + rng.exponential(25.0 * (rep + 1), n)
    elif fam == 3:  # an angle: uniform
        v = rng.uniform(-np.pi, np.pi, n)
    elif fam == 4:  # pseudorapidity: uniform-ish in the acceptance
        v = np.clip(rng.normal(0.0, 1.4, n), -2.5 - rep, 2.5 + rep)
    elif fam == 5:  # a multiplicity stored as float: integer-valued
        v = rng.poisson(3 + 2 * rep, n).astype(np.float64)
    elif fam == 6:  # a flag / category stored as float: integer-valued, few values
        v = rng.integers(0, 2 + rep, n).astype(np.float64)
    elif fam == 7:  # an isolation: mostly zero, log-normal tail
        v = np.where(rng.random(n) < 0.6, 0.0, rng.lognormal(-1.0 - rep, 1.0, n))
    elif fam == 8:  # a classifier score: beta, piled up at 0 and 1
        v = rng.beta(0.4 + 0.3 * rep, 0.4, n)
    else:  # an impact parameter with a -999 default for missing
        v = np.where(rng.random(n) < 0.1, -999.0, rng.laplace(0.0, 0.01 * (rep + 1), n))
    return v.astype(np.float32)


def make_file(path, entries, branches, chunk):
    import numpy as np
    import uproot

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    t0 = time.perf_counter()
    try:
        rng = np.random.default_rng(SEED)
        with uproot.recreate(tmp, compression=uproot.ZLIB(1)) as f:
            tree = f.mktree(TREE, {f"f{k}": "float32" for k in range(branches)})
            for start in range(0, entries, chunk):
                n = min(chunk, entries - start)
                tree.extend({f"f{k}": branch_values(rng, k, n) for k in range(branches)})
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600
        os.replace(tmp, path)  # never leave a half-written file under the reused name
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.0f} s")


def describe_file(path, entries, branches):
    """Check a (reused) file is what we expect; return its basket sizes."""
    import numpy as np
    import uproot

    with uproot.open(path) as f:
        tree = f[TREE]
        names = [b.name for b in tree.branches]
        if tree.num_entries != entries or names != [f"f{k}" for k in range(branches)]:
            return None
        comp, raw = [], []  # on disk (with the ~66-byte key), and of data (4 bytes an entry)
        for b in tree.branches:
            nb = b.num_baskets
            comp.extend(int(x) for x in b.member("fBasketBytes")[:nb])
            starts = [int(x) for x in b.member("fBasketEntry")[: nb + 1]]
            raw.extend(4 * (hi - lo) for lo, hi in zip(starts, starts[1:]))
        return {
            "file": str(path),
            "bytes": path.stat().st_size,
            "compression": str(f.file.compression),
            "entries": int(tree.num_entries),
            "branches": len(names),
            "baskets_per_branch": sorted({b.num_baskets for b in tree.branches}),
            "basket_bytes_on_disk": {
                "min": min(comp), "median": int(np.median(comp)), "max": max(comp)},
            "basket_bytes_of_data": {
                "min": min(raw), "median": int(np.median(raw)), "max": max(raw)},
        }


# ---------------------------------------------------------------- the two readers

UPROOT_RUN = r"""
import json, sys, time
import numpy as np
import uproot
path, tree, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
opts = {}
if threads > 0:
    from concurrent.futures import ThreadPoolExecutor
    opts = dict(decompression_executor=ThreadPoolExecutor(threads),
                interpretation_executor=ThreadPoolExecutor(threads))
t0 = time.perf_counter()
arrays = uproot.open(path, **opts)[tree].arrays(library="np")
seconds = time.perf_counter() - t0
entries = len(next(iter(arrays.values())))
checksum = float(sum(np.sum(a, dtype=np.float64) for a in arrays.values()))
print(json.dumps({"entries": entries, "branches": len(arrays), "seconds": seconds,
                  "checksum": checksum}))
"""


def run_json(cmd, env=None, what=""):
    """Run a command whose last stdout line is one JSON object; add its process wall time."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        fail(f"{what} failed (exit {proc.returncode}): {shlex.join(map(str, cmd))}\n"
             f"{proc.stderr.strip()[-3000:]}")
    lines = [l for l in proc.stdout.splitlines() if l.strip()]
    try:
        out = json.loads(lines[-1])
        for key in ("entries", "branches", "seconds", "checksum"):
            out[key] = float(out[key]) if key in ("seconds", "checksum") else int(out[key])
    except (IndexError, ValueError, KeyError, TypeError) as e:
        fail(f"{what}: expected one JSON line {{entries, branches, seconds, checksum}} on "
             f"stdout, got {proc.stdout.strip()[-500:]!r} ({e})")
    out["process_seconds"] = wall
    return out


def build_read_all():
    """cargo build --release --example read_all; return the executable's path."""
    if not (REPO / "Cargo.toml").exists():
        fail(f"no Cargo.toml in {REPO}: run this script from a rootgrad checkout")
    cmd = ["cargo", "build", "--release", "--example", "read_all",
           "--message-format=json-render-diagnostics"]
    print(f"building: {shlex.join(cmd)}  (in {REPO})", flush=True)
    try:
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    except FileNotFoundError:
        fail("cargo not found on PATH; install Rust, or pass --read-all PATH to a built read_all")
    if proc.returncode != 0:
        fail(f"building the read_all example failed (exit {proc.returncode}); it should be "
             f"validation/bench/read_all.rs, registered as [[example]] read_all in Cargo.toml.\n"
             f"{proc.stderr.strip()[-3000:]}")
    exe = None
    for line in proc.stdout.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if msg.get("reason") == "compiler-artifact" and msg.get("target", {}).get("name") == "read_all":
            exe = msg.get("executable") or exe
    if not exe or not os.path.exists(exe):
        fail("cargo built, but reported no read_all executable")
    return exe


# ---------------------------------------------------------------- report


def stats(runs, entries):
    rates = [entries / r["seconds"] for r in runs]
    return {"median": statistics.median(rates), "min": min(rates), "max": max(rates),
            "seconds": [r["seconds"] for r in runs],
            # whole process, start-up included (Python imports, binary start); not compared
            "process_seconds": [r["process_seconds"] for r in runs]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/rootgrad-bench"),
                    help="where the benchmark file is written and reused (default: %(default)s)")
    ap.add_argument("--reps", type=int, default=7, help="timed runs of each reader (default: 7)")
    ap.add_argument("--threads", type=int, default=2,
                    help="RAYON_NUM_THREADS for rootgrad (default: 2)")
    ap.add_argument("--uproot-threads", type=int, default=0,
                    help="if > 0, give uproot thread pools of this size for decompression and "
                         "interpretation (default: 0 = uproot's defaults, serial)")
    ap.add_argument("--entries", type=int, default=2_000_000)
    ap.add_argument("--branches", type=int, default=30)
    ap.add_argument("--chunk", type=int, default=100_000, help="entries per extend call (= per basket)")
    ap.add_argument("--read-all", metavar="EXE",
                    help="use this read_all executable instead of building the example")
    ap.add_argument("--uproot-only", action="store_true",
                    help="time uproot alone (no cargo); no ratio")
    ap.add_argument("--json", metavar="OUT", type=Path, help="also save the results here")
    args = ap.parse_args()
    if args.reps < 1:
        fail("--reps must be at least 1")

    import numpy as np
    import uproot

    path = args.workdir / f"bench-{args.entries}x{args.branches}-chunk{args.chunk}-zlib1.root"
    info = describe_file(path, args.entries, args.branches) if path.exists() else None
    if info is None:
        make_file(path, args.entries, args.branches, args.chunk)
        info = describe_file(path, args.entries, args.branches)
    else:
        print(f"reusing {path}")
    bc, bu = info["basket_bytes_on_disk"], info["basket_bytes_of_data"]
    print(f"file: {info['entries']:,} entries x {info['branches']} float32 branches, "
          f"{info['compression']}, {info['bytes'] / 1e6:.1f} MB, "
          f"{info['baskets_per_branch']} baskets/branch of {bu['median']:,} bytes of data, "
          f"{bc['min']:,}..{bc['median']:,}..{bc['max']:,} bytes on disk (min..median..max)")

    exe = None
    if not args.uproot_only:
        exe = args.read_all or build_read_all()
        if not os.path.exists(exe):
            fail(f"read_all executable {exe} does not exist")
    env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads))
    target = f"{path}:{TREE}"

    def uproot_run():
        cmd = [sys.executable, "-c", UPROOT_RUN, str(path), TREE, str(args.uproot_threads)]
        return run_json(cmd, what="uproot")

    def rootgrad_run():
        return run_json([exe, target], env=env, what="rootgrad read_all")

    print("warm-up ...", flush=True)
    warm = {"uproot": uproot_run()}
    if exe:
        warm["rootgrad"] = rootgrad_run()
    runs = {"uproot": [], "rootgrad": []}
    for rep in range(args.reps):
        r = uproot_run()
        runs["uproot"].append(r)
        line = f"rep {rep + 1}/{args.reps}: uproot {r['seconds']:.3f} s"
        if exe:
            r = rootgrad_run()
            runs["rootgrad"].append(r)
            line += f", rootgrad {r['seconds']:.3f} s"
        print(line, flush=True)

    # every run must read the same numbers
    ref = runs["uproot"][0]["checksum"]
    for who, rs in runs.items():
        for r in rs + [warm[who]] if who in warm else rs:
            if r["entries"] != args.entries or r["branches"] != args.branches:
                fail(f"{who} read {r['entries']} entries x {r['branches']} branches, "
                     f"expected {args.entries} x {args.branches}")
            if abs(r["checksum"] - ref) > CHECKSUM_RTOL * max(abs(ref), 1.0):
                fail(f"checksum mismatch: {who} {r['checksum']!r} vs uproot {ref!r} "
                     f"(relative tolerance {CHECKSUM_RTOL})")

    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": shlex.join([sys.executable] + sys.argv),
        "machine": {"nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                    else os.cpu_count(), "cpu": cpu_model(), "platform": platform.platform()},
        "versions": {"python": platform.python_version(), "uproot": uproot.__version__,
                     "numpy": np.__version__},
        "file": info,
        "threads": {"rootgrad": args.threads, "uproot": args.uproot_threads},
        "reps": args.reps,
        "checksum": ref,
        "uproot": stats(runs["uproot"], args.entries),
    }
    if exe:
        result["rootgrad_exe"] = exe
        result["rootgrad"] = stats(runs["rootgrad"], args.entries)
        result["ratio_of_medians"] = result["rootgrad"]["median"] / result["uproot"]["median"]

    m = result["machine"]
    print()
    print(f"date     {result['date']}")
    print(f"machine  {m['nproc']} CPUs, {m['cpu']}, {m['platform']}")
    print(f"command  {result['command']}")
    print(f"versions python {result['versions']['python']}, uproot {uproot.__version__}, numpy {np.__version__}")
    print(f"threads  rootgrad {args.threads} (RAYON_NUM_THREADS), uproot "
          f"{args.uproot_threads or 'default (serial)'}")
    print(f"checksum {ref!r} (float64 sum of all values; all runs agree to {CHECKSUM_RTOL:g})")
    print()
    print(f"{'reader':<10}{'median Mev/s':>14}{'min':>10}{'max':>10}   ({args.reps} runs)")
    for who in ("uproot", "rootgrad"):
        if who in result:
            s = result[who]
            print(f"{who:<10}{s['median'] / 1e6:>14.2f}{s['min'] / 1e6:>10.2f}{s['max'] / 1e6:>10.2f}")
    if exe:
        ratio = result["ratio_of_medians"]
        print(f"\nratio (rootgrad / uproot, medians): {ratio:.2f}x   (target >= 3x with 2 threads: "
              f"{'met' if ratio >= 3 else 'NOT met'})")

    if args.json:
        save_json(args.json, result)


if __name__ == "__main__":
    main()
