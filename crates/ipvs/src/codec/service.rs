//! Virtual service attributes (`IPVS_SVC_ATTR_*`) and their mapping to
//! [`Service`].

use std::net::Ipv4Addr;

use netlink_packet_core::{DecodeError, DefaultNla, NlaBuffer};

use super::attr::{self, AF_INET, AF_INET6, Attribute};
use crate::table::{AddressFamily, Netmask, Persistence, Protocol, Scheduler, Service, ServiceKey};

const SVC_ATTR_AF: u16 = 1;
const SVC_ATTR_PROTOCOL: u16 = 2;
const SVC_ATTR_ADDR: u16 = 3;
const SVC_ATTR_PORT: u16 = 4;
const SVC_ATTR_FWMARK: u16 = 5;
const SVC_ATTR_SCHED_NAME: u16 = 6;
const SVC_ATTR_FLAGS: u16 = 7;
const SVC_ATTR_TIMEOUT: u16 = 8;
const SVC_ATTR_NETMASK: u16 = 9;
const SVC_ATTR_PE_NAME: u16 = 11;

/// `IP_VS_SVC_F_PERSISTENT`.
pub(crate) const F_PERSISTENT: u32 = 0x0001;
/// `IP_VS_SVC_F_HASHED` (kernel-internal, reported in dumps).
pub(crate) const F_HASHED: u32 = 0x0002;

/// A service attribute. Statistics (`STATS`, `STATS64`) are not decoded and
/// arrive as [`ServiceAttr::Other`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceAttr {
    /// `IPVS_SVC_ATTR_AF`: `AF_INET` or `AF_INET6`.
    Family(u16),
    /// `IPVS_SVC_ATTR_PROTOCOL`: `IPPROTO_*`.
    Protocol(u16),
    /// `IPVS_SVC_ATTR_ADDR`: `union nf_inet_addr`.
    Addr([u8; 16]),
    /// `IPVS_SVC_ATTR_PORT` (network order on the wire).
    Port(u16),
    /// `IPVS_SVC_ATTR_FWMARK`.
    Fwmark(u32),
    /// `IPVS_SVC_ATTR_SCHED_NAME`.
    Scheduler(String),
    /// `IPVS_SVC_ATTR_FLAGS`: `struct ip_vs_flags` (host order).
    Flags {
        /// `IP_VS_SVC_F_*` bits.
        flags: u32,
        /// Which bits to change.
        mask: u32,
    },
    /// `IPVS_SVC_ATTR_TIMEOUT`: persistence timeout, seconds.
    Timeout(u32),
    /// `IPVS_SVC_ATTR_NETMASK`, the four wire bytes: an IPv4 mask in network
    /// order, or an IPv6 prefix length as a host-order u32.
    Netmask([u8; 4]),
    /// `IPVS_SVC_ATTR_PE_NAME`.
    PeName(String),
    /// Anything else, kept verbatim.
    Other(DefaultNla),
}

impl Attribute for ServiceAttr {
    fn to_nla(&self) -> DefaultNla {
        match self {
            ServiceAttr::Family(v) => attr::raw(SVC_ATTR_AF, &v.to_ne_bytes()),
            ServiceAttr::Protocol(v) => attr::raw(SVC_ATTR_PROTOCOL, &v.to_ne_bytes()),
            ServiceAttr::Addr(a) => attr::raw(SVC_ATTR_ADDR, a),
            ServiceAttr::Port(v) => attr::raw(SVC_ATTR_PORT, &v.to_be_bytes()),
            ServiceAttr::Fwmark(v) => attr::raw(SVC_ATTR_FWMARK, &v.to_ne_bytes()),
            ServiceAttr::Scheduler(s) => attr::string(SVC_ATTR_SCHED_NAME, s),
            ServiceAttr::Flags { flags, mask } => {
                let mut value = flags.to_ne_bytes().to_vec();
                value.extend_from_slice(&mask.to_ne_bytes());
                attr::raw(SVC_ATTR_FLAGS, &value)
            }
            ServiceAttr::Timeout(v) => attr::raw(SVC_ATTR_TIMEOUT, &v.to_ne_bytes()),
            ServiceAttr::Netmask(b) => attr::raw(SVC_ATTR_NETMASK, b),
            ServiceAttr::PeName(s) => attr::string(SVC_ATTR_PE_NAME, s),
            ServiceAttr::Other(nla) => nla.clone(),
        }
    }

    fn parse(nla: &NlaBuffer<&[u8]>) -> Result<Self, DecodeError> {
        Ok(match nla.kind() {
            SVC_ATTR_AF => ServiceAttr::Family(attr::get_u16(nla, "IPVS_SVC_ATTR_AF")?),
            SVC_ATTR_PROTOCOL => ServiceAttr::Protocol(attr::get_u16(nla, "IPVS_SVC_ATTR_PROTOCOL")?),
            SVC_ATTR_ADDR => ServiceAttr::Addr(attr::get_addr(nla, "IPVS_SVC_ATTR_ADDR")?),
            SVC_ATTR_PORT => ServiceAttr::Port(attr::get_be16(nla, "IPVS_SVC_ATTR_PORT")?),
            SVC_ATTR_FWMARK => ServiceAttr::Fwmark(attr::get_u32(nla, "IPVS_SVC_ATTR_FWMARK")?),
            SVC_ATTR_SCHED_NAME => ServiceAttr::Scheduler(attr::get_string(nla, "IPVS_SVC_ATTR_SCHED_NAME")?),
            SVC_ATTR_FLAGS => {
                let b: [u8; 8] = attr::fixed(nla, "IPVS_SVC_ATTR_FLAGS")?;
                ServiceAttr::Flags {
                    flags: u32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
                    mask: u32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
                }
            }
            SVC_ATTR_TIMEOUT => ServiceAttr::Timeout(attr::get_u32(nla, "IPVS_SVC_ATTR_TIMEOUT")?),
            SVC_ATTR_NETMASK => ServiceAttr::Netmask(attr::fixed(nla, "IPVS_SVC_ATTR_NETMASK")?),
            SVC_ATTR_PE_NAME => ServiceAttr::PeName(attr::get_string(nla, "IPVS_SVC_ATTR_PE_NAME")?),
            _ => ServiceAttr::Other(attr::other(nla)?),
        })
    }
}

fn family_number(family: AddressFamily) -> u16 {
    match family {
        AddressFamily::Inet => AF_INET,
        AddressFamily::Inet6 => AF_INET6,
    }
}

/// The attributes that identify a service (enough for DEL_SERVICE and for the
/// service of a destination command): AF + FWMARK, or AF + PROTOCOL + ADDR + PORT.
pub fn service_id(key: &ServiceKey) -> Vec<ServiceAttr> {
    match key {
        ServiceKey::Socket { protocol, addr, port } => vec![
            ServiceAttr::Family(family_number(key.family())),
            ServiceAttr::Protocol(protocol.number()),
            ServiceAttr::Addr(attr::addr_bytes(*addr)),
            ServiceAttr::Port(*port),
        ],
        ServiceKey::Fwmark { family, mark } => {
            vec![ServiceAttr::Family(family_number(*family)), ServiceAttr::Fwmark(*mark)]
        }
    }
}

fn netmask_bytes(netmask: Netmask) -> [u8; 4] {
    match netmask {
        Netmask::V4(mask) => mask.octets(),
        Netmask::V6Prefix(len) => u32::from(len).to_ne_bytes(),
    }
}

/// The full entry NEW_SERVICE and SET_SERVICE need, as `ipvsadm -A`/`-E`
/// sends it: identity, scheduler, optional PE name, flags (mask all ones),
/// persistence timeout and netmask (per-host mask when not persistent).
pub fn service_entry(service: &Service) -> Vec<ServiceAttr> {
    let mut attrs = service_id(&service.key);
    attrs.push(ServiceAttr::Scheduler(service.scheduler.name().to_owned()));
    if let Some(pe) = &service.pe_name {
        attrs.push(ServiceAttr::PeName(pe.clone()));
    }
    let (persistent, timeout, netmask) = match &service.persistence {
        Some(p) => (F_PERSISTENT, p.timeout, p.netmask),
        None => (0, 0, Netmask::host(service.key.family())),
    };
    attrs.push(ServiceAttr::Flags {
        flags: (service.flags & !(F_PERSISTENT | F_HASHED)) | persistent,
        mask: !0,
    });
    attrs.push(ServiceAttr::Timeout(timeout));
    attrs.push(ServiceAttr::Netmask(netmask_bytes(netmask)));
    attrs
}

/// The service a NEW_SERVICE dump message describes (without destinations).
///
/// # Errors
/// When an identifying attribute is missing or has an unknown value.
pub fn parse_service(attrs: &[ServiceAttr]) -> Result<Service, DecodeError> {
    let (mut family, mut protocol, mut addr, mut port, mut fwmark) = (None, None, None, None, None);
    let (mut scheduler, mut flags, mut timeout, mut netmask, mut pe_name) = (None, 0, 0, None, None);
    for a in attrs {
        match a {
            ServiceAttr::Family(v) => family = Some(*v),
            ServiceAttr::Protocol(v) => protocol = Some(*v),
            ServiceAttr::Addr(v) => addr = Some(*v),
            ServiceAttr::Port(v) => port = Some(*v),
            ServiceAttr::Fwmark(v) => fwmark = Some(*v),
            ServiceAttr::Scheduler(v) => scheduler = Some(v.clone()),
            ServiceAttr::Flags { flags: f, .. } => flags = *f,
            ServiceAttr::Timeout(v) => timeout = *v,
            ServiceAttr::Netmask(v) => netmask = Some(*v),
            ServiceAttr::PeName(v) => pe_name = Some(v.clone()).filter(|s| !s.is_empty()),
            ServiceAttr::Other(_) => {}
        }
    }
    let family = attr::required(family, "IPVS_SVC_ATTR_AF")?;
    let address_family = match family {
        AF_INET => AddressFamily::Inet,
        AF_INET6 => AddressFamily::Inet6,
        other => return Err(DecodeError::from(format!("service: unsupported address family {other}"))),
    };
    // The kernel reports a firewall-mark service by its mark alone (its
    // protocol is TCP internally); a mark of 0 means "not a fwmark service".
    let key = match fwmark.filter(|m| *m != 0) {
        Some(mark) => ServiceKey::Fwmark { family: address_family, mark },
        None => {
            let number = attr::required(protocol, "IPVS_SVC_ATTR_PROTOCOL")?;
            let protocol = Protocol::from_number(number)
                .ok_or_else(|| DecodeError::from(format!("service: unknown protocol {number}")))?;
            let addr = attr::addr_from(family, attr::required(addr, "IPVS_SVC_ATTR_ADDR")?)?;
            ServiceKey::Socket { protocol, addr, port: attr::required(port, "IPVS_SVC_ATTR_PORT")? }
        }
    };
    let scheduler: Scheduler = match attr::required(scheduler, "IPVS_SVC_ATTR_SCHED_NAME")?.parse() {
        Ok(s) => s,
        Err(never) => match never {},
    };
    let persistence = (flags & F_PERSISTENT != 0).then(|| Persistence {
        timeout,
        netmask: match (address_family, netmask) {
            (_, None) => Netmask::host(address_family),
            (AddressFamily::Inet, Some(b)) => Netmask::V4(Ipv4Addr::from(b)),
            (AddressFamily::Inet6, Some(b)) => {
                Netmask::V6Prefix(u8::try_from(u32::from_ne_bytes(b)).unwrap_or(128).min(128))
            }
        },
    });
    Ok(Service {
        key,
        scheduler,
        persistence,
        flags: flags & !(F_PERSISTENT | F_HASHED),
        pe_name,
        destinations: Vec::new(),
    })
}
