//! ROOT's object serialisation: object pointers with class tags and back-references,
//! TObjArray and TList, and the streamer infos (class layouts) a file carries.
//!
//! [`ObjReader`] keeps the two reference maps ROOT's TBufferFile keeps: classes by the
//! buffer position of their first appearance, and objects by theirs, so a later pointer
//! to the same object (a leaf's count leaf, say) resolves to what was read before.
//! Objects of classes this reader does not need are skipped by their byte count.

use std::collections::HashMap;

use super::cursor::{Cursor, CLASS_MASK, MAP_OFFSET, NEW_CLASS_TAG};
use super::tree::{
    parse_basket_embedded, parse_branch, parse_leaf, BranchInfo, EmbeddedBasket, LeafInfo,
};
use super::{Fault, Res};

/// Objects nest at most this deep (corrupt data cannot recurse forever).
const MAX_DEPTH: u32 = 200;

/// What an object pointer turned out to hold.
#[derive(Debug, Clone)]
pub enum Obj {
    Null,
    Branch(Box<BranchInfo>),
    Leaf(Box<LeafInfo>),
    Basket(Box<EmbeddedBasket>),
    StreamerInfo(Box<ClassLayout>),
    Element(Box<ElementInfo>),
    Array(Vec<Obj>),
    /// A previously read leaf.
    LeafRef(Box<LeafInfo>),
    /// A TFriendElement: a friend recorded with a tree (`TTree::AddFriend`).
    Friend(Box<super::tree::FriendInfo>),
    /// Any other class, skipped.
    Other(String),
}

/// A reader of serialised objects over one record.
pub struct ObjReader<'a> {
    pub c: Cursor<'a>,
    classes: HashMap<i64, String>,
    leaves: HashMap<i64, LeafInfo>,
    depth: u32,
    /// The file, for its streamer infos when a class version has no hand-written
    /// reader.
    pub file: Option<&'a super::RootFile>,
    /// Read every TTree and TBranch through the file's streamer infos, even known
    /// versions (tests use it to check that path against the hand-written one).
    pub force_layouts: bool,
}

impl<'a> ObjReader<'a> {
    /// A reader over a record read from a key of length `key_len`.
    pub fn new(data: &'a [u8], key_len: usize) -> ObjReader<'a> {
        ObjReader {
            c: Cursor::new(data, key_len),
            classes: HashMap::new(),
            leaves: HashMap::new(),
            depth: 0,
            file: None,
            force_layouts: false,
        }
    }

    /// TBufferFile::ReadObjectAny: a pointer to an object of any class.
    pub fn object_any(&mut self) -> Res<Obj> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Fault::new("objects nest too deep (corrupt record?)"));
        }
        let r = self.object_any_inner();
        self.depth -= 1;
        r
    }

    fn object_any_inner(&mut self) -> Res<Obj> {
        let beg_pos = self.c.pos();
        let beg = self.c.displacement();
        let first = self.c.u32()?;
        let (tag, end, start) =
            if first & super::cursor::BYTE_COUNT_MASK == 0 || first == NEW_CLASS_TAG {
                (first, None, 0)
            } else {
                let count = (first & !super::cursor::BYTE_COUNT_MASK) as usize;
                let end = beg_pos + 4 + count;
                if end > self.c.data().len() {
                    return Err(Fault::new(format!(
                    "object at position {beg_pos} claims {count} bytes, past the end of the record"
                )));
                }
                let start = self.c.displacement();
                (self.c.u32()?, Some(end), start)
            };
        if tag & CLASS_MASK == 0 {
            // A reference to an object read before (or null).
            if tag == 0 {
                return Ok(Obj::Null);
            }
            if let Some(end) = end {
                self.c.seek(end)?;
            }
            return Ok(match self.leaves.get(&(tag as i64)) {
                Some(leaf) => Obj::LeafRef(Box::new(leaf.clone())),
                None => Obj::Other(String::from("reference")),
            });
        }
        let class = if tag == NEW_CLASS_TAG {
            let name = self.c.cstring()?;
            if end.is_some() {
                self.classes.insert(start + MAP_OFFSET, name.clone());
            }
            name
        } else {
            let r = (tag & !CLASS_MASK) as i64;
            match self.classes.get(&r) {
                Some(n) => n.clone(),
                None => {
                    return Err(Fault::new(format!(
                        "object at position {beg_pos} refers to an unknown class (tag {r})"
                    )))
                }
            }
        };
        let obj = self.object_of(&class, end)?;
        if let Obj::Leaf(l) = &obj {
            self.leaves.insert(beg + MAP_OFFSET, (**l).clone());
        }
        match end {
            Some(end) if self.c.pos() <= end => self.c.seek(end)?,
            Some(end) => {
                return Err(Fault::new(format!(
                    "{class} object read past its byte count (at {}, should end at {end})",
                    self.c.pos()
                )))
            }
            None => {}
        }
        Ok(obj)
    }

    /// Reads the members of an object whose class is known.
    fn object_of(&mut self, class: &str, end: Option<usize>) -> Res<Obj> {
        let skip = |r: &mut Self| -> Res<Obj> {
            match end {
                Some(e) => {
                    r.c.seek(e)?;
                    Ok(Obj::Other(class.to_string()))
                }
                None => Err(Fault::new(format!(
                    "object of class {class} has no byte count, so it cannot be skipped"
                ))),
            }
        };
        if class.starts_with("TBranch") && class != "TBranchRef" {
            return Ok(Obj::Branch(Box::new(parse_branch(self, class)?)));
        }
        if class.starts_with("TLeaf") {
            return Ok(Obj::Leaf(Box::new(parse_leaf(self, class)?)));
        }
        match class {
            "TBasket" => Ok(Obj::Basket(Box::new(parse_basket_embedded(self)?))),
            "TObjArray" => Ok(Obj::Array(self.obj_array()?)),
            "TList" => Ok(Obj::Array(self.list()?)),
            "TFriendElement" => {
                // TNamed (name: the alias, title: the file name), then fTreeName.
                let h = self.c.header()?;
                let (alias, file) = self.c.tnamed()?;
                let tree = self.c.tstring()?;
                if h.end.is_some() {
                    self.c.skip_to_end(&h, "TFriendElement")?;
                }
                Ok(Obj::Friend(Box::new(super::tree::FriendInfo {
                    alias,
                    file,
                    tree,
                })))
            }
            "TStreamerInfo" => Ok(Obj::StreamerInfo(Box::new(self.streamer_info()?))),
            c if c.starts_with("TStreamer") => match (self.streamer_element(), end) {
                (Ok(e), Some(end)) if self.c.pos() <= end => Ok(Obj::Element(Box::new(e))),
                (Ok(e), None) => Ok(Obj::Element(Box::new(e))),
                // A layout this reader does not follow: skip the element by its length.
                (_, Some(_)) => skip(self),
                (Err(e), None) => Err(e),
            },
            _ => skip(self),
        }
    }

    /// TObjArray: header, TObject, name, count, lower bound, then the pointers.
    pub fn obj_array(&mut self) -> Res<Vec<Obj>> {
        let h = self.c.header()?;
        if h.version > 2 {
            self.c.tobject()?;
        }
        if h.version > 1 {
            let _name = self.c.tstring()?;
        }
        let n = self.c.i32()?;
        let _low = self.c.i32()?;
        if n < 0 || n as usize > self.c.remaining() {
            return Err(Fault::new(format!("TObjArray claims {n} objects")));
        }
        let mut out = Vec::with_capacity((n as usize).min(4096));
        for _ in 0..n {
            out.push(self.object_any()?);
        }
        if h.end.is_some() {
            self.c.skip_to_end(&h, "TObjArray")?;
        }
        Ok(out)
    }

    /// TList: header, TObject, name, count, then pointer + option string per entry.
    pub fn list(&mut self) -> Res<Vec<Obj>> {
        let h = self.c.header()?;
        self.c.tobject()?;
        let _name = self.c.tstring()?;
        let n = self.c.i32()?;
        if n < 0 || n as usize > self.c.remaining() {
            return Err(Fault::new(format!("TList claims {n} objects")));
        }
        let mut out = Vec::with_capacity((n as usize).min(4096));
        for _ in 0..n {
            out.push(self.object_any()?);
            let _option = self.c.tstring()?;
        }
        if h.end.is_some() {
            self.c.skip_to_end(&h, "TList")?;
        }
        Ok(out)
    }

    fn streamer_info(&mut self) -> Res<ClassLayout> {
        let h = self.c.header()?;
        let (name, _title) = self.c.tnamed()?;
        let _checksum = self.c.u32()?;
        let version = self.c.i32()?;
        let elements = match self.object_any()? {
            Obj::Array(v) => v
                .into_iter()
                .filter_map(|o| match o {
                    Obj::Element(e) => Some(*e),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        self.c.skip_to_end(&h, "TStreamerInfo")?;
        Ok(ClassLayout {
            name,
            version,
            elements,
        })
    }

    fn streamer_element(&mut self) -> Res<ElementInfo> {
        let outer = self.c.header()?;
        let h = self.c.header()?;
        let (name, title) = self.c.tnamed()?;
        let etype = self.c.i32()?;
        let _size = self.c.i32()?;
        let array_length = self.c.i32()?;
        let _array_dim = self.c.i32()?;
        if h.version == 1 {
            let n = self.c.i32()?.clamp(0, 5) as usize;
            self.c.skip(4 * n)?;
        } else {
            self.c.skip(20)?;
        }
        let type_name = self.c.tstring()?;
        self.c.skip_to_end(&h, "TStreamerElement")?;
        if outer.end.is_some() {
            self.c.skip_to_end(&outer, "TStreamerElement")?;
        }
        Ok(ElementInfo {
            name,
            title,
            etype,
            type_name,
            array_length: array_length.max(0) as usize,
        })
    }
}

/// One class layout from the file's streamer infos.
#[derive(Debug, Clone)]
pub struct ClassLayout {
    pub name: String,
    pub version: i32,
    pub elements: Vec<ElementInfo>,
}

/// One member of a class layout.
#[derive(Debug, Clone)]
pub struct ElementInfo {
    pub name: String,
    pub title: String,
    /// TStreamerElement::fType (the TVirtualStreamerInfo::EReadWrite code).
    pub etype: i32,
    /// The C++ type as written, e.g. `vector<float>`.
    pub type_name: String,
    /// Elements of a fixed-size array member (0 otherwise).
    pub array_length: usize,
}

/// The class layouts a file carries (its TStreamerInfo list).
#[derive(Debug, Default)]
pub struct Streamers {
    pub classes: Vec<ClassLayout>,
    /// Why the list could not be read, if it could not.
    pub problem: Option<String>,
}

impl Streamers {
    /// Reads the streamer list at `seek`; a failure is recorded, not returned, since
    /// most trees never need it.
    pub fn read(file: &super::RootFile, seek: u64, nbytes: u32) -> Streamers {
        let go = || -> Res<Vec<ClassLayout>> {
            if seek == 0 || nbytes == 0 {
                return Ok(Vec::new());
            }
            let key = file.key_at(seek)?;
            let data = file.read_object(&key)?;
            let mut r = ObjReader::new(&data, key.keylen as usize);
            let items = r.list()?;
            Ok(items
                .into_iter()
                .filter_map(|o| match o {
                    Obj::StreamerInfo(s) => Some(*s),
                    _ => None,
                })
                .collect())
        };
        match go() {
            Ok(classes) => Streamers {
                classes,
                problem: None,
            },
            Err(e) => Streamers {
                classes: Vec::new(),
                problem: Some(e.0),
            },
        }
    }

    /// The layout of `class` at class version `version`.
    pub fn layout(&self, class: &str, version: i16) -> Option<&ClassLayout> {
        self.classes
            .iter()
            .find(|c| c.name == class && c.version == version as i32)
    }

    /// The member `member` of class `class` (highest version first).
    pub fn element(&self, class: &str, member: &str) -> Option<&ElementInfo> {
        self.classes
            .iter()
            .filter(|c| c.name == class)
            .max_by_key(|c| c.version)
            .and_then(|c| c.elements.iter().find(|e| e.name == member))
    }
}
