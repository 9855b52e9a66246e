//! `lvsctl`: check an lvs.cf, show the IPVS table it asks for, and (with the
//! IPVS client) make the kernel's table match it.
//!
//! Exit statuses: 0 success, 1 the configuration (or the kernel) said no,
//! 2 bad command line (clap).

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use lvs_config::{DEFAULT_PATH, Loaded, SystemResolver};

mod check;
mod show;

/// The command line.
#[derive(Debug, Parser)]
#[command(name = "lvsctl", version, about = "Admin tool for Piranha-compatible LVS routers")]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check an lvs.cf: print every error and warning with its line; exit 0
    /// with a one-line summary when the file is usable, 1 otherwise.
    Check(ConfigArg),
    /// Show what an lvs.cf asks for: the configuration with every default
    /// filled in, or with --rules the IPVS table in `ipvsadm -Sn` format.
    Show {
        /// The configuration file.
        #[command(flatten)]
        config: ConfigArg,
        /// Print the steady-state IPVS table (every active real server up)
        /// exactly as `ipvsadm -Sn` would, to diff against the kernel.
        #[arg(long)]
        rules: bool,
    },
}

/// `-c FILE`, as every Piranha daemon takes it.
#[derive(Debug, clap::Args)]
pub struct ConfigArg {
    /// Configuration file.
    #[arg(short = 'c', long = "configfile", value_name = "FILE", default_value = DEFAULT_PATH)]
    pub config: PathBuf,
}

/// Runs a command, writing its output to `out` and diagnostics to `err`;
/// returns the exit status.
pub fn run(cli: &Cli, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let result = match &cli.command {
        Command::Check(c) => check::run(&c.config, out, err),
        Command::Show { config, rules } => show::run(&config.config, *rules, out, err),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "lvsctl: {e:#}");
            1
        }
    }
}

/// Loads a file, printing its warnings (or errors) to `err`. `None` when it
/// has errors (which have been printed).
pub(crate) fn load(path: &std::path::Path, err: &mut dyn Write) -> std::io::Result<Option<Loaded>> {
    match lvs_config::load(path, &SystemResolver::new()) {
        Ok(loaded) => {
            let name = path.display().to_string();
            for w in &loaded.parsed.warnings {
                writeln!(err, "{}", w.render(&name))?;
            }
            Ok(Some(loaded))
        }
        Err(e) => {
            for line in e.rendered() {
                writeln!(err, "{line}")?;
            }
            Ok(None)
        }
    }
}
