//! Table-wide IPVS settings: connection timeouts, sync daemons, version.

use std::fmt;

/// Connection timeouts (`ipvsadm --set TCP TCPFIN UDP`, `ipvsadm -L --timeout`).
///
/// Seconds. When setting, 0 means "leave this one unchanged", as with ipvsadm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Timeouts {
    /// Established TCP sessions (kernel default 900).
    pub tcp: u32,
    /// TCP sessions after a FIN (kernel default 120).
    pub tcp_fin: u32,
    /// UDP "sessions" (kernel default 300).
    pub udp: u32,
}

/// Role of a connection synchronisation daemon (`--start-daemon master|backup`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DaemonState {
    /// Sends connection state (`IP_VS_STATE_MASTER`).
    Master,
    /// Receives connection state (`IP_VS_STATE_BACKUP`).
    Backup,
}

impl DaemonState {
    /// The `IP_VS_STATE_*` value.
    pub fn number(self) -> u32 {
        match self {
            DaemonState::Master => 1,
            DaemonState::Backup => 2,
        }
    }

    /// The state with this `IP_VS_STATE_*` value.
    pub fn from_number(n: u32) -> Option<Self> {
        match n {
            1 => Some(DaemonState::Master),
            2 => Some(DaemonState::Backup),
            _ => None,
        }
    }
}

impl fmt::Display for DaemonState {
    /// `master` or `backup`, as ipvsadm spells them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DaemonState::Master => "master",
            DaemonState::Backup => "backup",
        })
    }
}

/// A connection synchronisation daemon
/// (`ipvsadm --start-daemon STATE --mcast-interface IF --syncid ID`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SyncDaemon {
    /// Master or backup.
    pub state: DaemonState,
    /// Multicast interface name (at most 15 bytes).
    pub interface: String,
    /// Sync id (0..=255 in ipvsadm; 0 means "any" for a backup).
    pub sync_id: u32,
}

/// What `ipvsadm --version` / the first line of `ipvsadm -L` report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Info {
    /// `IP_VS_VERSION_CODE`, e.g. 0x010201 for 1.2.1.
    pub version: u32,
    /// Size of the connection hash table.
    pub conn_tab_size: u32,
}

impl fmt::Display for Info {
    /// `IP Virtual Server version 1.2.1 (size=4096)`, as `ipvsadm -L` prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "IP Virtual Server version {}.{}.{} (size={})",
            (self.version >> 16) & 0xff,
            (self.version >> 8) & 0xff,
            self.version & 0xff,
            self.conn_tab_size
        )
    }
}

impl fmt::Display for SyncDaemon {
    /// `--start-daemon master --mcast-interface eth0 --syncid 1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "--start-daemon {} --mcast-interface {} --syncid {}",
            self.state, self.interface, self.sync_id
        )
    }
}

/// The ipvsadm arguments that stop the daemon with `state`.
pub(crate) fn stop_daemon_text(state: DaemonState) -> String {
    format!("--stop-daemon {state}")
}
