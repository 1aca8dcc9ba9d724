"""Reading an RNTuple into memory: rootgrad against uproot and ROOT's RDataFrame.

The input (written once by ROOT 6.40 with its default options: zstd level 5, split
encodings): 2,000,000 entries x 30 float fields `f0..f29`, standard normal values.
Each round runs, in this order and each in its own process,
- rootgrad: `read_all FILE:ntuple` (validation/bench/read_all.rs, release build), every
  field into f32 vectors, RAYON_NUM_THREADS=2;
- uproot: `uproot.open(FILE)["ntuple"].arrays(library="np")`;
- RDataFrame: `ROOT.EnableImplicitMT(2)`, `RDataFrame("ntuple", FILE).AsNumpy(all)`;
timed inside the process from opening the file to the last value in memory (imports
excluded). The float64 sums of all values are checked to agree. Prints the medians,
the ratios, and the 1-minute load average before and after.

Usage: python validation/bench/rntuple_bench.py --read-all target/release/examples/read_all
       [--rounds 5] [--workdir /tmp/rootgrad-bench]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

WRITE = r'''
#include <ROOT/RNTupleModel.hxx>
#include <ROOT/RNTupleWriter.hxx>
#include <random>
#include <string>
void rg_bench_write(const char* path) {
  auto model = ROOT::RNTupleModel::Create();
  std::vector<std::shared_ptr<float>> f;
  for (int k = 0; k < 30; ++k) f.push_back(model->MakeField<float>("f" + std::to_string(k)));
  auto w = ROOT::RNTupleWriter::Recreate(std::move(model), "ntuple", path);
  std::mt19937_64 g(1); std::normal_distribution<float> nd;
  for (int i = 0; i < 2000000; ++i) { for (auto &x : f) *x = nd(g); w->Fill(); }
}
'''

UPROOT = r'''
import sys, time, uproot, numpy as np
t0 = time.perf_counter()
a = uproot.open(sys.argv[1])["ntuple"].arrays(library="np")
s = time.perf_counter() - t0
print(s, sum(float(v.astype(np.float64).sum()) for v in a.values()))
'''

RDF = r'''
import sys, time, ROOT, numpy as np
ROOT.EnableImplicitMT(2)
t0 = time.perf_counter()
df = ROOT.RDataFrame("ntuple", sys.argv[1])
a = df.AsNumpy([f"f{k}" for k in range(30)])
s = time.perf_counter() - t0
print(s, sum(float(v.astype(np.float64).sum()) for v in a.values()))
'''


def loadavg():
    return open("/proc/loadavg").read().split()[0]


def run(cmd, env=None):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"{cmd[0]} failed: {r.stderr[-2000:]}")
    return r.stdout.strip().splitlines()[-1]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--read-all", default="target/release/examples/read_all")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--workdir", default="/tmp/rootgrad-bench")
    a = p.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    path = os.path.join(a.workdir, "rntuple-2m-30f-zstd.root")
    if not os.path.exists(path):
        import ROOT
        ROOT.gInterpreter.Declare(WRITE)
        ROOT.rg_bench_write(path + ".tmp")
        os.replace(path + ".tmp", path)
    env = dict(os.environ, RAYON_NUM_THREADS="2")
    times = {"rootgrad": [], "uproot": [], "RDataFrame(2 threads)": []}
    sums = {}
    load = [loadavg()]
    for r in range(a.rounds):
        j = json.loads(run([a.read_all, path + ":ntuple"], env))
        times["rootgrad"].append(j["seconds"])
        sums["rootgrad"] = j["checksum"]
        for name, code in [("uproot", UPROOT), ("RDataFrame(2 threads)", RDF)]:
            s, total = run([sys.executable, "-c", code, path]).split()
            times[name].append(float(s))
            sums[name] = float(total)
        print(f"round {r}: " + ", ".join(f"{k} {v[-1]:.3f} s" for k, v in times.items()), flush=True)
    load.append(loadavg())
    ref = sums["rootgrad"]
    for k, v in sums.items():
        assert abs(v - ref) <= 1e-9 * max(1.0, abs(ref)) * 1e3, (k, v, ref)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"input {path}: {os.path.getsize(path)} bytes; load before/after {load[0]}/{load[1]}")
    for k, v in med.items():
        print(f"{k:24s} median {v:.3f} s  (min {min(times[k]):.3f}, max {max(times[k]):.3f})")
    print(f"uproot / rootgrad      = {med['uproot'] / med['rootgrad']:.2f}")
    print(f"RDataFrame / rootgrad  = {med['RDataFrame(2 threads)'] / med['rootgrad']:.2f}")


if __name__ == "__main__":
    main()
