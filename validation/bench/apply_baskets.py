#!/usr/bin/env python3
"""apply against read_all on large and small baskets (issue 18.3), side by side.

A benchmark, not a test. Writes 2,000,000 x 30 float32 branches (zlib 1, TTree `t`) with
uproot `extend` calls of 500,000 and of 50,000 rows (so baskets of that many entries),
the seeded model of apply_bench.py, then for each file alternates --reps rounds of
`rootgrad apply` (whole process) and `read_all FILE:t` (its own read time) and prints
the medians, the ratio read_all/apply (target >= 0.7) and the load.

    python validation/bench/apply_baskets.py --rootgrad target/release/rootgrad \
        --read-all target/release/examples/read_all [--reps 5] [--workdir DIR]
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from apply_bench import write_model  # noqa: E402
from bench_common import BRANCHES, ensure_file, loadavg, run_json  # noqa: E402

ENTRIES = 2_000_000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rootgrad", required=True)
    ap.add_argument("--read-all", required=True)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--workdir", default="/tmp/rootgrad-bench")
    a = ap.parse_args()
    work = Path(a.workdir)
    work.mkdir(parents=True, exist_ok=True)
    for chunk in (500_000, 50_000):
        data = ensure_file(work, ENTRIES, BRANCHES, chunk)
        model = work / f"model_{chunk}.json"
        if not model.exists():
            write_model(model, data, 7)
        out = work / f"friend_{chunk}.root"
        apply = [a.rootgrad, "apply", "--model", str(model), f"{data}:t", "-o", str(out),
                 "--force", "-q"]
        times = {"apply": [], "read_all": []}
        load = [loadavg()]
        for _ in range(a.reps):
            t = time.perf_counter()
            subprocess.run(apply, check=True, stdout=subprocess.DEVNULL)
            times["apply"].append(time.perf_counter() - t)
            r = run_json([a.read_all, f"{data}:t"], "apply_baskets", "read_all")
            times["read_all"].append(r["seconds"])
        load.append(loadavg())
        ma, mr = statistics.median(times["apply"]), statistics.median(times["read_all"])
        print(f"baskets of {chunk} entries: apply {ma:.3f} s (min {min(times['apply']):.3f}, "
              f"max {max(times['apply']):.3f}), read_all {mr:.3f} s (min {min(times['read_all']):.3f}, "
              f"max {max(times['read_all']):.3f}); read_all/apply {mr / ma:.2f} (target >= 0.7); "
              f"load {load[0]} -> {load[1]}")


if __name__ == "__main__":
    main()
