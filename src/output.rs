//! Output files that appear whole or not at all. Every file rootgrad writes (figures,
//! HTML pages, model.json, history.csv, summaries, dumps, friend trees) is written under
//! a temporary name in the output's own folder and renamed when complete; on any error
//! the temporary file is removed, so a failed or interrupted command leaves no partial
//! output. An existing output is refused unless the caller passes `force`.
//!
//! One temporary-file scheme for all of them, [`TempFile`]: `.<name>.rootgrad-tmp-<pid>-<n>`
//! next to the output (fixed widths, see [`temp_name`]). The friend-tree writer in
//! `root::write` uses the same [`TempFile`] and adds its ROOT-specific steps (checking
//! the file, rewriting the name the file records for itself).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::{Error, Result};

/// The temporary output, removed on drop unless [`TempFile::disarm`]ed.
pub struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl TempFile {
    /// Creates `.<name>.rootgrad-tmp-<pid>-<n>` next to `output` (pid and n at fixed
    /// widths, see [`temp_name`]), failing if the folder is not writable.
    pub fn create(folder: &Path, output: &Path) -> Result<TempFile> {
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

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file has been renamed to the output; nothing to remove.
    pub fn disarm(mut self) {
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
/// length.
pub fn temp_name(name: &str, pid: u32, n: u64) -> String {
    format!(".{name}.rootgrad-tmp-{pid:010}-{:06}", n % 1_000_000)
}

/// Whether process `pid` runs on this machine (`/proc/<pid>` exists). Where there is no
/// `/proc` every process counts as alive, so nothing is removed on its account.
pub fn process_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

/// The pid in temporary name `name` (`.<output>.rootgrad-tmp-<pid>-<n>`, see
/// [`temp_name`]), or `None` if it is not one.
pub fn temp_pid(name: &str) -> Option<u32> {
    let (head, n) = name.rsplit_once('-')?;
    let (head, pid) = head.rsplit_once('-')?;
    let ok = name.starts_with('.')
        && head.ends_with(".rootgrad-tmp")
        && pid.len() == 10
        && n.len() == 6
        && n.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| pid.parse().ok()).flatten()
}

/// Removes the temporary files in `folder` left by processes that are gone (a job
/// killed with `kill -9` at its time limit leaves its temporary output behind); returns
/// what it removed. Only processes of this machine can be checked: a temporary file of
/// a process that still runs here, or of pid 0, is kept.
pub fn remove_stale_temps(folder: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(entries) = fs::read_dir(folder) else {
        return removed;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = temp_pid(&name) else { continue };
        if pid != 0 && pid != std::process::id() && !process_alive(pid) {
            let p = e.path();
            if fs::remove_file(&p).is_ok() {
                removed.push(p);
            }
        }
    }
    removed
}

/// Refuses the first of `files` that exists, unless `force`: a command checks every
/// output it will write before it does any work.
pub fn refuse_existing(files: &[PathBuf], force: bool) -> Result<()> {
    if !force {
        if let Some(p) = files.iter().find(|p| p.exists()) {
            return Err(Error::OutputExists { path: p.clone() });
        }
    }
    Ok(())
}

/// Creates an output folder and its parents (just before the first output is written).
pub fn create_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })
}

/// An output folder made for one command: created (with its parents) by
/// [`NewDir::create`], and removed again when the guard is dropped if the command
/// created it and it is still empty, so that a command that fails leaves no empty
/// folder behind. The parents it had to create go too, innermost first, each only if
/// empty (`--out a/b/run` with no `a` leaves no `a/b` behind). A folder that holds
/// anything is kept (`remove_dir` removes only empty folders), so success needs no
/// extra call.
#[derive(Debug)]
pub struct NewDir {
    /// The folders this guard created, innermost first.
    created: Vec<PathBuf>,
}

/// The folders of every live [`NewDir`], for [`remove_empty_new_dirs`].
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

impl NewDir {
    /// Keeps the folder even if it is empty (a job folder's `logs/`, which the batch
    /// system fills later).
    pub fn keep(mut self) {
        self.forget();
        self.created.clear();
    }

    pub fn create(dir: &Path) -> Result<NewDir> {
        let mut created = Vec::new();
        let mut d = Some(dir);
        while let Some(p) = d.filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
            created.push(p.to_path_buf());
            d = p.parent();
        }
        create_dir(dir)?;
        if let Ok(mut live) = LIVE.lock() {
            live.extend(created.iter().cloned());
        }
        Ok(NewDir { created })
    }

    fn forget(&self) {
        if let Ok(mut live) = LIVE.lock() {
            live.retain(|d| !self.created.contains(d));
        }
    }
}

impl Drop for NewDir {
    fn drop(&mut self) {
        self.forget();
        for d in &self.created {
            // fails, harmlessly, when the folder holds an output; its parents then too
            if fs::remove_dir(d).is_err() {
                break;
            }
        }
    }
}

/// Removes the folders of the live [`NewDir`] guards that are still empty, innermost
/// first: for the second Ctrl-C, which ends the program while the command's guards are
/// still on the worker thread's stack ([`crate::interrupt::run`]).
pub fn remove_empty_new_dirs() {
    let mut dirs = LIVE.lock().map(|l| l.clone()).unwrap_or_default();
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for d in dirs {
        let _ = fs::remove_dir(&d);
    }
}

/// Writes `path` through `body` under a temporary name in the same folder and renames
/// it when complete; on failure the temporary file is removed. An existing file is
/// refused unless `force`; a missing folder is refused with a hint.
pub fn write_atomically(
    path: &Path,
    force: bool,
    body: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    if path.exists() && !force {
        return Err(Error::OutputExists {
            path: path.to_path_buf(),
        });
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(Error::Usage(format!(
            "{}: the folder {} does not exist; create it first",
            path.display(),
            dir.display()
        )));
    }
    remove_stale_temps(dir);
    let tmp = TempFile::create(dir, path)?;
    let io = |source| Error::Io {
        path: tmp.path().to_path_buf(),
        source,
    };
    let file = OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(tmp.path())
        .map_err(io)?;
    let mut w = std::io::BufWriter::new(file);
    body(&mut w)?;
    w.flush().map_err(io)?;
    drop(w);
    fs::rename(tmp.path(), path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    tmp.disarm();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("rootgrad-output-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    fn leftovers(d: &Path) -> Vec<String> {
        fs::read_dir(d)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("rootgrad-tmp"))
            .collect()
    }

    #[test]
    fn a_failed_body_leaves_neither_output_nor_temporary_file() {
        let d = folder("fail");
        let p = d.join("out.txt");
        let r = write_atomically(&p, false, |w| {
            w.write_all(b"half").unwrap();
            Err(Error::Usage("stop".into()))
        });
        assert!(r.is_err());
        assert!(!p.exists());
        assert_eq!(leftovers(&d), Vec::<String>::new());
    }

    #[test]
    fn an_existing_output_is_kept_without_force_and_replaced_with_it() {
        let d = folder("force");
        let p = d.join("out.txt");
        fs::write(&p, b"old").unwrap();
        let r = write_atomically(&p, false, |w| {
            w.write_all(b"new").unwrap();
            Ok(())
        });
        assert!(matches!(r, Err(Error::OutputExists { .. })));
        assert_eq!(fs::read(&p).unwrap(), b"old");
        write_atomically(&p, true, |w| {
            w.write_all(b"new").unwrap();
            Ok(())
        })
        .unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new");
        assert_eq!(leftovers(&d), Vec::<String>::new());
    }

    #[test]
    fn stale_temporary_files_of_dead_processes_are_removed_live_ones_kept() {
        let d = folder("stale");
        // pid 4_200_000 is above the largest pid Linux gives (2^22 - 1): never a live process
        let dead = temp_name("a.root", 4_200_000, 1);
        let mine = temp_name("a.root", std::process::id(), 1);
        let other = "a.root.rootgrad-tmp-x";
        for n in [&dead, &mine, other] {
            fs::write(d.join(n), b"x").unwrap();
        }
        assert_eq!(temp_pid(&dead), Some(4_200_000));
        assert_eq!(temp_pid(other), None);
        let removed = remove_stale_temps(&d);
        assert_eq!(removed, vec![d.join(&dead)]);
        let mut left = leftovers(&d);
        left.sort();
        let mut want = vec![mine.clone(), other.to_string()];
        want.sort();
        assert_eq!(left, want);
    }

    #[test]
    fn a_new_dir_left_empty_goes_with_the_parents_it_made_a_used_one_stays() {
        let d = folder("newdir");
        let deep = d.join("a/b/run");
        drop(NewDir::create(&deep).unwrap());
        assert!(!d.join("a").exists(), "empty folders left behind");
        let guard = NewDir::create(&deep).unwrap();
        fs::write(deep.join("model.json"), b"{}").unwrap();
        drop(guard);
        assert!(deep.join("model.json").exists());
        // a folder that was there before is never removed
        fs::create_dir_all(d.join("kept")).unwrap();
        drop(NewDir::create(&d.join("kept")).unwrap());
        assert!(d.join("kept").is_dir());
    }

    #[test]
    fn temporary_names_of_one_output_have_one_length() {
        assert_eq!(
            temp_name("a.root", 7, 3).len(),
            temp_name("a.root", 4_000_000, 999_999).len()
        );
        assert_eq!(
            temp_name("a.root", 7, 3),
            ".a.root.rootgrad-tmp-0000000007-000003"
        );
    }
}
