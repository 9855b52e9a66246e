//! Reconciliation: the ordered operations that turn the kernel's table into
//! the desired one, without ever flushing. Pure.

use std::collections::HashSet;
use std::fmt;
use std::net::IpAddr;

use crate::codec::service::{F_HASHED, F_PERSISTENT};
use crate::rules::{DestinationOptions, ServiceOptions};
use crate::table::{Destination, ForwardingMethod, Service, ServiceKey, SocketText, Table};

/// One change to the kernel table: what one `ipvsadm` command does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Add a virtual service (`ipvsadm -A`); its `destinations` are ignored.
    AddService(Service),
    /// Change a service's scheduler, persistence, flags or PE (`ipvsadm -E`);
    /// its `destinations` are ignored.
    EditService(Service),
    /// Delete a service and its real servers (`ipvsadm -D`).
    DeleteService(ServiceKey),
    /// Add a real server (`ipvsadm -a`).
    AddDestination(ServiceKey, Destination),
    /// Change a real server's forwarding, weight or thresholds (`ipvsadm -e`).
    EditDestination(ServiceKey, Destination),
    /// Delete a real server (`ipvsadm -d`).
    DeleteDestination {
        /// The service.
        service: ServiceKey,
        /// Real server address.
        addr: IpAddr,
        /// Real server port.
        port: u16,
    },
}

impl Op {
    /// The service this operation is about.
    pub fn service(&self) -> &ServiceKey {
        match self {
            Op::AddService(s) | Op::EditService(s) => &s.key,
            Op::DeleteService(key)
            | Op::AddDestination(key, _)
            | Op::EditDestination(key, _)
            | Op::DeleteDestination { service: key, .. } => key,
        }
    }

    /// The real server this operation is about, if any.
    pub fn destination(&self) -> Option<(IpAddr, u16)> {
        match self {
            Op::AddDestination(_, d) | Op::EditDestination(_, d) => Some((d.addr, d.port)),
            Op::DeleteDestination { addr, port, .. } => Some((*addr, *port)),
            _ => None,
        }
    }

    /// The ipvsadm command and the entry it names, without options, e.g.
    /// `-a -t 192.0.2.1:80 -r 10.0.0.1:80`; used in error messages.
    pub fn target(&self) -> String {
        let command = match self {
            Op::AddService(_) => "-A",
            Op::EditService(_) => "-E",
            Op::DeleteService(_) => "-D",
            Op::AddDestination(..) => "-a",
            Op::EditDestination(..) => "-e",
            Op::DeleteDestination { .. } => "-d",
        };
        match self.destination() {
            Some((addr, port)) => format!("{command} {} -r {}", self.service(), SocketText(addr, port)),
            None => format!("{command} {}", self.service()),
        }
    }
}

impl fmt::Display for Op {
    /// The equivalent numeric ipvsadm arguments, e.g.
    /// `-A -t 192.0.2.1:80 -s wlc -p 300` or `-a -t 192.0.2.1:80 -r 10.0.0.1:80 -m -w 1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.target())?;
        match self {
            Op::AddService(s) | Op::EditService(s) => write!(f, "{}", ServiceOptions(s)),
            Op::AddDestination(_, d) | Op::EditDestination(_, d) => write!(f, "{}", DestinationOptions(d)),
            Op::DeleteService(_) | Op::DeleteDestination { .. } => Ok(()),
        }
    }
}

/// The table as ipvsadm would have installed it, so that it compares equal to
/// what the kernel reports afterwards:
/// - the first of several services (or real servers) with the same identity wins;
/// - scheduler names are canonical (`Other("wlc")` becomes `Wlc`);
/// - the persistent and hashed bits are not part of `flags` (persistence is);
/// - a direct-routed or tunnelled real server of a non-fwmark service listens
///   on the virtual port (ipvsadm overrides the port given).
///
/// A non-persistent service has no netmask in the model, and a fwmark
/// service no protocol, so neither needs normalising.
pub fn normalize(table: &Table) -> Table {
    canonical(table, normalize_destination)
}

/// The kernel's view made comparable: like [`normalize`] but with ports kept
/// as they are (the kernel does not rewrite them, so a real server on another
/// port is a different entry).
fn canonical_actual(table: &Table) -> Table {
    canonical(table, |_, d| d.clone())
}

/// First of each identity, canonical scheduler and flags, real servers
/// mapped through `destination`.
fn canonical(table: &Table, destination: impl Fn(&ServiceKey, &Destination) -> Destination) -> Table {
    let mut seen = HashSet::new();
    let services = table
        .services
        .iter()
        .filter(|s| seen.insert(s.key))
        .map(|s| {
            let mut seen = HashSet::new();
            Service {
                scheduler: match s.scheduler.name().parse() {
                    Ok(scheduler) => scheduler,
                    Err(never) => match never {},
                },
                flags: s.flags & !(F_PERSISTENT | F_HASHED),
                destinations: s
                    .destinations
                    .iter()
                    .map(|d| destination(&s.key, d))
                    .filter(|d| seen.insert((d.addr, d.port)))
                    .collect(),
                ..s.clone()
            }
        })
        .collect();
    Table { services }
}

fn normalize_destination(key: &ServiceKey, dest: &Destination) -> Destination {
    let mut dest = dest.clone();
    if let ServiceKey::Socket { port, .. } = key
        && matches!(dest.forwarding, ForwardingMethod::DirectRoute | ForwardingMethod::Tunnel(_))
    {
        dest.port = *port;
    }
    dest
}

/// The operations that turn `actual` (the kernel's table) into `desired`.
///
/// Everything in `actual` that `desired` does not contain is removed; nothing
/// is flushed. Order: services to delete (the kernel drops their real servers
/// with them), then per kept service its edit, real-server deletions, edits
/// and additions, then new services each followed by its real servers. So a
/// service is always added before its real servers, and a real server is
/// always deleted before (or together with) its service. `desired` is
/// [`normalize`]d first; planning again after applying yields nothing.
pub fn plan(desired: &Table, actual: &Table) -> Vec<Op> {
    let desired = normalize(desired);
    let actual = canonical_actual(actual);
    let mut ops = Vec::new();

    for old in &actual.services {
        if desired.service(&old.key).is_none() {
            ops.push(Op::DeleteService(old.key));
        }
    }
    for want in &desired.services {
        let Some(have) = actual.service(&want.key) else { continue };
        if !want.same_attributes(have) {
            ops.push(Op::EditService(without_destinations(want)));
        }
        for d in &have.destinations {
            if want.destination(d.addr, d.port).is_none() {
                ops.push(Op::DeleteDestination { service: want.key, addr: d.addr, port: d.port });
            }
        }
        for d in &want.destinations {
            match have.destination(d.addr, d.port) {
                Some(current) if current.same_attributes(d) => {}
                Some(_) => ops.push(Op::EditDestination(want.key, d.clone())),
                None => {}
            }
        }
        for d in &want.destinations {
            if have.destination(d.addr, d.port).is_none() {
                ops.push(Op::AddDestination(want.key, d.clone()));
            }
        }
    }
    for want in &desired.services {
        if actual.service(&want.key).is_none() {
            ops.push(Op::AddService(without_destinations(want)));
            ops.extend(want.destinations.iter().map(|d| Op::AddDestination(want.key, d.clone())));
        }
    }
    ops
}

fn without_destinations(service: &Service) -> Service {
    Service { destinations: Vec::new(), ..service.clone() }
}

#[cfg(test)]
mod tests;
