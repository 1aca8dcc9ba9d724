#!/usr/bin/env python3
"""apply against read_all on large and small baskets (issue 18.3), side by side.

A benchmark, not a test. Writes 2,000,000 x 30 float32 branches (zlib 1, TTree `t`) with
uproot `extend` calls of 500,000 and of 50,000 rows (so baskets of that many entries),
and the same values written by ROOT 6.40 itself (`TTree::Fill`, the default AutoFlush
and basket size, zlib 1: needs the `root` Python package, else that layout is skipped
with a note), the seeded model of apply_bench.py, then for each file alternates --reps
rounds of `rootgrad apply` (whole process) and `read_all FILE:t` (its own read time)
and prints the medians, the ratio read_all/apply (target >= 0.7), the user+system CPU
seconds of each and the load.

    python validation/bench/apply_baskets.py --rootgrad target/release/rootgrad \
        --read-all target/release/examples/read_all [--reps 5] [--workdir DIR] \
        [--layouts 500000,50000,root] [--json OUT]
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from apply_bench import write_model  # noqa: E402
from bench_common import BRANCHES, TREE, ensure_file, fail, loadavg  # noqa: E402

SCRIPT = "apply_baskets"
ENTRIES = 2_000_000
ROOT_CHUNK = 100_000  # entries handed to the C++ filler at a time (not a basket size)

# Fills TTree `t` of float branches f0..f{w-1} from a row-major float buffer, entry by
# entry with TTree::Fill: the baskets and clusters are ROOT's defaults (32,000-byte
# baskets resized by OptimizeBaskets at the first AutoFlush, AutoFlush -30,000,000).
FILL = r"""
#include <TFile.h>
#include <TTree.h>
#include <vector>
#include <string>
struct RgAutoFlushWriter {
  TFile *f; TTree *t; std::vector<float> row;
  RgAutoFlushWriter(const char *path, int width) : row(width) {
    f = TFile::Open(path, "RECREATE", "", 101);
    t = new TTree("t", "apply_baskets.py: ROOT default AutoFlush");
    for (int k = 0; k < width; ++k) {
      std::string n = "f" + std::to_string(k);
      t->Branch(n.c_str(), &row[k], (n + "/F").c_str());
    }
  }
  void fill(const float *rows, long n) {
    const int w = row.size();
    for (long i = 0; i < n; ++i) {
      for (int k = 0; k < w; ++k) row[k] = rows[i * w + k];
      t->Fill();
    }
  }
  long close() { t->Write(); long a = t->GetAutoFlush(); f->Close(); delete f; return a; }
};
"""


def root_file(workdir, entries=ENTRIES, branches=BRANCHES):
    """The values of read_bench.py's file, written by ROOT 6.40 with its default
    AutoFlush and basket sizes (zlib 1); None (with a note) when ROOT is missing."""
    path = Path(workdir) / f"bench-{entries}x{branches}-root-default-autoflush-zlib1.root"
    if path.exists():
        return path
    try:
        import ROOT
    except ImportError:
        print("no `root` Python package: the ROOT default-AutoFlush layout is skipped")
        return None
    import numpy as np
    import read_bench

    ROOT.gROOT.SetBatch(True)
    ROOT.gInterpreter.Declare(FILL)
    tmp = path.with_name(path.name + ".tmp")
    w = ROOT.RgAutoFlushWriter(str(tmp), branches)
    rng = np.random.default_rng(read_bench.SEED)
    for start in range(0, entries, ROOT_CHUNK):
        n = min(ROOT_CHUNK, entries - start)
        # the same draws, in the same order, as read_bench.make_file with chunks of
        # ROOT_CHUNK entries (so the same values as the uproot file of that chunk size)
        cols = [read_bench.branch_values(rng, k, n) for k in range(branches)]
        rows = np.ascontiguousarray(np.stack(cols, axis=1), dtype=np.float32)
        w.fill(rows, n)
    autoflush = w.close()
    os.replace(tmp, path)
    print(f"wrote {path} with ROOT (AutoFlush after the first cluster: {autoflush})")
    return path


def timed(cmd):
    """Runs `cmd`; returns (wall seconds, user+system CPU seconds, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run([str(c) for c in cmd], check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, p.stdout


def med(v):
    return {"median": statistics.median(v), "min": min(v), "max": max(v)}


def bench_layout(a, name, data, work):
    model = work / f"model_{name}.json"
    if not model.exists():
        write_model(model, data, 7)
    out = work / f"friend_{name}.root"
    apply = [a.rootgrad, "apply", "--model", model, f"{data}:{TREE}", "-o", out, "--force",
             "-q"]
    t = {"apply": [], "apply_cpu": [], "read_all": [], "read_all_cpu": []}
    load = [loadavg()]
    for _ in range(a.reps):
        wall, cpu, _ = timed(apply)
        t["apply"].append(wall)
        t["apply_cpu"].append(cpu)
        _, cpu, stdout = timed([a.read_all, f"{data}:{TREE}"])
        t["read_all"].append(json.loads(stdout.strip().splitlines()[-1])["seconds"])
        t["read_all_cpu"].append(cpu)
    load.append(loadavg())
    s = {k: med(v) for k, v in t.items()}
    ratio = s["read_all"]["median"] / s["apply"]["median"]
    paired = [r / ap for r, ap in zip(t["read_all"], t["apply"])]
    print(f"{name}: apply {s['apply']['median']:.3f} s (min {s['apply']['min']:.3f}, max "
          f"{s['apply']['max']:.3f}; CPU {s['apply_cpu']['median']:.3f} s), read_all "
          f"{s['read_all']['median']:.3f} s (min {s['read_all']['min']:.3f}, max "
          f"{s['read_all']['max']:.3f}; process CPU {s['read_all_cpu']['median']:.3f} s); "
          f"read_all/apply {ratio:.2f} (paired {min(paired):.2f}-{max(paired):.2f}; target "
          f">= 0.7); load {load[0]} -> {load[1]}", flush=True)
    rate = lambda key: med([ENTRIES / x for x in t[key]])
    return {"file": str(data), "runs": t, "summary": s, "ratio_read_over_apply": ratio,
            "paired": paired, "load": load, "entries": ENTRIES,
            "apply_rate": rate("apply"), "read_rate": rate("read_all")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rootgrad", required=True)
    ap.add_argument("--read-all", required=True)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--workdir", default="/tmp/rootgrad-bench")
    ap.add_argument("--layouts", default="500000,50000,root",
                    help="comma-separated: uproot basket sizes (entries) and/or `root`")
    ap.add_argument("--json", help="save every run here")
    a = ap.parse_args()
    work = Path(a.workdir)
    work.mkdir(parents=True, exist_ok=True)
    results = {}
    for layout in a.layouts.split(","):
        if layout == "root":
            data, name = root_file(work), "root default AutoFlush"
            if data is None:
                continue
        elif layout.isdigit():
            data, name = ensure_file(work, ENTRIES, BRANCHES, int(layout)), f"baskets of {layout} entries"
        else:
            fail(SCRIPT, f"--layouts: `{layout}` is neither a number of entries nor `root`")
        results[name] = bench_layout(a, name, data, work)
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
