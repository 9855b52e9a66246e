//! Sync daemon attributes (`IPVS_DAEMON_ATTR_*`) and their mapping to
//! [`SyncDaemon`].

use netlink_packet_core::{DecodeError, DefaultNla, NlaBuffer};

use super::attr::{self, Attribute};
use crate::settings::{DaemonState, SyncDaemon};

const DAEMON_ATTR_STATE: u16 = 1;
const DAEMON_ATTR_MCAST_IFN: u16 = 2;
const DAEMON_ATTR_SYNC_ID: u16 = 3;

/// A sync daemon attribute. The optional multicast tuning attributes
/// (SYNC_MAXLEN, MCAST_GROUP, MCAST_GROUP6, MCAST_PORT, MCAST_TTL) arrive as
/// [`DaemonAttr::Other`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DaemonAttr {
    /// `IPVS_DAEMON_ATTR_STATE`: `IP_VS_STATE_*`.
    State(u32),
    /// `IPVS_DAEMON_ATTR_MCAST_IFN`.
    Interface(String),
    /// `IPVS_DAEMON_ATTR_SYNC_ID`.
    SyncId(u32),
    /// Anything else, kept verbatim.
    Other(DefaultNla),
}

impl Attribute for DaemonAttr {
    fn to_nla(&self) -> DefaultNla {
        match self {
            DaemonAttr::State(v) => attr::raw(DAEMON_ATTR_STATE, &v.to_ne_bytes()),
            DaemonAttr::Interface(s) => attr::string(DAEMON_ATTR_MCAST_IFN, s),
            DaemonAttr::SyncId(v) => attr::raw(DAEMON_ATTR_SYNC_ID, &v.to_ne_bytes()),
            DaemonAttr::Other(nla) => nla.clone(),
        }
    }

    fn parse(nla: &NlaBuffer<&[u8]>) -> Result<Self, DecodeError> {
        Ok(match nla.kind() {
            DAEMON_ATTR_STATE => DaemonAttr::State(attr::get_u32(nla, "IPVS_DAEMON_ATTR_STATE")?),
            DAEMON_ATTR_MCAST_IFN => {
                DaemonAttr::Interface(attr::get_string(nla, "IPVS_DAEMON_ATTR_MCAST_IFN")?)
            }
            DAEMON_ATTR_SYNC_ID => DaemonAttr::SyncId(attr::get_u32(nla, "IPVS_DAEMON_ATTR_SYNC_ID")?),
            _ => DaemonAttr::Other(attr::other(nla)?),
        })
    }
}

/// What NEW_DAEMON needs: STATE, MCAST_IFN and SYNC_ID.
pub fn daemon_entry(daemon: &SyncDaemon) -> Vec<DaemonAttr> {
    vec![
        DaemonAttr::State(daemon.state.number()),
        DaemonAttr::Interface(daemon.interface.clone()),
        DaemonAttr::SyncId(daemon.sync_id),
    ]
}

/// The daemon a NEW_DAEMON dump message describes.
///
/// # Errors
/// When STATE is missing or unknown, or MCAST_IFN is missing.
pub fn parse_daemon(attrs: &[DaemonAttr]) -> Result<SyncDaemon, DecodeError> {
    let (mut state, mut interface, mut sync_id) = (None, None, 0);
    for a in attrs {
        match a {
            DaemonAttr::State(v) => state = Some(*v),
            DaemonAttr::Interface(v) => interface = Some(v.clone()),
            DaemonAttr::SyncId(v) => sync_id = *v,
            DaemonAttr::Other(_) => {}
        }
    }
    let number = attr::required(state, "IPVS_DAEMON_ATTR_STATE")?;
    Ok(SyncDaemon {
        state: DaemonState::from_number(number)
            .ok_or_else(|| DecodeError::from(format!("daemon: unknown state {number}")))?,
        interface: attr::required(interface, "IPVS_DAEMON_ATTR_MCAST_IFN")?,
        sync_id,
    })
}
