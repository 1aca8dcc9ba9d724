#!/usr/bin/env python3
"""Write the uproot-made reference ROOT files for rootgrad's reader, with their golden values.

Run from anywhere:

    python validation/make_uproot_files.py            # needs uproot numpy awkward lz4 zstandard xxhash

It (re)writes every file in validation/data/uproot/ and validation/data/uproot/expected.json.
The output is deterministic: a fixed numpy seed, a fixed UUID, and uproot's clock pinned to
2024-01-01 (see `pin_uproot_clock`), so a rerun with the same uproot rewrites the same bytes
and git sees no change.

The files:

  codec-<none|zlib|lzma|lz4|zstd>.root   tree `t`, every numeric leaf type uproot writes
      (bool, int8..uint64, float32, float64, float32[3], jagged float32 and int32 with their
      count branches), written in 100 `extend` calls of 0 to 300 entries, so every branch
      has 100 baskets: small ones (which uproot stores uncompressed when compressing does
      not pay), larger compressed ones, and one empty one (from an empty extend).
  big-basket-<zlib|zstd>.root   tree `t`, ONE extend of 5,000,000 entries (int32 `i` and
      float64 `x`), so each basket is > 16 MiB uncompressed and is split into 2 and 3
      compression blocks (ROOT framing caps a block at 2**24 - 1 bytes). lz4 is tried too but
      not kept: LZ4 tops out near 255:1, so its file would be ~270 kB (see BIG_MAX_BYTES).
  many-baskets.root   tree `t`, zlib, 1,000 extends of 100 entries (float64 and int32); the
      values encode the entry number, so a basket read out of order shows up at once.
  empty.root   tree `t` with branches x (float32) and n (int32), zero entries, zero baskets.

expected.json holds, per file, what uproot reads back (see its `_doc` key). Keys that start
with `_` are comments and metadata; readers skip them.
"""

import argparse
import datetime
import json
import math
import sys
import types
import uuid
from pathlib import Path

import awkward as ak
import numpy as np
import uproot
import xxhash

HERE = Path(__file__).resolve().parent
OUT = HERE / "data" / "uproot"
SEED = 20240611

# Codec files: N_EXTENDS extend calls (= baskets per branch) whose sizes are log-uniform in
# 1..MAX_CHUNK entries, plus three of 200-300 entries and one empty one. Each basket costs
# ~90 bytes of key and TBranch bookkeeping per branch whatever it holds, so a codec file is
# about 22 kB + N_EXTENDS * 18 * 90 B + its data: 300 extends would make each codec file
# ~700 kB (3.5 MB for the five), mostly of tiny baskets that uproot stores uncompressed
# (compression does not pay below ~100 bytes), which tests the codecs less, not more.
N_EXTENDS = 100
MAX_CHUNK = 60

CODECS = {
    "none": None,
    "zlib": uproot.ZLIB(4),
    "lzma": uproot.LZMA(6),
    "lz4": uproot.LZ4(4),
    "zstd": uproot.ZSTD(5),
}

BIG_ENTRIES = 5_000_000
BIG_CODECS = ["zlib", "zstd", "lz4"]
BIG_MAX_BYTES = 200_000  # a big-basket file larger than this is not kept (lz4 tops out at ~255:1)

DOC = (
    "Per file: tree, entries, compression (uproot's reading of fCompress), branches. Per branch: "
    "typename and interpretation as uproot prints them; kind (scalar | fixed | jagged); entries; "
    "num_baskets; baskets_stored_uncompressed (baskets whose payload is stored raw); "
    "max_blocks_per_basket (compression blocks in the largest basket, 0 if none compressed); "
    "and, over all numbers of the branch flattened in entry order and converted to float64 "
    "(bool -> 0/1, every integer here is within +-2**53 so the conversion is exact): values "
    "(count), sum (math.fsum, i.e. correctly rounded; compare with a relative tolerance), "
    "first (up to 5), last (null if none), checksum = fsum over k of v_k * ((k % 7) + 1) with "
    "each product rounded to float64, and xxh64 = hex xxHash64 (seed 0) of the float64 values "
    "as little-endian bytes (an exact, bitwise check of every value)."
)


FIXED_UUID = uuid.UUID("0f5e3a1c-7d2b-4c8e-9a61-2b7d4e0c9f35")


def pin_uproot_clock():
    """Make uproot stamp every fDatime with 2024-01-01, so reruns give identical bytes.

    uproot calls `datetime.datetime.now()` in its writing modules; swap their `datetime`
    module for a copy whose `datetime.now` is fixed. Best effort: if uproot's layout changes,
    the files still come out right, only with the real date in them.
    """

    class FixedDatetime(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2024, 1, 1, 0, 0, 0)

    shim = types.ModuleType("datetime")
    shim.__dict__.update(datetime.__dict__)
    shim.datetime = FixedDatetime
    for modname in ("_cascade", "_cascadetree", "writable"):
        mod = getattr(uproot.writing, modname, None)
        if mod is not None and getattr(mod, "datetime", None) is datetime:
            mod.datetime = shim


def recreate(path, compression):
    return uproot.recreate(path, compression=compression, uuid_function=lambda: FIXED_UUID)


# ---------------------------------------------------------------- value generators


def mix_int(rng, n, lo, hi, small_scale):
    """Mostly small realistic counts/ids, 10% anywhere in [lo, hi], with lo and hi themselves."""
    small = rng.poisson(small_scale, size=n)
    if lo < 0:
        small = small * rng.choice(np.array([-1, 1]), size=n)
    wide = rng.integers(lo, hi, size=n, endpoint=True, dtype=np.int64)
    out = np.where(rng.random(n) < 0.1, wide, small)
    if n >= 4:
        out[rng.integers(0, n)] = lo
        out[rng.integers(0, n)] = hi
    return out


def wide_floats(rng, n, lo_exp, hi_exp, dtype):
    """sign * 10**U(lo_exp, hi_exp): tiny (down to subnormal) and huge magnitudes, both signs."""
    mag = 10.0 ** rng.uniform(lo_exp, hi_exp, size=n)
    out = (mag * rng.choice(np.array([-1.0, 1.0]), size=n)).astype(dtype)
    return out


def codec_chunk(rng, n, start):
    """One extend's worth of every branch; `start` is the first entry number of the chunk."""
    f32 = np.float32
    pt = rng.exponential(25.0, size=n)
    d = {
        "b": rng.random(n) < 0.3,
        "i8": mix_int(rng, n, -128, 127, 3).astype(np.int8),
        "u8": mix_int(rng, n, 0, 255, 3).astype(np.uint8),
        "i16": mix_int(rng, n, -(2**15), 2**15 - 1, 40).astype(np.int16),
        "u16": mix_int(rng, n, 0, 2**16 - 1, 40).astype(np.uint16),
        "i32": mix_int(rng, n, -(2**31), 2**31 - 1, 1000).astype(np.int32),
        "u32": mix_int(rng, n, 0, 2**32 - 1, 1000).astype(np.uint32),
        # beyond 2**32 but within +-2**53, so float64 holds them exactly
        "i64": mix_int(rng, n, -(2**53), 2**53, 10**6).astype(np.int64),
        "u64": (mix_int(rng, n, 0, 2**53 - 2**40, 10**6) + np.where(rng.random(n) < 0.2, 2**40, 0)).astype(np.uint64),
        # moderate values, both signs; quantised to 1/64 (f32) and 1/4096 (f64) so they compress
        # like real ntuple columns rather than like noise (the *w branches carry full mantissas)
        "f32": (np.round((rng.normal(0.0, 50.0, size=n) + pt) * 64) / 64).astype(f32),
        "f64": np.round(rng.normal(-3.0, 100.0, size=n) * 4096) / 4096,
        # magnitudes from float32 subnormal (~1e-45) to ~1e38
        "f32w": wide_floats(rng, n, -44.5, 38.0, f32),
        # magnitudes from float64 subnormal (~5e-324) to 1e300 (so 7 * v and the sums stay finite)
        "f64w": wide_floats(rng, n, -323.0, 300.0, np.float64),
        "arr": (np.round(np.stack([pt * np.cos(u) for u in rng.uniform(-np.pi, np.pi, size=(3, n))], axis=1) * 256) / 256).astype(f32),
    }
    # jagged: Poisson lengths (about a third empty), now and then a long list
    nj = rng.poisson(1.2, size=n)
    nj[rng.random(n) < 0.01] = 40
    d["jf"] = ak.unflatten((np.round(rng.normal(30.0, 20.0, size=int(nj.sum())) * 128) / 128).astype(f32), nj)
    nk = rng.poisson(0.8, size=n)
    # the int values carry the entry number, so misaligned jagged offsets are caught
    d["ji"] = ak.unflatten(np.repeat(np.arange(start, start + n, dtype=np.int64), nk).astype(np.int32) * 3 - 7, nk)
    # a few exact specials in the float branches
    if n >= 8:
        d["f32w"][:4] = np.array([0.0, -0.0, np.finfo(f32).max, np.finfo(f32).smallest_subnormal], f32)
        d["f64w"][:4] = np.array([0.0, -0.0, 1e300, np.finfo(np.float64).smallest_subnormal])
    return d


CODEC_TYPES = {
    "b": "bool",
    "i8": "int8",
    "u8": "uint8",
    "i16": "int16",
    "u16": "uint16",
    "i32": "int32",
    "u32": "uint32",
    "i64": "int64",
    "u64": "uint64",
    "f32": "float32",
    "f64": "float64",
    "f32w": "float32",
    "f64w": "float64",
    "arr": np.dtype((np.float32, (3,))),
    "jf": "var * float32",
    "ji": "var * int32",
}


def chunk_sizes(rng):
    """N_EXTENDS sizes: log-uniform in 1..MAX_CHUNK, three large ones, one 0 (an empty basket)."""
    sizes = np.exp(rng.uniform(0.0, np.log(MAX_CHUNK + 1), size=N_EXTENDS)).astype(np.int64)
    sizes[[7, N_EXTENDS // 2, N_EXTENDS - 2]] = [300, 200, 250]  # large baskets: compressed for sure
    sizes[N_EXTENDS // 3] = 0  # uproot writes an empty basket for an empty extend
    sizes[0] = 1
    return sizes


# ---------------------------------------------------------------- writers


def write_codec_file(path, compression):
    rng = np.random.default_rng(SEED)
    sizes = chunk_sizes(rng)
    with recreate(path, compression) as f:
        t = f.mktree("t", CODEC_TYPES, initial_basket_capacity=N_EXTENDS + 1)
        start = 0
        for n in sizes:
            t.extend(codec_chunk(rng, int(n), start))
            start += int(n)


def write_big_basket(path, compression):
    i = np.arange(BIG_ENTRIES, dtype=np.int64)
    with recreate(path, compression) as f:
        t = f.mktree("t", {"i": "int32", "x": "float64"})
        # 20 MB and 40 MB in one basket each, so 2 and 3 compression blocks. Runs of 4096
        # equal values compress ~1000:1 with zlib (i % 1000 only ~100:1); a block boundary
        # (every 2**24 - 1 bytes) falls mid-value, so a mis-stitched block garbles what follows.
        t.extend({"i": (i >> 12).astype(np.int32), "x": (i >> 12).astype(np.float64) * 0.5 - 100.0})


def write_many_baskets(path):
    with recreate(path, uproot.ZLIB(4)) as f:
        t = f.mktree("t", {"x": "float64", "n": "int32"}, initial_basket_capacity=1001)
        for k in range(1000):
            e = np.arange(k * 100, (k + 1) * 100, dtype=np.int64)
            # x = k + j/128 for entry 100 k + j (exact in float64), n = k, the basket's number:
            # a basket read in the wrong place, or an off-by-some entry offset, is obvious
            j = e - k * 100
            t.extend({"x": k + j / 128.0, "n": np.full(100, k, dtype=np.int32)})


def write_empty(path):
    with recreate(path, uproot.ZLIB(4)) as f:
        f.mktree("t", {"x": "float32", "n": "int32"})


# ---------------------------------------------------------------- golden values


def basket_layout(path, branch):
    """(stored_uncompressed, max_blocks) over the branch's baskets, from the raw TKey bytes."""
    seeks = branch.member("fBasketSeek")[: branch.num_baskets]
    raw_count, max_blocks = 0, 0
    with open(path, "rb") as fh:
        for seek in seeks:
            fh.seek(int(seek))
            head = fh.read(18)
            nbytes = int.from_bytes(head[0:4], "big")
            objlen = int.from_bytes(head[6:10], "big")
            keylen = int.from_bytes(head[14:16], "big")
            fh.seek(int(seek))
            payload = fh.read(nbytes)[keylen:]
            if len(payload) == objlen:
                raw_count += 1
                continue
            blocks, pos = 0, 0
            while pos < len(payload):
                c = int.from_bytes(payload[pos + 3 : pos + 6], "little")
                pos += 9 + c
                blocks += 1
            if pos != len(payload):
                sys.exit(f"{path}: {branch.name}: compression block headers do not add up")
            max_blocks = max(max_blocks, blocks)
    return raw_count, max_blocks


def kind_of(interp):
    if isinstance(interp, uproot.interpretation.jagged.AsJagged):
        return "jagged"
    if getattr(interp, "inner_shape", ()):
        return "fixed"
    return "scalar"


def branch_golden(path, branch):
    arr = branch.array(library="ak")
    flat = ak.to_numpy(ak.flatten(arr, axis=None)).astype(np.float64)
    weights = (np.arange(flat.size) % 7 + 1).astype(np.float64)
    raw_count, max_blocks = basket_layout(path, branch)
    return {
        "typename": branch.typename,
        "interpretation": str(branch.interpretation),
        "kind": kind_of(branch.interpretation),
        "entries": int(branch.num_entries),
        "num_baskets": int(branch.num_baskets),
        "baskets_stored_uncompressed": raw_count,
        "max_blocks_per_basket": max_blocks,
        "values": int(flat.size),
        "sum": math.fsum(flat.tolist()),
        "first": flat[:5].tolist(),
        "last": float(flat[-1]) if flat.size else None,
        "checksum": math.fsum((flat * weights).tolist()),
        "xxh64": xxhash.xxh64(flat.astype("<f8").tobytes(), seed=0).hexdigest(),
    }


def file_golden(path, tree_name):
    with uproot.open(path) as f:
        t = f[tree_name]
        out = {
            "tree": tree_name,
            "entries": int(t.num_entries),
            "compression": str(f.file.compression),
            "branches": {b.name: branch_golden(path, b) for b in t.branches},
        }
        # sanity: the golden values must be finite where the data is finite
        for name, g in out["branches"].items():
            if not (math.isfinite(g["sum"]) and math.isfinite(g["checksum"])):
                sys.exit(f"{path}:{tree_name}:{name}: non-finite sum; fix the generator")
        return out


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=OUT, help="output folder (default: %(default)s)")
    args = ap.parse_args()
    pin_uproot_clock()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    for pattern in ("codec-*.root", "big-basket-*.root", "many-baskets.root", "empty.root"):
        for old in out.glob(pattern):  # only what this script makes, so a skipped file goes
            old.unlink()

    expected = {
        "_generated_by": "validation/make_uproot_files.py",
        "_uproot_version": uproot.__version__,
        "_numpy_version": np.__version__,
        "_doc": DOC,
    }

    for name, comp in CODECS.items():
        fn = f"codec-{name}.root"
        write_codec_file(out / fn, comp)
        expected[fn] = file_golden(out / fn, "t")

    skipped = []
    for name in BIG_CODECS:
        fn = f"big-basket-{name}.root"
        write_big_basket(out / fn, CODECS[name])
        size = (out / fn).stat().st_size
        if size > BIG_MAX_BYTES:
            (out / fn).unlink()
            skipped.append(f"{fn} ({size:,} bytes > {BIG_MAX_BYTES:,})")
            continue
        expected[fn] = file_golden(out / fn, "t")

    write_many_baskets(out / "many-baskets.root")
    expected["many-baskets.root"] = file_golden(out / "many-baskets.root", "t")
    write_empty(out / "empty.root")
    expected["empty.root"] = file_golden(out / "empty.root", "t")

    with open(out / "expected.json", "w") as fh:
        json.dump(expected, fh, indent=1, sort_keys=False, allow_nan=False)
        fh.write("\n")

    total = 0
    for p in sorted(out.iterdir()):
        size = p.stat().st_size
        total += size
        print(f"{size:>10,}  {p}")
    print(f"{total:>10,}  total")
    for s in skipped:
        print(f"skipped {s}")
    for fn, g in expected.items():
        if fn.startswith("_"):
            continue
        nb = sorted({b["num_baskets"] for b in g["branches"].values()})
        blocks = max([b["max_blocks_per_basket"] for b in g["branches"].values()] or [0])
        raw = sum(b["baskets_stored_uncompressed"] for b in g["branches"].values())
        print(f"{fn}: {g['entries']} entries, {len(g['branches'])} branches, baskets/branch {nb}, "
              f"{raw} baskets stored raw, max {blocks} blocks/basket, compression {g['compression']}")


if __name__ == "__main__":
    main()
