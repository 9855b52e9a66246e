//! `lvsctl status`: the daemons' answers merged with the kernel's IPVS
//! table, as a document ([`Report`], printed by `--json`) and as text
//! ([`render`]).
//!
//! [`build`] is pure: it takes what pulse and lvsd answered (or why they
//! did not) and the table read from the kernel over generic netlink (or why
//! it could not be read). [`gather`] does the I/O. The document's fields
//! are described in `docs/status-protocol.md`; within `format` 1 fields are
//! only added.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use status::client::QueryError;
use status::model::{
    DaemonStatus, Health, HeldVip, LvsdMode, LvsdStatus, ProbeOutcome, PulseStatus, RouterRole, RouterState,
    ServiceId, SorryServer,
};
use status::protocol::Document;

mod merge;
mod render;

pub use merge::{kernel_service_id, merge};
pub use render::{duration, render};

/// The version of the `--json` document.
pub const FORMAT: u32 = 1;

/// Everything `lvsctl status --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`FORMAT`].
    pub format: u32,
    /// When the report was made (Unix seconds).
    pub time: f64,
    /// This router.
    pub router: RouterSummary,
    /// The partner router, from pulse; `null` without pulse or backup.
    pub partner: Option<PartnerSummary>,
    /// The VIPs pulse holds.
    pub vips: Vec<HeldVip>,
    /// pulse, if it answered.
    pub pulse: Option<DaemonSummary>,
    /// lvsd, if it answered.
    pub lvsd: Option<LvsdSummary>,
    /// The nanny workers lvsd runs.
    pub nannies: Vec<NannySummary>,
    /// Whether the kernel's table could be read.
    pub kernel: KernelRead,
    /// The services of the kernel and of lvsd, merged.
    pub services: Vec<MergedService>,
    /// What could not be asked or read, one line each.
    pub problems: Vec<String>,
}

/// This router's role and state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouterSummary {
    /// `primary` or `backup`; `null` without pulse.
    pub role: Option<RouterRole>,
    /// See [`Summary`].
    pub state: Summary,
    /// Its heartbeat address; `null` without pulse.
    pub address: Option<IpAddr>,
    /// Since when pulse has been in its state; `null` without pulse.
    pub state_since: Option<f64>,
    /// A heartbeat interface has no link.
    pub link_failed: bool,
}

/// What this router does, in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Summary {
    /// It serves: pulse is active, or (without pulse) lvsd runs the table.
    Active,
    /// Inactive with a warm-standby lvsd ready to take over.
    Standby,
    /// Inactive, no lvsd.
    Inactive,
    /// Neither pulse nor lvsd answered.
    Unknown,
}

/// The partner as pulse hears it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartnerSummary {
    /// Its heartbeat address.
    pub address: IpAddr,
    /// The state its last heartbeat reported; `null` if never heard.
    pub last_state: Option<RouterState>,
    /// When it was last heard (Unix seconds); `null` if never.
    pub last_heard: Option<f64>,
    /// Seconds between that and pulse's answer; `null` if never heard.
    pub heard_seconds_ago: Option<f64>,
}

/// A daemon that answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DaemonSummary {
    /// Its pid.
    pub pid: u32,
    /// The socket it answered on.
    pub socket: PathBuf,
}

/// lvsd as it answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LvsdSummary {
    /// Its pid.
    pub pid: u32,
    /// The socket it answered on.
    pub socket: PathBuf,
    /// `active` or `standby`.
    pub mode: LvsdMode,
    /// Running with `--test-start`.
    pub test_start: bool,
    /// Its configuration file.
    pub config: String,
    /// When it started (Unix seconds).
    pub started: f64,
}

/// A nanny worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NannySummary {
    /// The virtual service it watches.
    pub service: String,
    /// Its pid.
    pub pid: u32,
    /// When lvsd last heard from it (Unix seconds).
    pub last_report: f64,
}

/// Whether the kernel's IPVS table was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelRead {
    /// It was.
    pub read: bool,
    /// Why not.
    pub error: Option<String>,
}

/// A virtual service of the kernel, of lvsd, or of both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergedService {
    /// lvs.cf's name; `null` for a service lvsd does not own.
    pub name: Option<String>,
    /// Its IPVS identity.
    pub id: ServiceId,
    /// The kernel's scheduler, else lvs.cf's.
    pub scheduler: String,
    /// The kernel's persistence timeout in seconds; `null` without.
    pub persistent: Option<u32>,
    /// In the kernel's table; `null` when the table was not read.
    pub in_kernel: Option<bool>,
    /// Owned by lvsd (in its lvs.cf).
    pub managed: bool,
    /// The pid of its nanny.
    pub nanny_pid: Option<u32>,
    /// Its sorry server.
    pub sorry_server: Option<SorryServer>,
    /// lvsd's real servers in file order, then the sorry server and other
    /// entries found only in the kernel.
    pub real_servers: Vec<MergedServer>,
}

/// A real server of the kernel, of lvsd, or of both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergedServer {
    /// lvs.cf's name; `null` for an entry lvsd does not know.
    pub name: Option<String>,
    /// Its address.
    pub address: IpAddr,
    /// Its port.
    pub port: u16,
    /// The kernel's forwarding method (`route`, `masq`, `tunnel`, `local`,
    /// `bypass`); `null` when not in the kernel.
    pub forwarding: Option<String>,
    /// The kernel's weight; `null` when not in the kernel.
    pub weight: Option<u32>,
    /// lvs.cf's weight; `null` for an entry lvsd does not know.
    pub configured_weight: Option<u32>,
    /// In the kernel's table; `null` when the table was not read.
    pub in_kernel: Option<bool>,
    /// lvsd wants it in the table now (up, or quiesced at weight 0; always
    /// false while lvsd is a standby); `null` for an entry lvsd does not know.
    pub wanted: Option<bool>,
    /// Known to lvsd.
    pub managed: bool,
    /// The sorry server of the service.
    pub sorry: bool,
    /// nanny's verdict; `null` for an entry lvsd does not watch.
    pub health: Option<Health>,
    /// Since when that verdict holds (Unix seconds).
    pub health_since: Option<f64>,
    /// The outcome of its probes.
    pub last_probe: Option<ProbeOutcome>,
}

/// pulse's and lvsd's answers, as read from their sockets.
#[derive(Debug)]
pub struct Answers {
    /// pulse's socket and its answer.
    pub pulse: (PathBuf, Result<Document, QueryError>),
    /// lvsd's socket and its answer.
    pub lvsd: (PathBuf, Result<Document, QueryError>),
}

/// The report for `answers` and the kernel's table (or why it could not
/// be read), made at `now` (Unix seconds).
pub fn build(answers: Answers, kernel: Result<ipvs::Table, String>, now: f64) -> Report {
    let mut problems = Vec::new();
    let (pulse_socket, pulse_answer) = answers.pulse;
    let (lvsd_socket, lvsd_answer) = answers.lvsd;
    let pulse = match pulse_answer {
        Ok(Document { pid, time, status: DaemonStatus::Pulse(s), .. }) => Some((pid, time, s)),
        Ok(_) => {
            problems.push(format!("pulse: {} answered as another daemon", pulse_socket.display()));
            None
        }
        Err(e) => {
            problems.push(format!("pulse: {e}"));
            None
        }
    };
    let lvsd = match lvsd_answer {
        Ok(Document { pid, status: DaemonStatus::Lvsd(s), .. }) => Some((pid, s)),
        Ok(_) => {
            problems.push(format!("lvsd: {} answered as another daemon", lvsd_socket.display()));
            None
        }
        Err(e) => {
            problems.push(format!("lvsd: {e}"));
            None
        }
    };
    let kernel_read = match &kernel {
        Ok(_) => KernelRead { read: true, error: None },
        Err(e) => {
            problems.push(format!("kernel: cannot read the IPVS table: {e}"));
            KernelRead { read: false, error: Some(e.clone()) }
        }
    };
    let router = router_summary(pulse.as_ref().map(|(_, _, s)| s), lvsd.as_ref().map(|(_, s)| s));
    let partner = pulse.as_ref().and_then(|(_, time, s)| {
        s.partner.as_ref().map(|p| PartnerSummary {
            address: p.address,
            last_state: p.last_state,
            last_heard: p.last_heard,
            heard_seconds_ago: p.last_heard.map(|at| round_millis((time - at).max(0.0))),
        })
    });
    let nannies = lvsd
        .as_ref()
        .map(|(_, s)| {
            s.services
                .iter()
                .filter_map(|v| {
                    v.nanny.map(|n| NannySummary {
                        service: v.name.clone(),
                        pid: n.pid,
                        last_report: n.last_report,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let services = merge(lvsd.as_ref().map(|(_, s)| s), kernel.as_ref().ok());
    Report {
        format: FORMAT,
        time: now,
        router,
        partner,
        vips: pulse.as_ref().map(|(_, _, s)| s.vips.clone()).unwrap_or_default(),
        pulse: pulse.as_ref().map(|(pid, _, _)| DaemonSummary { pid: *pid, socket: pulse_socket.clone() }),
        lvsd: lvsd.as_ref().map(|(pid, s)| LvsdSummary {
            pid: *pid,
            socket: lvsd_socket.clone(),
            mode: s.mode,
            test_start: s.test_start,
            config: s.config.clone(),
            started: s.started,
        }),
        nannies,
        kernel: kernel_read,
        services,
        problems,
    }
}

fn round_millis(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

/// Role and state from pulse, else from lvsd alone.
pub fn router_summary(pulse: Option<&PulseStatus>, lvsd: Option<&LvsdStatus>) -> RouterSummary {
    let lvsd_mode = lvsd.map(|l| l.mode).or_else(|| pulse.and_then(|p| p.lvsd.map(|l| l.mode)));
    let state = match (pulse.map(|p| p.state), lvsd_mode) {
        (Some(RouterState::Active), _) | (None, Some(LvsdMode::Active)) => Summary::Active,
        (Some(RouterState::Inactive) | None, Some(LvsdMode::Standby)) => Summary::Standby,
        (Some(RouterState::Inactive), _) => Summary::Inactive,
        (None, None) => Summary::Unknown,
    };
    RouterSummary {
        role: pulse.map(|p| p.role),
        state,
        address: pulse.map(|p| p.address),
        state_since: pulse.map(|p| p.state_since),
        link_failed: pulse.is_some_and(|p| p.link_failed),
    }
}

impl Report {
    /// Whether any daemon answered (`lvsctl status` exits 1 otherwise).
    pub fn any_daemon(&self) -> bool {
        self.pulse.is_some() || self.lvsd.is_some()
    }
}

/// Asks pulse and lvsd (sockets in `run_dir`, else per `$LVS_RUN_DIR`)
/// and reads the kernel's table.
pub fn gather(
    run_dir: Option<&Path>,
    timeout: std::time::Duration,
) -> (Answers, Result<ipvs::Table, String>) {
    let socket = |name: &str| match run_dir {
        Some(dir) => dir.join(name),
        None => status::socket_path(name),
    };
    let pulse_socket = socket(status::PULSE_SOCKET);
    let lvsd_socket = socket(status::LVSD_SOCKET);
    let answers = Answers {
        pulse: (pulse_socket.clone(), status::client::query(&pulse_socket, timeout)),
        lvsd: (lvsd_socket.clone(), status::client::query(&lvsd_socket, timeout)),
    };
    let kernel = ipvs::Client::open()
        .and_then(|mut client| ipvs::IpvsKernel::snapshot(&mut client))
        .map_err(|e| e.to_string());
    (answers, kernel)
}

#[cfg(test)]
mod tests;
