//! The steady-state IPVS table of a config (spec §3.3–§3.4): what the
//! original would build once every active real server has passed its first
//! probe.

use std::net::IpAddr;

use ipvs::{Destination, Netmask, Persistence, Service, ServiceKey, Table, TunnelType};

use crate::model::{Config, ForwardingMethod, Protocol, RealServer, VirtualService};

/// The IPVS identity of a virtual service: `-f MARK` when `fwmark` is set,
/// else `-t|-u VIP:PORT`; `None` without an `address`.
pub fn service_key(v: &VirtualService) -> Option<ServiceKey> {
    if let Some(mark) = v.fwmark {
        return Some(ServiceKey::Fwmark { family: ipvs_family(v.vip()?), mark });
    }
    let addr = v.vip()?;
    Some(match v.protocol {
        Protocol::Tcp => ServiceKey::tcp(addr, v.port),
        Protocol::Udp => ServiceKey::udp(addr, v.port),
    })
}

fn ipvs_family(addr: IpAddr) -> ipvs::AddressFamily {
    ipvs::AddressFamily::of(&addr)
}

/// The real server port as the kernel ends up holding it, normalised the way
/// `ipvsadm` does: with direct routing or tunnelling on an address-based
/// service the real port is the virtual port; otherwise (NAT, or any
/// firewall-mark service) it is the server's `port`.
pub fn real_port(network: ForwardingMethod, v: &VirtualService, s: &RealServer) -> u16 {
    match (network, v.fwmark) {
        (ForwardingMethod::Direct | ForwardingMethod::Tunnel, None) => v.port,
        _ => s.port,
    }
}

/// `network` as an IPVS forwarding method (`-m`, `-g`, `-i`).
pub fn forwarding(network: ForwardingMethod) -> ipvs::ForwardingMethod {
    match network {
        ForwardingMethod::Nat => ipvs::ForwardingMethod::Masquerade,
        ForwardingMethod::Direct => ipvs::ForwardingMethod::DirectRoute,
        ForwardingMethod::Tunnel => ipvs::ForwardingMethod::Tunnel(TunnelType::Ipip),
    }
}

/// The IPVS service of an active virtual service, without real servers.
pub fn service(v: &VirtualService) -> Option<Service> {
    let key = service_key(v)?;
    let mut service = Service::new(key, v.scheduler.clone());
    if v.persistent > 0 {
        let netmask = v.pmask.map_or_else(|| Netmask::host(key.family()), Netmask::V4);
        service.persistence = Some(Persistence { timeout: v.persistent, netmask });
    }
    Some(service)
}

/// The IPVS destination of a real server at full health, if it has an address.
pub fn destination(network: ForwardingMethod, v: &VirtualService, s: &RealServer) -> Option<Destination> {
    Some(Destination::new(s.address?, real_port(network, v, s), forwarding(network), s.effective_weight()))
}

/// The whole steady-state table: every active virtual service (in file
/// order) with every active real server at its configured weight.
/// Inactive services and servers, failover blocks, services without an
/// address and later duplicates of an identity are left out.
pub fn desired_table(config: &Config) -> Table {
    let mut table = Table::default();
    for v in config.active_virtual_services() {
        let Some(mut svc) = service(v) else { continue };
        if table.service(&svc.key).is_some() {
            continue;
        }
        for s in v.active_servers() {
            if let Some(d) = destination(config.network, v, s)
                && svc.destination(d.addr, d.port).is_none()
            {
                svc.destinations.push(d);
            }
        }
        table.services.push(svc);
    }
    table
}
