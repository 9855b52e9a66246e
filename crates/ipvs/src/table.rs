//! Typed model of an IPVS table: virtual services and their real servers.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;

/// A whole IPVS table: every virtual service with its real servers.
///
/// Order is kept as given (config order for a desired table, dump order for
/// the kernel's); comparisons that must ignore order use [`Table::sorted`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// The virtual services, each with its destinations.
    pub services: Vec<Service>,
}

impl Table {
    /// The service with this identity, if present.
    pub fn service(&self, key: &ServiceKey) -> Option<&Service> {
        self.services.iter().find(|s| &s.key == key)
    }

    /// A copy with services sorted by key and destinations by address and
    /// port, for order-independent comparison.
    #[must_use]
    pub fn sorted(&self) -> Table {
        let mut services = self.services.clone();
        services.sort_by_key(|s| s.key);
        for s in &mut services {
            s.destinations.sort_by_key(|d| (d.addr, d.port));
        }
        Table { services }
    }

    /// Number of entries (services plus destinations), the unit in which
    /// table sizes are quoted ("200 x 10 = 2,200 entries").
    pub fn entry_count(&self) -> usize {
        self.services.iter().map(|s| 1 + s.destinations.len()).sum()
    }
}

/// Address family of a service or destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AddressFamily {
    /// IPv4 (`AF_INET`).
    Inet,
    /// IPv6 (`AF_INET6`).
    Inet6,
}

impl AddressFamily {
    /// The family of an address.
    pub fn of(addr: &IpAddr) -> Self {
        match addr {
            IpAddr::V4(_) => AddressFamily::Inet,
            IpAddr::V6(_) => AddressFamily::Inet6,
        }
    }
}

/// Transport protocol of an address-based virtual service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    /// TCP (`ipvsadm -t`).
    Tcp,
    /// UDP (`ipvsadm -u`).
    Udp,
    /// SCTP (`ipvsadm --sctp-service`).
    Sctp,
}

impl Protocol {
    /// The IP protocol number (`IPPROTO_*`).
    pub fn number(self) -> u16 {
        match self {
            Protocol::Tcp => 6,
            Protocol::Udp => 17,
            Protocol::Sctp => 132,
        }
    }

    /// The protocol with this `IPPROTO_*` number, if IPVS supports it.
    pub fn from_number(n: u16) -> Option<Self> {
        match n {
            6 => Some(Protocol::Tcp),
            17 => Some(Protocol::Udp),
            132 => Some(Protocol::Sctp),
            _ => None,
        }
    }
}

/// The identity of a virtual service: what `ipvsadm` names after `-t`, `-u`,
/// `--sctp-service` or `-f`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServiceKey {
    /// A VIP, port and protocol (`-t VIP:PORT`).
    Socket {
        /// Transport protocol.
        protocol: Protocol,
        /// The virtual IP address.
        addr: IpAddr,
        /// The virtual port.
        port: u16,
    },
    /// A firewall mark (`-f MARK`); the kernel treats its protocol as TCP.
    Fwmark {
        /// Address family of the marked traffic.
        family: AddressFamily,
        /// The mark (non-zero).
        mark: u32,
    },
}

impl ServiceKey {
    /// A TCP service on `addr:port`.
    pub fn tcp(addr: IpAddr, port: u16) -> Self {
        ServiceKey::Socket { protocol: Protocol::Tcp, addr, port }
    }

    /// A UDP service on `addr:port`.
    pub fn udp(addr: IpAddr, port: u16) -> Self {
        ServiceKey::Socket { protocol: Protocol::Udp, addr, port }
    }

    /// An IPv4 firewall-mark service.
    pub fn fwmark(mark: u32) -> Self {
        ServiceKey::Fwmark { family: AddressFamily::Inet, mark }
    }

    /// Address family of the service.
    pub fn family(&self) -> AddressFamily {
        match self {
            ServiceKey::Socket { addr, .. } => AddressFamily::of(addr),
            ServiceKey::Fwmark { family, .. } => *family,
        }
    }

    /// The virtual port (0 for firewall-mark services).
    pub fn port(&self) -> u16 {
        match self {
            ServiceKey::Socket { port, .. } => *port,
            ServiceKey::Fwmark { .. } => 0,
        }
    }
}

impl fmt::Display for ServiceKey {
    /// The numeric `ipvsadm` service option, e.g. `-t 192.0.2.1:80` or `-f 7`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceKey::Socket { protocol, addr, port } => {
                let opt = match protocol {
                    Protocol::Tcp => "-t",
                    Protocol::Udp => "-u",
                    Protocol::Sctp => "--sctp-service",
                };
                write!(f, "{opt} {}", SocketText(*addr, *port))
            }
            ServiceKey::Fwmark { family: AddressFamily::Inet, mark } => write!(f, "-f {mark}"),
            ServiceKey::Fwmark { family: AddressFamily::Inet6, mark } => write!(f, "-f {mark} -6"),
        }
    }
}

/// `ADDR:PORT`, with IPv6 addresses in brackets, as ipvsadm prints them.
pub(crate) struct SocketText(pub IpAddr, pub u16);

impl fmt::Display for SocketText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(a) => write!(f, "{a}:{}", self.1),
            IpAddr::V6(a) => write!(f, "[{a}]:{}", self.1),
        }
    }
}

/// A scheduling algorithm, by its kernel module name (`ip_vs_NAME`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scheduler {
    /// Round robin.
    Rr,
    /// Weighted round robin.
    Wrr,
    /// Least connections.
    Lc,
    /// Weighted least connections (ipvsadm's and Piranha's default).
    Wlc,
    /// Locality-based least connections.
    Lblc,
    /// Locality-based least connections with replication.
    Lblcr,
    /// Destination hashing.
    Dh,
    /// Source hashing.
    Sh,
    /// Shortest expected delay.
    Sed,
    /// Never queue.
    Nq,
    /// Maglev hashing.
    Mh,
    /// Weighted failover.
    Fo,
    /// Weighted overflow.
    Ovf,
    /// A scheduler this code does not know (kept verbatim from a kernel dump).
    Other(String),
}

impl Scheduler {
    /// Every scheduler of a current kernel, in `ipvsadm(8)` order.
    pub const KNOWN: [Scheduler; 13] = [
        Scheduler::Rr,
        Scheduler::Wrr,
        Scheduler::Lc,
        Scheduler::Wlc,
        Scheduler::Lblc,
        Scheduler::Lblcr,
        Scheduler::Dh,
        Scheduler::Sh,
        Scheduler::Sed,
        Scheduler::Nq,
        Scheduler::Mh,
        Scheduler::Fo,
        Scheduler::Ovf,
    ];

    /// The kernel name, e.g. `"wlc"`.
    pub fn name(&self) -> &str {
        match self {
            Scheduler::Rr => "rr",
            Scheduler::Wrr => "wrr",
            Scheduler::Lc => "lc",
            Scheduler::Wlc => "wlc",
            Scheduler::Lblc => "lblc",
            Scheduler::Lblcr => "lblcr",
            Scheduler::Dh => "dh",
            Scheduler::Sh => "sh",
            Scheduler::Sed => "sed",
            Scheduler::Nq => "nq",
            Scheduler::Mh => "mh",
            Scheduler::Fo => "fo",
            Scheduler::Ovf => "ovf",
            Scheduler::Other(name) => name,
        }
    }
}

impl FromStr for Scheduler {
    type Err = std::convert::Infallible;

    /// Never fails: unknown names become [`Scheduler::Other`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Scheduler::KNOWN
            .iter()
            .find(|k| k.name() == s)
            .cloned()
            .unwrap_or_else(|| Scheduler::Other(s.to_owned())))
    }
}

impl fmt::Display for Scheduler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The client-address mask that groups clients of a persistent service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Netmask {
    /// An IPv4 mask such as 255.255.255.0 (`ipvsadm -M`).
    V4(Ipv4Addr),
    /// An IPv6 prefix length (`ipvsadm -M 64`).
    V6Prefix(u8),
}

impl Netmask {
    /// The mask that groups nothing: each client address on its own
    /// (255.255.255.255 or /128), which is also the kernel default.
    pub fn host(family: AddressFamily) -> Self {
        match family {
            AddressFamily::Inet => Netmask::V4(Ipv4Addr::BROADCAST),
            AddressFamily::Inet6 => Netmask::V6Prefix(128),
        }
    }

    /// Whether this is the per-host mask, which ipvsadm does not print.
    pub fn is_host(&self) -> bool {
        matches!(self, Netmask::V4(m) if *m == Ipv4Addr::BROADCAST) || matches!(self, Netmask::V6Prefix(128))
    }
}

/// Persistence (`ipvsadm -p TIMEOUT [-M NETMASK]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Persistence {
    /// Seconds a client keeps its real server after its last connection.
    pub timeout: u32,
    /// Which client addresses count as the same client.
    pub netmask: Netmask,
}

/// A virtual service and its real servers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Identity (VIP:port/protocol or fwmark).
    pub key: ServiceKey,
    /// Scheduling algorithm.
    pub scheduler: Scheduler,
    /// Persistence, if any.
    pub persistence: Option<Persistence>,
    /// Other `IP_VS_SVC_F_*` flags (one-packet scheduling, scheduler flags);
    /// the persistent and hashed bits are not kept here.
    pub flags: u32,
    /// Persistence engine name (`--pe`), if any.
    pub pe_name: Option<String>,
    /// The real servers.
    pub destinations: Vec<Destination>,
}

impl Service {
    /// A service without persistence, flags or real servers.
    pub fn new(key: ServiceKey, scheduler: Scheduler) -> Self {
        Service { key, scheduler, persistence: None, flags: 0, pe_name: None, destinations: Vec::new() }
    }

    /// The real server at `addr:port`, if present.
    pub fn destination(&self, addr: IpAddr, port: u16) -> Option<&Destination> {
        self.destinations.iter().find(|d| d.addr == addr && d.port == port)
    }

    /// Whether the service-level attributes (everything but the real
    /// servers) are equal, i.e. no `ipvsadm -E` is needed.
    pub fn same_attributes(&self, other: &Service) -> bool {
        self.key == other.key
            && self.scheduler == other.scheduler
            && self.persistence == other.persistence
            && self.flags == other.flags
            && self.pe_name == other.pe_name
    }
}

/// Encapsulation of a tunnelled real server (`ipvsadm --tun-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TunnelType {
    /// IP-in-IP, the classic LVS-TUN (and the only kind Piranha knows).
    #[default]
    Ipip,
    /// Generic UDP encapsulation to `port`, with `IP_VS_TUNNEL_ENCAP_FLAG_*` flags.
    Gue {
        /// Destination UDP port of the encapsulation.
        port: u16,
        /// Checksum flags (0 none, 1 csum, 2 remote csum).
        flags: u16,
    },
    /// GRE, with checksum flags.
    Gre {
        /// Checksum flags (0 none, 1 csum, 2 remote csum).
        flags: u16,
    },
}

/// How packets reach a real server; lvs.cf calls this `network`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ForwardingMethod {
    /// NAT (`network = nat`, `ipvsadm -m`).
    Masquerade,
    /// Direct routing (`network = direct`, `ipvsadm -g`).
    DirectRoute,
    /// Tunnelling (`network = tunnel`, `ipvsadm -i`).
    Tunnel(TunnelType),
    /// Local node (the director itself).
    Local,
    /// Bypass.
    Bypass,
}

impl ForwardingMethod {
    /// The `ipvsadm` switch: `-m`, `-g` or `-i`.
    pub fn switch(&self) -> &'static str {
        match self {
            ForwardingMethod::Masquerade => "-m",
            ForwardingMethod::DirectRoute | ForwardingMethod::Local | ForwardingMethod::Bypass => "-g",
            ForwardingMethod::Tunnel(_) => "-i",
        }
    }
}

/// A real server of a virtual service.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Destination {
    /// Real server address (RIP).
    pub addr: IpAddr,
    /// Real server port.
    pub port: u16,
    /// Forwarding method.
    pub forwarding: ForwardingMethod,
    /// Weight; 0 means quiesced (no new connections).
    pub weight: u32,
    /// Upper connection threshold (0 = none).
    pub upper_threshold: u32,
    /// Lower connection threshold (0 = none).
    pub lower_threshold: u32,
}

impl Destination {
    /// A real server without thresholds.
    pub fn new(addr: IpAddr, port: u16, forwarding: ForwardingMethod, weight: u32) -> Self {
        Destination { addr, port, forwarding, weight, upper_threshold: 0, lower_threshold: 0 }
    }

    /// Whether everything `ipvsadm -e` can change is equal.
    pub fn same_attributes(&self, other: &Destination) -> bool {
        self == other
    }
}
