//! The request message for each thing the client asks of the kernel, named
//! after the ipvsadm command that sends the same message.

use super::config::timeout_attrs;
use super::daemon::{DaemonAttr, daemon_entry};
use super::dest::{dest_entry, dest_id};
use super::message::{IpvsAttr, IpvsCommand, IpvsMessage};
use super::service::{service_entry, service_id};
use crate::plan::Op;
use crate::settings::{DaemonState, SyncDaemon, Timeouts};
use crate::table::ServiceKey;

/// The message that performs `op` (`-A`, `-E`, `-D`, `-a`, `-e`, `-d`).
pub fn op_request(op: &Op) -> IpvsMessage {
    let (cmd, attrs) = match op {
        Op::AddService(s) => (IpvsCommand::NewService, vec![IpvsAttr::Service(service_entry(s))]),
        Op::EditService(s) => (IpvsCommand::SetService, vec![IpvsAttr::Service(service_entry(s))]),
        Op::DeleteService(key) => (IpvsCommand::DelService, vec![IpvsAttr::Service(service_id(key))]),
        Op::AddDestination(key, d) => (IpvsCommand::NewDest, service_and(key, dest_entry(key.family(), d))),
        Op::EditDestination(key, d) => (IpvsCommand::SetDest, service_and(key, dest_entry(key.family(), d))),
        Op::DeleteDestination { service, addr, port } => {
            (IpvsCommand::DelDest, service_and(service, dest_id(service.family(), *addr, *port)))
        }
    };
    IpvsMessage::new(cmd, attrs)
}

fn service_and(key: &ServiceKey, dest: Vec<super::dest::DestAttr>) -> Vec<IpvsAttr> {
    vec![IpvsAttr::Service(service_id(key)), IpvsAttr::Dest(dest)]
}

/// GET_SERVICE, sent as a dump (`ipvsadm -L`).
pub fn dump_services() -> IpvsMessage {
    IpvsMessage::new(IpvsCommand::GetService, Vec::new())
}

/// GET_DEST for one service, sent as a dump.
pub fn dump_destinations(key: &ServiceKey) -> IpvsMessage {
    IpvsMessage::new(IpvsCommand::GetDest, vec![IpvsAttr::Service(service_id(key))])
}

/// GET_INFO (`ipvsadm --version`).
pub fn get_info() -> IpvsMessage {
    IpvsMessage::new(IpvsCommand::GetInfo, Vec::new())
}

/// GET_CONFIG (`ipvsadm -L --timeout`).
pub fn get_config() -> IpvsMessage {
    IpvsMessage::new(IpvsCommand::GetConfig, Vec::new())
}

/// SET_CONFIG (`ipvsadm --set TCP TCPFIN UDP`).
pub fn set_config(timeouts: &Timeouts) -> IpvsMessage {
    IpvsMessage::new(IpvsCommand::SetConfig, timeout_attrs(timeouts))
}

/// GET_DAEMON, sent as a dump (`ipvsadm -L --daemon`).
pub fn dump_daemons() -> IpvsMessage {
    IpvsMessage::new(IpvsCommand::GetDaemon, Vec::new())
}

/// NEW_DAEMON (`ipvsadm --start-daemon STATE --mcast-interface IF --syncid ID`).
pub fn new_daemon(daemon: &SyncDaemon) -> IpvsMessage {
    IpvsMessage::new(IpvsCommand::NewDaemon, vec![IpvsAttr::Daemon(daemon_entry(daemon))])
}

/// DEL_DAEMON (`ipvsadm --stop-daemon STATE`).
pub fn del_daemon(state: DaemonState) -> IpvsMessage {
    IpvsMessage::new(IpvsCommand::DelDaemon, vec![IpvsAttr::Daemon(vec![DaemonAttr::State(state.number())])])
}

/// FLUSH (`ipvsadm -C`).
pub fn flush() -> IpvsMessage {
    IpvsMessage::new(IpvsCommand::Flush, Vec::new())
}
