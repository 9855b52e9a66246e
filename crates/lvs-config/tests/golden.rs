//! Golden files: every `tests/data/NAME.cf` parses without errors, gives
//! the IPVS table of `NAME.rules` (`ipvsadm -Sn` form, spec §3.3) and is
//! re-emitted byte for byte by [`Document`]; plus edits of those files.

mod support;

use std::fs;

use lvs_config::desired::desired_table;
use lvs_config::syntax::BlockKind;
use lvs_config::{Config, Document, Parsed, Scope, parse, write};

use support::{data, data_dir, diff, large};

fn ok(name: &str, text: &str) -> Parsed {
    parse(text).unwrap_or_else(|e| panic!("{name} does not parse: {:#?}", e.diagnostics))
}

fn rules(config: &Config) -> String {
    desired_table(config).to_rules()
}

/// Every `*.cf` of the data directory, sorted by name.
fn configs() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(data_dir())
        .expect("tests/data exists")
        .map(|e| e.expect("readable directory entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".cf"))
        .collect();
    names.sort();
    names
}

/// Checks one data file; returns what is wrong, if anything.
fn check(cf: &str) -> Option<String> {
    let stem = cf.trim_end_matches(".cf");
    let text = data(cf);
    let mut problems = String::new();
    if Document::new(&text).text() != text {
        problems.push_str(&format!(
            "Document::new(..).text() is not the file:\n{}",
            diff::lines(&text, &Document::new(&text).text())
        ));
    }
    match parse(&text) {
        Err(e) => problems.push_str(&format!("errors:\n{:#?}\n", e.diagnostics)),
        Ok(p) => {
            let expected = data(&format!("{stem}.rules"));
            let actual = rules(&p.config);
            if actual != expected {
                problems.push_str(&format!(
                    "rules differ from {stem}.rules:\n{}",
                    diff::lines(&expected, &actual)
                ));
            }
            match parse(&write(&p.config)) {
                Ok(again) if again.config == p.config => {}
                Ok(_) => problems.push_str("parse(write(config)) gives another config\n"),
                Err(e) => problems.push_str(&format!("write(config) does not parse: {:#?}\n", e.diagnostics)),
            }
        }
    }
    (!problems.is_empty()).then(|| format!("== {cf}\n{problems}"))
}

#[test]
fn every_data_file_matches_its_rules_and_round_trips() {
    let names = configs();
    assert!(names.len() >= 8, "data files missing: {names:?}");
    let failures: Vec<String> = names.iter().filter_map(|n| check(n)).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rules_file_has_its_config() {
    for entry in fs::read_dir(data_dir()).expect("tests/data exists") {
        let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".rules") {
            assert!(data_dir().join(format!("{stem}.cf")).is_file(), "{name} has no {stem}.cf");
        }
    }
}

#[test]
fn large_file_is_what_its_generator_writes() {
    let (cf, rules) = (format!("{}.cf", large::NAME), format!("{}.rules", large::NAME));
    if std::env::var_os("LVS_REGENERATE_DATA").is_some() {
        fs::write(data_dir().join(&cf), large::config()).expect("write the large config");
        fs::write(data_dir().join(&rules), large::rules()).expect("write the large rules");
    }
    let d = diff::lines(&large::config(), &data(&cf));
    assert!(d.is_empty(), "{cf} is stale (LVS_REGENERATE_DATA=1 rewrites it):\n{d}");
    let d = diff::lines(&large::rules(), &data(&rules));
    assert!(d.is_empty(), "{rules} is stale (LVS_REGENERATE_DATA=1 rewrites it):\n{d}");
}

#[test]
fn large_file_has_the_expected_shape() {
    let text = data(&format!("{}.cf", large::NAME));
    let c = ok("large", &text).config;
    assert_eq!(c.virtual_services.len(), large::SERVICES);
    assert!(c.virtual_services.iter().all(|v| v.servers.len() == large::SERVERS));
    // 20 inactive services; fwmark services at i % 25 == 7.
    assert_eq!(c.active_virtual_services().count(), 980);
    assert_eq!(c.virtual_services.iter().filter(|v| v.fwmark.is_some()).count(), 40);
}

/// `(line, message substring)` of every warning of each file, so that a
/// new or lost warning is noticed. Each is worked out from validate.rs's
/// rules and the file, not copied from a run.
#[test]
fn warnings_of_the_data_files() {
    let expected: &[(&str, &[(usize, &str)])] = &[
        ("nat-ftp-fwmark.cf", &[]),
        (
            "direct-routing-persistence.cf",
            &[(35, "real server port 8080 is ignored with `network = direct`")],
        ),
        ("udp-dns.cf", &[]),
        ("tunnel.cf", &[(32, "real server port 8080 is ignored with `network = tunnel`")]),
        ("crlf.cf", &[(1, "CR (\\r) line endings")]),
        ("quoting-escapes.cf", &[(33, "`send` in single quotes: the quotes themselves are sent too")]),
        ("spec-annotated.cf", &[(88, "has no `persistent`")]),
        ("large-1000x20.cf", &[]),
    ];
    for (name, want) in expected {
        let p = ok(name, &data(name));
        let got: Vec<(usize, String)> = p.warnings.iter().map(|w| (w.line, w.message())).collect();
        assert_eq!(got.len(), want.len(), "{name}: {got:#?}");
        for ((line, message), (want_line, want_text)) in got.iter().zip(*want) {
            assert_eq!(line, want_line, "{name}: {message}");
            assert!(message.contains(want_text), "{name} line {line}: {message}");
        }
    }
}

/// The lines of `text`, each with its ending.
fn physical_lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

#[test]
fn set_weight_in_crlf_file_changes_one_line_only() {
    let before = data("crlf.cf");
    let mut doc = Document::new(&before);
    doc.set(&Scope::server("intranet", "app1"), "weight", "9").expect("app1 exists");
    let after = doc.text();
    let (b, a) = (physical_lines(&before), physical_lines(&after));
    assert_eq!(b.len(), a.len());
    let changed: Vec<usize> = (0..b.len()).filter(|i| b[*i] != a[*i]).collect();
    assert_eq!(changed.len(), 1, "{}", diff::lines(&before, &after));
    // The trailing blanks and the CR LF of the line stay.
    assert_eq!(b[changed[0]], "\t\tweight = 4  \r\n");
    assert_eq!(a[changed[0]], "\t\tweight = 9  \r\n");
    assert_eq!(after.len(), before.len());
    assert!(a.iter().all(|l| l.ends_with("\r\n")));
    let c = ok("edited crlf.cf", &after).config;
    assert_eq!(c.virtual_services[0].servers[0].weight, 9);
    let expected = data("crlf.rules").replace("10.0.5.1:80 -m -w 4", "10.0.5.1:80 -m -w 9");
    assert_eq!(rules(&c), expected);
}

#[test]
fn set_value_of_quoted_block_names() {
    let before = data("quoting-escapes.cf");
    let mut doc = Document::new(&before);
    doc.set(&Scope::server("web front", "web 1"), "weight", "7").expect("quoted names are found");
    let after = doc.text();
    assert_eq!(diff::lines(&before, &after).lines().count(), 3, "{}", diff::lines(&before, &after));
    assert_eq!(after, before.replacen("weight = '3'", "weight = 7", 1));
    let c = ok("edited quoting-escapes.cf", &after).config;
    assert_eq!(c.virtual_services[0].servers[0].weight, 7);
}

#[test]
fn add_a_setting_to_a_virtual_block() {
    let before = data("nat-ftp-fwmark.cf");
    let mut doc = Document::new(&before);
    doc.set(&Scope::virtual_service("HTTP"), "persistent", "60").expect("HTTP exists");
    let after = doc.text();
    // Inserted after the block's last setting, before its first server.
    let expected = before.replacen(
        "     quiesce_server = 0\n     server web1 {",
        "     quiesce_server = 0\n     persistent = 60\n     server web1 {",
        1,
    );
    assert_eq!(after, expected, "{}", diff::lines(&expected, &after));
    let c = ok("edited nat-ftp-fwmark.cf", &after).config;
    assert_eq!(c.virtual_services[0].persistent, 60);
    assert!(rules(&c).starts_with("-A -t 192.168.26.10:80 -s wlc -p 60\n"));
}

#[test]
fn remove_a_setting() {
    let before = data("direct-routing-persistence.cf");
    let mut doc = Document::new(&before);
    assert!(doc.remove(&Scope::virtual_service("shop"), "pmask").expect("shop exists"));
    assert!(!doc.remove(&Scope::virtual_service("shop"), "pmask").expect("shop exists"));
    let after = doc.text();
    assert_eq!(after, before.replacen("\tpmask = 255.255.255.0\n", "", 1));
    let c = ok("edited direct-routing-persistence.cf", &after).config;
    assert!(rules(&c).starts_with("-A -t 203.0.113.80:80 -s wlc -p 3600\n"));
}

#[test]
fn remove_a_server_block() {
    let before = data("direct-routing-persistence.cf");
    let mut doc = Document::new(&before);
    doc.remove_block(&Scope::server("shop", "shop-c")).expect("shop-c exists");
    let after = doc.text();
    // The block and the one blank line before it go; nothing else.
    let block = "\n\tserver shop-c {\n\t\taddress = 203.0.113.23\n\t\tactive = 1\n\t}\n";
    assert_eq!(before.matches(block).count(), 1);
    assert_eq!(after, before.replacen(block, "", 1), "{}", diff::lines(&before, &after));
    let c = ok("edited direct-routing-persistence.cf", &after).config;
    assert_eq!(c.virtual_services[0].servers.len(), 2);
    let expected = data("direct-routing-persistence.rules")
        .replace("-a -t 203.0.113.80:80 -r 203.0.113.23:80 -g -w 1\n", "");
    assert_eq!(rules(&c), expected);
    assert!(doc.remove_block(&Scope::server("shop", "shop-c")).is_err());
}

#[test]
fn remove_a_virtual_block_from_crlf_file() {
    let before = data("crlf.cf");
    let mut doc = Document::new(&before);
    doc.remove_block(&Scope::virtual_service("intranet-ssh")).expect("exists");
    let after = doc.text();
    let start = before.find("\r\nvirtual intranet-ssh {").expect("block in file");
    // The blank line before the block and the block itself, up to the end.
    assert_eq!(after, before[..start]);
    assert!(after.ends_with("}\r\n"));
    let c = ok("edited crlf.cf", &after).config;
    assert_eq!(rules(&c), data("crlf.rules").lines().take(3).map(|l| format!("{l}\n")).collect::<String>());
}

#[test]
fn add_a_virtual_block_to_crlf_file() {
    let before = data("crlf.cf");
    let mut doc = Document::new(&before);
    let settings = [("active", "1"), ("address", "192.0.2.101 eth0:2"), ("port", "443"), ("scheduler", "rr")];
    doc.add_block(&Scope::Global, BlockKind::Virtual, "intranet-tls", &settings).expect("new block");
    doc.add_block(
        &Scope::virtual_service("intranet-tls"),
        BlockKind::Server,
        "app1",
        &[("address", "10.0.5.1"), ("active", "1")],
    )
    .expect("new server");
    let after = doc.text();
    let added = after.strip_prefix(before.as_str()).expect("the file is only appended to");
    assert_eq!(
        added,
        "\r\nvirtual intranet-tls {\r\n\tactive = 1\r\n\taddress = 192.0.2.101 eth0:2\r\n\tport = 443\r\n\
         \tscheduler = rr\r\n\r\n\tserver app1 {\r\n\t\taddress = 10.0.5.1\r\n\t\tactive = 1\r\n\t}\r\n}\r\n"
    );
    let c = ok("edited crlf.cf", &after).config;
    let expected = format!(
        "{}-A -t 192.0.2.101:443 -s rr\n-a -t 192.0.2.101:443 -r 10.0.5.1:443 -m -w 1\n",
        data("crlf.rules")
    );
    assert_eq!(rules(&c), expected);
    let again = doc.add_block(&Scope::Global, BlockKind::Virtual, "intranet-tls", &[]);
    assert!(again.is_err(), "a second block of the same name is refused");
}

#[test]
fn add_a_server_block_inside_a_virtual_block() {
    let before = data("udp-dns.cf");
    let mut doc = Document::new(&before);
    doc.add_block(
        &Scope::virtual_service("dns-tcp"),
        BlockKind::Server,
        "ns3",
        &[("address", "172.20.0.13"), ("active", "1")],
    )
    .expect("new server");
    let after = doc.text();
    let expected = before.replacen(
        "\t\tweight = 2\n\t}\n}\n\nvirtual ntp",
        "\t\tweight = 2\n\t}\n\n\tserver ns3 {\n\t\taddress = 172.20.0.13\n\t\tactive = 1\n\t}\n}\n\nvirtual ntp",
        1,
    );
    assert_eq!(after, expected, "{}", diff::lines(&expected, &after));
    let c = ok("edited udp-dns.cf", &after).config;
    assert!(rules(&c).contains("-a -t 198.51.100.53:53 -r 172.20.0.13:53 -m -w 1\n-A -u 198.51.100.123:123"));
}

#[test]
fn edits_to_a_missing_block_are_refused_and_change_nothing() {
    let before = data("tunnel.cf");
    let mut doc = Document::new(&before);
    assert!(doc.set(&Scope::server("web", "nosuch"), "weight", "2").is_err());
    assert!(doc.set(&Scope::virtual_service("nosuch"), "active", "1").is_err());
    assert!(doc.remove_block(&Scope::Global).is_err());
    assert_eq!(doc.text(), before);
}
