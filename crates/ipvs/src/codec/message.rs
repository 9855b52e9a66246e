//! The IPVS generic netlink message: command, genl header and first-level
//! attributes (`IPVS_CMD_*`, `IPVS_CMD_ATTR_*` in `uapi/linux/ip_vs.h`).

use netlink_packet_core::{DecodeError, DefaultNla, Emitable, NlaBuffer, ParseableParametrized};
use netlink_packet_generic::{GenlFamily, GenlHeader};

use super::attr::{self, Attribute};
use super::daemon::DaemonAttr;
use super::dest::DestAttr;
use super::info::InfoAttr;
use super::service::ServiceAttr;

/// `IPVS_GENL_NAME`.
pub const FAMILY_NAME: &str = "IPVS";
/// `IPVS_GENL_VERSION`.
pub const FAMILY_VERSION: u8 = 1;

const CMD_ATTR_SERVICE: u16 = 1;
const CMD_ATTR_DEST: u16 = 2;
const CMD_ATTR_DAEMON: u16 = 3;
const CMD_ATTR_TIMEOUT_TCP: u16 = 4;
const CMD_ATTR_TIMEOUT_TCP_FIN: u16 = 5;
const CMD_ATTR_TIMEOUT_UDP: u16 = 6;

/// An `IPVS_CMD_*` command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpvsCommand {
    /// `IPVS_CMD_NEW_SERVICE` (`ipvsadm -A`; also the reply to GET_SERVICE).
    NewService,
    /// `IPVS_CMD_SET_SERVICE` (`ipvsadm -E`).
    SetService,
    /// `IPVS_CMD_DEL_SERVICE` (`ipvsadm -D`).
    DelService,
    /// `IPVS_CMD_GET_SERVICE` (`ipvsadm -L`).
    GetService,
    /// `IPVS_CMD_NEW_DEST` (`ipvsadm -a`; also the reply to GET_DEST).
    NewDest,
    /// `IPVS_CMD_SET_DEST` (`ipvsadm -e`).
    SetDest,
    /// `IPVS_CMD_DEL_DEST` (`ipvsadm -d`).
    DelDest,
    /// `IPVS_CMD_GET_DEST`.
    GetDest,
    /// `IPVS_CMD_NEW_DAEMON` (`ipvsadm --start-daemon`; also the GET_DAEMON reply).
    NewDaemon,
    /// `IPVS_CMD_DEL_DAEMON` (`ipvsadm --stop-daemon`).
    DelDaemon,
    /// `IPVS_CMD_GET_DAEMON` (`ipvsadm -L --daemon`).
    GetDaemon,
    /// `IPVS_CMD_SET_CONFIG` (`ipvsadm --set`; also the GET_CONFIG reply).
    SetConfig,
    /// `IPVS_CMD_GET_CONFIG` (`ipvsadm -L --timeout`).
    GetConfig,
    /// `IPVS_CMD_SET_INFO` (only as the GET_INFO reply).
    SetInfo,
    /// `IPVS_CMD_GET_INFO` (`ipvsadm --version`).
    GetInfo,
    /// `IPVS_CMD_ZERO` (`ipvsadm -Z`).
    Zero,
    /// `IPVS_CMD_FLUSH` (`ipvsadm -C`).
    Flush,
    /// A command this code does not know.
    Other(u8),
}

const COMMANDS: [IpvsCommand; 17] = [
    IpvsCommand::NewService,
    IpvsCommand::SetService,
    IpvsCommand::DelService,
    IpvsCommand::GetService,
    IpvsCommand::NewDest,
    IpvsCommand::SetDest,
    IpvsCommand::DelDest,
    IpvsCommand::GetDest,
    IpvsCommand::NewDaemon,
    IpvsCommand::DelDaemon,
    IpvsCommand::GetDaemon,
    IpvsCommand::SetConfig,
    IpvsCommand::GetConfig,
    IpvsCommand::SetInfo,
    IpvsCommand::GetInfo,
    IpvsCommand::Zero,
    IpvsCommand::Flush,
];

impl From<IpvsCommand> for u8 {
    fn from(cmd: IpvsCommand) -> u8 {
        match cmd {
            IpvsCommand::Other(n) => n,
            // The known commands are numbered 1..=17 in COMMANDS order.
            known => {
                COMMANDS.iter().position(|c| *c == known).and_then(|i| u8::try_from(i + 1).ok()).unwrap_or(0)
            }
        }
    }
}

impl From<u8> for IpvsCommand {
    fn from(n: u8) -> IpvsCommand {
        usize::from(n).checked_sub(1).and_then(|i| COMMANDS.get(i)).copied().unwrap_or(IpvsCommand::Other(n))
    }
}

/// A first-level attribute (`IPVS_CMD_ATTR_*`, or `IPVS_INFO_ATTR_*` in a
/// SET_INFO reply, whose ids overlap).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IpvsAttr {
    /// `IPVS_CMD_ATTR_SERVICE`.
    Service(Vec<ServiceAttr>),
    /// `IPVS_CMD_ATTR_DEST`.
    Dest(Vec<DestAttr>),
    /// `IPVS_CMD_ATTR_DAEMON`.
    Daemon(Vec<DaemonAttr>),
    /// `IPVS_CMD_ATTR_TIMEOUT_TCP`, seconds.
    TimeoutTcp(u32),
    /// `IPVS_CMD_ATTR_TIMEOUT_TCP_FIN`, seconds.
    TimeoutTcpFin(u32),
    /// `IPVS_CMD_ATTR_TIMEOUT_UDP`, seconds.
    TimeoutUdp(u32),
    /// An attribute of a SET_INFO reply.
    Info(InfoAttr),
    /// Anything else, kept verbatim.
    Other(DefaultNla),
}

impl IpvsAttr {
    fn to_nla(&self) -> DefaultNla {
        match self {
            IpvsAttr::Service(attrs) => attr::nested(CMD_ATTR_SERVICE, attrs),
            IpvsAttr::Dest(attrs) => attr::nested(CMD_ATTR_DEST, attrs),
            IpvsAttr::Daemon(attrs) => attr::nested(CMD_ATTR_DAEMON, attrs),
            IpvsAttr::TimeoutTcp(v) => attr::raw(CMD_ATTR_TIMEOUT_TCP, &v.to_ne_bytes()),
            IpvsAttr::TimeoutTcpFin(v) => attr::raw(CMD_ATTR_TIMEOUT_TCP_FIN, &v.to_ne_bytes()),
            IpvsAttr::TimeoutUdp(v) => attr::raw(CMD_ATTR_TIMEOUT_UDP, &v.to_ne_bytes()),
            IpvsAttr::Info(info) => info.to_nla(),
            IpvsAttr::Other(nla) => nla.clone(),
        }
    }

    fn parse(nla: &NlaBuffer<&[u8]>, cmd: IpvsCommand) -> Result<Self, DecodeError> {
        if matches!(cmd, IpvsCommand::SetInfo | IpvsCommand::GetInfo) {
            return InfoAttr::parse(nla).map(IpvsAttr::Info);
        }
        Ok(match nla.kind() {
            CMD_ATTR_SERVICE => IpvsAttr::Service(attr::parse_attributes(nla.value())?),
            CMD_ATTR_DEST => IpvsAttr::Dest(attr::parse_attributes(nla.value())?),
            CMD_ATTR_DAEMON => IpvsAttr::Daemon(attr::parse_attributes(nla.value())?),
            CMD_ATTR_TIMEOUT_TCP => IpvsAttr::TimeoutTcp(attr::get_u32(nla, "IPVS_CMD_ATTR_TIMEOUT_TCP")?),
            CMD_ATTR_TIMEOUT_TCP_FIN => {
                IpvsAttr::TimeoutTcpFin(attr::get_u32(nla, "IPVS_CMD_ATTR_TIMEOUT_TCP_FIN")?)
            }
            CMD_ATTR_TIMEOUT_UDP => IpvsAttr::TimeoutUdp(attr::get_u32(nla, "IPVS_CMD_ATTR_TIMEOUT_UDP")?),
            _ => IpvsAttr::Other(attr::other(nla)?),
        })
    }
}

/// One IPVS generic netlink message (the part after the genl header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpvsMessage {
    /// The command.
    pub cmd: IpvsCommand,
    /// First-level attributes in wire order.
    pub attrs: Vec<IpvsAttr>,
}

impl IpvsMessage {
    /// A message with these attributes.
    pub fn new(cmd: IpvsCommand, attrs: Vec<IpvsAttr>) -> Self {
        IpvsMessage { cmd, attrs }
    }

    fn nlas(&self) -> Vec<DefaultNla> {
        self.attrs.iter().map(IpvsAttr::to_nla).collect()
    }
}

impl GenlFamily for IpvsMessage {
    fn family_name() -> &'static str {
        FAMILY_NAME
    }

    fn command(&self) -> u8 {
        self.cmd.into()
    }

    fn version(&self) -> u8 {
        FAMILY_VERSION
    }
}

impl Emitable for IpvsMessage {
    fn buffer_len(&self) -> usize {
        self.nlas().as_slice().buffer_len()
    }

    fn emit(&self, buffer: &mut [u8]) {
        self.nlas().as_slice().emit(buffer);
    }
}

impl ParseableParametrized<[u8], GenlHeader> for IpvsMessage {
    fn parse_with_param(buf: &[u8], header: GenlHeader) -> Result<Self, DecodeError> {
        let cmd = IpvsCommand::from(header.cmd);
        let attrs = netlink_packet_core::NlasIterator::new(buf)
            .map(|nla| nla.and_then(|nla| IpvsAttr::parse(&nla, cmd)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| DecodeError::from(format!("IPVS command {}: {e}", u8::from(cmd))))?;
        Ok(IpvsMessage { cmd, attrs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_numbers_match_uapi() {
        assert_eq!(u8::from(IpvsCommand::NewService), 1);
        assert_eq!(u8::from(IpvsCommand::GetDest), 8);
        assert_eq!(u8::from(IpvsCommand::SetConfig), 12);
        assert_eq!(u8::from(IpvsCommand::GetInfo), 15);
        assert_eq!(u8::from(IpvsCommand::Flush), 17);
        for n in 0..=255u8 {
            assert_eq!(u8::from(IpvsCommand::from(n)), n);
        }
        assert_eq!(IpvsCommand::from(0), IpvsCommand::Other(0));
        assert_eq!(IpvsCommand::from(18), IpvsCommand::Other(18));
    }
}
