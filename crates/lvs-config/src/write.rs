//! Writes a [`Config`] as a fresh, canonical lvs.cf: settings that differ
//! from the defaults, in keyword-table order, one block per service.
//!
//! `parse(&write(&config))` gives `config` back (tested as a property). To
//! change an existing file without disturbing it, use [`crate::Document`].

use std::fmt::Write as _;
use std::time::Duration;

use crate::model::{
    Config, DEFAULT_CLIENT_MONITOR, DEFAULT_IPVSADM, ForwardingMethod, Protocol, QuotedText, RealServer,
    ReservationConflictAction, ServiceType, VirtualService,
};

/// A token for `value`: bare when that reads back the same, else quoted.
///
/// The tokenizer looks for the closing quote from the first blank of a
/// quoted word on (spec §1.1 rule 6), so a quote character *before* that
/// blank is harmless and one after it ends the token early. Double quotes
/// are used unless the value holds a `"` after its first blank; then single
/// quotes. A value needing quotes must contain a blank, or stand last on
/// its line, to read back (every value the parser can produce does).
pub fn token(value: &str) -> String {
    let needs_quotes = value.is_empty() || value.contains([' ', '\t']) || value.starts_with(['"', '\'']);
    if !needs_quotes {
        return value.to_owned();
    }
    let after_blank = value.find([' ', '\t']).map_or("", |i| &value[i..]);
    let q = if after_blank.contains('"') { '\'' } else { '"' };
    format!("{q}{value}{q}")
}

fn quoted(q: &QuotedText) -> String {
    match q.quote {
        Some(c) => format!("{c}{}{c}", q.text),
        None => q.text.clone(),
    }
}

/// Seconds as the shortest text that reads back the same.
pub fn seconds(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        d.as_secs().to_string()
    } else {
        let text = format!("{}.{:09}", d.as_secs(), d.subsec_nanos());
        text.trim_end_matches('0').to_owned()
    }
}

struct Out {
    text: String,
    indent: &'static str,
}

impl Out {
    fn set(&mut self, key: &str, value: impl AsRef<str>) {
        let _ = writeln!(self.text, "{}{key} = {}", self.indent, value.as_ref());
    }

    fn flag(&mut self, key: &str, value: bool, default: bool) {
        if value != default {
            self.set(key, if value { "1" } else { "0" });
        }
    }
}

/// The canonical text of `config`.
pub fn write(config: &Config) -> String {
    let d = Config::default();
    let c = config;
    let mut out = Out { text: String::new(), indent: "" };
    if c.serial_no != d.serial_no {
        out.set("serial_no", c.serial_no.to_string());
    }
    if c.service == ServiceType::Fos {
        out.set("service", "fos");
    }
    let addrs = [
        ("primary", c.primary),
        ("primary_private", c.primary_private),
        ("backup", c.backup),
        ("backup_private", c.backup_private),
    ];
    for (key, value) in addrs {
        if let Some(a) = value {
            out.set(key, a.to_string());
        }
    }
    for (key, value) in [("primary_shared", &c.primary_shared), ("backup_shared", &c.backup_shared)] {
        if let Some(v) = value {
            out.set(key, token(v));
        }
    }
    out.flag("backup_active", c.backup_active, false);
    out.flag("heartbeat", c.heartbeat, false);
    if c.heartbeat_port != d.heartbeat_port {
        out.set("heartbeat_port", c.heartbeat_port.to_string());
    }
    if let Some(key) = &c.heartbeat_key {
        out.set("heartbeat_key", token(key));
    }
    if c.keepalive != d.keepalive {
        out.set("keepalive", seconds(c.keepalive));
    }
    if c.deadtime != d.deadtime {
        out.set("deadtime", seconds(c.deadtime));
    }
    match c.network {
        ForwardingMethod::Nat => {}
        ForwardingMethod::Direct => out.set("network", "direct"),
        ForwardingMethod::Tunnel => out.set("network", "tunnel"),
    }
    if let Some(n) = &c.nat_router {
        out.set("nat_router", format!("{} {}", n.addr, token(&n.device)));
    }
    if let Some(m) = c.nat_nmask {
        out.set("nat_nmask", m.to_string());
    }
    if c.ipvsadm != DEFAULT_IPVSADM {
        out.set("ipvsadm", token(&c.ipvsadm));
    }
    if c.rsh_command != d.rsh_command {
        out.set("rsh_command", token(&c.rsh_command));
    }
    out.flag("syncdaemon", c.syncdaemon, false);
    if c.syncd_iface != d.syncd_iface {
        out.set("syncd_iface", token(&c.syncd_iface));
    }
    if c.syncd_id != 0 {
        out.set("syncd_id", c.syncd_id.to_string());
    }
    for (key, value) in
        [("tcp_timeout", c.tcp_timeout), ("tcpfin_timeout", c.tcpfin_timeout), ("udp_timeout", c.udp_timeout)]
    {
        if value != 0 {
            out.set(key, value.to_string());
        }
    }
    for (key, value) in [("active_cmd", &c.active_cmd), ("inactive_cmd", &c.inactive_cmd)] {
        if let Some(v) = value {
            out.set(key, token(v));
        }
    }
    if c.monitor_links != 0 {
        out.set("monitor_links", c.monitor_links.to_string());
    }
    out.flag("hard_shutdown", c.hard_shutdown, true);
    if c.debug_level != d.debug_level {
        out.set("debug_level", token(&c.debug_level));
    }
    out.flag("sync", c.sync, false);
    match c.reservation_conflict_action {
        Some(ReservationConflictAction::Nothing) => out.set("reservation_conflict_action", "nothing"),
        Some(ReservationConflictAction::Preempt) => out.set("reservation_conflict_action", "preempt"),
        None => {}
    }
    for v in &c.virtual_services {
        block(&mut out, "virtual", v);
    }
    for v in &c.failover_services {
        block(&mut out, "failover", v);
    }
    if out.text.is_empty() {
        // An empty file is an error (`Empty configuration`); say why it is short.
        out.text.push_str("# every setting at its default\n");
    }
    out.text
}

fn block(out: &mut Out, keyword: &str, v: &VirtualService) {
    let d = VirtualService::new("");
    let _ = writeln!(out.text, "\n{keyword} {} {{", token(&v.name));
    out.indent = "\t";
    out.flag("active", v.active, false);
    if let Some(a) = &v.address {
        out.set("address", format!("{} {}", a.addr, token(&a.device)));
    }
    if let Some(m) = v.vip_nmask {
        out.set("vip_nmask", m.to_string());
    }
    if v.port != d.port {
        out.set("port", v.port.to_string());
    }
    if v.protocol == Protocol::Udp {
        out.set("protocol", "udp");
    }
    if let Some(m) = v.fwmark {
        out.set("fwmark", m.to_string());
    }
    if v.scheduler != d.scheduler {
        out.set("scheduler", v.scheduler.name());
    }
    if v.persistent != 0 {
        out.set("persistent", v.persistent.to_string());
    }
    if let Some(m) = v.pmask {
        out.set("pmask", m.to_string());
    }
    if v.timeout != d.timeout {
        out.set("timeout", v.timeout.to_string());
    }
    if v.reentry != d.reentry {
        out.set("reentry", v.reentry.to_string());
    }
    for (key, value) in [("send", &v.send), ("expect", &v.expect), ("send_program", &v.send_program)] {
        if let Some(q) = value {
            out.set(key, quoted(q));
        }
    }
    out.flag("use_regex", v.use_regex, false);
    if let Some(l) = &v.load_monitor {
        out.set("load_monitor", token(l));
    }
    out.flag("quiesce_server", v.quiesce_server, false);
    if let Some(s) = v.sorry_server {
        out.set("sorry_server", s.to_string());
    }
    if v.client_monitor != DEFAULT_CLIENT_MONITOR {
        out.set("client_monitor", token(&v.client_monitor));
    }
    for (key, value) in [("start_cmd", &v.start_cmd), ("stop_cmd", &v.stop_cmd)] {
        if let Some(q) = value {
            out.set(key, quoted(q));
        }
    }
    if let Some(m) = v.master {
        out.set("master", m.to_string());
    }
    if let Some(dirs) = &v.dirs {
        let items: Vec<String> = dirs.iter().map(|d| token(d)).collect();
        let body = if items.is_empty() { String::new() } else { format!("{} ", items.join(" ")) };
        out.set("dirs", format!("[ {body}]"));
    }
    for s in &v.servers {
        server(out, v.port, s);
    }
    out.indent = "";
    out.text.push_str("}\n");
}

fn server(out: &mut Out, virtual_port: u16, s: &RealServer) {
    let _ = writeln!(out.text, "\n\tserver {} {{", token(&s.name));
    out.indent = "\t\t";
    if let Some(a) = s.address {
        out.set("address", a.to_string());
    }
    out.flag("active", s.active, false);
    if s.weight != 1 {
        out.set("weight", s.weight.to_string());
    }
    if s.port != virtual_port {
        out.set("port", s.port.to_string());
    }
    out.indent = "\t";
    out.text.push_str("\t}\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_quoted_only_when_needed() {
        assert_eq!(token("eth0:1"), "eth0:1");
        assert_eq!(token("/bin/true arg"), "\"/bin/true arg\"");
        assert_eq!(token(""), "\"\"");
        assert_eq!(token("#x"), "#x");
        assert_eq!(token("a \"b"), "'a \"b'");
        assert_eq!(token("a\" b"), "\"a\" b\"");
    }

    #[test]
    fn seconds_text() {
        assert_eq!(seconds(Duration::from_secs(2)), "2");
        assert_eq!(seconds(Duration::from_millis(50)), "0.05");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5");
    }

    #[test]
    fn default_config_writes_a_comment() {
        assert_eq!(write(&Config::default()), "# every setting at its default\n");
        assert_eq!(crate::parse(&write(&Config::default())).map(|p| p.config), Ok(Config::default()));
    }
}
