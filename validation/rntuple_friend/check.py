#!/usr/bin/env python3
"""RNTuple friends written by `rootgrad apply`, read by ROOT 6.40 and uproot 5.7
(issue 16 items 3 and 5; run by validation/ci/rntw.sh).

1. uproot 5.7 writes the training samples (validation/apply_uproot.py's) and an RNTuple
   input `big.root:Events` of --entries entries (default 1,100,000) in 4 clusters, so
   apply reads it in several chunks and the friend (clusters of 2^20 entries) has two;
2. rootgrad trains a 3-fold model (`event % 3`) and applies it with --all-folds: no
   --friend-format, so the friend follows the input and is an RNTuple;
3. uproot reads the friend: an RNTuple `rootgrad` with fields score, score_fold0..2, the
   input's entry count, every value equal to a numpy forward pass of model.json (each
   entry scored by its own fold's model; relative 1e-5, float32 arithmetic), and the
   source record `rootgrad_source` naming big.root;
4. ROOT 6.40 reads it: TFile opens it cleanly, the record's title is the same text,
   `ROOT::RNTupleReader` sees the entries, at least two clusters and ROOT's default
   column type for a float (SplitReal32) with the compression rootgrad wrote;
   RDataFrame over the friend gives every column equal bit for bit to uproot's; and
   `ROOT::Experimental::RNTupleProcessor::CreateJoin` joins the original ntuple and the
   friend entry by entry (aligned join): the joined `event` equals the original's
   entry i and every joined `rootgrad.<field>` the friend's entry i, bit for bit;
5. every column type: `examples/write_friend.rs --rntuple` writes float, double,
   int32, int64 and bool fields (awkward values: 1e30, 1e300, i64::MAX - i, ...) of
   70,003 entries (two pages per column); uproot and ROOT's RDataFrame read each equal to the
   example's formulas (validation/friend_uproot.py's numpy twin), bit for bit, and
   the descriptor names ROOT's default column type of each.
Prints `rntuple_friend: PASS ...` lines; exits non-zero on the first failure.

Usage: python validation/rntuple_friend/check.py --rootgrad target/debug/rootgrad
       [--keep DIR] [--entries N]
"""

import argparse
import json
import os
import sys
import tempfile

import numpy as np
import uproot

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from apply_uproot import CONFIG, check, forward, run, write_samples  # noqa: E402
from friend_uproot import expected as formulas  # noqa: E402

FIELDS = ["score", "score_fold0", "score_fold1", "score_fold2"]


def fail(msg):
    raise SystemExit(f"rntuple_friend: FAIL: {msg}")


def write_input(path, n, rng):
    """An RNTuple of the model's inputs in 4 clusters (one per extend)."""
    with uproot.recreate(path) as f:
        t = f.mkrntuple(
            "Events",
            {"r9": np.float32, "sieie": np.float32, "iso": np.float32, "eta": np.float32,
             "event": np.int64},
        )
        bounds = np.linspace(0, n, 5).astype(int)
        for a, b in zip(bounds[:-1], bounds[1:]):
            m = b - a
            t.extend({
                "r9": (0.85 + 0.1 * rng.standard_normal(m)).astype(np.float32),
                "sieie": (0.01 + 0.002 * rng.standard_normal(m)).astype(np.float32),
                "iso": (0.2 * rng.exponential(size=m)).astype(np.float32),
                "eta": rng.uniform(-2.4, 2.4, m).astype(np.float32),
                "event": np.arange(a, b, dtype=np.int64) * 7 + 1001,
            })


def expected(model, src):
    """The scores a numpy forward pass of the model file gives (own fold, and each)."""
    a = src.arrays(["r9", "sieie", "iso", "eta", "event"], library="np")
    x = np.stack([a["r9"], a["sieie"], np.log(a["iso"].astype(np.float64) + 1e-3),
                  np.abs(a["eta"])], axis=1).astype(np.float64)
    per = [forward(m, x) for m in model["folds"]["models"]]
    own = np.choose(a["event"] % 3, per)
    return {"score": own, **{f"score_fold{k}": p for k, p in enumerate(per)}}, a["event"]


def uproot_side(path, src_path, n, model):
    f = uproot.open(path)
    nt = f["rootgrad"]
    if "RNTuple" not in type(nt).__name__:
        fail(f"{path}: `rootgrad` is a {type(nt).__name__}, not an RNTuple")
    if nt.num_entries != n:
        fail(f"{path}: {nt.num_entries} entries, the input has {n}")
    got = nt.arrays(FIELDS, library="np")
    want, event = expected(model, uproot.open(src_path)["Events"])
    for k in FIELDS:
        if got[k].dtype != np.float32:
            fail(f"{k} is {got[k].dtype}, not float32")
        check(f"uproot {k}", got[k].astype(np.float64), want[k])
    record = json.loads(f["rootgrad_source"].member("fTitle"))
    s = record["sources"]
    if len(s) != 1 or s[0]["file"] != "big.root" or s[0]["tree"] != "Events" or s[0]["entries"] != n:
        fail(f"source record {record}")
    print(f"rntuple_friend: PASS uproot 5.7 reads the RNTuple friend: {n} entries x "
          f"{len(FIELDS)} fields equal to numpy's forward pass; source record names big.root:Events")
    return got, event, f["rootgrad_source"].member("fTitle")


JOIN = r"""
#include <ROOT/RNTupleProcessor.hxx>
#include <cstdint>
#include <string>
#include <vector>
void rootgrad_join(const char *src, const char *friendf, const char *field,
                   std::vector<std::int64_t> &event, std::vector<float> &value,
                   std::vector<std::uint64_t> &index)
{
   using ROOT::Experimental::RNTupleOpenSpec;
   using ROOT::Experimental::RNTupleProcessor;
   auto p = RNTupleProcessor::CreateJoin(RNTupleOpenSpec("Events", src),
                                         RNTupleOpenSpec("rootgrad", friendf), {});
   auto e = p->RequestField<std::int64_t>("event");
   auto v = p->RequestField<float>(std::string("rootgrad.") + field);
   for (auto i : *p) {
      event.push_back(*e);
      value.push_back(*v);
      index.push_back(i);
   }
}
"""


def same_bits(a, b):
    a = np.asarray(a, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    return a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32))


def root_side(path, src_path, n, ours, event, title):
    import ROOT

    ROOT.gROOT.SetBatch(True)
    ROOT.gErrorIgnoreLevel = ROOT.kWarning
    f = ROOT.TFile.Open(path)
    if not f or f.IsZombie() or f.TestBit(ROOT.TFile.kRecovered):
        fail(f"ROOT cannot open {path} cleanly")
    if f.Get("rootgrad_source").GetTitle() != title:
        fail("ROOT reads another source record than uproot")
    reader = ROOT.RNTupleReader.Open("rootgrad", path)
    if reader.GetNEntries() != n:
        fail(f"RNTupleReader: {reader.GetNEntries()} entries, expected {n}")
    desc = reader.GetDescriptor()
    clusters = desc.GetNClusters()
    if clusters < 2:
        fail(f"RNTupleReader: {clusters} cluster(s); the check needs at least 2")
    col = desc.GetColumnDescriptor(desc.FindPhysicalColumnId(desc.FindFieldId("score"), 0, 0))
    if col.GetType() != ROOT.ENTupleColumnType.kSplitReal32:
        fail(f"`score` has column type {col.GetType()}, not ROOT's default SplitReal32")
    print(f"rntuple_friend: PASS ROOT {ROOT.gROOT.GetVersion()} RNTupleReader: {n} entries, "
          f"{clusters} clusters, `score` a SplitReal32 column")
    cols = ROOT.RDataFrame("rootgrad", path).AsNumpy(FIELDS)
    for k in FIELDS:
        if not same_bits(cols[k], ours[k]):
            fail(f"RDataFrame's `{k}` differs from uproot's")
    src = ROOT.RDataFrame("Events", src_path).AsNumpy(["event"])["event"]
    if not np.array_equal(src, event):
        fail("RDataFrame reads the input's `event` differently from uproot")
    print(f"rntuple_friend: PASS RDataFrame reads every field of the friend equal to uproot, bit for bit")
    ROOT.gInterpreter.Declare(JOIN)
    for k in FIELDS:
        ev = ROOT.std.vector["std::int64_t"]()
        val = ROOT.std.vector["float"]()
        idx = ROOT.std.vector["std::uint64_t"]()
        ROOT.rootgrad_join(src_path, path, k, ev, val, idx)
        ev, val, idx = np.asarray(ev), np.asarray(val), np.asarray(idx)
        if len(idx) != n or not np.array_equal(idx, np.arange(n)):
            fail(f"the join of `{k}` visits {len(idx)} entries, not 0..{n - 1} in order")
        if not np.array_equal(ev, event):
            fail(f"the join's `event` differs from the input's entry by entry")
        if not same_bits(val, ours[k]):
            bad = int(np.flatnonzero(val.view(np.uint32) != ours[k].view(np.uint32))[0])
            fail(f"the join's `rootgrad.{k}` at entry {bad}: {val[bad]}, the friend has {ours[k][bad]}")
    print(f"rntuple_friend: PASS RNTupleProcessor::CreateJoin(Events, rootgrad): {n} entries "
          f"joined entry by entry, `event` and every friend field exact")


def every_type(repo, d):
    """Step 5: a friend of every column type, read by ROOT against the formulas."""
    import ROOT

    run(["cargo", "build", "--quiet", "--example", "write_friend"], repo)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(repo, "target"))
    path = os.path.join(d, "types.root")
    n = 70_003
    run([os.path.join(target, "debug", "examples", "write_friend"), path, str(n), "--rntuple"], d)
    want = formulas(n)
    up = uproot.open(path)["friends"].arrays(list(want), library="np")
    for k, w in want.items():
        if up[k].dtype != w.dtype or not np.array_equal(up[k], w, equal_nan=False):
            fail(f"types.root `{k}`: uproot reads {up[k].dtype} {up[k][:4]}..., the formula gives {w[:4]}...")
    got = ROOT.RDataFrame("friends", path).AsNumpy(list(want))
    kinds = {"f32": "kSplitReal32", "f64": "kSplitReal64", "i32": "kSplitInt32",
             "i64": "kSplitInt64", "flag": "kBit"}
    reader = ROOT.RNTupleReader.Open("friends", path)
    desc = reader.GetDescriptor()
    for k, w in want.items():
        g = np.asarray(got[k])
        same = g.dtype == w.dtype and (
            np.array_equal(g.view(f"u{g.itemsize}"), w.view(f"u{w.itemsize}"))
            if w.dtype.kind == "f" else np.array_equal(g, w))
        if not same:
            fail(f"types.root `{k}`: ROOT reads {g.dtype} {g[:4]}..., the formula gives {w.dtype} {w[:4]}...")
        col = desc.GetColumnDescriptor(desc.FindPhysicalColumnId(desc.FindFieldId(k), 0, 0))
        if col.GetType() != getattr(ROOT.ENTupleColumnType, kinds[k]):
            fail(f"types.root `{k}`: column type {col.GetType()}, not {kinds[k]}")
    del desc, reader
    print(f"rntuple_friend: PASS every column type (float, double, int32, int64, bool): "
          f"{n} entries read by uproot and RDataFrame equal to the formulas, ROOT's default column types")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rootgrad", default="target/debug/rootgrad")
    ap.add_argument("--keep", help="work in this folder and leave it")
    ap.add_argument("--entries", type=int, default=1_100_000)
    args = ap.parse_args()
    exe = os.path.abspath(args.rootgrad)
    d = args.keep or tempfile.mkdtemp(prefix="rootgrad-rntw-")
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(16_3)
    write_samples(d, 3000, rng)
    split = 'folds = 3\nfold = "event % 3"\nvalidation = 0.2'
    with open(os.path.join(d, "folds.toml"), "w") as f:
        f.write(CONFIG.format(act="elu", split=split, method="none"))
    run([exe, "train", "folds.toml", "--out", "folds", "-q"], d)
    src = os.path.join(d, "big.root")
    write_input(src, args.entries, rng)
    out = os.path.join(d, "big.rootgrad.root")
    run([exe, "apply", "-m", "folds/model.json", "big.root", "--all-folds", "-q"], d)
    with open(os.path.join(d, "folds", "model.json")) as f:
        model = json.load(f)
    ours, event, title = uproot_side(out, src, args.entries, model)
    root_side(out, src, args.entries, ours, event, title)
    every_type(os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")), d)


if __name__ == "__main__":
    main()
