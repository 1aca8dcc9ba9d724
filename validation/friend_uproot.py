"""Checks rootgrad's friend-tree writer (src/root/write.rs) against uproot.

Builds and runs `examples/write_friend.rs` for several entry counts, opens each output
with uproot, and checks what a ROOT user relies on when calling `TTree::AddFriend`:
one TTree key with the right name and fEntries, the branch names and order, each
branch's title, leaf class and uproot interpretation (bool must read as
AsDtype('bool'), from a TLeafO titled `flag/O`), and every value bit for bit against the
same formulas recomputed in numpy. It also checks that an existing output is refused
without --force and replaced with it, that no temporary file is left behind, and that
the file header's fEND equals the file size.

Run with the project's Python (uproot and numpy):

    /work/venv/bin/python validation/friend_uproot.py

Set ROOTGRAD_WRITE_FRIEND_BIN to a built `write_friend` binary to skip the cargo build.
Prints one line, `friend_uproot: PASS ...` or `friend_uproot: FAIL ...` (then the
failures, one per line), and exits non-zero on failure.
"""

import hashlib
import os
import subprocess
import sys
import tempfile

import numpy as np
import uproot

SIZES = [0, 1, 1000, 1_000_003]
TREE = "friends"

# name: (branch title, leaf class, bytes per value, uproot interpretation)
BRANCHES = {
    "f32": ("f32/F", "TLeafF", 4, "AsDtype('>f4')"),
    "f64": ("f64/D", "TLeafD", 8, "AsDtype('>f8')"),
    "i32": ("i32/I", "TLeafI", 4, "AsDtype('>i4')"),
    "i64": ("i64/L", "TLeafL", 8, "AsDtype('>i8')"),
    "flag": ("flag/O", "TLeafO", 1, "AsDtype('bool')"),
}


def expected(n):
    """The formulas of examples/write_friend.rs, step for step in the same precision."""
    i = np.arange(n, dtype=np.int64)
    f32 = i.astype(np.float32) * np.float32(0.37) - np.float32(1000.0)
    f32 = np.where(i % 11 == 5, f32 * np.float32(1e30), f32).astype(np.float32)
    f64 = (i.astype(np.float64) - 500.25) / 3.0
    f64 = np.where(i % 13 == 7, f64 * 1e300, f64)
    i32 = ((i * 7919) % 2_000_000_007 - 1_000_000_000).astype(np.int32)
    i64 = np.where(i % 17 == 0, np.int64(2**63 - 1) - i, (i - 500) * 4_294_967_311)
    flag = i % 3 == 0
    return {"f32": f32, "f64": f64, "i32": i32, "i64": i64.astype(np.int64), "flag": flag}


def bits(a):
    """A view that compares floats bit for bit (so -0.0 != 0.0 and NaN == NaN)."""
    if a.dtype.kind == "f":
        return a.view(np.dtype("u%d" % a.dtype.itemsize))
    return a


def build(repo):
    given = os.environ.get("ROOTGRAD_WRITE_FRIEND_BIN")
    if given:
        return given
    cargo = os.environ.get("CARGO", "cargo")
    subprocess.run(
        [cargo, "build", "--quiet", "--release", "--example", "write_friend"],
        cwd=repo,
        check=True,
    )
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(repo, "target"))
    return os.path.join(target, "release", "examples", "write_friend")


def run(binary, out, n, force=False):
    cmd = [binary, out, str(n)] + (["--force"] if force else [])
    return subprocess.run(cmd, capture_output=True, text=True)


def check_file(path, n, fail):
    """Checks one output of N entries; reports problems through fail(msg)."""
    where = "N=%d" % n
    f = uproot.open(path)
    if f.keys() != [TREE + ";1"]:
        fail("%s: keys %s, expected ['%s;1']" % (where, f.keys(), TREE))
        return {}
    if f.classname_of(TREE) != "TTree":
        fail("%s: `%s` is a %s, not a TTree" % (where, TREE, f.classname_of(TREE)))
        return {}
    size = os.path.getsize(path)
    if f.file.fEND != size:
        fail("%s: header fEND %d but the file has %d bytes" % (where, f.file.fEND, size))
    t = f[TREE]
    if t.num_entries != n or t.member("fEntries") != n:
        fail("%s: tree has %d entries (fEntries %d)" % (where, t.num_entries, t.member("fEntries")))
    if t.keys() != list(BRANCHES):
        fail("%s: branches %s, expected %s" % (where, t.keys(), list(BRANCHES)))
        return {}
    want = expected(n)
    baskets = {}
    for name, (title, leaf_class, width, interp) in BRANCHES.items():
        b = t[name]
        at = "%s branch %s" % (where, name)
        if b.title != title:
            fail("%s: title %r, expected %r" % (at, b.title, title))
        leaves = b.member("fLeaves")
        if len(leaves) != 1:
            fail("%s: %d leaves, expected 1" % (at, len(leaves)))
            continue
        leaf = leaves[0]
        if leaf.classname != leaf_class:
            fail("%s: leaf class %s, expected %s" % (at, leaf.classname, leaf_class))
        if leaf.member("fName") != name or leaf.member("fTitle") != name:
            fail("%s: leaf named %r titled %r" % (at, leaf.member("fName"), leaf.member("fTitle")))
        if leaf.member("fLenType") != width or leaf.member("fLen") != 1:
            fail("%s: leaf fLenType %d fLen %d" % (at, leaf.member("fLenType"), leaf.member("fLen")))
        if repr(b.interpretation) != interp:
            fail("%s: interpretation %r, expected %s" % (at, b.interpretation, interp))
        if b.num_entries != n:
            fail("%s: branch fEntries %d" % (at, b.num_entries))
        entry = b.member("fBasketEntry")[: b.num_baskets + 1]
        if entry[0] != 0 or entry[-1] != n or np.any(np.diff(entry) < 0):
            fail("%s: fBasketEntry %s does not run 0..%d" % (at, entry, n))
        baskets[name] = b.num_baskets
        got = b.array(library="np")
        w = want[name]
        if (got.dtype.kind, got.dtype.itemsize) != (w.dtype.kind, w.dtype.itemsize):
            fail("%s: dtype %s, expected %s" % (at, got.dtype, w.dtype))
        elif len(got) != n:
            fail("%s: read %d values" % (at, len(got)))
        elif not np.array_equal(bits(got.astype(w.dtype)), bits(w)):
            bad = np.flatnonzero(bits(got.astype(w.dtype)) != bits(w))
            j = bad[0]
            fail("%s: %d values differ, first at entry %d: %r != %r" % (at, len(bad), j, got[j], w[j]))
    return baskets


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    failures = []
    fail = failures.append
    try:
        binary = build(repo)
    except (OSError, subprocess.CalledProcessError) as e:
        print("friend_uproot: FAIL could not build examples/write_friend: %s" % e)
        return 1
    basket_report = ""
    with tempfile.TemporaryDirectory(prefix="rootgrad-friend-") as tmp:
        for n in SIZES:
            out = os.path.join(tmp, "friend_%d.root" % n)
            r = run(binary, out, n)
            if r.returncode != 0:
                fail("N=%d: write_friend exited %d: %s" % (n, r.returncode, r.stderr.strip()))
                continue
            baskets = check_file(out, n, fail)
            if n == max(SIZES):
                basket_report = ", ".join("%s %d" % kv for kv in baskets.items())

        # an existing output is kept without --force and replaced with it
        out = os.path.join(tmp, "friend_1.root")
        if os.path.exists(out):
            before = hashlib.sha256(open(out, "rb").read()).hexdigest()
            r = run(binary, out, 1000)
            after = hashlib.sha256(open(out, "rb").read()).hexdigest()
            if r.returncode != 2 or "output exists" not in r.stderr or before != after:
                fail("existing output: exit %d, stderr %r, changed %s"
                     % (r.returncode, r.stderr.strip(), before != after))
            r = run(binary, out, 1000, force=True)
            if r.returncode != 0:
                fail("--force: exit %d: %s" % (r.returncode, r.stderr.strip()))
            else:
                check_file(out, 1000, fail)

        # every write, refused or not, cleans up its temporary file
        leftovers = [x for x in os.listdir(tmp) if x.startswith(".")]
        if leftovers:
            fail("temporary files left behind: %s" % leftovers)

    if failures:
        print("friend_uproot: FAIL %d problem(s)" % len(failures))
        for msg in failures:
            print("  " + msg)
        return 1
    print(
        "friend_uproot: PASS N=%s, branches %s read bit-exact by uproot %s; baskets at N=%d: %s"
        % (",".join(map(str, SIZES)), "/".join(BRANCHES), uproot.__version__, max(SIZES), basket_report)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
