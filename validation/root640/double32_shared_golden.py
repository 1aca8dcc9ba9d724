"""ROOT 6.40's reading of ../shared/rootfiles/uproot-double32-float16.root, branch
`double32_32` (Double32_t[-2.71, 10, 32]), where uproot 5.7 (which made the manifest)
scales by 2^32 and ROOT by 0xffffffff. Prints the f64 bit patterns of every entry, the
golden values of validation/conformance.rs `ROOT_REFERENCE`.

    python validation/root640/double32_shared_golden.py
"""

import struct

import ROOT

f = ROOT.TFile.Open("../shared/rootfiles/uproot-double32-float16.root")
t = f.Get("tree")
bits = []
for i in range(t.GetEntries()):
    t.GetEntry(i)
    v = t.GetLeaf("double32_32").GetValue()
    bits.append("0x%016x" % struct.unpack("<Q", struct.pack("<d", v))[0])
print(", ".join(bits))
