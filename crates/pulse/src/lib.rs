//! pulse: the heartbeat daemon of a Piranha LVS router pair (spec §2).
//!
//! The decisions live in the [`heartbeat`] crate; this crate is the I/O
//! edge around them:
//!
//! - [`cli`]: the original command line (spec §2.1);
//! - [`addresses`]: local addresses, the role, and the heartbeat channels
//!   derived from lvs.cf (spec §1.7, §2.2 step 6, §2.3);
//! - [`auth`]: lvs.cf `heartbeat_key`: the key file, and the plain or
//!   authenticated datagrams sent and accepted;
//! - [`transport`]: the UDP sockets bound to our own public (and private)
//!   address;
//! - [`router`]: the [`Router`] trait through which the machine's actions
//!   reach lvsd, commands, the sync daemon, VIPs and ARP, with a recording
//!   implementation for tests; [`processes`] is the real one for what exists
//!   today (commands, lvsd, ipvsadm sync daemon);
//! - [`vips`]: the VIPs of the active services, brought up, announced with
//!   gratuitous ARP and released through `netif` (spec §2.7, §2.8);
//! - [`links`]: `monitor_links` (spec §2.11);
//! - [`runtime`]: the event loop feeding [`heartbeat::Machine`];
//! - [`status`]: what pulse answers on its status socket (`lvsctl status`);
//! - [`start`]: the program itself, start-up order of spec §2.2.
//!
//! Left out: FOS mode (spec §2.15); heartbeat settings changed by a SIGHUP
//! reload need a restart, except `heartbeat_key`.

#![forbid(unsafe_code)]

pub mod addresses;
pub mod auth;
pub mod cli;
pub mod links;
pub mod processes;
pub mod router;
pub mod runtime;
pub mod start;
pub mod status;
pub mod transport;
pub mod vips;

pub use addresses::{Channels, local_addresses};
pub use auth::{Heartbeats, Rekey};
pub use cli::{Cli, VERSION_TEXT};
pub use router::{RecordingRouter, Router, RouterError};
pub use runtime::{Control, run, run_with_status};
pub use transport::{HeartbeatSockets, SocketError};
