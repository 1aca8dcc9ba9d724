"""A friend file past 2 GiB (64-bit seek pointers), read by ROOT 6.40, uproot and rootgrad.

By hand, not in CI (writes 2.15 GB, needs about 2.5 GB of free disk):

    cargo build --release --example friend_write_speed
    target/release/examples/friend_write_speed /tmp/io_big.root 600000000 1 1
    /work/venv-all/bin/python validation/friend_big_root.py /tmp/io_big.root

friend_write_speed writes every chunk of 65,536 entries from the same values, so entry e
holds the value of entry e % 65536: the check compares the last entries with the first
chunk's, through TTree::GetEntry, RDataFrame and uproot, and checks that ROOT opened the
file without recovering it and sees every entry.
"""
import sys

import ROOT
import uproot

p = sys.argv[1] if len(sys.argv) > 1 else "/tmp/io_big.root"
N = 600_000_000
f = ROOT.TFile.Open(p)
assert f and not f.IsZombie() and not f.TestBit(ROOT.TFile.kRecovered), "ROOT cannot open it cleanly"
assert f.GetEND() > 2**31 and f.GetVersion() > 1_000_000, (f.GetEND(), f.GetVersion())
t = f.Get("rootgrad")
assert t.GetEntries() == N, t.GetEntries()
vals = {}
for e in [N - 1, (N - 1) % 65536, N - 65536, (N - 65536) % 65536]:
    t.GetEntry(e)
    vals[e] = t.score0
assert vals[N - 1] == vals[(N - 1) % 65536] and vals[N - 65536] == vals[(N - 65536) % 65536], vals
tail = ROOT.RDataFrame(t).Range(N - 65536, N).Mean("score0").GetValue()
head = ROOT.RDataFrame(t).Range(0, 65536).Mean("score0").GetValue()
assert abs(tail - head) < 1e-12, (tail, head)
a = uproot.open(p)["rootgrad"]["score0"].array(library="np", entry_start=N - 70000, entry_stop=N)
assert float(a[-1]) == vals[N - 1] and len(a) == 70000
print("friend_big_root: PASS %s, %d bytes, %d entries, read by ROOT %s and uproot %s"
      % (p, f.GetEND(), N, ROOT.gROOT.GetVersion(), uproot.__version__))
