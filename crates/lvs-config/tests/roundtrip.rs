//! Round-trip properties: `Document` re-emits any text byte for byte, and
//! `parse(write(m))` gives back any model `m` the writer can express.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use lvs_config::{
    AddressOnDevice, Config, ForwardingMethod, Protocol, QuotedText, RealServer, ReservationConflictAction,
    Scheduler, ServiceType, VirtualService, parse, write,
};
use lvs_config::{Document, GLOBAL_KEYWORDS, SERVER_KEYWORDS, VIRTUAL_KEYWORDS};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;

// ---- lvs.cf text ------------------------------------------------------

fn blanks() -> impl Strategy<Value = &'static str> {
    select(&["", "", " ", "\t", "  ", " \t", "\t\t"][..])
}

/// Tokens as they appear in real files, with some odd ones. (Mostly
/// picked from lists: generating from regexes is slow in debug builds.)
fn value_token() -> impl Strategy<Value = String> {
    const TYPICAL: &[&str] = &[
        "0",
        "1",
        "2",
        "80",
        "0x50",
        "010",
        "08",
        "-1",
        "65536",
        "192.0.2.1",
        "10.1",
        "0.0.0.0",
        "255.255.255.0",
        "255.255.255.255",
        "eth0:1",
        "http",
        "udp",
        "nat",
        "direct",
        "tunnel",
        "wlc",
        "rr",
        "lvs",
        "fos",
        "uptime",
        "/usr/sbin/nanny",
        "\"\"",
        "\"GET / HTTP/1.0\\r\\n\\r\\n\"",
        "'QUIT'",
        "\"a b\" c",
        "\"HTTP\"  ",
        "\"x",
        "[ /a /b ]",
        "[ ]",
        "192.0.2.1 eth0:1",
        "0.05",
        "#",
        "# x",
    ];
    prop_oneof![
        4 => select(TYPICAL).prop_map(str::to_owned),
        1 => any::<u16>().prop_map(|n| n.to_string()),
        1 => any::<[u8; 4]>().prop_map(|a| std::net::Ipv4Addr::from(a).to_string()),
        1 => "[a-z0-9\"' .#=]{0,8}",
    ]
}

/// `KEY = VALUE` with random spacing; the key is usually valid here.
fn directive(keywords: &'static [&'static str]) -> impl Strategy<Value = String> {
    (
        blanks(),
        prop_oneof![6 => select(keywords), 1 => select(&["port=80", "weigth", "=", "x"][..])],
        select(&[" = ", " = ", "\t=\t", " == ", " ", "  =  "][..]),
        value_token(),
        select(&["", "", "", " ", "\t"][..]),
    )
        .prop_map(|(lead, key, eq, value, trail)| format!("{lead}{key}{eq}{value}{trail}"))
}

fn header() -> impl Strategy<Value = String> {
    (
        blanks(),
        select(&["virtual", "server", "failover"][..]),
        select(&["www", "a", "ftp-21", "\"web front\"", "'b c'", "\"q\"", "}"][..]),
        select(&[" {", " {", " {", "", " { x", "\t{"][..]),
    )
        .prop_map(|(lead, kind, name, open)| format!("{lead}{kind} {name}{open}"))
}

fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => (blanks(), select(&["#", "# comment", "#virtual x {", "## é €", "#\t}"][..]))
            .prop_map(|(b, c)| format!("{b}{c}")),
        2 => blanks().prop_map(str::to_owned),
        4 => directive(GLOBAL_KEYWORDS),
        4 => directive(VIRTUAL_KEYWORDS),
        3 => directive(SERVER_KEYWORDS),
        3 => header(),
        3 => (blanks(), select(&["}", "}", "} trailing"][..])).prop_map(|(b, c)| format!("{b}{c}")),
        1 => "[ -~\t]{0,20}",
    ]
}

fn ending() -> impl Strategy<Value = &'static str> {
    select(&["\n", "\n", "\n", "\n", "\r\n", "\r\n", "\r"][..])
}

/// A file: lines with mixed endings, the last one possibly without.
fn file_text() -> impl Strategy<Value = String> {
    (vec((line(), ending()), 0..30), select(&["", "", "}", "x = 1"][..])).prop_map(|(lines, last)| {
        let mut text: String = lines.into_iter().map(|(l, e)| format!("{l}{e}")).collect();
        text.push_str(last);
        text
    })
}

type Table = &'static [(&'static str, &'static [&'static str])];

/// Valid values of each keyword, in the forms files use.
const GLOBAL: Table = &[
    ("serial_no", &["0", "12", "0x10", "-3"]),
    ("service", &["lvs"]),
    ("primary", &["192.0.2.1", "10.1", "0xc0000201"]),
    ("backup", &["192.0.2.2", "0.0.0.0"]),
    ("backup_active", &["0", "1", "01"]),
    ("heartbeat", &["0", "1"]),
    ("heartbeat_port", &["539", "http", "0x21b"]),
    ("heartbeat_key", &["/etc/sysconfig/ha/heartbeat.key", "\"/etc/ha key\""]),
    ("keepalive", &["2", "1", "0.5", "010"]),
    ("deadtime", &["5", "10", "2.5"]),
    ("network", &["nat", "direct", "tunnel"]),
    ("nat_router", &["10.0.0.254 eth1:1", "10.0.0.254 \"eth1:1\""]),
    ("nat_nmask", &["255.255.255.0", "0.0.0.0"]),
    ("ipvsadm", &["/sbin/ipvsadm", "\"/usr/sbin/ipvsadm\"", "''"]),
    ("rsh_command", &["ssh", "'ssh -q'", "#rsh"]),
    ("syncdaemon", &["0", "1"]),
    ("syncd_iface", &["eth1", "\"eth 2\""]),
    ("syncd_id", &["7", "0x107", "-1"]),
    ("tcp_timeout", &["900", "0"]),
    ("tcpfin_timeout", &["120"]),
    ("udp_timeout", &["300"]),
    ("active_cmd", &["/bin/true", "\"/bin/notify up now\""]),
    ("inactive_cmd", &["/bin/false"]),
    ("monitor_links", &["0", "1", "5"]),
    ("hard_shutdown", &["0", "1"]),
    ("debug_level", &["NONE", "HIGH"]),
    ("sync", &["0", "1"]),
    ("reservation_conflict_action", &["nothing", "preempt"]),
];

const VIRTUAL: Table = &[
    ("active", &["1", "1", "0"]),
    ("vip_nmask", &["255.255.255.0", "0.0.0.0"]),
    ("port", &["80", "21", "https", "0x1bb", "53"]),
    ("protocol", &["tcp", "udp"]),
    ("fwmark", &["0", "21", "0x50", "-1"]),
    ("scheduler", &["wlc", "rr", "wrr", "lc", "lblc", "lblcr", "dh", "sh", "sed", "nq"]),
    ("persistent", &["0", "300", "0x10"]),
    ("pmask", &["255.255.255.0", "255.255.255.255", "0.0.0.0", "junk"]),
    ("timeout", &["6", "10"]),
    ("reentry", &["15", "0"]),
    ("send", &["\"GET / HTTP/1.0\\r\\n\\r\\n\"", "'QUIT'", "\"\"", "quit", "\"\\t\\\\ x\""]),
    ("expect", &["\"HTTP\"", "220", "\"*\"", "'say \"hi'"]),
    ("use_regex", &["0", "1"]),
    ("send_program", &["\"/bin/check %h %p\""]),
    ("load_monitor", &["none", "uptime", "\"ruptime -l\""]),
    ("quiesce_server", &["0", "1"]),
    ("sorry_server", &["10.0.0.99", "0.0.0.0"]),
    ("client_monitor", &["/usr/sbin/nanny", "/opt/nanny"]),
    ("start_cmd", &["\"/bin/start x\""]),
    ("stop_cmd", &["/bin/stop"]),
    ("master", &["192.0.2.7"]),
    ("dirs", &["[ /a /b ]", "[ ]", "[ \"/c d\" ]"]),
];

const SERVER: Table =
    &[("active", &["1", "1", "0"]), ("weight", &["0", "1", "100", "0x10"]), ("port", &["80", "8080", "0"])];

/// A comment or blank line.
fn filler() -> impl Strategy<Value = String> {
    (blanks(), select(&["", "", "# comment", "#", "#\tvirtual x {"][..])).prop_map(|(b, c)| format!("{b}{c}"))
}

/// `KEY = VALUE` from `table`, with random spacing around `=`.
fn setting(table: Table) -> impl Strategy<Value = String> {
    (blanks(), select(table), any::<prop::sample::Index>(), select(&[" = ", "\t=\t", "  =  ", " =\t"][..]))
        .prop_map(|(lead, (key, values), i, eq)| format!("{lead}{key}{eq}{}", values[i.index(values.len())]))
}

/// Lines of a block: header, settings and fillers, nested blocks, `}`.
fn block(header: String, settings: Vec<String>, inner: Vec<Vec<String>>, close: &'static str) -> Vec<String> {
    let mut lines = vec![header];
    lines.extend(settings);
    lines.extend(inner.into_iter().flatten());
    lines.push(close.to_owned());
    lines
}

fn server_block() -> impl Strategy<Value = Vec<String>> {
    (
        select(&["a", "b", "'web 1'", "\"web 2\""][..]),
        1u8..40,
        vec(prop_oneof![3 => setting(SERVER), 1 => filler()], 0..4),
        select(&["\t}", "}", "    } # done"][..]),
    )
        .prop_map(|(name, rip, settings, close)| {
            let mut all = vec![format!("\t\taddress = 10.0.0.{rip}")];
            all.extend(settings);
            block(format!("\tserver {name} {{"), all, Vec::new(), close)
        })
}

fn virtual_block() -> impl Strategy<Value = Vec<String>> {
    (
        select(&["virtual www", "virtual ftp", "virtual \"web front\"", "failover f"][..]),
        1u8..60,
        vec(prop_oneof![3 => setting(VIRTUAL), 1 => filler()], 0..10),
        vec(server_block(), 0..4),
        select(&["}", "}", "} # end"][..]),
    )
        .prop_map(|(head, vip, settings, servers, close)| {
            let mut all = vec![format!("\taddress = 192.0.2.{vip} eth0:{vip}")];
            all.extend(settings);
            block(format!("{head} {{"), all, servers, close)
        })
}

/// A file that mostly parses: valid keywords and values, odd layout.
fn plausible_file() -> impl Strategy<Value = String> {
    (
        vec(prop_oneof![3 => setting(GLOBAL), 1 => filler()], 1..12),
        vec(virtual_block(), 0..4),
        vec(ending(), 200),
        any::<bool>(),
    )
        .prop_map(|(globals, blocks, endings, final_newline)| {
            let lines: Vec<String> = globals.into_iter().chain(blocks.into_iter().flatten()).collect();
            let mut text = String::new();
            for (i, (line, ending)) in lines.iter().zip(endings.iter().cycle()).enumerate() {
                text.push_str(line);
                if final_newline || i + 1 < lines.len() {
                    text.push_str(ending);
                }
            }
            text
        })
}

proptest! {
    /// Whatever parses is written back as text that parses to the same
    /// model (the all-default model aside: see the ignored test below).
    #[test]
    fn plausible_text_survives_write(text in plausible_file()) {
        prop_assert_eq!(Document::new(&text).text(), text.as_str());
        if let Ok(parsed) = parse(&text) {
            prop_assume!(parsed.config != Config::default());
            let written = write(&parsed.config);
            let again = parse(&written);
            prop_assert!(again.is_ok(), "{}\n{:?}", written, again.err().map(|e| e.diagnostics));
            prop_assert_eq!(again.map(|p| p.config).ok(), Some(parsed.config));
        }
    }
}

proptest! {
    #[test]
    fn document_reemits_any_text(text in file_text()) {
        prop_assert_eq!(Document::new(&text).text(), text);
    }

    #[test]
    fn document_reemits_arbitrary_unicode(text in "\\PC{0,200}|[\r\n \t\"'#a={}]{0,80}") {
        prop_assert_eq!(Document::new(&text).text(), text);
    }

    /// Whatever parses is written back as text that parses to the same
    /// model (the all-default model aside: see the ignored test below).
    #[test]
    fn parsed_text_survives_write(text in file_text()) {
        if let Ok(parsed) = parse(&text) {
            prop_assume!(parsed.config != Config::default());
            let written = write(&parsed.config);
            let again = parse(&written);
            prop_assert!(again.is_ok(), "{written}\n{:?}", again.err().map(|e| e.diagnostics));
            prop_assert_eq!(again.map(|p| p.config).ok(), Some(parsed.config));
        }
    }
}

// ---- models -----------------------------------------------------------

fn ipv4() -> impl Strategy<Value = Ipv4Addr> {
    any::<u32>().prop_map(Ipv4Addr::from)
}

fn host() -> impl Strategy<Value = IpAddr> {
    ipv4().prop_filter("0.0.0.0 means unset", |a| !a.is_unspecified()).prop_map(IpAddr::V4)
}

/// A mask other than 0.0.0.0 (which the model stores as `None`).
fn mask() -> impl Strategy<Value = Ipv4Addr> {
    ipv4().prop_filter("0.0.0.0 means unset", |a| !a.is_unspecified())
}

/// A word the writer leaves bare or quotes faithfully: no quote
/// characters, not starting with `#`.
fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[A-Za-z0-9_./:%-]{1,12}",
        1 => "[A-Za-z0-9_./-]{1,6}([ \t][A-Za-z0-9_./-]{1,6}){1,2}",
    ]
}

/// A value at the end of its line, where `"#x"` is fine.
fn line_end_word() -> impl Strategy<Value = String> {
    prop_oneof![4 => word(), 1 => "#[a-z]{0,5}"]
}

fn quoted_text() -> impl Strategy<Value = QuotedText> {
    prop_oneof![
        "[A-Za-z0-9%\\\\/_.:-][A-Za-z0-9%\\\\/_.:\"'-]{0,15}".prop_map(QuotedText::plain),
        "[ -!#-~\t]{0,24}".prop_map(QuotedText::double_quoted),
        "[ -&(-~\t]{0,24}".prop_map(|text| QuotedText { text, quote: Some('\'') }),
    ]
}

fn seconds() -> impl Strategy<Value = Duration> {
    prop_oneof![(1u64..=3600).prop_map(Duration::from_secs), (1u64..=60_000).prop_map(Duration::from_millis)]
}

/// Non-negative and within a C `int`, as the parser reads it.
fn c_unsigned() -> impl Strategy<Value = u32> {
    0u32..=0x7fff_ffff
}

fn server() -> impl Strategy<Value = RealServer> {
    (word(), any::<bool>(), 0i32..=65535, any::<u16>()).prop_map(|(name, active, weight, port)| RealServer {
        name,
        address: None,
        active,
        weight,
        port,
    })
}

fn virtual_service() -> impl Strategy<Value = VirtualService> {
    let identity =
        (word(), any::<bool>(), line_end_word(), option::of(mask()), 1u16.., any::<bool>(), any::<bool>());
    let scheduling = (
        select(Scheduler::KNOWN.to_vec()),
        c_unsigned(),
        option::of(mask()),
        1u32..=0x7fff_ffff,
        c_unsigned(),
    );
    let probe = (
        option::of(quoted_text()),
        option::of(quoted_text()),
        any::<bool>(),
        option::of(quoted_text()),
        option::of(line_end_word()),
        any::<bool>(),
        option::of(host()),
    );
    let other = (
        option::of(line_end_word()),
        option::of(quoted_text()),
        option::of(quoted_text()),
        option::of(ipv4().prop_map(IpAddr::V4)),
        option::of(vec(word(), 0..4)),
        vec(server(), 0..6),
    );
    (identity, scheduling, probe, other).prop_map(|(identity, scheduling, probe, other)| {
        let (name, active, device, vip_nmask, port, udp, has_fwmark) = identity;
        let (scheduler, persistent, pmask, timeout, reentry) = scheduling;
        let (send, expect, use_regex, send_program, load_monitor, quiesce_server, sorry_server) = probe;
        let (client_monitor, start_cmd, stop_cmd, master, dirs, servers) = other;
        let mut v = VirtualService::new(name);
        v.active = active;
        v.address = Some(AddressOnDevice { addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED), device });
        v.vip_nmask = vip_nmask;
        v.port = port;
        v.protocol = if udp { Protocol::Udp } else { Protocol::Tcp };
        v.fwmark = has_fwmark.then_some(0);
        v.scheduler = scheduler;
        v.persistent = persistent;
        // 255.255.255.255 is stored as "no mask" too.
        v.pmask = pmask.filter(|m| !m.is_broadcast());
        v.timeout = timeout;
        v.reentry = reentry;
        (v.send, v.expect, v.use_regex, v.send_program) = (send, expect, use_regex, send_program);
        (v.load_monitor, v.quiesce_server, v.sorry_server) = (load_monitor, quiesce_server, sorry_server);
        if let Some(c) = client_monitor {
            v.client_monitor = c;
        }
        (v.start_cmd, v.stop_cmd, v.master, v.dirs, v.servers) = (start_cmd, stop_cmd, master, dirs, servers);
        v
    })
}

/// Makes every active service and server unique, as validation demands:
/// service `i` gets VIP 192.0.`i`.1 (or fwmark `i + 1`), server `k` RIP
/// 10.`i`.`k`.1.
fn number(mut services: Vec<VirtualService>, offset: u8) -> Vec<VirtualService> {
    for (i, v) in (offset..).zip(&mut services) {
        if let Some(a) = &mut v.address {
            a.addr = IpAddr::V4(Ipv4Addr::new(192, 0, i, 1));
        }
        if v.fwmark.is_some() {
            v.fwmark = Some(u32::from(i) + 1);
        }
        for (k, s) in (0u8..).zip(&mut v.servers) {
            s.address = Some(IpAddr::V4(Ipv4Addr::new(10, i, k, 1)));
        }
    }
    services
}

fn config() -> impl Strategy<Value = Config> {
    let routers = (
        any::<i32>(),
        any::<bool>(),
        option::of(host()),
        option::of((host(), host())),
        option::of(ipv4().prop_map(IpAddr::V4)),
        option::of(line_end_word()),
        option::of(line_end_word()),
        any::<bool>(),
        any::<bool>(),
        1u16..,
        seconds(),
        seconds(),
    );
    let routing = (
        select(vec![ForwardingMethod::Nat, ForwardingMethod::Direct, ForwardingMethod::Tunnel]),
        option::of((host(), line_end_word())),
        option::of(mask()),
        option::of("/[a-z/]{1,12}"),
        option::of(word()),
        any::<bool>(),
        option::of(line_end_word()),
        any::<i32>(),
        (c_unsigned(), c_unsigned(), c_unsigned()),
    );
    let rest = (
        option::of(line_end_word()),
        option::of(line_end_word()),
        any::<i32>(),
        any::<bool>(),
        option::of(line_end_word()),
        any::<bool>(),
        option::of(select(vec![ReservationConflictAction::Nothing, ReservationConflictAction::Preempt])),
        vec(virtual_service(), 0..5),
        vec(virtual_service(), 0..2),
    );
    (routers, routing, rest).prop_map(|(routers, routing, rest)| {
        let (
            serial_no,
            fos,
            primary,
            privates,
            backup,
            primary_shared,
            backup_shared,
            backup_active,
            heartbeat,
        ) = (
            routers.0, routers.1, routers.2, routers.3, routers.4, routers.5, routers.6, routers.7, routers.8,
        );
        let (heartbeat_port, keepalive, deadtime) = (routers.9, routers.10, routers.11);
        let (
            network,
            nat_router,
            nat_nmask,
            ipvsadm,
            rsh_command,
            syncdaemon,
            syncd_iface,
            syncd_id,
            timeouts,
        ) = routing;
        let (
            active_cmd,
            inactive_cmd,
            monitor_links,
            hard_shutdown,
            debug_level,
            sync,
            conflict,
            virtuals,
            fos_blocks,
        ) = rest;
        let d = Config::default();
        Config {
            serial_no,
            service: if fos { ServiceType::Fos } else { ServiceType::Lvs },
            primary,
            // Both or neither: one alone is an error with a backup router.
            primary_private: privates.map(|p| p.0),
            primary_shared,
            backup,
            backup_private: privates.map(|p| p.1),
            backup_shared,
            backup_active,
            heartbeat,
            heartbeat_port,
            // Varied through a value already drawn (the strategy tuples are full).
            heartbeat_key: (heartbeat_port % 3 == 0).then(|| "/etc/sysconfig/ha/heartbeat.key".to_owned()),
            keepalive,
            deadtime,
            network,
            nat_router: nat_router.map(|(addr, device)| AddressOnDevice { addr, device }),
            nat_nmask,
            ipvsadm: ipvsadm.unwrap_or(d.ipvsadm),
            rsh_command: rsh_command.unwrap_or(d.rsh_command),
            syncdaemon,
            syncd_iface: syncd_iface.unwrap_or(d.syncd_iface),
            syncd_id,
            tcp_timeout: timeouts.0,
            tcpfin_timeout: timeouts.1,
            udp_timeout: timeouts.2,
            active_cmd,
            inactive_cmd,
            monitor_links,
            hard_shutdown,
            debug_level: debug_level.unwrap_or(d.debug_level),
            sync,
            reservation_conflict_action: conflict,
            virtual_services: number(virtuals, 0),
            failover_services: number(fos_blocks, 100),
        }
    })
}

proptest! {
    #[test]
    fn write_then_parse_gives_the_model_back(model in config()) {
        prop_assume!(model != Config::default());
        let written = write(&model);
        let parsed = parse(&written);
        prop_assert!(parsed.is_ok(), "{written}\n{:#?}", parsed.err().map(|e| e.diagnostics));
        let parsed = parsed.map(|p| p.config).ok();
        prop_assert_eq!(parsed.as_ref(), Some(&model), "{}", written);
    }
}

// ---- writer bugs found by fuzzing (fix in src/write.rs) ---------------

/// `parse(write(parse(src)))` must succeed with the same model.
fn assert_survives_write(src: &str) {
    let parsed = parse(src).unwrap_or_else(|e| panic!("{src:?} should parse: {:#?}", e.diagnostics));
    let written = write(&parsed.config);
    let again = parse(&written)
        .unwrap_or_else(|e| panic!("written as {written:?}, which fails: {:?}", e.first_error()));
    assert_eq!(again.config, parsed.config, "written as {written:?}");
}

#[test]
fn regression_default_config_is_written_as_a_non_empty_file() {
    assert_survives_write("# only a comment\n");
}

#[test]
fn regression_name_starting_with_hash_is_not_quoted() {
    assert_survives_write("virtual #x {\n}\n");
    assert_survives_write("virtual v {\n server #s {\n }\n}\n");
    assert_survives_write("virtual v {\n dirs = [ #x ]\n}\n");
}

#[test]
fn regression_value_with_double_quote_and_blank_uses_single_quotes() {
    assert_survives_write("virtual 'a \"b' {\n}\n");
    assert_survives_write("ipvsadm = 'a \"b'\n");
    assert_survives_write("virtual v {\n address = 192.0.2.1 'eth0 \"1'\n}\n");
}
