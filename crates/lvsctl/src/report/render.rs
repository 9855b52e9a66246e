//! The report as text for administrators (pure).
//!
//! A summary of the router, then the table in the shape of `ipvsadm -Ln`
//! with lvsd's names and nanny's verdicts beside each entry:
//!
//! ```text
//! router   primary 192.0.2.1: active for 2m13s
//! partner  192.0.2.2: inactive, heard 0.4 s ago
//! VIPs     192.0.2.100/32 on eth0:1
//! pulse    pid 812
//! lvsd     pid 820, active, /etc/sysconfig/ha/lvs.cf
//! nanny    pid 830 (web)
//!
//! TCP  192.0.2.100:80 wlc                      web, nanny 830
//!   -> 192.0.2.11:80          Route   1        up for 2m10s, probe ok
//!   -> 192.0.2.12:80          -       -        down for 5 s, probe failed: CONNECT to 192.0.2.12:80 timed out
//! ```

use std::fmt::Write;

use status::model::{Endpoint, Health, LvsdMode, RouterRole, RouterState};

use super::{MergedServer, MergedService, Report, Summary};

/// `seconds` for people: `0.4 s`, `45 s`, `12m05s`, `3h12m`, `2d04h`.
pub fn duration(seconds: f64) -> String {
    let seconds = seconds.max(0.0);
    if seconds < 10.0 {
        return format!("{seconds:.1} s");
    }
    // Whole seconds from here; the clamp keeps the cast in range.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let s = seconds.min(1e15) as u64;
    match s {
        0..120 => format!("{s} s"),
        120..7200 => format!("{}m{:02}s", s / 60, s % 60),
        7200..172_800 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{:02}h", s / 86400, s % 86400 / 3600),
    }
}

fn state_word(state: RouterState) -> &'static str {
    match state {
        RouterState::Active => "active",
        RouterState::Inactive => "inactive",
    }
}

fn summary_word(summary: Summary) -> &'static str {
    match summary {
        Summary::Active => "active",
        Summary::Standby => "standby (inactive, lvsd ready to take over)",
        Summary::Inactive => "inactive",
        Summary::Unknown => "unknown (neither pulse nor lvsd answers)",
    }
}

/// The text of `report`.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let now = report.time;
    let router = &report.router;
    let role = match router.role {
        Some(RouterRole::Primary) => "primary ",
        Some(RouterRole::Backup) => "backup ",
        None => "",
    };
    let address = router.address.map(|a| format!("{a}: ")).unwrap_or_default();
    let since = router.state_since.map(|t| format!(" for {}", duration(now - t))).unwrap_or_default();
    let alone =
        if report.pulse.is_none() && report.lvsd.is_some() { " (lvsd runs without pulse)" } else { "" };
    let _ = writeln!(out, "router   {role}{address}{}{since}{alone}", summary_word(router.state));
    if router.link_failed {
        let _ = writeln!(out, "         a heartbeat interface has no link");
    }
    if let Some(p) = &report.partner {
        let heard = match (p.last_state, p.heard_seconds_ago) {
            (Some(state), Some(ago)) => format!("{}, heard {} ago", state_word(state), duration(ago)),
            (None, Some(ago)) => format!("heard {} ago", duration(ago)),
            _ => "never heard".to_owned(),
        };
        let _ = writeln!(out, "partner  {}: {heard}", p.address);
    }
    if report.pulse.is_some() {
        let vips: Vec<String> =
            report.vips.iter().map(|v| format!("{}/{} on {}", v.address, v.prefix_len, v.label)).collect();
        let _ =
            writeln!(out, "VIPs     {}", if vips.is_empty() { "none".to_owned() } else { vips.join(", ") });
    }
    match &report.pulse {
        Some(p) => _ = writeln!(out, "pulse    pid {}", p.pid),
        None => _ = writeln!(out, "pulse    not answering"),
    }
    match &report.lvsd {
        Some(l) => {
            let mode = match l.mode {
                LvsdMode::Active => "active",
                LvsdMode::Standby => "standby",
            };
            let test = if l.test_start { " (--test-start)" } else { "" };
            let _ = writeln!(out, "lvsd     pid {}, {mode}{test}, {}", l.pid, l.config);
        }
        None => _ = writeln!(out, "lvsd     not answering"),
    }
    for n in &report.nannies {
        let _ = writeln!(out, "nanny    pid {} ({})", n.pid, n.service);
    }
    if !report.kernel.read {
        let _ = writeln!(out, "\nIPVS table not read: {}", report.kernel.error.as_deref().unwrap_or("?"));
    }
    if !report.services.is_empty() {
        out.push('\n');
    }
    for service in &report.services {
        render_service(&mut out, service, now);
    }
    out
}

fn render_service(out: &mut String, service: &MergedService, now: f64) {
    let mut head = format!("{} {}", service.id, service.scheduler);
    if let Some(timeout) = service.persistent {
        let _ = write!(head, " persistent {timeout}");
    }
    let mut notes = Vec::new();
    match &service.name {
        Some(name) => notes.push(name.clone()),
        None => notes.push("not managed by lvsd".to_owned()),
    }
    if let Some(pid) = service.nanny_pid {
        notes.push(format!("nanny {pid}"));
    } else if service.managed {
        notes.push("no nanny".to_owned());
    }
    if service.in_kernel == Some(false) {
        notes.push("not in the kernel".to_owned());
    }
    let _ = writeln!(out, "{head:<40} {}", notes.join(", "));
    for server in &service.real_servers {
        render_server(out, server, now);
    }
}

fn render_server(out: &mut String, server: &MergedServer, now: f64) {
    let endpoint = Endpoint(server.address, server.port).to_string();
    let forwarding = match server.forwarding.as_deref() {
        Some("route") => "Route",
        Some("masq") => "Masq",
        Some("tunnel") => "Tunnel",
        Some("local") => "Local",
        Some("bypass") => "Bypass",
        Some(other) => other,
        None => "-",
    };
    let weight = server.weight.map_or_else(|| "-".to_owned(), |w| w.to_string());
    let mut notes = Vec::new();
    if let Some(name) = &server.name {
        notes.push(name.clone());
    }
    if server.sorry {
        notes.push(
            if server.wanted == Some(true) { "sorry server, in use" } else { "sorry server" }.to_owned(),
        );
    }
    if let Some(health) = server.health {
        let word = match health {
            Health::Up => "up",
            Health::Down => "down",
            Health::Unknown => "unknown",
        };
        let since = server.health_since.map(|t| format!(" for {}", duration(now - t))).unwrap_or_default();
        notes.push(format!("{word}{since}"));
    }
    if let Some(probe) = &server.last_probe {
        notes.push(match (&probe.reason, probe.ok) {
            (_, true) => "probe ok".to_owned(),
            (Some(reason), false) => format!("probe failed: {reason}"),
            (None, false) => "probe failed".to_owned(),
        });
    }
    if !server.managed {
        notes.push("not known to lvsd".to_owned());
    } else if server.in_kernel == Some(false) && server.wanted == Some(true) {
        notes.push("missing from the kernel".to_owned());
    }
    let _ = writeln!(out, "  -> {endpoint:<22} {forwarding:<7} {weight:<6} {}", notes.join(", "));
}
