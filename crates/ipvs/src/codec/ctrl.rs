//! The generic netlink controller ("nlctrl"), used only to resolve the IPVS
//! family id (`CTRL_CMD_GETFAMILY` with `CTRL_ATTR_FAMILY_NAME`).
//!
//! netlink-packet-generic has a full `GenlCtrl`, but it rejects attributes
//! it does not know; this codec keeps them as `Other` so a newer kernel's
//! reply cannot break family resolution.

use netlink_packet_core::{DecodeError, DefaultNla, Emitable, NlaBuffer, ParseableParametrized};
use netlink_packet_generic::{GenlFamily, GenlHeader};

use super::attr::{self, Attribute};

/// `GENL_ID_CTRL`.
pub const GENL_ID_CTRL: u16 = 0x10;
/// `CTRL_CMD_NEWFAMILY` (the GETFAMILY reply).
pub const CTRL_CMD_NEWFAMILY: u8 = 1;
/// `CTRL_CMD_GETFAMILY`.
pub const CTRL_CMD_GETFAMILY: u8 = 3;
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;

/// A controller attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CtrlAttr {
    /// `CTRL_ATTR_FAMILY_ID`.
    FamilyId(u16),
    /// `CTRL_ATTR_FAMILY_NAME`.
    FamilyName(String),
    /// Anything else (version, ops, multicast groups...), kept verbatim.
    Other(DefaultNla),
}

impl Attribute for CtrlAttr {
    fn to_nla(&self) -> DefaultNla {
        match self {
            CtrlAttr::FamilyId(v) => attr::raw(CTRL_ATTR_FAMILY_ID, &v.to_ne_bytes()),
            CtrlAttr::FamilyName(s) => attr::string(CTRL_ATTR_FAMILY_NAME, s),
            CtrlAttr::Other(nla) => nla.clone(),
        }
    }

    fn parse(nla: &NlaBuffer<&[u8]>) -> Result<Self, DecodeError> {
        Ok(match nla.kind() {
            CTRL_ATTR_FAMILY_ID => CtrlAttr::FamilyId(attr::get_u16(nla, "CTRL_ATTR_FAMILY_ID")?),
            CTRL_ATTR_FAMILY_NAME => CtrlAttr::FamilyName(attr::get_string(nla, "CTRL_ATTR_FAMILY_NAME")?),
            _ => CtrlAttr::Other(attr::other(nla)?),
        })
    }
}

/// A controller message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtrlMessage {
    /// `CTRL_CMD_*`.
    pub cmd: u8,
    /// Attributes in wire order.
    pub attrs: Vec<CtrlAttr>,
}

impl CtrlMessage {
    /// `CTRL_CMD_GETFAMILY` for `name` (what `genl ctrl get name IPVS` sends).
    pub fn get_family(name: &str) -> Self {
        CtrlMessage { cmd: CTRL_CMD_GETFAMILY, attrs: vec![CtrlAttr::FamilyName(name.to_owned())] }
    }

    /// The family id of a NEWFAMILY reply.
    pub fn family_id(&self) -> Option<u16> {
        self.attrs.iter().find_map(|a| match a {
            CtrlAttr::FamilyId(id) => Some(*id),
            _ => None,
        })
    }
}

impl GenlFamily for CtrlMessage {
    fn family_name() -> &'static str {
        "nlctrl"
    }

    fn family_id(&self) -> u16 {
        GENL_ID_CTRL
    }

    fn command(&self) -> u8 {
        self.cmd
    }

    fn version(&self) -> u8 {
        // The controller family's version (`genl_ctrl.version`).
        2
    }
}

impl Emitable for CtrlMessage {
    fn buffer_len(&self) -> usize {
        attr::emit_attributes(&self.attrs).len()
    }

    fn emit(&self, buffer: &mut [u8]) {
        let bytes = attr::emit_attributes(&self.attrs);
        buffer[..bytes.len()].copy_from_slice(&bytes);
    }
}

impl ParseableParametrized<[u8], GenlHeader> for CtrlMessage {
    fn parse_with_param(buf: &[u8], header: GenlHeader) -> Result<Self, DecodeError> {
        Ok(CtrlMessage { cmd: header.cmd, attrs: attr::parse_attributes(buf)? })
    }
}
