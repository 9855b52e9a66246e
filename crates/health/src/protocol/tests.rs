use super::*;

fn server(id: u32, addr: &str, port: u16, weight: u32) -> Request {
    Request::Server { id, addr: addr.parse().expect("test address"), port, weight }
}

#[test]
fn requests_round_trip() {
    for req in [
        server(0, "127.0.0.1", 80, 100),
        server(u32::MAX, "::1", 65535, u32::MAX),
        server(7, "fe80::1", 0, 0),
        Request::Forget { id: 12 },
    ] {
        let line = req.to_string();
        assert_eq!(parse_request(&line), Ok(req.clone()), "{line}");
        assert_eq!(parse_request(&format!("{line}\n")), Ok(req.clone()));
        assert_eq!(parse_request(&format!("{line}\r\n")), Ok(req));
    }
}

#[test]
fn reports_round_trip() {
    for rep in [
        Report::Up { id: 0, weight: 3 },
        Report::Down { id: 4 },
        Report::Probe { id: 1, ok: true, reason: None },
        Report::Probe { id: 1, ok: false, reason: Some("READ from 10.0.0.1:80 was too short[2>=4]".into()) },
        Report::Probe { id: 1, ok: false, reason: None },
        Report::Alive,
    ] {
        let line = rep.to_string();
        assert_eq!(parse_report(&line), Ok(rep), "{line}");
    }
}

#[test]
fn report_texts_are_exact() {
    assert_eq!(Report::Up { id: 0, weight: 3 }.to_string(), "up 0 3");
    assert_eq!(Report::Down { id: 0 }.to_string(), "down 0");
    assert_eq!(Report::Alive.to_string(), "alive");
    let ok = Report::Probe { id: 0, ok: true, reason: Some("ignored".into()) };
    assert_eq!(ok.to_string(), "probe 0 ok");
    let fail = Report::Probe { id: 2, ok: false, reason: Some("CONNECT to 10.0.0.1:80 timed out".into()) };
    assert_eq!(fail.to_string(), "probe 2 fail CONNECT to 10.0.0.1:80 timed out");
}

#[test]
fn hostile_reason_is_sanitized_and_bounded() {
    let rep =
        Report::Probe { id: 9, ok: false, reason: Some(format!("a\nup 9 1000\r\u{0}{}", "é".repeat(5000))) };
    let line = rep.to_string();
    assert!(line.len() <= MAX_LINE);
    assert!(!line.contains('\n'));
    match parse_report(&line) {
        Ok(Report::Probe { id: 9, ok: false, reason: Some(r) }) => assert!(r.starts_with("a up 9 1000")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn malformed_requests_are_rejected() {
    let cases: &[(&str, ProtocolError)] = &[
        ("", ProtocolError::Empty),
        ("\n", ProtocolError::Empty),
        ("hello 1", ProtocolError::UnknownMessage("hello".into())),
        ("server", ProtocolError::MissingField("id")),
        ("server 1 10.0.0.1 80", ProtocolError::MissingField("weight")),
        ("server 1 10.0.0.1 80 1 extra", ProtocolError::TrailingText("extra".into())),
        ("server +1 10.0.0.1 80 1", ProtocolError::BadNumber { field: "id", value: "+1".into() }),
        ("server 1 10.0.0.1 65536 1", ProtocolError::BadNumber { field: "port", value: "65536".into() }),
        ("server 1 10.0.0.1 80 -1", ProtocolError::BadNumber { field: "weight", value: "-1".into() }),
        ("server 1 1.2.3.4;rm 80 1", ProtocolError::BadAddress("1.2.3.4;rm".into())),
        ("server  1 10.0.0.1 80 1", ProtocolError::MissingField("id")),
        ("forget", ProtocolError::MissingField("id")),
        ("forget 1\n2", ProtocolError::ControlCharacter),
        ("forget 1\0", ProtocolError::ControlCharacter),
        ("forget 99999999999", ProtocolError::BadNumber { field: "id", value: "99999999999".into() }),
    ];
    for (line, want) in cases {
        assert_eq!(parse_request(line).as_ref(), Err(want), "{line:?}");
    }
}

#[test]
fn malformed_reports_are_rejected() {
    assert_eq!(parse_report("probe 1 maybe"), Err(ProtocolError::BadOutcome("maybe".into())));
    assert_eq!(parse_report("probe 1"), Err(ProtocolError::MissingField("outcome")));
    assert_eq!(parse_report("up 1 2 3"), Err(ProtocolError::TrailingText("3".into())));
    assert_eq!(parse_report("down"), Err(ProtocolError::MissingField("id")));
    assert_eq!(parse_report("alive 1"), Err(ProtocolError::TrailingText("1".into())));
    assert_eq!(parse_report("probe 1 ok now"), Err(ProtocolError::TrailingText("now".into())));
}

#[test]
fn long_lines_are_rejected() {
    let line = format!("forget {}", "1".repeat(MAX_LINE));
    assert_eq!(parse_request(&line), Err(ProtocolError::TooLong { len: line.len() }));
    let line = format!("probe 1 fail {}", "x".repeat(MAX_LINE));
    assert!(matches!(parse_report(&line), Err(ProtocolError::TooLong { .. })));
}

#[test]
fn never_panics_on_odd_input() {
    // A cheap deterministic stand-in for the fuzzer: every short string over a hostile alphabet.
    let alphabet = ['s', ' ', '1', ':', '.', 'é', '\n', 'p', 'f', '\u{0}', '+'];
    let mut stack = vec![String::new()];
    while let Some(s) = stack.pop() {
        let _ = parse_request(&s);
        let _ = parse_report(&s);
        if s.chars().count() < 5 {
            for c in alphabet {
                let mut t = s.clone();
                t.push(c);
                stack.push(t);
            }
        }
    }
    for line in ["server 1 :: 1 1", "probe 4294967295 fail é", "up 0 0"] {
        assert!(parse_request(line).is_ok() || parse_report(line).is_ok());
    }
}

// Found by the `report_decode` fuzz target: `Display` trims a reason's trailing blanks, so the
// parser must too, or a received line does not re-encode to the same value.
#[test]
fn reason_with_trailing_blanks_round_trips() {
    for (line, reason) in [
        ("probe 7 fail  two  blanks \u{2003} and é \n", Some(" two  blanks \u{2003} and é")),
        ("probe 7 fail x  ", Some("x")),
        ("probe 7 fail \u{3000}", None),
        ("probe 7 fail  ", None),
    ] {
        let report = parse_report(line).expect(line);
        assert_eq!(report, Report::Probe { id: 7, ok: false, reason: reason.map(str::to_owned) }, "{line:?}");
        assert_eq!(parse_report(&report.to_string()), Ok(report), "{line:?}");
    }
}

// A reason made only of control characters sanitizes to nothing: no reason, and no trailing blank.
#[test]
fn reason_of_control_characters_only_is_no_reason() {
    let report = Report::Probe { id: 1, ok: false, reason: Some("\u{1}\u{7f}x\u{0}".into()) };
    assert_eq!(report.to_string(), "probe 1 fail   x");
    let report = Report::Probe { id: 1, ok: false, reason: Some("\u{1}\u{85}".into()) };
    assert_eq!(report.to_string(), "probe 1 fail");
    assert_eq!(parse_report(&report.to_string()), Ok(Report::Probe { id: 1, ok: false, reason: None }));
}
