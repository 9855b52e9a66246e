//! The daemon side: a root-only Unix stream socket answering status
//! requests from the latest published [`DaemonStatus`].
//!
//! The daemon's loop publishes into a [`tokio::sync::watch`] channel and
//! never waits for a client: the server task reads the latest value. Each
//! connection gets [`IO_TIMEOUT`] to send its request and to take the
//! answer, a request longer than [`MAX_REQUEST`] is refused, and at most
//! [`MAX_CLIENTS`] are served at once (more are closed at once).

use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener as StdListener, UnixStream as StdStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{Semaphore, watch};

use crate::model::{DaemonStatus, unix_seconds};
use crate::protocol::{MAX_REQUEST, answer};

/// How long a client may take to send its request, and to read the answer.
pub const IO_TIMEOUT: Duration = Duration::from_secs(2);
/// Connections served at the same time.
pub const MAX_CLIENTS: usize = 4;

/// How much a client may send after its request before the server closes
/// anyway (the excess is discarded, see [`serve_one`]).
const MAX_DRAIN: usize = 64 * 1024;

/// Why the socket could not be set up. The daemons log it and run on
/// without a status socket.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    /// Another process answers on the path (a second instance).
    #[error("status socket {}: in use by another process", .0.display())]
    InUse(PathBuf),
    /// Something that is not a socket is in the way; it is left alone.
    #[error("status socket {}: exists and is not a socket", .0.display())]
    NotASocket(PathBuf),
    /// Creating, protecting or renaming the socket failed.
    #[error("status socket {}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
}

/// A bound status socket, file mode 0600. Dropping it removes the file,
/// unless another process has replaced it since.
#[derive(Debug)]
pub struct StatusSocket {
    listener: Option<StdListener>,
    path: PathBuf,
    inode: u64,
}

impl StatusSocket {
    /// Binds `path`: a stale socket left by a dead process is replaced, a
    /// live one is not. The socket is created under a temporary name,
    /// restricted to its owner, then renamed into place, so it is never
    /// reachable with wider permissions.
    ///
    /// # Errors
    /// [`BindError`].
    pub fn bind(path: &Path) -> Result<StatusSocket, BindError> {
        let io_error = |source| BindError::Io { path: path.to_owned(), source };
        match std::fs::symlink_metadata(path) {
            Ok(meta) if !std::os::unix::fs::FileTypeExt::is_socket(&meta.file_type()) => {
                return Err(BindError::NotASocket(path.to_owned()));
            }
            Ok(_) if StdStream::connect(path).is_ok() => return Err(BindError::InUse(path.to_owned())),
            Ok(_) | Err(_) => {}
        }
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let temporary = path.with_file_name(format!(".{name}.{}.new", std::process::id()));
        let _ = std::fs::remove_file(&temporary);
        let listener = StdListener::bind(&temporary).map_err(io_error)?;
        let placed = std::fs::set_permissions(&temporary, std::fs::Permissions::from_mode(0o600))
            .and_then(|()| std::fs::rename(&temporary, path))
            .and_then(|()| std::fs::symlink_metadata(path));
        match placed {
            Ok(meta) => {
                Ok(StatusSocket { listener: Some(listener), path: path.to_owned(), inode: meta.ino() })
            }
            Err(e) => {
                let _ = std::fs::remove_file(&temporary);
                Err(io_error(e))
            }
        }
    }

    /// The path it is bound to.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for StatusSocket {
    fn drop(&mut self) {
        if std::fs::symlink_metadata(&self.path).is_ok_and(|m| m.ino() == self.inode) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Serves `socket` until the task is dropped (or accepting fails for
/// good), answering from the latest value of `status`. Must run inside a
/// tokio runtime.
///
/// # Errors
/// When the socket cannot be registered with the runtime.
pub async fn serve(mut socket: StatusSocket, status: watch::Receiver<DaemonStatus>) -> io::Result<()> {
    let std_listener = socket.listener.take().ok_or_else(|| io::Error::other("socket already served"))?;
    std_listener.set_nonblocking(true)?;
    let listener = UnixListener::from_std(std_listener)?;
    let slots = Arc::new(Semaphore::new(MAX_CLIENTS));
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) if is_transient(&e) => {
                // Out of descriptors and the like: do not spin.
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            Err(e) => return Err(e),
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            continue; // dropped: the client sees the connection close
        };
        let status = status.clone();
        tokio::spawn(async move {
            let _ = serve_one(stream, &status).await;
            drop(slot);
        });
    }
}

fn is_transient(e: &io::Error) -> bool {
    !matches!(e.kind(), io::ErrorKind::InvalidInput | io::ErrorKind::NotConnected)
}

async fn serve_one(mut stream: UnixStream, status: &watch::Receiver<DaemonStatus>) -> io::Result<()> {
    let line = tokio::time::timeout(IO_TIMEOUT, read_request(&mut stream))
        .await
        .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
    let snapshot = status.borrow().clone();
    let bytes = answer(&line, &snapshot, unix_seconds(SystemTime::now()), std::process::id());
    tokio::time::timeout(IO_TIMEOUT, async {
        stream.write_all(&bytes).await?;
        stream.shutdown().await
    })
    .await
    .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
    // Closing a Unix socket whose receive queue still holds bytes (the rest
    // of an over-long request) resets the peer, and a client still reading
    // its answer would see ECONNRESET instead of the end. So wait for the
    // client to close first, discarding what it sent, within bounds.
    let _ = tokio::time::timeout(IO_TIMEOUT, drain(&mut stream)).await;
    Ok(())
}

/// Reads and discards until the peer closes or [`MAX_DRAIN`] bytes went by.
async fn drain(stream: &mut UnixStream) -> io::Result<()> {
    let mut chunk = [0u8; 1024];
    let mut seen = 0;
    while seen < MAX_DRAIN {
        match stream.read(&mut chunk).await? {
            0 => break,
            n => seen += n,
        }
    }
    Ok(())
}

/// Reads up to the first line end; more than [`MAX_REQUEST`] bytes without
/// one is answered as the (unknown) request it is.
async fn read_request(stream: &mut UnixStream) -> io::Result<String> {
    let mut buffer = Vec::with_capacity(64);
    let mut chunk = [0u8; 64];
    while buffer.len() < MAX_REQUEST {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(end) = buffer.iter().position(|&b| b == b'\n') {
            buffer.truncate(end);
            break;
        }
    }
    buffer.truncate(MAX_REQUEST);
    Ok(String::from_utf8_lossy(&buffer).into_owned())
}
