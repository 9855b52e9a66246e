//! The original's logging mechanics (spec §6.1), with its format-string bug
//! fixed (§8 #21).
//!
//! A [`Logger`] sends every message to the sinks it was built with:
//!
//! - **foreground** ("printf" mode): `<prefix>: <message>\n` in one `write(2)`
//!   on stdout (or any [`Write`]r). The message is cut to
//!   [`FOREGROUND_MAX_MESSAGE`] bytes as the original does: lvsd reads nanny's
//!   stdout line by line (spec §4.8), and scripts may rely on the bound. The cut
//!   never splits a UTF-8 character.
//! - **syslog**: an RFC 3164 datagram to `/dev/log` exactly as glibc's
//!   `openlog(ident, LOG_PID, LOG_DAEMON)` + `syslog(LOG_INFO, "%s", msg)` would
//!   send it ([`SyslogSink`]); the message goes out whole up to
//!   [`SYSLOG_MAX_MESSAGE`] bytes (the original passed it unbounded).
//! - **memory**: a [`MemoryLog`] that tests inspect.
//!
//! Idents and prefixes per daemon are in [`Identity`]. Which sinks a daemon
//! builds follows the original (spec §6.1):
//!
//! | Daemon | foreground (`--nodaemon`) | daemon mode (incl. `--nofork`) |
//! |---|---|---|
//! | pulse, lvsd | [`stdout`](LoggerBuilder::stdout) only | [`syslog`](LoggerBuilder::syslog) only |
//! | nanny | stdout **and** syslog | syslog |
//!
//! Every message is
//! `LOG_INFO`, as in the original, unless [`LoggerBuilder::map_severities`]
//! is set. [`Logger::debug`] lines appear only when the logger is verbose
//! (`-v`). Trailing newlines are stripped (several original texts embed one,
//! spec §6.2).
//!
//! Logging never fails and never panics: a sink that cannot write drops the
//! message silently, as `syslog(3)` does.
//!
//! The logger is cheap to clone (one `Arc`) and usable from any task or thread;
//! each call writes synchronously and holds a lock only for that write.

mod memory;
mod syslog;

use std::fmt::{self, Display, Write as _};
use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};

pub use memory::{MemoryLog, Record};
pub use syslog::{
    DEFAULT_SYSLOG_PATH, FACILITY_DAEMON, SYSLOG_MAX_MESSAGE, SYSLOG_SEND_TIMEOUT, SyslogSink,
    SyslogTimestamp, format_datagram,
};

/// Longest message, in bytes, that the foreground sink prints (the original's
/// 256-byte buffer less its terminating NUL).
pub const FOREGROUND_MAX_MESSAGE: usize = 255;

/// Severity of a message, with the `syslog(3)` numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// `LOG_ERR` (3).
    Error = 3,
    /// `LOG_WARNING` (4).
    Warning = 4,
    /// `LOG_NOTICE` (5).
    Notice = 5,
    /// `LOG_INFO` (6): what the original used for everything.
    Info = 6,
    /// `LOG_DEBUG` (7): only logged when the logger is verbose.
    Debug = 7,
}

impl Level {
    /// The `syslog(3)` severity number.
    pub const fn severity(self) -> u8 {
        self as u8
    }
}

/// A daemon's syslog ident and stdout prefix (spec §6.1 table).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    ident: String,
    prefix: String,
}

impl Identity {
    /// An ident for syslog and a prefix for the foreground (`<prefix>: msg`).
    pub fn new(ident: impl Into<String>, prefix: impl Into<String>) -> Self {
        Self { ident: ident.into(), prefix: prefix.into() }
    }

    /// pulse: ident `pulse`, prefix `pulse`.
    pub fn pulse() -> Self {
        Self::new("pulse", "pulse")
    }

    /// lvsd: ident `lvsd`, prefix `lvs` (the logging name, also its pid file name).
    pub fn lvsd() -> Self {
        Self::new("lvsd", "lvs")
    }

    /// nanny: ident `nanny`, prefix `nanny`.
    pub fn nanny() -> Self {
        Self::new("nanny", "nanny")
    }

    /// The syslog ident (`lvsd` in `lvsd[1234]: …`).
    pub fn ident(&self) -> &str {
        &self.ident
    }

    /// The foreground prefix (`lvs` in `lvs: …`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
}

/// Where foreground lines go.
type Foreground = Mutex<Box<dyn Write + Send>>;

struct Inner {
    identity: Identity,
    verbose: bool,
    map_severities: bool,
    foreground: Option<Foreground>,
    syslog: Option<Mutex<SyslogSink>>,
    memory: Option<MemoryLog>,
}

/// A cloneable handle that logs to the sinks it was built with; see the
/// [module docs](self).
#[derive(Clone)]
pub struct Logger {
    inner: Arc<Inner>,
}

impl fmt::Debug for Logger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logger")
            .field("identity", &self.inner.identity)
            .field("verbose", &self.inner.verbose)
            .field("map_severities", &self.inner.map_severities)
            .field("foreground", &self.inner.foreground.is_some())
            .field("syslog", &self.inner.syslog.is_some())
            .field("memory", &self.inner.memory.is_some())
            .finish()
    }
}

impl Logger {
    /// Starts a logger for `identity` with no sink.
    pub fn builder(identity: Identity) -> LoggerBuilder {
        LoggerBuilder {
            identity,
            verbose: false,
            map_severities: false,
            foreground: None,
            syslog: None,
            memory: None,
        }
    }

    /// The ident and prefix this logger was built with.
    pub fn identity(&self) -> &Identity {
        &self.inner.identity
    }

    /// Whether [`debug`](Self::debug) messages are logged (`-v`).
    pub fn is_verbose(&self) -> bool {
        self.inner.verbose
    }

    /// Logs `message` at `level`; [`Level::Debug`] only when verbose.
    pub fn log(&self, level: Level, message: impl Display) {
        let inner = &*self.inner;
        if level == Level::Debug && !inner.verbose {
            return;
        }
        let mut text = String::new();
        // Writing into a String only fails if a Display impl reports an
        // error; log what was produced up to then.
        let _ = write!(text, "{message}");
        let text = text.trim_end_matches(['\n', '\r']);

        if let Some(foreground) = &inner.foreground {
            let line = foreground_line(&inner.identity.prefix, text);
            let mut out = foreground.lock().unwrap_or_else(PoisonError::into_inner);
            // One write_all on the writer: for stdout that is one write(2).
            let _ = out.write_all(line.as_bytes()).and_then(|()| out.flush());
        }
        if let Some(syslog) = &inner.syslog {
            let severity = if inner.map_severities { level } else { Level::Info };
            syslog.lock().unwrap_or_else(PoisonError::into_inner).send(severity.severity(), text);
        }
        if let Some(memory) = &inner.memory {
            memory.push(level, text);
        }
    }

    /// Logs at [`Level::Error`].
    pub fn error(&self, message: impl Display) {
        self.log(Level::Error, message);
    }

    /// Logs at [`Level::Warning`].
    pub fn warn(&self, message: impl Display) {
        self.log(Level::Warning, message);
    }

    /// Logs at [`Level::Notice`].
    pub fn notice(&self, message: impl Display) {
        self.log(Level::Notice, message);
    }

    /// Logs at [`Level::Info`], the level of every original message.
    pub fn info(&self, message: impl Display) {
        self.log(Level::Info, message);
    }

    /// Logs at [`Level::Debug`] if the logger is verbose, else does nothing.
    /// The original's `DEBUG -- …` texts keep their prefix: pass it in.
    pub fn debug(&self, message: impl Display) {
        self.log(Level::Debug, message);
    }
}

/// Builds a [`Logger`]; see [`Logger::builder`].
pub struct LoggerBuilder {
    identity: Identity,
    verbose: bool,
    map_severities: bool,
    foreground: Option<Box<dyn Write + Send>>,
    syslog: Option<SyslogSink>,
    memory: Option<MemoryLog>,
}

impl LoggerBuilder {
    /// Logs [`Logger::debug`] messages too (`-v`).
    pub fn verbose(mut self, verbose: bool) -> Self {
        self.verbose = verbose;
        self
    }

    /// Sends syslog messages at their own [`Level`] instead of `LOG_INFO`
    /// for all (spec §8 #21 allows it). Off by default: with the common
    /// `*.info` rule, `LOG_DEBUG` lines would vanish from `/var/log/messages`.
    pub fn map_severities(mut self, map: bool) -> Self {
        self.map_severities = map;
        self
    }

    /// Foreground lines on stdout (fd 1), each in one `write(2)` that bypasses
    /// std's buffer, so lines of concurrent writers never interleave.
    pub fn stdout(self) -> Self {
        self.foreground(Stdout)
    }

    /// Foreground lines on `writer`, each passed in one `write_all`.
    pub fn foreground(mut self, writer: impl Write + Send + 'static) -> Self {
        self.foreground = Some(Box::new(writer));
        self
    }

    /// Syslog on [`DEFAULT_SYSLOG_PATH`] with the identity's ident.
    pub fn syslog(self) -> Self {
        let sink = SyslogSink::new(self.identity.ident.clone());
        self.syslog_sink(sink)
    }

    /// Syslog through `sink` (another socket path or clock, for tests).
    pub fn syslog_sink(mut self, sink: SyslogSink) -> Self {
        self.syslog = Some(sink);
        self
    }

    /// Every message also recorded in `memory` (which may be cloned before).
    pub fn memory(mut self, memory: &MemoryLog) -> Self {
        self.memory = Some(memory.clone());
        self
    }

    /// The logger. Without any sink it discards everything.
    pub fn build(self) -> Logger {
        Logger {
            inner: Arc::new(Inner {
                identity: self.identity,
                verbose: self.verbose,
                map_severities: self.map_severities,
                foreground: self.foreground.map(Mutex::new),
                syslog: self.syslog.map(Mutex::new),
                memory: self.memory,
            }),
        }
    }
}

/// `<prefix>: <message>\n`, the message cut to [`FOREGROUND_MAX_MESSAGE`].
fn foreground_line(prefix: &str, message: &str) -> String {
    let message = truncate_utf8(message, FOREGROUND_MAX_MESSAGE);
    let mut line = String::with_capacity(prefix.len() + message.len() + 3);
    line.push_str(prefix);
    line.push_str(": ");
    line.push_str(message);
    line.push('\n');
    line
}

/// The longest prefix of `text` of at most `max` bytes that ends on a
/// character boundary.
pub(crate) fn truncate_utf8(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// fd 1 without std's line buffer: each `write_all` is one `write(2)` unless
/// the kernel takes less (then the rest follows).
struct Stdout;

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        loop {
            match nix::unistd::write(io::stdout(), buf) {
                Err(nix::errno::Errno::EINTR) => continue,
                result => return result.map_err(io::Error::from),
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
