//! The `pulse` program: the start-up sequence of spec §2.2 and the wiring of
//! the event loop, signals, `monitor_links` and systemd notifications.
//!
//! Order matters: the heartbeat sockets are bound with std sockets before
//! daemonizing (errors reach the terminal), and the daemon is detached
//! before the tokio runtime or any thread exists.

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use clap::error::{ContextKind, ErrorKind};
use daemon::daemonize::{DaemonOptions, Detach, daemonize};
use daemon::log::Identity;
use daemon::notify::Notifier;
use daemon::{Logger, SignalEvent, Signals};
use heartbeat::{HeartbeatKey, Machine, Role, Settings};
use lvs_config::{Config, LoadError, ServiceType, SystemResolver};
use tokio::sync::mpsc;

use crate::addresses::{Channels, local_addresses};
use crate::auth::{Heartbeats, Rekey};
use crate::cli::{Cli, VERSION_TEXT};
use crate::links;
use crate::processes::{ProcessRouter, ProcessSettings, lvsd_has_standby};
use crate::runtime::{Control, run_with_status};
use crate::status::StatusBoard;
use crate::transport::BoundSockets;
use crate::vips::{VipHandler, vip_plan};

/// The pid file of the daemon (spec §7.1).
pub const PID_FILE_NAME: &str = "pulse";

/// Logged (spec §1.7) when `backup_active = 1` names no backup address.
pub const UNDEFINED_BACKUP: &str = "Undefined backup node marked as active? -- clearing that!";

/// The original's text for a configuration that cannot be used, without
/// the `pulse: ` prefix: `failed to open <file>` or
/// `error parsing <file> at line <n>: <text>`.
pub fn config_error(path: &Path, error: &LoadError) -> String {
    match error {
        LoadError::Read { .. } => format!("failed to open {}", path.display()),
        LoadError::Parse { .. } => {
            let (line, text) = error.first().map_or((0, error.to_string()), |d| (d.line, d.message()));
            format!("error parsing {} at line {line}: {text}", path.display())
        }
    }
}

/// The original's stderr text for a bad command line (spec §2.1).
pub fn usage_error(error: &clap::Error) -> String {
    let argument = error.get(ContextKind::InvalidArg).map(ToString::to_string).unwrap_or_default();
    if error.kind() == ErrorKind::UnknownArgument && !argument.starts_with('-') {
        return "pulse: unexpected arguments".to_owned();
    }
    let why = match error.kind() {
        ErrorKind::UnknownArgument => "unknown option",
        ErrorKind::InvalidValue | ErrorKind::NoEquals => "missing argument",
        ErrorKind::TooManyValues | ErrorKind::ArgumentConflict => "option given more than once",
        _ => "invalid option",
    };
    format!("pulse: bad argument {argument}: {why}")
}

/// Runs pulse with the process's command line; returns its exit status.
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{}", usage_error(&e));
            return ExitCode::FAILURE;
        }
    };
    if cli.version {
        print!("{VERSION_TEXT}");
        return ExitCode::SUCCESS;
    }
    // VIPs and the sync daemon (CAP_NET_ADMIN), gratuitous ARP (CAP_NET_RAW), port 539
    // (CAP_NET_BIND_SERVICE). The bounding set stays: active_cmd and inactive_cmd run
    // with what the service manager allows, as under the original. Before any thread.
    {
        use daemon::privilege::{Capability, Children, keep_only};
        let needed = [Capability::CAP_NET_ADMIN, Capability::CAP_NET_RAW, Capability::CAP_NET_BIND_SERVICE];
        if let Err(e) = keep_only(&needed, Children::Unlimited) {
            eprintln!("pulse: {e}");
            return ExitCode::FAILURE;
        }
    }
    let path = cli.config.clone();
    let config = match lvs_config::load(&path, &SystemResolver::new()) {
        Ok(loaded) => loaded.parsed.config,
        Err(e) => {
            eprintln!("pulse: {}", config_error(&path, &e));
            return ExitCode::FAILURE;
        }
    };
    if config.service == ServiceType::Fos {
        eprintln!("pulse: failover (fos) services are not supported by this pulse");
        return ExitCode::FAILURE;
    }
    // Lines for the log, which exists only after daemonizing.
    let mut deferred = Vec::new();
    let addresses = config.heartbeat_addresses();
    let role = match local_addresses() {
        Ok(local) => Role::detect(addresses.primary, &local),
        Err(e) => {
            deferred.push(format!("failed to list local addresses: {e}"));
            Role::Primary
        }
    };
    if config.backup_active && !config.has_backup() {
        deferred.push(UNDEFINED_BACKUP.to_owned());
    }
    if config.active_virtual_services().next().is_none() {
        eprintln!("pulse: no active lvs services defined in {}", path.display());
        return ExitCode::FAILURE;
    }
    let key = match crate::auth::configured_key(&config) {
        Ok(key) => key,
        Err(e) => {
            eprintln!("pulse: {e}");
            return ExitCode::FAILURE;
        }
    };
    let channels = Channels::new(&addresses, role, config.heartbeat_port);
    let sockets = match BoundSockets::bind(channels) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("pulse: {e}");
            eprintln!("pulse: cannot create heartbeat socket. running as root?");
            return ExitCode::FAILURE;
        }
    };
    let mut pid_file = None;
    if !cli.nodaemon {
        let options = DaemonOptions {
            detach: Detach::Fork,
            pid_file: Some(daemon::pidfile::pid_file_path(PID_FILE_NAME)),
        };
        match daemonize(&options) {
            Ok(daemonized) => pid_file = daemonized.pid_file,
            Err(e) => {
                eprintln!("pulse: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let builder = Logger::builder(Identity::pulse()).verbose(cli.verbose);
    let log = if cli.nodaemon { builder.stdout().build() } else { builder.syslog().build() };
    let pid_file = match pid_file {
        Some(Ok(file)) => Some(file),
        Some(Err(e)) => {
            log.info(e);
            None
        }
        None => None,
    };
    for line in deferred {
        log.info(line);
    }
    let status = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(serve(&cli, &config, role, sockets, key, &log)),
        Err(e) => {
            log.info(format!("cannot start: {e}"));
            1
        }
    };
    if let Some(file) = pid_file
        && let Err(e) = file.remove()
    {
        log.info(e);
    }
    ExitCode::from(status)
}

/// Everything after daemonizing, inside the runtime: returns the exit status.
async fn serve(
    cli: &Cli,
    config: &Config,
    role: Role,
    sockets: BoundSockets,
    key: Option<HeartbeatKey>,
    log: &Logger,
) -> u8 {
    let sockets = match sockets.into_async() {
        Ok(s) => s,
        Err(e) => {
            log.info(e);
            return 1;
        }
    };
    let mut signals = match Signals::new() {
        Ok(s) => s,
        Err(e) => {
            log.info(format!("cannot install signal handlers: {e}"));
            return 1;
        }
    };
    let notifier = Notifier::from_env();
    let (controls, mut receiver) = mpsc::unbounded_channel();
    let signal_controls = controls.clone();
    let signal_notifier = notifier.clone();
    let signal_log = log.clone();
    let config_path = cli.config.clone();
    tokio::spawn(async move {
        loop {
            let control = match signals.next().await {
                SignalEvent::Shutdown { signal } => {
                    let _ = signal_notifier.stopping();
                    Control::Terminate(signal)
                }
                SignalEvent::Reload => {
                    let _ = signal_notifier.reloading();
                    Control::Reload(rekey(&config_path, &signal_log))
                }
                other => {
                    signal_log.debug(format!("ignoring signal {}", other.number()));
                    continue;
                }
            };
            if signal_controls.send(control).is_err() {
                return;
            }
        }
    });
    let channels = *sockets.channels();
    if config.monitor_links != 0 && config.has_backup() {
        tokio::spawn(links::monitor(
            channels.own_public.ip(),
            channels.own_private.map(|a| a.ip()),
            links::POLL_INTERVAL,
            log.clone(),
            controls.clone(),
        ));
    }
    drop(controls);
    let settings = ProcessSettings::new(
        cli.lvsd.clone(),
        cli.config.clone(),
        !cli.nodaemon,
        cli.verbose,
        cli.test_start,
        config,
    );
    let mut settings = settings;
    if !cli.test_start {
        settings.warm_standby = lvsd_has_standby(&cli.lvsd);
        if !settings.warm_standby {
            log.info(format!(
                "{} has no standby mode: it starts on takeover only, as with the original pulse",
                cli.lvsd.display()
            ));
        }
    }
    let (plan, problems) = vip_plan(config);
    for problem in problems {
        log.info(problem);
    }
    let mut vips = VipHandler::new(plan, cli.test_start, log.clone());
    vips.connect().await;
    let mut router =
        ProcessRouter::new(settings, log.clone()).with_vips(vips).with_notifier(notifier.clone());
    let mut machine_settings = Settings::new(config.keepalive, config.deadtime);
    machine_settings.has_backup = config.has_backup();
    machine_settings.force_active = cli.forceactive;
    machine_settings.lvsd_restarts = cli.lvsd_restarts;
    machine_settings.cold_start_guard = !cli.no_cold_start_guard;
    machine_settings.stall_grace = !cli.no_stall_grace;
    let mut machine = Machine::new(role, machine_settings);
    let mut heartbeats = Heartbeats::new(&channels, key).with_copies(cli.heartbeat_copies, config.keepalive);
    if heartbeats.authenticated() {
        log.info("heartbeat authentication on (heartbeat_key)");
    }
    let partner = config.has_backup().then(|| channels.partner_public.ip());
    let mut board = StatusBoard::new(channels.own_public.ip(), partner, std::time::SystemTime::now());
    if let Some(publisher) = serve_status(&mut board, &machine, log) {
        board = board.with_publisher(publisher);
    }
    let _ = notifier.ready();
    run_with_status(&mut machine, &sockets, &mut heartbeats, &mut router, log, &mut receiver, &mut board)
        .await
}

/// On SIGHUP: the heartbeat key lvs.cf now asks for, or [`Rekey::Keep`]
/// (logged) when lvs.cf or the key file cannot be read.
fn rekey(path: &Path, log: &Logger) -> Rekey {
    let config = match lvs_config::load(path, &SystemResolver::new()) {
        Ok(loaded) => loaded.parsed.config,
        Err(e) => {
            log.info(format!("{}; heartbeat settings unchanged", config_error(path, &e)));
            return Rekey::Keep;
        }
    };
    match crate::auth::configured_key(&config) {
        Ok(key) => Rekey::Use(key),
        Err(e) => {
            log.info(format!("{e}; heartbeat authentication unchanged"));
            Rekey::Keep
        }
    }
}

/// Serves the status socket (`$LVS_RUN_DIR/pulse.sock`, by default
/// `/var/run/pulse.sock`) in a task of its own; returns where to publish.
/// A socket that cannot be set up is logged and pulse runs on without one.
fn serve_status(
    board: &mut StatusBoard,
    machine: &Machine,
    log: &Logger,
) -> Option<tokio::sync::watch::Sender<::status::model::DaemonStatus>> {
    let path = ::status::socket_path(::status::PULSE_SOCKET);
    let socket = match ::status::server::StatusSocket::bind(&path) {
        Ok(socket) => socket,
        Err(e) => {
            log.info(format!("{e}; running without it"));
            return None;
        }
    };
    let first = board.update(machine, Vec::new(), None, std::time::SystemTime::now());
    let (publisher, status) = tokio::sync::watch::channel(::status::model::DaemonStatus::Pulse(first));
    let log = log.clone();
    tokio::spawn(async move {
        if let Err(e) = ::status::server::serve(socket, status).await {
            log.info(format!("status socket {}: {e}", path.display()));
        }
    });
    Some(publisher)
}
