//! Plan tests: examples, and properties checked against the fake kernel.

use std::net::{IpAddr, Ipv4Addr};

use proptest::prelude::*;
use proptest::sample::select;

use super::*;
use crate::fake::FakeKernel;
use crate::kernel::IpvsKernel;
use crate::table::{Netmask, Persistence, Protocol, Scheduler, TunnelType};

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

fn web() -> Service {
    let mut s = Service::new(ServiceKey::tcp(ip("192.0.2.1"), 80), Scheduler::Wlc);
    s.destinations.push(Destination::new(ip("10.0.0.1"), 80, ForwardingMethod::Masquerade, 1));
    s.destinations.push(Destination::new(ip("10.0.0.2"), 80, ForwardingMethod::Masquerade, 1));
    s
}

fn lines(ops: &[Op]) -> Vec<String> {
    ops.iter().map(ToString::to_string).collect()
}

#[test]
fn empty_kernel_gets_services_then_their_destinations() {
    let desired = Table { services: vec![web()] };
    assert_eq!(
        lines(&plan(&desired, &Table::default())),
        [
            "-A -t 192.0.2.1:80 -s wlc",
            "-a -t 192.0.2.1:80 -r 10.0.0.1:80 -m -w 1",
            "-a -t 192.0.2.1:80 -r 10.0.0.2:80 -m -w 1"
        ]
    );
}

#[test]
fn changes_become_edits_and_unowned_entries_are_removed() {
    let mut actual = Table { services: vec![web(), Service::new(ServiceKey::fwmark(9), Scheduler::Rr)] };
    actual.services[0].destinations.push(Destination::new(
        ip("10.0.0.3"),
        80,
        ForwardingMethod::Masquerade,
        1,
    ));
    let mut desired = Table { services: vec![web()] };
    let svc = &mut desired.services[0];
    svc.scheduler = Scheduler::Rr;
    svc.persistence = Some(Persistence { timeout: 300, netmask: Netmask::host(crate::AddressFamily::Inet) });
    svc.destinations[0].weight = 0; // quiesce
    svc.destinations[1].forwarding = ForwardingMethod::DirectRoute;
    assert_eq!(
        lines(&plan(&desired, &actual)),
        [
            "-D -f 9",
            "-E -t 192.0.2.1:80 -s rr -p 300",
            "-d -t 192.0.2.1:80 -r 10.0.0.3:80",
            "-e -t 192.0.2.1:80 -r 10.0.0.1:80 -m -w 0",
            "-e -t 192.0.2.1:80 -r 10.0.0.2:80 -g -w 1",
        ]
    );
}

#[test]
fn direct_routing_uses_the_virtual_port_except_for_fwmark() {
    let mut svc = Service::new(ServiceKey::tcp(ip("192.0.2.1"), 80), Scheduler::Wlc);
    svc.destinations.push(Destination::new(ip("10.0.0.1"), 8080, ForwardingMethod::DirectRoute, 1));
    let mut fw = Service::new(ServiceKey::fwmark(3), Scheduler::Wlc);
    fw.destinations.push(Destination::new(ip("10.0.0.1"), 8080, ForwardingMethod::DirectRoute, 1));
    let ops = plan(&Table { services: vec![svc, fw] }, &Table::default());
    assert_eq!(ops[1].to_string(), "-a -t 192.0.2.1:80 -r 10.0.0.1:80 -g -w 1");
    assert_eq!(ops[3].to_string(), "-a -f 3 -r 10.0.0.1:8080 -g -w 1");
}

#[test]
fn kernel_flag_bits_and_scheduler_spelling_are_not_changes() {
    let desired = Table { services: vec![web()] };
    let mut actual = desired.clone();
    actual.services[0].flags |= 0x0002; // IP_VS_SVC_F_HASHED as a raw dump might carry it
    actual.services[0].scheduler = Scheduler::Other("wlc".into());
    actual.services[0].destinations.reverse();
    assert!(plan(&desired, &actual).is_empty());
}

#[test]
fn a_key_change_is_delete_and_add() {
    let actual = Table { services: vec![web()] };
    let mut moved = web();
    moved.key = ServiceKey::tcp(ip("192.0.2.1"), 8080);
    let ops = plan(&Table { services: vec![moved] }, &actual);
    assert_eq!(lines(&ops)[..2], ["-D -t 192.0.2.1:80", "-A -t 192.0.2.1:8080 -s wlc"]);
}

#[test]
fn error_target_names_the_entry() {
    let op = Op::AddDestination(
        ServiceKey::tcp(ip("192.0.2.1"), 80),
        Destination::new(ip("10.0.0.1"), 80, ForwardingMethod::Masquerade, 1),
    );
    assert_eq!(op.target(), "-a -t 192.0.2.1:80 -r 10.0.0.1:80");
}

// ---- properties ----

fn key() -> impl Strategy<Value = ServiceKey> {
    prop_oneof![
        (
            select(vec![Protocol::Tcp, Protocol::Udp]),
            select(vec![ip("192.0.2.1"), ip("192.0.2.2")]),
            select(vec![80u16, 443])
        )
            .prop_map(|(protocol, addr, port)| ServiceKey::Socket { protocol, addr, port }),
        (1u32..3).prop_map(ServiceKey::fwmark),
    ]
}

fn forwarding() -> impl Strategy<Value = ForwardingMethod> {
    select(vec![
        ForwardingMethod::Masquerade,
        ForwardingMethod::DirectRoute,
        ForwardingMethod::Tunnel(TunnelType::Ipip),
        ForwardingMethod::Tunnel(TunnelType::Gue { port: 6080, flags: 1 }),
    ])
}

fn destination() -> impl Strategy<Value = Destination> {
    (
        select(vec![ip("10.0.0.1"), ip("10.0.0.2"), ip("10.0.0.3")]),
        select(vec![80u16, 8080]),
        forwarding(),
        0u32..3,
        0u32..3,
        0u32..3,
    )
        .prop_map(|(addr, port, forwarding, weight, a, b)| Destination {
            upper_threshold: a.max(b),
            lower_threshold: a.min(b),
            ..Destination::new(addr, port, forwarding, weight)
        })
}

fn service() -> impl Strategy<Value = Service> {
    let persistence = proptest::option::of(
        (select(vec![60u32, 300]), select(vec![Ipv4Addr::BROADCAST, Ipv4Addr::new(255, 255, 255, 0)]))
            .prop_map(|(timeout, mask)| Persistence { timeout, netmask: Netmask::V4(mask) }),
    );
    (
        key(),
        select(vec![Scheduler::Rr, Scheduler::Wlc, Scheduler::Sh]),
        persistence,
        select(vec![0u32, 0x0004]),
        proptest::collection::vec(destination(), 0..4),
    )
        .prop_map(|(key, scheduler, persistence, flags, destinations)| Service {
            persistence,
            flags,
            destinations,
            ..Service::new(key, scheduler)
        })
}

fn table() -> impl Strategy<Value = Table> {
    proptest::collection::vec(service(), 0..5).prop_map(|services| Table { services })
}

/// Each op's position must respect: a service exists before its real servers
/// are touched, and nothing touches a service after it is deleted.
fn check_order(ops: &[Op]) -> Result<(), TestCaseError> {
    for (i, op) in ops.iter().enumerate() {
        let key = op.service();
        if matches!(op, Op::AddDestination(..) | Op::EditDestination(..)) {
            let added_later = ops[i..].iter().any(|o| matches!(o, Op::AddService(s) if &s.key == key));
            prop_assert!(!added_later, "real server before its service: {op}");
        }
        if matches!(op, Op::DeleteService(_)) {
            prop_assert!(!ops[i + 1..].iter().any(|o| o.service() == key), "use after -D: {op}");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn applying_the_plan_turns_actual_into_desired(desired in table(), actual in table()) {
        // What the kernel can hold: unique keys and servers (ports as given).
        let actual = canonical_actual(&actual);
        let mut kernel = FakeKernel::new(actual.clone());
        let ops = plan(&desired, &actual);
        check_order(&ops)?;
        let report = kernel.apply(&ops).expect("fake never fails to talk");
        prop_assert!(report.is_success(), "{:?}", report.failures);
        let after = kernel.snapshot().expect("snapshot");
        prop_assert_eq!(after.sorted(), normalize(&desired).sorted());
        prop_assert!(plan(&desired, &after).is_empty());
    }

    #[test]
    fn equal_tables_need_no_operations(desired in table()) {
        let normal = normalize(&desired);
        prop_assert!(plan(&normal, &normal).is_empty());
        prop_assert!(plan(&desired, &normal.sorted()).is_empty());
        prop_assert_eq!(normalize(&normal), normal);
    }
}
