//! Keyword, default, value and error-code tests of the parser (spec §1).

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use super::*;
use crate::diag::Severity;

const SPEC_EXAMPLE: &str = include_str!("../../tests/data/spec-annotated.cf");

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

fn ok(src: &str) -> Parsed {
    parse(src).unwrap_or_else(|e| panic!("{src:?} should parse: {:#?}", e.diagnostics))
}

/// The first error's (kind, line, column).
fn first_error(src: &str) -> (ErrorKind, usize, Option<usize>) {
    let e = parse(src).expect_err("should fail");
    let d = e.first_error().expect("an error");
    (d.kind, d.line, d.column)
}

fn err(src: &str) -> Diagnostic {
    parse(src).expect_err("should fail").first_error().expect("an error").clone()
}

/// A minimal valid virtual service around `body`.
fn in_virtual(body: &str) -> String {
    format!("primary = 192.0.2.1\nvirtual v {{\n active = 1\n address = 192.0.2.10 eth0:1\n{body}\n}}\n")
}

fn in_server(body: &str) -> String {
    in_virtual(&format!(" server s {{\n  address = 10.0.0.1\n  active = 1\n{body}\n }}"))
}

fn warnings(src: &str) -> Vec<String> {
    ok(src).warnings.iter().map(Diagnostic::message).collect()
}

#[test]
fn spec_1_10_annotated_example_parses() {
    let p = ok(SPEC_EXAMPLE);
    let c = &p.config;
    assert_eq!(c.serial_no, 12);
    assert_eq!(c.primary, Some(ip("203.0.113.10")));
    assert_eq!(c.primary_private, Some(ip("10.0.0.1")));
    assert_eq!(c.backup_private, Some(ip("10.0.0.2")));
    assert!(c.backup_active && c.heartbeat && c.syncdaemon && c.hard_shutdown);
    assert_eq!(c.deadtime, Duration::from_secs(6));
    assert_eq!(c.nat_router.as_ref().map(|n| n.device.as_str()), Some("eth1:1"));
    assert_eq!(c.nat_nmask, Some(Ipv4Addr::new(255, 255, 255, 0)));
    assert_eq!(c.ipvs_timeouts(), (900, 120, 300));
    assert_eq!(c.sync_id(), 7);
    assert_eq!(c.rsh_command, "ssh");
    assert_eq!(c.virtual_services.len(), 3);
    let www = &c.virtual_services[0];
    assert_eq!(www.port, 80);
    assert_eq!(www.persistent, 300);
    assert_eq!(www.pmask, Some(Ipv4Addr::new(255, 255, 255, 0)));
    assert_eq!(www.send, Some(QuotedText::double_quoted(r"GET / HTTP/1.0\r\n\r\n")));
    assert_eq!(www.sorry_server, Some(ip("192.168.10.50")));
    assert_eq!(www.load_monitor.as_deref(), Some("uptime"));
    // web1 inherits port 80, web2 says 8080 (spec §1.10).
    assert_eq!(www.servers[0].port, 80);
    assert_eq!(www.servers[1].port, 8080);
    assert_eq!(www.servers[0].weight, 100);
    let secure = &c.virtual_services[1];
    assert_eq!(secure.fwmark, Some(80));
    assert_eq!(secure.scheduler, Scheduler::Rr);
    assert_eq!(c.virtual_services[2].protocol, Protocol::Udp);
    // The example's only remark: fwmark without persistence.
    assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
}

#[test]
fn spec_1_3_global_defaults() {
    let c = ok("# nothing but a comment\n").config;
    assert_eq!(c, Config::default());
    assert_eq!(c.heartbeat_port, 539);
    assert_eq!(c.keepalive, Duration::from_secs(2));
    assert_eq!(c.deadtime, Duration::from_secs(5));
    assert_eq!(c.network, ForwardingMethod::Nat);
    assert_eq!(c.ipvsadm, "/sbin/ipvsadm");
    assert_eq!(c.rsh_command, "rsh");
    assert_eq!(c.syncd_iface, "eth0");
    assert_eq!(c.debug_level, "NONE");
    assert!(c.hard_shutdown);
    assert!(!c.backup_active);
}

#[test]
fn spec_1_3_every_global_keyword() {
    let src = "serial_no = 0x10\nservice = fos\nprimary = 192.0.2.1\nprimary_private = 10.1.1.1\n\
        primary_shared = /dev/sda1\nbackup = 192.0.2.2\nbackup_private = 10.1.1.2\nbackup_shared = /dev/sdb1\n\
        backup_active = 1\nheartbeat = 1\nheartbeat_port = 1539\nkeepalive = 3\ndeadtime = 010\n\
        network = direct\nnat_router = 10.9.9.9 eth1:0\nnat_nmask = 255.0.0.0\nipvsadm = /usr/sbin/ipvsadm\n\
        rsh_command = ssh\nsyncdaemon = 1\nsyncd_iface = eth2\nsyncd_id = -1\ntcp_timeout = 1\n\
        tcpfin_timeout = 2\nudp_timeout = 3\nactive_cmd = \"/bin/a b\"\ninactive_cmd = /bin/i\n\
        monitor_links = 5\nhard_shutdown = 0\ndebug_level = HIGH\nsync = 1\nreservation_conflict_action = preempt\n";
    let c = ok(src).config;
    assert_eq!(c.serial_no, 16);
    assert_eq!(c.service, ServiceType::Fos);
    assert_eq!(c.primary_shared.as_deref(), Some("/dev/sda1"));
    assert_eq!(c.backup, Some(ip("192.0.2.2")));
    assert_eq!(c.backup_shared.as_deref(), Some("/dev/sdb1"));
    assert_eq!(c.heartbeat_port, 1539);
    assert_eq!(c.keepalive, Duration::from_secs(3));
    assert_eq!(c.deadtime, Duration::from_secs(8));
    assert_eq!(c.network, ForwardingMethod::Direct);
    assert_eq!(c.nat_router.as_ref().map(|n| n.addr), Some(ip("10.9.9.9")));
    assert_eq!(c.nat_nmask, Some(Ipv4Addr::new(255, 0, 0, 0)));
    assert_eq!(c.ipvsadm, "/usr/sbin/ipvsadm");
    assert_eq!(c.syncd_iface, "eth2");
    assert_eq!(c.syncd_id, -1);
    assert_eq!(c.sync_id(), 0xff);
    assert_eq!(c.ipvs_timeouts(), (1, 2, 3));
    assert_eq!(c.active_cmd.as_deref(), Some("/bin/a b"));
    assert_eq!(c.inactive_cmd.as_deref(), Some("/bin/i"));
    assert_eq!(c.monitor_links, 5);
    assert!(!c.hard_shutdown && c.sync && c.heartbeat && c.syncdaemon);
    assert_eq!(c.debug_level, "HIGH");
    assert_eq!(c.reservation_conflict_action, Some(ReservationConflictAction::Preempt));
}

#[test]
fn heartbeat_port_takes_service_names() {
    assert_eq!(ok("heartbeat_port = http\n").config.heartbeat_port, 80);
}

#[test]
fn sub_second_timers_are_an_extension_with_warning() {
    let p = ok("keepalive = 0.05\ndeadtime = 0.2\n");
    assert_eq!(p.config.keepalive, Duration::from_millis(50));
    assert_eq!(p.config.deadtime, Duration::from_millis(200));
    assert!(p.warnings.iter().any(|w| w.message().contains("decimal `keepalive` is an extension")));
}

#[test]
fn spec_1_4_virtual_defaults() {
    let v = &ok("virtual v {\n}\n").config.virtual_services[0];
    assert_eq!(*v, VirtualService::new("v"));
    assert!(!v.active);
    assert_eq!((v.port, v.timeout, v.reentry), (80, 10, 180));
    assert_eq!(v.scheduler, Scheduler::Wlc);
    assert_eq!(v.protocol, Protocol::Tcp);
    assert_eq!(v.client_monitor, "/usr/sbin/nanny");
    assert_eq!(v.load_monitor, None);
}

#[test]
fn spec_1_4_every_virtual_keyword() {
    let body = " vip_nmask = 255.255.255.0\n port = 8080\n protocol = udp\n fwmark = 0x10\n scheduler = lblcr\n\
        persistent = 60\n pmask = 255.255.0.0\n timeout = 3\n reentry = 30\n send = 'x'\n expect = \"^HTTP\"\n\
        use_regex = 1\n send_program = \"/bin/check %h %p\"\n load_monitor = ruptime\n quiesce_server = 1\n\
        sorry_server = 10.0.0.99\n client_monitor = /opt/nanny\n start_cmd = \"/bin/start x\"\n stop_cmd = /bin/stop\n\
        master = 192.0.2.7\n dirs = [ /a /b ]\n server s {\n  address = 10.0.0.1\n  active = 1\n }";
    let c = ok(&in_virtual(body)).config;
    let v = &c.virtual_services[0];
    assert_eq!(v.address.as_ref().map(|a| (a.addr, a.device.as_str())), Some((ip("192.0.2.10"), "eth0:1")));
    assert_eq!(v.vip_nmask, Some(Ipv4Addr::new(255, 255, 255, 0)));
    assert_eq!(v.port, 8080);
    assert_eq!(v.protocol, Protocol::Udp);
    assert_eq!(v.fwmark, Some(16));
    assert_eq!(v.scheduler, Scheduler::Lblcr);
    assert_eq!((v.persistent, v.timeout, v.reentry), (60, 3, 30));
    assert_eq!(v.pmask, Some(Ipv4Addr::new(255, 255, 0, 0)));
    assert_eq!(v.send, Some(QuotedText { text: "x".into(), quote: Some('\'') }));
    assert_eq!(v.expect.as_ref().map(QuotedText::effective).as_deref(), Some("^HTTP"));
    assert!(v.use_regex && v.quiesce_server);
    assert_eq!(v.send_program.as_ref().map(|s| s.text.as_str()), Some("/bin/check %h %p"));
    assert_eq!(v.load_monitor.as_deref(), Some("ruptime"));
    assert_eq!(v.sorry_server, Some(ip("10.0.0.99")));
    assert_eq!(v.client_monitor, "/opt/nanny");
    assert_eq!(v.start_cmd, Some(QuotedText::double_quoted("/bin/start x")));
    assert_eq!(v.stop_cmd, Some(QuotedText::plain("/bin/stop")));
    assert_eq!(v.master, Some(ip("192.0.2.7")));
    assert_eq!(v.dirs, Some(vec!["/a".to_owned(), "/b".to_owned()]));
    // The server was read after `port = 8080`.
    assert_eq!(v.servers[0].port, 8080);
}

#[test]
fn extended_schedulers_parse_with_a_warning() {
    let w = warnings(&in_server(""));
    assert!(w.is_empty(), "{w:?}");
    for name in ["sed", "nq", "mh", "fo", "ovf"] {
        let src = in_server("")
            .replace("active = 1\n address", &format!("active = 1\n scheduler = {name}\n address"));
        let p = ok(&src);
        assert_eq!(p.config.virtual_services[0].scheduler.name(), name);
        assert!(p.warnings.iter().any(|w| w.message().contains("is an extension")), "{name}");
    }
    let (kind, line, column) = first_error(&in_virtual(" scheduler = pcc"));
    assert_eq!((kind, line, column), (ErrorKind::InvalidArgument, 5, Some(14)));
}

#[test]
fn spec_1_5_server_keywords_and_defaults() {
    let s = &ok("virtual v {\n server s {\n }\n}\n").config.virtual_services[0].servers[0];
    assert_eq!(*s, RealServer::new("s", 80));
    assert_eq!((s.active, s.weight, s.address), (false, 1, None));
    let c = ok(&in_server("  weight = 0\n  port = 0x1f90")).config;
    let s = &c.virtual_services[0].servers[0];
    assert_eq!((s.address, s.active, s.weight, s.port), (Some(ip("10.0.0.1")), true, 0, 8080));
    assert_eq!(s.effective_weight(), 1);
}

#[test]
fn spec_1_5_server_port_is_the_virtual_port_when_the_block_is_read() {
    let src = "virtual v {\n port = 81\n server a {\n }\n port = 82\n server b {\n }\n}\n";
    let v = &ok(src).config.virtual_services[0];
    assert_eq!(v.port, 82);
    assert_eq!((v.servers[0].port, v.servers[1].port), (81, 82));
}

#[test]
fn spec_1_5_server_port_takes_no_service_name() {
    let (kind, line, _) = first_error(&in_server("  port = http"));
    assert_eq!((kind, line), (ErrorKind::IntegerExpected, 8));
}

#[test]
fn spec_1_4_pmask_quirks() {
    let pmask = |m: &str| {
        ok(&in_server("")
            .replace(" address = 192", &format!(" persistent = 1\n pmask = {m}\n address = 192")))
        .config
        .virtual_services[0]
            .pmask
    };
    assert_eq!(pmask("255.255.255.255"), None);
    assert_eq!(pmask("0xffffffff"), None);
    assert_eq!(pmask("0.0.0.0"), None);
    assert_eq!(pmask("255.255.255.0"), Some(Ipv4Addr::new(255, 255, 255, 0)));
    // Garbage is ignored (the previous value stays) with a warning.
    let src = in_server("")
        .replace(" address = 192", " persistent = 1\n pmask = 255.0.0.0\n pmask = junk\n address = 192");
    let p = ok(&src);
    assert_eq!(p.config.virtual_services[0].pmask, Some(Ipv4Addr::new(255, 0, 0, 0)));
    assert!(p.warnings.iter().any(|w| w.message().contains("`pmask = junk` is not a netmask")));
}

#[test]
fn spec_1_1_quote_preservation() {
    let c = ok(&in_virtual(" send = 'abc'\n expect = \"HTTP/1.\"\n send_program = /bin/x")).config;
    let v = &c.virtual_services[0];
    assert_eq!(v.send.as_ref().map(QuotedText::effective).as_deref(), Some("'abc'"));
    assert_eq!(v.expect.as_ref().map(QuotedText::effective).as_deref(), Some("HTTP/1."));
    // Backslash escapes are left for nanny.
    let c = ok(&in_virtual(r#" send = "a\tb\\""#)).config;
    assert_eq!(c.virtual_services[0].send.as_ref().map(|s| s.text.as_str()), Some(r"a\tb\\"));
}

#[test]
fn spec_1_1_duplicates_override_with_warning() {
    let p = ok("keepalive = 1\ndeadtime = 9\nkeepalive = 4\n");
    assert_eq!(p.config.keepalive, Duration::from_secs(4));
    let w = p.warnings.iter().find(|w| w.message().contains("also on line 1")).expect("duplicate warning");
    assert_eq!((w.line, w.severity), (3, Severity::Warning));
}

#[test]
fn spec_1_6_failover_blocks_are_relocated() {
    let c = ok("virtual a {\n}\nfailover f {\n active = 1\n start_cmd = /bin/s\n}\nvirtual b {\n}\n").config;
    let names: Vec<&str> = c.virtual_services.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(c.failover_services.len(), 1);
    assert_eq!(c.failover_services[0].start_cmd, Some(QuotedText::plain("/bin/s")));
}

#[test]
fn spec_8_1_crlf_file_reads_every_line() {
    let src = in_server("  weight = 3").replace('\n', "\r\n");
    let p = ok(&src);
    assert_eq!(p.config.virtual_services[0].servers[0].weight, 3);
    assert!(p.warnings.iter().any(|w| w.line == 1 && w.message().contains("CR (\\r) line endings")));
    let cr = in_server("  weight = 4").replace('\n', "\r");
    assert_eq!(ok(&cr).config.virtual_services[0].servers[0].weight, 4);
}

#[test]
fn spec_8_25_unused_keywords_are_accepted() {
    let p = ok(&in_virtual(" master = 192.0.2.9\n dirs = [ ]"));
    assert_eq!(p.config.virtual_services[0].dirs, Some(vec![]));
}

#[test]
fn spec_1_9_code_1_empty_file() {
    let e = parse("").expect_err("empty");
    assert_eq!(e.first_error().map(|d| (d.kind, d.line)), Some((ErrorKind::EmptyConfiguration, 0)));
    // Only whitespace is not empty.
    assert!(parse("\n \n").is_ok());
}

#[test]
fn spec_1_9_code_3_quotation_mismatch() {
    assert_eq!(first_error(&in_virtual(" expect = \"HTTP\"  ")), (ErrorKind::QuotationMismatch, 5, Some(11)));
    assert_eq!(first_error("primary = \"192.0.2.1\" x\n"), (ErrorKind::QuotationMismatch, 1, Some(11)));
}

#[test]
fn spec_1_9_code_5_unexpected_arguments() {
    let d = err("keepalive = 2 # seconds\n");
    assert_eq!((d.kind, d.line, d.column), (ErrorKind::UnexpectedArguments, 1, Some(15)));
    assert_eq!(d.hint.as_deref(), Some("comments must be on a line of their own"));
    let d = err("virtual v {\n send = GET / HTTP/1.0\n}\n");
    assert_eq!(d.kind, ErrorKind::UnexpectedArguments);
    assert!(d.hint.as_deref().is_some_and(|h| h.contains("quote")));
    assert_eq!(first_error("nat_router = 1.2.3.4 eth0:1 extra\n").0, ErrorKind::UnexpectedArguments);
}

#[test]
fn spec_1_9_code_6_equal_expected() {
    assert_eq!(first_error("keepalive 2\n"), (ErrorKind::EqualExpected, 1, Some(11)));
    assert_eq!(first_error("keepalive\n"), (ErrorKind::EqualExpected, 1, Some(10)));
    let d = err("keepalive =2\n");
    assert_eq!(d.kind, ErrorKind::EqualExpected);
    assert_eq!(d.hint.as_deref(), Some("put blanks on both sides of `=`"));
}

#[test]
fn spec_1_9_code_7_missing_arguments() {
    assert_eq!(first_error("keepalive =\n"), (ErrorKind::MissingArguments, 1, Some(12)));
    assert_eq!(first_error(&in_virtual(" address = 192.0.2.10")).0, ErrorKind::MissingArguments);
    let d = err("virtual www\n{\n}\n");
    assert_eq!((d.kind, d.line), (ErrorKind::MissingArguments, 1));
    assert!(d.hint.as_deref().is_some_and(|h| h.contains("virtual NAME {")));
    assert_eq!(first_error("virtual www (\n}\n").0, ErrorKind::MissingArguments);
}

#[test]
fn spec_1_9_code_8_invalid_host() {
    assert_eq!(first_error("primary = 0.0.0.0\n"), (ErrorKind::InvalidHost, 1, Some(11)));
    assert_eq!(first_error("primary_private = 0\n").0, ErrorKind::InvalidHost);
    assert_eq!(first_error("backup_private = 0.0.0.0\n").0, ErrorKind::InvalidHost);
    assert_eq!(first_error(&in_virtual(" sorry_server = sorry.example")).0, ErrorKind::InvalidHost);
    // `backup = 0.0.0.0` is allowed.
    assert!(parse("backup = 0.0.0.0\n").is_ok());
}

#[test]
fn spec_1_9_code_9_invalid_argument() {
    assert_eq!(first_error("primary = lb1.example\n").0, ErrorKind::InvalidArgument);
    assert_eq!(first_error("network = dr\n").0, ErrorKind::InvalidArgument);
    assert_eq!(first_error("service = web\n").0, ErrorKind::InvalidArgument);
    assert_eq!(first_error("reservation_conflict_action = panic\n").0, ErrorKind::InvalidArgument);
    assert_eq!(first_error(&in_virtual(" protocol = sctp")).0, ErrorKind::InvalidArgument);
    assert_eq!(first_error(&in_virtual(" port = gopherz")).0, ErrorKind::InvalidArgument);
    assert_eq!(first_error(&in_virtual(" port = 65536")).0, ErrorKind::InvalidArgument);
    assert_eq!(first_error(&in_virtual(" persistent = -1")).0, ErrorKind::InvalidArgument);
}

#[test]
fn spec_1_9_code_10_integer_expected() {
    assert_eq!(first_error("keepalive = two\n"), (ErrorKind::IntegerExpected, 1, Some(13)));
    assert_eq!(first_error(&in_virtual(" timeout = 10s")).0, ErrorKind::IntegerExpected);
    assert_eq!(first_error(&in_server("  weight = heavy")).0, ErrorKind::IntegerExpected);
    assert_eq!(first_error("backup_active = yes\n").0, ErrorKind::IntegerExpected);
}

#[test]
fn spec_1_9_code_11_boolean_expected() {
    let d = err("backup_active = 2\n");
    assert_eq!((d.kind, d.line), (ErrorKind::BooleanExpected, 1));
    assert_eq!(d.hint.as_deref(), Some("write 1 (on) or 0 (off)"));
    assert_eq!(first_error(&in_virtual(" quiesce_server = -1")).0, ErrorKind::BooleanExpected);
}

#[test]
fn spec_1_9_code_12_unknown_command_with_hints() {
    let d = err("port=80\n");
    assert_eq!((d.kind, d.line, d.column), (ErrorKind::UnknownCommand, 1, Some(1)));
    assert_eq!(d.hint.as_deref(), Some("put blanks around `=`: `port = 80`"));
    let d = err(&in_virtual(" schedular = rr"));
    assert_eq!(d.hint.as_deref(), Some("did you mean `scheduler`?"));
    let d = err(&in_virtual(" weight = 3"));
    assert_eq!(d.hint.as_deref(), Some("`weight` belongs in a `server NAME { }` block"));
    let d = err(&in_virtual(" keepalive = 3"));
    assert!(d.hint.as_deref().is_some_and(|h| h.contains("global setting")));
    let d = err("scheduler = rr\n");
    assert!(d.hint.as_deref().is_some_and(|h| h.contains("belongs in a `virtual")));
    assert_eq!(err("}\n").hint.as_deref(), Some("no block is open here"));
    assert_eq!(first_error("server s {\n}\n").0, ErrorKind::UnknownCommand);
    let d = err("virtual a {\nvirtual b {\n}\n}\n");
    assert_eq!((d.kind, d.line), (ErrorKind::UnknownCommand, 2));
    assert!(d.hint.as_deref().is_some_and(|h| h.contains("do not nest")));
    // Keywords are case-sensitive.
    assert_eq!(first_error("Primary = 192.0.2.1\n").0, ErrorKind::UnknownCommand);
}

#[test]
fn spec_1_9_code_13_list_expected() {
    assert_eq!(first_error(&in_virtual(" dirs = /a /b")).0, ErrorKind::ListExpected);
    assert_eq!(first_error(&in_virtual(" dirs = [ /a")).0, ErrorKind::ListExpected);
    assert_eq!(first_error(&in_virtual(" dirs =")).0, ErrorKind::ListExpected);
}

#[test]
fn spec_1_9_code_16_bad_netmask() {
    // inet_aton accepts "24" (= 0.0.0.24); contiguity is not checked, as in the original.
    assert_eq!(ok("nat_nmask = 24\n").config.nat_nmask, Some(Ipv4Addr::new(0, 0, 0, 24)));
    assert_eq!(first_error("nat_nmask = /24\n"), (ErrorKind::BadNetmask, 1, Some(13)));
    assert_eq!(first_error(&in_virtual(" vip_nmask = x")).0, ErrorKind::BadNetmask);
}

#[test]
fn all_errors_are_collected_in_line_order() {
    let e = parse("keepalive = x\nbogus = 1\nvirtual v {\n port = y\n}\n").expect_err("three errors");
    let lines: Vec<(usize, ErrorKind)> = e.errors().map(|d| (d.line, d.kind)).collect();
    assert_eq!(
        lines,
        vec![
            (1, ErrorKind::IntegerExpected),
            (2, ErrorKind::UnknownCommand),
            (4, ErrorKind::InvalidArgument)
        ]
    );
}

#[test]
fn semantic_active_service_needs_an_address() {
    let d = err("primary = 192.0.2.1\nvirtual v {\n active = 1\n}\n");
    assert_eq!((d.kind, d.line), (ErrorKind::Semantic, 2));
    assert!(d.message().contains("has no `address = VIP DEVICE`"));
    // An inactive one does not.
    assert!(parse("virtual v {\n}\n").is_ok());
}

#[test]
fn semantic_backup_active_without_backup_warns() {
    let w = warnings(&format!("backup_active = 1\n{}", in_server("")));
    assert!(w.iter().any(|m| m.contains("Undefined backup node marked as active")), "{w:?}");
}

#[test]
fn spec_1_7_primary_private_without_backup_private() {
    let src = format!("backup = 192.0.2.2\nbackup_active = 1\nprimary_private = 10.0.0.1\n{}", in_server(""));
    let d = err(&src);
    assert_eq!((d.kind, d.line), (ErrorKind::Semantic, 3));
    let src = format!("backup_private = 10.0.0.2\n{}", in_server(""));
    assert!(warnings(&src).iter().any(|m| m.contains("`backup_private` is ignored")));
}

#[test]
fn semantic_duplicate_service_identity() {
    let two = format!(
        "{}{}",
        in_server(""),
        in_server("").replace("primary = 192.0.2.1\n", "").replace("virtual v", "virtual w")
    );
    let d = err(&two);
    assert_eq!((d.kind, d.line), (ErrorKind::Semantic, 11));
    assert!(d.message().contains("`v` (line 2) and `w`"), "{}", d.message());
}

#[test]
fn semantic_duplicate_real_server() {
    let src = in_virtual(
        " server a {\n  address = 10.0.0.1\n  active = 1\n }\n server b {\n  address = 10.0.0.1\n  active = 1\n }",
    );
    assert!(err(&src).message().contains("the same destination 10.0.0.1:80"));
}

#[test]
fn semantic_direct_routing_ignores_real_port() {
    let src = format!("network = direct\n{}", in_server("  port = 8080"));
    assert!(warnings(&src).iter().any(|m| m.contains("port 8080 is ignored with `network = direct`")));
}

#[test]
fn semantic_misc_checks() {
    assert!(err(&in_server("  weight = -1")).message().contains("outside 0-65535"));
    assert!(
        err(&in_server("").replace("active = 1\n address", "active = 1\n timeout = 0\n address"))
            .message()
            .contains("`timeout` must be at least 1 second")
    );
    assert!(
        err(&in_server("").replace(" address = 192", " port = 0\n address = 192"))
            .message()
            .contains("port 0")
    );
    assert!(err("keepalive = 0\n").message().contains("greater than 0"));
    assert!(err(&in_virtual(" server s {\n  active = 1\n }")).message().contains("has no `address`"));
    let w = warnings(&in_server("").replace(" address = 192.0.2.10 eth0:1", " address = 192.0.2.10 eth0"));
    assert!(w.iter().any(|m| m.contains("bare interface name")), "{w:?}");
    let w = warnings("keepalive = 6\ndeadtime = 5\n");
    assert!(w.iter().any(|m| m.contains("not longer than `keepalive`")));
    let w = warnings(&in_virtual(" send = 'x'\n server s {\n  address = 10.0.0.1\n  active = 1\n }"));
    assert!(w.iter().any(|m| m.contains("single quotes")));
    let w = warnings("primary = 192.0.2.1\n");
    assert!(w.iter().any(|m| m.contains("no active virtual service")));
}

#[test]
fn first_error_is_the_syntax_error_the_original_stops_at() {
    // Line 2 has no address (our semantic check); line 4 is a syntax error.
    let e = parse("primary = 192.0.2.1\nvirtual broken {\n active = 1\n bogus_keyword = 7\n}\n")
        .expect_err("errors");
    let first = e.first_error().expect("an error");
    assert_eq!((first.kind, first.line), (ErrorKind::UnknownCommand, 4));
    // Both are listed, in line order.
    assert_eq!(e.errors().map(|d| d.line).collect::<Vec<_>>(), [2, 4]);
}
