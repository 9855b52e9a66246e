//! `lvsctl`: the admin tool of the LVS router pair.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = lvsctl::Cli::parse();
    let mut out = io::stdout().lock();
    let mut err = io::stderr().lock();
    let code = lvsctl::run(&cli, &mut out, &mut err);
    let _ = out.flush();
    ExitCode::from(code)
}
