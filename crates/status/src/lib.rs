//! The local status protocol of pulse and lvsd, read by `lvsctl status`.
//!
//! Each daemon serves a Unix stream socket, mode 0600, in the directory of
//! its pid file: [`PULSE_SOCKET`] and [`LVSD_SOCKET`] under `/var/run`, or
//! under `$LVS_RUN_DIR` when set ([`socket_path`]; the daemons and lvsctl
//! read the same variable, so a test can run a whole router pair in
//! directories of its own). A client sends one line and gets one JSON
//! document; the exchange is described in [`protocol`] and in
//! `docs/status-protocol.md`.
//!
//! - [`model`]: what the daemons report (pure, serde);
//! - [`protocol`]: request parsing, answer encoding and decoding (pure);
//! - [`server`]: the socket and the tokio task answering on it;
//! - [`client`]: the blocking query lvsctl uses.
//!
//! ```
//! use status::model::{DaemonStatus, LvsdMode, LvsdStatus};
//! use status::protocol::{answer, decode};
//! let lvsd = DaemonStatus::Lvsd(LvsdStatus {
//!     mode: LvsdMode::Standby, test_start: false, config: "/etc/sysconfig/ha/lvs.cf".into(),
//!     started: 1764090000.0, services: vec![],
//! });
//! let bytes = answer("status 1\n", &lvsd, 1764090001.5, 812);
//! let document = decode(&bytes).expect("a status document");
//! assert_eq!((document.pid, document.status), (812, lvsd));
//! ```
//!
//! Left out: authentication beyond file permissions (the socket is the
//! root's), and any command that changes state: the protocol only reads.

#![forbid(unsafe_code)]

use std::ffi::OsString;
use std::path::PathBuf;

pub mod client;
pub mod model;
pub mod protocol;
pub mod server;

/// The default directory of the sockets, as of the pid files.
pub const RUN_DIR: &str = "/var/run";
/// The environment variable that moves the sockets elsewhere.
pub const RUN_DIR_VARIABLE: &str = "LVS_RUN_DIR";
/// pulse's socket name.
pub const PULSE_SOCKET: &str = "pulse.sock";
/// lvsd's socket name.
pub const LVSD_SOCKET: &str = "lvsd.sock";

/// `name` in `dir` (the value of [`RUN_DIR_VARIABLE`]), or in [`RUN_DIR`]
/// when that is unset or empty.
pub fn socket_path_in(dir: Option<OsString>, name: &str) -> PathBuf {
    match dir.filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir).join(name),
        None => PathBuf::from(RUN_DIR).join(name),
    }
}

/// The path of the socket `name` for this process's environment.
pub fn socket_path(name: &str) -> PathBuf {
    socket_path_in(std::env::var_os(RUN_DIR_VARIABLE), name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_live_beside_the_pid_files_unless_moved() {
        assert_eq!(socket_path_in(None, PULSE_SOCKET), PathBuf::from("/var/run/pulse.sock"));
        assert_eq!(socket_path_in(Some("".into()), LVSD_SOCKET), PathBuf::from("/var/run/lvsd.sock"));
        assert_eq!(socket_path_in(Some("/tmp/r1".into()), LVSD_SOCKET), PathBuf::from("/tmp/r1/lvsd.sock"));
    }
}
