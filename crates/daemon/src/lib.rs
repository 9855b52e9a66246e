//! Shared plumbing for the Piranha daemons (`pulse`, `lvsd`, `nanny`): the pieces
//! every long-running program of the workspace needs and that must behave like
//! Piranha 0.8.6 towards administrators and init systems.
//!
//! - [`log`]: the original's logging mechanics (spec §6.1): `<prefix>: <message>`
//!   on stdout in the foreground, syslog (facility daemon, option `LOG_PID`,
//!   ident per daemon) otherwise, an in-memory sink for tests.
//! - [`pidfile`]: `/var/run/NAME.pid`, written atomically, stale vs. live
//!   detection (spec §2.13, §7.1).
//! - [`daemonize`](mod@daemonize): fork/setsid/`/dev/null`/`cwd /` as in spec
//!   §2.13, plus [`daemonize::kill_on_parent_death`] for children.
//! - [`signals`]: SIGTERM/SIGINT/SIGHUP/SIGUSR1/SIGUSR2 as one async stream of
//!   [`SignalEvent`]s, SIGPIPE swallowed.
//! - [`notify`]: `sd_notify` (`READY=1`, `RELOADING=1`, `STOPPING=1`, `STATUS=`).
//! - [`exit`]: the documented exit statuses.
//! - [`privilege`]: each daemon keeps only the capabilities it needs (nanny
//!   none), dropped before any thread exists.
//! - [`sched`]: lvsd's real-time priority one step below pulse's, so that a
//!   takeover does not wait for the CPU.
//!
//! ```
//! use daemon::log::{Identity, Logger, MemoryLog};
//! let memory = MemoryLog::new();
//! let log = Logger::builder(Identity::lvsd()).memory(&memory).build();
//! log.info(format_args!("starting virtual service {} active: {}", "http", 1));
//! assert_eq!(memory.messages(), ["starting virtual service http active: 1"]);
//! ```
//!
//! Left out: `tracing` integration (the daemons log fixed operator texts, spec
//! §6.2, through [`Logger`]), journald's native protocol (journald reads
//! `/dev/log` like any syslog daemon), the watchdog and fd store of `sd_notify`,
//! and everything about what a daemon does: that lives in the daemon crates.

pub mod daemonize;
pub mod exit;
pub mod log;
pub mod notify;
pub mod pidfile;
pub mod privilege;
pub mod sched;
pub mod signals;
#[cfg(test)]
mod testutil;

pub use exit::ExitStatus;

/// The `--version` block every daemon prints, in the original's three-line
/// format (spec §0); all binaries share the workspace version.
pub const VERSION_TEXT: &str = concat!(
    "Program Version:\t",
    env!("CARGO_PKG_VERSION"),
    "\nBuilt:\t\t\tfrom source\nA component of:\t\tpiranha-rs-",
    env!("CARGO_PKG_VERSION"),
    "\n"
);
pub use log::Logger;
pub use signals::{SignalEvent, Signals};
