"""RNTuples written by ROOT 6.40 (the `root` wheel) read by rootgrad, with ROOT's own
reading as the reference, bit for bit.

The generator (C++ through cling) writes 2,500 entries in 3 clusters with each codec
(none, zlib 1, lzma 7, lz4 4, zstd 5) of every numeric field type: float, double,
(u)int8..64, bool, std::vector<float>, ROOT::RVec<int>, std::array<float, 3>, a struct
(`pt.x`, `pt.y`, `pt.k`), a vector of structs, and the reduced-precision columns:
Real32Trunc(20), Real32Quant(16) on a float, Real32Quant(24) on a double, half
precision; and (without compression and with zstd) 700 entries in 3 clusters of nested
fields: std::vector<std::vector<float|double|int64|uint8|bool>>,
ROOT::RVec<ROOT::RVec<int>>, std::vector<std::array<float, 3>>, with empty entries and
empty inner lists. ROOT's RDataFrame reads each field (`AsNumpy`); `rootgrad dump --format
json` must give the same values (float32 fields compared as float32; every number is
read by rootgrad as float64, so 64-bit integers are compared after that conversion).

Usage: python validation/rntuple_root.py --rootgrad target/debug/rootgrad
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import ROOT

ROOT.gInterpreter.Declare(r'''
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
#include <ROOT/RNTupleModel.hxx>
#include <ROOT/RNTupleWriter.hxx>
#include <ROOT/RNTupleWriteOptions.hxx>
#include <ROOT/RField.hxx>
#include <ROOT/RVec.hxx>
#include <random>
#include <array>
#include <vector>
struct RgPoint { float x; double y; std::int32_t k; };
void rg_write(const char* path, int compression, int n, int per_cluster) {
  auto model = ROOT::RNTupleModel::Create();
  auto f = model->MakeField<float>("f");
  auto d = model->MakeField<double>("d");
  auto i8 = model->MakeField<std::int8_t>("i8");
  auto u8 = model->MakeField<std::uint8_t>("u8");
  auto i16 = model->MakeField<std::int16_t>("i16");
  auto u16 = model->MakeField<std::uint16_t>("u16");
  auto i32 = model->MakeField<std::int32_t>("i32");
  auto u32 = model->MakeField<std::uint32_t>("u32");
  auto i64 = model->MakeField<std::int64_t>("i64");
  auto u64 = model->MakeField<std::uint64_t>("u64");
  auto b = model->MakeField<bool>("b");
  auto vf = model->MakeField<std::vector<float>>("vf");
  auto rv = model->MakeField<ROOT::RVec<int>>("rv");
  auto arr = model->MakeField<std::array<float, 3>>("arr");
  auto pt = model->MakeField<RgPoint>("pt");
  auto vpt = model->MakeField<std::vector<RgPoint>>("vpt");
  {
    auto t = std::make_unique<ROOT::RField<float>>("trunc"); t->SetTruncated(20); model->AddField(std::move(t));
    auto q = std::make_unique<ROOT::RField<float>>("quant"); q->SetQuantized(-5., 5., 16); model->AddField(std::move(q));
    auto h = std::make_unique<ROOT::RField<float>>("half"); h->SetHalfPrecision(); model->AddField(std::move(h));
    auto qd = std::make_unique<ROOT::RField<double>>("quantd"); qd->SetQuantized(-5., 5., 24); model->AddField(std::move(qd));
  }
  ROOT::RNTupleWriteOptions opts; opts.SetCompression(compression);
  auto w = ROOT::RNTupleWriter::Recreate(std::move(model), "ntuple", path, opts);
  auto &e = w->GetModel().GetDefaultEntry();
  auto trunc = e.GetPtr<float>("trunc"); auto quant = e.GetPtr<float>("quant");
  auto half = e.GetPtr<float>("half"); auto quantd = e.GetPtr<double>("quantd");
  std::mt19937_64 g(42); std::normal_distribution<double> nd;
  for (int i = 0; i < n; ++i) {
    *f = nd(g); *d = nd(g) * 1e6; *i8 = g(); *u8 = g(); *i16 = g(); *u16 = g(); *i32 = g(); *u32 = g();
    *i64 = (std::int64_t)(g() >> 12) - (1ll << 51); *u64 = g() >> 11; *b = g() & 1;
    vf->clear(); for (int k = 0; k < (int)(g() % 5); ++k) vf->push_back(nd(g));
    rv->clear(); for (int k = 0; k < (int)(g() % 4); ++k) rv->push_back((int)(g() % 2000) - 1000);
    for (auto &a : *arr) a = nd(g);
    pt->x = nd(g); pt->y = nd(g); pt->k = (int)(g() % 100);
    vpt->clear(); for (int k = 0; k < (int)(g() % 3); ++k) vpt->push_back(RgPoint{(float)nd(g), nd(g), (int)(g() % 7)});
    *trunc = nd(g) * 100; *quant = std::max(-5., std::min(5., nd(g))); *half = nd(g) * 10; *quantd = std::max(-5., std::min(5., nd(g)));
    w->Fill();
    if ((i + 1) % per_cluster == 0) w->CommitCluster();
  }
}
// Nested fields: entry i has (i % 4) inner lists (none every 4th entry); inner list k
// has (i + k) % 3 values (some empty).
void rg_write_nested(const char* path, int compression, int n, int per_cluster) {
  auto model = ROOT::RNTupleModel::Create();
  auto vvf = model->MakeField<std::vector<std::vector<float>>>("vvf");
  auto vvd = model->MakeField<std::vector<std::vector<double>>>("vvd");
  auto vvl = model->MakeField<std::vector<std::vector<std::int64_t>>>("vvl");
  auto vvu8 = model->MakeField<std::vector<std::vector<std::uint8_t>>>("vvu8");
  auto vvb = model->MakeField<std::vector<std::vector<bool>>>("vvb");
  auto rvv = model->MakeField<ROOT::RVec<ROOT::RVec<int>>>("rvv");
  auto va = model->MakeField<std::vector<std::array<float, 3>>>("va");
  ROOT::RNTupleWriteOptions opts; opts.SetCompression(compression);
  auto w = ROOT::RNTupleWriter::Recreate(std::move(model), "ntuple", path, opts);
  std::mt19937_64 g(7); std::normal_distribution<double> nd;
  for (int i = 0; i < n; ++i) {
    vvf->clear(); vvd->clear(); vvl->clear(); vvu8->clear(); vvb->clear(); rvv->clear(); va->clear();
    for (int k = 0; k < i % 4; ++k) {
      std::vector<float> f; std::vector<double> d; std::vector<std::int64_t> l;
      std::vector<std::uint8_t> u; std::vector<bool> b; ROOT::RVec<int> r;
      for (int j = 0; j < (i + k) % 3; ++j) {
        f.push_back(nd(g)); d.push_back(nd(g) * 1e3); l.push_back((std::int64_t)(g() >> 12) - (1ll << 51));
        u.push_back(g()); b.push_back(g() & 1); r.push_back((int)(g() % 2000) - 1000);
      }
      vvf->push_back(f); vvd->push_back(d); vvl->push_back(l); vvu8->push_back(u); vvb->push_back(b); rvv->push_back(r);
      va->push_back({(float)nd(g), (float)nd(g), (float)nd(g)});
    }
    w->Fill();
    if ((i + 1) % per_cluster == 0) w->CommitCluster();
  }
}
''')
CODECS = [0, 101, 207, 404, 505]
NESTED = ["vvf", "vvd", "vvl", "vvu8", "vvb", "rvv", "va"]
NESTED_FLOAT32 = {"vvf", "va"}
FLOAT32 = {"f", "vf", "arr", "trunc", "quant", "half", "pt.x", "vpt.x"}


def as_list(v):
    try:
        return [float(x) for x in v]
    except TypeError:
        return [float(v)]


def check(rootgrad, path):
    r = subprocess.run([rootgrad, "dump", path, "--format", "json"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"rootgrad dump {path} failed: {r.stderr}")
    rows = [json.loads(l) for l in r.stdout.splitlines()]
    names = [k for k in rows[0] if k != "entry"]
    want = {
        "f", "d", "i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64", "b", "vf", "rv",
        "arr", "pt.x", "pt.y", "pt.k", "vpt.x", "vpt.y", "vpt.k", "trunc", "quant", "half", "quantd",
    }
    assert set(names) == want, sorted(set(names) ^ want)
    df = ROOT.RDataFrame("ntuple", path)
    ref = df.AsNumpy(sorted(want))
    assert len(rows) == 2500
    for name in names:
        dt = np.float32 if name in FLOAT32 else np.float64
        for i, row in enumerate(rows):
            got = [dt(x) for x in (row[name] if isinstance(row[name], list) else [row[name]])]
            exp = [dt(x) for x in as_list(ref[name][i])]
            if got != exp:
                sys.exit(f"{path}: field {name}, entry {i}: rootgrad {got}, ROOT {exp}")
    print(f"{os.path.basename(path)}: {len(rows)} entries x {len(names)} fields equal to ROOT 6.40's reading")


def check_nested(rootgrad, path, n):
    """Every nested field, list by list and value by value, against ROOT's reading."""
    r = subprocess.run([rootgrad, "dump", path, "--format", "json"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"rootgrad dump {path} failed: {r.stderr}")
    rows = [json.loads(l) for l in r.stdout.splitlines()]
    assert len(rows) == n, len(rows)
    assert sorted(k for k in rows[0] if k != "entry") == sorted(NESTED), rows[0]
    # Each field copied into vector<vector<double>> (exact for these types) and taken,
    # all in one event loop.
    df = ROOT.RDataFrame("ntuple", path)
    taken = {}
    for name in NESTED:
        conv = (f"std::vector<std::vector<double>> o; for (auto &v : {name}) "
                "o.emplace_back(v.begin(), v.end()); return o;")
        taken[name] = df.Define(f"c_{name}", conv).Take["std::vector<std::vector<double>>"](f"c_{name}")
    ref = {name: t.GetValue() for name, t in taken.items()}
    for name in NESTED:
        dt = np.float32 if name in NESTED_FLOAT32 else np.float64
        for i, row in enumerate(rows):
            got = [[dt(x) for x in inner] for inner in row[name]]
            exp = [[dt(float(x)) for x in inner] for inner in ref[name][i]]
            if got != exp:
                sys.exit(f"{path}: field {name}, entry {i}: rootgrad {got}, ROOT {exp}")
    print(f"{os.path.basename(path)}: {n} entries x {len(NESTED)} nested fields equal to ROOT 6.40's reading")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rootgrad", default="target/debug/rootgrad")
    a = p.parse_args()
    print("ROOT", ROOT.gROOT.GetVersion())
    with tempfile.TemporaryDirectory() as tmp:
        for c in CODECS:
            path = os.path.join(tmp, f"root640-{c}.root")
            ROOT.rg_write(path, c, 2500, 1000)
            check(a.rootgrad, path)
        for c in (0, 505):
            path = os.path.join(tmp, f"root640-nested-{c}.root")
            ROOT.rg_write_nested(path, c, 700, 250)
            check_nested(a.rootgrad, path, 700)


if __name__ == "__main__":
    main()
