use std::net::IpAddr;
use std::path::PathBuf;

use ipvs::{Destination, ForwardingMethod, Persistence, Scheduler, Service, ServiceKey, Table};
use status::model::*;

use super::*;

fn ip(text: &str) -> IpAddr {
    text.parse().expect("literal")
}

fn server(name: &str, addr: &str, health: Health, in_table: bool) -> RealServerStatus {
    RealServerStatus {
        name: name.into(),
        address: ip(addr),
        port: 80,
        weight: 1,
        health,
        health_weight: (health == Health::Up).then_some(1),
        since: 1000.0,
        last_probe: Some(ProbeOutcome {
            ok: health == Health::Up,
            reason: (health == Health::Down).then(|| format!("CONNECT to {addr}:80 timed out")),
            since: 1000.0,
        }),
        in_table,
    }
}

fn web_id() -> ServiceId {
    ServiceId { protocol: ServiceProtocol::Tcp, address: Some(ip("192.0.2.100")), port: 80, fwmark: None }
}

fn lvsd(mode: LvsdMode) -> LvsdStatus {
    LvsdStatus {
        mode,
        test_start: false,
        config: "/etc/sysconfig/ha/lvs.cf".into(),
        started: 900.0,
        services: vec![ServiceStatus {
            name: "web".into(),
            id: web_id(),
            scheduler: "wlc".into(),
            nanny: Some(NannyStatus { pid: 830, last_report: 1090.0 }),
            sorry_server: Some(SorryServer { address: ip("192.0.2.99"), port: 80, active: false }),
            real_servers: vec![
                server("rs1", "192.0.2.11", Health::Up, true),
                server("rs2", "192.0.2.12", Health::Down, false),
                server("rs3", "192.0.2.13", Health::Up, true),
            ],
        }],
    }
}

/// The kernel: rs1 and rs3 of `web`, plus an entry added by hand, plus a
/// service lvsd does not own.
fn kernel() -> Table {
    let mut web = Service::new(ServiceKey::tcp(ip("192.0.2.100"), 80), Scheduler::Wlc);
    for (addr, weight) in [("192.0.2.11", 1), ("192.0.2.13", 1), ("192.0.2.77", 4)] {
        web.destinations.push(Destination::new(ip(addr), 80, ForwardingMethod::DirectRoute, weight));
    }
    let mut other = Service::new(ServiceKey::fwmark(9), Scheduler::Rr);
    other.persistence = Some(Persistence {
        timeout: 300,
        netmask: ipvs::Netmask::V4("255.255.255.255".parse().expect("mask")),
    });
    other.destinations.push(Destination::new(ip("10.0.0.5"), 0, ForwardingMethod::Masquerade, 2));
    Table { services: vec![web, other] }
}

fn pulse(state: RouterState, lvsd: Option<LvsdProcess>) -> PulseStatus {
    PulseStatus {
        role: RouterRole::Primary,
        state,
        state_since: 950.0,
        address: ip("192.0.2.1"),
        link_failed: false,
        partner: Some(Partner {
            address: ip("192.0.2.2"),
            last_heard: Some(1099.6),
            last_state: Some(RouterState::Inactive),
        }),
        vips: if state == RouterState::Active {
            vec![HeldVip { address: ip("192.0.2.100"), prefix_len: 32, label: "eth0:1".into() }]
        } else {
            vec![]
        },
        lvsd,
    }
}

fn document(pid: u32, status: DaemonStatus) -> Result<Document, QueryError> {
    Ok(Document { protocol: 1, time: 1100.0, pid, status })
}

fn answers(pulse: Result<Document, QueryError>, lvsd: Result<Document, QueryError>) -> Answers {
    Answers {
        pulse: (PathBuf::from("/run/x/pulse.sock"), pulse),
        lvsd: (PathBuf::from("/run/x/lvsd.sock"), lvsd),
    }
}

#[test]
fn merge_keeps_lvsds_order_and_shows_kernel_only_entries_as_such() {
    let services = merge(Some(&lvsd(LvsdMode::Active)), Some(&kernel()));
    assert_eq!(services.len(), 2);
    let web = &services[0];
    assert_eq!(
        (web.name.as_deref(), web.in_kernel, web.managed, web.nanny_pid),
        (Some("web"), Some(true), true, Some(830))
    );
    type Row = (String, Option<u32>, Option<bool>, bool, Option<Health>);
    let rows: Vec<Row> = web
        .real_servers
        .iter()
        .map(|s| (s.address.to_string(), s.weight, s.in_kernel, s.managed, s.health))
        .collect();
    assert_eq!(
        rows,
        [
            ("192.0.2.11".into(), Some(1), Some(true), true, Some(Health::Up)),
            ("192.0.2.12".into(), None, Some(false), true, Some(Health::Down)),
            ("192.0.2.13".into(), Some(1), Some(true), true, Some(Health::Up)),
            ("192.0.2.77".into(), Some(4), Some(true), false, None),
        ]
    );
    assert_eq!(web.real_servers[0].forwarding.as_deref(), Some("route"));
    assert_eq!(web.real_servers[1].wanted, Some(false));
    let other = &services[1];
    assert_eq!((other.name.as_deref(), other.managed, other.persistent), (None, false, Some(300)));
    assert_eq!(other.id.to_string(), "FWM  9");
    assert_eq!(other.real_servers[0].forwarding.as_deref(), Some("masq"));
}

#[test]
fn merge_without_kernel_or_without_lvsd() {
    let services = merge(Some(&lvsd(LvsdMode::Active)), None);
    assert_eq!(services.len(), 1);
    assert!(services[0].real_servers.iter().all(|s| s.in_kernel.is_none() && s.weight.is_none()));
    assert_eq!(services[0].in_kernel, None);

    let services = merge(None, Some(&kernel()));
    assert_eq!(services.len(), 2);
    assert!(services.iter().all(|s| !s.managed && s.name.is_none()));
    assert!(services.iter().flat_map(|s| &s.real_servers).all(|s| !s.managed && s.in_kernel == Some(true)));
}

#[test]
fn an_active_sorry_server_is_listed_and_a_standby_wants_nothing() {
    let mut status = lvsd(LvsdMode::Active);
    status.services[0].sorry_server = Some(SorryServer { address: ip("192.0.2.99"), port: 80, active: true });
    let mut table = kernel();
    table.services[0].destinations.push(Destination::new(
        ip("192.0.2.99"),
        80,
        ForwardingMethod::DirectRoute,
        1,
    ));
    let services = merge(Some(&status), Some(&table));
    let sorry = services[0].real_servers.iter().find(|s| s.sorry).expect("sorry server listed");
    assert_eq!((sorry.in_kernel, sorry.wanted, sorry.managed), (Some(true), Some(true), true));

    let services = merge(Some(&lvsd(LvsdMode::Standby)), Some(&Table::default()));
    assert_eq!(services[0].in_kernel, Some(false));
    assert!(services[0].real_servers.iter().all(|s| s.wanted == Some(false) && s.in_kernel == Some(false)));
}

#[test]
fn the_router_state_comes_from_pulse_else_from_lvsd() {
    let standby = Some(LvsdProcess { pid: 5, mode: LvsdMode::Standby });
    let active = pulse(RouterState::Active, Some(LvsdProcess { pid: 5, mode: LvsdMode::Active }));
    assert_eq!(router_summary(Some(&active), Some(&lvsd(LvsdMode::Active))).state, Summary::Active);
    let inactive = pulse(RouterState::Inactive, standby);
    assert_eq!(router_summary(Some(&inactive), None).state, Summary::Standby, "pulse's lvsd says standby");
    assert_eq!(router_summary(Some(&pulse(RouterState::Inactive, None)), None).state, Summary::Inactive);
    assert_eq!(router_summary(None, Some(&lvsd(LvsdMode::Active))).state, Summary::Active, "lvsd -n alone");
    assert_eq!(router_summary(None, Some(&lvsd(LvsdMode::Standby))).state, Summary::Standby);
    let nothing = router_summary(None, None);
    assert_eq!((nothing.state, nothing.role), (Summary::Unknown, None));
}

#[test]
fn build_merges_everything_and_lists_problems() {
    let report = build(
        answers(
            document(
                812,
                DaemonStatus::Pulse(pulse(
                    RouterState::Active,
                    Some(LvsdProcess { pid: 820, mode: LvsdMode::Active }),
                )),
            ),
            document(820, DaemonStatus::Lvsd(lvsd(LvsdMode::Active))),
        ),
        Ok(kernel()),
        1100.5,
    );
    assert!(report.any_daemon());
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.router.role, Some(RouterRole::Primary));
    assert_eq!(report.router.state, Summary::Active);
    let partner = report.partner.as_ref().expect("partner");
    assert_eq!(partner.heard_seconds_ago, Some(0.4));
    assert_eq!(report.vips.len(), 1);
    assert_eq!(report.nannies, [NannySummary { service: "web".into(), pid: 830, last_report: 1090.0 }]);
    assert_eq!(report.lvsd.as_ref().map(|l| l.pid), Some(820));

    // JSON round trip with the documented names.
    let json = serde_json::to_value(&report).expect("encode");
    assert_eq!(json["router"]["state"], "active");
    assert_eq!(json["partner"]["last_state"], "inactive");
    assert_eq!(json["services"][0]["real_servers"][1]["health"], "down");
    assert_eq!(json["services"][1]["managed"], false);
    let back: Report = serde_json::from_value(json).expect("decode");
    assert_eq!(back, report);
}

#[test]
fn only_lvsd_running_or_nothing_running() {
    let report = build(
        answers(
            Err(QueryError::NotRunning("/run/x/pulse.sock".into())),
            document(820, DaemonStatus::Lvsd(lvsd(LvsdMode::Active))),
        ),
        Err("Operation not permitted".into()),
        1100.0,
    );
    assert!(report.any_daemon());
    assert_eq!(report.router.state, Summary::Active);
    assert_eq!(report.kernel, KernelRead { read: false, error: Some("Operation not permitted".into()) });
    assert_eq!(
        report.problems,
        [
            "pulse: not running (nothing answers on /run/x/pulse.sock)",
            "kernel: cannot read the IPVS table: Operation not permitted"
        ]
    );

    let report = build(
        answers(
            Err(QueryError::NotRunning("/run/x/pulse.sock".into())),
            Err(QueryError::NotRunning("/run/x/lvsd.sock".into())),
        ),
        Ok(kernel()),
        1100.0,
    );
    assert!(!report.any_daemon());
    assert_eq!(report.router.state, Summary::Unknown);
    assert_eq!(report.services.len(), 2, "the kernel's table is still shown");
}

#[test]
fn a_daemon_answering_on_the_wrong_socket_is_a_problem() {
    let report = build(
        answers(
            document(1, DaemonStatus::Lvsd(lvsd(LvsdMode::Active))),
            Err(QueryError::NotRunning("l".into())),
        ),
        Ok(Table::default()),
        1.0,
    );
    assert!(report.pulse.is_none());
    assert!(report.problems[0].contains("answered as another daemon"), "{:?}", report.problems);
}

#[test]
fn durations_read_naturally() {
    assert_eq!(duration(0.44), "0.4 s");
    assert_eq!(duration(-3.0), "0.0 s");
    assert_eq!(duration(45.2), "45 s");
    assert_eq!(duration(725.0), "12m05s");
    assert_eq!(duration(3.0 * 3600.0 + 12.0 * 60.0), "3h12m");
    assert_eq!(duration(2.0 * 86400.0 + 4.0 * 3600.0), "2d04h");
}

#[test]
fn the_text_has_a_summary_and_an_annotated_table() {
    let report = build(
        answers(
            document(
                812,
                DaemonStatus::Pulse(pulse(
                    RouterState::Active,
                    Some(LvsdProcess { pid: 820, mode: LvsdMode::Active }),
                )),
            ),
            document(820, DaemonStatus::Lvsd(lvsd(LvsdMode::Active))),
        ),
        Ok(kernel()),
        1100.0,
    );
    let text = render(&report);
    let expected = "\
router   primary 192.0.2.1: active for 2m30s
partner  192.0.2.2: inactive, heard 0.4 s ago
VIPs     192.0.2.100/32 on eth0:1
pulse    pid 812
lvsd     pid 820, active, /etc/sysconfig/ha/lvs.cf
nanny    pid 830 (web)

TCP  192.0.2.100:80 wlc                  web, nanny 830
  -> 192.0.2.11:80          Route   1      rs1, up for 100 s, probe ok
  -> 192.0.2.12:80          -       -      rs2, down for 100 s, probe failed: CONNECT to 192.0.2.12:80 timed out
  -> 192.0.2.13:80          Route   1      rs3, up for 100 s, probe ok
  -> 192.0.2.77:80          Route   4      not known to lvsd
FWM  9 rr persistent 300                 not managed by lvsd
  -> 10.0.0.5:0             Masq    2      not known to lvsd
";
    assert_eq!(text, expected);
}

#[test]
fn the_text_without_daemons_says_so() {
    let report = build(
        answers(Err(QueryError::NotRunning("p".into())), Err(QueryError::NotRunning("l".into()))),
        Err("no IPVS in this kernel".into()),
        1.0,
    );
    assert_eq!(
        render(&report),
        "router   unknown (neither pulse nor lvsd answers)\npulse    not answering\nlvsd     not answering\n\nIPVS table not read: no IPVS in this kernel\n"
    );
}
