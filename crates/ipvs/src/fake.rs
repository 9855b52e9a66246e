//! An in-memory IPVS for tests of code that drives an [`IpvsKernel`].
//!
//! It answers like the kernel (`ip_vs_ctl.c`): adding an existing service or
//! real server is `EEXIST`, a missing service is `ESRCH`, a missing real
//! server or unknown scheduler/PE is `ENOENT`, a lower threshold above the
//! upper one is `ERANGE`, a weight above `i32::MAX` is `EINVAL`. It can also be
//! told to refuse the Nth operation.

use crate::error::{Errno, IpvsError};
use crate::kernel::{ApplyReport, IpvsKernel, OpFailure};
use crate::plan::Op;
use crate::settings::{DaemonState, SyncDaemon, Timeouts, stop_daemon_text};
use crate::table::{Destination, Scheduler, Service, Table};

/// The kernel's default timeouts (tcp 900 s, tcp fin 120 s, udp 300 s).
const DEFAULT_TIMEOUTS: Timeouts = Timeouts { tcp: 900, tcp_fin: 120, udp: 300 };

/// An in-memory IPVS table with kernel-like errors.
#[derive(Debug, Clone)]
pub struct FakeKernel {
    table: Table,
    timeouts: Timeouts,
    daemons: Vec<SyncDaemon>,
    ops_seen: usize,
    failures: Vec<(usize, Errno)>,
    log: Vec<Op>,
}

impl Default for FakeKernel {
    fn default() -> Self {
        FakeKernel::new(Table::default())
    }
}

impl FakeKernel {
    /// A kernel holding `table` (taken as is, like state left by another tool).
    pub fn new(table: Table) -> Self {
        FakeKernel {
            table,
            timeouts: DEFAULT_TIMEOUTS,
            daemons: Vec::new(),
            ops_seen: 0,
            failures: Vec::new(),
            log: Vec::new(),
        }
    }

    /// Refuse the operation with 0-based number `n`, counted over all
    /// [`IpvsKernel::apply`] calls since creation, with `errno`.
    pub fn fail_op(&mut self, n: usize, errno: Errno) {
        self.failures.push((n, errno));
    }

    /// The current table (in insertion order).
    pub fn table(&self) -> &Table {
        &self.table
    }

    /// Every operation that succeeded, in order.
    pub fn log(&self) -> &[Op] {
        &self.log
    }

    fn execute(&mut self, op: &Op) -> Result<(), Errno> {
        let services = &mut self.table.services;
        let position = services.iter().position(|s| &s.key == op.service());
        match (op, position) {
            (Op::AddService(_), Some(_)) => Err(Errno::EEXIST),
            (Op::AddService(s), None) => {
                check_service(s)?;
                services.push(Service { destinations: Vec::new(), ..s.clone() });
                Ok(())
            }
            (_, None) => Err(Errno::ESRCH),
            (Op::EditService(s), Some(i)) => {
                check_service(s)?;
                services[i] =
                    Service { destinations: std::mem::take(&mut services[i].destinations), ..s.clone() };
                Ok(())
            }
            (Op::DeleteService(_), Some(i)) => {
                services.remove(i);
                Ok(())
            }
            (Op::AddDestination(_, d), Some(i)) => {
                check_destination(d)?;
                let dests = &mut services[i].destinations;
                if dests.iter().any(|x| x.addr == d.addr && x.port == d.port) {
                    return Err(Errno::EEXIST);
                }
                dests.push(d.clone());
                Ok(())
            }
            (Op::EditDestination(_, d), Some(i)) => {
                check_destination(d)?;
                let slot = services[i].destinations.iter_mut().find(|x| x.addr == d.addr && x.port == d.port);
                *slot.ok_or(Errno::ENOENT)? = d.clone();
                Ok(())
            }
            (Op::DeleteDestination { addr, port, .. }, Some(i)) => {
                let dests = &mut services[i].destinations;
                let j = dests.iter().position(|x| x.addr == *addr && x.port == *port).ok_or(Errno::ENOENT)?;
                dests.remove(j);
                Ok(())
            }
        }
    }
}

fn check_service(service: &Service) -> Result<(), Errno> {
    if matches!(service.scheduler, Scheduler::Other(_)) {
        return Err(Errno::ENOENT);
    }
    match service.pe_name.as_deref() {
        None | Some("sip") => Ok(()),
        Some(_) => Err(Errno::ENOENT),
    }
}

fn check_destination(dest: &Destination) -> Result<(), Errno> {
    // The kernel keeps the weight in an int and refuses negative ones.
    if i32::try_from(dest.weight).is_err() {
        return Err(Errno::EINVAL);
    }
    if dest.lower_threshold > dest.upper_threshold {
        return Err(Errno::ERANGE);
    }
    Ok(())
}

fn rejected(request: &str, errno: Errno) -> IpvsError {
    IpvsError::Rejected { request: request.to_owned(), errno }
}

impl IpvsKernel for FakeKernel {
    fn snapshot(&mut self) -> Result<Table, IpvsError> {
        Ok(self.table.clone())
    }

    fn apply(&mut self, ops: &[Op]) -> Result<ApplyReport, IpvsError> {
        let mut report = ApplyReport { attempted: ops.len(), failures: Vec::new() };
        for (index, op) in ops.iter().enumerate() {
            let n = self.ops_seen;
            self.ops_seen += 1;
            let injected = self.failures.iter().find(|(at, _)| *at == n).map(|(_, e)| *e);
            match injected.map_or_else(|| self.execute(op), Err) {
                Ok(()) => self.log.push(op.clone()),
                Err(errno) => report.failures.push(OpFailure { index, op: op.clone(), errno }),
            }
        }
        Ok(report)
    }

    fn flush(&mut self) -> Result<(), IpvsError> {
        self.table.services.clear();
        Ok(())
    }

    fn timeouts(&mut self) -> Result<Timeouts, IpvsError> {
        Ok(self.timeouts)
    }

    fn set_timeouts(&mut self, t: &Timeouts) -> Result<(), IpvsError> {
        let keep = |new: u32, old: u32| if new == 0 { old } else { new };
        self.timeouts = Timeouts {
            tcp: keep(t.tcp, self.timeouts.tcp),
            tcp_fin: keep(t.tcp_fin, self.timeouts.tcp_fin),
            udp: keep(t.udp, self.timeouts.udp),
        };
        Ok(())
    }

    fn daemons(&mut self) -> Result<Vec<SyncDaemon>, IpvsError> {
        Ok(self.daemons.clone())
    }

    fn start_daemon(&mut self, daemon: &SyncDaemon) -> Result<(), IpvsError> {
        if self.daemons.iter().any(|d| d.state == daemon.state) {
            return Err(rejected(&daemon.to_string(), Errno::EEXIST));
        }
        self.daemons.push(daemon.clone());
        Ok(())
    }

    fn stop_daemon(&mut self, state: DaemonState) -> Result<(), IpvsError> {
        let before = self.daemons.len();
        self.daemons.retain(|d| d.state != state);
        if self.daemons.len() == before {
            return Err(rejected(&stop_daemon_text(state), Errno::ESRCH));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;
    use crate::table::{ForwardingMethod, ServiceKey};

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    fn key() -> ServiceKey {
        ServiceKey::tcp(ip("192.0.2.1"), 80)
    }

    fn add_dest() -> Op {
        Op::AddDestination(key(), Destination::new(ip("10.0.0.1"), 80, ForwardingMethod::Masquerade, 1))
    }

    #[test]
    fn kernel_errors_and_messages() {
        let mut k = FakeKernel::default();
        let ops = [
            add_dest(),
            Op::AddService(Service::new(key(), Scheduler::Wlc)),
            Op::AddService(Service::new(key(), Scheduler::Rr)),
            add_dest(),
            add_dest(),
            Op::DeleteDestination { service: key(), addr: ip("10.0.0.9"), port: 80 },
            Op::AddService(Service::new(ServiceKey::fwmark(1), Scheduler::Other("nope".into()))),
        ];
        let report = k.apply(&ops).expect("apply");
        let failures: Vec<String> = report.failures.iter().map(ToString::to_string).collect();
        assert_eq!(
            failures,
            [
                "-a -t 192.0.2.1:80 -r 10.0.0.1:80: No such process",
                "-A -t 192.0.2.1:80: File exists",
                "-a -t 192.0.2.1:80 -r 10.0.0.1:80: File exists",
                "-d -t 192.0.2.1:80 -r 10.0.0.9:80: No such file or directory",
                "-A -f 1: No such file or directory",
            ]
        );
        assert_eq!(report.failures.iter().map(|f| f.index).collect::<Vec<_>>(), [0, 2, 4, 5, 6]);
        assert_eq!(k.table().entry_count(), 2);
        let err = report.into_result().expect_err("failed");
        assert_eq!(err.to_string(), "-a -t 192.0.2.1:80 -r 10.0.0.1:80: No such process");
    }

    #[test]
    fn fails_the_nth_operation_on_request() {
        let mut k = FakeKernel::default();
        k.fail_op(1, Errno::EPERM);
        let ops = [Op::AddService(Service::new(key(), Scheduler::Wlc)), add_dest()];
        let report = k.apply(&ops).expect("apply");
        assert_eq!(report.failures.len(), 1);
        assert_eq!(
            report.failures[0].to_string(),
            "-a -t 192.0.2.1:80 -r 10.0.0.1:80: Operation not permitted"
        );
        // Counting spans calls: op 1 was consumed; the retry succeeds.
        assert!(k.apply(&ops[1..]).expect("apply").is_success());
        assert_eq!(k.log().len(), 2);
    }

    #[test]
    fn thresholds_timeouts_and_daemons() {
        let mut k = FakeKernel::default();
        let mut d = Destination::new(ip("10.0.0.1"), 80, ForwardingMethod::Masquerade, 1);
        d.lower_threshold = 5;
        let ops = [Op::AddService(Service::new(key(), Scheduler::Wlc)), Op::AddDestination(key(), d)];
        assert_eq!(k.apply(&ops).expect("apply").failures[0].errno, Errno::ERANGE);

        k.set_timeouts(&Timeouts { tcp: 0, tcp_fin: 30, udp: 0 }).expect("set");
        assert_eq!(k.timeouts().expect("get"), Timeouts { tcp: 900, tcp_fin: 30, udp: 300 });

        let master = SyncDaemon { state: DaemonState::Master, interface: "eth0".into(), sync_id: 1 };
        k.start_daemon(&master).expect("start");
        let err = k.start_daemon(&master).expect_err("twice");
        assert_eq!(err.to_string(), "--start-daemon master --mcast-interface eth0 --syncid 1: File exists");
        assert_eq!(k.daemons().expect("list"), vec![master]);
        k.stop_daemon(DaemonState::Master).expect("stop");
        let err = k.stop_daemon(DaemonState::Master).expect_err("not running");
        assert_eq!(err.to_string(), "--stop-daemon master: No such process");
        k.flush().expect("flush");
        assert!(k.snapshot().expect("snapshot").services.is_empty());
    }
}
