"""ROOT 6.40's own reading of the files validation/root640/generate.py writes: the
reference validation/root640/check.py compares rootgrad's reading against.

    python validation/root640/reference.py OUTDIR

Reads every numeric column of every tree with RDataFrame (ROOT's TTreeReader under it)
and writes OUTDIR/reference.json: {file: {tree: {column: [entry values]}}}, each entry a
number or a (nested) list of numbers. Floats are written as Python's repr (round-trips
exactly); NaN and infinities as the strings "nan", "inf", "-inf"; -0.0 keeps its sign.
Integers stay integers (64-bit values exact).
"""

import json
import math
import os
import sys

import ROOT

ROOT.gROOT.SetBatch(True)
ROOT.gErrorIgnoreLevel = ROOT.kError

# file -> (tree, columns); None = every column RDataFrame lists.
FILES = {
    "leaves.root": ("t", None),
    "rvec.root": ("t", None),
    "nested.root": ("t", None),
    "clusters.root": ("t", None),
    "hadd.root": ("t", None),
    "cycles.root": ("t", None),
    "friends.root": ("t", ["x"]),
    "big_basket.root": ("t", None),
}
# The codec_N.root files hold the very values of leaves.root (same generator code, only
# the compression differs); check.py compares each against this one reading.


def plain(v):
    """A value RDataFrame returned, as JSON-able nested lists of numbers."""
    if isinstance(v, (bool, int)):
        return int(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    try:
        return [plain(x) for x in v]
    except TypeError:
        return plain(float(v))


def read_tree(path, tree, columns):
    df = ROOT.RDataFrame(tree, path)
    names = [str(c) for c in df.GetColumnNames()] if columns is None else columns
    types = {n: str(df.GetColumnType(n)) for n in names}
    # Classes the generator declares (Rg...) are compared through their members' columns.
    names = [n for n in names if not n.startswith("rdf") and "string" not in types[n]
             and not types[n].startswith("Rg")]
    # Every column booked first, then one event loop. Vectors and arrays are copied into
    # RVec<double> (exact for every element type here: floats, and integers below 2^53),
    # vectors of vectors into vector<vector<double>>.
    taken = {}
    for n in names:
        t = types[n]
        safe = "c_" + n.replace(".", "_")
        if t.count("<") >= 2 or "vector<vector" in t:
            conv = (f"std::vector<std::vector<double>> o; for (auto &v : {n}) "
                    "o.emplace_back(v.begin(), v.end()); return o;")
            taken[n] = df.Define(safe, conv).Take["std::vector<std::vector<double>>"](safe)
        elif "<" in t:
            taken[n] = df.Define(safe, f"ROOT::RVecD({n}.begin(), {n}.end())").Take["ROOT::RVecD"](safe)
        elif t in ("Char_t", "UChar_t", "Bool_t", "char", "unsigned char", "bool"):
            taken[n] = df.Define(safe, f"(int){n}").Take["int"](safe)
        else:
            taken[n] = df.Take[t](n)
    out = {n: [plain(x) for x in t.GetValue()] for n, t in taken.items()}
    return {n: out[n] for n in names}


def main():
    out = sys.argv[1]
    os.chdir(out)  # friends.root names its friend's file relative to here
    out = "."
    ref = {}
    for fname, (tree, columns) in FILES.items():
        path = os.path.join(out, fname)
        if not os.path.exists(path):
            continue
        ref[fname] = {tree: read_tree(path, tree, columns)}
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(ref, f)
    n = sum(len(c) for t in ref.values() for c in t.values())
    print(f"reference: ROOT {ROOT.gROOT.GetVersion()} read {n} columns of {len(ref)} files")


if __name__ == "__main__":
    main()
