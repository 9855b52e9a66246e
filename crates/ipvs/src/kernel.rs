//! The part of the kernel's IPVS that the routers read and change, behind a
//! small trait so the daemons can run against [`crate::fake::FakeKernel`].

use std::fmt;

use crate::error::{Errno, IpvsError};
use crate::plan::{Op, plan};
use crate::settings::{DaemonState, SyncDaemon, Timeouts};
use crate::table::Table;

/// An IPVS table and its settings. Synchronous; async callers use
/// `spawn_blocking` or a dedicated thread.
pub trait IpvsKernel {
    /// The whole table, services with their real servers (`ipvsadm -Ln`).
    ///
    /// # Errors
    /// When the kernel cannot be asked or answers badly.
    fn snapshot(&mut self) -> Result<Table, IpvsError>;

    /// Performs `ops` in order, continuing past individual failures (each is
    /// reported with the op that caused it).
    ///
    /// # Errors
    /// Only when the kernel cannot be talked to at all; refused operations
    /// are in the report.
    fn apply(&mut self, ops: &[Op]) -> Result<ApplyReport, IpvsError>;

    /// Removes every service (`ipvsadm -C`).
    ///
    /// # Errors
    /// When the kernel refuses.
    fn flush(&mut self) -> Result<(), IpvsError>;

    /// The connection timeouts (`ipvsadm -L --timeout`).
    ///
    /// # Errors
    /// When the kernel refuses.
    fn timeouts(&mut self) -> Result<Timeouts, IpvsError>;

    /// Sets the timeouts; zero fields stay unchanged (`ipvsadm --set`).
    ///
    /// # Errors
    /// When the kernel refuses.
    fn set_timeouts(&mut self, timeouts: &Timeouts) -> Result<(), IpvsError>;

    /// The running sync daemons (`ipvsadm -L --daemon`).
    ///
    /// # Errors
    /// When the kernel refuses.
    fn daemons(&mut self) -> Result<Vec<SyncDaemon>, IpvsError>;

    /// Starts a sync daemon (`ipvsadm --start-daemon`).
    ///
    /// # Errors
    /// `File exists` when one with this state already runs.
    fn start_daemon(&mut self, daemon: &SyncDaemon) -> Result<(), IpvsError>;

    /// Stops the sync daemon with this state (`ipvsadm --stop-daemon`).
    ///
    /// # Errors
    /// `No such process` when none runs.
    fn stop_daemon(&mut self, state: DaemonState) -> Result<(), IpvsError>;
}

/// An operation the kernel refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpFailure {
    /// Position of the op in the applied slice.
    pub index: usize,
    /// The op.
    pub op: Op,
    /// The kernel's error.
    pub errno: Errno,
}

impl fmt::Display for OpFailure {
    /// `-a -t 192.0.2.1:80 -r 10.0.0.1:80: File exists`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.op.target(), self.errno)
    }
}

impl From<OpFailure> for IpvsError {
    fn from(failure: OpFailure) -> Self {
        IpvsError::Rejected { request: failure.op.target(), errno: failure.errno }
    }
}

/// What [`IpvsKernel::apply`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    /// How many operations were sent.
    pub attempted: usize,
    /// The ones the kernel refused, in op order.
    pub failures: Vec<OpFailure>,
}

impl ApplyReport {
    /// Whether every operation succeeded.
    pub fn is_success(&self) -> bool {
        self.failures.is_empty()
    }

    /// `Ok` when everything succeeded, else the first failure as an error.
    ///
    /// # Errors
    /// The first refused operation.
    pub fn into_result(self) -> Result<(), IpvsError> {
        match self.failures.into_iter().next() {
            None => Ok(()),
            Some(first) => Err(first.into()),
        }
    }
}

/// Reads the kernel's table, plans the changes towards `desired` and applies
/// them; returns the report (reconcile, never flush).
///
/// # Errors
/// When the table cannot be read or the kernel cannot be talked to.
pub fn reconcile<K: IpvsKernel + ?Sized>(kernel: &mut K, desired: &Table) -> Result<ApplyReport, IpvsError> {
    let actual = kernel.snapshot()?;
    kernel.apply(&plan(desired, &actual))
}
