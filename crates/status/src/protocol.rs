//! The status protocol, version 1 (pure: bytes in, bytes out).
//!
//! A client connects to the daemon's Unix stream socket, sends one request
//! line and reads one JSON document until the daemon closes the connection:
//!
//! ```text
//! -> status 1\n
//! <- {"protocol":1,"time":1764090000.5,"pid":812,"daemon":"pulse","role":"primary",...}\n
//! ```
//!
//! The request is `status VERSION`, `VERSION` being the highest protocol
//! version the client understands (at least 1), at most [`MAX_REQUEST`]
//! bytes with its line end. Every answer carries `protocol` (the version
//! it is written in), `time` (the daemon's clock, Unix seconds) and
//! `pid`; a status answer adds `daemon` and that daemon's fields
//! ([`crate::model`]), an error answer only `error` (text). Within a version
//! fields are only ever added, so decoders ignore fields they do not know;
//! a renamed or removed field means a new version.

use serde::{Deserialize, Serialize};

use crate::model::DaemonStatus;

/// The protocol version this crate speaks.
pub const PROTOCOL: u32 = 1;
/// The longest request line, line end included.
pub const MAX_REQUEST: usize = 256;
/// The largest answer a client accepts (a table of 10,000 real servers is
/// about 4 MB).
pub const MAX_ANSWER: usize = 32 << 20;

/// A client's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// `status VERSION`.
    Status {
        /// The highest version the client understands.
        version: u32,
    },
}

impl Request {
    /// The request of this crate's clients.
    pub const CURRENT: Request = Request::Status { version: PROTOCOL };

    /// Parses one request line (line end and surrounding blanks ignored).
    ///
    /// # Errors
    /// The text of the error answer for anything else.
    pub fn parse(line: &str) -> Result<Request, String> {
        let mut words = line.split_ascii_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some("status"), Some(version), None) => match version.parse::<u32>() {
                Ok(version) if version >= 1 => Ok(Request::Status { version }),
                _ => Err(format!("unsupported protocol version `{version}`")),
            },
            (Some("status"), None, None) => Err("say which protocol version: `status 1`".to_owned()),
            _ => Err("unknown request; this daemon answers `status 1`".to_owned()),
        }
    }
}

impl std::fmt::Display for Request {
    /// The request line without its line end.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Request::Status { version } => write!(f, "status {version}"),
        }
    }
}

/// A status answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// The protocol version ([`PROTOCOL`]).
    pub protocol: u32,
    /// When the daemon answered (Unix seconds).
    pub time: f64,
    /// The daemon's process id.
    pub pid: u32,
    /// What it says.
    #[serde(flatten)]
    pub status: DaemonStatus,
}

/// An error answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ErrorDocument {
    protocol: u32,
    time: f64,
    pid: u32,
    error: String,
}

/// The answer to the request `line`, one JSON document and a line end,
/// given the daemon's `status`, the time `now` (Unix seconds) and its `pid`.
pub fn answer(line: &str, status: &DaemonStatus, now: f64, pid: u32) -> Vec<u8> {
    let encoded = match Request::parse(line) {
        Ok(Request::Status { .. }) => {
            let document = Document { protocol: PROTOCOL, time: now, pid, status: status.clone() };
            serde_json::to_vec(&document)
        }
        Err(error) => serde_json::to_vec(&ErrorDocument { protocol: PROTOCOL, time: now, pid, error }),
    };
    // Serialising these types cannot fail (string keys, finite numbers);
    // should it, the client still gets a document saying so.
    let mut bytes = encoded.unwrap_or_else(|e| {
        format!("{{\"protocol\":{PROTOCOL},\"time\":{now},\"pid\":{pid},\"error\":\"cannot encode: {e}\"}}")
            .into_bytes()
    });
    bytes.push(b'\n');
    bytes
}

/// Why an answer is not a usable status document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Not JSON, or not the fields of a status document.
    #[error("malformed answer: {0}")]
    Malformed(String),
    /// Written in a protocol version this client does not know.
    #[error("the daemon speaks status protocol {0}, this lvsctl speaks {PROTOCOL}")]
    Version(u64),
    /// The daemon refused the request.
    #[error("the daemon refused the request: {0}")]
    Refused(String),
}

/// Decodes an answer.
///
/// # Errors
/// [`DecodeError`] for an error answer, another version or bad JSON.
pub fn decode(bytes: &[u8]) -> Result<Document, DecodeError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    match value.get("protocol").and_then(serde_json::Value::as_u64) {
        Some(v) if v == u64::from(PROTOCOL) => {}
        Some(v) => return Err(DecodeError::Version(v)),
        None => return Err(DecodeError::Malformed("no protocol version".to_owned())),
    }
    if let Some(error) = value.get("error") {
        return Err(DecodeError::Refused(error.as_str().unwrap_or("(no text)").to_owned()));
    }
    serde_json::from_value(value).map_err(|e| DecodeError::Malformed(e.to_string()))
}

#[cfg(test)]
mod tests;
