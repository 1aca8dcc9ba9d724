"""An RNTuple friend past 2 GiB (64-bit keys and locators), read by ROOT 6.40 and uproot.

By hand, not in CI (writes about 2.3 GB: 700 M floats, split-encoded scores compress
to 0.83 of their size; needs about 2.5 GB of free disk):

    cargo build --release --example friend_write_speed
    target/release/examples/friend_write_speed /tmp/rnt_big.root 700000000 1 1 rntuple
    /work/venv-all/bin/python validation/rntuple_friend/big_root.py /tmp/rnt_big.root 700000000

friend_write_speed writes every chunk of 65,536 entries from the same values, so entry e
holds the value of entry e % 65536: the check compares the last pages with the first,
through ROOT's RNTupleReader (entry by entry) and RDataFrame (means of a range) and
uproot, and checks that ROOT opened the file without recovering it, that the file ends
past 2^31 and that every entry is there.
"""
import sys

import numpy as np
import ROOT
import uproot

p = sys.argv[1] if len(sys.argv) > 1 else "/tmp/rnt_big.root"
N = int(sys.argv[2]) if len(sys.argv) > 2 else 700_000_000
f = ROOT.TFile.Open(p)
assert f and not f.IsZombie() and not f.TestBit(ROOT.TFile.kRecovered), "ROOT cannot open it cleanly"
assert f.GetEND() > 2**31 and f.GetVersion() > 1_000_000, (f.GetEND(), f.GetVersion())
r = ROOT.RNTupleReader.Open("rootgrad", p)
assert r.GetNEntries() == N, r.GetNEntries()
view = r.GetView["float"]("score0")
for e in [N - 1, N - 65536, N - 70000]:
    assert view(e) == view(e % 65536), (e, view(e), view(e % 65536))
tail = ROOT.RDataFrame("rootgrad", p).Range(N - 65536, N).Mean("score0").GetValue()
head = ROOT.RDataFrame("rootgrad", p).Range(0, 65536).Mean("score0").GetValue()
assert abs(tail - head) < 1e-12, (tail, head)
a = uproot.open(p)["rootgrad"].arrays(["score0"], entry_start=N - 70000, entry_stop=N, library="np")["score0"]
b = uproot.open(p)["rootgrad"].arrays(["score0"], entry_start=0, entry_stop=65536, library="np")["score0"]
want = b[np.arange(N - 70000, N) % 65536]
assert len(a) == 70000 and np.array_equal(a, want), "uproot's last entries differ"
clusters = r.GetDescriptor().GetNClusters()
del view, r  # the view before its reader (ROOT 6.40 crashes at exit otherwise)
print("rntuple_friend big_root: PASS %s, %d bytes, %d entries, %d clusters, read by ROOT %s and uproot %s"
      % (p, f.GetEND(), N, clusters, ROOT.gROOT.GetVersion(), uproot.__version__))
