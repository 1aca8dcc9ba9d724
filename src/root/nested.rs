//! `std::vector<std::vector<T>>` branches: lists of lists of numbers per entry.
//!
//! ROOT 6.40 writes such a branch as one TBranchElement whatever the split level asked
//! for (0, 1 or 99): the class is `vector<vector<T> >`, the leaf a TLeafElement of type
//! -1, and no sub-branches. Each entry is streamed object-wise, as the collection proxy
//! of the outer vector writes it:
//!
//! ```text
//! u32  byte count | 0x40000000   (kByteCountMask; the count covers what follows)
//! u16  class version             (0x4000 set: member-wise streaming, not read here)
//! i32  n                         outer length
//! n x { i32 m; m x T }           each inner vector: its length, then its values
//! ```
//!
//! all big-endian; `bool` takes one byte, `Double32_t` (no range can be given inside a
//! vector) a float, `Float16_t` a truncated float of 3 bytes. The baskets carry entry
//! offsets, which bound each entry.
//!
//! `ROOT::VecOps::RVec<ROOT::VecOps::RVec<T>>` is refused by name: ROOT 6.40 writes such
//! a branch as an object without members (10 bytes per entry, no values) and cannot
//! read it back.
//!
//! The column keeps both levels ([`Layout::Nested`]): which inner lists each entry has,
//! and which values each inner list has.

use std::ops::Range;

use rayon::prelude::*;

use super::interp::{decode_into, Element, Interpretation, Value};
use super::read::{entry_body, Column, Layout, Loaded};
use super::tree::BranchInfo;
use super::{Fault, Res};

/// Bit of the first word of an object that says it is a byte count.
const BYTE_COUNT: u32 = 0x4000_0000;
/// Bit of a class version that says the collection was streamed member-wise.
const MEMBER_WISE: u16 = 0x4000;

/// The prefixes of a C++ vector-like type name, with whether ROOT writes the values.
const VECTORS: [(&str, bool); 4] = [
    ("vector<", true),
    ("std::vector<", true),
    ("ROOT::VecOps::RVec<", false),
    ("ROOT::RVec<", false),
];

/// Splits `outer<inner>` into (whether `outer` is a std::vector, `inner`).
fn strip_vector(type_name: &str) -> Option<(bool, &str)> {
    let t = type_name.trim();
    VECTORS.iter().find_map(|(p, std)| {
        t.strip_prefix(p)
            .and_then(|s| s.strip_suffix('>'))
            .map(|s| (*std, s.trim()))
    })
}

/// For a vector of vectors (`vector<vector<float> >`), the name of its number type,
/// or why it is not read; `None` for any other type.
pub(super) fn nested_inner(type_name: &str) -> Option<Res<&str>> {
    let (outer_std, inner) = strip_vector(type_name)?;
    let (inner_std, item) = strip_vector(inner)?;
    if !(outer_std && inner_std) {
        return Some(Err(Fault::new(format!(
            "`{type_name}`: ROOT 6.40 writes RVec-of-RVec branches without their values \
             (an object with no members) and cannot read them back; write \
             std::vector<std::vector<T>> instead"
        ))));
    }
    if strip_vector(item).is_some() {
        return Some(Err(Fault::new(format!(
            "`{type_name}` nests vectors three deep; rootgrad reads up to two \
             (std::vector<std::vector<T>>)"
        ))));
    }
    Some(Ok(item))
}

/// One basket's share of a nested column.
struct Part<T> {
    /// Inner lists of each entry.
    lists: Vec<usize>,
    /// Values of each inner list.
    lens: Vec<usize>,
    values: Vec<T>,
}

/// Reads the entries `range` of a nested branch from its loaded baskets, whose entry
/// spans are `spans` (in entry order), and joins them into one column.
pub(super) fn read_baskets<T: Value>(
    b: &BranchInfo,
    interp: &Interpretation,
    loaded: &[Loaded],
    spans: &[(u64, u64)],
    range: Range<u64>,
) -> Res<Column<T>> {
    let parts: Vec<Part<T>> = loaded
        .par_iter()
        .zip(spans.par_iter())
        .map(|(l, &(a, z))| {
            let n = z.saturating_sub(a) as usize;
            if l.entries != n {
                return Err(Fault::new(format!(
                    "basket at entry {a} holds {} entries, the branch says {n}",
                    l.entries
                )));
            }
            let lo = (range.start.max(a) - a) as usize;
            let hi = ((range.end.min(z).max(a) - a) as usize).max(lo);
            basket_part(&interp.element, l, lo..hi)
                .map_err(|e| e.context(format!("basket at entry {a}")))
        })
        .collect::<Res<_>>()?;
    Ok(join_parts(
        &b.name,
        parts.into_iter().map(|p| (p.lists, p.lens, p.values)),
    ))
}

/// One nested column from consecutive parts (basket or cluster pieces), each given as
/// (inner lists per entry, values per inner list, values): the counts become the
/// column's cumulative `lists` and `offsets`. Shared by the TTree and RNTuple readers.
pub(crate) fn join_parts<T: Copy>(
    name: &str,
    parts: impl ExactSizeIterator<Item = (Vec<usize>, Vec<usize>, Vec<T>)>,
) -> Column<T> {
    let (mut lists, mut offsets, mut values) = (vec![0usize], vec![0usize], Vec::new());
    for (entry_lists, lens, part_values) in parts {
        for n in entry_lists {
            lists.push(lists[lists.len() - 1] + n);
        }
        for n in lens {
            offsets.push(offsets[offsets.len() - 1] + n);
        }
        values.extend_from_slice(&part_values);
    }
    Column {
        name: name.to_string(),
        values,
        layout: Layout::Nested { lists, offsets },
    }
}

/// Decodes entries `r` of one basket.
fn basket_part<T: Value>(el: &Element, l: &Loaded, r: Range<usize>) -> Res<Part<T>> {
    let mut part = Part {
        lists: Vec::with_capacity(r.len()),
        lens: Vec::new(),
        values: Vec::new(),
    };
    for e in r {
        let body = entry_body(l, 0, e)?;
        entry(el, body, &mut part).map_err(|f| f.context(format!("entry {e} of the basket")))?;
    }
    Ok(part)
}

/// A big-endian `i32` length at `at` of `body`, checked to be non-negative.
fn length(body: &[u8], at: usize, what: &str) -> Res<usize> {
    let b = body
        .get(at..at + 4)
        .ok_or_else(|| Fault::new(format!("ends before the {what} length at byte {at}")))?;
    let n = i32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    usize::try_from(n).map_err(|_| Fault::new(format!("negative {what} length {n}")))
}

/// Decodes one entry (the layout in the module doc) and appends it to `part`.
fn entry<T: Value>(el: &Element, body: &[u8], part: &mut Part<T>) -> Res<()> {
    let head = body.get(..6).ok_or_else(|| {
        Fault::new(format!(
            "{} bytes: too short for a vector's header",
            body.len()
        ))
    })?;
    let count = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    let version = u16::from_be_bytes([head[4], head[5]]);
    if count & BYTE_COUNT == 0 || (count & !BYTE_COUNT) as usize != body.len() - 4 {
        return Err(Fault::new(format!(
            "the header {count:#010x} does not give the entry's size ({} bytes)",
            body.len()
        )));
    }
    if version & MEMBER_WISE != 0 {
        return Err(Fault::new(
            "streamed member-wise, which rootgrad does not read for vectors of vectors",
        ));
    }
    let size = el.size();
    let n = length(body, 6, "outer")?;
    // Each inner list takes at least its 4-byte length: a corrupt count fails here.
    if n > (body.len() - 10) / 4 {
        return Err(Fault::new(format!(
            "outer length {n} does not fit in {} bytes",
            body.len()
        )));
    }
    let mut at = 10;
    part.lists.push(n);
    for k in 0..n {
        let m = length(body, at, "inner")?;
        at += 4;
        let bytes = m
            .checked_mul(size)
            .and_then(|len| body.get(at..at.checked_add(len)?))
            .ok_or_else(|| {
                Fault::new(format!(
                    "inner vector {k} says {m} values, more than its {} bytes",
                    body.len() - at
                ))
            })?;
        let from = part.values.len();
        part.values.resize(from + m, T::default());
        decode_into(el, bytes, &mut part.values[from..])?;
        part.lens.push(m);
        at += bytes.len();
    }
    if at != body.len() {
        return Err(Fault::new(format!(
            "{} bytes left over after the last inner vector",
            body.len() - at
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An entry as ROOT streams it (module doc), from inner lists of f32.
    fn stream(lists: &[&[f32]]) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&(lists.len() as i32).to_be_bytes());
        for l in lists {
            body.extend_from_slice(&(l.len() as i32).to_be_bytes());
            for v in *l {
                body.extend_from_slice(&v.to_be_bytes());
            }
        }
        let mut out = ((body.len() as u32 + 2) | BYTE_COUNT)
            .to_be_bytes()
            .to_vec();
        out.extend_from_slice(&10u16.to_be_bytes());
        out.extend_from_slice(&body);
        out
    }

    fn loaded(entries: &[Vec<u8>]) -> Loaded {
        let mut data = Vec::new();
        let mut starts = Vec::new();
        for e in entries {
            starts.push(data.len() as u32);
            data.extend_from_slice(e);
        }
        Loaded {
            data,
            starts: Some(starts),
            entries: entries.len(),
        }
    }

    /// The bytes of the first entries ROOT 6.40 wrote for a `vector<vector<float>>`
    /// branch `a` (entries [], [[1]], [[2], [2, 3]]), as uproot 5.7 shows the basket.
    #[test]
    fn reads_the_bytes_root_writes() {
        let hex = concat!(
            "40000006000a00000000",
            "4000000e000a00000001000000013f800000",
            "4000001a000a000000020000000140000000000000024000000040400000"
        );
        let data: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        let l = Loaded {
            data,
            starts: Some(vec![0, 10, 28]),
            entries: 3,
        };
        let p: Part<f64> = basket_part(&Element::F32, &l, 0..3).unwrap();
        assert_eq!(p.lists, vec![0, 1, 2]);
        assert_eq!(p.lens, vec![1, 1, 2]);
        assert_eq!(p.values, vec![1.0, 2.0, 2.0, 3.0]);
    }

    #[test]
    fn a_range_inside_the_basket() {
        let l = loaded(&[
            stream(&[&[1.0], &[]]),
            stream(&[]),
            stream(&[&[], &[2.0, 3.0], &[4.0]]),
        ]);
        let p: Part<f32> = basket_part(&Element::F32, &l, 1..3).unwrap();
        assert_eq!(p.lists, vec![0, 3]);
        assert_eq!(p.lens, vec![0, 2, 1]);
        assert_eq!(p.values, vec![2.0, 3.0, 4.0]);
    }

    #[test]
    fn corrupt_entries_are_errors() {
        let good = stream(&[&[1.0, 2.0]]);
        let mut cases: Vec<(Vec<u8>, &str)> = Vec::new();
        let mut long = good.clone();
        long[13] = 9; // inner length 9: past the end
        cases.push((long, "more than"));
        let mut outer = good.clone();
        outer[6] = 0x7f; // outer length ~2^31
        cases.push((outer, "does not fit"));
        let mut neg = good.clone();
        neg[10] = 0xff; // inner length negative
        cases.push((neg, "negative"));
        let mut wise = good.clone();
        wise[4] |= 0x40; // member-wise
        cases.push((wise, "member-wise"));
        let mut nocount = good.clone();
        nocount[0] = 0; // no byte-count bit
        cases.push((nocount, "header"));
        cases.push((good[..8].to_vec(), "header"));
        cases.push((good[..3].to_vec(), "too short"));
        for (bytes, want) in cases {
            let l = loaded(&[bytes]);
            let err = basket_part::<f64>(&Element::F32, &l, 0..1)
                .err()
                .unwrap_or_else(|| panic!("{want}: accepted"));
            assert!(err.0.contains(want), "{want}: {err}");
            assert!(err.0.contains("entry 0"), "{err}");
        }
    }

    /// Seeded mutations of a basket of streamed entries (bits flipped, bytes
    /// overwritten, the data or the entry offsets cut short or moved): every one gives
    /// values or an error, never a panic, and what it gives is consistent (the lists
    /// add up to the values).
    #[test]
    fn mutated_baskets_give_errors_not_panics() {
        let entries = [
            stream(&[&[1.0, 2.0], &[], &[3.0]]),
            stream(&[]),
            stream(&[&[4.0; 7]]),
            stream(&[&[], &[]]),
        ];
        let good = loaded(&entries);
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let (mut ok, mut failed) = (0, 0);
        for case in 0..4000 {
            let mut l = Loaded {
                data: good.data.clone(),
                starts: good.starts.clone(),
                entries: good.entries,
            };
            let len = l.data.len() as u64;
            match case % 4 {
                0 => {
                    let at = (next() % len) as usize;
                    l.data[at] ^= 1 << (next() % 8);
                }
                1 => {
                    let at = (next() % len) as usize;
                    let v = [0x00, 0xff, next() as u8][(next() % 3) as usize];
                    for b in l.data.iter_mut().skip(at).take(1 + (next() % 8) as usize) {
                        *b = v;
                    }
                }
                2 => l.data.truncate((next() % len) as usize),
                _ => {
                    if let Some(s) = l.starts.as_mut() {
                        let k = (next() % s.len() as u64) as usize;
                        s[k] = (next() % (len + 8)) as u32;
                    }
                }
            }
            match basket_part::<f64>(&Element::F32, &l, 0..l.entries) {
                Ok(p) => {
                    ok += 1;
                    assert_eq!(p.lists.iter().sum::<usize>(), p.lens.len(), "case {case}");
                    assert_eq!(p.lens.iter().sum::<usize>(), p.values.len(), "case {case}");
                }
                Err(e) => {
                    failed += 1;
                    assert!(!e.0.is_empty());
                }
            }
        }
        // Both outcomes happen: flipped value bits still decode, broken counts do not.
        assert!(ok > 100 && failed > 1000, "ok {ok}, failed {failed}");
    }

    #[test]
    fn type_names() {
        assert_eq!(
            nested_inner("vector<vector<float> >").unwrap().unwrap(),
            "float"
        );
        assert_eq!(
            nested_inner("std::vector<std::vector<unsigned int>>")
                .unwrap()
                .unwrap(),
            "unsigned int"
        );
        assert!(nested_inner("vector<float>").is_none());
        let rvec = nested_inner("ROOT::VecOps::RVec<ROOT::VecOps::RVec<float> >").unwrap();
        assert!(rvec.unwrap_err().0.contains("without their values"));
        assert!(nested_inner("vector<vector<vector<int> > >")
            .unwrap()
            .is_err());
    }
}
