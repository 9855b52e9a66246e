//! `lvsd`: the active LVS router's controller.

use clap::Parser;

fn main() -> std::process::ExitCode {
    lvsd::main(&lvsd::Cli::parse())
}
