//! What a friend write adds to the common temporary file of [`crate::output`]: the
//! in-place rewrite of the name the ROOT file records for itself (so the same output
//! path gives the same bytes in every run).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};

use crate::output::temp_name;

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
