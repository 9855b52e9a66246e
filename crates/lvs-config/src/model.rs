//! Stage 3: the typed model of an lvs.cf file.
//!
//! The model holds what the file says, typed, with the original's defaults
//! for what it leaves out (spec §1.3–§1.6). Derived values (§1.7) are
//! methods, so the model can be written back and re-read unchanged.
//! Addresses are [`IpAddr`] so that IPv6 can be added without reshaping.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

pub use ipvs::Scheduler;

/// `service = lvs | fos`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServiceType {
    /// LVS routing (pulse starts lvsd).
    #[default]
    Lvs,
    /// Legacy failover services (pulse starts fos).
    Fos,
}

/// `network = nat | direct | tunnel`: how the router forwards to real servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForwardingMethod {
    /// NAT / masquerading (`ipvsadm -m`); also enables `nat_router`.
    #[default]
    Nat,
    /// Direct routing (`ipvsadm -g`).
    Direct,
    /// IP-in-IP tunnelling (`ipvsadm -i`).
    Tunnel,
}

/// `protocol = tcp | udp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// TCP (`ipvsadm -t`).
    #[default]
    Tcp,
    /// UDP (`ipvsadm -u`).
    Udp,
}

/// `reservation_conflict_action = nothing | preempt` (shared SCSI, FOS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReservationConflictAction {
    /// Do nothing.
    Nothing,
    /// Preempt the reservation.
    Preempt,
}

/// An address with the interface label it goes on (`address = IP DEV`,
/// `nat_router = IP DEV`), e.g. `192.0.2.10 eth0:1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressOnDevice {
    /// The floating address.
    pub addr: IpAddr,
    /// The device or alias label, verbatim (`eth0:1`).
    pub device: String,
}

impl AddressOnDevice {
    /// The device without its alias suffix (`eth0:1` → `eth0`), where
    /// gratuitous ARPs are sent (spec §2.8).
    pub fn base_device(&self) -> &str {
        self.device.split(':').next().unwrap_or(&self.device)
    }
}

/// A string value that remembers the quote it was written with.
///
/// For `send`, `expect`, `send_program`, `start_cmd` and `stop_cmd` the
/// original keeps the quotes and later strips only double quotes, so
/// `send = 'abc'` sends the five bytes `'abc'` (spec §1.1 rule 8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotedText {
    /// The text without quotes, escapes not decoded (nanny decodes them).
    pub text: String,
    /// The quote character used in the file, if any.
    pub quote: Option<char>,
}

impl QuotedText {
    /// Unquoted text.
    pub fn plain(text: impl Into<String>) -> Self {
        QuotedText { text: text.into(), quote: None }
    }

    /// Text in double quotes.
    pub fn double_quoted(text: impl Into<String>) -> Self {
        QuotedText { text: text.into(), quote: Some('"') }
    }

    /// The value as lvsd passes it to nanny: the stored form (quotes kept)
    /// with one leading and one trailing double quote removed.
    pub fn effective(&self) -> String {
        match self.quote {
            Some('"') => self.text.clone(),
            Some(q) => format!("{q}{}{q}", self.text),
            None => {
                let t = self.text.strip_prefix('"').unwrap_or(&self.text);
                t.strip_suffix('"').unwrap_or(t).to_owned()
            }
        }
    }
}

/// A `virtual NAME { }` (or `failover NAME { }`) block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualService {
    /// The block's name, a label for logs.
    pub name: String,
    /// `active` (default 0: the service is ignored).
    pub active: bool,
    /// `address = VIP DEV`.
    pub address: Option<AddressOnDevice>,
    /// `vip_nmask`; `None` for 0.0.0.0 (no netmask given to the VIP).
    pub vip_nmask: Option<Ipv4Addr>,
    /// `port` (default 80).
    pub port: u16,
    /// `protocol` (default tcp).
    pub protocol: Protocol,
    /// `fwmark`; `None` for 0 (an address-based service).
    pub fwmark: Option<u32>,
    /// `scheduler` (default wlc).
    pub scheduler: Scheduler,
    /// `persistent` seconds; 0 means none.
    pub persistent: u32,
    /// `pmask`; `None` for 0.0.0.0 and for 255.255.255.255, which the
    /// original also treats as "no `-M`".
    pub pmask: Option<Ipv4Addr>,
    /// `timeout` seconds (default 10): probe interval and I/O timeout.
    pub timeout: u32,
    /// `reentry` seconds (default 180).
    pub reentry: u32,
    /// `send`.
    pub send: Option<QuotedText>,
    /// `expect`.
    pub expect: Option<QuotedText>,
    /// `use_regex`.
    pub use_regex: bool,
    /// `send_program`.
    pub send_program: Option<QuotedText>,
    /// `load_monitor` (default none).
    pub load_monitor: Option<String>,
    /// `quiesce_server`.
    pub quiesce_server: bool,
    /// `sorry_server`; `None` for 0.0.0.0.
    pub sorry_server: Option<IpAddr>,
    /// `client_monitor` (default `/usr/sbin/nanny`).
    pub client_monitor: String,
    /// `start_cmd` (FOS only).
    pub start_cmd: Option<QuotedText>,
    /// `stop_cmd` (FOS only).
    pub stop_cmd: Option<QuotedText>,
    /// `master` (parsed, unused).
    pub master: Option<IpAddr>,
    /// `dirs = [ … ]` (parsed, unused).
    pub dirs: Option<Vec<String>>,
    /// The `server NAME { }` blocks, in file order.
    pub servers: Vec<RealServer>,
}

/// Defaults of `lvsInitVirtualServer`.
pub const DEFAULT_CLIENT_MONITOR: &str = "/usr/sbin/nanny";

impl VirtualService {
    /// A service with the original's defaults.
    pub fn new(name: impl Into<String>) -> Self {
        VirtualService {
            name: name.into(),
            active: false,
            address: None,
            vip_nmask: None,
            port: 80,
            protocol: Protocol::Tcp,
            fwmark: None,
            scheduler: Scheduler::Wlc,
            persistent: 0,
            pmask: None,
            timeout: 10,
            reentry: 180,
            send: None,
            expect: None,
            use_regex: false,
            send_program: None,
            load_monitor: None,
            quiesce_server: false,
            sorry_server: None,
            client_monitor: DEFAULT_CLIENT_MONITOR.to_owned(),
            start_cmd: None,
            stop_cmd: None,
            master: None,
            dirs: None,
            servers: Vec::new(),
        }
    }

    /// The VIP, if `address` is set.
    pub fn vip(&self) -> Option<IpAddr> {
        self.address.as_ref().map(|a| a.addr)
    }

    /// The real servers that are `active = 1`.
    pub fn active_servers(&self) -> impl Iterator<Item = &RealServer> {
        self.servers.iter().filter(|s| s.active)
    }
}

/// A `server NAME { }` block inside a virtual service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealServer {
    /// The block's name, a label for logs.
    pub name: String,
    /// `address` (the RIP); `None` when not given.
    pub address: Option<IpAddr>,
    /// `active` (default 0: no nanny, never in the table).
    pub active: bool,
    /// `weight` as written (default 1); see [`RealServer::effective_weight`].
    pub weight: i32,
    /// `port`: the value written, or the virtual service's `port` as it
    /// stood when this block was read (spec §1.5 quirk).
    pub port: u16,
}

impl RealServer {
    /// A server with the original's defaults, inheriting `port`.
    pub fn new(name: impl Into<String>, inherited_port: u16) -> Self {
        RealServer { name: name.into(), address: None, active: false, weight: 1, port: inherited_port }
    }

    /// The weight IPVS gets when the server is fully up: `weight = 0`
    /// behaves as 1 (spec §1.5); negative weights are rejected by validation.
    pub fn effective_weight(&self) -> u32 {
        u32::try_from(self.weight).ok().filter(|w| *w > 0).unwrap_or(1)
    }
}

/// A whole lvs.cf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `serial_no` (GUI bookkeeping).
    pub serial_no: i32,
    /// `service`.
    pub service: ServiceType,
    /// `primary`: public address of the primary router.
    pub primary: Option<IpAddr>,
    /// `primary_private`, as written.
    pub primary_private: Option<IpAddr>,
    /// `primary_shared`.
    pub primary_shared: Option<String>,
    /// `backup`: public address of the backup router (0.0.0.0 allowed).
    pub backup: Option<IpAddr>,
    /// `backup_private`, as written.
    pub backup_private: Option<IpAddr>,
    /// `backup_shared`.
    pub backup_shared: Option<String>,
    /// `backup_active`: a backup router exists; enables heartbeats.
    pub backup_active: bool,
    /// `heartbeat` (parsed, ignored by the daemons).
    pub heartbeat: bool,
    /// `heartbeat_port` (default 539).
    pub heartbeat_port: u16,
    /// `heartbeat_key`: the file holding the secret that authenticates
    /// heartbeats (our extension; unset = the original's 4-byte datagrams).
    pub heartbeat_key: Option<String>,
    /// `keepalive` (default 2 s); sub-second values are our extension.
    pub keepalive: Duration,
    /// `deadtime` (default 5 s); sub-second values are our extension.
    pub deadtime: Duration,
    /// `network` (default nat).
    pub network: ForwardingMethod,
    /// `nat_router = IP DEV`.
    pub nat_router: Option<AddressOnDevice>,
    /// `nat_nmask`; `None` for 0.0.0.0.
    pub nat_nmask: Option<Ipv4Addr>,
    /// `ipvsadm` path (default `/sbin/ipvsadm`).
    pub ipvsadm: String,
    /// `rsh_command` (default `rsh`).
    pub rsh_command: String,
    /// `syncdaemon`.
    pub syncdaemon: bool,
    /// `syncd_iface` (default `eth0`).
    pub syncd_iface: String,
    /// `syncd_id` as written; the sync daemon uses the low 8 bits.
    pub syncd_id: i32,
    /// `tcp_timeout` seconds (0 = leave the kernel's value).
    pub tcp_timeout: u32,
    /// `tcpfin_timeout` seconds.
    pub tcpfin_timeout: u32,
    /// `udp_timeout` seconds.
    pub udp_timeout: u32,
    /// `active_cmd`.
    pub active_cmd: Option<String>,
    /// `inactive_cmd`.
    pub inactive_cmd: Option<String>,
    /// `monitor_links` as written; non-zero turns link monitoring on.
    pub monitor_links: i32,
    /// `hard_shutdown` (default 1).
    pub hard_shutdown: bool,
    /// `debug_level` (stored only; default `NONE`).
    pub debug_level: String,
    /// `sync` (stored only).
    pub sync: bool,
    /// `reservation_conflict_action`.
    pub reservation_conflict_action: Option<ReservationConflictAction>,
    /// The `virtual` blocks, in file order.
    pub virtual_services: Vec<VirtualService>,
    /// The `failover` blocks, in file order (moved out of the virtual list,
    /// as `lvsRelocateFS` does).
    pub failover_services: Vec<VirtualService>,
}

/// Default `ipvsadm` path of the original.
pub const DEFAULT_IPVSADM: &str = "/sbin/ipvsadm";

impl Default for Config {
    fn default() -> Self {
        Config {
            serial_no: 0,
            service: ServiceType::Lvs,
            primary: None,
            primary_private: None,
            primary_shared: None,
            backup: None,
            backup_private: None,
            backup_shared: None,
            backup_active: false,
            heartbeat: false,
            heartbeat_port: 539,
            heartbeat_key: None,
            keepalive: Duration::from_secs(2),
            deadtime: Duration::from_secs(5),
            network: ForwardingMethod::Nat,
            nat_router: None,
            nat_nmask: None,
            ipvsadm: DEFAULT_IPVSADM.to_owned(),
            rsh_command: "rsh".to_owned(),
            syncdaemon: false,
            syncd_iface: "eth0".to_owned(),
            syncd_id: 0,
            tcp_timeout: 0,
            tcpfin_timeout: 0,
            udp_timeout: 0,
            active_cmd: None,
            inactive_cmd: None,
            monitor_links: 0,
            hard_shutdown: true,
            debug_level: "NONE".to_owned(),
            sync: false,
            reservation_conflict_action: None,
            virtual_services: Vec::new(),
            failover_services: Vec::new(),
        }
    }
}

/// The heartbeat addresses after the post-parse derivation of spec §1.7.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeartbeatAddresses {
    /// Primary router, public.
    pub primary: IpAddr,
    /// Primary router, private channel (equal to `primary` when none).
    pub primary_private: IpAddr,
    /// Backup router, public (0.0.0.0 when none).
    pub backup: IpAddr,
    /// Backup router, private channel (0.0.0.0 when unset).
    pub backup_private: IpAddr,
}

const UNSPECIFIED: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);

impl Config {
    /// The heartbeat addresses as the original derives them (spec §1.7):
    /// when `primary` is given without `primary_private`, the private
    /// addresses are the public ones — *overwriting* any `backup_private`,
    /// so private heartbeating needs `primary_private`.
    pub fn heartbeat_addresses(&self) -> HeartbeatAddresses {
        let primary = self.primary.unwrap_or(UNSPECIFIED);
        let backup = self.backup.unwrap_or(UNSPECIFIED);
        match (self.primary, self.primary_private) {
            (Some(_), None) => {
                HeartbeatAddresses { primary, primary_private: primary, backup, backup_private: backup }
            }
            _ => HeartbeatAddresses {
                primary,
                primary_private: self.primary_private.unwrap_or(UNSPECIFIED),
                backup,
                backup_private: self.backup_private.unwrap_or(UNSPECIFIED),
            },
        }
    }

    /// Whether a backup router takes part: `backup_active = 1` with a
    /// `backup` address (pulse clears the flag otherwise, spec §1.7).
    pub fn has_backup(&self) -> bool {
        self.backup_active && self.backup.is_some_and(|b| !b.is_unspecified())
    }

    /// The virtual services with `active = 1`.
    pub fn active_virtual_services(&self) -> impl Iterator<Item = &VirtualService> {
        self.virtual_services.iter().filter(|v| v.active)
    }

    /// The IPVS connection timeouts (`ipvsadm --set`; 0 leaves a value as is).
    pub fn ipvs_timeouts(&self) -> (u32, u32, u32) {
        (self.tcp_timeout, self.tcpfin_timeout, self.udp_timeout)
    }

    /// The sync daemon id the original passes (`syncd_id & 0xff`).
    pub fn sync_id(&self) -> u8 {
        self.syncd_id.to_le_bytes()[0]
    }

    /// The virtual service called `name`.
    pub fn virtual_service(&self, name: &str) -> Option<&VirtualService> {
        self.virtual_services.iter().find(|v| v.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    #[test]
    fn spec_1_7_private_defaults_to_public_and_overwrites_backup_private() {
        let c = Config {
            primary: Some(ip("203.0.113.10")),
            backup: Some(ip("203.0.113.11")),
            backup_private: Some(ip("10.0.0.2")),
            ..Config::default()
        };
        let h = c.heartbeat_addresses();
        assert_eq!(h.primary_private, ip("203.0.113.10"));
        assert_eq!(h.backup_private, ip("203.0.113.11"));
    }

    #[test]
    fn spec_1_7_both_privates_are_used_as_written() {
        let c = Config {
            primary: Some(ip("203.0.113.10")),
            primary_private: Some(ip("10.0.0.1")),
            backup: Some(ip("203.0.113.11")),
            ..Config::default()
        };
        let h = c.heartbeat_addresses();
        assert_eq!(h.primary_private, ip("10.0.0.1"));
        assert_eq!(h.backup_private, UNSPECIFIED);
    }

    #[test]
    fn spec_1_7_backup_active_needs_backup() {
        let mut c = Config { backup_active: true, ..Config::default() };
        assert!(!c.has_backup());
        c.backup = Some(UNSPECIFIED);
        assert!(!c.has_backup());
        c.backup = Some(ip("203.0.113.11"));
        assert!(c.has_backup());
    }

    #[test]
    fn weight_zero_behaves_as_one() {
        let mut s = RealServer::new("a", 80);
        s.weight = 0;
        assert_eq!(s.effective_weight(), 1);
        s.weight = 7;
        assert_eq!(s.effective_weight(), 7);
    }

    #[test]
    fn quoted_text_effective_value() {
        assert_eq!(QuotedText::double_quoted("GET /").effective(), "GET /");
        assert_eq!(QuotedText { text: "abc".into(), quote: Some('\'') }.effective(), "'abc'");
        assert_eq!(QuotedText::plain("x").effective(), "x");
    }

    #[test]
    fn sync_id_low_byte() {
        let c = Config { syncd_id: 0x107, ..Config::default() };
        assert_eq!(c.sync_id(), 7);
    }

    #[test]
    fn base_device_strips_alias() {
        let a = AddressOnDevice { addr: ip("192.0.2.1"), device: "eth0:1".into() };
        assert_eq!(a.base_device(), "eth0");
    }
}
