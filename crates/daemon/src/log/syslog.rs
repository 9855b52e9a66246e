//! Our own RFC 3164 writer for the local syslog socket.
//!
//! Chosen over `nix::syslog` (glibc's `syslog(3)`) because its bytes can be
//! checked exactly against a test socket, it takes a socket path, and it never
//! blocks for long: glibc's `syslog` can block indefinitely on a full socket.
//! The datagram is the one glibc sends for `openlog(ident, LOG_PID,
//! LOG_DAEMON)`: `<PRI>Mmm dd hh:mm:ss ident[pid]: message`, local time, no
//! hostname, no trailing newline.

use std::fmt;
use std::io::ErrorKind;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::truncate_utf8;

/// The local syslog socket.
pub const DEFAULT_SYSLOG_PATH: &str = "/dev/log";

/// `LOG_DAEMON` as a facility number (the priority is `facility * 8 + severity`).
pub const FACILITY_DAEMON: u8 = 3;

/// Longest message, in bytes, sent to syslog; longer ones are cut on a
/// character boundary. Far above every original text, well below what rsyslog
/// (8 KiB) and journald accept.
pub const SYSLOG_MAX_MESSAGE: usize = 2048;

/// How long one send may wait for room in a full syslog socket before the
/// message is dropped.
pub const SYSLOG_SEND_TIMEOUT: Duration = Duration::from_millis(100);

const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// The RFC 3164 time stamp (`Nov 25 10:01:15`, day padded with a blank),
/// in local time like glibc's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyslogTimestamp {
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
}

impl SyslogTimestamp {
    /// A time stamp from its fields (`month` 1–12, `day` 1–31, `hour` 0–23,
    /// `minute` and `second` 0–59; a leap second 60 is accepted); `None` when
    /// out of range.
    pub fn new(month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Option<Self> {
        let valid =
            (1..=12).contains(&month) && (1..=31).contains(&day) && hour < 24 && minute < 60 && second <= 60;
        valid.then_some(Self { month, day, hour, minute, second })
    }

    /// Now, in the system time zone (`TZ`, else `/etc/localtime`, else UTC).
    pub fn now() -> Self {
        let now = jiff::Zoned::now();
        let field = |value: i8| u8::try_from(value).unwrap_or(0);
        Self {
            month: field(now.month()),
            day: field(now.day()),
            hour: field(now.hour()),
            minute: field(now.minute()),
            second: field(now.second()),
        }
    }
}

impl fmt::Display for SyslogTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let month = MONTHS[usize::from(self.month.clamp(1, 12) - 1)];
        write!(f, "{month} {:>2} {:02}:{:02}:{:02}", self.day, self.hour, self.minute, self.second)
    }
}

/// The datagram glibc's `syslog(3)` sends for one message:
/// `<PRI>TIMESTAMP IDENT[PID]: MESSAGE` with `PRI = facility * 8 + severity`.
/// `message` is cut to [`SYSLOG_MAX_MESSAGE`] bytes.
///
/// ```
/// use daemon::log::{SyslogTimestamp, format_datagram, FACILITY_DAEMON};
/// let at = SyslogTimestamp::new(11, 25, 10, 1, 15).unwrap();
/// let bytes = format_datagram(FACILITY_DAEMON, 6, &at, "lvsd", 1234, "100% up");
/// assert_eq!(bytes, b"<30>Nov 25 10:01:15 lvsd[1234]: 100% up");
/// ```
pub fn format_datagram(
    facility: u8,
    severity: u8,
    timestamp: &SyslogTimestamp,
    ident: &str,
    pid: u32,
    message: &str,
) -> Vec<u8> {
    let priority = u16::from(facility) * 8 + u16::from(severity & 7);
    let message = truncate_utf8(message, SYSLOG_MAX_MESSAGE);
    format!("<{priority}>{timestamp} {ident}[{pid}]: {message}").into_bytes()
}

/// A connection to a syslog datagram socket that formats like glibc, reconnects
/// when the socket was replaced (syslog daemon restarted) and drops messages
/// silently when there is no syslog.
#[derive(Debug)]
pub struct SyslogSink {
    path: PathBuf,
    ident: String,
    facility: u8,
    clock: fn() -> SyslogTimestamp,
    socket: Option<UnixDatagram>,
}

impl SyslogSink {
    /// A sink on [`DEFAULT_SYSLOG_PATH`] with facility daemon. Nothing is
    /// opened until the first message.
    pub fn new(ident: impl Into<String>) -> Self {
        Self {
            path: PathBuf::from(DEFAULT_SYSLOG_PATH),
            ident: ident.into(),
            facility: FACILITY_DAEMON,
            clock: SyslogTimestamp::now,
            socket: None,
        }
    }

    /// The same sink on another socket path.
    pub fn with_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = path.into();
        self.socket = None;
        self
    }

    /// The same sink with another clock (tests use a fixed time).
    pub fn with_clock(mut self, clock: fn() -> SyslogTimestamp) -> Self {
        self.clock = clock;
        self
    }

    /// The socket path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sends `message` at `severity` (0–7). The pid is read on every call, so
    /// a sink made before [`daemonize`](crate::daemonize::daemonize) logs the
    /// daemon's pid. Drops the message when syslog cannot take it: absent,
    /// refusing, or full for longer than [`SYSLOG_SEND_TIMEOUT`].
    pub fn send(&mut self, severity: u8, message: &str) {
        let datagram = format_datagram(
            self.facility,
            severity,
            &(self.clock)(),
            &self.ident,
            std::process::id(),
            message,
        );
        // A second try with a fresh connection covers a syslog daemon that
        // re-created its socket since the last message.
        for _ in 0..2 {
            let Some(socket) = self.connected() else {
                return;
            };
            match socket.send(&datagram) {
                Ok(_) => return,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return;
                }
                Err(_) => self.socket = None,
            }
        }
    }

    fn connected(&mut self) -> Option<&UnixDatagram> {
        if self.socket.is_none() {
            let socket = UnixDatagram::unbound().ok()?;
            socket.connect(&self.path).ok()?;
            socket.set_write_timeout(Some(SYSLOG_SEND_TIMEOUT)).ok()?;
            self.socket = Some(socket);
        }
        self.socket.as_ref()
    }
}
