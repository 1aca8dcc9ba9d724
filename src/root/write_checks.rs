//! The friend writer's checks: before writing (names, lengths, the output path) and
//! after the temporary file is written (the header is complete). Part of `root::write`; see its module docs for the guarantees.

use super::*;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

/// Checks names and lengths; returns the entry count.
pub(super) fn check_spec(spec: &FriendSpec) -> Result<u64> {
    check_names(
        spec.path,
        spec.tree,
        spec.columns.iter().map(|c| c.name.as_str()),
    )?;
    // check_names has refused a tree without columns
    let Some(first) = spec.columns.first() else {
        return Ok(0);
    };
    let entries = first.data.len() as u64;
    for c in spec.columns {
        let n = c.data.len() as u64;
        if let Some(expected) = spec.expected_entries {
            if n != expected {
                return Err(Error::Usage(format!(
                    "friend column `{}` has {n} entries but its tree has {expected}; a friend \
                     must have one entry per entry of its tree (writing `{}` to {})",
                    c.name,
                    spec.tree,
                    spec.path.display()
                )));
            }
        } else if n != entries {
            return Err(Error::Usage(format!(
                "friend column `{}` has {n} entries but column `{}` has {entries}; all \
                 columns of a friend tree must have the same length (writing `{}` to {})",
                c.name,
                first.name,
                spec.tree,
                spec.path.display()
            )));
        }
    }
    Ok(entries)
}

/// Checks the tree name and the column names: valid, unique, at least one column.
pub(super) fn check_names<'a>(
    path: &Path,
    tree: &str,
    columns: impl Iterator<Item = &'a str>,
) -> Result<()> {
    check_name("friend tree", tree)?;
    let names: Vec<&str> = columns.collect();
    if names.is_empty() {
        return Err(Error::Usage(format!(
            "friend tree `{tree}` for {} has no columns; give at least one",
            path.display()
        )));
    }
    for (i, c) in names.iter().enumerate() {
        check_name("friend column", c)?;
        if let Some(j) = names[..i].iter().position(|d| d == c) {
            return Err(Error::Usage(format!(
                "friend column `{c}` is given twice (columns {} and {}); branch names in a \
                 tree must be unique",
                j + 1,
                i + 1
            )));
        }
    }
    Ok(())
}

/// A valid ROOT branch (or tree) name: letters, digits and `_`, not starting with a
/// digit, at most [`MAX_NAME_LEN`] bytes.
pub(super) fn check_name(what: &str, name: &str) -> Result<()> {
    let rule = "use letters, digits and `_`, not starting with a digit";
    let problem = if name.is_empty() {
        Some("it is empty".to_string())
    } else if name.len() > MAX_NAME_LEN {
        Some(format!(
            "it is {} bytes long, more than {MAX_NAME_LEN}",
            name.len()
        ))
    } else if name.starts_with(|c: char| c.is_ascii_digit()) {
        Some("it starts with a digit".to_string())
    } else {
        name.chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || c == '_'))
            .map(|c| format!("it contains {c:?}"))
    };
    match problem {
        None => Ok(()),
        Some(p) => Err(Error::Usage(format!(
            "{what} name `{name}` is not a valid ROOT branch name: {p}; {rule}"
        ))),
    }
}

/// Checks the output path before anything is written; returns its folder.
pub(super) fn check_output(path: &Path, overwrite: bool) -> Result<PathBuf> {
    if path.to_str().is_none() {
        return Err(Error::Usage(format!(
            "output path {} is not valid UTF-8, which the ROOT writer needs; rename it",
            path.display()
        )));
    }
    if path.file_name().is_none() {
        return Err(Error::Usage(format!(
            "output path {} does not name a file; give one such as friend.root",
            path.display()
        )));
    }
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    match fs::metadata(&folder) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(Error::Io {
                path: folder,
                source: std::io::Error::other("is not a folder, so the output cannot go in it"),
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::Io {
                path: folder,
                source: std::io::Error::new(
                    e.kind(),
                    "the output's folder does not exist; create it or choose another output",
                ),
            })
        }
        Err(e) => {
            return Err(Error::Io {
                path: folder,
                source: e,
            })
        }
    }
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => Err(Error::Usage(format!(
            "output {} is a folder; give a file name such as {}",
            path.display(),
            path.join("friend.root").display()
        ))),
        Ok(_) if !overwrite => Err(Error::OutputExists {
            path: path.to_path_buf(),
        }),
        Ok(_) => Ok(folder),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(folder),
        Err(e) => Err(Error::Io {
            path: path.to_path_buf(),
            source: e,
        }),
    }
}

/// Checks the file header: the `root` magic and `fEND` (32 or 64 bits, after the
/// version) equal to the file's length, so the last write reached the disk.
pub(super) fn check_complete(file: &mut File) -> std::result::Result<(), Failure> {
    let len = file.metadata()?.len();
    let mut head = [0u8; 20];
    file.seek(SeekFrom::Start(0))?;
    file.read_exact(&mut head)?;
    let version = i32::from_be_bytes([head[4], head[5], head[6], head[7]]);
    let end = if version >= 1_000_000 {
        u64::from_be_bytes(head[12..20].try_into().unwrap_or_default())
    } else {
        u32::from_be_bytes([head[12], head[13], head[14], head[15]]) as u64
    };
    if &head[..4] != b"root" || end != len {
        return Err(Failure::Other(format!(
            "the written file is incomplete (header says version {version}, {end} bytes; \
             the file has {len}); is the disk full?"
        )));
    }
    Ok(())
}
