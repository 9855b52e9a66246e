//! What pulse and lvsd say about themselves: the body of a status answer.
//!
//! Every type serialises to the JSON documented in `docs/status-protocol.md`;
//! enums are lower-case strings, times are Unix seconds with millisecond
//! precision ([`unix_seconds`]), absent values are `null`. Unknown fields
//! are ignored when decoding, so a daemon may add fields without a new
//! protocol version.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// `time` as Unix seconds, rounded to the millisecond (0 before 1970).
pub fn unix_seconds(time: SystemTime) -> f64 {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    // Whole milliseconds: a u64 of them is exact in an f64 for 285,000 years.
    #[allow(clippy::cast_precision_loss)]
    let millis = u64::try_from(since.as_millis()).unwrap_or(u64::MAX) as f64;
    millis / 1000.0
}

/// The status of one daemon, tagged by `"daemon"` in the document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "daemon", rename_all = "lowercase")]
pub enum DaemonStatus {
    /// pulse's answer.
    Pulse(PulseStatus),
    /// lvsd's answer.
    Lvsd(LvsdStatus),
}

/// A router's fixed role in the pair (lvs.cf `primary` / `backup`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RouterRole {
    /// The router named by `primary`.
    Primary,
    /// The router named by `backup`.
    Backup,
}

/// Whether a router holds the VIPs and runs the IPVS table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RouterState {
    /// It serves (heartbeat RUNNING).
    Active,
    /// It does not (heartbeat STOPPED).
    Inactive,
}

/// pulse's view: the heartbeat and what this router holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PulseStatus {
    /// This router's role.
    pub role: RouterRole,
    /// This router's state.
    pub state: RouterState,
    /// When this router entered `state` (Unix seconds).
    pub state_since: f64,
    /// This router's public heartbeat address.
    pub address: IpAddr,
    /// One of the heartbeat interfaces has no link (`monitor_links`).
    pub link_failed: bool,
    /// The partner router; `null` without `backup` in lvs.cf.
    pub partner: Option<Partner>,
    /// The VIPs this pulse has brought up and not released.
    pub vips: Vec<HeldVip>,
    /// The lvsd pulse runs (active or warm standby); `null` when none.
    pub lvsd: Option<LvsdProcess>,
}

/// The partner router as heard through the heartbeat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Partner {
    /// Its public heartbeat address.
    pub address: IpAddr,
    /// When its last heartbeat arrived (Unix seconds); `null` if never.
    pub last_heard: Option<f64>,
    /// The state its last heartbeat reported; `null` if never heard.
    pub last_state: Option<RouterState>,
}

/// A VIP brought up by pulse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldVip {
    /// The address.
    pub address: IpAddr,
    /// Its prefix length (32 without `vip_nmask`).
    pub prefix_len: u8,
    /// The label it carries (`eth0:1`).
    pub label: String,
}

/// Whether an lvsd programs the kernel or only watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LvsdMode {
    /// It owns the IPVS table.
    Active,
    /// Warm standby (`lvsd --standby` on the inactive router): health
    /// checks run, the kernel is left alone.
    Standby,
}

/// An lvsd process as pulse knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LvsdProcess {
    /// Its process id.
    pub pid: u32,
    /// How pulse runs it.
    pub mode: LvsdMode,
}

/// lvsd's view: the services it owns and the health of their real servers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LvsdStatus {
    /// Active or standby.
    pub mode: LvsdMode,
    /// Started with `--test-start`: the kernel is never changed.
    pub test_start: bool,
    /// The configuration file it runs.
    pub config: String,
    /// When this lvsd started (Unix seconds).
    pub started: f64,
    /// The active virtual services of lvs.cf, in file order.
    pub services: Vec<ServiceStatus>,
}

/// The identity of a virtual service in IPVS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ServiceId {
    /// `tcp`, `udp`, `sctp` or `fwmark`.
    pub protocol: ServiceProtocol,
    /// The VIP; `null` for a firewall-mark service.
    pub address: Option<IpAddr>,
    /// The virtual port (0 for a firewall-mark service).
    pub port: u16,
    /// The mark; `null` unless `protocol` is `fwmark`.
    pub fwmark: Option<u32>,
}

/// How IPVS matches a service's packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceProtocol {
    /// `ipvsadm -t`.
    Tcp,
    /// `ipvsadm -u`.
    Udp,
    /// `ipvsadm --sctp-service`.
    Sctp,
    /// `ipvsadm -f`.
    Fwmark,
}

impl std::fmt::Display for ServiceId {
    /// As `ipvsadm -Ln` heads a service: `TCP  192.0.2.1:80`, `FWM  5`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self.protocol {
            ServiceProtocol::Tcp => "TCP",
            ServiceProtocol::Udp => "UDP",
            ServiceProtocol::Sctp => "SCTP",
            ServiceProtocol::Fwmark => "FWM",
        };
        match (self.fwmark, self.address) {
            (Some(mark), _) => write!(f, "{name}  {mark}"),
            (None, Some(addr)) => write!(f, "{name}  {}", Endpoint(addr, self.port)),
            (None, None) => write!(f, "{name}  ?:{}", self.port),
        }
    }
}

/// `ADDR:PORT`, IPv6 addresses in brackets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint(pub IpAddr, pub u16);

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            IpAddr::V4(a) => write!(f, "{a}:{}", self.1),
            IpAddr::V6(a) => write!(f, "[{a}]:{}", self.1),
        }
    }
}

/// A virtual service as lvsd runs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceStatus {
    /// The `virtual NAME` label.
    pub name: String,
    /// Its IPVS identity.
    pub id: ServiceId,
    /// The scheduler lvs.cf asks for.
    pub scheduler: String,
    /// Its nanny worker; `null` while none runs (restarting, `--test-start`).
    pub nanny: Option<NannyStatus>,
    /// `sorry_server`; `null` when not configured.
    pub sorry_server: Option<SorryServer>,
    /// The active real servers, in file order.
    pub real_servers: Vec<RealServerStatus>,
}

/// A nanny worker process.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NannyStatus {
    /// Its process id.
    pub pid: u32,
    /// When lvsd last heard from it (Unix seconds).
    pub last_report: f64,
}

/// A sorry server and whether it is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SorryServer {
    /// Its address.
    pub address: IpAddr,
    /// Its port (the virtual port).
    pub port: u16,
    /// In the table now (no real server is up).
    pub active: bool,
}

/// A real server's health as judged by its nanny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// No verdict yet.
    Unknown,
    /// Available.
    Up,
    /// Failed.
    Down,
}

/// A real server as lvsd watches it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RealServerStatus {
    /// The `server NAME` label.
    pub name: String,
    /// Its address.
    pub address: IpAddr,
    /// Its port in the IPVS table.
    pub port: u16,
    /// The weight lvs.cf gives it.
    pub weight: u32,
    /// The verdict.
    pub health: Health,
    /// The weight nanny asks for while up (slow start, load monitor).
    pub health_weight: Option<u32>,
    /// When `health` last changed (Unix seconds); lvsd's start when it has
    /// not changed since.
    pub since: f64,
    /// The last probe outcome reported; `null` before the first.
    pub last_probe: Option<ProbeOutcome>,
    /// Whether lvsd wants it in the table (up, or quiesced at weight 0).
    pub in_table: bool,
}

/// The outcome of a real server's probes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeOutcome {
    /// Whether the probe passed.
    pub ok: bool,
    /// Why it failed (nanny's log text); `null` when it passed.
    pub reason: Option<String>,
    /// Since when the probes have had this outcome (Unix seconds): nanny
    /// reports an outcome only when it changes.
    pub since: f64,
}
