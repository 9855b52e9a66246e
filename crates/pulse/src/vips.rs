//! The VIPs pulse holds while active (spec §2.7 steps 5–6, §2.8): which
//! addresses lvs.cf asks for (pure, [`vip_plan`]), and [`VipHandler`], which
//! brings them up, announces them and releases them through `netif`.
//!
//! Deliberate differences from the original: release removes the address
//! (never `ifconfig DEV down`, which took a bare NIC down, spec §8 #19); a
//! VIP without `vip_nmask` is a /32, not the classful network; the ARPs of a
//! takeover are cancelled when the VIPs are released before they finish;
//! `--test-start` changes nothing and logs what it would do (spec §8 #18).

use std::collections::HashMap;
use std::net::IpAddr;

use daemon::Logger;
use lvs_config::{Config, ForwardingMethod};
use netif::{ArpTarget, Cadence, Interfaces, PacketSocket, Vip};
use tokio::task::JoinHandle;

/// Logged when every gratuitous ARP of one takeover went out (spec §2.8).
pub const ARPS_FINISHED: &str = "gratuitous lvs arps finished";

/// The addresses of one takeover, in the original's order: one per distinct
/// VIP of the active virtual services (the first active service with that
/// VIP gives the device and `vip_nmask`), then `nat_router` when
/// `network = nat`. Entries that cannot be brought up (IPv6, a
/// non-contiguous mask, a bad device) are returned as messages to log.
pub fn vip_plan(config: &Config) -> (Vec<Vip>, Vec<String>) {
    let mut vips: Vec<Vip> = Vec::new();
    let mut problems = Vec::new();
    let mut add = |address: IpAddr, netmask, device: &str, what: &str| {
        let IpAddr::V4(v4) = address else {
            problems.push(format!("{what}: {address} is not an IPv4 address; not brought up"));
            return;
        };
        if vips.iter().any(|v| v.address() == v4) {
            return;
        }
        match Vip::new(v4, netmask, device) {
            Ok(vip) => vips.push(vip),
            Err(e) => problems.push(format!("{what}: {e}; {address} not brought up")),
        }
    };
    for service in config.active_virtual_services() {
        if let Some(on) = &service.address {
            add(on.addr, service.vip_nmask, &on.device, &format!("virtual service {}", service.name));
        }
    }
    if config.network == ForwardingMethod::Nat
        && let Some(nat) = &config.nat_router
    {
        add(nat.addr, config.nat_nmask, &nat.device, "nat_router");
    }
    (vips, problems)
}

/// Brings the planned VIPs up and down and sends their gratuitous ARPs.
#[derive(Debug)]
pub struct VipHandler {
    plan: Vec<Vip>,
    test_start: bool,
    cadence: Cadence,
    log: Logger,
    interfaces: Option<Interfaces>,
    /// What this process brought up and has not released yet.
    up: Vec<Vip>,
    /// Where the gratuitous ARPs of the VIPs brought up last go, found while
    /// bringing them up.
    targets: Vec<ArpTarget>,
    /// Each base device's index when last looked up: a takeover adds the
    /// VIP there while it checks the index again (see
    /// [`Interfaces::bring_up_vip`]).
    links: HashMap<String, u32>,
    arps: Option<JoinHandle<()>>,
}

impl VipHandler {
    /// A handler for `plan`; with `test_start` it only logs.
    pub fn new(plan: Vec<Vip>, test_start: bool, log: Logger) -> Self {
        VipHandler {
            plan,
            test_start,
            cadence: Cadence::default(),
            log,
            interfaces: None,
            up: Vec::new(),
            targets: Vec::new(),
            links: HashMap::new(),
            arps: None,
        }
    }

    /// Another ARP cadence than Piranha's 5 × 1 s (tests).
    #[must_use]
    pub fn with_cadence(mut self, cadence: Cadence) -> Self {
        self.cadence = cadence;
        self
    }

    /// The VIPs a takeover brings up.
    pub fn plan(&self) -> &[Vip] {
        &self.plan
    }

    /// The VIPs this process brought up and has not released.
    pub fn held(&self) -> &[Vip] {
        &self.up
    }

    /// Replaces the plan (SIGHUP). VIPs that are up stay up and are released
    /// as they were; the new plan applies from the next takeover.
    pub fn set_plan(&mut self, plan: Vec<Vip>) {
        if !self.up.is_empty() && plan != self.plan {
            self.log.info("VIP changes take effect at the next takeover");
        }
        self.plan = plan;
    }

    /// Opens the rtnetlink socket and looks up the planned VIPs' devices
    /// now (inside the runtime), so that the first takeover does not pay for
    /// them. Failing to connect is logged and tried again at the takeover; a
    /// device missing now is looked up again then.
    pub async fn connect(&mut self) {
        if self.test_start {
            return;
        }
        let Some(interfaces) = self.interfaces() else { return };
        for vip in &self.plan {
            if !self.links.contains_key(vip.base_device())
                && let Ok((index, _)) = interfaces.vip_link(vip).await
            {
                self.links.insert(vip.base_device().to_owned(), index);
            }
        }
    }

    fn interfaces(&mut self) -> Option<Interfaces> {
        if self.interfaces.is_none() {
            match Interfaces::connect() {
                Ok(i) => self.interfaces = Some(i),
                Err(e) => self.log.info(format!("cannot reach the kernel's interfaces: {e}")),
            }
        }
        self.interfaces.clone()
    }

    /// `ip addr add VIP/LEN brd BCAST dev BASEDEV label DEV` for every planned
    /// VIP; failures are logged per VIP and do not stop the others.
    pub async fn bring_up(&mut self) {
        if self.test_start {
            for vip in &self.plan {
                self.log.info(format!("--test-start: not adding {}", describe(vip)));
            }
            return;
        }
        let Some(interfaces) = self.interfaces() else { return };
        self.targets.clear();
        for vip in self.plan.clone() {
            self.log.debug(format!("DEBUG -- adding {}", describe(&vip)));
            let known = self.links.get(vip.base_device()).copied();
            match interfaces.bring_up_vip(&vip, known).await {
                Ok((index, target)) => {
                    self.links.insert(vip.base_device().to_owned(), index);
                    self.targets.extend(target);
                    if !self.up.contains(&vip) {
                        self.up.push(vip);
                    }
                }
                Err(e) => self.log.info(format!("cannot bring up {}: {e}", describe(&vip))),
            }
        }
    }

    /// Stops pending ARPs and removes every address this process brought up
    /// (address-level removal; the NIC stays up).
    pub async fn take_down(&mut self) {
        if let Some(arps) = self.arps.take() {
            arps.abort();
        }
        if self.test_start {
            for vip in &self.plan {
                self.log.info(format!("--test-start: not removing {}", describe(vip)));
            }
            return;
        }
        if self.up.is_empty() {
            return;
        }
        let Some(interfaces) = self.interfaces() else { return };
        for vip in std::mem::take(&mut self.up) {
            self.log.debug(format!("DEBUG -- removing {}", describe(&vip)));
            if let Err(e) = interfaces.remove_vip(&vip).await {
                self.log.info(format!("cannot remove {}: {e}", describe(&vip)));
            }
        }
    }

    /// Starts the gratuitous ARPs for the VIPs that are up, concurrently and
    /// in the background; logs [`ARPS_FINISHED`] when all are sent. A
    /// previous round still running is replaced.
    pub async fn send_arps(&mut self) {
        if let Some(previous) = self.arps.take() {
            previous.abort();
        }
        if self.test_start {
            for vip in &self.plan {
                self.log.info(format!(
                    "--test-start: not sending {} gratuitous arps for {} on {}",
                    self.cadence.count,
                    vip.address(),
                    vip.base_device()
                ));
            }
            return;
        }
        let Some(interfaces) = self.interfaces() else { return };
        let mut targets = Vec::new();
        for vip in &self.up {
            // Found by the bring-up just before, else asked for now.
            if let Some(target) = self.targets.iter().find(|t| t.vip == vip.address()) {
                targets.push(*target);
                continue;
            }
            match interfaces.arp_target(vip).await {
                Ok(target) => targets.push(target),
                Err(e) => self.log.info(format!("cannot announce {}: {e}", vip.address())),
            }
        }
        let sender = match PacketSocket::sender() {
            Ok(s) => s,
            Err(e) => {
                self.log.info(format!("cannot open a packet socket for gratuitous arps: {e}"));
                return;
            }
        };
        let log = self.log.clone();
        let cadence = self.cadence;
        self.arps = Some(tokio::spawn(async move {
            for failure in netif::announce(&sender, &targets, cadence).await {
                log.info(failure);
            }
            log.info(ARPS_FINISHED);
        }));
    }
}

fn describe(vip: &Vip) -> String {
    format!("{}/{} on {}", vip.address(), vip.prefix_len(), vip.label())
}

#[cfg(test)]
mod tests {
    use lvs_config::{AddressOnDevice, VirtualService};

    use super::*;

    fn service(name: &str, active: bool, vip: &str, dev: &str, mask: Option<&str>) -> VirtualService {
        let mut v = VirtualService::new(name);
        v.active = active;
        v.address = Some(AddressOnDevice { addr: vip.parse().expect("literal"), device: dev.into() });
        v.vip_nmask = mask.map(|m| m.parse().expect("literal"));
        v
    }

    fn summary(vips: &[Vip]) -> Vec<String> {
        vips.iter().map(|v| format!("{}/{} {}", v.address(), v.prefix_len(), v.label())).collect()
    }

    #[test]
    fn spec_2_8_distinct_vips_of_active_services_first_wins() {
        let config = Config {
            network: ForwardingMethod::Direct,
            virtual_services: vec![
                service("off", false, "10.0.0.9", "eth0:9", None),
                service("http", true, "10.0.0.5", "eth0:1", Some("255.255.255.0")),
                service("https", true, "10.0.0.5", "eth0:2", Some("255.255.0.0")),
                service("ftp", true, "10.0.0.6", "eth1:1", None),
            ],
            ..Config::default()
        };
        let (vips, problems) = vip_plan(&config);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(summary(&vips), ["10.0.0.5/24 eth0:1", "10.0.0.6/32 eth1:1"]);
    }

    #[test]
    fn nat_router_only_with_network_nat() {
        let mut config = Config {
            virtual_services: vec![service("http", true, "10.0.0.5", "eth0:1", None)],
            nat_router: Some(AddressOnDevice {
                addr: "192.168.1.254".parse().expect("literal"),
                device: "eth1:1".into(),
            }),
            nat_nmask: Some("255.255.255.0".parse().expect("literal")),
            network: ForwardingMethod::Nat,
            ..Config::default()
        };
        assert_eq!(summary(&vip_plan(&config).0), ["10.0.0.5/32 eth0:1", "192.168.1.254/24 eth1:1"]);
        config.network = ForwardingMethod::Tunnel;
        assert_eq!(summary(&vip_plan(&config).0), ["10.0.0.5/32 eth0:1"]);
    }

    #[test]
    fn unusable_entries_are_reported_not_planned() {
        let config = Config {
            network: ForwardingMethod::Direct,
            virtual_services: vec![
                service("v6", true, "fd00::5", "eth0:1", None),
                service("mask", true, "10.0.0.5", "eth0:1", Some("255.0.255.0")),
            ],
            ..Config::default()
        };
        let (vips, problems) = vip_plan(&config);
        assert!(vips.is_empty());
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("virtual service v6:"), "{problems:?}");
    }

    #[tokio::test]
    async fn test_start_only_logs() {
        let memory = daemon::log::MemoryLog::new();
        let log = Logger::builder(daemon::log::Identity::pulse()).memory(&memory).build();
        let vip = Vip::new("10.0.0.5".parse().expect("literal"), None, "nosuch0:1").expect("valid");
        let mut handler = VipHandler::new(vec![vip], true, log);
        handler.bring_up().await;
        handler.send_arps().await;
        handler.take_down().await;
        assert_eq!(
            memory.messages(),
            [
                "--test-start: not adding 10.0.0.5/32 on nosuch0:1",
                "--test-start: not sending 5 gratuitous arps for 10.0.0.5 on nosuch0",
                "--test-start: not removing 10.0.0.5/32 on nosuch0:1",
            ]
        );
    }
}
