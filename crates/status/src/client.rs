//! The client side, blocking (lvsctl has no runtime): one request, one
//! answer, each step bounded by a timeout.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::protocol::{DecodeError, Document, MAX_ANSWER, Request, decode};

/// How long [`query`] waits for each step by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// Why a daemon gave no status.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// No socket, or nobody listening on it: the daemon does not run.
    #[error("not running (nothing answers on {})", .0.display())]
    NotRunning(PathBuf),
    /// The socket is root-only.
    #[error("permission denied on {} (the status sockets are root-only)", .0.display())]
    Permission(PathBuf),
    /// Connecting, sending or reading failed, or took too long.
    #[error("{}: {source}", path.display())]
    Io {
        /// The socket.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The answer is no usable document.
    #[error("{}: {source}", path.display())]
    Answer {
        /// The socket.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: DecodeError,
    },
}

/// Asks the daemon at `path` for its status.
///
/// # Errors
/// [`QueryError`].
pub fn query(path: &Path, timeout: Duration) -> Result<Document, QueryError> {
    let io_error = |source: io::Error| match source.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused => QueryError::NotRunning(path.to_owned()),
        io::ErrorKind::PermissionDenied => QueryError::Permission(path.to_owned()),
        _ => QueryError::Io { path: path.to_owned(), source },
    };
    let mut stream = UnixStream::connect(path).map_err(io_error)?;
    stream.set_read_timeout(Some(timeout)).map_err(io_error)?;
    stream.set_write_timeout(Some(timeout)).map_err(io_error)?;
    stream.write_all(format!("{}\n", Request::CURRENT).as_bytes()).map_err(io_error)?;
    let mut bytes = Vec::new();
    let limit = u64::try_from(MAX_ANSWER).unwrap_or(u64::MAX);
    stream.take(limit).read_to_end(&mut bytes).map_err(io_error)?;
    decode(&bytes).map_err(|source| QueryError::Answer { path: path.to_owned(), source })
}
