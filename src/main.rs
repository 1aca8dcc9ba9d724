//! The rootgrad binary: parse the command line, run it (on a worker thread, so that a
//! second Ctrl-C can end it at once: [`rootgrad::interrupt`]), print the one error a
//! run may end with as `rootgrad: <message>`, and exit with that error's code (2, or
//! 130 after a second Ctrl-C).

use clap::Parser;

fn main() {
    let cli = rootgrad::cli::Cli::parse();
    if let Err(e) = rootgrad::interrupt::run(move || rootgrad::cmd::run(cli)) {
        eprintln!("rootgrad: {e}");
        std::process::exit(e.exit_code());
    }
}
