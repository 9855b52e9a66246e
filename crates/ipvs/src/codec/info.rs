//! GET_INFO reply attributes (`IPVS_INFO_ATTR_*`) and [`Info`].

use netlink_packet_core::{DecodeError, DefaultNla, NlaBuffer};

use super::attr::{self, Attribute};
use super::message::IpvsAttr;
use crate::settings::Info;

const INFO_ATTR_VERSION: u16 = 1;
const INFO_ATTR_CONN_TAB_SIZE: u16 = 2;

/// An attribute of the SET_INFO message that answers GET_INFO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InfoAttr {
    /// `IPVS_INFO_ATTR_VERSION`: `IP_VS_VERSION_CODE`.
    Version(u32),
    /// `IPVS_INFO_ATTR_CONN_TAB_SIZE`.
    ConnTabSize(u32),
    /// Anything else, kept verbatim.
    Other(DefaultNla),
}

impl Attribute for InfoAttr {
    fn to_nla(&self) -> DefaultNla {
        match self {
            InfoAttr::Version(v) => attr::raw(INFO_ATTR_VERSION, &v.to_ne_bytes()),
            InfoAttr::ConnTabSize(v) => attr::raw(INFO_ATTR_CONN_TAB_SIZE, &v.to_ne_bytes()),
            InfoAttr::Other(nla) => nla.clone(),
        }
    }

    fn parse(nla: &NlaBuffer<&[u8]>) -> Result<Self, DecodeError> {
        Ok(match nla.kind() {
            INFO_ATTR_VERSION => InfoAttr::Version(attr::get_u32(nla, "IPVS_INFO_ATTR_VERSION")?),
            INFO_ATTR_CONN_TAB_SIZE => {
                InfoAttr::ConnTabSize(attr::get_u32(nla, "IPVS_INFO_ATTR_CONN_TAB_SIZE")?)
            }
            _ => InfoAttr::Other(attr::other(nla)?),
        })
    }
}

/// The version and table size a SET_INFO reply carries.
///
/// # Errors
/// When the version is missing.
pub fn parse_info(attrs: &[IpvsAttr]) -> Result<Info, DecodeError> {
    let (mut version, mut conn_tab_size) = (None, 0);
    for a in attrs {
        match a {
            IpvsAttr::Info(InfoAttr::Version(v)) => version = Some(*v),
            IpvsAttr::Info(InfoAttr::ConnTabSize(v)) => conn_tab_size = *v,
            _ => {}
        }
    }
    Ok(Info { version: attr::required(version, "IPVS_INFO_ATTR_VERSION")?, conn_tab_size })
}
