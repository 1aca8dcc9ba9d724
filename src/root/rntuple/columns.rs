//! Column types and how one page's bytes become numbers: plain little-endian values,
//! split (byte-transposed) values with zigzag (signed) or delta (index) encoding, bit
//! packing (bool, Real32Trunc, Real32Quant) and half precision.
//!
//! Encodings apply within one page, so every page is decoded on its own.

use super::super::interp::Value;
use super::super::{Fault, Res};
use super::meta::ColumnDesc;

/// Name of a column type (as ROOT's `ENTupleColumnType`, for `inspect`).
pub fn kind_name(kind: u16) -> &'static str {
    match kind {
        0x00 => "Bit",
        0x01 => "Byte",
        0x02 => "Char",
        0x03 => "Int8",
        0x04 => "UInt8",
        0x05 => "Int16",
        0x06 => "UInt16",
        0x07 => "Int32",
        0x08 => "UInt32",
        0x09 => "Int64",
        0x0A => "UInt64",
        0x0B => "Real16",
        0x0C => "Real32",
        0x0D => "Real64",
        0x0E => "Index32",
        0x0F => "Index64",
        0x10 => "Switch",
        0x11 => "SplitInt16",
        0x12 => "SplitUInt16",
        0x13 => "SplitInt32",
        0x14 => "SplitUInt32",
        0x15 => "SplitInt64",
        0x16 => "SplitUInt64",
        0x17 => "SplitReal16",
        0x18 => "SplitReal32",
        0x19 => "SplitReal64",
        0x1A => "SplitIndex32",
        0x1B => "SplitIndex64",
        0x1C => "Real32Trunc",
        0x1D => "Real32Quant",
        _ => "unknown",
    }
}

/// How a page of a column is laid out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Coding {
    /// `width` bytes per value, little-endian, as they are.
    Plain,
    /// Split: byte `k` of every value, then byte `k + 1`, ...
    Split,
    /// Split, then zigzag (signed integers).
    SplitZigzag,
    /// Split, then delta (index columns).
    SplitDelta,
    /// One bit per value.
    Bits,
    /// `bits` per value, the top bits of a float.
    Trunc,
    /// `bits` per value, an integer scaled onto `[min, max]`.
    Quant,
}

/// What the values of a column are, once decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Num {
    Bool,
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F16,
    F32,
    F64,
}

/// A column type this reader decodes: what the values are, how pages are coded, and
/// the bits one value takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Kind {
    pub num: Num,
    pub coding: Coding,
    pub bits: u32,
}

impl Kind {
    /// The decoding of a column, or why it cannot be decoded.
    pub fn of(c: &ColumnDesc) -> Result<Kind, String> {
        use Coding::*;
        use Num::*;
        let k = |num, coding, bits| Ok(Kind { num, coding, bits });
        match c.kind {
            0x00 => k(Bool, Bits, 1),
            0x01 | 0x04 => k(U8, Plain, 8),
            0x02 | 0x03 => k(I8, Plain, 8),
            0x05 => k(I16, Plain, 16),
            0x06 => k(U16, Plain, 16),
            0x07 => k(I32, Plain, 32),
            0x08 => k(U32, Plain, 32),
            0x09 => k(I64, Plain, 64),
            0x0A => k(U64, Plain, 64),
            0x0B => k(F16, Plain, 16),
            0x0C => k(F32, Plain, 32),
            0x0D => k(F64, Plain, 64),
            0x0E => k(U32, Plain, 32),
            0x0F => k(U64, Plain, 64),
            0x11 => k(I16, SplitZigzag, 16),
            0x12 => k(U16, Split, 16),
            0x13 => k(I32, SplitZigzag, 32),
            0x14 => k(U32, Split, 32),
            0x15 => k(I64, SplitZigzag, 64),
            0x16 => k(U64, Split, 64),
            0x17 => k(F16, Split, 16),
            0x18 => k(F32, Split, 32),
            0x19 => k(F64, Split, 64),
            0x1A => k(U32, SplitDelta, 32),
            0x1B => k(U64, SplitDelta, 64),
            0x1C if (10..=31).contains(&c.bits) => k(F32, Trunc, c.bits as u32),
            0x1D if (1..=32).contains(&c.bits) => match c.range {
                Some((lo, hi)) if lo.is_finite() && hi.is_finite() && lo <= hi => {
                    k(F32, Quant, c.bits as u32)
                }
                _ => Err("a Real32Quant column without a valid value range".into()),
            },
            0x1C | 0x1D => Err(format!(
                "a {} column of {} bits (outside the allowed range)",
                kind_name(c.kind),
                c.bits
            )),
            0x10 => Err("a switch column (std::variant) is not read".into()),
            t => Err(format!("column type {t:#x} is not known to this reader")),
        }
    }

    /// Whether this is an offset column of a collection.
    pub fn is_index(c: &ColumnDesc) -> bool {
        matches!(c.kind, 0x0E | 0x0F | 0x1A | 0x1B)
    }

    /// Bytes of a page of `n` values.
    pub fn page_bytes(&self, n: usize) -> Option<usize> {
        n.checked_mul(self.bits as usize)
            .and_then(|b| b.checked_add(7))
            .map(|b| b / 8)
    }
}

/// The `i`-th `bits`-wide unsigned value of a little-endian bit stream.
#[inline]
fn bits_at(bytes: &[u8], i: usize, bits: u32) -> u32 {
    let start = i * bits as usize;
    let mut v: u64 = 0;
    let first = start / 8;
    for (j, &b) in bytes.iter().skip(first).take(5).enumerate() {
        v |= (b as u64) << (8 * j);
    }
    ((v >> (start % 8)) & ((1u64 << bits) - 1)) as u32
}

/// IEEE half precision to single.
pub fn half_to_f32(h: u16) -> f32 {
    let sign = ((h as u32) & 0x8000) << 16;
    let exp = ((h >> 10) & 0x1f) as u32;
    let man = (h & 0x3ff) as u32;
    let bits = match exp {
        0 if man == 0 => sign,
        0 => {
            // Subnormal: normalise the mantissa.
            let mut e = 127 - 15 + 1;
            let mut m = man;
            while m & 0x400 == 0 {
                m <<= 1;
                e -= 1;
            }
            sign | (e << 23) | ((m & 0x3ff) << 13)
        }
        0x1f => sign | 0x7f80_0000 | (man << 13),
        _ => sign | ((exp + 127 - 15) << 23) | (man << 13),
    };
    f32::from_bits(bits)
}

/// How a decoded float is stored in memory: a `float` field rounds ROOT's double
/// arithmetic (Real32Quant) to single precision, a `double` field keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Float,
    Double,
    Other,
}

/// Decodes one page of `n` values into `out` (appended).
pub fn decode_page<T: Value>(
    kind: &Kind,
    col: &ColumnDesc,
    target: Target,
    bytes: &[u8],
    n: usize,
    out: &mut Vec<T>,
) -> Res<()> {
    let at = out.len();
    out.resize(at + n, T::default());
    let result = decode_page_into(kind, col, target, bytes, &mut out[at..]);
    if result.is_err() {
        out.truncate(at);
    }
    result
}

/// Decodes one page into `out`, which holds exactly the page's values. This is the
/// reader's path: every page of a column is decoded straight into its place in the
/// column, with no intermediate buffer.
pub fn decode_page_into<T: Value>(
    kind: &Kind,
    col: &ColumnDesc,
    target: Target,
    bytes: &[u8],
    out: &mut [T],
) -> Res<()> {
    let n = out.len();
    let need = kind
        .page_bytes(n)
        .ok_or_else(|| Fault::new("impossible page size"))?;
    if bytes.len() < need {
        return Err(Fault::new(format!(
            "a page of {n} values needs {need} bytes, it has {} (truncated page)",
            bytes.len()
        )));
    }
    let bytes = &bytes[..need];
    match kind.coding {
        Coding::Bits => {
            for (i, o) in out.iter_mut().enumerate() {
                *o = T::from_i32(((bytes[i / 8] >> (i % 8)) & 1) as i32);
            }
        }
        Coding::Trunc => {
            let shift = 32 - kind.bits;
            for (i, o) in out.iter_mut().enumerate() {
                *o = T::from_f32(f32::from_bits(bits_at(bytes, i, kind.bits) << shift));
            }
        }
        Coding::Quant => {
            let (lo, hi) = col.range.unwrap_or((0.0, 0.0));
            let qmax = ((1u64 << kind.bits) - 1) as f64;
            let scale = (hi - lo) / qmax;
            for (i, o) in out.iter_mut().enumerate() {
                let e = bits_at(bytes, i, kind.bits) as f64 * scale + lo;
                *o = match target {
                    Target::Double => T::from_f64(e),
                    _ => T::from_f32(e as f32),
                };
            }
        }
        Coding::Plain => values_into(kind.num, bytes, false, false, out),
        Coding::Split | Coding::SplitDelta => values_into(kind.num, bytes, true, false, out),
        Coding::SplitZigzag => values_into(kind.num, bytes, true, true, out),
    }
    Ok(())
}

/// Converts the whole values of a page (`split`: stored as byte planes) into `out`;
/// `b` holds exactly the bytes of `out.len()` values (checked by the caller).
fn values_into<T: Value>(num: Num, b: &[u8], split: bool, zigzag: bool, out: &mut [T]) {
    let zz32 = |u: u32| ((u >> 1) as i32) ^ -((u & 1) as i32);
    let zz64 = |u: u64| ((u >> 1) as i64) ^ -((u & 1) as i64);
    match (num, zigzag) {
        (Num::Bool, _) => each1(b, out, |c| T::from_i32((c != 0) as i32)),
        (Num::I8, _) => each1(b, out, |c| T::from_i32(c as i8 as i32)),
        (Num::U8, _) => each1(b, out, |c| T::from_i32(c as i32)),
        (Num::I16, true) => each2(b, split, out, |u| T::from_i32(zz32(u as u32))),
        (Num::I16, false) => each2(b, split, out, |u| T::from_i32(u as i16 as i32)),
        (Num::U16, _) => each2(b, split, out, |u| T::from_i32(u as i32)),
        (Num::F16, _) => each2(b, split, out, |u| T::from_f32(half_to_f32(u))),
        (Num::I32, true) => each4(b, split, out, |u| T::from_i32(zz32(u))),
        (Num::I32, false) => each4(b, split, out, |u| T::from_i32(u as i32)),
        (Num::U32, _) => each4(b, split, out, |u| T::from_u64(u as u64)),
        (Num::F32, _) => each4(b, split, out, |u| T::from_f32(f32::from_bits(u))),
        (Num::I64, true) => each8(b, split, out, |u| T::from_i64(zz64(u))),
        (Num::I64, false) => each8(b, split, out, |u| T::from_i64(u as i64)),
        (Num::U64, _) => each8(b, split, out, |u| T::from_u64(u)),
        (Num::F64, _) => each8(b, split, out, |u| T::from_f64(f64::from_bits(u))),
    }
}

// The loops below walk the output and the input (or its byte planes, cut to the output's
// length first) together with iterators, so that no index is checked inside them and
// the compiler vectorises them (the byte transposition of split floats included).

#[inline(always)]
fn each1<T>(b: &[u8], out: &mut [T], conv: impl Fn(u8) -> T) {
    for (o, &c) in out.iter_mut().zip(b) {
        *o = conv(c);
    }
}

#[inline(always)]
fn each2<T>(b: &[u8], split: bool, out: &mut [T], conv: impl Fn(u16) -> T) {
    let n = out.len();
    if split {
        let (p0, p1) = b.split_at(n.min(b.len()));
        for ((o, &x0), &x1) in out.iter_mut().zip(p0).zip(p1) {
            *o = conv(u16::from_le_bytes([x0, x1]));
        }
    } else {
        for (o, c) in out.iter_mut().zip(b.chunks_exact(2)) {
            *o = conv(u16::from_le_bytes([c[0], c[1]]));
        }
    }
}

#[inline(always)]
fn each4<T>(b: &[u8], split: bool, out: &mut [T], conv: impl Fn(u32) -> T) {
    if split {
        let p = planes::<4>(b, out.len());
        let it = out.iter_mut().zip(p[0]).zip(p[1]).zip(p[2]).zip(p[3]);
        for ((((o, &x0), &x1), &x2), &x3) in it {
            *o = conv(u32::from_le_bytes([x0, x1, x2, x3]));
        }
    } else {
        for (o, c) in out.iter_mut().zip(b.chunks_exact(4)) {
            *o = conv(u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        }
    }
}

#[inline(always)]
fn each8<T>(b: &[u8], split: bool, out: &mut [T], conv: impl Fn(u64) -> T) {
    if split {
        let p = planes::<8>(b, out.len());
        let it = out.iter_mut().zip(p[0]).zip(p[1]).zip(p[2]).zip(p[3]);
        let it = it.zip(p[4]).zip(p[5]).zip(p[6]).zip(p[7]);
        for ((((((((o, &x0), &x1), &x2), &x3), &x4), &x5), &x6), &x7) in it {
            *o = conv(u64::from_le_bytes([x0, x1, x2, x3, x4, x5, x6, x7]));
        }
    } else {
        for (o, c) in out.iter_mut().zip(b.chunks_exact(8)) {
            *o = conv(u64::from_le_bytes([
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
            ]));
        }
    }
}

/// The `W` byte planes of a split page of `n` values (shorter planes, and so fewer
/// values converted, if `b` is short; the callers check its length first).
#[inline(always)]
fn planes<const W: usize>(b: &[u8], n: usize) -> [&[u8]; W] {
    std::array::from_fn(|k| b.get(k * n..(k + 1) * n).unwrap_or(&[]))
}

/// Decodes one page of an index (offset) column into cluster-relative offsets,
/// undoing delta encoding within the page.
pub fn decode_index(kind: &Kind, bytes: &[u8], n: usize, out: &mut Vec<u64>) -> Res<()> {
    let w = kind.bits as usize / 8;
    let need = n
        .checked_mul(w)
        .ok_or_else(|| Fault::new("impossible page size"))?;
    if bytes.len() < need {
        return Err(Fault::new(format!(
            "an offset page of {n} values needs {need} bytes, it has {} (truncated page)",
            bytes.len()
        )));
    }
    let start = out.len();
    out.resize(start + n, 0);
    let split = kind.coding != Coding::Plain;
    if w == 4 {
        each4(&bytes[..need], split, &mut out[start..], |u| u as u64);
    } else {
        each8(&bytes[..need], split, &mut out[start..], |u| u);
    }
    if kind.coding == Coding::SplitDelta {
        let mut acc = 0u64;
        for v in &mut out[start..] {
            acc = acc.wrapping_add(*v);
            *v = acc;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_precision_known_values() {
        // IEEE 754 binary16 values: 1.0, -2.0, 65504 (largest), 2^-24 (smallest
        // subnormal), infinity.
        assert_eq!(half_to_f32(0x3c00), 1.0);
        assert_eq!(half_to_f32(0xc000), -2.0);
        assert_eq!(half_to_f32(0x7bff), 65504.0);
        assert_eq!(half_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(half_to_f32(0x7c00), f32::INFINITY);
    }

    #[test]
    fn split_zigzag_int32() {
        // Values 1, -1, 300 zigzag to 2, 1, 600 = 0x258; split: low bytes, then the next.
        let c = ColumnDesc {
            kind: 0x13,
            bits: 32,
            field: 0,
            repr: 0,
            first_element: 0,
            range: None,
        };
        let k = Kind::of(&c).unwrap();
        let bytes = [2, 1, 0x58, 0, 0, 2, 0, 0, 0, 0, 0, 0];
        let mut out: Vec<f64> = Vec::new();
        decode_page(&k, &c, Target::Other, &bytes, 3, &mut out).unwrap();
        assert_eq!(out, vec![1.0, -1.0, 300.0]);
    }

    /// Value `i` of a page as the format defines it, one byte at a time: byte `k` of
    /// value `i` is at `i * w + k`, or at `k * n + i` in a split page; little-endian;
    /// zigzag maps 2m to m and 2m + 1 to -(m + 1).
    fn by_definition(kind: &Kind, b: &[u8], n: usize, i: usize) -> (f64, f32) {
        let w = kind.bits as usize / 8;
        let split = kind.coding != Coding::Plain;
        let mut u = 0u64;
        for k in 0..w {
            u |= (b[if split { k * n + i } else { i * w + k }] as u64) << (8 * k);
        }
        let signed = |u: u64| {
            if kind.coding == Coding::SplitZigzag {
                (u / 2) as i64 * if u % 2 == 1 { -1 } else { 1 } - (u % 2) as i64
            } else {
                let s = 64 - kind.bits;
                ((u << s) as i64) >> s
            }
        };
        // Each as f64 and as f32, both rounded once from the exact value.
        match kind.num {
            Num::Bool => ((u != 0) as u8 as f64, (u != 0) as u8 as f32),
            Num::I8 | Num::I16 | Num::I32 | Num::I64 => (signed(u) as f64, signed(u) as f32),
            Num::U8 | Num::U16 | Num::U32 | Num::U64 => (u as f64, u as f32),
            Num::F16 => (half_to_f32(u as u16) as f64, half_to_f32(u as u16)),
            Num::F32 => (f32::from_bits(u as u32) as f64, f32::from_bits(u as u32)),
            Num::F64 => (f64::from_bits(u), f64::from_bits(u) as f32),
        }
    }

    #[test]
    fn every_whole_value_column_type_decodes_as_defined() {
        // Pages of 37 values (not a multiple of any vector width) of pseudo-random
        // bytes, in every plain and split column type, decoded into f64 and f32 and
        // compared with the byte-by-byte definition above.
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let n = 37;
        let bytes: Vec<u8> = (0..8 * n)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        let kinds = [
            0x01, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
            0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19,
        ];
        for kind in kinds {
            let c = ColumnDesc {
                kind,
                bits: 0,
                field: 0,
                repr: 0,
                first_element: 0,
                range: None,
            };
            let k = Kind::of(&c).unwrap();
            let page = &bytes[..k.page_bytes(n).unwrap()];
            let mut wide = vec![0f64; n];
            decode_page_into(&k, &c, Target::Other, page, &mut wide).unwrap();
            let mut narrow = vec![0f32; n];
            decode_page_into(&k, &c, Target::Other, page, &mut narrow).unwrap();
            for i in 0..n {
                let (want, want32) = by_definition(&k, page, n, i);
                let name = kind_name(kind);
                assert_eq!(wide[i].to_bits(), want.to_bits(), "{name} value {i} as f64");
                assert_eq!(narrow[i].to_bits(), want32.to_bits(), "{name} value {i}");
            }
        }
    }

    #[test]
    fn short_page_is_a_fault() {
        let c = ColumnDesc {
            kind: 0x0C,
            bits: 32,
            field: 0,
            repr: 0,
            first_element: 0,
            range: None,
        };
        let k = Kind::of(&c).unwrap();
        let mut out: Vec<f64> = Vec::new();
        assert!(decode_page(&k, &c, Target::Other, &[0; 7], 2, &mut out).is_err());
    }
}
