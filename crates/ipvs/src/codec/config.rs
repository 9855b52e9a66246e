//! Timeout configuration (SET_CONFIG / GET_CONFIG) and [`Timeouts`].

use super::message::IpvsAttr;
use crate::settings::Timeouts;

/// The three timeout attributes SET_CONFIG takes, as `ipvsadm --set` sends
/// them (all three, 0 meaning "unchanged").
pub fn timeout_attrs(timeouts: &Timeouts) -> Vec<IpvsAttr> {
    vec![
        IpvsAttr::TimeoutTcp(timeouts.tcp),
        IpvsAttr::TimeoutTcpFin(timeouts.tcp_fin),
        IpvsAttr::TimeoutUdp(timeouts.udp),
    ]
}

/// The timeouts a GET_CONFIG reply carries (absent ones are 0).
pub fn parse_timeouts(attrs: &[IpvsAttr]) -> Timeouts {
    let mut t = Timeouts::default();
    for a in attrs {
        match a {
            IpvsAttr::TimeoutTcp(v) => t.tcp = *v,
            IpvsAttr::TimeoutTcpFin(v) => t.tcp_fin = *v,
            IpvsAttr::TimeoutUdp(v) => t.udp = *v,
            _ => {}
        }
    }
    t
}
