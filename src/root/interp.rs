//! Interpretations: how the bytes of a branch's entries become numbers.
//!
//! Each branch gets one [`Interpretation`] with a readable name (shown by `inspect`): the
//! element type as stored on disk (big-endian), and the shape of an entry (one value, a
//! fixed array, or a variable-length list with an optional per-entry header). Decoding
//! converts straight into the caller's `f32` or `f64` column.
//!
//! [`decode_into`] is the fast path: it writes into a slice of exactly the right length,
//! one simple loop per element type (load, byte swap, convert, store), which the compiler
//! turns into vector code. Its naive twin, `decode_naive` (the first version, pushing
//! one value at a time), stays in the tests as the reference it is checked against, bit
//! for bit, on random bytes.

use super::{Fault, Res};

/// Range and precision of a `Double32_t` or `Float16_t`, from the leaf title
/// (`x/d[-2.71,10,30]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Packing {
    /// No range given: `Double32_t` is stored as a float; `Float16_t` as a truncated
    /// float with 12 mantissa bits.
    Plain,
    /// `[low, high, bits]` with low < high: an unsigned integer of `bits` bits scaled
    /// onto the range, stored in 4 bytes.
    Range { low: f64, high: f64, bits: u32 },
    /// `[0, 0, bits]`: a float with its mantissa truncated to `bits` bits, stored as
    /// an exponent byte and a 16-bit mantissa (3 bytes).
    Truncated { bits: u32 },
}

/// The type of one stored number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Element {
    Bool,
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
    /// ROOT's `Double32_t`: read as f64.
    Double32(Packing),
    /// ROOT's `Float16_t`: read as f32.
    Float16(Packing),
}

impl Element {
    /// Bytes one value takes on disk.
    pub fn size(&self) -> usize {
        use Element::*;
        match self {
            Bool | I8 | U8 => 1,
            I16 | U16 => 2,
            I32 | U32 | F32 => 4,
            I64 | U64 | F64 => 8,
            Double32(p) => match p {
                Packing::Truncated { .. } => 3,
                _ => 4,
            },
            Float16(p) => match p {
                Packing::Range { .. } => 4,
                _ => 3,
            },
        }
    }

    /// The C++ type name, as ROOT users write it.
    pub fn cpp_name(&self) -> &'static str {
        use Element::*;
        match self {
            Bool => "bool",
            I8 => "int8_t",
            U8 => "uint8_t",
            I16 => "int16_t",
            U16 => "uint16_t",
            I32 => "int32_t",
            U32 => "uint32_t",
            I64 => "int64_t",
            U64 => "uint64_t",
            F32 => "float",
            F64 => "double",
            Double32(_) => "Double32_t",
            Float16(_) => "Float16_t",
        }
    }

    /// Whether values are whole numbers (printed without a decimal point).
    pub fn is_integer(&self) -> bool {
        !matches!(
            self,
            Element::F32 | Element::F64 | Element::Double32(_) | Element::Float16(_)
        )
    }

    fn describe(&self) -> String {
        use Element::*;
        let packing = |p: &Packing| match p {
            Packing::Plain => String::new(),
            Packing::Range { low, high, bits } => format!("[{low}, {high}, {bits} bits]"),
            Packing::Truncated { bits } => format!("[{bits} mantissa bits]"),
        };
        match self {
            Bool => "bool".into(),
            I8 => "int8".into(),
            U8 => "uint8".into(),
            I16 => "int16".into(),
            U16 => "uint16".into(),
            I32 => "int32".into(),
            U32 => "uint32".into(),
            I64 => "int64".into(),
            U64 => "uint64".into(),
            F32 => "float32".into(),
            F64 => "float64".into(),
            Double32(p) => format!("Double32{} as float64", packing(p)),
            Float16(p) => format!("Float16{} as float32", packing(p)),
        }
    }
}

/// The shape of one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One value per entry.
    Scalar,
    /// `n` values per entry (`x[3]`, or `x[2][3]` flattened to 6).
    Fixed(usize),
    /// A variable number of values per entry (count leaf `x[n]`, or `std::vector`),
    /// each entry preceded by `header` bytes (0 for count-leaf arrays, 1 for pointer
    /// arrays inside objects, 10 for `std::vector`), each item being `inner` values.
    Jagged { header: usize, inner: usize },
    /// A list of lists per entry (`std::vector<std::vector<T>>`), streamed object-wise:
    /// see `nested.rs`.
    Nested,
}

/// How to read one column.
#[derive(Debug, Clone, PartialEq)]
pub struct Interpretation {
    pub element: Element,
    pub shape: Shape,
    /// For one leaf of a leaf list (`x/D:y/I`): where this leaf's bytes start inside
    /// each entry, and the entry's total size. `None` for ordinary branches.
    pub leaf_list: Option<(usize, usize)>,
    /// Whether this is a `std::vector` (for display only).
    pub vector: bool,
}

impl Interpretation {
    /// A readable name: `float32`, `float32[3]`, `var * float32`, `vector<float32>`.
    pub fn name(&self) -> String {
        let e = self.element.describe();
        let base = match self.shape {
            Shape::Scalar => e,
            Shape::Fixed(n) => format!("{e}[{n}]"),
            Shape::Jagged { inner, .. } if self.vector => {
                if inner > 1 {
                    format!("vector<{e}[{inner}]>")
                } else {
                    format!("vector<{e}>")
                }
            }
            Shape::Jagged { inner, .. } => {
                if inner > 1 {
                    format!("var * {e}[{inner}]")
                } else {
                    format!("var * {e}")
                }
            }
            Shape::Nested => format!("vector<vector<{e}>>"),
        };
        match self.leaf_list {
            Some((off, size)) => format!(
                "{base} (leaf list, bytes {off}..{} of {size})",
                off + self.element.size() * self.width()
            ),
            None => base,
        }
    }

    /// Values per entry for fixed shapes (1 for scalars); for jagged, values per item.
    pub fn width(&self) -> usize {
        match self.shape {
            Shape::Scalar => 1,
            Shape::Fixed(n) => n,
            Shape::Jagged { inner, .. } => inner,
            Shape::Nested => 1,
        }
    }

    /// Bytes of one entry when every entry has the same size.
    pub fn fixed_entry_size(&self) -> Option<usize> {
        match (self.leaf_list, self.shape) {
            (Some((_, size)), _) => Some(size),
            (None, Shape::Jagged { .. } | Shape::Nested) => None,
            (None, _) => Some(self.element.size() * self.width()),
        }
    }
}

/// A number type a column can hold.
pub trait Value: Copy + Send + Sync + Default + std::fmt::Debug + 'static {
    fn from_f64(x: f64) -> Self;
    /// From a 32-bit integer: the same value as `from_i64(x as i64)` (both round to
    /// nearest, ties to even), but a conversion CPUs do on whole vectors.
    fn from_i32(x: i32) -> Self;
    fn from_f32(x: f32) -> Self;
    fn from_i64(x: i64) -> Self;
    fn from_u64(x: u64) -> Self;
    fn to_f64(self) -> f64;
}

impl Value for f64 {
    #[inline]
    fn from_f64(x: f64) -> Self {
        x
    }
    #[inline]
    fn from_i32(x: i32) -> Self {
        x as f64
    }
    #[inline]
    fn from_f32(x: f32) -> Self {
        x as f64
    }
    #[inline]
    fn from_i64(x: i64) -> Self {
        x as f64
    }
    #[inline]
    fn from_u64(x: u64) -> Self {
        x as f64
    }
    fn to_f64(self) -> f64 {
        self
    }
}

impl Value for f32 {
    #[inline]
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    #[inline]
    fn from_i32(x: i32) -> Self {
        x as f32
    }
    #[inline]
    fn from_f32(x: f32) -> Self {
        x
    }
    #[inline]
    fn from_i64(x: i64) -> Self {
        x as f32
    }
    #[inline]
    fn from_u64(x: u64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
}

/// Decodes `bytes` (a whole number of values of `el`) and appends them to `out`.
/// Trailing bytes that do not make a whole value are ignored.
pub fn decode<T: Value>(el: &Element, bytes: &[u8], out: &mut Vec<T>) {
    let at = out.len();
    out.resize(at + bytes.len() / el.size(), T::default());
    // The lengths agree by construction; decode_into cannot fail here.
    let _ = decode_into(el, bytes, out.get_mut(at..).unwrap_or(&mut []));
}

/// Decodes `bytes` into `out`, which must hold exactly one slot per whole value in
/// `bytes` (`bytes.len() / el.size()`; trailing bytes that do not make a whole value are
/// ignored). Values are big-endian on disk.
///
/// Each element type is one loop over `chunks_exact` zipped with the output: the
/// compiler knows both lengths, so the loop has no bounds checks and vectorises (a
/// shuffle or shifts for the byte swap, then a packed conversion). Integers narrower than
/// 64 bits convert through `i32`, which CPUs convert to floats a vector at a time.
pub fn decode_into<T: Value>(el: &Element, bytes: &[u8], out: &mut [T]) -> Res<()> {
    let n = bytes.len() / el.size();
    if out.len() != n {
        return Err(Fault::new(format!(
            "internal: {} bytes of {} make {n} values, but {} slots were given",
            bytes.len(),
            el.cpp_name(),
            out.len()
        )));
    }
    macro_rules! each {
        ($w:literal, $conv:expr) => {
            for (o, b) in out.iter_mut().zip(bytes.chunks_exact($w)) {
                let b: [u8; $w] = b.try_into().unwrap_or([0; $w]);
                *o = $conv(b);
            }
        };
    }
    use Element::*;
    match *el {
        Bool => each!(1, |b: [u8; 1]| T::from_i32((b[0] != 0) as i32)),
        I8 => each!(1, |b: [u8; 1]| T::from_i32(b[0] as i8 as i32)),
        U8 => each!(1, |b: [u8; 1]| T::from_i32(b[0] as i32)),
        I16 => each!(2, |b| T::from_i32(i16::from_be_bytes(b) as i32)),
        U16 => each!(2, |b| T::from_i32(u16::from_be_bytes(b) as i32)),
        I32 => each!(4, |b| T::from_i32(i32::from_be_bytes(b))),
        U32 => each!(4, |b| T::from_i64(u32::from_be_bytes(b) as i64)),
        I64 => each!(8, |b| T::from_i64(i64::from_be_bytes(b))),
        U64 => each!(8, |b| T::from_u64(u64::from_be_bytes(b))),
        F32 => each!(4, |b| T::from_f32(f32::from_bits(u32::from_be_bytes(b)))),
        F64 => each!(8, |b| T::from_f64(f64::from_bits(u64::from_be_bytes(b)))),
        Double32(p) => match p {
            Packing::Plain => each!(4, |b| T::from_f64(
                f32::from_bits(u32::from_be_bytes(b)) as f64
            )),
            Packing::Range { low, high, bits } => {
                // ROOT's TBufferFile::ReadWithFactor: value = raw / factor + low.
                let factor = Packing::factor(low, high, bits);
                each!(4, |b| T::from_f64(
                    u32::from_be_bytes(b) as f64 / factor + low
                ))
            }
            Packing::Truncated { bits } => {
                each!(3, |b: [u8; 3]| T::from_f64(truncated(&b, bits) as f64))
            }
        },
        Float16(p) => match p {
            Packing::Range { low, high, bits } => {
                // Computed in double precision and rounded once, as ROOT does.
                let factor = Packing::factor(low, high, bits);
                each!(4, |b| T::from_f32(
                    (u32::from_be_bytes(b) as f64 / factor + low) as f32
                ))
            }
            Packing::Truncated { bits } => each!(3, |b: [u8; 3]| T::from_f32(truncated(&b, bits))),
            Packing::Plain => each!(3, |b: [u8; 3]| T::from_f32(truncated(&b, 12))),
        },
    }
    Ok(())
}

/// The first decoder, kept as the reference [`decode_into`] is tested against: one value
/// at a time, pushed onto a vector, each integer through `i64`.
#[cfg(test)]
pub fn decode_naive<T: Value>(el: &Element, bytes: &[u8], out: &mut Vec<T>) {
    let n = bytes.len() / el.size();
    out.reserve(n);
    macro_rules! each {
        ($w:expr, $conv:expr) => {
            out.extend(bytes.chunks_exact($w).map($conv))
        };
    }
    use Element::*;
    match el {
        Bool => each!(1, |b: &[u8]| T::from_i64((b[0] != 0) as i64)),
        I8 => each!(1, |b: &[u8]| T::from_i64(b[0] as i8 as i64)),
        U8 => each!(1, |b: &[u8]| T::from_i64(b[0] as i64)),
        I16 => each!(2, |b: &[u8]| T::from_i64(
            i16::from_be_bytes([b[0], b[1]]) as i64
        )),
        U16 => each!(2, |b: &[u8]| T::from_i64(
            u16::from_be_bytes([b[0], b[1]]) as i64
        )),
        I32 => each!(4, |b: &[u8]| T::from_i64(
            i32::from_be_bytes([b[0], b[1], b[2], b[3]]) as i64
        )),
        U32 => each!(4, |b: &[u8]| T::from_i64(
            u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as i64
        )),
        I64 => each!(8, |b: &[u8]| T::from_i64(i64::from_be_bytes(arr8(b)))),
        U64 => each!(8, |b: &[u8]| T::from_u64(u64::from_be_bytes(arr8(b)))),
        F32 => each!(4, |b: &[u8]| T::from_f32(f32::from_be_bytes([
            b[0], b[1], b[2], b[3]
        ]))),
        F64 => each!(8, |b: &[u8]| T::from_f64(f64::from_be_bytes(arr8(b)))),
        Double32(p) => match *p {
            Packing::Plain => {
                each!(4, |b: &[u8]| T::from_f64(
                    f32::from_be_bytes([b[0], b[1], b[2], b[3]]) as f64
                ))
            }
            Packing::Range { low, high, bits } => {
                // ROOT's TBufferFile::ReadWithFactor: value = raw / factor + low.
                let factor = Packing::factor(low, high, bits);
                each!(4, |b: &[u8]| T::from_f64(
                    u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as f64 / factor + low
                ))
            }
            Packing::Truncated { bits } => {
                each!(3, |b: &[u8]| T::from_f64(truncated(b, bits) as f64))
            }
        },
        Float16(p) => match *p {
            Packing::Range { low, high, bits } => {
                // Computed in double precision and rounded once, as ROOT does.
                let factor = Packing::factor(low, high, bits);
                each!(4, |b: &[u8]| T::from_f32(
                    (u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as f64 / factor + low) as f32
                ))
            }
            Packing::Truncated { bits } => each!(3, |b: &[u8]| T::from_f32(truncated(b, bits))),
            Packing::Plain => each!(3, |b: &[u8]| T::from_f32(truncated(b, 12))),
        },
    }
}

#[cfg(test)]
#[inline]
fn arr8(b: &[u8]) -> [u8; 8] {
    [b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]
}

/// A float stored as an exponent byte and a 16-bit mantissa holding `bits` mantissa
/// bits and, above them, the sign (ROOT's TBufferFile::ReadWithNbits).
#[inline]
fn truncated(b: &[u8], bits: u32) -> f32 {
    let exponent = b[0] as u32;
    let mantissa = u16::from_be_bytes([b[1], b[2]]) as u32;
    let bits = bits.min(22);
    let mut word = exponent << 23;
    word |= (mantissa & ((1 << (bits + 1)) - 1)) << (23 - bits);
    let v = f32::from_bits(word);
    if mantissa & (1 << (bits + 1)) != 0 {
        -v
    } else {
        v
    }
}

impl Packing {
    /// ROOT's scale from stored integers to the range: `bigint / (high - low)` with
    /// `bigint` = 2^bits below 32 bits and 0xffffffff (not 2^32) at 32 bits
    /// (TStreamerElement::GetRange).
    pub fn factor(low: f64, high: f64, bits: u32) -> f64 {
        let bigint: u32 = if bits < 32 { 1u32 << bits } else { 0xffff_ffff };
        bigint as f64 / (high - low)
    }
}

/// The range spec of a Double32_t/Float16_t, parsed as ROOT's
/// TStreamerElement::GetRange parses it from a leaf title (`x[3]/d[-pi,pi,16]`) or a
/// member comment (`[0, 1, 12] momentum`): the first bracket holding a comma (a first
/// bracket without one is an array dimension), `[low, high]` or `[low, high, bits]`.
/// Bits outside 2..=32 or unreadable mean 32. A bound containing `pi` is pi, 2pi
/// (`2pi`, `2*pi`, `twopi`), pi/2 or pi/4, negated when it contains a minus sign;
/// otherwise its leading number (C's `%lg`; 0 when none). Then, as ROOT reads them:
/// low < high packs onto the range; otherwise fewer than 15 bits truncate the
/// mantissa to `bits`; otherwise the integer part of `low` is the mantissa bits (0:
/// no packing).
pub fn range_spec(text: &str) -> Res<Packing> {
    let Some((inside, _)) = bracket_with_comma(text) else {
        return Ok(Packing::Plain);
    };
    let parts: Vec<&str> = inside.splitn(3, ',').collect();
    let bits = match parts.get(2) {
        Some(b) => match leading_int(b) {
            Some(n) if (2..=32).contains(&n) => n as u32,
            _ => 32,
        },
        None => 32,
    };
    let low = bound(parts[0]);
    let high = bound(parts.get(1).copied().unwrap_or(""));
    if low < high {
        return Ok(Packing::Range { low, high, bits });
    }
    if bits < 15 {
        return Ok(Packing::Truncated { bits });
    }
    match low.trunc() {
        0.0 => Ok(Packing::Plain),
        k if (2.0..=22.0).contains(&k) => Ok(Packing::Truncated { bits: k as u32 }),
        _ => Err(Fault::new(format!(
            "the Double32_t/Float16_t range `[{inside}]` has low >= high and {bits} bits, \
             which ROOT reads with {low} mantissa bits; rootgrad reads 2 to 22"
        ))),
    }
}

/// The text inside the first `[...]` that holds a comma, looking at most at two
/// brackets as ROOT does.
fn bracket_with_comma(text: &str) -> Option<(&str, usize)> {
    let mut from = 0;
    for _ in 0..2 {
        let left = from + text.get(from..)?.find('[')?;
        let right = left + text[left..].find(']')?;
        let inside = &text[left + 1..right];
        if inside.contains(',') {
            return Some((inside, right));
        }
        from = right;
    }
    None
}

/// C's `sscanf("%d")`: optional blanks, a sign, digits.
fn leading_int(s: &str) -> Option<i64> {
    let s = s.trim_start();
    let end = s
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && (c == '-' || c == '+'))))
        .map_or(s.len(), |(i, _)| i);
    s[..end].parse().ok()
}

/// One bound of a range, as GetRange reads it (spaces removed, lower case).
fn bound(s: &str) -> f64 {
    let pi = std::f64::consts::PI;
    let s: String = s
        .chars()
        .filter(|c| *c != ' ')
        .collect::<String>()
        .to_ascii_lowercase();
    if s.contains("pi") {
        let v = if s.contains("2pi") || s.contains("2*pi") || s.contains("twopi") {
            2.0 * pi
        } else if s.contains("pi/2") {
            pi / 2.0
        } else if s.contains("pi/4") {
            pi / 4.0
        } else {
            pi
        };
        return if s.contains('-') { -v } else { v };
    }
    // `%lg`: the longest leading text that is a number.
    (1..=s.len())
        .rev()
        .filter(|&n| s.is_char_boundary(n))
        .find_map(|n| s[..n].parse::<f64>().ok())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_forms() {
        // The rules of ROOT's TStreamerElement::GetRange, case by case; the packings
        // without a range agree with ROOT 6.40's fFactor/fXmin for the same titles
        // (validation/root640/range_golden.py: [0,0,10] -> fXmin 10.1, 10 bits; [0,0,16]
        // -> fXmin 0, a float; [5,1,20] -> fFactor 0, fXmin 5, 5 bits).
        let pi = std::f64::consts::PI;
        let range = |low, high, bits| Packing::Range { low, high, bits };
        let cases: [(&str, Packing); 14] = [
            ("x/d[-2.71,10,30]", range(-2.71, 10.0, 30)),
            ("x/d[-2pi,2pi,16]", range(-2.0 * pi, 2.0 * pi, 16)),
            ("x/d[-pi,pi]", range(-pi, pi, 32)),
            ("x/d[-pi/2, pi/4 ,20]", range(-pi / 2.0, pi / 4.0, 20)),
            ("x/d[0,twopi,18]", range(0.0, 2.0 * pi, 18)),
            ("x/d[0,2*pi]", range(0.0, 2.0 * pi, 32)),
            ("x/d[0,1,40]", range(0.0, 1.0, 32)),
            ("x/d[0,1,1]", range(0.0, 1.0, 32)),
            ("x[3]/d[-1,1,12]", range(-1.0, 1.0, 12)),
            (" [ -5 , 5 , 24 ] a comment", range(-5.0, 5.0, 24)),
            ("x/d[0,0,10]", Packing::Truncated { bits: 10 }),
            ("x/d[0,0,16]", Packing::Plain),
            ("x/d[0,0]", Packing::Plain),
            ("x/d[5,1,20]", Packing::Truncated { bits: 5 }),
        ];
        for (text, want) in cases {
            assert_eq!(range_spec(text).unwrap(), want, "{text}");
        }
        assert_eq!(range_spec("x/d").unwrap(), Packing::Plain);
        assert_eq!(range_spec("x[3]/d").unwrap(), Packing::Plain);
        assert!(range_spec("x/d[-3,-5,20]").is_err());
    }

    /// ROOT 6.40's own parse of each range spec (TStreamerElement fFactor, fXmin,
    /// fXmax) and what its TBufferFile::ReadWithFactor returns for the stored words 0, 1,
    /// 12345, 0x7fffffff and 0xffffffff, all as f64 bit patterns, from
    /// validation/root640/range_golden.py.
    #[test]
    fn ranges_and_values_match_root() {
        #[rustfmt::skip]
        let golden: [(&str, [u64; 3], [u64; 5]); 11] = [
        ("x/d[-2.71,10,30]", [0x4194244142441424, 0xc005ae147ae147ae, 0x4024000000000000], [0xc005ae147ae147ae, 0xc005ae14794a8f5c, 0xc005adc7ddc2e148, 0x4036b5c28f2951ec, 0x404810a3d6f0d1ec]),
        ("x/d[-2pi,2pi,16]", [0x40b45f306dc9c883, 0xc01921fb54442d18, 0x401921fb54442d18], [0xc01921fb54442d18, 0xc01921c9104d8490, 0xc00f5417e57e2ba6, 0x411921e2321694dd, 0x412921eec32d60fb]),
        ("x/d[-pi,pi]", [0x41c45f306db56952, 0xc00921fb54442d18, 0x400921fb54442d18], [0xc00921fb54442d18, 0xc00921fb5411e921, 0xc00921f1dc54cb89, 0xbe0921fb00000000, 0x400921fb54442d1a]),
        ("x/d[-pi/2, pi/4 ,20]", [0x411b2995e7b7b604, 0xbff921fb54442d18, 0x3fe921fb54442d18], [0xbff921fb54442d18, 0xbff921f8f9149d32, 0xbff8b05c1bb1f001, 0x40b2d7ea5f582a96, 0x40c2d8b36f45a634]),
        ("x/d[0,twopi,18]", [0x40e45f306dc9c883, 0x0000000000000000, 0x401921fb54442d18], [0x0000000000000000, 0x3ef921fb54442d18, 0x3fd2efdec30a2e8a, 0x40e921fb5411e921, 0x40f921fb542b0b1d]),
        ("x/d[0,2*pi]", [0x41c45f306db56952, 0x0000000000000000, 0x401921fb54442d18], [0x0000000000000000, 0x3e1921fb545d4f14, 0x3ef2efdec31d1e69, 0x400921fb542b0b1d, 0x401921fb54442d19]),
        ("x/d[0,1,40]", [0x41efffffffe00000, 0x0000000000000000, 0x3ff0000000000000], [0x0000000000000000, 0x3df0000000100000, 0x3ec81c8000181c80, 0x3fdfffffffe00000, 0x3ff0000000000000]),
        ("x[3]/d[-1,1,12]", [0x40a0000000000000, 0xbff0000000000000, 0x3ff0000000000000], [0xbff0000000000000, 0xbfeffc0000000000, 0x40141c8000000000, 0x412ffffdffc00000, 0x413ffffeffe00000]),
        (" [ -5 , 5 , 24 ] a comment", [0x413999999999999a, 0xc014000000000000, 0x4014000000000000], [0xc014000000000000, 0xc013ffffd8000000, 0xc013f87718000000, 0x4093ebffffd80000, 0x40a3f5ffffec0000]),
        ("x/d[-10,10,32]", [0x41a9999999800000, 0xc024000000000000, 0x4024000000000000], [0xc024000000000000, 0xc023ffffffd80000, 0xc023fff87717fff8, 0xbe24000000000000, 0x4024000000000000]),
        ("x/d[0,100]", [0x41847ae14799999a, 0x0000000000000000, 0x4059000000000000], [0x0000000000000000, 0x3e59000000190000, 0x3f32d6440012d644, 0x4048ffffffe70000, 0x4059000000000000]),
        ];
        let words = [0u32, 1, 12345, 0x7fff_ffff, 0xffff_ffff];
        for (title, [factor, xmin, xmax], reads) in golden {
            let p = range_spec(title).unwrap();
            let Packing::Range { low, high, bits } = p else {
                panic!("{title}: {p:?}")
            };
            assert_eq!(low.to_bits(), xmin, "{title} low");
            assert_eq!(high.to_bits(), xmax, "{title} high");
            assert_eq!(
                Packing::factor(low, high, bits).to_bits(),
                factor,
                "{title} factor"
            );
            let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
            let mut out: Vec<f64> = Vec::new();
            decode(&Element::Double32(p), &bytes, &mut out);
            let got: Vec<u64> = out.iter().map(|v| v.to_bits()).collect();
            assert_eq!(got, reads, "{title} values");
        }
    }

    #[test]
    fn scale_at_32_bits_is_0xffffffff() {
        // ROOT: bigint = 0xffffffff for 32 bits, 1 << bits below.
        assert_eq!(Packing::factor(0.0, 1.0, 32), 4294967295.0);
        assert_eq!(Packing::factor(0.0, 2.0, 16), 32768.0);
    }

    #[test]
    fn decodes_big_endian_integers_and_floats() {
        let mut out: Vec<f64> = Vec::new();
        decode(&Element::I16, &[0xff, 0xfe, 0x00, 0x05], &mut out);
        assert_eq!(out, vec![-2.0, 5.0]);
        out.clear();
        decode(&Element::F32, &1.5f32.to_be_bytes(), &mut out);
        assert_eq!(out, vec![1.5]);
    }

    #[test]
    fn range_packing_is_low_plus_scaled_integer() {
        // [0, 8, 3 bits]: step 1, raw 5 -> 5.0
        let mut out: Vec<f64> = Vec::new();
        decode(
            &Element::Double32(Packing::Range {
                low: 0.0,
                high: 8.0,
                bits: 3,
            }),
            &5u32.to_be_bytes(),
            &mut out,
        );
        assert_eq!(out, vec![5.0]);
    }
    /// Bit patterns, so that NaN payloads and signed zeros compare exactly.
    trait Bits: Value {
        fn bits(self) -> u64;
    }
    impl Bits for f32 {
        fn bits(self) -> u64 {
            self.to_bits() as u64
        }
    }
    impl Bits for f64 {
        fn bits(self) -> u64 {
            self.to_bits()
        }
    }

    /// Every element type, with each kind of packing.
    fn all_elements() -> Vec<Element> {
        use Element::*;
        let range = Packing::Range {
            low: -2.71,
            high: 10.0,
            bits: 30,
        };
        let mut all = vec![Bool, I8, U8, I16, U16, I32, U32, I64, U64, F32, F64];
        for p in [
            Packing::Plain,
            range,
            Packing::Range {
                low: 0.0,
                high: 1.0,
                bits: 32,
            },
            Packing::Truncated { bits: 12 },
            Packing::Truncated { bits: 22 },
        ] {
            all.push(Double32(p));
            all.push(Float16(p));
        }
        all
    }

    /// Special float bit patterns, big-endian, to splice into the random bytes.
    const SPECIAL_F32: [u32; 8] = [
        0x7fc0_0000, // quiet NaN
        0xffc0_0001, // negative quiet NaN with a payload
        0x7f80_0001, // signalling NaN
        0x7f80_0000, // +inf
        0xff80_0000, // -inf
        0x8000_0000, // -0
        0x0000_0001, // smallest subnormal
        0x7f7f_ffff, // largest finite
    ];
    const SPECIAL_F64: [u64; 4] = [
        0x7ff8_0000_0000_0000,
        0xfff0_0000_0000_0001,
        0x7ff0_0000_0000_0000,
        0x8000_0000_0000_0000,
    ];

    fn same_as_naive<T: Bits>(el: &Element, bytes: &[u8]) {
        let mut naive: Vec<T> = Vec::new();
        decode_naive(el, bytes, &mut naive);
        // NaN-poisoned output: every slot must be written.
        let mut fast = vec![T::from_f64(f64::NAN); bytes.len() / el.size()];
        decode_into(el, bytes, &mut fast).expect("lengths agree");
        assert_eq!(fast.len(), naive.len(), "{el:?}");
        for (i, (f, n)) in fast.iter().zip(&naive).enumerate() {
            assert_eq!(f.bits(), n.bits(), "{el:?} value {i}: {f:?} vs {n:?}");
        }
        // The appending form gives the same, after what was there.
        let mut appended = vec![T::from_f64(7.0)];
        decode(el, bytes, &mut appended);
        assert_eq!(appended.len(), 1 + naive.len());
        for (f, n) in appended[1..].iter().zip(&naive) {
            assert_eq!(f.bits(), n.bits(), "{el:?} appended");
        }
    }

    #[test]
    fn decode_into_matches_naive_bit_for_bit() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_F491_4F6C_DD1D)
        };
        // Lengths around the vector widths, and not whole values at the end.
        for len in [0usize, 1, 3, 7, 8, 15, 16, 17, 31, 64, 65, 1000, 4099] {
            let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            for el in all_elements() {
                let mut b = bytes.clone();
                if matches!(el, Element::F32 | Element::Double32(Packing::Plain)) {
                    for (k, chunk) in b.chunks_exact_mut(4).enumerate().step_by(3) {
                        let v = SPECIAL_F32[(k / 3) % SPECIAL_F32.len()];
                        chunk.copy_from_slice(&v.to_be_bytes());
                    }
                }
                if el == Element::F64 {
                    for (k, chunk) in b.chunks_exact_mut(8).enumerate().step_by(2) {
                        let v = SPECIAL_F64[(k / 2) % SPECIAL_F64.len()];
                        chunk.copy_from_slice(&v.to_be_bytes());
                    }
                }
                same_as_naive::<f32>(&el, &b);
                same_as_naive::<f64>(&el, &b);
            }
        }
    }

    #[test]
    fn decode_into_refuses_a_wrong_length() {
        let mut out = [0f32; 2];
        assert!(decode_into(&Element::F32, &[0u8; 12], &mut out).is_err());
        assert!(decode_into(&Element::F32, &[0u8; 9], &mut out).is_ok());
    }
}
