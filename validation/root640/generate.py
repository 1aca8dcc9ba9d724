"""Writes TTrees with ROOT 6.40 (the `root` wheel, `import ROOT`) covering the leaf types
and layouts analysts' ntuples hold, for validation/root640/check.py to read back with
rootgrad and compare against ROOT's own reading (validation/root640/reference.py).

    python validation/root640/generate.py OUTDIR [--small] [--only-nested]

Files (all small except big_basket.root, one basket over 16 MiB):
  leaves.root      every leaf type as a scalar, fixed arrays (1-d and 2-d), count-leaf
                   arrays, a leaf list, Double32_t/Float16_t with every kind of range
                   spec, std::vector of numbers, vector<vector<T>> split and unsplit;
                   special floats (NaN, +-inf, -0, extremes, subnormals) in the first entries
  codec_N.root     the same numbers compressed with setting N (0, 101, 109, 207, 301, 306,
                   404, 505)
  rvec.root        RDataFrame::Snapshot of RVec<float|double|int> columns
  nested.root      vector<vector<T>> of every numeric type (bool, char, unsigned char,
                   short, unsigned short, int, unsigned int, Long64_t, ULong64_t, float,
                   double, Double32_t, Float16_t), split levels 0 and 99, empty entries
                   and empty inner vectors, special values, 20-40 baskets per branch;
                   and a split class (`ev.`) with vector<vector<float|short> > members
  clusters.root    many clusters (auto-flush every 37 entries)
  hadd.root        two files merged with TFileMerger (what hadd does)
  cycles.root      a tree saved three times (cycles 1..3 of one key name)
  friends.root     a tree with a friend attached when it was written (friend in
                   friends_aux.root)
  unclosed.root    written, AutoSave'd, then the process ended without Close()
  big_basket.root  one basket over 16 MiB (only without --small)
"""

import array
import ctypes
import math
import os
import shutil
import subprocess
import tempfile
import sys

import ROOT  # noqa: E402

ROOT.gROOT.SetBatch(True)
ROOT.gErrorIgnoreLevel = ROOT.kWarning

N = 60  # entries of the small trees
FLT_MAX = 3.4028234663852886e38
DBL_MAX = sys.float_info.max
SPECIAL = [
    float("nan"),
    float("inf"),
    float("-inf"),
    -0.0,
    FLT_MAX,
    -FLT_MAX,
    1.401298464324817e-45,
    1.1754943508222875e-38,
    DBL_MAX,
    5e-324,
]


def fvalue(i, k=0):
    """A float value for entry i, item k: specials first, then ordinary numbers."""
    if i < len(SPECIAL) and k == 0:
        return SPECIAL[i]
    return math.sin(1.7 * i + 0.3 * k) * 10 ** ((i % 7) - 3)


def ivalue(i, k, lo, hi):
    """An integer in [lo, hi] for entry i, item k, hitting both ends."""
    if i == 0:
        return lo
    if i == 1:
        return hi
    span = hi - lo + 1
    return lo + (i * 2654435761 + k * 40503) % span


INT_TYPES = {
    # leaf code: (array typecode, min, max)
    "B": ("b", -128, 127),
    "b": ("B", 0, 255),
    "S": ("h", -32768, 32767),
    "s": ("H", 0, 65535),
    "I": ("i", -(2**31), 2**31 - 1),
    "i": ("I", 0, 2**32 - 1),
    "L": ("q", -(2**63), 2**63 - 1),
    "l": ("Q", 0, 2**64 - 1),
    "O": ("B", 0, 1),
}

# Double32_t / Float16_t leaves: name -> leaf type with its range spec (as ROOT parses
# it in TStreamerElement::GetRange).
PACKED = {
    "d32_plain": "d",
    "d32_pi16": "d[-2pi,2pi,16]",
    "d32_pi": "d[-pi,pi]",
    "d32_halfpi": "d[-pi/2,pi/2,20]",
    "d32_32bits": "d[-10,10,32]",
    "d32_nobits": "d[0,100]",
    "d32_bits8": "d[0,1,8]",
    "d32_trunc10": "d[0,0,10]",
    "d32_zero16": "d[0,0,16]",
    "d32_spaces": "d[ -5 , 5 , 24 ]",
    "d32_twopi": "d[0,twopi,18]",
    "d32_badbits": "d[0,1,40]",
    "f16_plain": "f",
    "f16_range": "f[-1,1,14]",
    "f16_trunc": "f[0,0,8]",
    "f16_pi": "f[-pi,pi,12]",
    "f16_32": "f[0,1000]",
}


def packed_value(name, i):
    """Values inside the range (and a few outside, which ROOT clamps)."""
    x = math.sin(0.37 * i + 0.1)
    if name.startswith("d32_pi") or name == "f16_pi":
        return 3.2 * x  # a little outside [-pi, pi] at the ends
    if name == "d32_halfpi":
        return 1.5 * x
    if name in ("d32_nobits", "f16_32"):
        return 50 + 50 * x
    if name in ("d32_bits8", "d32_badbits"):
        return 0.5 + 0.5 * x
    if name == "d32_twopi":
        return 3.0 + 3.0 * x
    return 12.345 * x * 10 ** ((i % 5) - 2)


class LeafList(ctypes.Structure):
    """The leaf list `a/D:b/I:c/F`: 16 contiguous bytes."""

    _fields_ = [("a", ctypes.c_double), ("b", ctypes.c_int32), ("c", ctypes.c_float)]


def leaves_tree(path, compression=None):
    f = ROOT.TFile(path, "RECREATE")
    if compression is not None:
        f.SetCompressionSettings(compression)
    t = ROOT.TTree("t", "every leaf type")
    keep = []

    def scalar(name, code, tc):
        buf = array.array(tc, [0])
        t.Branch(name, buf, f"{name}/{code}")
        keep.append((name, buf, "int", code))

    for code, (tc, lo, hi) in INT_TYPES.items():
        name = {"B": "i8", "b": "u8", "S": "i16", "s": "u16", "I": "i32", "i": "u32",
                "L": "i64", "l": "u64", "O": "flag"}[code]
        scalar(name, code, tc)
    fb = array.array("f", [0])
    t.Branch("f32", fb, "f32/F")
    db = array.array("d", [0])
    t.Branch("f64", db, "f64/D")
    # fixed arrays
    fa = array.array("f", [0] * 3)
    t.Branch("farr", fa, "farr[3]/F")
    ia = array.array("i", [0] * 6)
    t.Branch("iarr2d", ia, "iarr2d[2][3]/I")
    # count-leaf arrays
    n = array.array("i", [0])
    t.Branch("n", n, "n/I")
    dv = array.array("d", [0] * 8)
    t.Branch("dvar", dv, "dvar[n]/D")
    sv = array.array("h", [0] * 8)
    t.Branch("svar", sv, "svar[n]/S")
    # a leaf list
    ll_struct = LeafList()
    t.Branch("ll", ctypes.addressof(ll_struct), "a/D:b/I:c/F")
    # Double32_t / Float16_t
    packed = {}
    for name, spec in PACKED.items():
        buf = array.array("d" if spec.startswith("d") else "f", [0])
        t.Branch(name, buf, f"{name}/{spec}")
        packed[name] = buf
    d32arr = array.array("d", [0] * 3)
    t.Branch("d32_arr", d32arr, "d32_arr[3]/d[-1,1,12]")
    # STL vectors
    vf = ROOT.std.vector("float")()
    vd = ROOT.std.vector("double")()
    vi = ROOT.std.vector("int")()
    vl = ROOT.std.vector("Long64_t")()
    vb = ROOT.std.vector("bool")()
    t.Branch("vf", vf)
    t.Branch("vd", vd)
    t.Branch("vi", vi)
    t.Branch("vl", vl)
    t.Branch("vb", vb)
    vvf = ROOT.std.vector(ROOT.std.vector("float"))()
    vvi = ROOT.std.vector(ROOT.std.vector("int"))()
    vvd_split = ROOT.std.vector(ROOT.std.vector("double"))()
    t.Branch("vvf", vvf, 32000, 0)  # unsplit
    t.Branch("vvi", vvi, 32000, 0)
    t.Branch("vvd", vvd_split, 32000, 99)  # split level 99
    for i in range(N):
        for name, buf, _, code in keep:
            tc, lo, hi = INT_TYPES[code]
            buf[0] = ivalue(i, 0, lo, hi)
        fb[0] = fvalue(i)
        db[0] = fvalue(i)
        for k in range(3):
            fa[k] = fvalue(i, k)
        for k in range(6):
            ia[k] = ivalue(i, k, -(2**31), 2**31 - 1)
        n[0] = i % 5
        for k in range(n[0]):
            dv[k] = fvalue(i, k)
            sv[k] = ivalue(i, k, -32768, 32767)
        ll_struct.a = fvalue(i, 1)
        ll_struct.b = ivalue(i, 2, -(2**31), 2**31 - 1)
        ll_struct.c = -fvalue(i, 2)
        for name, buf in packed.items():
            buf[0] = packed_value(name, i)
        for k in range(3):
            d32arr[k] = math.cos(i + k)
        vf.clear(); vd.clear(); vi.clear(); vl.clear(); vb.clear()
        for k in range(i % 4):
            vf.push_back(fvalue(i, k))
            vd.push_back(fvalue(i, k))
            vi.push_back(ivalue(i, k, -(2**31), 2**31 - 1))
            vl.push_back(ivalue(i, k, -(2**53), 2**53))
            vb.push_back(bool((i + k) % 2))
        vvf.clear(); vvi.clear(); vvd_split.clear()
        for k in range(i % 3):
            inner_f = ROOT.std.vector("float")()
            inner_i = ROOT.std.vector("int")()
            inner_d = ROOT.std.vector("double")()
            for j in range((i + k) % 4):
                inner_f.push_back(fvalue(i, j + k))
                inner_i.push_back(ivalue(i, j + 3 * k, -1000, 1000))
                inner_d.push_back(fvalue(i + 1, j + k))
            vvf.push_back(inner_f)
            vvi.push_back(inner_i)
            vvd_split.push_back(inner_d)
        t.Fill()
    t.Write()
    f.Close()


def rvec_file(path):
    df = ROOT.RDataFrame(N)
    df = (
        df.Define("i", "(int)rdfentry_")
        .Define("rvf", "ROOT::RVecF v(i % 4); for (int k = 0; k < (int)v.size(); ++k) v[k] = 0.25f * (i + k) - 3; return v;")
        .Define("rvd", "ROOT::RVecD v(i % 3); for (int k = 0; k < (int)v.size(); ++k) v[k] = std::sin(1.3 * i + k); return v;")
        .Define("rvi", "ROOT::RVecI v(i % 5); for (int k = 0; k < (int)v.size(); ++k) v[k] = i * 1000 - k; return v;")
        .Define("x", "std::cos(0.1 * i)")
    )
    df.Snapshot("t", path, ["i", "rvf", "rvd", "rvi", "x"])


def simple_tree(path, name, start, count, autoflush=None, compression=505):
    f = ROOT.TFile(path, "RECREATE")
    f.SetCompressionSettings(compression)
    t = ROOT.TTree(name, name)
    if autoflush:
        t.SetAutoFlush(autoflush)
    x = array.array("d", [0])
    j = array.array("i", [0])
    v = ROOT.std.vector("float")()
    t.Branch("x", x, "x/D")
    t.Branch("j", j, "j/I")
    t.Branch("v", v)
    for i in range(start, start + count):
        x[0] = math.sin(0.01 * i) * 100
        j[0] = i
        v.clear()
        for k in range(i % 3):
            v.push_back(i + 0.5 * k)
        t.Fill()
    t.Write()
    f.Close()


def hadd_file(out, parts):
    m = ROOT.TFileMerger(False)
    m.OutputFile(out, "RECREATE")
    for p in parts:
        m.AddFile(p)
    assert m.Merge(), "TFileMerger failed"


def cycles_file(path):
    f = ROOT.TFile(path, "RECREATE")
    t = ROOT.TTree("t", "cycles")
    x = array.array("d", [0])
    t.Branch("x", x, "x/D")
    for i in range(30):
        x[0] = i * 1.5
        t.Fill()
        if i in (9, 19):
            t.Write()  # a new cycle each time
    t.Write("", ROOT.TObject.kOverwrite)
    f.Close()


def friends_file(path, aux):
    simple_tree(aux, "aux", 0, 25)
    f = ROOT.TFile(path, "RECREATE")
    t = ROOT.TTree("t", "with a friend")
    x = array.array("f", [0])
    t.Branch("x", x, "x/F")
    for i in range(25):
        x[0] = i * 0.25
        t.Fill()
    t.AddFriend("aux", os.path.basename(aux))
    t.Write()
    f.Close()


UNCLOSED = r"""
import array, os, ROOT
f = ROOT.TFile(os.environ["OUT"], "RECREATE")
t = ROOT.TTree("t", "unclosed")
t.SetAutoFlush(100)
x = array.array("d", [0])
t.Branch("x", x, "x/D")
for i in range(250):
    x[0] = i * 0.75
    t.Fill()
t.AutoSave()
os._exit(0)  # the job "crashes": no Close(), no key list
"""


def unclosed_file(path):
    env = dict(os.environ, OUT=path)
    subprocess.run([sys.executable, "-c", UNCLOSED], env=env, check=True)


def big_basket(path):
    f = ROOT.TFile(path, "RECREATE")
    f.SetCompressionSettings(505)
    t = ROOT.TTree("t", "one basket over 16 MiB")
    n = 4_500_000  # floats: 18 MB in one entry, so one basket
    buf = ROOT.std.vector("float")(n)
    for k in range(0, n, 997):
        buf[k] = k * 0.001
    t.Branch("big", buf, 64_000_000)
    x = array.array("i", [0])
    t.Branch("i", x, "i/I")
    for i in range(2):
        x[0] = i
        buf[1] = i + 0.5
        t.Fill()
    t.Write()
    f.Close()

# vector<vector<T>> of every numeric type (nested.root): the values, the shapes (empty
# entries, empty inner vectors) and the tree are written in C++ through cling; ROOT
# needs a compiled collection proxy for each vector<vector<T> >, made here in one
# GenerateDictionary call (about 15 s of compiling), as an analyst's job would.
NESTED_CPP = r'''
#include <cmath>
#include <limits>
#include <vector>
#include "TFile.h"
#include "TTree.h"
#include <functional>
namespace rg_nested {
// Entry i, inner list k, item j: specials and both ends of the range first, then
// ordinary values.
template <typename T> T value(int i, int k, int j) {
  using L = std::numeric_limits<T>;
  const int c = (i * 7 + k * 3 + j) % 11;
  if constexpr (std::is_same_v<T, bool>) {
    return (i + k + j) % 2;
  } else if constexpr (std::is_floating_point_v<T>) {
    const T special[] = {L::quiet_NaN(), L::infinity(), -L::infinity(), T(-0.0), L::max(), L::lowest(), L::denorm_min(), L::min()};
    if (i < 8 && k == 0 && j == 0) return special[i];
    return T(std::sin(1.3 * i + 0.7 * k + 0.11 * j) * std::pow(10.0, (i % 7) - 3));
  } else {
    if (c == 0) return L::min();
    if (c == 1) return L::max();
    return T((i * 2654435761u + k * 40503u + j * 977u) % 200) - (L::is_signed ? T(100) : T(0));
  }
}
// The shape of entry i: every 5th entry has no lists; lists have 0..4 items.
inline int lists(int i) { return i % 5 == 4 ? 0 : 1 + (i * 13) % 4; }
inline int items(int i, int k) { return (i + 2 * k) % 5 == 0 ? 0 : (i * 7 + k * 5) % 5; }
template <typename T> void fill(std::vector<std::vector<T>>& v, int i) {
  v.clear();
  for (int k = 0; k < lists(i); ++k) {
    std::vector<T> in;
    for (int j = 0; j < items(i, k); ++j) in.push_back(value<T>(i, k, j));
    v.push_back(in);
  }
}
template <typename T> struct Pair {
  std::vector<std::vector<T>> s0, s99;
  void book(TTree& t, const char* name, const char* type) {
    // A small buffer: several baskets per branch.
    t.Branch((std::string("vv_") + name + "_s0").c_str(), ("vector<vector<" + std::string(type) + "> >").c_str(), &s0, 512, 0);
    t.Branch((std::string("vv_") + name + "_s99").c_str(), ("vector<vector<" + std::string(type) + "> >").c_str(), &s99, 512, 99);
  }
  void set(int i) { fill(s0, i); fill(s99, i); }
};
}
// By address: cppyy's `vector<vector<Double32_t> >` is this type under another name.
void rg_fill_d32(unsigned long long at, int i) { rg_nested::fill(*reinterpret_cast<std::vector<std::vector<double>>*>(at), i); }
void rg_fill_f16(unsigned long long at, int i) { rg_nested::fill(*reinterpret_cast<std::vector<std::vector<float>>*>(at), i); }
void rg_write_nested(TTree& t, int n, std::function<void(int)> extra) {
  using namespace rg_nested;
  Pair<bool> b; Pair<char> i8; Pair<unsigned char> u8; Pair<short> i16; Pair<unsigned short> u16;
  Pair<int> i32; Pair<unsigned int> u32; Pair<Long64_t> i64; Pair<ULong64_t> u64; Pair<float> f32; Pair<double> f64;
  b.book(t, "bool", "bool"); i8.book(t, "i8", "char"); u8.book(t, "u8", "unsigned char");
  i16.book(t, "i16", "short"); u16.book(t, "u16", "unsigned short"); i32.book(t, "i32", "int");
  u32.book(t, "u32", "unsigned int"); i64.book(t, "i64", "Long64_t"); u64.book(t, "u64", "ULong64_t");
  f32.book(t, "f32", "float"); f64.book(t, "f64", "double");
  for (int i = 0; i < n; ++i) {
    b.set(i); i8.set(i); u8.set(i); i16.set(i); u16.set(i); i32.set(i); u32.set(i); i64.set(i); u64.set(i);
    f32.set(i); f64.set(i);
    if (extra) extra(i);
    t.Fill();
  }
}
'''

RG_NESTED_CLASS = r'''
#include <vector>
struct RgNested { int n; std::vector<std::vector<float>> vvf; std::vector<std::vector<short>> vvs; };
void rg_fill_class(RgNested& e, int i) {
  e.n = rg_nested::lists(i);
  rg_nested::fill(e.vvf, i + 1);
  rg_nested::fill(e.vvs, i + 2);
}
'''

NESTED_TYPES = ["bool", "char", "unsigned char", "short", "unsigned short", "int",
                "unsigned int", "Long64_t", "ULong64_t", "float", "double", "Double32_t",
                "Float16_t"]


def nested_file(path, n=300):
    """Branches vv_<type>_s0 and vv_<type>_s99 (split levels 0 and 99) of
    vector<vector<type> > with 512-byte buffers (20-40 baskets each), n entries."""
    here = os.getcwd()
    build = tempfile.mkdtemp(prefix="rootgrad-dict-")
    os.chdir(build)  # GenerateDictionary writes its sources and library here
    try:
        classes = ";".join(f"vector<vector<{t}> >" for t in NESTED_TYPES)
        # Its return code is not a reliable success flag; a missing proxy shows as
        # ROOT's "does not have a compiled CollectionProxy" error and wrong values.
        ROOT.gInterpreter.GenerateDictionary(classes, "vector")
        ROOT.gInterpreter.Declare(NESTED_CPP)
        # A class with vector<vector<T> > members, split: each member its own branch.
        ROOT.gInterpreter.Declare(RG_NESTED_CLASS)
        ROOT.gInterpreter.GenerateDictionary("RgNested", "")
    finally:
        os.chdir(here)
    f = ROOT.TFile(path, "RECREATE")
    t = ROOT.TTree("t", "vector<vector<T>> of every numeric type, split 0 and 99")
    # Double32_t and Float16_t survive only as ROOT's type names: booked from Python
    # (cppyy keeps `vector<vector<Double32_t> >`), filled by the C++ helpers.
    typed = []
    for name, ty, fill in (("d32", "Double32_t", ROOT.rg_fill_d32),
                           ("f16", "Float16_t", ROOT.rg_fill_f16)):
        for split in (0, 99):
            v = ROOT.std.vector(ROOT.std.vector(ty))()
            t.Branch(f"vv_{name}_s{split}", v, 512, split)
            typed.append((v, fill))

    ev = ROOT.RgNested()
    t.Branch("ev.", ev, 512, 99)  # split: branches ev.n, ev.vvf, ev.vvs

    def extra(i):
        for v, fill in typed:
            fill(ROOT.addressof(v), i)
        ROOT.rg_fill_class(ev, i)

    ROOT.rg_write_nested(t, n, extra)
    t.Write()
    f.Close()
    shutil.rmtree(build, ignore_errors=True)


def main():
    out = sys.argv[1]
    small = "--small" in sys.argv
    os.makedirs(out, exist_ok=True)
    p = lambda name: os.path.join(out, name)  # noqa: E731
    if "--only-nested" in sys.argv:  # validation/ci/vecvec.sh: nested.root alone
        nested_file(p("nested.root"))
        print(f"generate: wrote ROOT {ROOT.gROOT.GetVersion()} nested.root into {out}")
        return
    nested_file(p("nested.root"))  # first: before PyROOT instantiates any vector<vector>
    leaves_tree(p("leaves.root"))
    for c in (0, 101, 109, 207, 301, 306, 404, 505):
        leaves_tree(p(f"codec_{c}.root"), c)
    rvec_file(p("rvec.root"))
    simple_tree(p("clusters.root"), "t", 0, 500, autoflush=37)
    simple_tree(p("hadd_a.root"), "t", 0, 40, compression=101)
    simple_tree(p("hadd_b.root"), "t", 40, 33, compression=404)
    hadd_file(p("hadd.root"), [p("hadd_a.root"), p("hadd_b.root")])
    cycles_file(p("cycles.root"))
    here = os.getcwd()
    os.chdir(out)  # the friend is recorded by its file name, relative to the tree's file
    friends_file("friends.root", "friends_aux.root")
    os.chdir(here)
    unclosed_file(p("unclosed.root"))
    if not small:
        big_basket(p("big_basket.root"))
    print(f"generate: wrote ROOT {ROOT.gROOT.GetVersion()} files into {out}")


if __name__ == "__main__":
    main()
