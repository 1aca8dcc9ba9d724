#!/usr/bin/env bash
# CI steps of the `figures` work (issue 17 items 7, 8, 11, 12): the references that made
# the committed goldens are run again and must reproduce them (so a golden cannot drift
# from its script); `cargo test` (run earlier by .ci/run) compares rootgrad with them.
#   - validation/sf/sf_reference.py: `rootgrad sf` scale factors (uproot + numpy)
#   - validation/metrics/ks_pvalue.py: the KS p-value of the overtraining figure (scipy)
# About 20 s after scipy is installed into $VENV.
set -euo pipefail
: "${VENV:?VENV must point at the CI virtual environment}"
"$VENV/bin/pip" install --quiet scipy
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$VENV/bin/python" validation/sf/sf_reference.py "$tmp/sf.json" > /dev/null
"$VENV/bin/python" validation/metrics/ks_pvalue.py "$tmp/ks.json" > /dev/null
"$VENV/bin/python" - "$tmp" <<'PY'
import json, math, sys
tmp = sys.argv[1]

def same(a, b, where):
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}[{i}]")
    elif isinstance(a, float):
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300), f"{where}: {a} != {b}"
    else:
        assert a == b, f"{where}: {a} != {b}"

for new, golden in [("sf.json", "validation/data/sf/sf_golden.json"),
                    ("ks.json", "validation/data/metrics/ks_pvalue.json")]:
    same(json.load(open(f"{tmp}/{new}")), json.load(open(golden)), golden)
    print("reproduced", golden)
PY
