//! `lvsctl apply`: make the kernel's IPVS table equal to what lvs.cf asks
//! for, by reconciling (never flushing), and `lvsctl syncd`.

use std::io::Write;

use ipvs::{DaemonState, IpvsKernel, SyncDaemon, Table, Timeouts, plan};
use lvs_config::Config;
use lvs_config::desired::desired_table;

/// How `apply` reports.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApplyOptions {
    /// Print the operations without performing them.
    pub dry_run: bool,
    /// Print each operation performed.
    pub verbose: bool,
}

/// The timeouts to set (`ipvsadm --set`), if the config asks for a change:
/// zero fields are left as they are, as the original's `--set 0 0 0` does.
pub fn timeouts_change(config: &Config, current: &Timeouts) -> Option<Timeouts> {
    let (tcp, tcp_fin, udp) = config.ipvs_timeouts();
    let wanted = Timeouts { tcp, tcp_fin, udp };
    let differs = |want: u32, have: u32| want != 0 && want != have;
    (differs(tcp, current.tcp) || differs(tcp_fin, current.tcp_fin) || differs(udp, current.udp))
        .then_some(wanted)
}

/// Reconciles `kernel` with `config`; prints operations as asked and ends
/// with `N changes`. Returns 0, or 1 when the kernel refused something.
///
/// # Errors
/// When the kernel cannot be read or talked to, or output fails.
pub fn apply(
    kernel: &mut dyn IpvsKernel,
    config: &Config,
    options: ApplyOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let desired: Table = desired_table(config);
    let actual = kernel.snapshot()?;
    let ops = plan(&desired, &actual);
    let timeouts = timeouts_change(config, &kernel.timeouts()?);
    let changes = ops.len() + usize::from(timeouts.is_some());
    if options.dry_run || options.verbose {
        if let Some(t) = &timeouts {
            writeln!(out, "--set {} {} {}", t.tcp, t.tcp_fin, t.udp)?;
        }
        for op in &ops {
            writeln!(out, "{op}")?;
        }
    }
    if options.dry_run {
        writeln!(out, "{changes} change{} (dry run)", if changes == 1 { "" } else { "s" })?;
        return Ok(0);
    }
    let mut failed = 0;
    if let Some(t) = &timeouts
        && let Err(e) = kernel.set_timeouts(t)
    {
        writeln!(err, "lvsctl: --set {} {} {}: {e}", t.tcp, t.tcp_fin, t.udp)?;
        failed += 1;
    }
    let report = kernel.apply(&ops)?;
    for f in &report.failures {
        writeln!(err, "lvsctl: {f}")?;
    }
    failed += report.failures.len();
    let done = changes - failed;
    writeln!(out, "{done} change{}", if done == 1 { "" } else { "s" })?;
    if failed > 0 {
        writeln!(err, "lvsctl: {failed} change{} refused by the kernel", if failed == 1 { "" } else { "s" })?;
        return Ok(1);
    }
    Ok(0)
}

/// The sync daemon lvs.cf describes (`syncd_iface`, `syncd_id & 0xff`).
pub fn sync_daemon(config: &Config, state: DaemonState) -> SyncDaemon {
    SyncDaemon { state, interface: config.syncd_iface.clone(), sync_id: u32::from(config.sync_id()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipvs::fake::FakeKernel;

    const CONFIG: &str = "primary = 192.0.2.1\ntcp_timeout = 600\nvirtual www {\n active = 1\n \
        address = 192.0.2.10 eth0:1\n server a {\n  address = 10.0.0.1\n  active = 1\n }\n \
        server b {\n  address = 10.0.0.2\n  active = 1\n  weight = 3\n }\n}\n";

    fn config(src: &str) -> Config {
        lvs_config::parse(src).expect("valid").config
    }

    fn run(kernel: &mut FakeKernel, src: &str, options: ApplyOptions) -> (u8, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = apply(kernel, &config(src), options, &mut out, &mut err).expect("kernel reachable");
        (code, String::from_utf8_lossy(&out).into_owned(), String::from_utf8_lossy(&err).into_owned())
    }

    #[test]
    fn first_apply_builds_everything_second_is_a_no_op() {
        let mut k = FakeKernel::default();
        let (code, out, _) = run(&mut k, CONFIG, ApplyOptions { verbose: true, ..ApplyOptions::default() });
        assert_eq!(code, 0);
        assert!(out.starts_with("--set 600 0 0\n-A -t 192.0.2.10:80 -s wlc\n"), "{out}");
        assert!(out.ends_with("4 changes\n"), "{out}");
        assert_eq!(k.snapshot().expect("fake").to_rules(), desired_table(&config(CONFIG)).to_rules());
        let (code, out, _) = run(&mut k, CONFIG, ApplyOptions::default());
        assert_eq!((code, out.as_str()), (0, "0 changes\n"));
    }

    #[test]
    fn dry_run_changes_nothing() {
        let mut k = FakeKernel::default();
        let (code, out, _) = run(&mut k, CONFIG, ApplyOptions { dry_run: true, verbose: false });
        assert_eq!(code, 0);
        assert!(out.ends_with("4 changes (dry run)\n"), "{out}");
        assert!(k.snapshot().expect("fake").services.is_empty());
    }

    #[test]
    fn one_weight_change_is_one_edit() {
        let mut k = FakeKernel::default();
        run(&mut k, CONFIG, ApplyOptions::default());
        let changed = CONFIG.replace("weight = 3", "weight = 5");
        let (code, out, _) = run(&mut k, &changed, ApplyOptions { verbose: true, ..ApplyOptions::default() });
        assert_eq!(code, 0);
        assert_eq!(out, "-e -t 192.0.2.10:80 -r 10.0.0.2:80 -m -w 5\n1 change\n");
    }

    #[test]
    fn foreign_entries_are_removed() {
        let mut k = FakeKernel::default();
        let other = CONFIG.replace("192.0.2.10", "192.0.2.99");
        run(&mut k, &other, ApplyOptions::default());
        let (code, out, _) = run(&mut k, CONFIG, ApplyOptions::default());
        assert_eq!(code, 0);
        assert_eq!(out, "4 changes\n");
        assert_eq!(k.snapshot().expect("fake").to_rules(), desired_table(&config(CONFIG)).to_rules());
    }

    #[test]
    fn timeouts_zero_means_unchanged() {
        let c = config("tcp_timeout = 0\nudp_timeout = 30\n");
        let current = Timeouts { tcp: 900, tcp_fin: 120, udp: 300 };
        assert_eq!(timeouts_change(&c, &current), Some(Timeouts { tcp: 0, tcp_fin: 0, udp: 30 }));
        let same = Timeouts { udp: 30, ..current };
        assert_eq!(timeouts_change(&c, &same), None);
    }

    #[test]
    fn sync_daemon_from_config() {
        let c = config("syncd_iface = eth1\nsyncd_id = 0x107\n");
        let d = sync_daemon(&c, DaemonState::Master);
        assert_eq!((d.interface.as_str(), d.sync_id), ("eth1", 7));
    }
}
