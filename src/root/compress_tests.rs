//! Tests of the ROOT compression framing and codecs: known answers from
//! validation/make_codec_fixtures.py, error cases, and random input that must never
//! panic.

use super::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/validation/data/codecs/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

struct Expected {
    codec: Codec,
    blocks: usize,
    len: usize,
    xxh64: u64,
    head: Vec<u8>,
}

fn expected(name: &str) -> Expected {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/validation/data/codecs/expected.json"
    ))
    .expect("expected.json");
    let all: serde_json::Value = serde_json::from_str(&text).expect("json");
    let e = &all[name];
    let codec = match e["codec"].as_str() {
        Some("zlib") => Codec::Zlib,
        Some("lzma") => Codec::Lzma,
        Some("lz4") => Codec::Lz4,
        Some("zstd") => Codec::Zstd,
        other => panic!("{name}: codec {other:?}"),
    };
    let hex = |s: &str| -> Vec<u8> {
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
            .collect()
    };
    Expected {
        codec,
        blocks: e["blocks"].as_u64().expect("blocks") as usize,
        len: e["uncompressed_len"].as_u64().expect("len") as usize,
        xxh64: u64::from_str_radix(e["xxh64"].as_str().expect("xxh64"), 16).expect("hex"),
        head: hex(e["head"].as_str().expect("head")),
    }
}

/// Decodes fixture `name` and compares with its known answer.
fn known_answer(name: &str) {
    let src = fixture(name);
    let want = expected(name);
    assert_eq!(codec_of(&src), Some(want.codec), "{name}");
    assert_eq!(walk(&src, want.len), Ok(want.blocks), "{name}");
    let mut out = Vec::new();
    let codec = decompress_into(&src, want.len, &mut out).expect(name);
    assert_eq!(codec, want.codec, "{name}");
    assert_eq!(out.len(), want.len, "{name}");
    assert_eq!(&out[..want.head.len()], &want.head[..], "{name}");
    assert_eq!(xxhash_rust::xxh64::xxh64(&out, 0), want.xxh64, "{name}");
    // Appending after existing bytes keeps them and gives the same answer.
    let mut appended = b"prefix".to_vec();
    decompress_into(&src, want.len, &mut appended).expect(name);
    assert_eq!(&appended[..6], b"prefix");
    assert_eq!(&appended[6..], &out[..], "{name}");
}

#[test]
fn zlib_known_answer() {
    known_answer("zlib.bin");
    known_answer("zlib_level4.bin");
}

#[test]
fn lzma_known_answer() {
    known_answer("lzma.bin");
}

#[test]
fn lz4_known_answer() {
    known_answer("lz4.bin");
    known_answer("lz4_fast.bin");
}

#[test]
fn zstd_known_answer() {
    known_answer("zstd.bin");
}

#[test]
fn multiblock_known_answers() {
    known_answer("zlib_multiblock.bin");
    known_answer("lzma_multiblock.bin");
    known_answer("lz4_multiblock.bin");
    known_answer("zstd_multiblock.bin");
}

#[test]
fn uncompressed_is_copied() {
    let src = b"not compressed at all";
    let mut out = vec![1u8];
    assert_eq!(decompress_into(src, src.len(), &mut out), Ok(Codec::None));
    assert_eq!(&out[1..], src);
    assert_eq!(decompress(&[], 0), Ok(Vec::new()));
}

#[test]
fn codec_names_and_sniffing() {
    let names: Vec<_> = [
        Codec::None,
        Codec::Zlib,
        Codec::Lzma,
        Codec::Lz4,
        Codec::Zstd,
    ]
    .iter()
    .map(|c| c.name())
    .collect();
    assert_eq!(names, ["none", "zlib", "lzma", "lz4", "zstd"]);
    assert_eq!(
        codec_of(b"ZL\x08\x01\x00\x00\x01\x00\x00"),
        Some(Codec::Zlib)
    );
    assert_eq!(
        codec_of(b"ZS\x01\x01\x00\x00\x01\x00"),
        None,
        "8 bytes is too short"
    );
    assert_eq!(
        codec_of(b"CS\x08\x01\x00\x00\x01\x00\x00"),
        Some(Codec::OldDeflate)
    );
    assert_eq!(codec_of(b""), None);
}

/// Rewrites the 3-byte size at `at` (3 for c, 6 for u) of the header at `offset`.
fn set24(src: &mut [u8], offset: usize, at: usize, value: usize) {
    src[offset + at..offset + at + 3].copy_from_slice(&(value as u32).to_le_bytes()[..3]);
}

fn fault(src: &[u8], expected: usize) -> String {
    let mut out = Vec::new();
    match decompress_into(src, expected, &mut out) {
        Ok(codec) => panic!("decoded as {codec:?}, expected an error"),
        Err(Fault(msg)) => {
            assert!(out.is_empty(), "output not restored after: {msg}");
            msg
        }
    }
}

#[test]
fn truncated_block_is_an_error() {
    let src = fixture("zlib.bin");
    let n = expected("zlib.bin").len;
    let msg = fault(&src[..src.len() - 10], n);
    assert!(
        msg.starts_with("zlib block 0 at byte 0: compressed size"),
        "{msg}"
    );
    assert!(msg.contains("runs past the end"), "{msg}");
    let msg = fault(&src[..5], n);
    assert!(msg.contains("object truncated"), "{msg}");

    // Consistent header, stream cut short: the decoders must say so.
    for name in ["zlib.bin", "lzma.bin", "lz4.bin", "zstd.bin"] {
        let mut cut = fixture(name);
        let c = le24(&cut[3..6]);
        cut.truncate(cut.len() - 20);
        set24(&mut cut, 0, 3, c - 20);
        let want = expected(name);
        let msg = fault(&cut, want.len);
        let prefix = format!("{} block 0 at byte 0: ", want.codec.name());
        assert!(msg.starts_with(&prefix), "{name}: {msg}");
    }
}

#[test]
fn wrong_uncompressed_sizes_are_errors() {
    let src = fixture("zlib_multiblock.bin");
    let n = expected("zlib_multiblock.bin").len;
    let msg = fault(&src, n + 1);
    assert!(msg.contains("object truncated: 3 block(s)"), "{msg}");
    let msg = fault(&src, n - 1);
    assert!(msg.starts_with("zlib block 2 at byte "), "{msg}");
    assert!(msg.contains("only 4320 of the object's"), "{msg}");

    // A header that promises fewer or more bytes than the stream holds.
    for name in ["zlib.bin", "lzma.bin", "lz4.bin", "zstd.bin"] {
        let want = expected(name);
        for delta in [-1i64, 1] {
            let mut src = fixture(name);
            let u = (want.len as i64 + delta) as usize;
            set24(&mut src, 0, 6, u);
            let msg = fault(&src, u);
            assert!(
                msg.contains("more than the") || msg.contains("header says"),
                "{name} u{delta:+}: {msg}"
            );
        }
    }
}

#[test]
fn lz4_checksum_mismatch_names_the_block() {
    let mut src = fixture("lz4.bin");
    let n = expected("lz4.bin").len;
    src[HEADER_LEN + LZ4_CHECKSUM_LEN + 100] ^= 0x20;
    let msg = fault(&src, n);
    assert!(
        msg.starts_with("lz4 block 0 at byte 0: checksum mismatch (stored 0x"),
        "{msg}"
    );

    let mut src = fixture("lz4_multiblock.bin");
    let n = expected("lz4_multiblock.bin").len;
    let second = HEADER_LEN + le24(&src[3..6]);
    src[second + HEADER_LEN + LZ4_CHECKSUM_LEN + 7] ^= 1;
    let msg = fault(&src, n);
    let want = format!("lz4 block 1 at byte {second}: checksum mismatch (stored 0x");
    assert!(msg.starts_with(&want), "{msg}");
    assert!(msg.contains(", computed 0x"), "{msg}");
}

#[test]
fn unknown_and_unsupported_algorithms() {
    let mut src = fixture("zlib.bin");
    let n = expected("zlib.bin").len;
    src[..2].copy_from_slice(b"QQ");
    let msg = fault(&src, n);
    assert!(
        msg.starts_with("block 0 at byte 0: unknown compression algorithm \"QQ\""),
        "{msg}"
    );
    // A zlib stream (with its header) labelled CS is not raw deflate: an error.
    src[..2].copy_from_slice(b"CS");
    let msg = fault(&src, n);
    assert!(msg.starts_with("root-old (CS, deflate) block 0"), "{msg}");
    src[..2].copy_from_slice(b"\x00\xff");
    let msg = fault(&src, n);
    assert!(msg.contains("\"\\x00\\xff\""), "{msg}");
}

#[test]
fn zero_length_block_and_trailing_garbage() {
    let msg = fault(b"ZL\x08\x00\x00\x00\x10\x00\x00", 16);
    assert!(
        msg.starts_with("zlib block 0 at byte 0: zero-length block"),
        "{msg}"
    );

    let mut src = fixture("zstd.bin");
    let n = expected("zstd.bin").len;
    src.extend_from_slice(&[0, 0, 0]);
    let msg = fault(&src, n);
    assert!(msg.starts_with("3 bytes of trailing garbage"), "{msg}");

    // Garbage inside a block, after the end of its stream.
    for name in ["zlib.bin", "lzma.bin", "zstd.bin"] {
        let mut src = fixture(name);
        let c = le24(&src[3..6]);
        src.extend_from_slice(&[0, 0, 0, 0]);
        set24(&mut src, 0, 3, c + 4);
        let msg = fault(&src, expected(name).len);
        assert!(msg.contains("block 0 at byte 0: "), "{name}: {msg}");
    }
}

#[test]
fn absurd_expected_length_fails_without_allocating() {
    let src = fixture("zlib.bin");
    let mut head = src[..20].to_vec();
    set24(&mut head, 0, 3, 11);
    let mut out = Vec::new();
    let err = decompress_into(&head, 3_000_000_000, &mut out).expect_err("must fail");
    assert!(err.0.contains("object truncated"), "{}", err.0);
    assert_eq!(out.capacity(), 0, "allocated before failing");
}

/// xorshift64*: a seeded, dependency-free source of test bytes.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Decoding must return, not panic, and a success must have exactly `expected` bytes.
fn survives(src: &[u8], expected: usize) {
    let mut out = vec![7u8; 3];
    match decompress_into(src, expected, &mut out) {
        Ok(_) => assert_eq!(out.len(), 3 + expected),
        Err(_) => assert_eq!(out, [7, 7, 7]),
    }
}

#[test]
fn byte_soup_never_panics() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let tags: [&[u8; 2]; 6] = [b"ZL", b"XZ", b"L4", b"ZS", b"CS", b"QQ"];
    for _ in 0..3000 {
        // Random bytes, sometimes behind a well-formed header.
        let len = rng.below(200);
        let mut src: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let mut expected = rng.below(400);
        if len >= HEADER_LEN && rng.below(2) == 0 {
            src[..2].copy_from_slice(tags[rng.below(tags.len())]);
            set24(&mut src, 0, 3, len - HEADER_LEN);
            expected = 1 + rng.below(300);
            set24(&mut src, 0, 6, expected);
        }
        survives(&src, expected);
    }
    // Mutated real blocks reach deep into each decoder.
    for name in [
        "zlib.bin",
        "zlib_level4.bin",
        "lzma.bin",
        "lz4.bin",
        "lz4_fast.bin",
        "zstd.bin",
    ] {
        let good = fixture(name);
        let n = expected(name).len;
        for _ in 0..500 {
            let mut src = good.clone();
            for _ in 0..1 + rng.below(3) {
                let at = rng.below(src.len());
                src[at] ^= 1 << rng.below(8);
            }
            if rng.below(4) == 0 {
                src.truncate(rng.below(src.len()));
            }
            // Re-seal lz4 payloads so that the corruption gets past the checksum.
            let sealed = HEADER_LEN + LZ4_CHECKSUM_LEN;
            if name.starts_with("lz4") && src.len() > sealed && rng.below(4) != 0 {
                let sum = xxhash_rust::xxh64::xxh64(&src[sealed..], 0);
                src[HEADER_LEN..sealed].copy_from_slice(&sum.to_be_bytes());
            }
            survives(&src, n);
        }
    }
}

/// A `CS` block (compression settings 3xx, which ROOT 6.40 writes: its
/// R__zipMultipleAlgorithm frames a raw deflate stream, no zlib header) decodes to the
/// bytes it was made from; a block cut short is an error naming the codec. ROOT-written
/// 301/306 files are checked bit for bit in CI (validation/root640/check.py).
#[test]
fn cs_block_is_raw_deflate() {
    let data: Vec<u8> = (0..5000u32).map(|i| (i * i % 251) as u8).collect();
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
    std::io::Write::write_all(&mut enc, &data).unwrap();
    let payload = enc.finish().unwrap();
    let mut src = b"CS\x08".to_vec();
    src.extend_from_slice(&(payload.len() as u32).to_le_bytes()[..3]);
    src.extend_from_slice(&(data.len() as u32).to_le_bytes()[..3]);
    src.extend_from_slice(&payload);
    assert_eq!(decompress(&src, data.len()).unwrap(), data);
    let mut out = Vec::new();
    assert_eq!(
        decompress_into(&src, data.len(), &mut out).unwrap(),
        Codec::OldDeflate
    );
    let short = &src[..src.len() - 3];
    let mut cut = short.to_vec();
    set24(&mut cut, 0, 3, payload.len() - 3);
    let msg = fault(&cut, data.len());
    assert!(msg.starts_with("root-old (CS, deflate) block 0"), "{msg}");
}
