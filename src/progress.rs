//! Progress bars and status lines for the long-running commands (`train`, `apply`), on
//! standard error. Bars are drawn only on a terminal and never with `--quiet`; status
//! lines (one per epoch) are printed on a terminal and off one, so a batch job's log keeps
//! them, and `--quiet` silences them too.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether to draw; made once per command.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    show: bool,
    quiet: bool,
}

impl Progress {
    /// Shows bars unless `quiet` or standard error is not a terminal.
    pub fn new(quiet: bool) -> Progress {
        Progress {
            show: !quiet && std::io::stderr().is_terminal(),
            quiet,
        }
    }

    /// Never draws (tests, library use).
    pub fn hidden() -> Progress {
        Progress {
            show: false,
            quiet: true,
        }
    }

    pub fn shows(&self) -> bool {
        self.show
    }

    /// A bar over `total` units with a message.
    pub fn bar(&self, total: u64, unit: &str, msg: &str) -> ProgressBar {
        if !self.show {
            return ProgressBar::hidden();
        }
        let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        let template = format!(
            "{{msg:>12}} [{{bar:30}}] {{human_pos}}/{{human_len}} {unit} ({{per_sec}}, {{eta}} left)"
        );
        if let Ok(style) = ProgressStyle::with_template(&template) {
            pb.set_style(style.progress_chars("=> "));
        }
        pb.set_message(msg.to_string());
        pb.enable_steady_tick(Duration::from_millis(200));
        pb
    }

    /// One status line on standard error (unless quiet).
    pub fn say(&self, line: &str) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }

    /// A warning on standard error, `rootgrad: warning: <text>`: something the user
    /// should act on that does not stop the command (a file that failed among several,
    /// negative weights clipped for a figure, ...). Silenced by `--quiet` like every
    /// other line; the command's result (exit code, summary) must still say it.
    pub fn warn(&self, text: &str) {
        if !self.quiet {
            eprintln!("rootgrad: warning: {text}");
        }
    }

    /// An error that does not end the command (one input of several failed, the others
    /// go on), `rootgrad: error: <text>` on standard error. Printed even with `--quiet`:
    /// quiet hides what went as expected, never what failed.
    pub fn error(&self, text: &str) {
        eprintln!("rootgrad: error: {text}");
    }
}
