//! Tests of the editing writer: round trip, and edits that touch only what
//! they must.

use super::*;
use crate::parse::parse;

const FILE: &str = "# pair\nprimary = 192.0.2.1\n\nvirtual www {\n    active = 1\n    address = 192.0.2.10 eth0:1\n\n    server a {\n        address = 10.0.0.1\n        active   =   1\n        weight =  3   \n    }\n}\n";

fn changed_lines(before: &str, after: &str) -> Vec<(usize, String)> {
    let a: Vec<&str> = before.split_inclusive('\n').collect();
    let b: Vec<&str> = after.split_inclusive('\n').collect();
    assert_eq!(a.len(), b.len(), "line count changed:\n{after}");
    a.iter()
        .zip(&b)
        .enumerate()
        .filter(|(_, (x, y))| x != y)
        .map(|(i, (_, y))| (i + 1, (*y).to_owned()))
        .collect()
}

#[test]
fn text_is_byte_identical() {
    for src in [FILE, "", "a", "a\r\nb\rc\n", "\n\n", "x = \"a b\"  \t\r\n# c\n"] {
        assert_eq!(Document::new(src).text(), src);
    }
}

#[test]
fn set_replaces_only_the_value() {
    let mut d = Document::new(FILE);
    d.set(&Scope::server("www", "a"), "weight", "7").expect("server exists");
    assert_eq!(changed_lines(FILE, &d.text()), vec![(11, "        weight =  7   \n".to_owned())]);
    d.set(&Scope::server("www", "a"), "active", "0").expect("server exists");
    assert_eq!(changed_lines(FILE, &d.text())[0], (10, "        active   =   0\n".to_owned()));
    let c = parse(&d.text()).expect("still parses").config;
    assert_eq!(c.virtual_services[0].servers[0].weight, 7);
}

#[test]
fn set_replaces_the_setting_in_force() {
    let src = "keepalive = 1\nkeepalive = 2\n";
    let mut d = Document::new(src);
    d.set(&Scope::Global, "keepalive", "3").expect("global");
    assert_eq!(d.text(), "keepalive = 1\nkeepalive = 3\n");
}

#[test]
fn set_multi_word_values() {
    let mut d = Document::new(FILE);
    d.set(&Scope::virtual_service("www"), "address", "192.0.2.99 eth0:7").expect("virtual exists");
    assert_eq!(changed_lines(FILE, &d.text()), vec![(6, "    address = 192.0.2.99 eth0:7\n".to_owned())]);
}

#[test]
fn set_adds_a_missing_key_before_the_server_blocks() {
    let mut d = Document::new(FILE);
    d.set(&Scope::virtual_service("www"), "port", "8080").expect("virtual exists");
    let text = d.text();
    assert!(text.contains("    address = 192.0.2.10 eth0:1\n    port = 8080\n\n    server a {"), "{text}");
    // Added before the server, so the server inherits it (spec §1.5).
    assert_eq!(parse(&text).expect("parses").config.virtual_services[0].servers[0].port, 8080);
}

#[test]
fn set_adds_global_keys_before_the_first_block() {
    let mut d = Document::new(FILE);
    d.set(&Scope::Global, "backup", "192.0.2.2").expect("global");
    assert!(d.text().starts_with("# pair\nprimary = 192.0.2.1\nbackup = 192.0.2.2\n\nvirtual www {"));
    let mut d = Document::new("virtual v {\n}\n");
    d.set(&Scope::Global, "primary", "192.0.2.1").expect("global");
    assert_eq!(d.text(), "primary = 192.0.2.1\nvirtual v {\n}\n");
}

#[test]
fn set_in_empty_server_block_indents_from_header() {
    let mut d = Document::new("virtual v {\n\tserver s {\n\t}\n}\n");
    d.set(&Scope::server("v", "s"), "weight", "2").expect("server");
    assert_eq!(d.text(), "virtual v {\n\tserver s {\n\t\tweight = 2\n\t}\n}\n");
}

#[test]
fn edits_keep_crlf_and_missing_final_newline() {
    let src = "virtual v {\r\n\tactive = 1\r\n}";
    let mut d = Document::new(src);
    d.set(&Scope::virtual_service("v"), "port", "81").expect("virtual");
    assert_eq!(d.text(), "virtual v {\r\n\tactive = 1\r\n\tport = 81\r\n}");
    let mut d = Document::new("primary = 192.0.2.1");
    d.set(&Scope::Global, "backup", "192.0.2.2").expect("global");
    assert_eq!(d.text(), "primary = 192.0.2.1\nbackup = 192.0.2.2");
}

#[test]
fn remove_key() {
    let mut d = Document::new(FILE);
    assert_eq!(d.remove(&Scope::server("www", "a"), "weight"), Ok(true));
    assert_eq!(d.remove(&Scope::server("www", "a"), "weight"), Ok(false));
    assert!(!d.text().contains("weight"));
    assert_eq!(d.text().lines().count(), FILE.lines().count() - 1);
}

#[test]
fn remove_block_takes_its_lines_and_the_blank_before() {
    let mut d = Document::new(FILE);
    d.remove_block(&Scope::server("www", "a")).expect("server exists");
    assert_eq!(
        d.text(),
        "# pair\nprimary = 192.0.2.1\n\nvirtual www {\n    active = 1\n    address = 192.0.2.10 eth0:1\n}\n"
    );
    d.remove_block(&Scope::virtual_service("www")).expect("virtual exists");
    assert_eq!(d.text(), "# pair\nprimary = 192.0.2.1\n");
}

#[test]
fn add_blocks() {
    let mut d = Document::new(FILE);
    d.add_block(
        &Scope::virtual_service("www"),
        BlockKind::Server,
        "b",
        &[("address", "10.0.0.2"), ("active", "1")],
    )
    .expect("added");
    d.add_block(&Scope::Global, BlockKind::Virtual, "dns", &[("active", "0"), ("protocol", "udp")])
        .expect("added");
    let text = d.text();
    assert!(text.ends_with(
        "    }\n\n    server b {\n    \taddress = 10.0.0.2\n    \tactive = 1\n    }\n}\n\nvirtual dns {\n\tactive = 0\n\tprotocol = udp\n}\n"
    ), "{text}");
    let c = parse(&text).expect("parses").config;
    assert_eq!(c.virtual_services.len(), 2);
    assert_eq!(c.virtual_services[0].servers.len(), 2);
    assert_eq!(
        d.add_block(&Scope::Global, BlockKind::Virtual, "dns", &[]),
        Err(EditError::BlockExists("dns".into()))
    );
    assert_eq!(
        d.add_block(&Scope::Global, BlockKind::Server, "x", &[]),
        Err(EditError::WrongParent("server"))
    );
}

#[test]
fn missing_blocks_are_errors() {
    let mut d = Document::new(FILE);
    assert!(matches!(d.set(&Scope::virtual_service("nope"), "port", "1"), Err(EditError::NoSuchBlock(_))));
    assert!(matches!(d.remove_block(&Scope::server("www", "zz")), Err(EditError::NoSuchBlock(_))));
    assert!(matches!(d.remove_block(&Scope::Global), Err(EditError::NoSuchBlock(_))));
    assert_eq!(d.text(), FILE);
}
