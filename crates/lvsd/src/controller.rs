//! The pure core of lvsd: what the IPVS table should hold, given lvs.cf and
//! the health verdicts of the nanny workers. No I/O, no clock.
//!
//! lvsd is the single owner of the table. A real server enters it when its
//! first probe succeeds (as in the original), leaves it (or, with
//! `quiesce_server = 1`, drops to weight 0) when a probe fails, and its weight
//! follows nanny's slow start. The sorry server is in the table exactly while
//! no real server of its service is up (spec §3.6, fixing §8 #5).

use std::collections::HashMap;
use std::net::IpAddr;

use ipvs::{Destination, Service, ServiceKey, Table};
use lvs_config::desired;
use lvs_config::{Config, ForwardingMethod, VirtualService};

/// What nanny last said about a real server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// No verdict yet.
    Unknown,
    /// Available with this weight (nanny's slow start / load weighting).
    Up {
        /// The weight nanny reports.
        weight: u32,
    },
    /// Failed.
    Down,
}

/// A real server under watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerState {
    /// lvsd's id for the server in the worker protocol.
    pub id: u32,
    /// The `server NAME` label.
    pub name: String,
    /// The IPVS entry at full weight (port normalised as ipvsadm does).
    pub dest: Destination,
    /// The port nanny probes (the server's `port`).
    pub probe_port: u16,
    /// The last verdict.
    pub health: Health,
    /// Whether the server has been in the table (quiesce keeps it there at
    /// weight 0 after a failure).
    pub in_table: bool,
}

/// An active virtual service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceState {
    /// The `virtual NAME` label.
    pub name: String,
    /// The IPVS service (no destinations).
    pub service: Service,
    /// `quiesce_server`.
    pub quiesce: bool,
    /// The sorry server's entry (`sorry_server`, virtual port, weight 1).
    pub sorry: Option<Destination>,
    /// Whether the sorry server is in the table now.
    pub sorry_active: bool,
    /// The active real servers with an address.
    pub servers: Vec<ServerState>,
    /// The nanny worker's command line (after the program path).
    pub worker_args: Vec<String>,
    /// `timeout`: the probe interval in seconds (a worker silent for much
    /// longer is hung).
    pub probe_interval: u32,
}

impl ServiceState {
    /// The identity of the service in IPVS.
    pub fn key(&self) -> ServiceKey {
        self.service.key
    }

    fn up_count(&self) -> usize {
        self.servers.iter().filter(|s| matches!(s.health, Health::Up { .. })).count()
    }

    /// Whether every server has had a verdict (so "none up" is a fact).
    fn all_judged(&self) -> bool {
        self.servers.iter().all(|s| s.health != Health::Unknown)
    }

    /// The server with protocol id `id`.
    pub fn server_mut(&mut self, id: u32) -> Option<&mut ServerState> {
        self.servers.iter_mut().find(|s| s.id == id)
    }
}

/// A change the runtime must make to the nanny workers after a reload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerChange {
    /// Start a worker for this new service.
    Start(ServiceKey),
    /// Stop the worker of a service that is gone.
    Stop(ServiceKey),
    /// The probe settings changed: restart the worker (health is kept until
    /// the new worker reports).
    Restart(ServiceKey),
    /// Tell the worker about a new or changed server.
    Watch(ServiceKey, u32),
    /// Tell the worker to forget a server.
    Forget(ServiceKey, u32),
}

/// The desired state of every active virtual service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Controller {
    /// The services, in lvs.cf order.
    pub services: Vec<ServiceState>,
    next_id: u32,
    verbose: bool,
}

/// The nanny worker arguments for a virtual service (spec §3.4 order, minus
/// what only the original's ipvsadm calls needed).
pub fn worker_args(config: &Config, v: &VirtualService, verbose: bool) -> Vec<String> {
    let mut args = vec!["--worker".to_owned(), "-p".to_owned(), v.port.to_string()];
    if v.protocol == lvs_config::Protocol::Udp {
        args.push("-u".into());
    }
    for (flag, value) in [("-e", &v.send_program), ("-s", &v.send), ("-x", &v.expect)] {
        if let Some(text) = value {
            args.push(flag.into());
            args.push(text.effective());
        }
    }
    if v.use_regex {
        args.push("--regex".into());
    }
    if verbose {
        args.push("-v".into());
    }
    args.extend(["-a".into(), v.reentry.to_string(), "-t".into(), v.timeout.to_string()]);
    match v.load_monitor.as_deref() {
        Some("uptime") => args.extend(["-U".into(), config.rsh_command.clone()]),
        Some(other) => args.extend(["-U".into(), other.to_owned()]),
        None => {}
    }
    args
}

fn sorry_destination(network: ForwardingMethod, v: &VirtualService) -> Option<Destination> {
    let addr: IpAddr = v.sorry_server?;
    // The fork's fix of §8 #5: the sorry server listens on the virtual port.
    let port = if v.fwmark.is_some() { 0 } else { v.port };
    Some(Destination::new(addr, port, desired::forwarding(network), 1))
}

impl Controller {
    /// The services of `config`, every server without a verdict.
    pub fn new(config: &Config, verbose: bool) -> Self {
        let mut c = Controller { services: Vec::new(), next_id: 0, verbose };
        c.services = c.build(config, &HashMap::new());
        c
    }

    /// Builds the service states of `config`, reusing ids and health of
    /// `old` servers (keyed by service and real-server address and port).
    fn build(
        &mut self,
        config: &Config,
        old: &HashMap<(ServiceKey, IpAddr, u16), ServerState>,
    ) -> Vec<ServiceState> {
        let mut out: Vec<ServiceState> = Vec::new();
        for v in config.active_virtual_services() {
            let Some(service) = desired::service(v) else { continue };
            if out.iter().any(|s| s.key() == service.key) {
                continue;
            }
            let mut servers: Vec<ServerState> = Vec::new();
            for s in v.active_servers() {
                let Some(dest) = desired::destination(config.network, v, s) else { continue };
                if servers.iter().any(|x| x.dest.addr == dest.addr && x.dest.port == dest.port) {
                    continue;
                }
                let previous = old.get(&(service.key, dest.addr, dest.port));
                let id = previous.map_or_else(
                    || {
                        self.next_id += 1;
                        self.next_id
                    },
                    |p| p.id,
                );
                servers.push(ServerState {
                    id,
                    name: s.name.clone(),
                    dest,
                    probe_port: s.port,
                    health: previous.map_or(Health::Unknown, |p| p.health),
                    in_table: previous.is_some_and(|p| p.in_table),
                });
            }
            out.push(ServiceState {
                name: v.name.clone(),
                sorry: sorry_destination(config.network, v),
                sorry_active: false,
                quiesce: v.quiesce_server,
                worker_args: worker_args(config, v, self.verbose),
                probe_interval: v.timeout,
                service,
                servers,
            });
        }
        out
    }

    /// The service with this key.
    pub fn service(&self, key: &ServiceKey) -> Option<&ServiceState> {
        self.services.iter().find(|s| s.key() == *key)
    }

    /// The service with this key, mutably.
    pub fn service_mut(&mut self, key: &ServiceKey) -> Option<&mut ServiceState> {
        self.services.iter_mut().find(|s| s.key() == *key)
    }

    /// Takes over real servers the kernel already holds for our services
    /// (after an lvsd restart): they count as up at their current weight
    /// until nanny says otherwise, so a restart does not blink them.
    pub fn adopt(&mut self, kernel: &Table) {
        for s in &mut self.services {
            let Some(have) = kernel.service(&s.key()) else { continue };
            for server in &mut s.servers {
                if let Some(d) = have.destination(server.dest.addr, server.dest.port)
                    && server.health == Health::Unknown
                {
                    server.in_table = true;
                    server.health = if d.weight == 0 && s.quiesce {
                        Health::Down
                    } else {
                        Health::Up { weight: d.weight }
                    };
                }
            }
        }
    }

    /// Records a verdict; returns whether anything changed.
    pub fn set_health(&mut self, key: &ServiceKey, id: u32, health: Health) -> bool {
        let Some(server) = self.service_mut(key).and_then(|s| s.server_mut(id)) else { return false };
        if server.health == health {
            return false;
        }
        server.health = health;
        if matches!(health, Health::Up { .. }) {
            server.in_table = true;
        }
        true
    }

    /// Updates which sorry servers are active; returns the log lines of the
    /// transitions (spec §3.6 texts).
    pub fn update_sorry(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        for s in &mut self.services {
            let Some(sorry) = &s.sorry else { continue };
            let up = s.up_count();
            if !s.sorry_active && up == 0 && s.all_judged() {
                s.sorry_active = true;
                lines.push(format!(
                    "Virtual Server {}: No real servers; activate sorry_server {}",
                    s.name, sorry.addr
                ));
            } else if s.sorry_active && up > 0 {
                s.sorry_active = false;
                lines.push(format!(
                    "Virtual Server {}: {up} real servers; deactivate sorry_server {}",
                    s.name, sorry.addr
                ));
            }
        }
        lines
    }

    /// The table lvsd wants the kernel to hold now.
    pub fn desired(&self) -> Table {
        let mut table = Table::default();
        for s in &self.services {
            let mut svc = s.service.clone();
            for server in &s.servers {
                let weight = match server.health {
                    Health::Up { weight } => Some(weight.min(server.dest.weight).max(1)),
                    Health::Down | Health::Unknown if s.quiesce && server.in_table => Some(0),
                    _ => None,
                };
                if let Some(weight) = weight {
                    svc.destinations.push(Destination { weight, ..server.dest.clone() });
                }
            }
            if let Some(sorry) = s.sorry.as_ref().filter(|_| s.sorry_active)
                && svc.destination(sorry.addr, sorry.port).is_none()
            {
                svc.destinations.push(sorry.clone());
            }
            table.services.push(svc);
        }
        table
    }

    /// Switches to a new configuration, keeping what is unchanged: servers
    /// keep their ids and verdicts, so only real differences reach the
    /// kernel and only workers whose settings changed restart.
    pub fn reload(&mut self, config: &Config) -> Vec<WorkerChange> {
        let old_services = std::mem::take(&mut self.services);
        let old_servers: HashMap<(ServiceKey, IpAddr, u16), ServerState> = old_services
            .iter()
            .flat_map(|s| s.servers.iter().map(move |x| ((s.key(), x.dest.addr, x.dest.port), x.clone())))
            .collect();
        let new_services = self.build(config, &old_servers);
        let mut changes = Vec::new();
        for old in &old_services {
            if !new_services.iter().any(|n| n.key() == old.key()) {
                changes.push(WorkerChange::Stop(old.key()));
            }
        }
        for new in &new_services {
            let key = new.key();
            let Some(old) = old_services.iter().find(|o| o.key() == key) else {
                changes.push(WorkerChange::Start(key));
                continue;
            };
            if old.worker_args != new.worker_args {
                changes.push(WorkerChange::Restart(key));
                continue;
            }
            for o in &old.servers {
                if !new.servers.iter().any(|n| n.id == o.id) {
                    changes.push(WorkerChange::Forget(key, o.id));
                }
            }
            for n in &new.servers {
                let same = old
                    .servers
                    .iter()
                    .any(|o| o.id == n.id && o.dest == n.dest && o.probe_port == n.probe_port);
                if !same {
                    changes.push(WorkerChange::Watch(key, n.id));
                }
            }
        }
        // Keep the sorry state of services that stay.
        self.services = new_services
            .into_iter()
            .map(|mut n| {
                n.sorry_active = old_services
                    .iter()
                    .find(|o| o.key() == n.key())
                    .is_some_and(|o| o.sorry_active && o.sorry == n.sorry);
                n
            })
            .collect();
        changes
    }
}

#[cfg(test)]
mod tests;
