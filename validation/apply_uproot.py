#!/usr/bin/env python3
"""Cross-check of `rootgrad train` + `rootgrad apply` with uproot and numpy (run by .ci/run).

1. uproot writes the ntuples (a labelled simulation sample with ~10% negative generator
   weights, and a control region in data and simulation), so rootgrad reads files it
   did not write itself;
2. rootgrad trains two models from a run description: one with a validation fraction and
   the histogram loss, one with 3 folds by `event % 3`;
3. rootgrad applies each to the simulation file; uproot reads the friend tree next to
   the source tree and this script checks the entry count, and every score against a
   numpy forward pass of model.json (float32, as the model file documents), with each
   entry scored by its own fold's model and `score_fold<k>` equal to model k's score.

Usage: python validation/apply_uproot.py [--rootgrad target/debug/rootgrad] [--keep DIR]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import uproot


def write_tree(path, columns):
    """A TTree (uproot 5.7 writes an RNTuple for `f[name] = dict`)."""
    with uproot.recreate(path) as f:
        t = f.mktree("Events", {k: v.dtype for k, v in columns.items()})
        t.extend(columns)


def write_samples(d, n, rng):
    # labelled simulation: flav 1 signal, 0 background
    flav = (rng.random(n) < 0.5).astype(np.int32)
    r9 = np.where(flav == 1, 0.9, 0.75) + 0.08 * rng.standard_normal(n)
    sieie = np.where(flav == 1, 0.009, 0.012) + 0.002 * rng.standard_normal(n)
    iso = np.where(flav == 1, 0.05, 0.3) * rng.exponential(size=n)
    eta = rng.uniform(-2.4, 2.4, n)
    w = np.where(rng.random(n) < 0.1, -1.0, 1.0) * rng.uniform(0.5, 1.5, n)
    event = np.arange(n, dtype=np.int64) * 7 + 1001
    write_tree(
        os.path.join(d, "mc.root"),
        {
            "r9": r9.astype(np.float32),
            "sieie": sieie.astype(np.float32),
            "iso": iso.astype(np.float32),
            "eta": eta.astype(np.float32),
            "genWeight": w,
            "flav": flav,
            "event": event,
        },
    )
    for name, shift, neg in [("data_cr", 0.0, 0.15), ("mc_cr", 0.03, 0.1)]:
        m = n // 2
        write_tree(
            os.path.join(d, name + ".root"),
            {
                "r9": (0.9 + shift + 0.06 * rng.standard_normal(m)).astype(np.float32),
                "sieie": (0.009 + 0.002 * rng.standard_normal(m)).astype(np.float32),
                "iso": (0.08 * rng.exponential(size=m)).astype(np.float32),
                "eta": rng.uniform(-2.4, 2.4, m).astype(np.float32),
                "sw": np.where(rng.random(m) < neg, -0.5, 1.0) * rng.uniform(0.5, 1.5, m),
                "event": np.arange(m, dtype=np.int64),
            },
        )


CONFIG = """
[inputs]
features = ["r9", "sieie", "log(iso + 1e-3)", "abs(eta)"]

[classification]
signal     = {{ files = ["mc.root:Events"], cut = "flav == 1", weight = "genWeight" }}
background = {{ files = ["mc.root:Events"], cut = "flav != 1", weight = "genWeight" }}

[domain]
data = {{ files = ["data_cr.root:Events"], weight = "sw" }}
mc   = {{ files = ["mc_cr.root:Events"], weight = "sw" }}

[network]
hidden = [16, 8]
activation = "{act}"

[training]
epochs = 3
batch_size = 512
seed = 5
{split}

[adaptation]
method = "{method}"
"""


def features(t):
    a = t.arrays(["r9", "sieie", "iso", "eta"], library="np")
    return np.stack(
        [a["r9"], a["sieie"], np.log(a["iso"].astype(np.float64) + 1e-3), np.abs(a["eta"])], axis=1
    ).astype(np.float64)


def act(name, alpha, x):
    if name == "relu":
        return np.maximum(x, 0)
    if name == "elu":
        a = np.float32(1.0 if alpha is None else alpha)
        return np.where(x > 0, x, a * np.expm1(np.minimum(x, 0)))
    if name == "tanh":
        return np.tanh(x)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-x))
    raise SystemExit(f"add activation {name}")


def forward(scoring, x):
    """The model file's scoring formula in float32 (f64 standardisation rounded once)."""
    mean = np.array(scoring["standardize"]["mean"])
    std = np.array(scoring["standardize"]["std"])
    h = ((x - mean) / std).astype(np.float32)
    for layer in scoring["layers"]:
        w = np.array(layer["weight"], dtype=np.float32)
        b = np.array(layer["bias"], dtype=np.float32)
        h = act(layer["activation"], layer.get("alpha"), (h @ w.T + b).astype(np.float32))
    return h[:, 0].astype(np.float64)


def run(cmd, cwd):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{r.stdout}\n{r.stderr}")
    return r.stdout


def check(name, got, want, tol=1e-5):
    err = np.abs(got - want) / np.maximum(np.abs(want), 1e-3)
    worst = int(np.argmax(err))
    if not err[worst] <= tol:
        raise SystemExit(f"{name}: entry {worst}: rootgrad {got[worst]!r}, numpy {want[worst]!r}")
    print(f"  {name}: {len(got)} entries, max relative difference {err[worst]:.2e}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rootgrad", default="target/debug/rootgrad")
    ap.add_argument("--keep", help="work in this folder and leave it")
    ap.add_argument("--events", type=int, default=6000)
    args = ap.parse_args()
    exe = os.path.abspath(args.rootgrad)
    d = args.keep or tempfile.mkdtemp(prefix="rootgrad-apply-")
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(20261123)
    write_samples(d, args.events, rng)
    x = features(uproot.open(os.path.join(d, "mc.root"))["Events"])
    event = uproot.open(os.path.join(d, "mc.root"))["Events"]["event"].array(library="np")
    for tag, split, method, a in [
        ("fraction", "validation = 0.2", "histogram", "elu"),
        ("folds", 'folds = 3\nfold = "event % 3"\nvalidation = 0.2', "none", "relu"),
    ]:
        with open(os.path.join(d, f"{tag}.toml"), "w") as f:
            f.write(CONFIG.format(split=split, method=method, act=a))
        run([exe, "train", f"{tag}.toml", "--out", tag, "--quiet", "--force"], d)
        extra = ["--all-folds"] if tag == "folds" else []
        run([exe, "apply", "-m", f"{tag}/model.json", "mc.root:Events", "-o", f"{tag}.root", "--force", *extra], d)
        model = json.load(open(os.path.join(d, tag, "model.json")))
        friend = uproot.open(os.path.join(d, f"{tag}.root"))["rootgrad"]
        if friend.num_entries != len(x):
            raise SystemExit(f"{tag}: friend has {friend.num_entries} entries, source {len(x)}")
        score = friend["score"].array(library="np").astype(np.float64)
        print(f"{tag}:")
        if model["folds"] is None:
            check("score", score, forward(model, x))
        else:
            k = model["folds"]["k"]
            owner = event % k
            for m in range(k):
                want = forward(model["folds"]["models"][m], x)
                per = friend[f"score_fold{m}"].array(library="np").astype(np.float64)
                check(f"score_fold{m}", per, want)
                sel = owner == m
                check(f"score (fold {m} entries)", score[sel], want[sel])
    print("apply_uproot: OK")


if __name__ == "__main__":
    sys.exit(main())
