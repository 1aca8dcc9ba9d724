//! Ctrl-C during the commands that train (`train`, `sweep`, `demo`, `reweight`).
//!
//! The first Ctrl-C sets [`stop_flag`]: the trainer finishes the current epoch, then the
//! command does what it announced when it installed the handler ([`catch`]): `train`
//! keeps the best model so far, or with folds the folds that finished (an incomplete
//! model that `train --resume` completes); `sweep` tabulates the models that finished;
//! `demo` and `reweight` stop. The message printed at the first Ctrl-C says which, and
//! the command's last lines say what it did. The second ends the run at once, writing
//! nothing more:
//! [`run`] returns [`Error::Interrupted`], which `main` prints and maps to exit code
//! 130. So that it can return while the work is still going on, [`run`] does the work
//! on a worker thread and waits for whichever comes first, the work's result or the
//! second Ctrl-C; `main` exiting then ends the worker.
//!
//! Commands that never call [`catch`] keep the default Ctrl-C: the program ends at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::Mutex;

use crate::progress::Progress;
use crate::{Error, Result};

/// Set by the first Ctrl-C once [`catch`] is installed.
static STOP: AtomicBool = AtomicBool::new(false);

/// What the command does after the current epoch, announced at the first Ctrl-C.
static THEN: Mutex<String> = Mutex::new(String::new());

/// Whether the handler is installed.
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Where the second Ctrl-C is announced: the thread waiting in [`run`], if any.
static ABORT: Mutex<Option<Sender<Event>>> = Mutex::new(None);

/// The stack of the worker thread: what the main thread usually has on Linux.
const WORKER_STACK: usize = 8 << 20;

/// What the thread waiting in [`run`] hears first.
enum Event {
    /// The work returned (or panicked).
    Finished,
    /// Ctrl-C was pressed a second time.
    Interrupted,
}

/// Sends [`Event::Finished`] when the worker ends, by returning or by panicking.
struct Finished(Sender<Event>);

impl Drop for Finished {
    fn drop(&mut self) {
        let _ = self.0.send(Event::Finished);
    }
}

/// Installs the Ctrl-C handler (once) and sets `then`, what the command does once the
/// current epoch ends (a later call replaces it): the first Ctrl-C sets [`stop_flag`]
/// and prints `rootgrad: interrupt: finishing this epoch, then <then>; ...`, the second
/// makes [`run`] return [`Error::Interrupted`]. The first one is acknowledged on
/// standard error even with `--quiet`, since nothing else shows that the key was heard
/// while the epoch finishes.
pub fn catch(then: &str) {
    if let Ok(mut t) = THEN.lock() {
        *t = then.to_string();
    }
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let _ = ctrlc::set_handler(|| {
        if STOP.swap(true, Ordering::SeqCst) {
            if let Ok(abort) = ABORT.lock() {
                if let Some(tx) = abort.as_ref() {
                    let _ = tx.send(Event::Interrupted);
                }
            }
            return;
        }
        let then = THEN.lock().map(|t| t.clone()).unwrap_or_default();
        Progress::new(false).say(&first_message(&then));
    });
}

/// The line the first Ctrl-C prints.
pub fn first_message(then: &str) -> String {
    format!(
        "rootgrad: interrupt: finishing this epoch, then {then}; Ctrl-C again to quit at once, \
         writing nothing more"
    )
}

/// The flag the first Ctrl-C sets; the trainers poll it between epochs.
pub fn stop_flag() -> &'static AtomicBool {
    &STOP
}

/// Does `work` on a worker thread and returns its result, or [`Error::Interrupted`] as
/// soon as Ctrl-C is pressed a second time (the work then still runs until the process
/// exits; the output folders it made and left empty are removed first,
/// [`crate::output::remove_empty_new_dirs`]). A panic in `work` is resumed on the calling thread; the worker is named
/// `main`, so its panic message reads as it would on the main thread.
pub fn run<F>(work: F) -> Result<()>
where
    F: FnOnce() -> Result<()> + Send + 'static,
{
    let (tx, rx) = channel();
    if let Ok(mut abort) = ABORT.lock() {
        *abort = Some(tx.clone());
    }
    let worker = std::thread::Builder::new()
        .name("main".into())
        .stack_size(WORKER_STACK)
        .spawn(move || {
            let _finished = Finished(tx);
            work()
        })
        .map_err(|e| Error::Usage(format!("cannot start the worker thread: {e}")))?;
    let first = rx.recv();
    if let Ok(mut abort) = ABORT.lock() {
        *abort = None;
    }
    match first {
        Ok(Event::Interrupted) => {
            crate::output::remove_empty_new_dirs();
            Err(Error::Interrupted)
        }
        Ok(Event::Finished) | Err(_) => match worker.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_returns_the_work_result() {
        assert!(run(|| Ok(())).is_ok());
        let e = run(|| Err(Error::Usage("no".into()))).unwrap_err();
        assert_eq!(e.to_string(), "no");
    }

    #[test]
    fn interrupted_maps_to_exit_code_130() {
        assert_eq!(Error::Interrupted.exit_code(), 130);
        assert_eq!(
            Error::Interrupted.to_string(),
            "interrupted twice; stopping now, writing nothing more"
        );
        assert_eq!(Error::Usage("x".into()).exit_code(), 2);
    }
}
