//! Real server attributes (`IPVS_DEST_ATTR_*`) and their mapping to
//! [`Destination`].

use std::net::IpAddr;

use netlink_packet_core::{DecodeError, DefaultNla, NlaBuffer};

use super::attr::{self, AF_INET, AF_INET6, Attribute};
use crate::table::{AddressFamily, Destination, ForwardingMethod, TunnelType};

const DEST_ATTR_ADDR: u16 = 1;
const DEST_ATTR_PORT: u16 = 2;
const DEST_ATTR_FWD_METHOD: u16 = 3;
const DEST_ATTR_WEIGHT: u16 = 4;
const DEST_ATTR_U_THRESH: u16 = 5;
const DEST_ATTR_L_THRESH: u16 = 6;
const DEST_ATTR_ACTIVE_CONNS: u16 = 7;
const DEST_ATTR_INACT_CONNS: u16 = 8;
const DEST_ATTR_PERSIST_CONNS: u16 = 9;
const DEST_ATTR_ADDR_FAMILY: u16 = 11;
const DEST_ATTR_TUN_TYPE: u16 = 13;
const DEST_ATTR_TUN_PORT: u16 = 14;
const DEST_ATTR_TUN_FLAGS: u16 = 15;

/// `IP_VS_CONN_F_*` forwarding values.
const FWD_MASQ: u32 = 0;
const FWD_LOCALNODE: u32 = 1;
const FWD_TUNNEL: u32 = 2;
const FWD_DROUTE: u32 = 3;
const FWD_BYPASS: u32 = 4;
/// `IP_VS_CONN_F_FWD_MASK`.
const FWD_MASK: u32 = 0x7;

/// `IP_VS_CONN_F_TUNNEL_TYPE_*`.
const TUN_IPIP: u8 = 0;
const TUN_GUE: u8 = 1;
const TUN_GRE: u8 = 2;

/// A destination attribute. Statistics (`STATS`, `STATS64`) are not decoded
/// and arrive as [`DestAttr::Other`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DestAttr {
    /// `IPVS_DEST_ATTR_ADDR`: `union nf_inet_addr`.
    Addr([u8; 16]),
    /// `IPVS_DEST_ATTR_PORT` (network order on the wire).
    Port(u16),
    /// `IPVS_DEST_ATTR_FWD_METHOD`: `IP_VS_CONN_F_*`.
    ForwardingMethod(u32),
    /// `IPVS_DEST_ATTR_WEIGHT`.
    Weight(u32),
    /// `IPVS_DEST_ATTR_U_THRESH`.
    UpperThreshold(u32),
    /// `IPVS_DEST_ATTR_L_THRESH`.
    LowerThreshold(u32),
    /// `IPVS_DEST_ATTR_ACTIVE_CONNS` (dumps only).
    ActiveConnections(u32),
    /// `IPVS_DEST_ATTR_INACT_CONNS` (dumps only).
    InactiveConnections(u32),
    /// `IPVS_DEST_ATTR_PERSIST_CONNS` (dumps only).
    PersistentConnections(u32),
    /// `IPVS_DEST_ATTR_ADDR_FAMILY`, when it differs from the service's.
    Family(u16),
    /// `IPVS_DEST_ATTR_TUN_TYPE`.
    TunnelType(u8),
    /// `IPVS_DEST_ATTR_TUN_PORT` (network order on the wire).
    TunnelPort(u16),
    /// `IPVS_DEST_ATTR_TUN_FLAGS`.
    TunnelFlags(u16),
    /// Anything else, kept verbatim.
    Other(DefaultNla),
}

impl Attribute for DestAttr {
    fn to_nla(&self) -> DefaultNla {
        let u32_attr = |kind: u16, v: &u32| attr::raw(kind, &v.to_ne_bytes());
        match self {
            DestAttr::Addr(a) => attr::raw(DEST_ATTR_ADDR, a),
            DestAttr::Port(v) => attr::raw(DEST_ATTR_PORT, &v.to_be_bytes()),
            DestAttr::ForwardingMethod(v) => u32_attr(DEST_ATTR_FWD_METHOD, v),
            DestAttr::Weight(v) => u32_attr(DEST_ATTR_WEIGHT, v),
            DestAttr::UpperThreshold(v) => u32_attr(DEST_ATTR_U_THRESH, v),
            DestAttr::LowerThreshold(v) => u32_attr(DEST_ATTR_L_THRESH, v),
            DestAttr::ActiveConnections(v) => u32_attr(DEST_ATTR_ACTIVE_CONNS, v),
            DestAttr::InactiveConnections(v) => u32_attr(DEST_ATTR_INACT_CONNS, v),
            DestAttr::PersistentConnections(v) => u32_attr(DEST_ATTR_PERSIST_CONNS, v),
            DestAttr::Family(v) => attr::raw(DEST_ATTR_ADDR_FAMILY, &v.to_ne_bytes()),
            DestAttr::TunnelType(v) => attr::raw(DEST_ATTR_TUN_TYPE, &[*v]),
            DestAttr::TunnelPort(v) => attr::raw(DEST_ATTR_TUN_PORT, &v.to_be_bytes()),
            DestAttr::TunnelFlags(v) => attr::raw(DEST_ATTR_TUN_FLAGS, &v.to_ne_bytes()),
            DestAttr::Other(nla) => nla.clone(),
        }
    }

    fn parse(nla: &NlaBuffer<&[u8]>) -> Result<Self, DecodeError> {
        Ok(match nla.kind() {
            DEST_ATTR_ADDR => DestAttr::Addr(attr::get_addr(nla, "IPVS_DEST_ATTR_ADDR")?),
            DEST_ATTR_PORT => DestAttr::Port(attr::get_be16(nla, "IPVS_DEST_ATTR_PORT")?),
            DEST_ATTR_FWD_METHOD => {
                DestAttr::ForwardingMethod(attr::get_u32(nla, "IPVS_DEST_ATTR_FWD_METHOD")?)
            }
            DEST_ATTR_WEIGHT => DestAttr::Weight(attr::get_u32(nla, "IPVS_DEST_ATTR_WEIGHT")?),
            DEST_ATTR_U_THRESH => DestAttr::UpperThreshold(attr::get_u32(nla, "IPVS_DEST_ATTR_U_THRESH")?),
            DEST_ATTR_L_THRESH => DestAttr::LowerThreshold(attr::get_u32(nla, "IPVS_DEST_ATTR_L_THRESH")?),
            DEST_ATTR_ACTIVE_CONNS => {
                DestAttr::ActiveConnections(attr::get_u32(nla, "IPVS_DEST_ATTR_ACTIVE_CONNS")?)
            }
            DEST_ATTR_INACT_CONNS => {
                DestAttr::InactiveConnections(attr::get_u32(nla, "IPVS_DEST_ATTR_INACT_CONNS")?)
            }
            DEST_ATTR_PERSIST_CONNS => {
                DestAttr::PersistentConnections(attr::get_u32(nla, "IPVS_DEST_ATTR_PERSIST_CONNS")?)
            }
            DEST_ATTR_ADDR_FAMILY => DestAttr::Family(attr::get_u16(nla, "IPVS_DEST_ATTR_ADDR_FAMILY")?),
            DEST_ATTR_TUN_TYPE => DestAttr::TunnelType(attr::get_u8(nla, "IPVS_DEST_ATTR_TUN_TYPE")?),
            DEST_ATTR_TUN_PORT => DestAttr::TunnelPort(attr::get_be16(nla, "IPVS_DEST_ATTR_TUN_PORT")?),
            DEST_ATTR_TUN_FLAGS => DestAttr::TunnelFlags(attr::get_u16(nla, "IPVS_DEST_ATTR_TUN_FLAGS")?),
            _ => DestAttr::Other(attr::other(nla)?),
        })
    }
}

/// ADDR (+ ADDR_FAMILY when it differs from the service's) + PORT: what
/// DEL_DEST needs.
pub fn dest_id(service_family: AddressFamily, addr: IpAddr, port: u16) -> Vec<DestAttr> {
    let mut attrs = vec![DestAttr::Addr(attr::addr_bytes(addr))];
    if AddressFamily::of(&addr) != service_family {
        attrs.push(DestAttr::Family(match addr {
            IpAddr::V4(_) => AF_INET,
            IpAddr::V6(_) => AF_INET6,
        }));
    }
    attrs.push(DestAttr::Port(port));
    attrs
}

/// The full entry NEW_DEST and SET_DEST need: identity, forwarding method,
/// weight, thresholds, and for GUE/GRE tunnels the tunnel attributes (an
/// absent TUN_TYPE means IPIP, which keeps the message valid for kernels
/// older than 5.2).
pub fn dest_entry(service_family: AddressFamily, dest: &Destination) -> Vec<DestAttr> {
    let mut attrs = dest_id(service_family, dest.addr, dest.port);
    let method = match dest.forwarding {
        ForwardingMethod::Masquerade => FWD_MASQ,
        ForwardingMethod::Local => FWD_LOCALNODE,
        ForwardingMethod::Tunnel(_) => FWD_TUNNEL,
        ForwardingMethod::DirectRoute => FWD_DROUTE,
        ForwardingMethod::Bypass => FWD_BYPASS,
    };
    attrs.push(DestAttr::ForwardingMethod(method));
    attrs.push(DestAttr::Weight(dest.weight));
    attrs.push(DestAttr::UpperThreshold(dest.upper_threshold));
    attrs.push(DestAttr::LowerThreshold(dest.lower_threshold));
    match dest.forwarding {
        ForwardingMethod::Tunnel(TunnelType::Gue { port, flags }) => {
            attrs.extend([
                DestAttr::TunnelType(TUN_GUE),
                DestAttr::TunnelPort(port),
                DestAttr::TunnelFlags(flags),
            ]);
        }
        ForwardingMethod::Tunnel(TunnelType::Gre { flags }) => {
            attrs.extend([DestAttr::TunnelType(TUN_GRE), DestAttr::TunnelFlags(flags)]);
        }
        _ => {}
    }
    attrs
}

/// The real server a NEW_DEST dump message describes. `service_family` is
/// used when the kernel sends no ADDR_FAMILY (kernels before 4.3).
///
/// # Errors
/// When ADDR, PORT or FWD_METHOD is missing or has an unknown value.
pub fn parse_dest(service_family: AddressFamily, attrs: &[DestAttr]) -> Result<Destination, DecodeError> {
    let mut family = match service_family {
        AddressFamily::Inet => AF_INET,
        AddressFamily::Inet6 => AF_INET6,
    };
    let (mut addr, mut port, mut method) = (None, None, None);
    let (mut weight, mut upper, mut lower) = (0, 0, 0);
    let (mut tun_type, mut tun_port, mut tun_flags) = (TUN_IPIP, 0, 0);
    for a in attrs {
        match a {
            DestAttr::Addr(v) => addr = Some(*v),
            DestAttr::Port(v) => port = Some(*v),
            DestAttr::ForwardingMethod(v) => method = Some(*v & FWD_MASK),
            DestAttr::Weight(v) => weight = *v,
            DestAttr::UpperThreshold(v) => upper = *v,
            DestAttr::LowerThreshold(v) => lower = *v,
            DestAttr::Family(v) => family = *v,
            DestAttr::TunnelType(v) => tun_type = *v,
            DestAttr::TunnelPort(v) => tun_port = *v,
            DestAttr::TunnelFlags(v) => tun_flags = *v,
            DestAttr::ActiveConnections(_)
            | DestAttr::InactiveConnections(_)
            | DestAttr::PersistentConnections(_)
            | DestAttr::Other(_) => {}
        }
    }
    let forwarding = match attr::required(method, "IPVS_DEST_ATTR_FWD_METHOD")? {
        FWD_MASQ => ForwardingMethod::Masquerade,
        FWD_LOCALNODE => ForwardingMethod::Local,
        FWD_DROUTE => ForwardingMethod::DirectRoute,
        FWD_BYPASS => ForwardingMethod::Bypass,
        FWD_TUNNEL => ForwardingMethod::Tunnel(match tun_type {
            TUN_IPIP => TunnelType::Ipip,
            TUN_GUE => TunnelType::Gue { port: tun_port, flags: tun_flags },
            TUN_GRE => TunnelType::Gre { flags: tun_flags },
            other => return Err(DecodeError::from(format!("destination: unknown tunnel type {other}"))),
        }),
        other => return Err(DecodeError::from(format!("destination: unknown forwarding method {other}"))),
    };
    Ok(Destination {
        addr: attr::addr_from(family, attr::required(addr, "IPVS_DEST_ATTR_ADDR")?)?,
        port: attr::required(port, "IPVS_DEST_ATTR_PORT")?,
        forwarding,
        weight,
        upper_threshold: upper,
        lower_threshold: lower,
    })
}
