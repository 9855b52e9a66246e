//! `sd_notify(3)`: telling systemd that the daemon is ready, reloading or
//! stopping (`Type=notify` / `Type=notify-reload` units).
//!
//! A small datagram writer of our own rather than the `sd-notify` crate: the
//! socket is a parameter ([`Notifier::to_socket`]), so tests need not change
//! the process environment, and `RELOADING=1` carries the `MONOTONIC_USEC=`
//! that systemd ≥ 253 requires for `Type=notify-reload`. When `NOTIFY_SOCKET`
//! is unset (not started by systemd, or `Type=forking`) every call is a no-op.
//! After a reload the daemon sends [`ready`](Notifier::ready) again.

use std::ffi::OsString;
use std::io;
use std::os::linux::net::SocketAddrExt as _;
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::path::PathBuf;

use nix::time::{ClockId, clock_gettime};

/// One `KEY=value` line of a notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotifyState<'a> {
    /// `READY=1`: start-up or reload finished.
    Ready,
    /// `RELOADING=1`: a reload began.
    Reloading,
    /// `MONOTONIC_USEC=`: `CLOCK_MONOTONIC` in microseconds, sent with
    /// [`Reloading`](Self::Reloading).
    MonotonicUsec(u64),
    /// `STOPPING=1`: shutdown began.
    Stopping,
    /// `STATUS=`: a one-line status for `systemctl status` (newlines become
    /// blanks).
    Status(&'a str),
    /// `MAINPID=`: the daemon's pid, when it is not the notifying process.
    MainPid(u32),
}

impl NotifyState<'_> {
    fn line(&self) -> String {
        match self {
            Self::Ready => "READY=1".into(),
            Self::Reloading => "RELOADING=1".into(),
            Self::MonotonicUsec(usec) => format!("MONOTONIC_USEC={usec}"),
            Self::Stopping => "STOPPING=1".into(),
            Self::Status(text) => format!("STATUS={}", text.replace(['\n', '\r'], " ")),
            Self::MainPid(pid) => format!("MAINPID={pid}"),
        }
    }
}

/// Failure to deliver a notification.
#[derive(Debug, thiserror::Error)]
#[error("cannot notify systemd at {socket}: {source}")]
pub struct NotifyError {
    socket: String,
    #[source]
    source: io::Error,
}

/// Where notifications go; cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Notifier {
    socket: Option<OsString>,
}

impl Notifier {
    /// The socket named by `NOTIFY_SOCKET` (a path, or `@name` for the
    /// abstract namespace); disabled when unset or empty. The variable is left
    /// in place; children should not inherit it, so spawn them with
    /// `env_remove("NOTIFY_SOCKET")`.
    pub fn from_env() -> Self {
        std::env::var_os("NOTIFY_SOCKET").map_or_else(Self::disabled, Self::to_socket)
    }

    /// Notifications to `socket` (a path, or `@name` for the abstract
    /// namespace).
    pub fn to_socket(socket: impl Into<OsString>) -> Self {
        let socket = socket.into();
        Self { socket: (!socket.is_empty()).then_some(socket) }
    }

    /// A notifier that sends nothing.
    pub fn disabled() -> Self {
        Self { socket: None }
    }

    /// Whether notifications are sent at all.
    pub fn is_enabled(&self) -> bool {
        self.socket.is_some()
    }

    /// `READY=1`.
    ///
    /// # Errors
    /// See [`send`](Self::send).
    pub fn ready(&self) -> Result<(), NotifyError> {
        self.send(&[NotifyState::Ready])
    }

    /// `RELOADING=1` and `MONOTONIC_USEC=` now.
    ///
    /// # Errors
    /// See [`send`](Self::send).
    pub fn reloading(&self) -> Result<(), NotifyError> {
        self.send(&[NotifyState::Reloading, NotifyState::MonotonicUsec(monotonic_usec())])
    }

    /// `STOPPING=1`.
    ///
    /// # Errors
    /// See [`send`](Self::send).
    pub fn stopping(&self) -> Result<(), NotifyError> {
        self.send(&[NotifyState::Stopping])
    }

    /// `STATUS=text`.
    ///
    /// # Errors
    /// See [`send`](Self::send).
    pub fn status(&self, text: &str) -> Result<(), NotifyError> {
        self.send(&[NotifyState::Status(text)])
    }

    /// Sends `states` as one datagram, one `KEY=value\n` line each; nothing
    /// when disabled.
    ///
    /// # Errors
    /// The socket is missing or refuses the datagram. Callers usually log and
    /// carry on: systemd then times the unit out, which is the right signal.
    pub fn send(&self, states: &[NotifyState<'_>]) -> Result<(), NotifyError> {
        let Some(socket) = &self.socket else {
            return Ok(());
        };
        let message: String = states.iter().map(|s| s.line() + "\n").collect();
        deliver(socket, message.as_bytes())
            .map_err(|source| NotifyError { socket: socket.to_string_lossy().into_owned(), source })
    }
}

fn deliver(socket: &OsString, message: &[u8]) -> io::Result<()> {
    let bytes = socket.as_bytes();
    let address = match bytes.strip_prefix(b"@") {
        Some(name) => SocketAddr::from_abstract_name(name)?,
        None => SocketAddr::from_pathname(PathBuf::from(socket))?,
    };
    UnixDatagram::unbound()?.send_to_addr(message, &address)?;
    Ok(())
}

/// `CLOCK_MONOTONIC` in microseconds, the clock systemd compares with.
fn monotonic_usec() -> u64 {
    clock_gettime(ClockId::CLOCK_MONOTONIC).map_or(0, |now| {
        let seconds = u64::try_from(now.tv_sec()).unwrap_or(0);
        let micros = u64::try_from(now.tv_nsec() / 1000).unwrap_or(0);
        seconds * 1_000_000 + micros
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::Listener;

    fn notifier(listener: &Listener) -> Notifier {
        Notifier::to_socket(listener.path())
    }

    #[test]
    fn ready_stopping_status() {
        let listener = Listener::new("basic");
        let notifier = notifier(&listener);
        assert!(notifier.is_enabled());
        notifier.ready().unwrap();
        assert_eq!(listener.recv(), "READY=1\n");
        notifier.status("2 virtual services\nactive").unwrap();
        assert_eq!(listener.recv(), "STATUS=2 virtual services active\n");
        notifier.stopping().unwrap();
        assert_eq!(listener.recv(), "STOPPING=1\n");
        notifier.send(&[NotifyState::Ready, NotifyState::MainPid(42)]).unwrap();
        assert_eq!(listener.recv(), "READY=1\nMAINPID=42\n");
    }

    #[test]
    fn reloading_carries_monotonic_usec() {
        let listener = Listener::new("reload");
        let before = monotonic_usec();
        notifier(&listener).reloading().unwrap();
        let message = listener.recv();
        let usec: u64 = message
            .strip_prefix("RELOADING=1\nMONOTONIC_USEC=")
            .and_then(|rest| rest.strip_suffix('\n'))
            .unwrap_or_else(|| panic!("{message:?}"))
            .parse()
            .unwrap();
        assert!(usec >= before && usec <= monotonic_usec());
    }

    #[test]
    fn abstract_socket() {
        let name = format!("daemon-notify-test-{}", std::process::id());
        let address = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let socket = UnixDatagram::bind_addr(&address).unwrap();
        Notifier::to_socket(format!("@{name}")).ready().unwrap();
        let mut buf = [0u8; 64];
        let n = socket.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1\n");
    }

    #[test]
    fn disabled_is_a_no_op_and_missing_socket_an_error() {
        assert!(!Notifier::disabled().is_enabled());
        Notifier::disabled().ready().unwrap();
        assert!(!Notifier::to_socket("").is_enabled());
        let err = Notifier::to_socket("/nonexistent/notify").ready().unwrap_err();
        assert!(err.to_string().starts_with("cannot notify systemd at /nonexistent/notify: "), "{err}");
    }
}
