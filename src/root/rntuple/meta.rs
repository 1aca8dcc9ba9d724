//! The metadata envelopes: the header (fields and columns), the footer (schema
//! extension, cluster groups) and the page lists (clusters and where their pages are).

use super::super::file::RootFile;
use super::super::{Fault, Res};
use super::envelope::{read_envelope, Anchor, Locator, Rd, MAX_ENVELOPE};

/// One field of the schema.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDesc {
    pub name: String,
    pub type_name: String,
    pub alias: String,
    pub parent: u32,
    /// 0 leaf, 1 collection, 2 record, 3 variant, 4 streamer.
    pub role: u16,
    /// `std::array` size or bitset size (repetitive field), else `None`.
    pub repeat: Option<u64>,
    /// A projected field (its columns are aliases of another field's).
    pub projected: bool,
}

/// One physical column.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDesc {
    pub kind: u16,
    pub bits: u16,
    pub field: u32,
    pub repr: u16,
    /// First element of a column added late (deferred), negative if also suppressed.
    pub first_element: i64,
    /// Value range (Real32Quant).
    pub range: Option<(f64, f64)>,
}

/// The schema: fields and physical columns, header and extension together.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub name: String,
    pub description: String,
    pub writer: String,
    pub fields: Vec<FieldDesc>,
    pub columns: Vec<ColumnDesc>,
    /// Fields added after the header was written (in the footer's extension).
    pub extension_fields: usize,
}

/// Where one page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub elements: u32,
    pub checksum: bool,
    pub at: Locator,
}

/// One column in one cluster.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ColumnRange {
    pub suppressed: bool,
    /// Index of the cluster's first element in the whole column.
    pub first: u64,
    pub compression: u32,
    pub pages: Vec<Page>,
}

impl ColumnRange {
    /// Elements stored in this cluster.
    pub fn elements(&self) -> u64 {
        self.pages.iter().map(|p| p.elements as u64).sum()
    }
}

/// One cluster: an entry range and, per physical column, its pages (columns the page
/// list does not mention have none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub first: u64,
    pub entries: u64,
    pub columns: Vec<ColumnRange>,
}

/// Reads the header envelope; returns the schema and the header checksum.
pub fn read_header(file: &RootFile, a: &Anchor) -> Res<(Schema, u64)> {
    let at = Locator {
        offset: a.seek_header,
        size: a.nbytes_header,
    };
    let (bytes, sum) = read_envelope(file, at, a.len_header, 1)?;
    let mut r = Rd::new(&bytes);
    r.features()?;
    let mut s = Schema {
        name: r.string()?,
        description: r.string()?,
        writer: r.string()?,
        ..Schema::default()
    };
    read_schema(&mut r, &mut s)?;
    Ok((s, sum))
}

/// The four lists of a schema description, appended to `s`.
fn read_schema(r: &mut Rd, s: &mut Schema) -> Res<()> {
    let (mut fl, n) = r.list(8)?;
    for i in 0..n {
        let f =
            read_field(&mut fl.record()?).map_err(|e| e.context(format!("field record {i}")))?;
        s.fields.push(f);
    }
    let (mut cl, n) = r.list(8)?;
    for i in 0..n {
        let c =
            read_column(&mut cl.record()?).map_err(|e| e.context(format!("column record {i}")))?;
        s.columns.push(c);
    }
    // Alias columns (of projected fields) and extra type information are not needed to
    // read values: their frames are skipped by size.
    if r.left() > 0 {
        r.list(8)?;
    }
    if r.left() > 0 {
        r.list(8)?;
    }
    Ok(())
}

fn read_field(r: &mut Rd) -> Res<FieldDesc> {
    let _field_version = r.u32()?;
    let _type_version = r.u32()?;
    let parent = r.u32()?;
    let role = r.u16()?;
    let flags = r.u16()?;
    let name = r.string()?;
    let type_name = r.string()?;
    let alias = r.string()?;
    let _description = r.string()?;
    let repeat = if flags & 1 != 0 { Some(r.u64()?) } else { None };
    if flags & 2 != 0 {
        r.u32()?;
    }
    Ok(FieldDesc {
        name,
        type_name,
        alias,
        parent,
        role,
        repeat,
        projected: flags & 2 != 0,
    })
}

fn read_column(r: &mut Rd) -> Res<ColumnDesc> {
    let kind = r.u16()?;
    let bits = r.u16()?;
    let field = r.u32()?;
    let flags = r.u16()?;
    let repr = r.u16()?;
    let first_element = if flags & 1 != 0 { r.i64()? } else { 0 };
    let range = if flags & 2 != 0 {
        Some((r.f64()?, r.f64()?))
    } else {
        None
    };
    Ok(ColumnDesc {
        kind,
        bits,
        field,
        repr,
        first_element,
        range,
    })
}

/// A cluster group: its entry range and where its page list is.
#[derive(Debug, Clone, Copy)]
pub struct Group {
    pub first: u64,
    pub span: u64,
    pub clusters: u32,
    pub len: u64,
    pub at: Locator,
}

/// Reads the footer: adds the schema extension to `s`, returns the cluster groups.
pub fn read_footer(file: &RootFile, a: &Anchor, s: &mut Schema, hsum: u64) -> Res<Vec<Group>> {
    let at = Locator {
        offset: a.seek_footer,
        size: a.nbytes_footer,
    };
    let (bytes, _) = read_envelope(file, at, a.len_footer, 2)?;
    let mut r = Rd::new(&bytes);
    r.features()?;
    if r.u64()? != hsum {
        return Err(Fault::new(
            "the footer belongs to another header (header checksum differs)",
        ));
    }
    let mut ext = r.record()?;
    let before = s.fields.len();
    if ext.left() > 0 {
        read_schema(&mut ext, s).map_err(|e| e.context("schema extension"))?;
    }
    s.extension_fields = s.fields.len() - before;
    let (mut gl, n) = r.list(8)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let mut g = gl.record()?;
        let first = g.u64()?;
        let span = g.u64()?;
        let clusters = g.u32()?;
        let (len, at) = g.link()?;
        out.push(Group {
            first,
            span,
            clusters,
            len,
            at,
        });
    }
    Ok(out)
}

/// Reads the page list of one cluster group.
pub fn read_page_list(file: &RootFile, g: &Group, hsum: u64, ncols: usize) -> Res<Vec<Cluster>> {
    if g.len > MAX_ENVELOPE {
        return Err(Fault::new(format!(
            "a page list of {} bytes: impossible",
            g.len
        )));
    }
    let (bytes, _) = read_envelope(file, g.at, g.len, 3)?;
    let mut r = Rd::new(&bytes);
    if r.u64()? != hsum {
        return Err(Fault::new(
            "a page list belongs to another header (header checksum differs)",
        ));
    }
    let (mut sl, n) = r.list(8)?;
    let mut clusters = Vec::with_capacity(n);
    for _ in 0..n {
        let mut c = sl.record()?;
        let first = c.u64()?;
        let word = c.u64()?;
        if (word >> 56) & 1 != 0 {
            return Err(Fault::new(
                "a sharded cluster (a feature of a later format) cannot be read",
            ));
        }
        clusters.push(Cluster {
            first,
            entries: word & ((1 << 56) - 1),
            columns: Vec::new(),
        });
    }
    let (mut top, m) = r.list(8)?;
    if m != n {
        return Err(Fault::new(format!(
            "the page list describes {n} clusters but has pages for {m}"
        )));
    }
    for cl in clusters.iter_mut() {
        let (mut cols, k) = top.list(8)?;
        if k > ncols {
            return Err(Fault::new(format!(
                "a cluster has pages for {k} columns, the schema has {ncols}"
            )));
        }
        for _ in 0..k {
            let (mut pl, np) = cols.list(16)?;
            let mut pages = Vec::with_capacity(np);
            for _ in 0..np {
                let e = pl.i32()?;
                let at = pl.locator()?;
                pages.push(Page {
                    elements: e.unsigned_abs(),
                    checksum: e < 0,
                    at,
                });
            }
            let off = pl.i64()?;
            let suppressed = off < 0;
            let compression = if suppressed { 0 } else { pl.u32()? };
            cl.columns.push(ColumnRange {
                suppressed,
                first: off.unsigned_abs(),
                compression,
                pages,
            });
        }
    }
    Ok(clusters)
}
