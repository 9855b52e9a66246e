//! Helpers for this crate's unit tests: temp directories and a datagram socket
//! that plays syslog or systemd.

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A fresh directory under the system temp dir, removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("daemon-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("the temp dir is writable");
        Self(dir)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A datagram socket bound in its own temp dir; reads wait at most 5 s.
pub(crate) struct Listener {
    dir: TempDir,
    pub(crate) socket: UnixDatagram,
}

impl Listener {
    pub(crate) fn new(name: &str) -> Self {
        let dir = TempDir::new(name);
        let socket = bind(&dir.path().join("socket"));
        Self { dir, socket }
    }

    pub(crate) fn path(&self) -> PathBuf {
        self.dir.path().join("socket")
    }

    /// Closes the socket and binds a new one at the same path, like a
    /// restarted syslog daemon; messages sent in between are lost.
    pub(crate) fn rebind(&mut self, between: impl FnOnce()) {
        std::fs::remove_file(self.path()).expect("the socket file exists");
        self.socket = UnixDatagram::unbound().expect("a socket");
        between();
        self.socket = bind(&self.path());
    }

    pub(crate) fn recv(&self) -> String {
        let mut buf = [0u8; 4096];
        let n = self.socket.recv(&mut buf).expect("a datagram within 5 s");
        String::from_utf8(buf[..n].to_vec()).expect("UTF-8")
    }

    pub(crate) fn nothing_pending(&self) -> bool {
        let mut buf = [0u8; 16];
        self.socket.set_nonblocking(true).expect("nonblocking");
        let none = self.socket.recv(&mut buf).is_err();
        self.socket.set_nonblocking(false).expect("blocking");
        none
    }
}

fn bind(path: &Path) -> UnixDatagram {
    let socket = UnixDatagram::bind(path).expect("bind in the temp dir");
    socket.set_read_timeout(Some(Duration::from_secs(5))).expect("a read timeout");
    socket
}
