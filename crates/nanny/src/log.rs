//! nanny's logging, behind a small trait so the shared `daemon` logger can replace it.
//!
//! Every message is priority info, facility daemon, ident `nanny`, with the pid (spec §6.1);
//! syslog gets the message as data (`"%s"`), never as a format string.

use std::io::Write;
use std::sync::Mutex;

use nix::syslog::{Facility, LogFlags, Severity, openlog, syslog};

/// Where log lines go.
pub trait Log: Send + Sync {
    /// Logs one message (priority info).
    fn info(&self, message: &str);
}

/// The system log, ident `nanny`, facility daemon, LOG_PID.
pub struct Syslog;

impl Syslog {
    /// Opens the system log connection.
    pub fn open() -> Syslog {
        // Failure only means messages are lost, as with the original.
        let _ = openlog(Some(c"nanny"), LogFlags::LOG_PID, Facility::LOG_DAEMON);
        Syslog
    }
}

impl Log for Syslog {
    fn info(&self, message: &str) {
        let _ = syslog(Severity::LOG_INFO, message);
    }
}

/// `nanny: <message>\n` on a stream, one write per line (stdout with `-n`, stderr in worker
/// mode).
pub struct Prefixed<W: Write + Send>(pub Mutex<W>);

impl<W: Write + Send> Log for Prefixed<W> {
    fn info(&self, message: &str) {
        let line = format!("nanny: {message}\n");
        if let Ok(mut w) = self.0.lock() {
            let _ = w.write_all(line.as_bytes());
            let _ = w.flush();
        }
    }
}

/// Several sinks at once.
pub struct Tee(pub Vec<Box<dyn Log>>);

impl Log for Tee {
    fn info(&self, message: &str) {
        for sink in &self.0 {
            sink.info(message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixed_lines() {
        let log = Prefixed(Mutex::new(Vec::new()));
        log.info("[ active ] making 10.0.0.1:80 available");
        log.info("100% sure");
        let out = log.0.into_inner().expect("not poisoned");
        assert_eq!(out, b"nanny: [ active ] making 10.0.0.1:80 available\nnanny: 100% sure\n");
    }
}
