//! Network interfaces for pulse and send_arp: bringing VIPs up and down over rtnetlink,
//! querying addresses and link state, and announcing VIPs with gratuitous ARP.
//!
//! - [`arp`]: the 60-byte frame Piranha's send_arp sends (spec §5), built and parsed; pure.
//! - [`vip`]: a VIP's prefix, broadcast and label from lvs.cf's values (spec §2.8); pure.
//! - [`address`]: [`Interfaces`], the rtnetlink client (add/remove VIPs, list addresses,
//!   link state, MACs).
//! - [`packet`]: [`PacketSocket`], the AF_PACKET socket; the crate's only unsafe code.
//! - [`garp`]: [`announce`], the 5-frames-1-s-apart cadence across VIPs.
//!
//! What it leaves out: lvs.cf (the caller fills [`Vip`] from its model), the logging of
//! `gratuitous lvs arps finished` (the caller's, once [`announce`] returns), and IPv6.
//!
//! ```no_run
//! # async fn take_over() -> Result<(), Box<dyn std::error::Error>> {
//! use netif::{Cadence, Interfaces, PacketSocket, Vip, announce};
//!
//! let vip = Vip::new("192.168.10.50".parse()?, Some("255.255.255.0".parse()?), "eth0:1")?;
//! let interfaces = Interfaces::connect()?;
//! interfaces.add_vip(&vip).await?;
//! let target = interfaces.arp_target(&vip).await?;
//! let failures = announce(&PacketSocket::sender()?, &[target], Cadence::default()).await;
//! assert!(failures.is_empty());
//! interfaces.remove_vip(&vip).await?;
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

pub mod address;
pub mod arp;
pub mod garp;
pub mod packet;
pub mod vip;

pub use address::{AddressError, Interfaces, LinkState, LocalAddress, OperState};
pub use arp::{ArpOp, ArpPacket, ArpParseError, GratuitousArp, MacAddr};
pub use garp::{ArpTarget, Cadence, FrameSender, SendFailure, announce};
pub use packet::{PacketSocket, interface_index};
pub use vip::{Vip, VipError};
