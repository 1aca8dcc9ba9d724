//! The rootgrad binary: parse the command line, run, print the one error a run may end
//! with as `rootgrad: <message>`, and exit with code 2 on any error.

use clap::Parser;

fn main() {
    let cli = rootgrad::cli::Cli::parse();
    if let Err(e) = rootgrad::cmd::run(cli) {
        eprintln!("rootgrad: {e}");
        std::process::exit(2);
    }
}
