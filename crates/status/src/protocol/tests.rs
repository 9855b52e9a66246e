use std::net::IpAddr;

use super::*;
use crate::model::*;

fn ip(text: &str) -> IpAddr {
    text.parse().expect("literal")
}

fn pulse() -> DaemonStatus {
    DaemonStatus::Pulse(PulseStatus {
        role: RouterRole::Backup,
        state: RouterState::Inactive,
        state_since: 1764090000.25,
        address: ip("192.0.2.2"),
        link_failed: false,
        partner: Some(Partner {
            address: ip("192.0.2.1"),
            last_heard: Some(1764090100.5),
            last_state: Some(RouterState::Active),
        }),
        vips: vec![],
        lvsd: Some(LvsdProcess { pid: 77, mode: LvsdMode::Standby }),
    })
}

fn lvsd() -> DaemonStatus {
    DaemonStatus::Lvsd(LvsdStatus {
        mode: LvsdMode::Active,
        test_start: false,
        config: "/etc/sysconfig/ha/lvs.cf".into(),
        started: 1764090000.0,
        services: vec![ServiceStatus {
            name: "web".into(),
            id: ServiceId {
                protocol: ServiceProtocol::Tcp,
                address: Some(ip("192.0.2.100")),
                port: 80,
                fwmark: None,
            },
            scheduler: "wlc".into(),
            nanny: Some(NannyStatus { pid: 90, last_report: 1764090099.0 }),
            sorry_server: Some(SorryServer { address: ip("192.0.2.50"), port: 80, active: false }),
            real_servers: vec![RealServerStatus {
                name: "rs1".into(),
                address: ip("192.0.2.11"),
                port: 80,
                weight: 2,
                health: Health::Down,
                health_weight: None,
                since: 1764090050.0,
                last_probe: Some(ProbeOutcome {
                    ok: false,
                    reason: Some("CONNECT to 192.0.2.11:80 timed out".into()),
                    since: 1764090050.0,
                }),
                in_table: false,
            }],
        }],
    })
}

#[test]
fn requests_parse_and_print() {
    assert_eq!(Request::parse("status 1\n"), Ok(Request::Status { version: 1 }));
    assert_eq!(Request::parse("  status   7 "), Ok(Request::Status { version: 7 }));
    assert_eq!(Request::CURRENT.to_string(), "status 1");
    for bad in ["", "status", "status 0", "status x", "status 1 2", "STATUS 1", "quit"] {
        assert!(Request::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn answers_round_trip_for_both_daemons() {
    for status in [pulse(), lvsd()] {
        let bytes = answer("status 1", &status, 1764090101.125, 4242);
        assert_eq!(bytes.last(), Some(&b'\n'), "one line");
        assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count(), 1);
        let document = decode(&bytes).expect("decodes");
        assert_eq!(document, Document { protocol: 1, time: 1764090101.125, pid: 4242, status });
    }
}

#[test]
fn the_document_has_the_documented_field_names() {
    let bytes = answer("status 1", &pulse(), 5.5, 9);
    let value: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(value["protocol"], 1);
    assert_eq!(value["daemon"], "pulse");
    assert_eq!(value["pid"], 9);
    assert_eq!(value["time"], 5.5);
    assert_eq!(value["role"], "backup");
    assert_eq!(value["state"], "inactive");
    assert_eq!(value["partner"]["address"], "192.0.2.1");
    assert_eq!(value["partner"]["last_state"], "active");
    assert_eq!(value["lvsd"]["mode"], "standby");

    let bytes = answer("status 1", &lvsd(), 5.5, 9);
    let value: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(value["daemon"], "lvsd");
    let service = &value["services"][0];
    assert_eq!(service["id"]["protocol"], "tcp");
    assert_eq!(service["id"]["address"], "192.0.2.100");
    assert_eq!(service["id"]["fwmark"], serde_json::Value::Null);
    assert_eq!(service["nanny"]["pid"], 90);
    let server = &service["real_servers"][0];
    assert_eq!(server["health"], "down");
    assert_eq!(server["last_probe"]["reason"], "CONNECT to 192.0.2.11:80 timed out");
}

#[test]
fn unknown_fields_are_ignored_within_a_version() {
    let mut value: serde_json::Value =
        serde_json::from_slice(&answer("status 1", &lvsd(), 1.0, 2)).expect("json");
    value["future_field"] = serde_json::json!({"x": 1});
    value["services"][0]["real_servers"][0]["weights_history"] = serde_json::json!([1, 2]);
    let bytes = serde_json::to_vec(&value).expect("encode");
    assert_eq!(decode(&bytes).expect("still decodes").status, lvsd());
}

#[test]
fn bad_requests_get_an_error_document() {
    let bytes = answer("hello", &lvsd(), 1.0, 2);
    match decode(&bytes) {
        Err(DecodeError::Refused(text)) => assert!(text.contains("status 1"), "{text}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn other_versions_and_garbage_are_rejected() {
    assert_eq!(decode(br#"{"protocol":2,"daemon":"lvsd"}"#), Err(DecodeError::Version(2)));
    assert!(matches!(decode(b"{\"daemon\":\"lvsd\"}"), Err(DecodeError::Malformed(_))));
    assert!(matches!(decode(b"not json"), Err(DecodeError::Malformed(_))));
    assert!(matches!(
        decode(br#"{"protocol":1,"time":1,"pid":1,"daemon":"x"}"#),
        Err(DecodeError::Malformed(_))
    ));
    assert!(matches!(decode(b""), Err(DecodeError::Malformed(_))));
}

#[test]
fn service_ids_print_like_ipvsadm() {
    let tcp =
        ServiceId { protocol: ServiceProtocol::Tcp, address: Some(ip("192.0.2.1")), port: 80, fwmark: None };
    assert_eq!(tcp.to_string(), "TCP  192.0.2.1:80");
    let v6 = ServiceId {
        protocol: ServiceProtocol::Udp,
        address: Some(ip("2001:db8::1")),
        port: 53,
        fwmark: None,
    };
    assert_eq!(v6.to_string(), "UDP  [2001:db8::1]:53");
    let mark = ServiceId { protocol: ServiceProtocol::Fwmark, address: None, port: 0, fwmark: Some(5) };
    assert_eq!(mark.to_string(), "FWM  5");
}

#[test]
fn times_are_unix_seconds_to_the_millisecond() {
    use std::time::{Duration, UNIX_EPOCH};
    assert_eq!(unix_seconds(UNIX_EPOCH + Duration::from_micros(1_500_999)), 1.5);
    assert_eq!(unix_seconds(UNIX_EPOCH - Duration::from_secs(1)), 0.0);
}
