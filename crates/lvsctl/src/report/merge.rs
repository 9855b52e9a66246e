//! lvsd's services matched with the kernel's (pure).

use ipvs::{ForwardingMethod, Protocol, ServiceKey, Table};
use status::model::{LvsdMode, LvsdStatus, RealServerStatus, ServiceId, ServiceProtocol};

use super::{MergedServer, MergedService};

/// The status model's identity of a kernel service.
pub fn kernel_service_id(key: &ServiceKey) -> ServiceId {
    match *key {
        ServiceKey::Socket { protocol, addr, port } => ServiceId {
            protocol: match protocol {
                Protocol::Tcp => ServiceProtocol::Tcp,
                Protocol::Udp => ServiceProtocol::Udp,
                Protocol::Sctp => ServiceProtocol::Sctp,
            },
            address: Some(addr),
            port,
            fwmark: None,
        },
        ServiceKey::Fwmark { mark, .. } => {
            ServiceId { protocol: ServiceProtocol::Fwmark, address: None, port: 0, fwmark: Some(mark) }
        }
    }
}

fn forwarding_name(method: &ForwardingMethod) -> &'static str {
    match method {
        ForwardingMethod::Masquerade => "masq",
        ForwardingMethod::DirectRoute => "route",
        ForwardingMethod::Tunnel(_) => "tunnel",
        ForwardingMethod::Local => "local",
        ForwardingMethod::Bypass => "bypass",
    }
}

/// lvsd's services in its order, each with what the kernel holds for it,
/// then the kernel's services lvsd does not own. Within a service: lvsd's
/// real servers, then the sorry server, then entries only the kernel has.
/// Without a kernel table every `in_kernel` is `null`; without lvsd every
/// entry is unmanaged.
pub fn merge(lvsd: Option<&LvsdStatus>, kernel: Option<&Table>) -> Vec<MergedService> {
    let kernel_services: Vec<(ServiceId, &ipvs::Service)> = kernel
        .map(|t| t.services.iter().map(|s| (kernel_service_id(&s.key), s)).collect())
        .unwrap_or_default();
    let read = kernel.is_some();
    let programs = lvsd.is_some_and(|l| l.mode == LvsdMode::Active);
    let mut out = Vec::new();
    for service in lvsd.map(|l| l.services.as_slice()).unwrap_or_default() {
        let held = kernel_services.iter().find(|(id, _)| *id == service.id).map(|(_, s)| *s);
        let mut servers: Vec<MergedServer> = service
            .real_servers
            .iter()
            .map(|x| {
                let entry = held.and_then(|k| k.destination(x.address, x.port));
                managed_server(x, entry, read, programs)
            })
            .collect();
        if let Some(sorry) = &service.sorry_server {
            let entry = held.and_then(|k| k.destination(sorry.address, sorry.port));
            if entry.is_some() || sorry.active {
                servers.push(MergedServer {
                    name: None,
                    address: sorry.address,
                    port: sorry.port,
                    forwarding: entry.map(|d| forwarding_name(&d.forwarding).to_owned()),
                    weight: entry.map(|d| d.weight),
                    configured_weight: Some(1),
                    in_kernel: read.then_some(entry.is_some()),
                    wanted: Some(sorry.active && programs),
                    managed: true,
                    sorry: true,
                    health: None,
                    health_since: None,
                    last_probe: None,
                });
            }
        }
        if let Some(k) = held {
            for d in &k.destinations {
                if !servers.iter().any(|x| x.address == d.addr && x.port == d.port) {
                    servers.push(unmanaged_server(d));
                }
            }
        }
        out.push(MergedService {
            name: Some(service.name.clone()),
            id: service.id,
            scheduler: held.map_or_else(|| service.scheduler.clone(), |k| k.scheduler.name().to_owned()),
            persistent: held.and_then(|k| k.persistence.map(|p| p.timeout)),
            in_kernel: read.then_some(held.is_some()),
            managed: true,
            nanny_pid: service.nanny.map(|n| n.pid),
            sorry_server: service.sorry_server,
            real_servers: servers,
        });
    }
    for (id, k) in &kernel_services {
        if out.iter().any(|s| s.id == *id) {
            continue;
        }
        out.push(MergedService {
            name: None,
            id: *id,
            scheduler: k.scheduler.name().to_owned(),
            persistent: k.persistence.map(|p| p.timeout),
            in_kernel: Some(true),
            managed: false,
            nanny_pid: None,
            sorry_server: None,
            real_servers: k.destinations.iter().map(unmanaged_server).collect(),
        });
    }
    out
}

fn managed_server(
    x: &RealServerStatus,
    entry: Option<&ipvs::Destination>,
    read: bool,
    programs: bool,
) -> MergedServer {
    MergedServer {
        name: Some(x.name.clone()),
        address: x.address,
        port: x.port,
        forwarding: entry.map(|d| forwarding_name(&d.forwarding).to_owned()),
        weight: entry.map(|d| d.weight),
        configured_weight: Some(x.weight),
        in_kernel: read.then_some(entry.is_some()),
        wanted: Some(x.in_table && programs),
        managed: true,
        sorry: false,
        health: Some(x.health),
        health_since: Some(x.since),
        last_probe: x.last_probe.clone(),
    }
}

fn unmanaged_server(d: &ipvs::Destination) -> MergedServer {
    MergedServer {
        name: None,
        address: d.addr,
        port: d.port,
        forwarding: Some(forwarding_name(&d.forwarding).to_owned()),
        weight: Some(d.weight),
        configured_weight: None,
        in_kernel: Some(true),
        wanted: None,
        managed: false,
        sorry: false,
        health: None,
        health_since: None,
        last_probe: None,
    }
}
