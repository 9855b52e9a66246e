//! pulse's heartbeat, without I/O: the wire format of Piranha 0.8.6
//! (spec §2.4) and the failover state machine (spec §2.5–§2.7).
//!
//! - [`wire`]: the seven magics, their 4-byte little-endian encoding, and
//!   the [`Decoder`] that validates a received datagram in the original's
//!   order (source, length, magic).
//! - [`auth`]: the opt-in authenticated format (lvs.cf `heartbeat_key`,
//!   our extension): [`Sealer`] builds datagrams, [`Opener`] verifies them
//!   (HMAC-SHA256 tag, replay and clock-window checks);
//!   [`Decoder::decode_authenticated`] uses it.
//! - [`machine`]: [`Machine::on_event`] takes an [`Event`] and "now" (a
//!   monotonic [`Duration`] since any fixed origin) and returns the
//!   [`Action`]s to perform, in the spec's order.
//!
//! ```
//! use std::time::Duration;
//! use heartbeat::{Action, Event, Machine, Magic, Role, Settings};
//! let settings = Settings::new(Duration::from_secs(2), Duration::from_secs(5));
//! let mut backup = Machine::new(Role::Backup, settings);
//! backup.on_event(Event::Start, Duration::ZERO);
//! // the primary says it is inactive: the backup takes over
//! let actions = backup.on_event(Event::Heartbeat(Magic::Stopped), Duration::from_secs(1));
//! assert!(actions.contains(&Action::Log("primary inactive: activating lvs".into())));
//! assert!(backup.is_active());
//! ```
//!
//! Left out: sockets, timers, processes, VIPs and ARP (the `pulse` crate
//! performs the actions), and FOS mode's take-control logic (spec §2.15:
//! the FOS magics are encoded and recognised, but the machine runs LVS
//! mode). The plain format stays the default (spec §8 #15).

#![forbid(unsafe_code)]

pub mod auth;
pub mod machine;
pub mod wire;

pub use auth::{AuthError, HeartbeatKey, KeyError, Opener, Sealer};
pub use machine::{Action, ChildExit, Event, Flags, Machine, Role, Settings, SyncRole};
pub use wire::{DecodeError, Decoder, HeartbeatPacket, Magic, Mode, PACKET_LEN};
