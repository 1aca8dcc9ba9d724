"""Reads a friend tree rootgrad wrote (`rootgrad apply`, `rootgrad reweight`) back with
ROOT 6.40, attached to its source tree as analysts attach it, and checks it entry by
entry.

    python validation/root640/friend_root.py FRIEND.root[:TREE] SOURCE.root:TREE

TREE defaults to `rootgrad`. Only the files are looked at, not how they were written, so
the check keeps working whatever writes the friend. Checks:
  1. ROOT opens the friend file without recovery or warnings above kWarning, finds the
     tree, and its entry count equals the source's;
  2. TTree::AddFriend: looping over the source's entries with GetEntry, every friend
     leaf's value (`TREE.branch`) equals the value the friend tree alone gives at the
     same entry (NaN equal to NaN), and every source leaf still reads;
  3. TTree::Scan over source and friend columns returns every entry;
  4. RDataFrame over the source with the friend: `TREE.branch` columns equal the
     friend's own columns bit for bit, entry by entry.
Prints `friend_root: PASS ...` or `friend_root: FAIL ...` and exits 1 on failure.
"""

import math
import os
import struct
import sys
import tempfile

import ROOT

ROOT.gROOT.SetBatch(True)
ROOT.gErrorIgnoreLevel = ROOT.kWarning


def split(spec, default=None):
    if ":" in spec:
        path, tree = spec.rsplit(":", 1)
        return path, tree
    return spec, default


def bits(x):
    x = float(x)
    return "nan" if math.isnan(x) else struct.pack("<d", x)


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    fpath, ftree = split(sys.argv[1], "rootgrad")
    spath, stree = split(sys.argv[2])
    failures = []
    ff = ROOT.TFile.Open(fpath)
    if not ff or ff.IsZombie() or ff.TestBit(ROOT.TFile.kRecovered):
        raise SystemExit(f"friend_root: FAIL: ROOT cannot open {fpath} cleanly")
    friend = ff.Get(ftree)
    sf = ROOT.TFile.Open(spath)
    source = sf.Get(stree)
    if not friend or not source:
        raise SystemExit(f"friend_root: FAIL: no tree {ftree} in {fpath} or {stree} in {spath}")
    n = source.GetEntries()
    if friend.GetEntries() != n:
        failures.append(f"friend has {friend.GetEntries()} entries, source {n}")
    names = [b.GetName() for b in friend.GetListOfBranches()]
    # The friend alone, entry by entry.
    alone = {b: [] for b in names}
    for i in range(friend.GetEntries()):
        friend.GetEntry(i)
        for b in names:
            alone[b].append(friend.GetLeaf(b).GetValue())
    # 2. Attached with AddFriend.
    source.AddFriend(ftree, fpath)
    src_leaves = [l.GetName() for l in source.GetListOfLeaves()]
    for i in range(n):
        if source.GetEntry(i) <= 0:
            failures.append(f"source entry {i} does not read with the friend attached")
            break
        for b in names:
            v = source.GetLeaf(f"{ftree}.{b}").GetValue()
            if bits(v) != bits(alone[b][i]):
                failures.append(f"AddFriend entry {i}: {ftree}.{b} = {v}, friend alone {alone[b][i]}")
                break
    # 3. Scan.
    scan_cols = ":".join([src_leaves[0]] + [f"{ftree}.{b}" for b in names])
    player = source.GetPlayer()
    with tempfile.TemporaryDirectory() as d:
        player.SetScanRedirect(True)
        player.SetScanFileName(os.path.join(d, "scan.txt"))
        source.SetScanField(0)
        rows = source.Scan(scan_cols, "", "", n, 0)
        player.SetScanRedirect(False)
        if rows != n:
            failures.append(f"Scan returned {rows} rows for {n} entries")
    # 4. RDataFrame.
    df = ROOT.RDataFrame(source)
    cols = [f"{ftree}.{b}" for b in names]
    got = df.AsNumpy(cols)
    for b, c in zip(names, cols):
        vals = got[c]
        if len(vals) != len(alone[b]):
            failures.append(f"RDataFrame {c}: {len(vals)} entries, friend {len(alone[b])}")
            continue
        for i, (g, w) in enumerate(zip(vals, alone[b])):
            if bits(g) != bits(w):
                failures.append(f"RDataFrame entry {i}: {c} = {g}, friend alone {w}")
                break
    if failures:
        print(f"friend_root: FAIL {fpath}")
        for f in failures[:20]:
            print("  " + f)
        sys.exit(1)
    print(f"friend_root: PASS {os.path.basename(fpath)}:{ftree} ({len(names)} branches, {n} "
          f"entries) read by ROOT {ROOT.gROOT.GetVersion()} with AddFriend, Scan and RDataFrame")


if __name__ == "__main__":
    main()
