"""Checks that rootgrad reads a ROOT file over 2 GiB (64-bit seek pointers).

Past 2,000,000,000 bytes (ROOT's kStartBigFile) a ROOT file's header switches to its
64-bit form (fVersion > 1000000, fEND and fSeekFree as 8 bytes) and so does every key
written beyond that point (key version > 1000, fSeekKey and fSeekPdir as 8 bytes).
None of the committed test files is that large, so this script writes one with uproot
in a temporary folder, a little over 2.1 GiB, uncompressed, tree `t` with

    idx  int64    i
    a    float64  i * 0.5 - 1e6
    b    float64  (i % 1000003) / 7.0

(each formula one exactly rounded IEEE operation per step, so the values are known
without keeping them), checks that the header and the keys of the last baskets really
are the 64-bit form, then runs the release binary:

- `rootgrad inspect FILE:t --json`: the entry count and the file size;
- `rootgrad dump FILE:t --format json` over the first entries, a range in the middle
  that straddles a basket boundary, the last five entries (whose baskets lie past
  2 GiB), and the entries around the end of the basket whose bytes cross the 2**31
  offset: every value against the formula and against uproot's reading of the
  range, bit for bit.

It needs about 2.3 GB of free disk in the temporary folder ($TMPDIR) and skips, saying
so, when less than 5 GB is free. The file is deleted at the end, also on failure.
Run with the project's Python (uproot and numpy):

    /work/venv/bin/python validation/big_file.py

Set ROOTGRAD_BIN to a built `rootgrad` binary to skip `cargo build --release` (which
honours CARGO_TARGET_DIR).
Prints one `PASS`/`FAIL` line per check and a summary line with the timings; exits
non-zero on failure.
"""

import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np
import uproot

CHUNK = 4_000_000  # entries per extend call (one basket per branch per call)
CHUNKS = 24  # 96 million entries * 24 bytes = 2.30e9 bytes, about 2.15 GiB
N = CHUNK * CHUNKS
MIN_FREE = 5_000_000_000
BIG = 2**31

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

failures = []


def check(ok, what):
    print(("PASS " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)
    return ok


def formula(start, stop):
    i = np.arange(start, stop, dtype=np.int64)
    a = i.astype(np.float64) * 0.5 - 1e6
    b = (i % 1000003).astype(np.float64) / 7.0
    return {"idx": i, "a": a, "b": b}


def write(path):
    with uproot.recreate(path, compression=None) as f:
        f.mktree("t", {"idx": np.int64, "a": np.float64, "b": np.float64})
        for k in range(CHUNKS):
            f["t"].extend(formula(k * CHUNK, (k + 1) * CHUNK))


def rootgrad_binary():
    given = os.environ.get("ROOTGRAD_BIN")
    if given:
        return given
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "--bin", "rootgrad"],
        cwd=REPO,
        check=True,
    )
    target = os.path.join(REPO, os.environ.get("CARGO_TARGET_DIR", "target"))
    return os.path.join(target, "release", "rootgrad")


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(
            "%s exited with %d: %s" % (" ".join(cmd), p.returncode, p.stderr.strip())
        )
    return p.stdout


def key_version(fh, seek):
    fh.seek(seek)
    nbytes, version = struct.unpack(">iH", fh.read(6))
    return version


def check_layout(path, size):
    with open(path, "rb") as fh:
        head = fh.read(64)
    if head[:4] != b"root":
        return check(False, "the file starts with `root`")
    version = struct.unpack(">i", head[4:8])[0]
    if not check(
        version > 1000000,
        "header is the 64-bit form (fVersion %d > 1000000; file %d bytes, %.3f GiB)"
        % (version, size, size / 2**30),
    ):
        return False
    (fend,) = struct.unpack(">q", head[12:20])  # fBEGIN (4) then 8-byte fEND
    check(fend == size, "header fEND %d equals the file size %d" % (fend, size))
    with uproot.open(path) as f:
        t = f["t"]
        late = []
        with open(path, "rb") as fh:
            for name in ("idx", "a", "b"):
                seeks = [int(s) for s in t[name].member("fBasketSeek") if s > 0]
                last = max(seeks)
                late.append((name, last, key_version(fh, last)))
    check(
        all(s >= BIG and v > 1000 for _, s, v in late),
        "the last basket of each branch lies past 2 GiB with a 64-bit key ("
        + ", ".join("%s at %d, key version %d" % x for x in late)
        + ")",
    )
    return True


def compare_range(binary, path, start, stop, tree):
    what = "dump --entry-start %d --entry-stop %d" % (start, stop)
    out = run(
        [
            binary,
            "dump",
            path + ":t",
            "-b",
            "idx,a,b",
            "--entry-start",
            str(start),
            "--entry-stop",
            str(stop),
            "--format",
            "json",
        ]
    )
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    want = formula(start, stop)
    up = tree.arrays(["idx", "a", "b"], entry_start=start, entry_stop=stop, library="np")
    bad = []
    if len(rows) != stop - start:
        bad.append("%d rows, want %d" % (len(rows), stop - start))
    for k, row in enumerate(rows):
        e = start + k
        if row.get("entry") != e:
            bad.append("row %d has entry %r" % (k, row.get("entry")))
            continue
        for name in ("idx", "a", "b"):
            got = row.get(name)
            if name == "idx":
                ok = isinstance(got, int) and got == int(want[name][k]) == int(up[name][k])
            else:
                ok = (
                    isinstance(got, (int, float))
                    and float(got) == float(want[name][k])
                    and float(want[name][k]) == float(up[name][k])
                )
            if not ok:
                bad.append(
                    "entry %d %s: rootgrad %r, formula %r, uproot %r"
                    % (e, name, got, want[name][k], up[name][k])
                )
    check(
        not bad,
        "%s: %d entries x 3 branches equal the formula and uproot%s"
        % (what, stop - start, "" if not bad else ": " + "; ".join(bad[:5])),
    )


def main():
    t0 = time.time()
    tmp_root = tempfile.gettempdir()
    free = shutil.disk_usage(tmp_root).free
    if free < MIN_FREE:
        print(
            "big_file: SKIP: %.1f GB free in %s, need 5 GB for a 2.3 GB test file "
            "(set TMPDIR to a folder with more room)" % (free / 1e9, tmp_root)
        )
        return 0
    try:
        binary = rootgrad_binary()
    except (OSError, subprocess.CalledProcessError) as e:
        check(False, "cargo build --release: %s" % e)
        print("big_file: FAIL (could not build rootgrad)")
        return 1
    t_build = time.time() - t0
    tmp = tempfile.mkdtemp(prefix="rootgrad-bigfile-")
    path = os.path.join(tmp, "big.root")
    t_write = t_check = 0.0
    try:
        t1 = time.time()
        write(path)
        t_write = time.time() - t1
        t2 = time.time()
        size = os.path.getsize(path)
        if not check_layout(path, size):
            print(
                "big_file: FAIL: uproot did not write the 64-bit (large-file) layout; "
                "nothing else checked"
            )
            return 1
        info = json.loads(run([binary, "inspect", path + ":t", "--json"]))
        trees = info[0]["trees"] if info else []
        check(
            len(trees) == 1 and trees[0]["entries"] == N,
            "inspect --json: tree t has %s entries (want %d)"
            % (trees[0]["entries"] if trees else "no tree", N),
        )
        check(
            info[0].get("bytes") == size,
            "inspect --json: bytes %s equals the file size %d" % (info[0].get("bytes"), size),
        )
        types = {b["name"]: b["cpp_type"] for b in trees[0]["branches"]} if trees else {}
        check(
            types == {"idx": "int64_t", "a": "double", "b": "double"},
            "inspect --json: branch types %s" % types,
        )
        with uproot.open(path) as f:
            tree = f["t"]
            compare_range(binary, path, 0, 5, tree)
            mid = N // 2  # a basket boundary: the range spans two baskets per branch
            compare_range(binary, path, mid - 3, mid + 3, tree)
            compare_range(binary, path, N - 5, N, tree)
            # The basket whose bytes cross the 2 GiB (2**31) offset (or, if the offset
            # falls between baskets, the first basket past it): its last entries and
            # the next basket's first.
            spans = []
            for name in ("idx", "a", "b"):
                br = tree[name]
                seek, nbytes = br.member("fBasketSeek"), br.member("fBasketBytes")
                first = br.member("fBasketEntry")
                for k in range(br.num_baskets):
                    spans.append((int(seek[k]), int(seek[k] + nbytes[k]), name, int(first[k + 1])))
            spans.sort()
            pick = [x for x in spans if x[0] < BIG < x[1]] or [x for x in spans if x[0] >= BIG]
            _, _, name, end = pick[0]
            print("     (basket of `%s` ending at entry %d: %s 2**31)"
                  % (name, end, "crosses" if pick[0][0] < BIG else "first past"))
            compare_range(binary, path, end - 3, min(end + 3, N), tree)
        t_check = time.time() - t2
    except Exception as e:  # report, clean up, fail
        check(False, "big_file raised %s: %s" % (type(e).__name__, e))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    total = time.time() - t0
    timing = "build %.1fs, write %.1fs, checks %.1fs, total %.1fs" % (
        t_build,
        t_write,
        t_check,
        total,
    )
    if failures:
        print("big_file: FAIL (%d checks failed; %s)" % (len(failures), timing))
        return 1
    print("big_file: PASS (%d entries, 64-bit file; %s)" % (N, timing))
    return 0


if __name__ == "__main__":
    sys.exit(main())
