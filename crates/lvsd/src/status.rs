//! What lvsd answers on its status socket (pure): the controller's view of
//! every service and real server, with what the runtime observed about
//! them (when health changed, the last probe outcome, the nanny pids).

use std::collections::HashMap;
use std::time::SystemTime;

use ipvs::{Protocol, ServiceKey};
use status::model::{
    Health as HealthView, LvsdMode, LvsdStatus, NannyStatus, ProbeOutcome, RealServerStatus, ServiceId,
    ServiceProtocol, ServiceStatus, SorryServer, unix_seconds,
};

use crate::controller::{Controller, Health};

/// A real server of a service: (service, lvsd's server id).
pub type ServerRef = (ServiceKey, u32);

/// The last probe outcome nanny reported for a server, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeSeen {
    /// Whether it passed.
    pub ok: bool,
    /// Why it failed.
    pub reason: Option<String>,
    /// When lvsd received it (nanny reports an outcome when it changes).
    pub at: SystemTime,
}

/// A running nanny worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NannySeen {
    /// Its pid.
    pub pid: u32,
    /// When it last reported.
    pub last_report: SystemTime,
}

/// What the runtime knows besides the controller.
#[derive(Debug, Clone)]
pub struct Observations {
    /// When lvsd started.
    pub started: SystemTime,
    /// Whether it is still a standby.
    pub standby: bool,
    /// `--test-start`.
    pub test_start: bool,
    /// The configuration file.
    pub config: String,
    /// When each server's health last changed.
    pub health_since: HashMap<ServerRef, SystemTime>,
    /// The last probe outcome per server.
    pub last_probe: HashMap<ServerRef, ProbeSeen>,
    /// The running workers.
    pub nannies: HashMap<ServiceKey, NannySeen>,
}

impl Observations {
    /// Nothing observed yet, started at `started`.
    pub fn new(started: SystemTime, standby: bool, test_start: bool, config: String) -> Self {
        Observations {
            started,
            standby,
            test_start,
            config,
            health_since: HashMap::new(),
            last_probe: HashMap::new(),
            nannies: HashMap::new(),
        }
    }
}

/// The IPVS identity of `key` as the status model writes it.
pub fn service_id(key: &ServiceKey) -> ServiceId {
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

/// lvsd's status answer.
pub fn lvsd_status(controller: &Controller, seen: &Observations) -> LvsdStatus {
    let services = controller
        .services
        .iter()
        .map(|s| {
            let key = s.key();
            let real_servers = s
                .servers
                .iter()
                .map(|x| {
                    let (health, health_weight) = match x.health {
                        Health::Unknown => (HealthView::Unknown, None),
                        Health::Up { weight } => (HealthView::Up, Some(weight)),
                        Health::Down => (HealthView::Down, None),
                    };
                    let in_table = match x.health {
                        Health::Up { .. } => true,
                        Health::Down | Health::Unknown => s.quiesce && x.in_table,
                    };
                    RealServerStatus {
                        name: x.name.clone(),
                        address: x.dest.addr,
                        port: x.dest.port,
                        weight: x.dest.weight,
                        health,
                        health_weight,
                        since: unix_seconds(*seen.health_since.get(&(key, x.id)).unwrap_or(&seen.started)),
                        last_probe: seen.last_probe.get(&(key, x.id)).map(|p| ProbeOutcome {
                            ok: p.ok,
                            reason: if p.ok { None } else { p.reason.clone() },
                            since: unix_seconds(p.at),
                        }),
                        in_table,
                    }
                })
                .collect();
            ServiceStatus {
                name: s.name.clone(),
                id: service_id(&key),
                scheduler: s.service.scheduler.name().to_owned(),
                nanny: seen
                    .nannies
                    .get(&key)
                    .map(|n| NannyStatus { pid: n.pid, last_report: unix_seconds(n.last_report) }),
                sorry_server: s.sorry.as_ref().map(|d| SorryServer {
                    address: d.addr,
                    port: d.port,
                    active: s.sorry_active,
                }),
                real_servers,
            }
        })
        .collect();
    LvsdStatus {
        mode: if seen.standby { LvsdMode::Standby } else { LvsdMode::Active },
        test_start: seen.test_start,
        config: seen.config.clone(),
        started: unix_seconds(seen.started),
        services,
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    const CONFIG: &str = "primary = 192.0.2.1
network = direct
virtual web {
 active = 1
 address = 192.0.2.100 eth0:1
 port = 80
 scheduler = rr
 quiesce_server = 1
 sorry_server = 192.0.2.99
 server rs1 {
  address = 192.0.2.11
  active = 1
  weight = 3
 }
 server rs2 {
  address = 192.0.2.12
  active = 1
 }
 server rs3 {
  address = 192.0.2.13
  active = 1
 }
}
virtual marked {
 active = 1
 address = 192.0.2.101 eth0:2
 fwmark = 7
 persistent = 60
 server m1 {
  address = 192.0.2.21
  active = 1
 }
}
";

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn the_answer_shows_each_server_with_its_verdict_since_and_last_probe() {
        let config = lvs_config::parse(CONFIG).expect("parses").config;
        let mut controller = Controller::new(&config, false);
        let web = controller.services[0].key();
        let ids: Vec<u32> = controller.services[0].servers.iter().map(|s| s.id).collect();
        controller.set_health(&web, ids[0], Health::Up { weight: 2 });
        controller.set_health(&web, ids[1], Health::Up { weight: 1 });
        controller.set_health(&web, ids[1], Health::Down);
        let mut seen = Observations::new(at(1000), false, false, "/etc/lvs.cf".into());
        seen.health_since.insert((web, ids[0]), at(1010));
        seen.health_since.insert((web, ids[1]), at(1020));
        seen.last_probe
            .insert((web, ids[1]), ProbeSeen { ok: false, reason: Some("refused".into()), at: at(1019) });
        seen.last_probe
            .insert((web, ids[0]), ProbeSeen { ok: true, reason: Some("ignored".into()), at: at(1009) });
        seen.nannies.insert(web, NannySeen { pid: 321, last_report: at(1030) });

        let status = lvsd_status(&controller, &seen);
        assert_eq!(status.mode, LvsdMode::Active);
        assert_eq!(status.started, 1000.0);
        assert_eq!(status.services.len(), 2);
        let s = &status.services[0];
        assert_eq!((s.name.as_str(), s.scheduler.as_str()), ("web", "rr"));
        assert_eq!(s.id.to_string(), "TCP  192.0.2.100:80");
        assert_eq!(s.nanny, Some(NannyStatus { pid: 321, last_report: 1030.0 }));
        assert_eq!(
            s.sorry_server,
            Some(SorryServer { address: "192.0.2.99".parse().expect("ip"), port: 80, active: false })
        );
        let [rs1, rs2, rs3] = &s.real_servers[..] else { panic!("three servers") };
        assert_eq!(
            (rs1.health, rs1.health_weight, rs1.weight, rs1.since),
            (HealthView::Up, Some(2), 3, 1010.0)
        );
        assert_eq!(rs1.last_probe, Some(ProbeOutcome { ok: true, reason: None, since: 1009.0 }));
        assert!(rs1.in_table);
        // Quiesced: down but kept in the table at weight 0.
        assert_eq!((rs2.health, rs2.since, rs2.in_table), (HealthView::Down, 1020.0, true));
        assert_eq!(rs2.last_probe.as_ref().and_then(|p| p.reason.as_deref()), Some("refused"));
        // Never judged: unknown since lvsd started, not in the table.
        assert_eq!(
            (rs3.health, rs3.since, rs3.in_table, &rs3.last_probe),
            (HealthView::Unknown, 1000.0, false, &None)
        );

        let marked = &status.services[1];
        assert_eq!(
            marked.id,
            ServiceId { protocol: ServiceProtocol::Fwmark, address: None, port: 0, fwmark: Some(7) }
        );
        assert_eq!(marked.nanny, None, "no worker running");
    }

    #[test]
    fn a_standby_says_so() {
        let config = lvs_config::parse(CONFIG).expect("parses").config;
        let controller = Controller::new(&config, false);
        let seen = Observations::new(at(5), true, true, "x".into());
        let status = lvsd_status(&controller, &seen);
        assert_eq!((status.mode, status.test_start), (LvsdMode::Standby, true));
    }
}
