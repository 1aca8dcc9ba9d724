"""RNTuples written by uproot (5.7: `file[key] = data` writes an RNTuple) read by rootgrad.

1. An RNTuple of every numeric type uproot writes (int8..uint64, float32, float64, bool,
   jagged float32 and int32), three clusters (`extend`), with each codec (none, zlib,
   lzma, lz4, zstd): `rootgrad dump --format json` must give uproot's values exactly
   (as float64, which is how rootgrad reads every number).
2. The demo's samples copied into RNTuples by uproot: a model trained on the RNTuples
   scores every entry exactly as the model trained on the TTrees (same seed), and
   `apply` on the RNTuple writes the same scores as on the TTree (friends read by uproot).

Usage: python validation/rntuple_uproot.py --rootgrad target/debug/rootgrad
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import awkward as ak
import numpy as np
import uproot

TYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
         "float32", "float64", "bool"]
CODECS = {"none": None, "zlib": uproot.ZLIB(4), "lzma": uproot.LZMA(2),
          "lz4": uproot.LZ4(4), "zstd": uproot.ZSTD(5)}


def cluster(rng, n):
    out = {}
    for t in TYPES:
        if t == "bool":
            out["x_bool"] = rng.integers(0, 2, n).astype(bool)
        elif t.startswith("float"):
            out["x_" + t] = (rng.normal(size=n) * 1e3).astype(t)
        else:
            info = np.iinfo(t)
            out["x_" + t] = rng.integers(info.min, info.max, n, dtype=t, endpoint=True)
    counts = rng.integers(0, 5, n)
    out["v_float32"] = ak.unflatten(rng.normal(size=counts.sum()).astype("float32"), counts)
    out["v_int32"] = ak.unflatten(rng.integers(-1000, 1000, counts.sum()).astype("int32"), counts)
    return out


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"FAILED {' '.join(cmd)}:\n{r.stdout}\n{r.stderr}")
    return r.stdout


def check_types(rootgrad, tmp):
    rng = np.random.default_rng(7)
    for name, codec in CODECS.items():
        path = os.path.join(tmp, f"types-{name}.root")
        with uproot.recreate(path, compression=codec) as f:
            f["ntuple"] = cluster(rng, 1000)
            f["ntuple"].extend(cluster(rng, 700))
            f["ntuple"].extend(cluster(rng, 1))
        want = uproot.open(path)["ntuple"].arrays()
        rows = [json.loads(l) for l in run([rootgrad, "dump", path, "--format", "json"]).splitlines()]
        assert len(rows) == len(want) == 1701, (name, len(rows))
        for field in want.fields:
            col = want[field]
            got = [r[field] for r in rows]
            if field.startswith("v_"):
                w = ak.to_list(col)
                dt = np.float32 if "float" in field else np.int32
                for i, (g, e) in enumerate(zip(got, w)):
                    assert [dt(x) for x in g] == [dt(x) for x in e], (name, field, i, g, e)
            else:
                # rootgrad reads every number as float64 (64-bit integers beyond 2^53
                # round, as documented): compare with uproot's values converted so.
                arr = col.to_numpy().astype(np.float64)
                if field == "x_float32":
                    arr = arr.astype(np.float32)
                g = np.array([float(x) for x in got], dtype=arr.dtype)
                bad = np.flatnonzero(g != arr)
                assert bad.size == 0, (name, field, bad[:5], g[bad[:5]], arr[bad[:5]])
        print(f"types-{name}.root: {len(rows)} entries x {len(want.fields)} fields equal to uproot")


def scores(path):
    return uproot.open(path)["rootgrad"]["score"].array(library="np")


def check_workflow(rootgrad, tmp):
    s = os.path.join(tmp, "s")
    run([rootgrad, "samples", "generate", "--events", "3000", "--out", s])
    for n in ["photon_mc", "zee_data", "zee_mc"]:
        arrays = uproot.open(os.path.join(s, f"{n}.root"))["Events"].arrays(library="np")
        with uproot.recreate(os.path.join(s, f"{n}_rnt.root")) as f:
            f["Events"] = arrays
    cfg = open(os.path.join(s, "photon_id.toml")).read().replace("epochs         = 10", "epochs = 2")
    open(os.path.join(s, "tt.toml"), "w").write(cfg)
    for n in ["photon_mc", "zee_data", "zee_mc"]:
        cfg = cfg.replace(f"{n}.root:Events", f"{n}_rnt.root:Events")
    open(os.path.join(s, "rnt.toml"), "w").write(cfg)
    for tag in ["tt", "rnt"]:
        run([rootgrad, "train", os.path.join(s, f"{tag}.toml"), "--out", os.path.join(s, tag)])
    out = {}
    for model in ["tt", "rnt"]:
        for data in ["zee_data", "zee_data_rnt"]:
            d = os.path.join(s, f"f-{model}-{data}")
            run([rootgrad, "apply", "-m", os.path.join(s, model, "model.json"),
                 os.path.join(s, f"{data}.root"), "--output-dir", d])
            out[model, data] = scores(os.path.join(d, f"{data}.rootgrad.root"))
    ref = out["tt", "zee_data"]
    for k, v in out.items():
        assert v.shape == ref.shape and np.array_equal(v, ref, equal_nan=True), k
    print(f"train + apply on RNTuples: {ref.size} scores equal to those of the TTrees")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rootgrad", default="target/debug/rootgrad")
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        check_types(a.rootgrad, tmp)
        check_workflow(a.rootgrad, tmp)


if __name__ == "__main__":
    main()
