#!/usr/bin/env python3
"""Reading against ROOT 6.40 itself: rootgrad's reader (`read_all`) beside a compiled
TTree loop and RDataFrame, side by side (a benchmark, never a test).

    python validation/bench/root_read_bench.py --read-all target/release/examples/read_all \
        --root-python /work/venv-all/bin/python FILE.root [FILE.root ...] [--reps 5] [--json OUT]

--root-python is an interpreter with ROOT's Python package (`pip install root`; 6.40
here). Each FILE holds TTree `t` with float branches (bench_common.ensure_file writes
them; run.py passes the 2,000,000 x 30 files with 50,000- and 500,000-entry baskets).

Per file, one warm-up of each (the file in the page cache), then --reps rounds of, each a
fresh process, in this order:

- `rootgrad`: `read_all FILE:t` (RAYON_NUM_THREADS=2), its own time from opening the
  file to the last value in memory;
- `ROOT loop`: a C++ function compiled through `ROOT.gInterpreter.Declare` (cling,
  optimised as cling does by default) that opens the file, sets every branch's address
  to a float, and calls `TTree::GetEntry(i)` for every entry, summing the values (one
  thread, ROOT's implicit multi-threading off): the timer runs around the call only;
- `RDF 1 thread` and `RDF 2 threads`: `ROOT.RDataFrame("t", FILE)` with one `Sum` per
  branch, all booked and run in one event loop, after `ROOT.EnableImplicitMT(2)` for
  two; the timer runs from building the data frame to the last sum, so RDataFrame's
  just-in-time compilation of the booked actions is included (as a user sees it).

Every side's checksum (the float64 sum of all values) must agree with rootgrad's to 1e-6
relative, else exit 2. Prints the median, min and max M events/s of each side and the
ratios rootgrad / peer of the medians; --json saves every run.
"""

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_common import fail as _fail, loadavg, machine, run_json, save_json  # noqa: E402

SCRIPT = "root_read_bench"

# The peer program: run by --root-python, prints one JSON line.
PEER = r'''
import json, sys, time
mode, path, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
import ROOT
ROOT.gROOT.SetBatch(True)
f = ROOT.TFile.Open(path)
tree = f.Get("t")
names = [str(b.GetName()) for b in tree.GetListOfBranches()]
entries = int(tree.GetEntries())
f.Close()
if mode == "loop":
    ROOT.gInterpreter.Declare("""
    #include <TFile.h>
    #include <TTree.h>
    #include <vector>
    #include <string>
    double rootgrad_bench_loop(const char *path, const std::vector<std::string> &names) {
      TFile *f = TFile::Open(path);
      TTree *t = nullptr;
      f->GetObject("t", t);
      std::vector<float> v(names.size());
      t->SetBranchStatus("*", 0);
      for (size_t k = 0; k < names.size(); k++) {
        t->SetBranchStatus(names[k].c_str(), 1);
        t->SetBranchAddress(names[k].c_str(), &v[k]);
      }
      double sum = 0;
      const Long64_t n = t->GetEntries();
      for (Long64_t i = 0; i < n; i++) {
        t->GetEntry(i);
        for (size_t k = 0; k < v.size(); k++) sum += v[k];
      }
      delete f;
      return sum;
    }
    """)
    vec = ROOT.std.vector[ROOT.std.string]()
    for n in names:
        vec.push_back(n)
    t0 = time.perf_counter()
    checksum = ROOT.rootgrad_bench_loop(path, vec)
    seconds = time.perf_counter() - t0
else:
    if threads > 1:
        ROOT.EnableImplicitMT(threads)
    t0 = time.perf_counter()
    df = ROOT.RDataFrame("t", path)
    sums = [df.Sum(n) for n in names]
    checksum = sum(s.GetValue() for s in sums)
    seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "checksum": checksum, "entries": entries}))
'''


def fail(msg):
    _fail(SCRIPT, msg)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--read-all", required=True, help="the read_all example executable")
    ap.add_argument("--root-python", required=True, help="an interpreter with ROOT")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2, help="rootgrad's threads (default: 2)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads))
    sides = {
        "rootgrad": lambda f: [args.read_all, f"{f}:t"],
        "ROOT loop": lambda f: [args.root_python, "-c", PEER, "loop", f, "1"],
        "RDF 1 thread": lambda f: [args.root_python, "-c", PEER, "rdf", f, "1"],
        "RDF 2 threads": lambda f: [args.root_python, "-c", PEER, "rdf", f, "2"],
    }
    result = {"machine": machine(), "reps": args.reps, "threads": args.threads, "files": {}}
    for path in args.files:
        if not path.exists():
            fail(f"{path}: no such file (bench_common.ensure_file writes it)")
        runs = {s: [] for s in sides}
        load = [loadavg()]
        for r in range(args.reps + 1):
            for side, cmd in sides.items():
                out = run_json(cmd(path), SCRIPT, f"{side} on {path}", env=env)
                if r > 0:
                    runs[side].append(out)
            ref = runs["rootgrad"][-1]["checksum"] if r > 0 else None
            for side in sides:
                if r > 0:
                    c = runs[side][-1]["checksum"]
                    if abs(c - ref) > 1e-6 * max(abs(ref), 1.0):
                        fail(f"{path}: {side}'s checksum {c!r} differs from rootgrad's {ref!r}")
            if r > 0:
                print(f"{path.name} round {r}: " + ", ".join(
                    f"{s} {runs[s][-1]['seconds']:.2f} s" for s in sides), flush=True)
        load.append(loadavg())
        entries = runs["rootgrad"][0]["entries"]
        rates = {s: [entries / x["seconds"] for x in v] for s, v in runs.items()}
        med = {s: statistics.median(v) for s, v in rates.items()}
        result["files"][str(path)] = {
            "entries": entries, "load": load, "runs": runs,
            "events_per_second": {s: {"median": med[s], "min": min(v), "max": max(v)}
                                  for s, v in rates.items()},
            "ratio_rootgrad_over": {s: med["rootgrad"] / med[s] for s in sides
                                    if s != "rootgrad"},
        }
        print(f"\n{path.name}: {entries:,} entries, load {load[0][0]:.1f} -> {load[1][0]:.1f}")
        for s, v in rates.items():
            ratio = "" if s == "rootgrad" else f"   rootgrad / this {med['rootgrad'] / med[s]:.2f}x"
            print(f"  {s:<14} {med[s] / 1e6:6.2f} M events/s ({min(v) / 1e6:.2f}-"
                  f"{max(v) / 1e6:.2f}){ratio}")
    if args.json:
        save_json(args.json, result)


if __name__ == "__main__":
    main()
