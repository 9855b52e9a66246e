//! Semantic checks after parsing: what the original accepted silently but
//! an operator wants to hear about, and what would break at run time.

use std::collections::HashMap;
use std::time::Duration;

use crate::desired;
use crate::diag::Diagnostic;
use crate::lex::LineEnding;

/// A real server's identity in IPVS: address and (normalised) port.
type Destination = (std::net::IpAddr, u16);
use crate::model::{Config, ForwardingMethod, ServiceType, VirtualService};
use crate::parse::{BlockOrigin, ORIGINAL_SCHEDULERS, Origins};

/// Runs every check; returns errors and warnings.
pub(crate) fn check(config: &Config, origins: &Origins<'_>, src: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    line_endings(src, &mut out);
    global(config, origins, &mut out);
    let mut identities: HashMap<ipvs::ServiceKey, (&str, usize)> = HashMap::new();
    let mut vip_devices: HashMap<std::net::IpAddr, (&str, usize)> = HashMap::new();
    for (v, origin) in config.virtual_services.iter().zip(&origins.virtuals) {
        if !v.active {
            continue;
        }
        virtual_service(config, v, origin, &mut out);
        if let Some(key) = desired::service_key(v)
            && let Some((other, line)) = identities.insert(key, (&v.name, origin.header))
        {
            out.push(Diagnostic::semantic_error(
                origin.header,
                format!(
                    "active virtual services `{other}` (line {line}) and `{}` are the same IPVS service ({key})",
                    v.name
                ),
            ));
        }
        if let Some(a) = &v.address {
            let line = origin.line_of("address");
            match vip_devices.get(&a.addr) {
                Some((device, first)) if *device != a.device => out.push(Diagnostic::warning(
                    line,
                    format!(
                        "VIP {} is also configured on `{device}` (line {first}); the first one is used",
                        a.addr
                    ),
                )),
                Some(_) => {}
                None => {
                    vip_devices.insert(a.addr, (&a.device, line));
                }
            }
        }
    }
    if config.service == ServiceType::Lvs && config.active_virtual_services().next().is_none() {
        out.push(Diagnostic::warning(
            0,
            "no active virtual service: pulse would exit with `no active lvs services defined`",
        ));
    }
    out
}

fn line_endings(src: &str, out: &mut Vec<Diagnostic>) {
    if !src.contains('\r') {
        return;
    }
    let lines = crate::lex::split_lines(src);
    if let Some(index) = lines.iter().position(|l| matches!(l.ending, LineEnding::CrLf | LineEnding::Cr)) {
        out.push(Diagnostic::warning(
            index + 1,
            "CR (\\r) line endings: read correctly here, but the original pulse and lvsd 0.8.6 \
             would misread this file (spec §8 #1); convert it to LF line endings for a mixed pair",
        ));
    }
}

fn is_whole_seconds(d: Duration) -> bool {
    d.subsec_nanos() == 0
}

fn global(c: &Config, o: &Origins<'_>, out: &mut Vec<Diagnostic>) {
    let line = |key: &str| o.global.get(key).unwrap_or(0);
    if c.primary.is_none() && c.service == ServiceType::Lvs {
        out.push(Diagnostic::warning(
            0,
            "no `primary` address: pulse cannot tell which router is the primary",
        ));
    }
    if c.backup_active && !c.has_backup() {
        out.push(Diagnostic::warning(
            line("backup_active"),
            "`backup_active = 1` without a `backup` address: pulse says \
             `Undefined backup node marked as active? -- clearing that!`",
        ));
    }
    if c.primary_private.is_some() && c.backup_private.is_none() {
        let message = "`primary_private` without `backup_private`: the backup router would bind 0.0.0.0 \
                       for its private heartbeat and fail; set both or neither";
        out.push(if c.has_backup() {
            Diagnostic::semantic_error(line("primary_private"), message)
        } else {
            Diagnostic::warning(line("primary_private"), message)
        });
    }
    if c.backup_private.is_some() && c.primary_private.is_none() && c.primary.is_some() {
        out.push(Diagnostic::warning(
            line("backup_private"),
            "`backup_private` is ignored unless `primary_private` is also set (spec §1.7)",
        ));
    }
    if c.keepalive.is_zero() {
        out.push(Diagnostic::semantic_error(line("keepalive"), "`keepalive` must be greater than 0"));
    } else if c.keepalive >= c.deadtime {
        out.push(Diagnostic::warning(
            line("deadtime").max(line("keepalive")),
            format!(
                "`deadtime` ({:?}) is not longer than `keepalive` ({:?}): the partner is declared dead \
                 between two heartbeats",
                c.deadtime, c.keepalive
            ),
        ));
    }
    for (key, value) in [("keepalive", c.keepalive), ("deadtime", c.deadtime)] {
        if !is_whole_seconds(value) {
            out.push(Diagnostic::warning(
                line(key),
                format!("decimal `{key}` is an extension: the original pulse rejects this file"),
            ));
        }
    }
    if c.heartbeat_port == 0 && c.has_backup() {
        out.push(Diagnostic::semantic_error(line("heartbeat_port"), "`heartbeat_port` cannot be 0"));
    }
    if let Some(key) = &c.heartbeat_key {
        if !key.starts_with('/') {
            out.push(Diagnostic::semantic_error(
                line("heartbeat_key"),
                format!("`heartbeat_key` must be an absolute path, not `{key}`"),
            ));
        } else if c.has_backup() {
            out.push(Diagnostic::warning(
                line("heartbeat_key"),
                "`heartbeat_key` is an extension: heartbeats are authenticated and the original pulse \
                 cannot be the partner any more; set it on both routers together",
            ));
        }
    }
    if c.nat_router.is_some() && c.network != ForwardingMethod::Nat {
        out.push(Diagnostic::warning(line("nat_router"), "`nat_router` is only used with `network = nat`"));
    }
}

fn virtual_service(c: &Config, v: &VirtualService, o: &BlockOrigin<'_>, out: &mut Vec<Diagnostic>) {
    let name = &v.name;
    match &v.address {
        None => out.push(Diagnostic::semantic_error(
            o.header,
            format!("active virtual service `{name}` has no `address = VIP DEVICE`"),
        )),
        Some(a) if !a.device.contains(':') => out.push(Diagnostic::warning(
            o.line_of("address"),
            format!(
                "device `{}` is a bare interface name: the original pulse runs `ifconfig {} down` on release; \
                 use an alias label such as `{}:1`",
                a.device, a.device, a.device
            ),
        )),
        Some(_) => {}
    }
    if v.timeout == 0 {
        out.push(Diagnostic::semantic_error(o.line_of("timeout"), "`timeout` must be at least 1 second"));
    }
    if !ORIGINAL_SCHEDULERS.contains(&v.scheduler.name()) {
        out.push(Diagnostic::warning(
            o.line_of("scheduler"),
            format!("scheduler `{}` is an extension: the original lvsd rejects this file", v.scheduler),
        ));
    }
    if v.fwmark.is_some() && v.persistent == 0 {
        out.push(Diagnostic::warning(
            o.line_of("fwmark"),
            format!("firewall-mark service `{name}` has no `persistent`: multi-port protocols such as FTP need persistence"),
        ));
    }
    if v.fwmark.is_none() && v.port == 0 && v.persistent == 0 {
        out.push(Diagnostic::semantic_error(
            o.line_of("port"),
            format!("`{name}`: port 0 needs `persistent` (ipvsadm: Zero port specified for non-persistent service)"),
        ));
    }
    if v.pmask.is_some() && v.persistent == 0 {
        out.push(Diagnostic::warning(o.line_of("pmask"), "`pmask` has no effect without `persistent`"));
    }
    if v.send.as_ref().is_some_and(|s| s.quote == Some('\'')) {
        out.push(Diagnostic::warning(
            o.line_of("send"),
            "`send` in single quotes: the quotes themselves are sent too (the original keeps them); use double quotes",
        ));
    }
    if v.send_program.is_some() && v.send.is_some() {
        out.push(Diagnostic::warning(o.line_of("send"), "`send` is ignored because `send_program` is set"));
    }
    if v.use_regex && v.expect.is_none() {
        out.push(Diagnostic::warning(o.line_of("use_regex"), "`use_regex = 1` without `expect`"));
    }
    if v.active_servers().next().is_none() {
        out.push(Diagnostic::warning(
            o.header,
            format!("active virtual service `{name}` has no active real server"),
        ));
    }
    // A service has a handful of real servers: a vector is cheaper than a map.
    let mut seen: Vec<(Destination, (&str, usize))> = Vec::new();
    for (s, so) in v.servers.iter().zip(&o.servers) {
        if !s.active {
            continue;
        }
        let Some(addr) = s.address else {
            out.push(Diagnostic::semantic_error(
                so.header,
                format!("active real server `{}` has no `address`", s.name),
            ));
            continue;
        };
        if !(0..=65535).contains(&s.weight) {
            out.push(Diagnostic::semantic_error(
                so.line_of("weight"),
                format!("weight {} of `{}` is outside 0-65535", s.weight, s.name),
            ));
        }
        let port = desired::real_port(c.network, v, s);
        if port != s.port && so.keys.contains_key("port") {
            out.push(Diagnostic::warning(
                so.line_of("port"),
                format!(
                    "real server port {} is ignored with `network = {}`: IPVS uses the virtual port {port}",
                    s.port,
                    if c.network == ForwardingMethod::Direct { "direct" } else { "tunnel" }
                ),
            ));
        }
        if let Some((_, (other, line))) = seen.iter().find(|(k, _)| *k == (addr, port)) {
            out.push(Diagnostic::semantic_error(
                so.header,
                format!(
                    "real servers `{other}` (line {line}) and `{}` are the same destination {addr}:{port}",
                    s.name
                ),
            ));
        } else {
            seen.push(((addr, port), (&s.name, so.header)));
        }
    }
}
