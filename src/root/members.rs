//! Reading an object member by member from the class layout the file itself carries
//! (its TStreamerInfo), for class versions that have no hand-written reader here.
//!
//! ROOT writes most classes as their streamer info describes: base classes (each with
//! a byte count), numbers, fixed arrays, arrays behind a pointer whose length is another
//! member (`[fN]`, preceded by a one-byte flag), strings, embedded objects and object
//! pointers. That covers TTree and TBranch of every version, so a file from a ROOT
//! release between those this reader knows (ROOT 5.0x to 5.1x) is still read.

use super::objects::{ClassLayout, Obj, ObjReader};
use super::{Fault, Res};

/// A member's value, as far as the callers need it.
#[derive(Debug, Clone)]
pub enum Member {
    Int(i64),
    Float(f64),
    Str(String),
    Ints(Vec<i64>),
    Objects(Vec<Obj>),
    /// Read past, value not kept.
    Skipped,
}

impl Member {
    /// The value as a number (Int or Float), if it is one.
    pub fn number(&self) -> Option<f64> {
        match self {
            Member::Int(i) => Some(*i as f64),
            Member::Float(f) => Some(*f),
            _ => None,
        }
    }
}

/// Size in bytes of a basic type code (TVirtualStreamerInfo::EReadWrite 1..19).
fn basic_size(code: i32) -> Option<usize> {
    Some(match code {
        1 | 11 | 18 => 1,
        2 | 12 => 2,
        3 | 5 | 6 | 9 | 13 | 15 | 19 => 4,
        4 | 8 | 14 | 16 | 17 => 8,
        _ => return None,
    })
}

fn read_basic(r: &mut ObjReader, code: i32) -> Res<Member> {
    let c = &mut r.c;
    Ok(match code {
        1 => Member::Int(c.i8()? as i64),
        11 | 18 => Member::Int(c.u8()? as i64),
        2 => Member::Int(c.i16()? as i64),
        12 => Member::Int(c.u16()? as i64),
        3 | 6 => Member::Int(c.i32()? as i64),
        13 | 15 => Member::Int(c.u32()? as i64),
        4 | 16 => Member::Int(c.i64()?),
        14 | 17 => Member::Int(c.u64()? as i64),
        5 | 9 | 19 => Member::Float(c.f32()? as f64),
        8 => Member::Float(c.f64()?),
        other => return Err(Fault::new(format!("basic type code {other}"))),
    })
}

/// Reads the members of `layout` in order, handing each to `on`, and stops after the
/// member named `stop_after` (the caller then skips the rest by the object's byte
/// count). Base classes other than TNamed are skipped by their byte counts.
pub fn read_members(
    r: &mut ObjReader,
    layout: &ClassLayout,
    stop_after: &str,
    mut on: impl FnMut(&str, Member),
) -> Res<()> {
    let mut ints: Vec<(String, i64)> = Vec::new();
    for e in &layout.elements {
        let fail = |what: &str| {
            Fault::new(format!(
                "{} version {}: member `{}` ({}) {what}",
                layout.name, layout.version, e.name, e.type_name
            ))
        };
        let value = match e.etype {
            // A TNamed base is typed 0 (kBase) or 67 (kTNamed), depending on the version.
            0 | 67 if e.name == "TNamed" || e.etype == 67 => {
                let (name, title) = r.c.tnamed()?;
                on("fName", Member::Str(name));
                on("fTitle", Member::Str(title));
                Member::Skipped
            }
            0 => {
                r.c.skip_object(&e.name)?;
                Member::Skipped
            }
            1..=19 => {
                let v = read_basic(r, e.etype)?;
                if let Member::Int(i) = v {
                    ints.push((e.name.clone(), i));
                }
                v
            }
            21..=39 => {
                let size = basic_size(e.etype - 20).ok_or_else(|| fail("has an unknown type"))?;
                r.c.skip(size * e.array_length)?;
                Member::Skipped
            }
            41..=59 => {
                // `T* x; //[fN]`: a flag byte, then fN values.
                let count_name = e
                    .title
                    .split_once('[')
                    .and_then(|(_, rest)| rest.split_once(']'))
                    .map(|(n, _)| n.trim().to_string())
                    .ok_or_else(|| fail("has no [count] in its comment"))?;
                let n = ints
                    .iter()
                    .rev()
                    .find(|(k, _)| *k == count_name)
                    .map(|(_, v)| *v)
                    .ok_or_else(|| fail("has a count member that was not read before it"))?;
                let n = usize::try_from(n).map_err(|_| fail("has a negative count"))?;
                let flag = r.c.u8()?;
                let code = e.etype - 40;
                if flag == 0 {
                    Member::Ints(Vec::new())
                } else if flag == 2 || matches!(code, 4 | 14 | 16 | 17) {
                    // 64-bit values (TBranch writes seeks as 64-bit and flags them 2).
                    Member::Ints(r.c.counted(n, |c| c.i64())?)
                } else {
                    match basic_size(code) {
                        Some(4) if matches!(code, 5 | 9 | 19) => {
                            r.c.counted(n, |c| c.f32())?;
                            Member::Skipped
                        }
                        Some(4) => Member::Ints(r.c.counted(n, |c| c.i32().map(|x| x as i64))?),
                        Some(size) => {
                            r.c.skip(size.checked_mul(n).ok_or_else(|| fail("is too long"))?)?;
                            Member::Skipped
                        }
                        None => return Err(fail("has an unknown type")),
                    }
                }
            }
            61 if e.type_name == "TObjArray" => Member::Objects(r.obj_array()?),
            61 if e.type_name == "TList" => Member::Objects(r.list()?),
            61 | 62 => {
                r.c.skip_object(&e.name)?;
                Member::Skipped
            }
            63 | 64 => Member::Objects(vec![r.object_any()?]),
            65 => Member::Str(r.c.tstring()?),
            66 => {
                r.c.tobject()?;
                Member::Skipped
            }
            _ => return Err(fail("cannot be read from its streamer info")),
        };
        let stop = e.name == stop_after;
        on(&e.name, value);
        if stop {
            return Ok(());
        }
    }
    Err(Fault::new(format!(
        "{} version {} has no member `{stop_after}`",
        layout.name, layout.version
    )))
}
