//! TTree, TBranch and TLeaf metadata, and the interpretation each branch gets.
//!
//! Each class is read member by member for the versions ROOT has written since 4.00
//! (TTree 5 and 16 to 20, TBranch 8 and 10 to 13, TBranchElement 8 to 10, TLeaf 2),
//! using the byte count every object carries: a newer version is read for the members
//! we know and the rest is skipped by its length, never refused. Branches are kept in one
//! flat list, parents before children, with their full names.

use std::sync::Arc;

use super::cursor::Header;
use super::file::{Key, RootFile};
use super::identify::{interpret, leaf_list_interp, needs_streamers};
use super::interp::Interpretation;
use super::members::{read_members, Member};
use super::objects::{Obj, ObjReader};
use super::{Fault, Res};
use crate::error::nearest_first;
use crate::{Error, Result};

/// Where one basket of a branch is.
#[derive(Debug, Clone)]
pub struct BasketLoc {
    /// First entry in the basket.
    pub first: u64,
    /// One past the last entry.
    pub stop: u64,
    /// Position of the basket's key in the file.
    pub seek: u64,
    /// Bytes on disk, key included.
    pub bytes: u32,
}

/// A basket stored inside the TTree object itself (the last, unflushed basket of a
/// tree written without a final flush).
#[derive(Debug, Clone)]
pub struct EmbeddedBasket {
    pub nevbuf: u32,
    /// Entry byte offsets (start of each entry), when entries differ in size.
    pub offsets: Option<Vec<u32>>,
    pub data: Vec<u8>,
}

/// One leaf of a branch.
#[derive(Debug, Clone)]
pub struct LeafInfo {
    pub class: String,
    pub name: String,
    pub title: String,
    /// Values per entry for fixed arrays (product of dimensions).
    pub len: i32,
    /// Bytes per value (fLenType).
    pub len_type: i32,
    pub offset: i32,
    pub unsigned: bool,
    /// Name of the count leaf for `x[n]` arrays.
    pub count: Option<String>,
    /// TLeafElement::fType: the streamer type code.
    pub element_type: Option<i32>,
}

/// One branch, with its baskets and interpretation.
#[derive(Debug, Clone)]
pub struct BranchInfo {
    /// Full name (`Muon_pt`, `event.muons.pt`).
    pub name: String,
    pub title: String,
    pub class: String,
    pub leaves: Vec<LeafInfo>,
    pub entries: u64,
    pub tot_bytes: u64,
    pub zip_bytes: u64,
    /// fEntryOffsetLen: 0 when baskets carry no entry offsets (then a jagged branch
    /// is split with its count leaf's values).
    pub entry_offset_len: i32,
    pub baskets: Vec<BasketLoc>,
    pub embedded: Vec<EmbeddedBasket>,
    /// Sub-branches (moved into the tree's flat list after parsing).
    pub children: Vec<BranchInfo>,
    /// TBranchElement members.
    pub element: Option<ElementBranch>,
    /// How to read it, or why it cannot be read.
    pub interpretation: std::result::Result<Interpretation, String>,
    /// Full name of the parent branch, for sub-branches.
    pub parent: Option<String>,
    /// For leaf lists: this column is leaf number `k` of branch `name` (and is named
    /// `name.leaf`).
    pub leaf_list_of: Option<String>,
}

/// The members TBranchElement adds.
#[derive(Debug, Clone)]
pub struct ElementBranch {
    pub class_name: String,
    pub parent_name: String,
    pub id: i32,
    pub btype: i32,
    pub streamer_type: i32,
}

/// A friend recorded with a tree when it was written (`TTree::AddFriend`, a
/// TFriendElement in the tree's fFriends). rootgrad does not follow it by itself: the
/// friend is named on the command line (`FILE:tree`, then the friend's `FILE:tree`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FriendInfo {
    /// The name its branches are reached by (`alias.branch`), the tree name if none.
    pub alias: String,
    /// The file, as recorded (often relative to the tree's file); empty if the friend
    /// was in the same file.
    pub file: String,
    /// The friend tree's name in its file.
    pub tree: String,
}

/// A tree's metadata, ready to read.
#[derive(Debug, Clone)]
pub struct Tree {
    pub file: Arc<RootFile>,
    /// Path of the tree inside the file (`dir/Events`).
    pub path: String,
    pub name: String,
    pub title: String,
    pub entries: u64,
    /// Class version of the TTree object (for `inspect`).
    pub version: i16,
    /// Every branch, parents before children; leaf lists appear once per leaf as well.
    pub branches: Vec<BranchInfo>,
    /// Friends recorded in the tree (fFriends), for `inspect`.
    pub friends: Vec<FriendInfo>,
    /// Baskets decompressed for one entry range that continue past it, kept for the
    /// next range (shared by the clones of this tree); see `read::decode_flat_basket`.
    pub partial: Arc<super::read::PartialBaskets>,
}

impl Tree {
    /// Reads the tree at `path` in `file` (`Events`, `dir/tree;2`).
    pub fn open(file: Arc<RootFile>, path: &str) -> Result<Tree> {
        Tree::open_inner(file, path, false)
    }

    /// Like [`Tree::open`], but reads the TTree and TBranch objects through the class
    /// layouts the file carries even for versions with a hand-written reader. The
    /// tests use it to check the path that reads versions without one.
    pub fn open_with_file_layouts(file: Arc<RootFile>, path: &str) -> Result<Tree> {
        Tree::open_inner(file, path, true)
    }

    fn open_inner(file: Arc<RootFile>, path: &str, force_layouts: bool) -> Result<Tree> {
        let key = file.key(path)?;
        if key.class != "TTree" && key.class != "TNtuple" && key.class != "TNtupleD" {
            return Err(Error::Usage(format!(
                "{}: `{path}` is a {}, not a TTree{}",
                file.path().display(),
                key.class,
                if key.class == "ROOT::RNTuple" || key.class == "ROOT::Experimental::RNTuple" {
                    " (an RNTuple: commands that read samples, `inspect` and `dump` accept it)"
                } else {
                    ""
                }
            )));
        }
        Tree::from_key(file.clone(), path, &key, force_layouts)
            .map_err(|e| e.context(format!("tree `{path}`")).at(file.path()))
    }

    fn from_key(file: Arc<RootFile>, path: &str, key: &Key, force_layouts: bool) -> Res<Tree> {
        let data = file.read_object(key)?;
        let mut r = ObjReader::new(&data, key.keylen as usize);
        r.file = Some(&file);
        r.force_layouts = force_layouts;
        let h = r.c.header()?;
        if key.class != "TTree" {
            // TNtuple(D) is a TTree followed by fNvar.
            let h2 = r.c.header()?;
            return parse_ttree(&mut r, h2, file.clone(), path);
        }
        parse_ttree(&mut r, h, file.clone(), path)
    }

    /// The branch called `name`, or an error listing the nearest names.
    pub fn branch(&self, name: &str) -> Result<&BranchInfo> {
        if let Some(b) = self.branches.iter().find(|b| b.name == name) {
            return Ok(b);
        }
        Err(Error::NotFound {
            path: self.file.path().to_path_buf(),
            what: format!("branch in tree `{}`", self.path),
            name: name.to_string(),
            available: nearest_first(name, self.branches.iter().map(|b| b.name.clone())),
        })
    }
}

fn parse_ttree(r: &mut ObjReader, h: Header, file: Arc<RootFile>, path: &str) -> Res<Tree> {
    let v = h.version;
    let known = v == 5 || (16..=20).contains(&v);
    let (name, title, entries, top, friends) =
        match file_layout(r, "TTree", v).filter(|_| !known || r.force_layouts) {
            Some(layout) => ttree_from_layout(r, &layout)?,
            None if known || v > 20 => ttree_by_hand(r, v)?,
            None => {
                return Err(Fault::new(format!(
                "TTree class version {v} is not known here and the file carries no layout for it"
            )))
            }
        };
    if !(0.0..=1e15).contains(&entries) {
        return Err(Fault::new(format!("corrupt entry count {entries}")));
    }
    // fLeaves, fAliases, fIndex..., fFriends and the rest are not needed: skip them.
    if h.end.is_some() {
        r.c.skip_to_end(&h, "TTree")?;
    }
    let mut branches = Vec::new();
    for o in top {
        if let Obj::Branch(b) = o {
            flatten(*b, None, &mut branches);
        }
    }
    let streamers = if branches.iter().any(needs_streamers) {
        Some(file.streamers())
    } else {
        None
    };
    let mut out = Vec::with_capacity(branches.len());
    for mut b in branches {
        b.interpretation = interpret(&b, streamers.as_deref());
        if b.leaves.len() > 1 {
            // A leaf list: the branch itself, then one column per leaf (`branch.leaf`).
            let cols: Vec<BranchInfo> = (0..b.leaves.len())
                .map(|k| {
                    let mut col = b.clone();
                    col.name = format!("{}.{}", b.name, b.leaves[k].name);
                    col.parent = Some(b.name.clone());
                    col.leaf_list_of = Some(b.name.clone());
                    col.interpretation = leaf_list_interp(&b, k);
                    col
                })
                .collect();
            b.interpretation = Err("a leaf list: read its leaves as `branch.leaf`".into());
            out.push(b);
            out.extend(cols);
        } else {
            out.push(b);
        }
    }
    Ok(Tree {
        file,
        path: path.to_string(),
        name,
        title,
        entries: entries as u64,
        version: v,
        branches: out,
        friends,
        partial: Arc::default(),
    })
}

type TreeMembers = (String, String, f64, Vec<Obj>, Vec<FriendInfo>);

/// TTree 5 (ROOT 4) and 16 to 20 (ROOT 5.2x to 6.38), member by member up to the
/// branch list; newer versions are read as 20.
fn ttree_by_hand(r: &mut ObjReader, v: i16) -> Res<TreeMembers> {
    let (name, title) = r.c.tnamed()?;
    r.c.skip_object("TAttLine")?;
    r.c.skip_object("TAttFill")?;
    r.c.skip_object("TAttMarker")?;
    let c = &mut r.c;
    let entries: f64;
    if v <= 5 {
        entries = c.f64()?;
        c.skip(8 * 3 + 4 * 7)?;
    } else {
        entries = c.i64()? as f64;
        c.skip(8 * 3)?; // fTotBytes, fZipBytes, fSavedBytes
        if v >= 18 {
            c.skip(8)?; // fFlushedBytes
        }
        c.skip(8 + 4 * 3)?; // fWeight, fTimerInterval, fScanField, fUpdate
        if v >= 17 {
            c.skip(4)?; // fDefaultEntryOffsetLen
        }
        let nclusters = if v >= 19 { c.i32()? } else { 0 };
        c.skip(8 * 4)?; // fMaxEntries, fMaxEntryLoop, fMaxVirtualSize, fAutoSave
        if v >= 18 {
            c.skip(8)?; // fAutoFlush
        }
        c.skip(8)?; // fEstimate
        if v >= 19 {
            let n = nclusters.max(0) as usize;
            c.fast_array(n, |c| c.i64())?;
            c.fast_array(n, |c| c.i64())?;
        }
        if v >= 20 {
            c.skip_object("TIOFeatures")?;
        }
    }
    let top = r.obj_array()?;
    let friends = if v >= 16 {
        // Best effort: a tree whose later members do not parse still reads.
        let at = r.c.pos();
        friends_after_branches(r).unwrap_or_else(|_| {
            let _ = r.c.seek(at);
            Vec::new()
        })
    } else {
        Vec::new()
    };
    Ok((name, title, entries, top, friends))
}

/// TTree's members after fBranches, up to fFriends: fLeaves, fAliases, fIndexValues,
/// fIndex, fTreeIndex, then the TList of TFriendElements.
fn friends_after_branches(r: &mut ObjReader) -> Res<Vec<FriendInfo>> {
    r.obj_array()?; // fLeaves
    r.object_any()?; // fAliases
    let n = r.c.i32()?.max(0) as usize; // fIndexValues (TArrayD)
    r.c.skip(n.saturating_mul(8))?;
    let n = r.c.i32()?.max(0) as usize; // fIndex (TArrayI)
    r.c.skip(n.saturating_mul(4))?;
    r.object_any()?; // fTreeIndex
    Ok(match r.object_any()? {
        Obj::Array(items) => items
            .into_iter()
            .filter_map(|o| match o {
                Obj::Friend(f) => Some(*f),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    })
}

/// TTree read through the file's streamer info for its version.
fn ttree_from_layout(r: &mut ObjReader, layout: &super::objects::ClassLayout) -> Res<TreeMembers> {
    let (mut name, mut title, mut entries, mut top) =
        (String::new(), String::new(), -1.0, Vec::new());
    read_members(r, layout, "fBranches", |k, m| match (k, m) {
        ("fName", Member::Str(s)) => name = s,
        ("fTitle", Member::Str(s)) => title = s,
        ("fEntries", m) => entries = m.number().unwrap_or(-1.0),
        ("fBranches", Member::Objects(o)) => top = o,
        _ => {}
    })?;
    Ok((name, title, entries, top, Vec::new()))
}

fn flatten(mut b: BranchInfo, parent: Option<String>, out: &mut Vec<BranchInfo>) {
    let children = std::mem::take(&mut b.children);
    b.parent = parent;
    let me = b.name.clone();
    out.push(b);
    for c in children {
        flatten(c, Some(me.clone()), out);
    }
}

/// Reads a TBranch or subclass (the class tag is already read).
pub fn parse_branch(r: &mut ObjReader, class: &str) -> Res<BranchInfo> {
    let outer = r.c.header()?;
    let mut b = if class == "TBranch" {
        parse_tbranch(r, outer)?
    } else {
        let inner = r.c.header()?;
        let mut b = parse_tbranch(r, inner)?;
        if inner.end.is_some() {
            r.c.skip_to_end(&inner, "TBranch")?;
        }
        if class == "TBranchElement" {
            let class_name = r.c.tstring()?;
            let parent_name = r.c.tstring()?;
            let _clones = r.c.tstring()?;
            let _checksum = r.c.u32()?;
            if outer.version >= 10 {
                r.c.i16()?;
            } else {
                r.c.i32()?;
            }
            let id = r.c.i32()?;
            let btype = r.c.i32()?;
            let streamer_type = r.c.i32()?;
            b.element = Some(ElementBranch {
                class_name,
                parent_name,
                id,
                btype,
                streamer_type,
            });
        }
        b
    };
    b.class = class.to_string();
    if outer.end.is_some() {
        r.c.skip_to_end(&outer, class)?;
    }
    Ok(b)
}

/// TBranch's members as read, before they are checked and turned into a
/// [`BranchInfo`].
#[derive(Default)]
struct RawBranch {
    name: String,
    title: String,
    entry_offset_len: i64,
    write_basket: i64,
    max_baskets: i64,
    entries: f64,
    tot: f64,
    zip: f64,
    children: Vec<Obj>,
    leaves: Vec<Obj>,
    baskets: Vec<Obj>,
    bytes: Vec<i64>,
    starts: Vec<i64>,
    seeks: Vec<i64>,
}

/// The file's own layout of `class` at `version`, when the reader has the file.
fn file_layout(r: &ObjReader, class: &str, version: i16) -> Option<super::objects::ClassLayout> {
    r.file
        .and_then(|f| f.streamers().layout(class, version).cloned())
}

fn parse_tbranch(r: &mut ObjReader, h: Header) -> Res<BranchInfo> {
    let v = h.version;
    let known = v == 8 || (10..=13).contains(&v);
    let raw = match file_layout(r, "TBranch", v).filter(|_| !known || r.force_layouts) {
        Some(layout) => tbranch_from_layout(r, &layout)?,
        None if known || v > 13 => tbranch_by_hand(r, v)?,
        None => {
            return Err(Fault::new(format!(
                "TBranch class version {v} is not known here and the file carries no layout for it"
            )))
        }
    };
    finish_branch(raw)
}

/// TBranch 8 (ROOT 4) and 10 to 13 (ROOT 5.2x to 6.38), member by member; newer
/// versions are read as 13.
fn tbranch_by_hand(r: &mut ObjReader, v: i16) -> Res<RawBranch> {
    let mut b = RawBranch::default();
    (b.name, b.title) = r.c.tnamed()?;
    r.c.skip_object("TAttFill")?;
    let c = &mut r.c;
    let _compress = c.i32()?;
    let _basket_size = c.i32()?;
    b.entry_offset_len = c.i32()? as i64;
    b.write_basket = c.i32()? as i64;
    if v == 8 {
        c.skip(4 * 2)?; // fEntryNumber, fOffset
        b.max_baskets = c.i32()? as i64;
        c.skip(4)?; // fSplitLevel
        b.entries = c.f64()?;
        b.tot = c.f64()?;
        b.zip = c.f64()?;
    } else {
        c.skip(8)?; // fEntryNumber
        if v >= 13 {
            c.skip_object("TIOFeatures")?;
        }
        c.skip(4)?; // fOffset
        b.max_baskets = c.i32()? as i64;
        c.skip(4)?; // fSplitLevel
        b.entries = c.i64()? as f64;
        if v >= 11 {
            c.skip(8)?; // fFirstEntry
        }
        b.tot = c.i64()? as f64;
        b.zip = c.i64()? as f64;
    }
    if b.max_baskets < 0 || b.max_baskets as usize > r.c.remaining() {
        return Err(Fault::new(format!(
            "branch `{}`: corrupt basket count {}",
            b.name, b.max_baskets
        )));
    }
    b.children = r.obj_array()?;
    b.leaves = r.obj_array()?;
    b.baskets = r.obj_array()?;
    let n = b.max_baskets as usize;
    let c = &mut r.c;
    b.bytes = c.fast_array(n, |c| c.i32().map(|x| x as i64))?;
    b.starts = if v == 8 {
        c.fast_array(n, |c| c.i32().map(|x| x as i64))?
    } else {
        c.fast_array(n, |c| c.i64())?
    };
    let flag = c.u8()?;
    b.seeks = if flag == 0 {
        Vec::new()
    } else if flag == 2 || v >= 10 {
        // 64-bit seeks from TBranch 10 on; ROOT 4's TBranch 8 flags them with 2.
        c.counted(n, |c| c.i64())?
    } else {
        c.counted(n, |c| c.i32().map(|x| x as i64))?
    };
    let _file_name = c.tstring()?;
    Ok(b)
}

/// TBranch read through the file's streamer info for its version.
fn tbranch_from_layout(r: &mut ObjReader, layout: &super::objects::ClassLayout) -> Res<RawBranch> {
    let mut b = RawBranch::default();
    read_members(r, layout, "fBasketSeek", |k, m| {
        let num = m.number();
        match (k, m) {
            ("fName", Member::Str(s)) => b.name = s,
            ("fTitle", Member::Str(s)) => b.title = s,
            ("fEntryOffsetLen", _) => b.entry_offset_len = num.unwrap_or(0.0) as i64,
            ("fWriteBasket", _) => b.write_basket = num.unwrap_or(0.0) as i64,
            ("fMaxBaskets", _) => b.max_baskets = num.unwrap_or(0.0) as i64,
            ("fEntries", _) => b.entries = num.unwrap_or(-1.0),
            ("fTotBytes", _) => b.tot = num.unwrap_or(0.0),
            ("fZipBytes", _) => b.zip = num.unwrap_or(0.0),
            ("fBranches", Member::Objects(o)) => b.children = o,
            ("fLeaves", Member::Objects(o)) => b.leaves = o,
            ("fBaskets", Member::Objects(o)) => b.baskets = o,
            ("fBasketBytes", Member::Ints(v)) => b.bytes = v,
            ("fBasketEntry", Member::Ints(v)) => b.starts = v,
            ("fBasketSeek", Member::Ints(v)) => b.seeks = v,
            _ => {}
        }
    })?;
    Ok(b)
}

/// Checks a branch's tables and builds its basket list.
fn finish_branch(raw: RawBranch) -> Res<BranchInfo> {
    let RawBranch {
        name,
        title,
        children,
        leaves,
        baskets: basket_objs,
        ..
    } = raw;
    let (entries, write_basket) = (raw.entries, raw.write_basket);
    if !(0.0..=1e15).contains(&entries)
        || raw.max_baskets < 0
        || write_basket < 0
        || write_basket > raw.max_baskets
    {
        return Err(Fault::new(format!(
            "branch `{name}`: corrupt counts (entries {entries}, baskets {write_basket}/{})",
            raw.max_baskets
        )));
    }
    let children = children.into_iter().filter_map(|o| match o {
        Obj::Branch(b) => Some(*b),
        _ => None,
    });
    // A leaf seen before (as another leaf's count) arrives as a reference.
    let leaves = leaves.into_iter().filter_map(|o| match o {
        Obj::Leaf(l) | Obj::LeafRef(l) => Some(*l),
        _ => None,
    });
    let embedded: Vec<EmbeddedBasket> = basket_objs
        .into_iter()
        .filter_map(|o| match o {
            Obj::Basket(b) if b.nevbuf > 0 => Some(*b),
            _ => None,
        })
        .collect();
    let entries = entries as u64;
    let nb = write_basket as usize;
    let (bytes, starts, seeks) = (&raw.bytes, &raw.starts, &raw.seeks);
    if bytes.len() < nb || starts.len() < nb || seeks.len() < nb {
        return Err(Fault::new(format!(
            "branch `{name}`: basket tables shorter than its {nb} baskets"
        )));
    }
    let mut baskets = Vec::with_capacity(nb);
    for i in 0..nb {
        let first = starts[i];
        let stop = if i + 1 < nb {
            starts[i + 1]
        } else if embedded.is_empty() {
            entries as i64
        } else {
            starts.get(i + 1).copied().unwrap_or(entries as i64)
        };
        if first < 0 || stop < first || seeks[i] <= 0 || bytes[i] <= 0 || bytes[i] > u32::MAX as i64
        {
            return Err(Fault::new(format!(
                "branch `{name}`: basket {i} has a corrupt location (entries {first}..{stop}, seek {}, {} bytes)",
                seeks[i], bytes[i]
            )));
        }
        baskets.push(BasketLoc {
            first: first as u64,
            stop: stop as u64,
            seek: seeks[i] as u64,
            bytes: bytes[i] as u32,
        });
    }
    Ok(BranchInfo {
        name,
        title,
        class: "TBranch".into(),
        leaves: leaves.collect(),
        entries,
        tot_bytes: raw.tot.max(0.0) as u64,
        zip_bytes: raw.zip.max(0.0) as u64,
        entry_offset_len: raw.entry_offset_len.clamp(0, i32::MAX as i64) as i32,
        baskets,
        embedded,
        children: children.collect(),
        element: None,
        interpretation: Err(String::new()),
        parent: None,
        leaf_list_of: None,
    })
}

/// Reads a TLeaf subclass (the class tag is already read).
pub fn parse_leaf(r: &mut ObjReader, class: &str) -> Res<LeafInfo> {
    let outer = r.c.header()?;
    let inner = r.c.header()?;
    let (name, title) = r.c.tnamed()?;
    let len = r.c.i32()?;
    let len_type = r.c.i32()?;
    let offset = r.c.i32()?;
    let _is_range = r.c.u8()?;
    let unsigned = r.c.u8()? != 0;
    let count = match r.object_any()? {
        Obj::Leaf(l) => Some(l.name.clone()),
        Obj::LeafRef(l) => Some(l.name.clone()),
        _ => None,
    };
    if inner.end.is_some() {
        r.c.skip_to_end(&inner, "TLeaf")?;
    }
    let element_type = if class == "TLeafElement" {
        let _id = r.c.i32()?;
        Some(r.c.i32()?)
    } else {
        None
    };
    if outer.end.is_some() {
        r.c.skip_to_end(&outer, class)?;
    }
    Ok(LeafInfo {
        class: class.to_string(),
        name,
        title,
        len,
        len_type,
        offset,
        unsigned,
        count,
        element_type,
    })
}

/// Reads a TBasket stored inside its branch (key header, basket header, offsets, data).
pub fn parse_basket_embedded(r: &mut ObjReader) -> Res<EmbeddedBasket> {
    let c = &mut r.c;
    let start = c.pos();
    let _nbytes = c.i32()?;
    let _version = c.i16()?;
    let _objlen = c.i32()?;
    let _datime = c.u32()?;
    let keylen = c.i16()?;
    if keylen < 19 {
        return Err(Fault::new(format!(
            "embedded basket with key length {keylen}"
        )));
    }
    c.seek(start + keylen as usize - 19)?;
    let _bversion = c.u16()?;
    let _buffer_size = c.i32()?;
    let nevbuf_size = c.i32()?;
    let nevbuf = c.i32()?;
    let last = c.i32()?;
    let _flag = c.u8()?;
    if nevbuf < 0 || last < keylen as i32 {
        return Err(Fault::new(format!(
            "embedded basket: corrupt header (entries {nevbuf}, fLast {last})"
        )));
    }
    let border = (last - keylen as i32) as usize;
    let mut offsets = None;
    if (nevbuf_size as i64) * (nevbuf as i64) + keylen as i64 != last as i64 {
        let _n = c.i32()?;
        let offs = c.counted(nevbuf as usize, |c| c.i32())?;
        offsets = Some(
            offs.into_iter()
                .map(|o| (o as i64 - keylen as i64).clamp(0, u32::MAX as i64) as u32)
                .collect(),
        );
    }
    c.skip(keylen as usize)?;
    let data = c.take(border)?.to_vec();
    Ok(EmbeddedBasket {
        nevbuf: nevbuf as u32,
        offsets,
        data,
    })
}
