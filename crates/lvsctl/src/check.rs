//! `lvsctl check`.

use std::io::Write;
use std::path::Path;

/// Prints diagnostics and a summary; 0 when usable, 1 otherwise.
pub(crate) fn run(path: &Path, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<u8> {
    let Some(loaded) = crate::load(path, err)? else {
        return Ok(1);
    };
    let c = &loaded.parsed.config;
    let services = c.virtual_services.len();
    let active_services = c.active_virtual_services().count();
    let servers: usize = c.virtual_services.iter().map(|v| v.servers.len()).sum();
    let active_servers: usize = c.active_virtual_services().map(|v| v.active_servers().count()).sum();
    let warnings = loaded.parsed.warnings.len();
    let mut summary = format!(
        "{}: OK: {services} virtual service{} ({active_services} active), {servers} real server{} \
         ({active_servers} active in active services)",
        path.display(),
        plural(services),
        plural(servers),
    );
    if !c.failover_services.is_empty() {
        summary.push_str(&format!(
            ", {} failover service{}",
            c.failover_services.len(),
            plural(c.failover_services.len())
        ));
    }
    summary.push_str(&format!(", {warnings} warning{}", plural(warnings)));
    writeln!(out, "{summary}")?;
    Ok(0)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
