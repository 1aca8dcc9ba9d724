"""Compares rootgrad's reading of the ROOT 6.40 files (validation/root640/generate.py)
with ROOT's own reading of them (validation/root640/reference.py): every value of every
column, bit for bit.

    python validation/root640/check.py OUTDIR --rootgrad target/debug/rootgrad

For each column, `rootgrad dump FILE:t -b COLUMN --format json` is parsed with Python's
json module (strict: NaN and infinities must come as the strings "NaN", "Infinity",
"-Infinity") and compared with the reference:
  - floats: the same float64 bits (-0.0 and 0.0 differ, NaN equals NaN); for float32
    branches rootgrad prints the shortest text of the float32, so both sides are compared
    as float32 when the reference value is a float32;
  - integers: rootgrad reads every column through float64, so a 64-bit integer is
    compared as float64(ROOT's value) (exact below 2^53, rounded as float64 above);
  - every float in rootgrad's JSON must carry an exponent (shortest round-trip form).
The codec_N.root files hold the values of leaves.root and are compared with its
reference. Also checks that inspect reports the recorded friend of friends.root and the
recovery of unclosed.root. Prints `root640 ttree: PASS ...` or the failures; exits 1 on
failure.
"""

import json
import math
import os
import re
import struct
import subprocess
import sys

CODECS = (0, 101, 109, 207, 301, 306, 404, 505)
# Known gaps, asserted as such: rootgrad must refuse these columns with this message.
KNOWN_UNREAD = {}


def as_float(v):
    if isinstance(v, str):
        return {"nan": math.nan, "NaN": math.nan, "inf": math.inf, "Infinity": math.inf,
                "-inf": -math.inf, "-Infinity": -math.inf}[v]
    return float(v)


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0] if math.isfinite(x) or math.isnan(x) else x


def is_f32(x):
    try:
        return math.isnan(x) or math.isinf(x) or f32(x) == x
    except OverflowError:
        return False


def same(ref, got):
    if isinstance(ref, list) or isinstance(got, list):
        if not (isinstance(ref, list) and isinstance(got, list)) or len(ref) != len(got):
            return False
        return all(same(r, g) for r, g in zip(ref, got))
    r, g = as_float(ref), as_float(got)
    if math.isnan(r) or math.isnan(g):
        return math.isnan(r) and math.isnan(g)
    if isinstance(ref, int):
        return float(ref) == g
    if struct.pack("<d", r) == struct.pack("<d", g):
        return True
    # float32 branches: rootgrad prints the shortest text of the float32.
    try:
        return is_f32(r) and struct.pack("<f", r) == struct.pack("<f", g)
    except OverflowError:
        return False


def dump(rootgrad, path, tree, column):
    p = subprocess.run(
        [rootgrad, "dump", f"{path}:{tree}", "-b", column, "--format", "json"],
        capture_output=True, text=True)
    if p.returncode != 0:
        return None, p.stderr.strip()
    rows = []
    for line in p.stdout.splitlines():
        # Strict JSON: Python's json accepts bare NaN/Infinity, so refuse them here.
        for bad in ("NaN", "Infinity"):
            if re.search(rf"(?<!\"){bad}(?!\")", line.replace("-Infinity", "Infinity")):
                return None, f"bare {bad} token (not JSON): {line}"
        rows.append(json.loads(line)[column])
    return rows, None


def check_exponents(rootgrad, path, tree, column, failures):
    """Every non-integer number rootgrad prints has an exponent."""
    p = subprocess.run([rootgrad, "dump", f"{path}:{tree}", "-b", column, "--format", "json"],
                       capture_output=True, text=True)
    for line in p.stdout.splitlines()[:50]:
        body = line.split(f'"{column}":', 1)[1]
        for tok in re.findall(r"-?[\d.]+(?:e-?\d+)?", body):
            if "." in tok and "e" not in tok:
                failures.append(f"{path}:{column}: {tok} has no exponent")
                return


def main():
    out = sys.argv[1]
    rootgrad = sys.argv[sys.argv.index("--rootgrad") + 1]
    with open(os.path.join(out, "reference.json")) as f:
        ref = json.load(f)
    jobs = [(name, name) for name in ref]
    jobs += [(f"codec_{c}.root", "leaves.root") for c in CODECS]
    failures, compared, columns, known = [], 0, 0, 0
    for fname, refname in jobs:
        path = os.path.join(out, fname)
        if refname not in ref or not os.path.exists(path):
            continue
        for tree, cols in ref[refname].items():
            for col, want in cols.items():
                got, err = dump(rootgrad, path, tree, col)
                columns += 1
                if col in KNOWN_UNREAD:
                    known += 1
                    if not err or KNOWN_UNREAD[col] not in err:
                        failures.append(f"{fname}:{col}: expected the refusal "
                                        f"{KNOWN_UNREAD[col]!r}, got {err or 'values'}")
                    continue
                if err:
                    failures.append(f"{fname}:{tree}:{col}: {err}")
                    continue
                if len(got) != len(want):
                    failures.append(f"{fname}:{col}: {len(got)} entries, ROOT {len(want)}")
                    continue
                for i, (w, g) in enumerate(zip(want, got)):
                    if not same(w, g):
                        failures.append(f"{fname}:{col} entry {i}: rootgrad {g!r}, ROOT {w!r}")
                        break
                compared += len(want)
                if fname == "leaves.root" and col in ("f64", "f32", "dvar"):
                    check_exponents(rootgrad, path, tree, col, failures)
    # The friend recorded in friends.root, and the recovered unclosed.root.
    p = subprocess.run([rootgrad, "inspect", os.path.join(out, "friends.root")],
                       capture_output=True, text=True)
    if "friends_aux.root" not in p.stdout or "aux" not in p.stdout:
        failures.append(f"inspect friends.root does not report the friend: {p.stdout}{p.stderr}")
    p = subprocess.run([rootgrad, "inspect", os.path.join(out, "unclosed.root")],
                       capture_output=True, text=True)
    if "not closed" not in p.stdout:
        failures.append(f"inspect unclosed.root does not say it was not closed: {p.stdout}{p.stderr}")
    if failures:
        print(f"root640 ttree: FAIL ({len(failures)} problems, {columns} columns)")
        for f in failures:
            print("  " + f)
        sys.exit(1)
    print(f"root640 ttree: PASS, {columns - known} columns, {compared} entries bit-exact with "
          f"ROOT 6.40; {known} columns refused as known gaps ({', '.join(sorted(KNOWN_UNREAD)) or 'none'})")


if __name__ == "__main__":
    main()
