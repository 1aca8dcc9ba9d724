//! The temporary file behind every friend write: its fixed-width name next to the
//! output, its removal on failure, and the in-place rewrite of the name the file records
//! for itself (so the same output path gives the same bytes in every run).

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Error, Result};

/// The temporary output, removed on drop unless [`TempFile::disarm`]ed.
pub(super) struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl TempFile {
    /// Creates `.<name>.rootgrad-tmp-<pid>-<n>` next to `output` (pid and n at fixed
    /// widths, see [`temp_name`]), failing if the folder is not writable.
    pub(super) fn create(folder: &Path, output: &Path) -> Result<TempFile> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let name = output
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let tmp = folder.join(temp_name(&name, std::process::id(), n));
            match OpenOptions::new().write(true).create_new(true).open(&tmp) {
                Ok(_) => {
                    return Ok(TempFile {
                        path: tmp,
                        armed: true,
                    })
                }
                // left over from a crashed run that had our pid; take the next number
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(Error::Io {
                        path: folder.to_path_buf(),
                        source: std::io::Error::new(
                            e.kind(),
                            format!("cannot create the output in this folder: {e}"),
                        ),
                    })
                }
            }
        }
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// The file has been renamed to the output; nothing to remove.
    pub(super) fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed {
            // Best effort: the error being returned matters more than a stray file.
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// The temporary name of output `name`: `.<name>.rootgrad-tmp-<pid>-<n>` with the pid
/// in 10 digits and n in 6, so that every temporary name of one output has the same
/// length as [`canonical_temp_name`], which replaces it inside the file.
pub(super) fn temp_name(name: &str, pid: u32, n: u64) -> String {
    format!(".{name}.rootgrad-tmp-{pid:010}-{:06}", n % 1_000_000)
}

/// The temporary name with pid and counter zeroed: what the file records as its own
/// name (oxyroot writes the path it created the file with into the TFile and
/// directory records), so that the same output path gives the same bytes in every run.
pub(super) fn canonical_temp_name(name: &str) -> String {
    temp_name(name, 0, 0)
}

/// Bytes searched at each end of the file for the recorded file name: the TFile record
/// is at the start, the directory and key list at the end.
pub(super) const NAME_WINDOW: u64 = 1 << 20;

/// Replaces every occurrence of `from` by `to` (same length) in the first and last
/// [`NAME_WINDOW`] bytes of `file`.
pub(super) fn replace_recorded_name(
    file: &mut File,
    from: &[u8],
    to: &[u8],
) -> std::io::Result<()> {
    debug_assert_eq!(from.len(), to.len());
    let len = file.metadata()?.len();
    let mut windows = vec![(0, len.min(NAME_WINDOW))];
    if len > NAME_WINDOW {
        windows.push((len.saturating_sub(NAME_WINDOW).max(NAME_WINDOW), len));
    }
    for (start, end) in windows {
        if end <= start {
            continue;
        }
        let mut buf = vec![0u8; (end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut buf)?;
        let mut changed = false;
        let mut i = 0;
        while i + from.len() <= buf.len() {
            if &buf[i..i + from.len()] == from {
                buf[i..i + from.len()].copy_from_slice(to);
                changed = true;
                i += from.len();
            } else {
                i += 1;
            }
        }
        if changed {
            file.seek(SeekFrom::Start(start))?;
            file.write_all(&buf)?;
        }
    }
    Ok(())
}
