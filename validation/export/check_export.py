#!/usr/bin/env python3
"""Cross-check of `rootgrad export` against `rootgrad apply` (run by validation/ci/export.sh).

1. uproot writes an ntuple of 120,000 entries (scalars of several types, a jagged
   branch, an event number; about 1% NaN and 0.2% infinite values in one branch);
2. this script writes model files by hand (random weights, the format of
   docs/formats.md): one per activation rootgrad trains (relu, leaky_relu with its
   slope, elu with its alpha, selu, tanh, sigmoid, silu), one with 3 folds by
   `event % 3`, and a reweighter (3 folds, a cap, a cut, a weight expression);
3. `rootgrad apply` scores the ntuple with each; `rootgrad export` writes each as ONNX
   and as a C++ header;
4. references, each compared with apply's friend entry by entry (|diff| <= 2e-6, and
   NaN exactly where apply wrote NaN):
   - onnxruntime (Python) on the features computed with numpy, and `fold` (ONNX);
     the graph is also checked with onnx.checker and its metadata read back;
   - a driver compiled with g++ -O2 -Wall -Wextra -Werror -std=c++17 calling
     `score(features[, fold])` and `score_entry(raw branches...)` (C++);
   - ROOT (PyROOT): gInterpreter.Declare of the header, RDataFrame::Define("score",
     NS::score_entry_call) on the original ntuple (C++ in ROOT), and for the
     reweighter rw_entry / weight_rw_entry against apply's `rw` / `weight_rw`.
   Steps whose package is missing fail (no silent skips) unless --skip-root is given.

Usage: python validation/export/check_export.py --rootgrad target/debug/rootgrad [--keep DIR]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import uproot
import awkward as ak

N = 120_000
TOL = 2e-6
INPUTS = [
    "log(pt + 1)",
    "eta",
    "abs(phi) < 1.5 ? phi * 2 : -phi",
    "(Jet_pt[0] ?? -1) / 50",
    "iso",
    "nJet >= 2 && eta > 0",
    "min(pt, 80) % 7 + sqrt(abs(eta))",
    "pow(pt, 0.3) - hypot(eta, phi)",
    "pt + 10000",
]
ACTIVATIONS = [
    ("relu", None),
    ("leaky_relu", 0.1),
    ("elu", 0.7),
    ("selu", None),
    ("tanh", None),
    ("sigmoid", None),
    ("silu", None),
]
FAILS = []


def check(cond, msg):
    print(("ok   " if cond else "FAIL ") + msg)
    if not cond:
        FAILS.append(msg)


def write_ntuple(path, rng):
    pt = rng.lognormal(3.2, 0.6, N).astype(np.float32)
    eta = rng.uniform(-2.5, 2.5, N).astype(np.float32)
    phi = rng.uniform(-np.pi, np.pi, N).astype(np.float32)
    iso = rng.exponential(0.2, N)
    bad = rng.random(N)
    iso[bad < 0.01] = np.nan
    iso[(bad >= 0.01) & (bad < 0.012)] = np.inf
    njet = rng.poisson(1.5, N).astype(np.int32)
    jets = ak.unflatten(rng.lognormal(3.5, 0.5, int(njet.sum())).astype(np.float32), njet)
    w = np.where(rng.random(N) < 0.1, -1.0, 1.0) * rng.uniform(0.5, 1.5, N)
    event = (np.arange(N, dtype=np.uint64) * 7 + 1001).astype(np.uint64)
    with uproot.recreate(path) as f:
        f.mktree(
            "Events",
            {
                "pt": np.float32,
                "eta": np.float32,
                "phi": np.float32,
                "iso": np.float64,
                "nJet": np.int32,
                "Jet_pt": "var * float32",
                "w": np.float64,
                "event": np.uint64,
            },
        )
        f["Events"].extend(
            {
                "pt": pt,
                "eta": eta,
                "phi": phi,
                "iso": iso,
                "nJet": njet,
                "Jet_pt": jets,
                "w": w,
                "event": event,
            }
        )
    return dict(pt=pt, eta=eta, phi=phi, iso=iso, nJet=njet, Jet_pt=jets, w=w, event=event)


def features(c):
    """The INPUTS in numpy, float64, rounded to float32 as rootgrad does."""
    pt, eta, phi = (c[k].astype(np.float64) for k in ("pt", "eta", "phi"))
    j0 = ak.to_numpy(ak.fill_none(ak.firsts(c["Jet_pt"]), -1.0)).astype(np.float64)
    with np.errstate(invalid="ignore"):
        cols = [
            np.log(pt + 1),
            eta,
            np.where(np.abs(phi) < 1.5, phi * 2, -phi),
            j0 / 50,
            c["iso"],
            ((c["nJet"] >= 2) & (eta > 0)).astype(np.float64),
            np.mod(np.minimum(pt, 80), 7) + np.sqrt(np.abs(eta)),
            np.power(pt, 0.3) - np.hypot(eta, phi),
            pt + 10000,
        ]
    return np.stack(cols, axis=1).astype(np.float32)


def network(rng, x, act, alpha, hidden=(12, 8)):
    fin = np.isfinite(x).all(axis=1)
    mean = x[fin].astype(np.float64).mean(axis=0)
    std = x[fin].astype(np.float64).std(axis=0) + 0.1
    layers, width = [], x.shape[1]
    for h in list(hidden) + [1]:
        w = rng.normal(0, 1.3 / np.sqrt(width), (h, width)).astype(np.float32)
        b = rng.normal(0, 0.2, h).astype(np.float32)
        layer = {
            "weight": [[float(v) for v in row] for row in w],
            "bias": [float(v) for v in b],
            "activation": act if h != 1 else "sigmoid",
        }
        if alpha is not None and h != 1:
            layer["alpha"] = alpha
        layers.append(layer)
        width = h
    return {
        "standardize": {"mean": [float(v) for v in mean], "std": [float(v) for v in std]},
        "layers": layers,
    }


def model_json(nets, folds=None, reweight=None):
    m = {
        "format": "rootgrad-model",
        "version": 1,
        "inputs": [{"name": e, "expression": e} for e in INPUTS],
        "standardize": None,
        "layers": None,
        "folds": None,
    }
    if folds:
        m["folds"] = {"k": len(nets), "expression": folds, "models": nets}
    else:
        m["standardize"] = nets[0]["standardize"]
        m["layers"] = nets[0]["layers"]
    if reweight:
        m["reweight"] = reweight
    return m


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r


def compare(name, ref, got):
    ref = np.asarray(ref, dtype=np.float64).ravel()
    got = np.asarray(got, dtype=np.float64).ravel()
    if ref.shape != got.shape:
        check(False, f"{name}: {got.shape} values, apply wrote {ref.shape}")
        return
    nan_r, nan_g = np.isnan(ref), np.isnan(got)
    same_nan = np.array_equal(nan_r, nan_g)
    diff = np.abs(ref[~nan_r] - got[~nan_r]) if same_nan else np.array([np.inf])
    worst = float(diff.max()) if diff.size else 0.0
    check(
        same_nan and worst <= TOL,
        f"{name}: {ref.size} entries, {int(nan_r.sum())} NaN (same entries: {same_nan}), "
        f"max |diff| {worst:.2e}",
    )


def rel_compare(name, ref, got, rtol=2e-6):
    ref = np.asarray(ref, dtype=np.float64).ravel()
    got = np.asarray(got, dtype=np.float64).ravel()
    nan_r = np.isnan(ref)
    same_nan = np.array_equal(nan_r, np.isnan(got))
    rel = np.abs(ref - got)[~nan_r] / np.maximum(np.abs(ref[~nan_r]), 1e-30)
    worst = float(rel.max()) if rel.size else 0.0
    check(
        same_nan and worst <= rtol,
        f"{name}: {ref.size} entries, {int(nan_r.sum())} NaN (same entries: {same_nan}), "
        f"max relative diff {worst:.2e}",
    )


DRIVER = r"""
#include <cstdio>
#include <vector>
#include "model.h"
// reads: n, features (n x F float32), folds (n float64), raw columns; writes two
// float32 arrays: score(features[, fold]) and score_entry(raw...)
int main(int argc, char** argv) {
  if (argc != 3) return 2;
  std::FILE* in = std::fopen(argv[1], "rb");
  std::FILE* out = std::fopen(argv[2], "wb");
  if (!in || !out) return 2;
  long long n = 0;
  if (std::fread(&n, sizeof n, 1, in) != 1) return 3;
  const std::size_t F = rootgrad_model::n_features;
  std::vector<float> x(static_cast<std::size_t>(n) * F);
  std::vector<double> fold(static_cast<std::size_t>(n));
  std::vector<double> pt(n), eta(n), phi(n), iso(n), nJet(n), event(n);
  std::vector<long long> njet_counts(n);
  bool ok = std::fread(x.data(), sizeof(float), x.size(), in) == x.size();
  ok = ok && std::fread(fold.data(), sizeof(double), fold.size(), in) == fold.size();
  for (auto* c : {&pt, &eta, &phi, &iso, &nJet, &event})
    ok = ok && std::fread(c->data(), sizeof(double), c->size(), in) == c->size();
  ok = ok && std::fread(njet_counts.data(), sizeof(long long), njet_counts.size(), in) == njet_counts.size();
  long long total = 0;
  for (long long c : njet_counts) total += c;
  std::vector<float> jets(static_cast<std::size_t>(total));
  ok = ok && std::fread(jets.data(), sizeof(float), jets.size(), in) == jets.size();
  if (!ok) return 4;
  std::vector<float> a(n), b(n);
  std::size_t off = 0;
  for (long long i = 0; i < n; ++i) {
    const float* row = &x[static_cast<std::size_t>(i) * F];
    std::vector<float> Jet_pt(jets.begin() + off, jets.begin() + off + njet_counts[i]);
    off += static_cast<std::size_t>(njet_counts[i]);
    a[i] = SCORE_ROW;
    b[i] = SCORE_ENTRY;
  }
  std::fwrite(a.data(), sizeof(float), a.size(), out);
  std::fwrite(b.data(), sizeof(float), b.size(), out);
  std::fclose(out);
  std::fclose(in);
  return 0;
}
"""


def cpp_check(d, name, header, cols, x, fold, ref):
    """Compiles the driver with the header and compares both of its scores to apply's."""
    src = os.path.join(d, f"driver_{name}.cpp")
    hdr = os.path.join(d, "model.h")
    with open(hdr, "w") as f:
        f.write(open(header).read())
    # the branches in the order the header's score_entry takes them (first use)
    args = "pt[i], eta[i], phi[i], Jet_pt, iso[i], nJet[i]" + (", event[i]" if fold is not None else "")
    row = "rootgrad_model::score(row, fold[i])" if fold is not None else "rootgrad_model::score(row)"
    code = DRIVER.replace("SCORE_ROW", row).replace(
        "SCORE_ENTRY", f"rootgrad_model::score_entry({args})"
    ).replace("rootgrad_model", f"m_{name}")
    with open(src, "w") as f:
        f.write(code)
    exe = os.path.join(d, f"driver_{name}")
    run(["g++", "-O2", "-Wall", "-Wextra", "-Werror", "-std=c++17", "-I", d, src, "-o", exe])
    raw = os.path.join(d, f"raw_{name}.bin")
    counts = ak.to_numpy(ak.num(cols["Jet_pt"])).astype(np.int64)
    with open(raw, "wb") as f:
        f.write(np.int64(len(x)).tobytes())
        f.write(np.ascontiguousarray(x, dtype=np.float32).tobytes())
        f.write((fold if fold is not None else np.zeros(len(x))).astype(np.float64).tobytes())
        for k in ("pt", "eta", "phi", "iso", "nJet", "event"):
            f.write(np.asarray(cols[k]).astype(np.float64).tobytes())
        f.write(counts.tobytes())
        f.write(ak.to_numpy(ak.flatten(cols["Jet_pt"])).astype(np.float32).tobytes())
    outp = os.path.join(d, f"out_{name}.bin")
    run([exe, raw, outp])
    got = np.fromfile(outp, dtype=np.float32).reshape(2, -1)
    compare(f"{name}: C++ score(features) (g++ -Werror)", ref, got[0])
    compare(f"{name}: C++ score_entry(raw branches) (g++ -Werror)", ref, got[1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rootgrad", default="target/debug/rootgrad")
    ap.add_argument("--keep")
    ap.add_argument("--skip-root", action="store_true")
    a = ap.parse_args()
    exe = os.path.abspath(a.rootgrad)
    d = a.keep or tempfile.mkdtemp(prefix="rootgrad-export-")
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(20261206)
    ntuple = os.path.join(d, "events.root")
    cols = write_ntuple(ntuple, rng)
    x = features(cols)
    fold = np.mod(cols["event"].astype(np.float64), 3)

    import onnx
    import onnxruntime as ort

    models = {}
    for act, alpha in ACTIVATIONS:
        models[act] = model_json([network(rng, x, act, alpha)])
    models["folds_silu"] = model_json(
        [network(rng, x, "silu", None) for _ in range(3)], folds="event % 3"
    )
    reweight = {
        "definition": "rw = exp(z)",
        "max_weight": 3.5,
        "normalize": "mc",
        "normalisation": 0.93,
        "weight": "w * 2",
        "cut": "pt > 25",
        "apply_to": "region",
    }
    models["reweighter"] = model_json(
        [network(rng, x, "elu", 1.0, hidden=(6,)) for _ in range(3)],
        folds="event % 3",
        reweight=reweight,
    )
    for name, m in models.items():
        path = os.path.join(d, f"{name}.json")
        with open(path, "w") as f:
            json.dump(m, f)
        friend = os.path.join(d, f"{name}.friend.root")
        run([exe, "apply", "-q", "--force", "-m", path, ntuple + ":Events", "-o", friend])
        t = uproot.open(friend)["rootgrad"]
        rw_model = name == "reweighter"
        branches = ["rw", "weight_rw"] if rw_model else ["score"]
        ref = {b: t[b].array(library="np") for b in branches}
        check(t.num_entries == N, f"{name}: apply wrote {t.num_entries} entries")
        run([exe, "export", "--force", path, "--format", "onnx"])
        run([exe, "export", "--force", path, "--format", "cpp", "--namespace", f"m_{name}"])
        onnx_path = os.path.join(d, f"{name}.onnx")
        om = onnx.load(onnx_path)
        onnx.checker.check_model(om, full_check=True)
        meta = {p.key: p.value for p in om.metadata_props}
        check(
            json.loads(meta["rootgrad.inputs"]) == INPUTS
            and meta["rootgrad.fold_expression"] == (m["folds"] or {}).get("expression", "")
            and om.opset_import[0].version == 13,
            f"{name}: ONNX opset 13, metadata inputs in order and the fold rule",
        )
        import xxhash

        check(
            meta["rootgrad.model_hash"] == xxhash.xxh64(open(path, "rb").read()).hexdigest(),
            f"{name}: metadata model_hash is the xxh64 of the model file",
        )
        sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
        feeds = {"features": x}
        if m["folds"]:
            feeds["fold"] = fold.astype(np.float32).reshape(-1, 1)
        outs = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, feeds)))
        if not rw_model:
            compare(f"{name}: onnxruntime score", ref["score"], outs["score"])
            cpp_check(d, name, os.path.join(d, f"{name}.h"), cols, x,
                      fold if m["folds"] else None, ref["score"])
        else:
            cut = cols["pt"] > 25
            rw_onnx = np.where(cut, outs["rw"].ravel(), np.nan)
            rel_compare(f"{name}: onnxruntime rw (outside the cut NaN)", ref["rw"], rw_onnx)
        if not a.skip_root:
            root_check(d, name, ntuple, os.path.join(d, f"{name}.h"), ref)
    # bad input: a branch name C++ cannot take is refused naming it, exit 2, no file
    bad = model_json([network(rng, x, "relu", None)])
    bad["inputs"][1]["expression"] = "`int` * 2"
    path = os.path.join(d, "bad.json")
    with open(path, "w") as f:
        json.dump(bad, f)
    r = subprocess.run([exe, "export", path, "--format", "cpp"], capture_output=True, text=True)
    check(
        r.returncode == 2 and "`int`" in r.stderr and "cpp" in r.stderr
        and not os.path.exists(os.path.join(d, "bad.h")),
        f"an untranslatable expression is refused with exit 2 naming it ({r.stderr.strip()[:120]})",
    )
    print(f"{len(FAILS)} failed" if FAILS else "all export checks passed")
    sys.exit(1 if FAILS else 0)


def root_check(d, name, ntuple, header, ref):
    import ROOT

    ns = f"m_{name}"
    check(ROOT.gInterpreter.Declare(open(header).read()), f"{name}: ROOT declares the header")
    df = ROOT.RDataFrame("Events", ntuple)
    if "score" in ref:
        call = str(getattr(ROOT, ns).score_entry_call)
        got = df.Define("s", call).AsNumpy(["s"])["s"]
        compare(f"{name}: ROOT RDataFrame Define(score_entry) vs apply's friend", ref["score"], got)
    else:
        m = getattr(ROOT, ns)
        got = df.Define("r", str(m.rw_entry_call)).Define("wr", str(m.weight_rw_entry_call))
        got = got.AsNumpy(["r", "wr"])
        rel_compare(f"{name}: ROOT RDataFrame rw_entry vs apply's rw", ref["rw"], got["r"])
        rel_compare(
            f"{name}: ROOT RDataFrame weight_rw_entry vs apply's weight_rw",
            ref["weight_rw"],
            got["wr"],
        )


if __name__ == "__main__":
    main()
