#!/usr/bin/env python3
"""Reading an RNTuple into memory: rootgrad against uproot and ROOT 6.40, side by side
(a benchmark, never a test).

    python validation/bench/rntuple_bench.py --read-all target/release/examples/read_all \\
        [--root-python /work/venv-all/bin/python] [--reps 5] [--threads 2] \\
        [--entries 2000000] [--workdir /tmp/rootgrad-bench] [--json OUT]

Inputs (written once into --workdir, reused while present): 2,000,000 entries x 30
float fields `f0..f29` of standard normal values, zstd, in two files:
- `rntuple-2000000x30-root.root`, written by ROOT 6.40's `RNTupleWriter` with its
  default options (zstd level 5 = setting 505, SplitReal32 columns, default page and
  cluster sizes: pages of 262,144 values; here one cluster), through --root-python;
- `rntuple-2000000x30-uproot.root`, written by uproot 5.7 (`uproot.recreate(...,
  compression=uproot.ZSTD(5))`, the first 200,000 entries by assignment and the rest in
  `extend` calls of 200,000: one cluster of one page per column each).
Without --root-python (or when it cannot import ROOT) only the uproot-written file is
measured, and the ROOT sides are left out.

Per file, one warm-up of each side (the file in the page cache), then --reps rounds of,
each side a fresh process, in this order:
- `rootgrad`: `read_all FILE:ntuple` (validation/bench/read_all.rs, release build,
  RAYON_NUM_THREADS=--threads): every field into an f32 vector, timed from opening the
  file to the last value in memory;
- `uproot`: `uproot.open(FILE)["ntuple"].arrays(library="np")` (serial, as users run
  it), every field into a numpy array, timed the same way;
- `ROOT loop`: a C++ function compiled through `ROOT.gInterpreter.Declare` that opens
  the ntuple with `ROOT::RNTupleReader::Open`, takes an `RNTupleView<float>` of each
  field and reads every value of every entry, summing them (no copy into memory: less
  work than the others); ROOT's implicit multi-threading off (one thread);
- `ROOT loop 2 threads`: the same after `ROOT.EnableImplicitMT(2)` (RNTuple then
  decompresses pages in ROOT's task pool);
- `RDF 1 thread`, `RDF 2 threads`: `ROOT.RDataFrame("ntuple", FILE)` with one `Sum` per
  field, all booked and run in one event loop (after `ROOT.EnableImplicitMT(2)` for
  two); the timer runs from building the data frame to the last sum, so its
  just-in-time compilation is included, as a user sees it (summing: no copy).
Each side also reports the CPU seconds (user + system, all threads) of the same timed
stretch, which depend less on other work on the machine than the wall time does.

Every side's checksum (the float64 sum of all values) must agree with rootgrad's to 1e-6
relative, else exit 2. Prints, per file, the median, min and max M events/s of each side
and the ratios rootgrad / peer of the medians (wall and CPU), the load before and after;
--json saves every run. run.py's `read` part runs this script and puts its rows in the
suite's table (the target row: the ROOT-written file against uproot, >= 3x; and against
RDF 2 threads, > 1x).
"""

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_common import fail as _fail, loadavg, machine, run_json, save_json  # noqa: E402

SCRIPT = "rntuple_bench"
FIELDS = 30
UPROOT_CHUNK = 200_000

# ROOT 6.40 writes the input: RNTupleWriter with default options.
WRITE_ROOT = r'''
import sys, ROOT
ROOT.gInterpreter.Declare(r"""
#include <ROOT/RNTupleModel.hxx>
#include <ROOT/RNTupleWriter.hxx>
#include <random>
#include <string>
#include <vector>
void rg_bench_write(const char* path, long long entries, int fields) {
  auto model = ROOT::RNTupleModel::Create();
  std::vector<std::shared_ptr<float>> f;
  for (int k = 0; k < fields; ++k) f.push_back(model->MakeField<float>("f" + std::to_string(k)));
  auto w = ROOT::RNTupleWriter::Recreate(std::move(model), "ntuple", path);
  std::mt19937_64 g(1);
  std::normal_distribution<float> nd;
  for (long long i = 0; i < entries; ++i) { for (auto &x : f) *x = nd(g); w->Fill(); }
}
""")
ROOT.rg_bench_write(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
'''

# uproot 5.7 writes the input: zstd 5, extend calls of UPROOT_CHUNK entries.
WRITE_UPROOT = r'''
import sys, numpy as np, uproot
path, entries, fields, chunk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(1)
with uproot.recreate(path, compression=uproot.ZSTD(5)) as f:
    for a in range(0, entries, chunk):
        n = min(chunk, entries - a)
        data = {f"f{k}": rng.standard_normal(n, dtype=np.float32) for k in range(fields)}
        if a == 0:
            f["ntuple"] = data
        else:
            f["ntuple"].extend(data)
'''

UPROOT = r'''
import json, sys, time, uproot, numpy as np
t0, c0 = time.perf_counter(), time.process_time()
a = uproot.open(sys.argv[1])["ntuple"].arrays(library="np")
s, c = time.perf_counter() - t0, time.process_time() - c0
n = len(next(iter(a.values())))
total = sum(float(v.astype(np.float64).sum()) for v in a.values())
print(json.dumps({"seconds": s, "cpu_seconds": c, "checksum": total, "entries": n}))
'''

# The ROOT peers: run by --root-python, print one JSON line.
ROOT_PEER = r'''
import json, sys, time
mode, path, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
import ROOT
ROOT.gROOT.SetBatch(True)
if threads > 1:
    ROOT.EnableImplicitMT(threads)
reader = ROOT.RNTupleReader.Open("ntuple", path)
entries = int(reader.GetNEntries())
names = [str(f.GetFieldName()) for f in reader.GetDescriptor().GetTopLevelFields()]
del reader
if mode == "loop":
    ROOT.gInterpreter.Declare("""
    #include <ROOT/RNTupleReader.hxx>
    #include <ROOT/RNTupleView.hxx>
    #include <string>
    #include <vector>
    double rootgrad_bench_rntuple_loop(const char *path, const std::vector<std::string> &names) {
      auto reader = ROOT::RNTupleReader::Open("ntuple", path);
      std::vector<ROOT::RNTupleView<float>> views;
      for (const auto &n : names) views.emplace_back(reader->GetView<float>(n));
      double sum = 0;
      for (auto i : reader->GetEntryRange())
        for (auto &v : views) sum += v(i);
      return sum;
    }
    """)
    vec = ROOT.std.vector[ROOT.std.string]()
    for n in names:
        vec.push_back(n)
    t0, c0 = time.perf_counter(), time.process_time()
    checksum = ROOT.rootgrad_bench_rntuple_loop(path, vec)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
else:
    t0, c0 = time.perf_counter(), time.process_time()
    df = ROOT.RDataFrame("ntuple", path)
    sums = [df.Sum(n) for n in names]
    checksum = sum(s.GetValue() for s in sums)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "checksum": checksum,
                  "entries": entries}))
'''


def fail(msg):
    _fail(SCRIPT, msg)


def has_root(python):
    if not python:
        return False
    p = subprocess.run([python, "-c", "import ROOT"], capture_output=True)
    return p.returncode == 0


def ensure_inputs(args, root_ok):
    """{label: path} of the input files, written when missing (to a temporary name,
    renamed when complete)."""
    out = {}
    base = f"rntuple-{args.entries}x{FIELDS}"
    if root_ok:
        path = args.workdir / f"{base}-root.root"
        if not path.exists():
            print(f"writing {path} with ROOT's RNTupleWriter ...", flush=True)
            tmp = path.with_suffix(".tmp.root")
            r = subprocess.run([args.root_python, "-c", WRITE_ROOT, tmp, str(args.entries),
                                str(FIELDS)])
            if r.returncode != 0:
                fail(f"ROOT could not write {tmp} (exit {r.returncode})")
            os.replace(tmp, path)
        out["ROOT-written"] = path
    path = args.workdir / f"{base}-uproot.root"
    if not path.exists():
        print(f"writing {path} with uproot ...", flush=True)
        tmp = path.with_suffix(".tmp.root")
        r = subprocess.run([args.python, "-c", WRITE_UPROOT, tmp, str(args.entries),
                            str(FIELDS), str(UPROOT_CHUNK)])
        if r.returncode != 0:
            fail(f"uproot could not write {tmp} (exit {r.returncode})")
        os.replace(tmp, path)
    out["uproot-written"] = path
    return out


def sides(args, root_ok):
    s = {
        "rootgrad": lambda f: [args.read_all, f"{f}:ntuple"],
        "uproot": lambda f: [args.python, "-c", UPROOT, f],
    }
    if root_ok:
        rp = args.root_python
        s["ROOT loop"] = lambda f: [rp, "-c", ROOT_PEER, "loop", f, "1"]
        s["ROOT loop 2 threads"] = lambda f: [rp, "-c", ROOT_PEER, "loop", f, "2"]
        s["RDF 1 thread"] = lambda f: [rp, "-c", ROOT_PEER, "rdf", f, "1"]
        s["RDF 2 threads"] = lambda f: [rp, "-c", ROOT_PEER, "rdf", f, "2"]
    return s


def measure(path, label, cmds, args, env):
    runs = {s: [] for s in cmds}
    load = [loadavg()]
    for r in range(args.reps + 1):
        for side, cmd in cmds.items():
            out = run_json(cmd(path), SCRIPT, f"{side} on {path}", env=env)
            if r > 0:
                runs[side].append(out)
        if r == 0:
            continue
        ref = runs["rootgrad"][-1]["checksum"]
        for side in cmds:
            c = runs[side][-1]["checksum"]
            if abs(c - ref) > 1e-6 * max(abs(ref), 1.0):
                fail(f"{path}: {side}'s checksum {c!r} differs from rootgrad's {ref!r}")
        print(f"{label} round {r}: " + ", ".join(
            f"{s} {runs[s][-1]['seconds']:.3f} s" for s in cmds), flush=True)
    load.append(loadavg())
    entries = runs["rootgrad"][0]["entries"]
    for side, v in runs.items():
        if any(x["entries"] != entries for x in v):
            fail(f"{path}: {side} read {v[0]['entries']} entries, rootgrad {entries}")
    rates = {s: [entries / x["seconds"] for x in v] for s, v in runs.items()}
    med = {s: statistics.median(v) for s, v in rates.items()}
    cpu = {s: statistics.median(x["cpu_seconds"] for x in v) for s, v in runs.items()
           if all(x.get("cpu_seconds") is not None for x in v)}
    return {
        "path": str(path), "bytes": path.stat().st_size, "entries": entries, "load": load,
        "runs": runs,
        "events_per_second": {s: {"median": med[s], "min": min(v), "max": max(v)}
                              for s, v in rates.items()},
        "cpu_seconds_median": cpu,
        "ratio_rootgrad_over": {s: med["rootgrad"] / med[s] for s in cmds if s != "rootgrad"},
        "cpu_ratio_peer_over_rootgrad": {s: cpu[s] / cpu["rootgrad"] for s in cpu
                                         if s != "rootgrad" and cpu.get("rootgrad")},
    }


def report(label, f):
    e, cpu = f["events_per_second"], f["cpu_seconds_median"]
    load = f["load"]
    print(f"\n{label} ({Path(f['path']).name}, {f['bytes'] / 1e6:.1f} MB): "
          f"{f['entries']:,} entries x {FIELDS} floats; load "
          f"{load[0][0]:.1f} -> {load[1][0]:.1f}")
    for s, v in e.items():
        ratio = "" if s == "rootgrad" else f"  rootgrad / this {f['ratio_rootgrad_over'][s]:.2f}x"
        c = f"  CPU {cpu[s]:.3f} s" if s in cpu else ""
        print(f"  {s:<20} {v['median'] / 1e6:6.2f} M events/s ({v['min'] / 1e6:.2f}-"
              f"{v['max'] / 1e6:.2f}){c}{ratio}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--read-all", required=True, help="the read_all example executable")
    ap.add_argument("--python", default=sys.executable,
                    help="an interpreter with uproot and numpy (default: this one)")
    ap.add_argument("--root-python", help="an interpreter with ROOT (pip install root)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2, help="rootgrad's threads (default: 2)")
    ap.add_argument("--entries", type=int, default=2_000_000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/rootgrad-bench"))
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if args.reps < 1 or args.threads < 1 or args.entries < 1:
        fail("--reps, --threads and --entries must be at least 1")
    args.workdir.mkdir(parents=True, exist_ok=True)
    root_ok = has_root(args.root_python)
    if args.root_python and not root_ok:
        fail(f"{args.root_python} cannot import ROOT (pip install root)")
    if not root_ok:
        print("no --root-python: the ROOT-written file and the ROOT sides are left out",
              flush=True)
    files = ensure_inputs(args, root_ok)
    env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads))
    cmds = sides(args, root_ok)
    result = {"machine": machine(), "reps": args.reps, "threads": args.threads, "files": {}}
    for label, path in files.items():
        result["files"][label] = measure(path, label, cmds, args, env)
    for label, f in result["files"].items():
        report(label, f)
    if args.json:
        save_json(args.json, result)


if __name__ == "__main__":
    main()
