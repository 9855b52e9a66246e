//! The line protocol between lvsd and its per-service nanny workers (`nanny --worker`).
//!
//! Pure encoding and decoding; no I/O. Every message is one line of ASCII words separated by
//! single spaces, at most [`MAX_LINE`] bytes (a trailing `\n` or `\r\n` is accepted and ignored).
//!
//! lvsd → nanny (stdin), [`Request`]:
//!
//! ```text
//! server <id> <ipv4-or-ipv6-addr> <port> <weight>
//! forget <id>
//! ```
//!
//! nanny → lvsd (stdout), [`Report`]:
//!
//! ```text
//! up <id> <weight>
//! down <id>
//! probe <id> ok
//! probe <id> fail <reason text>
//! alive
//! ```
//!
//! A worker sends `probe` lines when a server's outcome changes (not for every probe), and
//! `alive` once per probe interval in which it sent nothing else, so that lvsd can tell a quiet
//! worker from a hung one.
//!
//! ```
//! use health::protocol::{parse_request, parse_report, Report, Request};
//! let req = parse_request("server 3 10.0.0.1 80 100\n").unwrap();
//! assert_eq!(req, Request::Server { id: 3, addr: "10.0.0.1".parse().unwrap(), port: 80, weight: 100 });
//! assert_eq!(req.to_string(), "server 3 10.0.0.1 80 100");
//! let rep = Report::Probe { id: 3, ok: false, reason: Some("CONNECT to 10.0.0.1:80 timed out".into()) };
//! assert_eq!(parse_report(&rep.to_string()).unwrap(), rep);
//! ```

use std::fmt;
use std::net::IpAddr;

/// Longest accepted line in bytes, without its line end.
pub const MAX_LINE: usize = 4096;

/// Longest excerpt of offending input quoted in a [`ProtocolError`].
const EXCERPT: usize = 64;

/// Identifier of a real server within one worker, chosen by lvsd.
pub type ServerId = u32;

/// A line lvsd sends to a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Probe this real server (a repeated id replaces the previous address/port/weight).
    Server {
        /// lvsd's identifier of the real server.
        id: ServerId,
        /// Real server address (RIP).
        addr: IpAddr,
        /// Real server port (rport) that is probed.
        port: u16,
        /// Configured IPVS weight (lvs.cf `weight`).
        weight: u32,
    },
    /// Stop probing this real server.
    Forget {
        /// lvsd's identifier of the real server.
        id: ServerId,
    },
}

/// A line a worker sends to lvsd.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// The server is available with this IPVS weight (sent on (re)entry and on every weight change).
    Up {
        /// Real server identifier.
        id: ServerId,
        /// IPVS weight to program.
        weight: u32,
    },
    /// The server failed while it was up.
    Down {
        /// Real server identifier.
        id: ServerId,
    },
    /// Outcome of one probe, for status displays.
    Probe {
        /// Real server identifier.
        id: ServerId,
        /// Whether the probe passed.
        ok: bool,
        /// Why it failed (the nanny log text of spec §6.2); ignored when `ok`.
        reason: Option<String>,
    },
    /// The worker runs but had nothing else to say this interval.
    Alive,
}

/// Why a line is not a valid protocol message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// The line exceeds [`MAX_LINE`] bytes.
    #[error("line too long ({len} bytes, at most {MAX_LINE})")]
    TooLong {
        /// Length of the rejected line.
        len: usize,
    },
    /// The line is empty.
    #[error("empty line")]
    Empty,
    /// The line contains a control character (other than the final line end).
    #[error("control character in line")]
    ControlCharacter,
    /// The first word is not a known message.
    #[error("unknown message `{0}`")]
    UnknownMessage(String),
    /// A required field is missing.
    #[error("missing {0}")]
    MissingField(&'static str),
    /// More words than the message has fields.
    #[error("unexpected text after the message: `{0}`")]
    TrailingText(String),
    /// A numeric field is not a decimal number in range.
    #[error("bad {field}: `{value}`")]
    BadNumber {
        /// Which field.
        field: &'static str,
        /// The offending text (shortened).
        value: String,
    },
    /// The address is neither IPv4 nor IPv6.
    #[error("bad address: `{0}`")]
    BadAddress(String),
    /// The probe outcome is neither `ok` nor `fail`.
    #[error("bad probe outcome `{0}` (ok or fail expected)")]
    BadOutcome(String),
}

/// Parses one line from lvsd.
///
/// # Errors
/// Any [`ProtocolError`]; never panics, whatever the input.
pub fn parse_request(line: &str) -> Result<Request, ProtocolError> {
    let mut words = Words::new(line)?;
    let request = match words.next("message")? {
        "server" => Request::Server {
            id: words.number("id")?,
            addr: {
                let text = words.next("address")?;
                text.parse().map_err(|_| ProtocolError::BadAddress(excerpt(text)))?
            },
            port: words.number("port")?,
            weight: words.number("weight")?,
        },
        "forget" => Request::Forget { id: words.number("id")? },
        other => return Err(ProtocolError::UnknownMessage(excerpt(other))),
    };
    words.finish()?;
    Ok(request)
}

/// Parses one line from a worker.
///
/// # Errors
/// Any [`ProtocolError`]; never panics, whatever the input.
pub fn parse_report(line: &str) -> Result<Report, ProtocolError> {
    let mut words = Words::new(line)?;
    let report = match words.next("message")? {
        "up" => Report::Up { id: words.number("id")?, weight: words.number("weight")? },
        "down" => Report::Down { id: words.number("id")? },
        "alive" => Report::Alive,
        "probe" => {
            let id = words.number("id")?;
            match words.next("outcome")? {
                "ok" => Report::Probe { id, ok: true, reason: None },
                "fail" => {
                    // Trailing blanks are dropped as `Display` drops them, so that what
                    // parses re-encodes to the same value.
                    let reason = words.rest().trim_end();
                    return Ok(Report::Probe {
                        id,
                        ok: false,
                        reason: (!reason.is_empty()).then(|| reason.to_owned()),
                    });
                }
                other => return Err(ProtocolError::BadOutcome(excerpt(other))),
            }
        }
        other => return Err(ProtocolError::UnknownMessage(excerpt(other))),
    };
    words.finish()?;
    Ok(report)
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::Server { id, addr, port, weight } => write!(f, "server {id} {addr} {port} {weight}"),
            Request::Forget { id } => write!(f, "forget {id}"),
        }
    }
}

impl fmt::Display for Report {
    /// Encodes the report as one line (without line end). Control characters in a reason are
    /// replaced by spaces, the line is cut to [`MAX_LINE`] bytes and trailing blanks are dropped,
    /// so the output always parses; a reason left empty is sent as none.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Report::Up { id, weight } => write!(f, "up {id} {weight}"),
            Report::Down { id } => write!(f, "down {id}"),
            Report::Alive => f.write_str("alive"),
            Report::Probe { id, ok: true, .. } => write!(f, "probe {id} ok"),
            Report::Probe { id, ok: false, reason } => {
                let head = format!("probe {id} fail");
                // Sanitized first: a reason of control characters only is no reason.
                let room = MAX_LINE - head.len() - 1;
                match reason.as_deref().map(|r| sanitize(r, room)).filter(|r| !r.is_empty()) {
                    None => f.write_str(&head),
                    Some(clean) => write!(f, "{head} {clean}"),
                }
            }
        }
    }
}

/// Replaces control characters by spaces and cuts to `room` bytes at a character boundary.
fn sanitize(text: &str, room: usize) -> String {
    let mut out = String::with_capacity(text.len().min(room));
    for c in text.chars() {
        let c = if c.is_control() { ' ' } else { c };
        if out.len() + c.len_utf8() > room {
            break;
        }
        out.push(c);
    }
    out.trim_end().to_owned()
}

/// The first [`EXCERPT`] characters of `text`, for error messages.
fn excerpt(text: &str) -> String {
    text.chars().take(EXCERPT).collect()
}

/// A cursor over the space-separated words of one line.
struct Words<'a> {
    rest: &'a str,
}

impl<'a> Words<'a> {
    fn new(line: &'a str) -> Result<Self, ProtocolError> {
        let line = line.strip_suffix('\n').unwrap_or(line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.len() > MAX_LINE {
            return Err(ProtocolError::TooLong { len: line.len() });
        }
        if line.is_empty() {
            return Err(ProtocolError::Empty);
        }
        if line.chars().any(char::is_control) {
            return Err(ProtocolError::ControlCharacter);
        }
        Ok(Words { rest: line })
    }

    fn next(&mut self, field: &'static str) -> Result<&'a str, ProtocolError> {
        if self.rest.is_empty() {
            return Err(ProtocolError::MissingField(field));
        }
        let (word, rest) = self.rest.split_once(' ').unwrap_or((self.rest, ""));
        if word.is_empty() {
            return Err(ProtocolError::MissingField(field));
        }
        self.rest = rest;
        Ok(word)
    }

    fn number<T: std::str::FromStr>(&mut self, field: &'static str) -> Result<T, ProtocolError> {
        let word = self.next(field)?;
        let bad = || ProtocolError::BadNumber { field, value: excerpt(word) };
        // `u32::from_str` accepts a leading `+`; the protocol allows decimal digits only.
        if !word.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        word.parse().map_err(|_| bad())
    }

    fn rest(&self) -> &'a str {
        self.rest
    }

    fn finish(&self) -> Result<(), ProtocolError> {
        if self.rest.is_empty() { Ok(()) } else { Err(ProtocolError::TrailingText(excerpt(self.rest))) }
    }
}

#[cfg(test)]
mod tests;
