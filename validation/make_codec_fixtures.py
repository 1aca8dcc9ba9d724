#!/usr/bin/env python3
"""Golden inputs for src/root/compress.rs: objects framed in ROOT's compression blocks.

Run with the project venv from the repository root:

    /work/venv/bin/python validation/make_codec_fixtures.py

It writes validation/data/codecs/*.bin and validation/data/codecs/expected.json.
The script is deterministic: running it again writes the same bytes.

Each .bin file is one stored object, as it follows a TKey header on disk: a
sequence of blocks, each with ROOT's 9-byte header

    2 bytes algorithm ("ZL", "XZ", "L4", "ZS"), 1 byte method,
    3 bytes compressed size c (little-endian), 3 bytes uncompressed size u (little-endian)

followed by c bytes. Objects longer than kMAXZIPBUF = 0xffffff bytes are split into
blocks of kMAXZIPBUF uncompressed bytes (the last one shorter), as TKey::TKey and
TBasket::WriteBuffer do. The codecs are called the way ROOT calls them:

- ZL: zlib stream with zlib header (deflateInit, method byte 8 = Z_DEFLATED), RZip.cxx.
- XZ: an .xz stream with one LZMA2 filter and CRC32 check, preset = level, dictionary
  shrunk to max(u/4, 4096) when the preset's is larger, method byte 0, ZipLZMA.cxx.
- L4: c = 8 + n; an 8-byte big-endian XXH64 (seed 0) of the n following bytes, which
  are one raw LZ4 block (no frame, no size prefix); LZ4_compress_default for level < 4,
  LZ4_compress_HC otherwise; method byte = LZ4 major version (1), ZipLZ4.cxx.
- ZS: one zstd frame at zstd level 2 * level, method byte 1, ZipZSTD.cxx.

Every fixture is decoded again with uproot's own `uproot.compression.decompress` (an
independent reader of the same framing) and must give back the original bytes.

expected.json records, for each file: the codec name, the number of blocks, the
uncompressed length, the XXH64 (seed 0, hex) of the uncompressed bytes and their first
16 bytes in hex. The Rust tests in src/root/compress.rs compare against it.
"""

import hashlib
import json
import lzma
import os
import struct
import zlib

import lz4
import lz4.block
import numpy as np
import uproot
import uproot.compression
import uproot.source.chunk
import uproot.source.cursor
import xxhash
import zstandard

K_MAXZIPBUF = 0xFFFFFF
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "codecs")


def header(tag: bytes, method: int, c: int, u: int) -> bytes:
    assert len(tag) == 2 and 0 < c <= K_MAXZIPBUF and 0 < u <= K_MAXZIPBUF
    return tag + bytes([method]) + c.to_bytes(3, "little") + u.to_bytes(3, "little")


def zip_zlib(block: bytes, level: int) -> bytes:
    payload = zlib.compress(block, level)
    return header(b"ZL", 8, len(payload), len(block)) + payload


def zip_lzma(block: bytes, level: int) -> bytes:
    dict_size = max(len(block) // 4, 4096)
    preset_dict = {0: 256 << 10, 1: 1 << 20, 2: 2 << 20, 3: 4 << 20, 4: 4 << 20,
                   5: 8 << 20, 6: 8 << 20, 7: 16 << 20, 8: 32 << 20, 9: 64 << 20}[level]
    filters = [{"id": lzma.FILTER_LZMA2, "preset": level,
                "dict_size": min(preset_dict, dict_size)}]
    payload = lzma.compress(block, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32,
                            filters=filters)
    return header(b"XZ", 0, len(payload), len(block)) + payload


def zip_lz4(block: bytes, level: int) -> bytes:
    if level >= 4:
        raw = lz4.block.compress(block, mode="high_compression", compression=level,
                                 store_size=False)
    else:
        raw = lz4.block.compress(block, mode="default", store_size=False)
    checksum = struct.pack(">Q", xxhash.xxh64(raw, seed=0).intdigest())
    major = lz4.library_version_number() // (100 * 100)
    return header(b"L4", major, 8 + len(raw), len(block)) + checksum + raw


def zip_zstd(block: bytes, level: int) -> bytes:
    payload = zstandard.ZstdCompressor(level=2 * level).compress(block)
    return header(b"ZS", 1, len(payload), len(block)) + payload


ZIPPERS = {"zlib": zip_zlib, "lzma": zip_lzma, "lz4": zip_lz4, "zstd": zip_zstd}


def frame(data: bytes, codec: str, level: int) -> tuple[bytes, int]:
    """ROOT's R__zipMultipleAlgorithm loop: one block per kMAXZIPBUF bytes."""
    blocks = [data[i:i + K_MAXZIPBUF] for i in range(0, len(data), K_MAXZIPBUF)]
    out = b"".join(ZIPPERS[codec](b, level) for b in blocks)
    assert len(out) < len(data), "ROOT would store this object uncompressed"
    return out, len(blocks)


def uproot_decompress(stored: bytes, expected: int) -> bytes:
    arr = np.frombuffer(stored, dtype=np.uint8)
    chunk = uproot.source.chunk.Chunk.wrap(None, arr)
    cursor = uproot.source.cursor.Cursor(0)
    out = uproot.compression.decompress(chunk, cursor, {}, len(stored), expected)
    return bytes(out.raw_data)


def physics_floats(n: int, seed: int) -> bytes:
    """Big-endian float32 transverse momenta (GeV), exponential above a 20 GeV cut."""
    rng = np.random.default_rng(seed)
    pt = 20.0 + rng.exponential(scale=25.0, size=n)
    return pt.astype(">f4").tobytes()


def physics_mixed(n: int, seed: int) -> bytes:
    """A basket-like mix: int64 event numbers, int32 jet multiplicity, float32 eta,
    float64 generator weights of +-1 (NLO-style negative weights)."""
    rng = np.random.default_rng(seed)
    event = (1_000_000 + np.cumsum(rng.integers(1, 4, size=n))).astype(">i8").tobytes()
    njet = rng.poisson(3.0, size=n).astype(">i4").tobytes()
    eta = rng.normal(0.0, 1.4, size=n).astype(">f4").tobytes()
    w = np.where(rng.random(n) < 0.2, -1.0, 1.0).astype(">f8").tobytes()
    return event + njet + eta + w


def long_runs(n: int) -> bytes:
    """More than 16 MiB that compresses well: runs of 65521 equal bytes, value changing."""
    i = np.arange(n, dtype=np.int64)
    return ((i // 65521) % 251 + 1).astype(np.uint8).tobytes()


def main() -> None:
    os.makedirs(OUT_DIR, exist_ok=True)
    small = physics_floats(1500, seed=20240521)
    mixed = physics_mixed(300, seed=7)
    big3 = long_runs(2 * K_MAXZIPBUF + 4321)  # three blocks, the last one short
    big2 = long_runs(K_MAXZIPBUF + 100000)  # two blocks

    cases = [
        # file name, data, codec, ROOT compression level
        ("zlib.bin", small, "zlib", 1),
        ("zlib_level4.bin", mixed, "zlib", 4),
        ("lzma.bin", small, "lzma", 4),
        ("lz4.bin", mixed, "lz4", 4),
        ("lz4_fast.bin", mixed, "lz4", 1),
        ("zstd.bin", small, "zstd", 5),
        ("zlib_multiblock.bin", big3, "zlib", 9),
        ("lzma_multiblock.bin", big2, "lzma", 9),
        ("lz4_multiblock.bin", big2, "lz4", 9),
        ("zstd_multiblock.bin", big3, "zstd", 5),
    ]

    expected = {}
    total = 0
    for name, data, codec, level in cases:
        stored, nblocks = frame(data, codec, level)
        back = uproot_decompress(stored, len(data))
        assert back == data, f"uproot does not read back {name}"
        with open(os.path.join(OUT_DIR, name), "wb") as f:
            f.write(stored)
        total += len(stored)
        expected[name] = {
            "codec": codec,
            "level": level,
            "blocks": nblocks,
            "stored_len": len(stored),
            "uncompressed_len": len(data),
            "xxh64": f"{xxhash.xxh64(data, seed=0).intdigest():016x}",
            "sha256": hashlib.sha256(data).hexdigest(),
            "head": data[:16].hex(),
        }
        print(f"{name:22s} {codec:5s} level {level} blocks {nblocks} "
              f"{len(data):>9d} -> {len(stored):>7d} bytes")

    with open(os.path.join(OUT_DIR, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"total fixture bytes: {total}")
    assert total < 300_000


if __name__ == "__main__":
    main()
