//! Which addresses are ours, and which heartbeat channels lvs.cf asks for.

use std::io;
use std::net::{IpAddr, SocketAddr};

use heartbeat::Role;
use lvs_config::HeartbeatAddresses;

/// Every IPv4 and IPv6 address of every local interface, `lo` included,
/// secondary addresses and alias labels included (spec §8 #23: the
/// original only saw each interface's first IPv4 address).
///
/// # Errors
/// When `getifaddrs(3)` fails.
pub fn local_addresses() -> io::Result<Vec<IpAddr>> {
    let mut out = Vec::new();
    for interface in nix::ifaddrs::getifaddrs().map_err(io::Error::from)? {
        let Some(address) = interface.address else { continue };
        if let Some(v4) = address.as_sockaddr_in() {
            out.push(IpAddr::V4(v4.ip()));
        } else if let Some(v6) = address.as_sockaddr_in6() {
            out.push(IpAddr::V6(v6.ip()));
        }
    }
    Ok(out)
}

/// The heartbeat channels of one router (spec §2.2 step 6, §2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Channels {
    /// Our public address and the heartbeat port: the public socket binds here.
    pub own_public: SocketAddr,
    /// Our private address, when lvs.cf sets a private channel
    /// (`primary_private` different from `primary`).
    pub own_private: Option<SocketAddr>,
    /// Where the public socket sends.
    pub partner_public: SocketAddr,
    /// Where the private socket sends.
    pub partner_private: Option<SocketAddr>,
}

impl Channels {
    /// The channels of a router of `role`, from the addresses of spec §1.7
    /// and `heartbeat_port`.
    pub fn new(addresses: &HeartbeatAddresses, role: Role, port: u16) -> Self {
        let private = addresses.primary != addresses.primary_private;
        let at = |ip: IpAddr| SocketAddr::new(ip, port);
        let (own, own_private, partner, partner_private) = match role {
            Role::Primary => {
                (addresses.primary, addresses.primary_private, addresses.backup, addresses.backup_private)
            }
            Role::Backup => {
                (addresses.backup, addresses.backup_private, addresses.primary, addresses.primary_private)
            }
        };
        Channels {
            own_public: at(own),
            own_private: private.then(|| at(own_private)),
            partner_public: at(partner),
            partner_private: private.then(|| at(partner_private)),
        }
    }

    /// The decoder for heartbeats arriving on these channels.
    pub fn decoder(&self) -> heartbeat::Decoder {
        heartbeat::Decoder::new(
            heartbeat::Mode::Lvs,
            self.partner_public.ip(),
            self.partner_private.map(|a| a.ip()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("literal")
    }

    #[test]
    fn public_only() {
        let addresses = HeartbeatAddresses {
            primary: ip("10.0.0.1"),
            primary_private: ip("10.0.0.1"),
            backup: ip("10.0.0.2"),
            backup_private: ip("10.0.0.2"),
        };
        let master = Channels::new(&addresses, Role::Primary, 539);
        assert_eq!(master.own_public, "10.0.0.1:539".parse().expect("literal"));
        assert_eq!(master.partner_public, "10.0.0.2:539".parse().expect("literal"));
        assert_eq!((master.own_private, master.partner_private), (None, None));
        let backup = Channels::new(&addresses, Role::Backup, 539);
        assert_eq!(backup.own_public, master.partner_public);
        assert_eq!(backup.partner_public, master.own_public);
    }

    #[test]
    fn private_channel() {
        let addresses = HeartbeatAddresses {
            primary: ip("10.0.0.1"),
            primary_private: ip("192.168.0.1"),
            backup: ip("10.0.0.2"),
            backup_private: ip("192.168.0.2"),
        };
        let backup = Channels::new(&addresses, Role::Backup, 1539);
        assert_eq!(backup.own_private, Some("192.168.0.2:1539".parse().expect("literal")));
        assert_eq!(backup.partner_private, Some("192.168.0.1:1539".parse().expect("literal")));
        let decoder = backup.decoder();
        let running = heartbeat::Magic::Running.to_bytes();
        assert!(decoder.decode(&running, ip("10.0.0.1")).is_ok());
        assert!(decoder.decode(&running, ip("192.168.0.1")).is_ok());
        assert!(decoder.decode(&running, ip("10.0.0.2")).is_err());
    }

    #[test]
    fn loopback_is_local() {
        let local = local_addresses().expect("getifaddrs");
        assert!(local.contains(&ip("127.0.0.1")));
        assert_eq!(Role::detect(ip("127.0.0.1"), &local), Role::Primary);
    }
}
