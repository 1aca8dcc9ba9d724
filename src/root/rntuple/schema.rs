//! From the field tree to readable leaves: every numeric value a user can name, with
//! how its values divide into entries, and every field that is not read with the reason.
//!
//! A leaf is named by its field path joined with `.` (`muon.pt`). Records (structs,
//! pairs, tuples) pass their members through; base classes (`:_0`) add their members
//! to the derived record; `std::array<T, N>` multiplies the values per entry by N;
//! one collection (`std::vector`, `ROOT::RVec`, sets, `std::optional`) makes a leaf
//! jagged; a collection inside it, or an array inside it, makes it nested (a list of
//! lists per entry: `std::vector<std::vector<T>>`, `std::vector<std::array<T, N>>`). The child `_0` of a collection, array, atomic or enum takes the parent's
//! name; the members `_0`, `_1` of a pair or tuple are named `0`, `1`.

use super::columns::{Kind, Target};
use super::meta::Schema;

/// A numeric value of the ntuple, ready to read.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    pub name: String,
    /// The field whose columns hold the values.
    pub field: u32,
    pub type_name: String,
    /// Values per entry (no collection) or per collection element.
    pub width: usize,
    /// The collection field whose offsets make the leaf jagged.
    pub collection: Option<u32>,
    /// For a collection inside that collection (`std::vector<std::vector<T>>`), the
    /// inner collection field, whose offsets divide the values into inner lists.
    pub inner: Option<u32>,
    pub target: Target,
}

impl Leaf {
    /// Whether each entry is a list of lists: a collection of collections, or of
    /// fixed-size arrays (`std::vector<std::array<T, N>>`, inner lists of N values).
    pub fn is_nested(&self) -> bool {
        self.collection.is_some() && (self.inner.is_some() || self.width > 1)
    }
}

/// The collections a field is inside: none, one (jagged) or two (nested).
#[derive(Debug, Clone, Copy, Default)]
struct Within {
    outer: Option<u32>,
    inner: Option<u32>,
}

/// The physical columns of a field, one per representation (the first column of each).
pub fn columns_of(s: &Schema, field: u32) -> Vec<u32> {
    let mut out: Vec<(u16, u32)> = Vec::new();
    for (i, c) in s.columns.iter().enumerate() {
        if c.field == field && !out.iter().any(|(r, _)| *r == c.repr) {
            out.push((c.repr, i as u32));
        }
    }
    out.sort();
    out.into_iter().map(|(_, i)| i).collect()
}

/// The leaves of a schema and the fields that are not read, with the reason.
pub fn leaves(s: &Schema) -> (Vec<Leaf>, Vec<(String, String)>) {
    let mut kids: Vec<Vec<u32>> = vec![Vec::new(); s.fields.len()];
    let mut tops = Vec::new();
    for (i, f) in s.fields.iter().enumerate() {
        let i = i as u32;
        if f.parent == i {
            tops.push(i);
        } else if let Some(k) = kids.get_mut(f.parent as usize) {
            k.push(i);
        }
    }
    let mut w = Walk {
        s,
        kids,
        leaves: Vec::new(),
        skipped: Vec::new(),
        depth: 0,
    };
    for t in tops {
        let f = &s.fields[t as usize];
        if f.projected {
            continue;
        }
        w.visit(t, f.name.clone(), 1, Within::default());
    }
    (w.leaves, w.skipped)
}

struct Walk<'a> {
    s: &'a Schema,
    kids: Vec<Vec<u32>>,
    leaves: Vec<Leaf>,
    skipped: Vec<(String, String)>,
    depth: usize,
}

fn numeric_type(t: &str) -> Option<Target> {
    match t {
        "float" => Some(Target::Float),
        "double" => Some(Target::Double),
        "bool" | "char" | "std::int8_t" | "std::uint8_t" | "std::int16_t" | "std::uint16_t"
        | "std::int32_t" | "std::uint32_t" | "std::int64_t" | "std::uint64_t" | "std::byte" => {
            Some(Target::Other)
        }
        _ => None,
    }
}

impl Walk<'_> {
    fn skip(&mut self, name: &str, why: impl Into<String>) {
        self.skipped.push((name.to_string(), why.into()));
    }

    fn visit(&mut self, id: u32, name: String, width: usize, coll: Within) {
        self.depth += 1;
        if self.depth > 64 {
            self.skip(&name, "fields nest deeper than 64 levels");
        } else {
            self.visit_inner(id, name, width, coll);
        }
        self.depth -= 1;
    }

    fn visit_inner(&mut self, id: u32, name: String, width: usize, coll: Within) {
        let f = &self.s.fields[id as usize];
        let kids = self.kids[id as usize].clone();
        let cols = columns_of(self.s, id);
        let t = f.type_name.as_str();
        if t == "std::string" {
            return self.skip(&name, "a string");
        }
        match f.role {
            4 => return self.skip(&name, format!("`{t}` is stored by the ROOT streamer")),
            3 => return self.skip(&name, format!("`{t}` is a variant")),
            1 => {
                if coll.inner.is_some() {
                    return self.skip(
                        &name,
                        format!(
                            "`{t}` is a collection inside a collection inside a collection; \
                             rootgrad reads two levels (a vector of vectors)"
                        ),
                    );
                }
                if width != 1 {
                    return self.skip(&name, format!("`{t}` is a collection inside an array"));
                }
                if cols.is_empty() {
                    return self.skip(&name, format!("`{t}` has no offset column"));
                }
                let within = match coll.outer {
                    None => Within {
                        outer: Some(id),
                        inner: None,
                    },
                    Some(outer) => Within {
                        outer: Some(outer),
                        inner: Some(id),
                    },
                };
                for k in kids {
                    let kn = self.child_name(&name, k, true);
                    self.visit(k, kn, 1, within);
                }
                return;
            }
            2 => {
                if kids.is_empty() {
                    return self.skip(&name, format!("`{t}` is an empty record"));
                }
                let mut from_bases = Vec::new();
                let first = self.leaves.len();
                for k in kids {
                    let kn = self.child_name(&name, k, false);
                    let before = self.leaves.len();
                    self.visit(k, kn, width, coll);
                    let kf = &self.s.fields[k as usize];
                    if kf.name.starts_with(":_") {
                        from_bases.push((before..self.leaves.len(), kf.type_name.clone()));
                    }
                }
                self.qualify_clashes(&name, first, &from_bases);
                return;
            }
            _ => {}
        }
        let repeat = f.repeat.map(|n| n as usize);
        if cols.is_empty() {
            if kids.is_empty() {
                return self.skip(&name, format!("`{t}` stores no values"));
            }
            let w = match repeat {
                Some(0) => return self.skip(&name, format!("`{t}` has size 0")),
                Some(n) => width.saturating_mul(n),
                None => width,
            };
            for k in kids {
                let kn = self.child_name(&name, k, true);
                self.visit(k, kn, w, coll);
            }
            return;
        }
        let bitset = t.starts_with("std::bitset<");
        let Some(target) = numeric_type(t).or(bitset.then_some(Target::Other)) else {
            return self.skip(&name, format!("`{t}` is not a number"));
        };
        for c in &cols {
            if let Err(why) = Kind::of(&self.s.columns[*c as usize]) {
                return self.skip(&name, why);
            }
        }
        self.leaves.push(Leaf {
            name,
            field: id,
            type_name: if f.alias.is_empty() {
                t.to_string()
            } else {
                f.alias.clone()
            },
            width: width.saturating_mul(repeat.unwrap_or(1).max(1)),
            collection: coll.outer,
            inner: coll.inner,
            target,
        });
    }

    /// Two base classes of one record that bring members of the same name (both derive
    /// from one class): those members are named `record.Base::member`.
    fn qualify_clashes(
        &mut self,
        record: &str,
        first: usize,
        from_bases: &[(std::ops::Range<usize>, String)],
    ) {
        let prefix = format!("{record}.");
        let mut renames = Vec::new();
        for (range, base) in from_bases {
            for i in range.clone() {
                let n = &self.leaves[i].name;
                let clashes = self.leaves[first..]
                    .iter()
                    .enumerate()
                    .any(|(j, l)| j + first != i && l.name == *n);
                if let (true, Some(rest)) = (clashes, n.strip_prefix(&prefix)) {
                    renames.push((i, format!("{prefix}{base}::{rest}")));
                }
            }
        }
        for (i, n) in renames {
            self.leaves[i].name = n;
        }
    }

    /// The name of child `k` of the field named `parent`: `_0` of a collection, array,
    /// atomic or enum takes the parent's name; a base class (`:_0`) passes its members
    /// up; `_N` of a record becomes `N`.
    fn child_name(&self, parent: &str, k: u32, container: bool) -> String {
        let n = self.s.fields[k as usize].name.as_str();
        if container && n == "_0" {
            return parent.to_string();
        }
        if n.starts_with(":_") {
            return parent.to_string();
        }
        match n.strip_prefix('_') {
            Some(d) if !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()) => {
                format!("{parent}.{d}")
            }
            _ => format!("{parent}.{n}"),
        }
    }
}
