"""Golden values for src/root/interp.rs `packing_forms_match_root`: how ROOT 6.40's
TStreamerElement parses Double32_t/Float16_t range specs (TStreamerElement::GetRange),
and what ROOT's TBufferFile reads back from raw stored words (ReadWithFactor,
ReadWithNbits).

    python validation/root640/range_golden.py

For each title prints fFactor, fXmin, fXmax as ROOT holds them (float.hex, exact), then,
for the raw 32-bit words 0, 1, 12345, 0x7fffffff, 0xffffffff stored in a buffer, the
double ROOT's ReadDouble32 returns (float.hex).
"""

import ROOT

ROOT.gROOT.SetBatch(True)
ROOT.gErrorIgnoreLevel = ROOT.kFatal

TITLES = [
    "x/d[-2.71,10,30]",
    "x/d[-2pi,2pi,16]",
    "x/d[-pi,pi]",
    "x/d[-pi/2, pi/4 ,20]",
    "x/d[0,twopi,18]",
    "x/d[0,2*pi]",
    "x/d[0,1,40]",
    "x[3]/d[-1,1,12]",
    " [ -5 , 5 , 24 ] a comment",
    "x/d[0,0,10]",
    "x/d[0,0,16]",
    "x/d[5,1,20]",
    "x/d[-10,10,32]",
    "x/d[0,100]",
]
WORDS = [0, 1, 12345, 0x7FFFFFFF, 0xFFFFFFFF]

for title in TITLES:
    e = ROOT.TStreamerElement("x", title, 0, 0, "Double32_t")
    reads = []
    if e.GetFactor() > 0:
        for w in WORDS:
            buf = ROOT.TBufferFile(ROOT.TBuffer.kWrite)
            buf.WriteUInt(w)
            buf.SetReadMode()
            buf.SetBufferOffset(0)
            out = ROOT.std.vector("double")(1)
            buf.ReadWithFactor(out.data(), e.GetFactor(), e.GetXmin())
            reads.append(float(out[0]).hex())
    print(repr(title), float(e.GetFactor()).hex(), float(e.GetXmin()).hex(),
          float(e.GetXmax()).hex(), reads)
