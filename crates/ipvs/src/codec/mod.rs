//! Bytes <-> typed values for every IPVS kernel object, one module per object.
//! Pure: no sockets here (that is [`crate::client`]).

mod attr;
pub mod config;
pub mod ctrl;
pub mod daemon;
pub mod dest;
pub mod info;
pub mod message;
pub mod netlink;
pub mod request;
pub mod service;
#[cfg(test)]
mod tests;

pub use ctrl::{CtrlAttr, CtrlMessage};
pub use daemon::DaemonAttr;
pub use dest::DestAttr;
pub use info::InfoAttr;
pub use message::{IpvsAttr, IpvsCommand, IpvsMessage};
pub use service::ServiceAttr;
