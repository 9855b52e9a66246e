//! The kernel's IPVS (IP Virtual Server) table as typed Rust values, and a
//! generic netlink client that reads and reconciles it.
//!
//! [`Table`] is what a router's IPVS holds: virtual services (by VIP, port and
//! protocol, or by firewall mark) with their real servers. The same type
//! describes the *desired* table computed from `lvs.cf` and the *actual* table
//! dumped from the kernel, so the two can be compared and reconciled:
//! [`plan`] (pure) returns the ordered [`Op`]s, and an [`IpvsKernel`] applies
//! them: the netlink [`Client`], or the in-memory [`fake::FakeKernel`].
//!
//! [`Table::to_rules`] prints a table exactly as `ipvsadm -Sn` does, which lets
//! an operator `diff` our view against the kernel's.
//!
//! ```
//! use ipvs::{Destination, ForwardingMethod, Scheduler, Service, ServiceKey, Protocol, Table};
//! let mut svc = Service::new(ServiceKey::tcp("192.0.2.10".parse().unwrap(), 80), Scheduler::Wlc);
//! svc.destinations.push(Destination::new("10.0.0.1".parse().unwrap(), 80, ForwardingMethod::Masquerade, 1));
//! let table = Table { services: vec![svc] };
//! assert_eq!(table.to_rules(), "-A -t 192.0.2.10:80 -s wlc\n-a -t 192.0.2.10:80 -r 10.0.0.1:80 -m -w 1\n");
//! let ops = ipvs::plan(&table, &Table::default());
//! assert_eq!(ops[0].to_string(), "-A -t 192.0.2.10:80 -s wlc");
//! ```
//!
//! Not covered: connection listing, counters (`-Z`, statistics), the sync
//! daemon's multicast tuning options.

#![forbid(unsafe_code)]

pub mod client;
pub mod codec;
mod error;
pub mod fake;
mod kernel;
mod plan;
mod rules;
mod settings;
mod table;

pub use client::Client;
pub use error::{Errno, IpvsError};
pub use kernel::{ApplyReport, IpvsKernel, OpFailure, reconcile};
pub use plan::{Op, normalize, plan};
pub use settings::{DaemonState, Info, SyncDaemon, Timeouts};
pub use table::{
    AddressFamily, Destination, ForwardingMethod, Netmask, Persistence, Protocol, Scheduler, Service,
    ServiceKey, Table, TunnelType,
};
