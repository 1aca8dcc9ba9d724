"""Checks rootgrad's friend files (src/root/write.rs) with ROOT itself.

Makes an input tree `Events` of N entries with uproot, writes a friend of it with
`examples/write_friend.rs --source input.root:Events` (tree `friends`, the columns whose
formulas validation/friend_uproot.py recomputes), then in ROOT (the `root` Python
package, 6.40): TFile::Open (not a zombie, not recovered), the TTree's entries, the
source record (`rootgrad_source`, a TNamed whose title is the JSON record naming
input.root, Events, N entries and its UUID), TTree::AddFriend on the input tree,
TTree::Scan, and RDataFrame reading every friend column through the friend, compared
value for value with numpy.

    /work/venv-all/bin/python validation/friend_root.py

A friend past 2 GiB is checked by hand with validation/friend_big_root.py.
Set ROOTGRAD_WRITE_FRIEND_BIN to a built `write_friend` binary to skip the cargo build.
"""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import uproot

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from friend_uproot import BRANCHES, bits, build, expected  # noqa: E402

TREE = "friends"


def check(binary, tmp, n, fail):
    import ROOT

    where = "N=%d" % n
    inp = os.path.join(tmp, "input_%d.root" % n)
    with uproot.recreate(inp) as f:
        f.mktree("Events", {"x": "f8"})
        if n:
            f["Events"].extend({"x": np.arange(n, dtype=np.float64)})
    out = os.path.join(tmp, "input_%d.rootgrad.root" % n)
    r = subprocess.run([binary, out, str(n), "--source", inp + ":Events"], capture_output=True, text=True)
    if r.returncode != 0:
        fail("%s: write_friend exited %d: %s" % (where, r.returncode, r.stderr.strip()))
        return
    size = os.path.getsize(out)
    f = ROOT.TFile.Open(out)
    if not f or f.IsZombie() or f.TestBit(ROOT.TFile.kRecovered):
        fail("%s: ROOT cannot open the friend cleanly" % where)
        return
    t = f.Get(TREE)
    if t.GetEntries() != n:
        fail("%s: ROOT sees %d entries" % (where, t.GetEntries()))
    named = f.Get("rootgrad_source")
    rec = json.loads(named.GetTitle()) if named else None
    fin = ROOT.TFile.Open(inp)
    uuid = fin.GetUUID().AsString()
    src = rec["sources"][0] if rec else {}
    if not rec or src.get("tree") != "Events" or src.get("entries") != n or src.get("file") != os.path.basename(inp) \
            or src.get("uuid") != uuid:
        fail("%s: source record %r (input UUID %s)" % (where, rec, uuid))
    events = fin.Get("Events")
    events.AddFriend(TREE, out)
    if n:
        if events.Scan("x:friends.f32:friends.i64:friends.flag", "", "", 3, 0) != min(3, n):
            fail("%s: Scan through the friend failed" % where)
    cols = ["%s.%s" % (TREE, b) for b in BRANCHES]
    got = ROOT.RDataFrame(events).AsNumpy(cols)
    want = expected(n)
    for b in BRANCHES:
        g = np.asarray(got["%s.%s" % (TREE, b)])
        w = want[b]
        if len(g) != n or not np.array_equal(bits(g.astype(w.dtype)), bits(w)):
            fail("%s: RDataFrame read %s wrong (%d values)" % (where, b, len(g)))
    print("  %s: %d bytes, %s read by ROOT %s" % (where, size, "/".join(BRANCHES), ROOT.gROOT.GetVersion()))
    return size


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    failures = []
    binary = build(repo)
    sizes = [0, 1, 70_000, 1_000_003]
    with tempfile.TemporaryDirectory(prefix="rootgrad-friend-root-") as tmp:
        for n in sizes:
            check(binary, tmp, n, failures.append)
    if failures:
        print("friend_root: FAIL %d problem(s)" % len(failures))
        for m in failures:
            print("  " + m)
        return 1
    print("friend_root: PASS N=%s" % ",".join(map(str, sizes)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
