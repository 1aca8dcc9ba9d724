"""Compares the friends of a one-process `rootgrad apply` with those `rootgrad batch
merge` wrote from the shards (validation/ci/batch.sh): same files, same entry count,
every score equal (NaN where NaN), read by uproot; and the same bytes (both written
under the same path, which a ROOT file records).

usage: compare.py ONE_DIR MERGED_DIR
"""
import sys
from pathlib import Path

import numpy as np
import uproot

one, merged = Path(sys.argv[1]), Path(sys.argv[2])
names = sorted(p.name for p in one.glob("*.root"))
assert names == sorted(p.name for p in merged.glob("*.root")), (names, list(merged.glob("*.root")))
total = 0
for name in names:
    a = uproot.open(one / name)["rootgrad"]["score"].array(library="np")
    b = uproot.open(merged / name)["rootgrad"]["score"].array(library="np")
    assert len(a) == len(b), (name, len(a), len(b))
    assert np.array_equal(a, b, equal_nan=True), f"{name}: scores differ"
    same_bytes = (one / name).read_bytes() == (merged / name).read_bytes()
    print(f"{name}: {len(a)} entries, every score equal; same bytes: {same_bytes}")
    assert same_bytes, f"{name}: the merged file's bytes differ from one apply's"
    total += len(a)
print(f"{total} entries compared")
