//! Which interpretation a branch gets: from its leaf class and title (`x/F`,
//! `x[n]/D`, `d/d[0,1,12]`), or for branches of split classes from the streamer type
//! code of its TLeafElement and, where that is not enough (`std::vector` members, the
//! range of a `Double32_t` member), from the file's streamer infos. Like uproot's
//! `interpretation/identify.py`, kept apart from the parsing of the metadata itself.

use super::interp::{range_spec, Element, Interpretation, Packing, Shape};
use super::tree::{BranchInfo, LeafInfo};
use super::{Fault, Res};

pub(crate) fn needs_streamers(b: &BranchInfo) -> bool {
    b.leaves.iter().any(|l| matches!(l.element_type, Some(t) if t == 300 || t == 500 || t == 9 || t == 19 || t == 29 || t == 39))
}

/// Element type from a TLeaf class and its unsigned flag.
fn leaf_element(leaf: &LeafInfo, title_type: Option<&str>) -> Res<Element> {
    let u = leaf.unsigned;
    Ok(match leaf.class.as_str() {
        "TLeafO" => Element::Bool,
        "TLeafB" => {
            if u {
                Element::U8
            } else {
                Element::I8
            }
        }
        "TLeafS" => {
            if u {
                Element::U16
            } else {
                Element::I16
            }
        }
        "TLeafI" => {
            if u {
                Element::U32
            } else {
                Element::I32
            }
        }
        "TLeafL" | "TLeafG" => {
            if u {
                Element::U64
            } else {
                Element::I64
            }
        }
        "TLeafF" => Element::F32,
        "TLeafD" => Element::F64,
        "TLeafD32" => Element::Double32(packing_from_title(title_type)?),
        "TLeafF16" => Element::Float16(packing_from_title(title_type)?),
        "TLeafC" => return Err(Fault::new("a string (TLeafC); only numbers are read")),
        other => {
            return Err(Fault::new(format!(
                "leaf class {other} is not a number type rootgrad reads"
            )))
        }
    })
}

fn packing_from_title(t: Option<&str>) -> Res<Packing> {
    t.map_or(Ok(Packing::Plain), range_spec)
}

/// Element type from a streamer type code (TVirtualStreamerInfo::EReadWrite, modulo
/// the array offsets).
fn code_element(code: i32, title: Option<&str>) -> Res<Element> {
    Ok(match code {
        1 => Element::I8,
        2 => Element::I16,
        3 | 6 => Element::I32,
        4 | 16 => Element::I64,
        5 => Element::F32,
        8 => Element::F64,
        9 => Element::Double32(packing_from_comment(title)?),
        11 => Element::U8,
        12 => Element::U16,
        13 | 15 => Element::U32,
        14 | 17 => Element::U64,
        18 => Element::Bool,
        19 => Element::Float16(packing_from_comment(title)?),
        other => {
            return Err(Fault::new(format!(
                "streamer type {other} is not a number type rootgrad reads"
            )))
        }
    })
}

fn packing_from_comment(title: Option<&str>) -> Res<Packing> {
    // A member comment such as `//[0, 1, 12]` carries the range.
    title.map_or(Ok(Packing::Plain), range_spec)
}

/// The `T` of `vector<T>`, `std::vector<T>` or `ROOT::VecOps::RVec<T>` (what
/// RDataFrame::Snapshot writes for RVec columns, streamed as a vector is).
fn vector_inner(type_name: &str) -> Option<&str> {
    let t = type_name.trim();
    [
        "vector<",
        "std::vector<",
        "ROOT::VecOps::RVec<",
        "ROOT::RVec<",
    ]
    .iter()
    .find_map(|p| t.strip_prefix(p))
    .and_then(|s| s.strip_suffix('>'))
    .map(str::trim)
}

/// Element type of `vector<T>` from its C++ name.
fn vector_element(type_name: &str) -> Res<Element> {
    let inner = vector_inner(type_name)
        .ok_or_else(|| Fault::new(format!("`{type_name}` is not a std::vector of numbers")))?;
    number_element(inner).map_err(|e| e.context(format!("`{type_name}`")))
}

/// Element type of a number type's C++ name (`float`, `unsigned int`, `Double32_t`).
fn number_element(inner: &str) -> Res<Element> {
    Ok(match inner {
        "bool" => Element::Bool,
        "char" | "Char_t" | "int8_t" | "signed char" => Element::I8,
        "unsigned char" | "UChar_t" | "uint8_t" => Element::U8,
        "short" | "Short_t" | "int16_t" => Element::I16,
        "unsigned short" | "UShort_t" | "uint16_t" => Element::U16,
        "int" | "Int_t" | "int32_t" => Element::I32,
        "unsigned int" | "UInt_t" | "uint32_t" => Element::U32,
        "long" | "Long_t" | "long long" | "Long64_t" | "int64_t" => Element::I64,
        "unsigned long" | "ULong_t" | "unsigned long long" | "ULong64_t" | "uint64_t" => {
            Element::U64
        }
        "float" | "Float_t" => Element::F32,
        "double" | "Double_t" => Element::F64,
        "Double32_t" => Element::Double32(Packing::Plain),
        "Float16_t" => Element::Float16(Packing::Plain),
        other => {
            return Err(Fault::new(format!(
                "`{other}` is not a number type rootgrad reads"
            )))
        }
    })
}

/// Decides how a branch's entries are read.
pub(crate) fn interpret(
    b: &BranchInfo,
    streamers: Option<&super::objects::Streamers>,
) -> std::result::Result<Interpretation, String> {
    let r = interpret_inner(b, streamers);
    r.map_err(|e| e.0)
}

fn interpret_inner(
    b: &BranchInfo,
    streamers: Option<&super::objects::Streamers>,
) -> Res<Interpretation> {
    let Some(leaf) = b.leaves.first() else {
        return Err(Fault::new("no leaves (a parent of other branches)"));
    };
    if b.leaves.len() > 1 {
        return Err(Fault::new("a leaf list"));
    }
    let plain = |element, shape| Interpretation {
        element,
        shape,
        leaf_list: None,
        vector: false,
    };
    // The leaf's title carries the range spec of a Double32_t/Float16_t (`x/d[0,1,8]`).
    let title_type = Some(if leaf.title.contains('[') {
        leaf.title.as_str()
    } else {
        b.title.as_str()
    });
    if let Some(code) = leaf.element_type {
        let el = b.element.as_ref();
        let class_name = el.map(|e| e.class_name.as_str()).unwrap_or("");
        let member = b.name.rsplit('.').next().unwrap_or(&b.name);
        let member = member.split('[').next().unwrap_or(member);
        let info = streamers.and_then(|s| s.element(class_name, member));
        if code == -1 || code == 300 || code == 500 {
            let type_name = if vector_inner(class_name).is_some() {
                class_name.to_string()
            } else if let Some(i) = info {
                i.type_name.clone()
            } else if el.is_some_and(|e| e.btype == 3 || e.btype == 4) {
                // The entry count of a split TClonesArray or collection.
                return Ok(plain(Element::I32, Shape::Scalar));
            } else {
                return Err(Fault::new(format!(
                    "object of class `{class_name}` (not a number, array or vector of numbers)"
                )));
            };
            if let Some(item) = super::nested::nested_inner(&type_name) {
                return Ok(Interpretation {
                    element: number_element(item?)
                        .map_err(|e| e.context(format!("`{type_name}` (a vector of vectors)")))?,
                    shape: Shape::Nested,
                    leaf_list: None,
                    vector: true,
                });
            }
            let element = vector_element(&type_name)?;
            return Ok(Interpretation {
                element,
                shape: Shape::Jagged {
                    header: 10,
                    inner: 1,
                },
                leaf_list: None,
                vector: true,
            });
        }
        let title = info.map(|i| i.title.as_str());
        let (base, kind) = match code {
            1..=19 => (code, 0),
            21..=39 => (code - 20, 1),
            41..=59 => (code - 40, 2),
            _ => {
                return Err(Fault::new(format!(
                    "streamer type {code} (an object or string member) is not a number"
                )))
            }
        };
        let element = code_element(base, title)?;
        let len = leaf.len.max(1) as usize;
        let in_collection = el.is_some_and(|e| e.btype == 31 || e.btype == 41);
        let shape = match (kind, leaf.count.is_some() || in_collection) {
            (2, _) => Shape::Jagged {
                header: 1,
                inner: 1,
            },
            (_, true) => Shape::Jagged {
                header: 0,
                inner: len,
            },
            (1, false) => Shape::Fixed(len),
            _ if len > 1 => Shape::Fixed(len),
            _ => Shape::Scalar,
        };
        return Ok(plain(element, shape));
    }
    let element = leaf_element(leaf, title_type)?;
    let len = leaf.len.max(1) as usize;
    let shape = if leaf.count.is_some() {
        Shape::Jagged {
            header: 0,
            inner: len,
        }
    } else if len > 1 {
        Shape::Fixed(len)
    } else {
        Shape::Scalar
    };
    Ok(plain(element, shape))
}

/// The interpretation of leaf `k` of a leaf-list branch.
pub(crate) fn leaf_list_interp(
    b: &BranchInfo,
    k: usize,
) -> std::result::Result<Interpretation, String> {
    let mut size = 0usize;
    let mut mine = None;
    let types: Vec<&str> = b.title.split(':').collect();
    for (i, leaf) in b.leaves.iter().enumerate() {
        if leaf.count.is_some() {
            return Err("a leaf list with a variable-length leaf".into());
        }
        let t = types
            .get(i)
            .and_then(|t| t.rsplit_once('/').map(|(_, ty)| ty));
        let el = leaf_element(leaf, t).map_err(|e| e.0)?;
        let n = leaf.len.max(1) as usize;
        if i == k {
            mine = Some((el, n, size));
        }
        size += el.size() * n;
    }
    let (element, n, offset) = mine.ok_or("leaf out of range")?;
    Ok(Interpretation {
        element,
        shape: if n > 1 {
            Shape::Fixed(n)
        } else {
            Shape::Scalar
        },
        leaf_list: Some((offset, size)),
        vector: false,
    })
}
