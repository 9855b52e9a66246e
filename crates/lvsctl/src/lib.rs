//! `lvsctl`: check an lvs.cf, show the IPVS table it asks for, and (with the
//! IPVS client) make the kernel's table match it; `status` asks pulse and
//! lvsd over their status sockets and merges their answers with the
//! kernel's table ([`report`]).
//!
//! Exit statuses: 0 success, 1 the configuration (or the kernel) said no,
//! or for `status` no daemon answered; 2 bad command line (clap).

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use lvs_config::{DEFAULT_PATH, Loaded, SystemResolver};

pub mod apply;
mod check;
pub mod report;
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
    /// Make the kernel's IPVS table (and timeouts) equal to what the file
    /// asks for, changing only what differs; ends with `N changes`.
    Apply {
        /// The configuration file.
        #[command(flatten)]
        config: ConfigArg,
        /// Print the operations (as ipvsadm commands) without performing them.
        #[arg(long)]
        dry_run: bool,
        /// Print each operation performed.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Show which router is active, the partner, the VIPs held, and the
    /// live IPVS table with each real server's health as its nanny sees it,
    /// from pulse's and lvsd's status sockets and the kernel; exit 1 when
    /// neither daemon answers.
    Status {
        /// Print one JSON document (fields in docs/status-protocol.md).
        #[arg(long)]
        json: bool,
        /// The directory of the daemons' sockets pulse.sock and lvsd.sock
        /// [default: $LVS_RUN_DIR, else /var/run].
        #[arg(long, value_name = "DIR")]
        run_dir: Option<PathBuf>,
    },
    /// Start, stop or list the IPVS connection sync daemon, with the
    /// interface and id of `syncd_iface` / `syncd_id`.
    Syncd {
        /// The configuration file.
        #[command(flatten)]
        config: ConfigArg,
        /// What to do.
        #[arg(value_enum)]
        action: SyncdAction,
        /// Which daemon (not needed for `status`).
        #[arg(value_enum)]
        state: Option<SyncdState>,
    },
}

/// `lvsctl syncd` actions.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SyncdAction {
    /// `ipvsadm --start-daemon STATE --mcast-interface IF --syncid ID`
    Start,
    /// `ipvsadm --stop-daemon STATE`
    Stop,
    /// `ipvsadm -L --daemon`
    Status,
}

/// `master` or `backup`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SyncdState {
    /// Sends connection state.
    Master,
    /// Receives connection state.
    Backup,
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
        Command::Apply { config, dry_run, verbose } => {
            let options = apply::ApplyOptions { dry_run: *dry_run, verbose: *verbose };
            with_kernel(&config.config, err, |kernel, c, err| apply::apply(kernel, c, options, out, err))
        }
        Command::Status { json, run_dir } => status(*json, run_dir.as_deref(), out, err),
        Command::Syncd { config, action, state } => {
            with_kernel(&config.config, err, |kernel, c, _| syncd(kernel, c, *action, *state, out))
        }
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

/// Loads the config and opens the kernel's IPVS, then runs `f`.
fn with_kernel(
    path: &std::path::Path,
    err: &mut dyn Write,
    f: impl FnOnce(&mut dyn ipvs::IpvsKernel, &lvs_config::Config, &mut dyn Write) -> anyhow::Result<u8>,
) -> anyhow::Result<u8> {
    let Some(loaded) = load(path, err)? else {
        return Ok(1);
    };
    let mut kernel = ipvs::Client::open()?;
    f(&mut kernel, &loaded.parsed.config, err)
}

/// `lvsctl status`: the report as text or JSON; exit 1 when no daemon
/// answered (the kernel's table is still shown when it could be read).
fn status(
    json: bool,
    run_dir: Option<&std::path::Path>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let (answers, kernel) = report::gather(run_dir, status::client::DEFAULT_TIMEOUT);
    let now = status::model::unix_seconds(std::time::SystemTime::now());
    let report = report::build(answers, kernel, now);
    if json {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        out.write_all(report::render(&report).as_bytes())?;
    }
    for problem in &report.problems {
        writeln!(err, "lvsctl: {problem}")?;
    }
    if report.any_daemon() {
        Ok(0)
    } else {
        writeln!(err, "lvsctl: neither pulse nor lvsd is running on this router")?;
        Ok(1)
    }
}

fn syncd(
    kernel: &mut dyn ipvs::IpvsKernel,
    config: &lvs_config::Config,
    action: SyncdAction,
    state: Option<SyncdState>,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let state = state.map(|s| match s {
        SyncdState::Master => ipvs::DaemonState::Master,
        SyncdState::Backup => ipvs::DaemonState::Backup,
    });
    match (action, state) {
        (SyncdAction::Status, _) => {
            for d in kernel.daemons()? {
                writeln!(out, "{d}")?;
            }
        }
        (SyncdAction::Start, Some(s)) => kernel.start_daemon(&apply::sync_daemon(config, s))?,
        (SyncdAction::Stop, Some(s)) => kernel.stop_daemon(s)?,
        (_, None) => anyhow::bail!("say which daemon: master or backup"),
    }
    Ok(0)
}
