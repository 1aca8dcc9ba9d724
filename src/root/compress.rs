//! ROOT's compression blocks, decompressed, never panicking.
//!
//! Every object ROOT writes to disk (a TKey's payload, a TBasket's entries) is either
//! stored as is or compressed in ROOT's own framing, the one `R__unzip` reads: a
//! sequence of blocks, each a 9-byte header followed by `c` compressed bytes,
//!
//! ```text
//! byte 0..2  algorithm: "ZL" zlib, "XZ" lzma (xz), "L4" lz4, "ZS" zstd, "CS" ROOT's old own
//!            (compression settings 301 to 309, which ROOT 6.40 still writes: a raw deflate
//!            stream, no zlib header or checksum)
//! byte 2     method (8 for zlib, 0 for xz, the codec's major version for lz4/zstd)
//! byte 3..6  c, compressed size of what follows the header, little-endian
//! byte 6..9  u, uncompressed size of this block, little-endian, u <= 0xFFFFFF
//! ```
//!
//! An object larger than 16 MiB is split into blocks of at most `0xFFFFFF` uncompressed
//! bytes; the blocks follow each other until the object's length is reached. An `L4`
//! block's `c` bytes are an 8-byte big-endian XXH64 (seed 0) of the rest, which is one
//! raw LZ4 block; `ZL` is a zlib stream (with its header), `XZ` an .xz stream, `ZS` a
//! zstd frame. When the stored length equals the object's length, ROOT stored it plainly.
//!
//! The bytes come from files we did not write, so everything is checked before it is
//! trusted: all block headers are walked first (sizes must fit in the object and add up
//! to the expected length exactly, nothing may follow the last block), and only then is
//! anything allocated, one block's `u` at a time. Each decoder writes into an exactly
//! `u`-byte slice of the output, so it can never produce more than the header promised,
//! and must produce exactly that many bytes from exactly `c` input bytes. Every problem is
//! a [`Fault`] naming the block (counted from 0), its byte offset in the object, the
//! algorithm and what is wrong. Codec crates were chosen by measurement; the numbers are
//! in `docs/performance.md`: zlib blocks go to libdeflate first and, only when it refuses
//! one, to zlib-rs, which accepts what zlib accepts and says what is wrong (see
//! [`inflate_zlib`]).
//!
//! The reader decompresses baskets with [`decompress_scratch`], into a buffer each
//! thread keeps, so that a basket costs no fresh memory; [`decompress`] and
//! [`decompress_into`] give vectors of their own.

use std::cell::RefCell;

use flate2::{Decompress, FlushDecompress, Status};
use xz2::stream::{Action, Stream};

use super::{Fault, Res};

/// Length of ROOT's block header: 2 bytes algorithm, 1 method, 3 + 3 sizes.
const HEADER_LEN: usize = 9;

/// Length of the big-endian XXH64 checksum that opens an `L4` block's payload.
const LZ4_CHECKSUM_LEN: usize = 8;

/// Memory an xz decoder may use. ROOT shrinks the dictionary to a quarter of the block
/// (at most 4 MiB); other writers use up to preset 9's 64 MiB. A corrupt header that asks
/// for more is an error rather than a large allocation.
const XZ_MEMLIMIT: u64 = 256 << 20;

/// The codecs ROOT writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// Stored uncompressed.
    None,
    /// `ZL`: a zlib stream (deflate with zlib header and Adler-32).
    Zlib,
    /// `XZ`: an .xz stream from liblzma (LZMA2, CRC32 check).
    Lzma,
    /// `L4`: XXH64 checksum, then one raw LZ4 block.
    Lz4,
    /// `ZS`: one zstd frame.
    Zstd,
    /// `CS`: ROOT's "old" algorithm (settings 3xx): one raw deflate stream.
    OldDeflate,
}

impl Codec {
    /// The lower-case name used in messages and by `inspect`:
    /// `"none"`, `"zlib"`, `"lzma"`, `"lz4"` or `"zstd"`.
    pub fn name(self) -> &'static str {
        match self {
            Codec::None => "none",
            Codec::Zlib => "zlib",
            Codec::Lzma => "lzma",
            Codec::Lz4 => "lz4",
            Codec::Zstd => "zstd",
            Codec::OldDeflate => "root-old (CS, deflate)",
        }
    }

    /// The codec a block header's two algorithm bytes name, if it is one we read.
    fn from_tag(tag: [u8; 2]) -> Option<Codec> {
        match &tag {
            b"ZL" => Some(Codec::Zlib),
            b"XZ" => Some(Codec::Lzma),
            b"L4" => Some(Codec::Lz4),
            b"ZS" => Some(Codec::Zstd),
            b"CS" => Some(Codec::OldDeflate),
            _ => None,
        }
    }
}

/// One parsed block header: where the block sits in the object and what it holds.
#[derive(Debug, Clone, Copy)]
struct Block {
    /// Position in the sequence of blocks, counting from 0.
    index: usize,
    /// Byte offset of the header in the object.
    offset: usize,
    codec: Codec,
    /// Compressed size: bytes after the 9-byte header.
    c: usize,
    /// Uncompressed size of this block.
    u: usize,
}

impl Block {
    /// The `c` payload bytes of this block (the header walk checked they exist).
    fn payload<'a>(&self, src: &'a [u8]) -> &'a [u8] {
        let start = self.offset + HEADER_LEN;
        src.get(start..start + self.c).unwrap_or(&[])
    }

    /// A fault about this block: `"zlib block 2 at byte 1234: <what>"`.
    fn fault(&self, what: impl std::fmt::Display) -> Fault {
        Fault::new(format!(
            "{} block {} at byte {}: {what}",
            self.codec.name(),
            self.index,
            self.offset
        ))
    }
}

/// Reads a little-endian 3-byte size.
fn le24(b: &[u8]) -> usize {
    match b {
        [b0, b1, b2, ..] => usize::from(*b0) | usize::from(*b1) << 8 | usize::from(*b2) << 16,
        _ => 0,
    }
}

/// Bytes as `"5a 4c 08"`, for messages.
fn hex(bytes: &[u8]) -> String {
    let words: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    words.join(" ")
}

/// Parses and checks the header of block `index` at `offset`: known algorithm, non-zero
/// sizes, payload inside `src`. `total` is what the blocks before it hold, for messages.
fn header_at(src: &[u8], offset: usize, index: usize, total: usize, expected: usize) -> Res<Block> {
    let rest = src.get(offset..).unwrap_or(&[]);
    if rest.len() < HEADER_LEN {
        let what = if rest.is_empty() {
            format!(
                "object truncated: {index} block(s) in its {} stored bytes decompress to \
                 {total} bytes, but {expected} are expected",
                src.len()
            )
        } else {
            format!(
                "object truncated: block {index} at byte {offset} needs a 9-byte header, \
                 only {} bytes remain (blocks so far hold {total} of {expected} bytes)",
                rest.len()
            )
        };
        return Err(Fault::new(what));
    }
    let tag = [rest[0], rest[1]];
    let c = le24(&rest[3..6]);
    let u = le24(&rest[6..9]);
    let codec = match Codec::from_tag(tag) {
        Some(codec) => codec,
        None => {
            let plain = if index == 0 {
                format!(
                    "; the object is {} bytes stored for {expected} expected, so it should \
                     be compressed, but this is not a ROOT block header",
                    src.len()
                )
            } else {
                String::new()
            };
            return Err(Fault::new(format!(
                "block {index} at byte {offset}: unknown compression algorithm \"{}\" \
                 (header bytes {}); ROOT writes ZL, XZ, L4, ZS or CS{plain}",
                tag.escape_ascii(),
                hex(&rest[..HEADER_LEN])
            )));
        }
    };
    let block = Block {
        index,
        offset,
        codec,
        c,
        u,
    };
    if c == 0 || u == 0 {
        return Err(block.fault(format!(
            "zero-length block (compressed size {c}, uncompressed size {u}); ROOT never \
             writes one"
        )));
    }
    let room = rest.len() - HEADER_LEN;
    if c > room {
        return Err(block.fault(format!(
            "compressed size {c} runs past the end of the object: only {room} bytes follow \
             the header (object truncated?)"
        )));
    }
    if codec == Codec::Lz4 && c <= LZ4_CHECKSUM_LEN {
        return Err(block.fault(format!(
            "compressed size {c} leaves no room for data after the 8-byte checksum"
        )));
    }
    Ok(block)
}

/// Walks all block headers without decompressing: their `u` must add up to `expected`
/// exactly and the last block must end where `src` ends. Returns the number of blocks.
fn walk(src: &[u8], expected: usize) -> Res<usize> {
    let mut offset = 0;
    let mut total = 0;
    let mut index = 0;
    while total < expected {
        let block = header_at(src, offset, index, total, expected)?;
        let left = expected - total;
        if block.u > left {
            return Err(block.fault(format!(
                "holds {} uncompressed bytes, but only {left} of the object's {expected} \
                 remain after the blocks before it (wrong size in the header, or the \
                 object's length is wrong)",
                block.u
            )));
        }
        total += block.u;
        offset += HEADER_LEN + block.c;
        index += 1;
    }
    if offset != src.len() {
        return Err(Fault::new(format!(
            "{} bytes of trailing garbage after the last block: {index} block(s) end at \
             byte {offset} and hold all {expected} expected bytes, but the object is {} \
             bytes long",
            src.len() - offset,
            src.len()
        )));
    }
    Ok(index)
}

/// Decompresses one stored object `src` whose uncompressed length is `expected`,
/// appending the bytes to `out`.
///
/// `src.len() == expected` means stored uncompressed (ROOT keeps an object plainly when
/// compressing would not make it smaller), and the bytes are copied. Otherwise `src` must
/// be a sequence of ROOT compression blocks whose uncompressed sizes add up to `expected`
/// exactly. Returns the codec of the first block ([`Codec::None`] if uncompressed).
///
/// On error `out` is left as it was: its length is restored, and at most one block's
/// uncompressed size (at most 16 MiB) has been reserved beyond it.
pub fn decompress_into(src: &[u8], expected: usize, out: &mut Vec<u8>) -> Res<Codec> {
    if src.len() == expected {
        out.extend_from_slice(src);
        return Ok(Codec::None);
    }
    let start_len = out.len();
    let result = decode_blocks(src, expected, out, start_len);
    if result.is_err() {
        out.truncate(start_len);
    }
    result
}

/// Decompresses one stored object like [`decompress_into`], but into a scratch buffer
/// that is reused from call to call, and returns the object's `expected` bytes: `src`
/// itself when it is stored uncompressed, else the start of `scratch`.
///
/// `scratch` only grows (one block at a time, as the blocks decode), and is never
/// cleared or shrunk: bytes past the object are left over from earlier calls. Filling a
/// fresh vector for every basket costs a page fault per 4 kB; a buffer kept per thread
/// costs none after the first basket (see docs/performance.md). On error the contents
/// of `scratch` are unspecified.
pub fn decompress_scratch<'a>(
    src: &'a [u8],
    expected: usize,
    scratch: &'a mut Vec<u8>,
) -> Res<&'a [u8]> {
    if src.len() == expected {
        return Ok(src);
    }
    decode_blocks(src, expected, scratch, 0)?;
    Ok(scratch.get(..expected).unwrap_or(&[]))
}

/// Walks the blocks of `src`, then decodes them one after another into
/// `out[base..base + expected]`, growing `out` (zero-filled) only when it is too short
/// for the next block. Returns the codec of the first block.
fn decode_blocks(src: &[u8], expected: usize, out: &mut Vec<u8>, base: usize) -> Res<Codec> {
    let nblocks = walk(src, expected)?;
    let mut first = Codec::None;
    let mut offset = 0;
    let mut total = 0;
    for index in 0..nblocks {
        let block = header_at(src, offset, index, total, expected)?;
        if index == 0 {
            first = block.codec;
        }
        let (at, end) = (base + total, base + total + block.u);
        if out.len() < end {
            out.resize(end, 0);
        }
        let dst = out.get_mut(at..end).unwrap_or(&mut []);
        let payload = block.payload(src);
        let result = match block.codec {
            Codec::Zlib => inflate_zlib(payload, dst),
            Codec::Lzma => decode_xz(payload, dst),
            Codec::Lz4 => decode_lz4(payload, dst),
            Codec::Zstd => decode_zstd(payload, dst),
            Codec::OldDeflate => inflate_with(&mut Decompress::new(false), payload, dst),
            Codec::None => Err("not a compressed block".to_string()),
        };
        if let Err(what) = result {
            return Err(block.fault(what));
        }
        total += block.u;
        offset += HEADER_LEN + block.c;
    }
    Ok(first)
}

/// Same as [`decompress_into`], into a new vector of length `expected`.
pub fn decompress(src: &[u8], expected: usize) -> Res<Vec<u8>> {
    let mut out = Vec::new();
    decompress_into(src, expected, &mut out)?;
    Ok(out)
}

/// Reads the algorithm of the first block header without decompressing (for
/// `inspect`). `None` if `src` is shorter than a header or the algorithm is not one of
/// `ZL`, `XZ`, `L4`, `ZS`, `CS`; an object stored uncompressed usually gives `None`, so ask
/// only when the stored length differs from the object's length.
pub fn codec_of(src: &[u8]) -> Option<Codec> {
    match src {
        [a, b, _, _, _, _, _, _, _, ..] => Codec::from_tag([*a, *b]),
        _ => None,
    }
}

thread_local! {
    /// One libdeflate decompressor per thread: it holds the decoding tables.
    static DEFLATER: RefCell<Option<libdeflater::Decompressor>> = const { RefCell::new(None) };
    /// One zlib inflater per thread, reset for each block: creating one costs more than
    /// decompressing a small basket.
    static INFLATER: RefCell<Option<Decompress>> = const { RefCell::new(None) };
    /// One zstd decompression context per thread, for the same reason.
    static ZSTD_DCTX: RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { RefCell::new(None) };
}

/// Inflates the zlib stream `payload` into exactly `dst`.
///
/// libdeflate decodes first: it is the fastest inflater measured here (about 1.2x
/// zlib-rs on ROOT baskets, docs/performance.md), but it decodes whole buffers only and
/// says no more than "bad data" or "not enough space", and it ignores bytes after the end
/// of the stream. So its answer is taken only when it filled `dst` exactly and the last
/// four bytes of `payload` are the Adler-32 of `dst` (libdeflate has checked the Adler-32
/// where its stream ended; finding it again at the end of `payload` means nothing
/// follows the stream, unless trailing garbage happens to end with the same four bytes).
/// Any other outcome goes to zlib-rs, which decodes the block again, accepts exactly
/// what zlib accepts, and says what is wrong and where. zlib-rs alone (drop the first
/// line) is the documented alternative: the same answers, slower.
fn inflate_zlib(payload: &[u8], dst: &mut [u8]) -> Result<(), String> {
    if inflate_libdeflate(payload, dst) {
        return Ok(());
    }
    inflate_zlib_rs(payload, dst)
}

/// Whether libdeflate, on this thread's decompressor, inflates `payload` into exactly
/// `dst` and the stream's Adler-32 closes `payload`. `false` leaves `dst` unspecified.
fn inflate_libdeflate(payload: &[u8], dst: &mut [u8]) -> bool {
    let u = dst.len();
    let run = |d: &mut libdeflater::Decompressor, dst: &mut [u8]| matches!(d.zlib_decompress(payload, dst), Ok(n) if n == u);
    let done = match DEFLATER.try_with(|cell| match cell.try_borrow_mut() {
        Ok(mut slot) => Some(run(
            slot.get_or_insert_with(libdeflater::Decompressor::new),
            &mut *dst,
        )),
        Err(_) => None,
    }) {
        Ok(Some(done)) => done,
        // Thread-local storage being torn down, or re-entered: use a fresh decompressor.
        _ => run(&mut libdeflater::Decompressor::new(), &mut *dst),
    };
    done && payload.len() >= 4
        && payload[payload.len() - 4..] == libdeflater::adler32(dst).to_be_bytes()
}

/// Inflates the zlib stream `payload` into exactly `dst` with zlib-rs, reusing this
/// thread's inflater.
fn inflate_zlib_rs(payload: &[u8], dst: &mut [u8]) -> Result<(), String> {
    let cached = INFLATER.try_with(|cell| match cell.try_borrow_mut() {
        Ok(mut slot) => {
            let inflater = slot.get_or_insert_with(|| Decompress::new(true));
            inflater.reset(true);
            Some(inflate_with(inflater, payload, dst))
        }
        Err(_) => None,
    });
    match cached {
        Ok(Some(result)) => result,
        // Thread-local storage being torn down, or re-entered: use a fresh inflater.
        _ => inflate_with(&mut Decompress::new(true), payload, dst),
    }
}

/// Runs a freshly reset inflater over `payload` into `dst`, demanding that the stream
/// ends exactly at the end of `payload` having produced exactly `dst.len()` bytes.
fn inflate_with(d: &mut Decompress, payload: &[u8], dst: &mut [u8]) -> Result<(), String> {
    let (c, u) = (payload.len(), dst.len());
    loop {
        let (read, written) = (counter(d.total_in()), counter(d.total_out()));
        let status = d
            .decompress(
                payload.get(read..).unwrap_or(&[]),
                dst.get_mut(written..).unwrap_or(&mut []),
                FlushDecompress::Finish,
            )
            .map_err(|e| zlib_error(&e, counter(d.total_out()), u))?;
        let (now_read, now_written) = (counter(d.total_in()), counter(d.total_out()));
        if status == Status::StreamEnd {
            return ends_exactly(now_read, c, now_written, u);
        }
        if now_written == u {
            // Output full but no end of stream: either more output, or a cut stream.
            let mut probe = [0u8; 1];
            let status = d
                .decompress(
                    payload.get(now_read..).unwrap_or(&[]),
                    &mut probe,
                    FlushDecompress::Finish,
                )
                .map_err(|e| zlib_error(&e, u, u))?;
            if counter(d.total_out()) > u {
                return Err(format!(
                    "decompresses to more than the {u} bytes the header says"
                ));
            }
            if status == Status::StreamEnd {
                return ends_exactly(counter(d.total_in()), c, u, u);
            }
            return Err(format!("zlib stream is cut short: all {c} compressed bytes give {u} bytes but no end of stream"));
        }
        if (now_read, now_written) == (read, written) {
            return Err(format!(
                "zlib stream is cut short: its {c} compressed bytes give only {now_written} of \
                 the {u} bytes the header says"
            ));
        }
    }
}

/// Words for zlib's errors: `"corrupt zlib stream after 512 of 6000 bytes: invalid distance too far back"`.
fn zlib_error(e: &flate2::DecompressError, written: usize, u: usize) -> String {
    let what = e.message().unwrap_or("invalid data");
    format!("corrupt zlib stream after {written} of {u} bytes: {what}")
}

/// Decodes the .xz stream `payload` into exactly `dst`.
fn decode_xz(payload: &[u8], dst: &mut [u8]) -> Result<(), String> {
    let (c, u) = (payload.len(), dst.len());
    let mut s = Stream::new_stream_decoder(XZ_MEMLIMIT, 0)
        .map_err(|e| format!("cannot start the xz decoder: {e}"))?;
    loop {
        let (read, written) = (counter(s.total_in()), counter(s.total_out()));
        let status = s
            .process(
                payload.get(read..).unwrap_or(&[]),
                dst.get_mut(written..).unwrap_or(&mut []),
                Action::Finish,
            )
            .map_err(|e| xz_error(e, counter(s.total_out()), u))?;
        let (now_read, now_written) = (counter(s.total_in()), counter(s.total_out()));
        if status == xz2::stream::Status::StreamEnd {
            return ends_exactly(now_read, c, now_written, u);
        }
        if now_written == u {
            let mut probe = [0u8; 1];
            let status = s
                .process(
                    payload.get(now_read..).unwrap_or(&[]),
                    &mut probe,
                    Action::Finish,
                )
                .map_err(|e| xz_error(e, u, u))?;
            if counter(s.total_out()) > u {
                return Err(format!(
                    "decompresses to more than the {u} bytes the header says"
                ));
            }
            if status == xz2::stream::Status::StreamEnd {
                return ends_exactly(counter(s.total_in()), c, u, u);
            }
            return Err(format!("xz stream is cut short: all {c} compressed bytes give {u} bytes but no end of stream"));
        }
        if (now_read, now_written) == (read, written) {
            return Err(format!(
                "xz stream is cut short: its {c} compressed bytes give only {now_written} of \
                 the {u} bytes the header says"
            ));
        }
    }
}

/// Words for liblzma's errors.
fn xz_error(e: xz2::stream::Error, written: usize, u: usize) -> String {
    let what = match e {
        xz2::stream::Error::Data => "corrupt data (or CRC mismatch)".to_string(),
        xz2::stream::Error::Format => "not an xz stream (bad magic bytes)".to_string(),
        xz2::stream::Error::Options => "unsupported xz options or corrupt header".to_string(),
        xz2::stream::Error::MemLimit => format!(
            "the stream asks for more than {} MiB of decoder memory (corrupt header?)",
            XZ_MEMLIMIT >> 20
        ),
        other => other.to_string(),
    };
    format!("xz stream after {written} of {u} bytes: {what}")
}

/// Checks the checksum of the `L4` payload, then decodes its LZ4 block into exactly `dst`.
fn decode_lz4(payload: &[u8], dst: &mut [u8]) -> Result<(), String> {
    let u = dst.len();
    let (sum, data) = payload.split_at(LZ4_CHECKSUM_LEN.min(payload.len()));
    let stored = match <[u8; LZ4_CHECKSUM_LEN]>::try_from(sum) {
        Ok(bytes) => u64::from_be_bytes(bytes),
        Err(_) => return Err("no room for the 8-byte checksum".to_string()),
    };
    let computed = xxhash_rust::xxh64::xxh64(data, 0);
    if stored != computed {
        return Err(format!(
            "checksum mismatch (stored 0x{stored:016x}, computed 0x{computed:016x})"
        ));
    }
    match lz4_flex::block::decompress_into(data, dst) {
        Ok(n) if n == u => Ok(()),
        Ok(n) => Err(format!(
            "decompressed to {n} bytes, but the header says {u}"
        )),
        Err(lz4_flex::block::DecompressError::OutputTooSmall { .. }) => Err(format!(
            "decompresses to more than the {u} bytes the header says"
        )),
        Err(e) => Err(format!("corrupt lz4 block: {e}")),
    }
}

/// Decodes the zstd frame `payload` into exactly `dst`, reusing this thread's context.
fn decode_zstd(payload: &[u8], dst: &mut [u8]) -> Result<(), String> {
    let u = dst.len();
    // The frame header usually records its content size: a cheap first check.
    if let Ok(Some(n)) = zstd::zstd_safe::get_frame_content_size(payload) {
        if n != u as u64 {
            return Err(format!(
                "zstd frame says it holds {n} bytes, but the header says {u}"
            ));
        }
    }
    let run = |dctx: &mut zstd::bulk::Decompressor<'static>, dst: &mut [u8]| match dctx
        .decompress_to_buffer(payload, dst)
    {
        Ok(n) if n == u => Ok(()),
        Ok(n) => Err(format!(
            "decompressed to {n} bytes, but the header says {u}"
        )),
        Err(e) if e.to_string().contains("Destination buffer is too small") => Err(format!(
            "decompresses to more than the {u} bytes the header says ({e})"
        )),
        Err(e) => Err(format!("corrupt zstd frame: {e}")),
    };
    let cached = ZSTD_DCTX.try_with(|cell| match cell.try_borrow_mut() {
        Ok(mut slot) => {
            if slot.is_none() {
                *slot = zstd::bulk::Decompressor::new().ok();
            }
            slot.as_mut().map(|dctx| run(dctx, &mut *dst))
        }
        Err(_) => None,
    });
    match cached {
        Ok(Some(result)) => result,
        _ => match zstd::bulk::Decompressor::new() {
            Ok(mut dctx) => run(&mut dctx, dst),
            Err(e) => Err(format!("cannot start the zstd decoder: {e}")),
        },
    }
}

/// A stream counter as `usize` (saturating: block sizes are below 2^24 anyway).
fn counter(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// After a stream's end: it must have used all `c` compressed bytes and given `u` bytes.
fn ends_exactly(read: usize, c: usize, written: usize, u: usize) -> Result<(), String> {
    if written != u {
        return Err(format!(
            "stream ends after {written} bytes, but the header says {u}"
        ));
    }
    if read != c {
        return Err(format!(
            "stream ends after {read} of its {c} compressed bytes ({} bytes of garbage follow it)",
            c - read.min(c)
        ));
    }
    Ok(())
}

// Golden inputs: validation/make_codec_fixtures.py (run with /work/venv/bin/python)
// builds ROOT-framed objects with Python's zlib, lzma, lz4.block, zstandard and xxhash,
// checks that uproot reads them back, and writes validation/data/codecs/*.bin with the
// expected length, XXH64 and first bytes of each in expected.json.
#[cfg(test)]
#[path = "compress_tests.rs"]
mod tests;
