//! lvsd: builds and maintains the IPVS table of the active LVS router from
//! lvs.cf and the verdicts of its nanny health checkers (spec §3).
//!
//! [`controller`] is the pure core (verdicts → desired table), [`runtime`]
//! the event loop that talks to the kernel and supervises the workers,
//! [`workers`] the nanny processes, [`status`] the answer on the status
//! socket (`/var/run/lvsd.sock`, see the `status` crate). The binary only
//! wires them up.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use daemon::log::Identity;
use daemon::{Logger, SignalEvent, Signals};
use lvs_config::{DEFAULT_CLIENT_MONITOR, DEFAULT_PATH, SystemResolver};

pub mod controller;
pub mod runtime;
pub mod status;
pub mod workers;

/// The version block printed by `--version` (spec §0 format).
pub use daemon::VERSION_TEXT;

/// The command line of the original lvsd (spec §3.1).
#[derive(Debug, Parser)]
#[command(
    name = "lvsd",
    disable_version_flag = true,
    about = "LVS router controller: IPVS table and nanny health checks"
)]
pub struct Cli {
    /// Configuration file.
    #[arg(short = 'c', long = "configfile", value_name = "FILE", default_value = DEFAULT_PATH)]
    pub config: PathBuf,
    /// Verbose: debug logging, and -v for every nanny.
    #[arg(short, long)]
    pub verbose: bool,
    /// Stay in the foreground and log to stdout.
    #[arg(short = 'n', long = "nodaemon")]
    pub nodaemon: bool,
    /// Test start: change no IPVS entry and start no nanny; log what would be done.
    #[arg(short = 't', long = "test-start", visible_alias = "norun")]
    pub test_start: bool,
    /// Run as a daemon (syslog, pid file) without forking, as pulse starts it.
    #[arg(long)]
    pub nofork: bool,
    /// Warm standby (started so by pulse on the backup): run the health
    /// checks but leave the IPVS table alone until the line `active` arrives
    /// on standard input; exit when standard input closes before that.
    #[arg(long)]
    pub standby: bool,
    /// Print the version and exit.
    #[arg(long)]
    pub version: bool,
}

/// Reads [`runtime::Standby`] commands from `input` on a thread of its own
/// (the pipe from pulse; blocking reads keep it simple and it is one pipe),
/// ending with [`runtime::Standby::Orphaned`] at end of input.
///
/// The thread wakes first when pulse takes over, so it runs at lvsd's
/// real-time `priority` too: reset on fork puts every new thread back under
/// the normal scheduler, and it raises itself again.
fn read_standby_commands(
    input: std::fs::File,
    priority: Option<i32>,
) -> std::io::Result<tokio::sync::mpsc::UnboundedReceiver<runtime::Standby>> {
    use std::io::BufRead;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::Builder::new().name("standby-input".to_owned()).spawn(move || {
        // Allowed by the same limit as lvsd's own switch; on failure the
        // thread reads at normal priority.
        if let Some(priority) = priority {
            let _ = daemon::sched::round_robin(priority);
        }
        for line in std::io::BufReader::new(input).lines() {
            let Ok(line) = line else { break };
            if let Some(command) = runtime::Standby::parse(&line)
                && tx.send(command).is_err()
            {
                return;
            }
        }
        let _ = tx.send(runtime::Standby::Orphaned);
    })?;
    Ok(rx)
}

/// The nanny to run: `client_monitor`, or when that is the default path and
/// absent, the `nanny` next to this program (a non-packaged install).
pub fn nanny_program(client_monitor: &str) -> PathBuf {
    let configured = PathBuf::from(client_monitor);
    if client_monitor != DEFAULT_CLIENT_MONITOR || configured.exists() {
        return configured;
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("nanny")))
        .filter(|p| p.exists())
        .unwrap_or(configured)
}

/// Serves the status socket (`$LVS_RUN_DIR/lvsd.sock`, by default
/// `/var/run/lvsd.sock`) in a task of its own; a socket that cannot be set
/// up is logged and lvsd runs on without one.
fn serve_status(status: tokio::sync::watch::Receiver<::status::model::DaemonStatus>, log: &Logger) {
    let path = ::status::socket_path(::status::LVSD_SOCKET);
    match ::status::server::StatusSocket::bind(&path) {
        Ok(socket) => {
            let log = log.clone();
            tokio::spawn(async move {
                if let Err(e) = ::status::server::serve(socket, status).await {
                    log.info(format!("status socket {}: {e}", path.display()));
                }
            });
        }
        Err(e) => log.info(format!("{e}; running without it")),
    }
}

/// Switches lvsd's main thread to real-time round robin one step below a
/// real-time pulse, so that the table is programmed at a takeover while
/// pulse brings the VIPs up, without waiting for the CPU. The nannies, and
/// any thread that does not raise itself, start under the normal scheduler
/// (reset on fork).
/// Returns the priority taken.
fn take_realtime(choice: std::io::Result<daemon::sched::Choice>, log: &Logger) -> Option<i32> {
    use daemon::sched::{Choice, round_robin};
    match choice {
        Ok(Choice::Normal) => {}
        Ok(Choice::RoundRobin(priority)) => match round_robin(priority) {
            Ok(()) => {
                log.debug(format!("real-time round robin priority {priority}, one below pulse's"));
                return Some(priority);
            }
            Err(e) => log.info(format!(
                "cannot run at real-time priority {priority} below pulse's ({e}); a takeover may wait for the CPU"
            )),
        },
        Ok(Choice::NotAllowed { parent, limit }) => log.info(format!(
            "pulse runs at real-time priority {parent} and RLIMIT_RTPRIO ({limit}) allows none below it: lvsd \
             runs under the normal scheduler, and a takeover may wait for the CPU (the unit's LimitRTPRIO= sets \
             the limit)"
        )),
        Err(e) => log.debug(format!("cannot read pulse's scheduling policy: {e}")),
    }
    None
}

/// Runs lvsd with `cli`; returns the exit status.
pub fn main(cli: &Cli) -> ExitCode {
    if cli.version {
        print!("{VERSION_TEXT}");
        return ExitCode::SUCCESS;
    }
    // IPVS needs CAP_NET_ADMIN and nothing else does; the nannies get no more
    // (they drop even that). Before any thread exists: capabilities are per thread.
    {
        use daemon::privilege::{Capability, Children, keep_only};
        if let Err(e) = keep_only(&[Capability::CAP_NET_ADMIN], Children::Limited) {
            eprintln!("lvs: {e}");
            return ExitCode::FAILURE;
        }
    }
    let path = cli.config.as_path();
    let config = match lvs_config::load(path, &SystemResolver::new()) {
        Ok(loaded) => loaded.parsed.config,
        Err(lvs_config::LoadError::Read { .. }) => {
            eprintln!("lvs: failed to open {}", path.display());
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("lvs: error parsing {} on line {}.", path.display(), e.first().map_or(0, |d| d.line));
            for line in e.rendered() {
                eprintln!("{line}");
            }
            return ExitCode::FAILURE;
        }
    };
    let nanny = nanny_program(
        config.active_virtual_services().next().map_or(DEFAULT_CLIENT_MONITOR, |v| v.client_monitor.as_str()),
    );
    let mut kernel: Box<dyn ipvs::IpvsKernel> = if cli.test_start {
        Box::new(ipvs::fake::FakeKernel::default())
    } else {
        match ipvs::Client::open() {
            Ok(client) => Box::new(client),
            Err(e) => {
                eprintln!("lvs: {e}");
                return ExitCode::FAILURE;
            }
        }
    };
    // pulse's pipe, kept past daemonizing (which puts /dev/null on fd 0).
    let standby_input = if cli.standby {
        use std::os::fd::AsFd;
        match std::io::stdin().as_fd().try_clone_to_owned() {
            Ok(fd) => Some(std::fs::File::from(fd)),
            Err(e) => {
                eprintln!("lvs: --standby: cannot keep standard input: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        None
    };
    // Under a real-time pulse, the priority below it (see `daemon::sched`):
    // decided while pulse is still the parent, taken after daemonizing.
    let realtime = daemon::sched::below_parent();
    // Daemonize before any runtime or thread exists (spec §2.13).
    let mut _pid_file = None;
    if !cli.nodaemon {
        let detach =
            if cli.nofork { daemon::daemonize::Detach::NoFork } else { daemon::daemonize::Detach::Fork };
        let options = daemon::daemonize::DaemonOptions {
            detach,
            pid_file: Some(daemon::pidfile::pid_file_path("lvs")),
        };
        match daemon::daemonize::daemonize(&options) {
            Ok(d) => _pid_file = d.pid_file,
            Err(e) => {
                eprintln!("lvs: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let builder = Logger::builder(Identity::lvsd()).verbose(cli.verbose);
    let log = if cli.nodaemon { builder.stdout().build() } else { builder.syslog().build() };
    if let Some(Err(e)) = &_pid_file {
        log.info(e.to_string());
    }
    let realtime = take_realtime(realtime, &log);
    let settings = runtime::Settings {
        config_path: path.to_path_buf(),
        verbose: cli.verbose,
        test_start: cli.test_start,
        nanny: nanny.clone(),
        standby: cli.standby,
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            log.info(format!("cannot start: {e}"));
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<SignalEvent>();
        let mut signals = match Signals::new() {
            Ok(s) => s,
            Err(e) => {
                log.info(format!("cannot install signal handlers: {e}"));
                return runtime::Outcome::NannyDied;
            }
        };
        tokio::spawn(async move {
            loop {
                if tx.send(signals.next().await).is_err() {
                    return;
                }
            }
        });
        let (status_tx, status_rx) =
            tokio::sync::watch::channel(::status::model::DaemonStatus::Lvsd(::status::model::LvsdStatus {
                mode: ::status::model::LvsdMode::Standby,
                test_start: settings.test_start,
                config: settings.config_path.display().to_string(),
                started: 0.0,
                services: Vec::new(),
            }));
        serve_status(status_rx, &log);
        let mut lvsd =
            runtime::Lvsd::new(settings, config, kernel.as_mut(), log.clone()).with_status(status_tx);
        if let Some(input) = standby_input {
            // pulse hands a socket as standard input and reads the
            // acknowledgements from it; on a pipe the write fails and the
            // acknowledgement is dropped.
            if let Ok(ack) = input.try_clone() {
                lvsd = lvsd.with_standby_ack(Box::new(ack));
            }
            match read_standby_commands(input, realtime) {
                Ok(commands) => lvsd = lvsd.with_standby_commands(commands),
                Err(e) => {
                    log.info(format!("--standby: cannot start reading pulse's commands: {e}"));
                    return runtime::Outcome::NannyDied;
                }
            }
        }
        lvsd.start().await;
        lvsd.run(&mut rx).await
    });
    match outcome {
        runtime::Outcome::Stopped => ExitCode::SUCCESS,
        runtime::Outcome::NannyDied => ExitCode::FAILURE,
    }
}
