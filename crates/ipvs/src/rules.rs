//! The `ipvsadm -Sn` (save, numeric) text form of a table.

use std::fmt::{self, Write as _};

use crate::table::{Destination, ForwardingMethod, Netmask, Service, SocketText, Table, TunnelType};

/// `IP_VS_SVC_F_ONEPACKET`.
const ONE_PACKET: u32 = 0x0004;
/// `IP_VS_SVC_F_SCHED1..3`, printed by ipvsadm as `-b flag-1,flag-2,flag-3`.
const SCHED_FLAGS: [(u32, &str); 3] = [(0x0008, "flag-1"), (0x0010, "flag-2"), (0x0020, "flag-3")];

impl Table {
    /// The table as `ipvsadm -Sn` prints it: for each service an `-A` line
    /// followed by one `-a` line per real server, in table order.
    pub fn to_rules(&self) -> String {
        let mut out = String::new();
        for service in &self.services {
            // Writing to a String cannot fail.
            let _ = writeln!(out, "-A {}{}", service.key, ServiceOptions(service));
            for dest in &service.destinations {
                let _ = writeln!(
                    out,
                    "-a {} -r {}{}",
                    service.key,
                    SocketText(dest.addr, dest.port),
                    DestinationOptions(dest)
                );
            }
        }
        out
    }
}

/// The options of an `-A`/`-E` line after the service: ` -s wlc -p 300 ...`.
pub(crate) struct ServiceOptions<'a>(pub &'a Service);

impl fmt::Display for ServiceOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let service = self.0;
        write!(f, " -s {}", service.scheduler)?;
        if let Some(p) = &service.persistence {
            write!(f, " -p {}", p.timeout)?;
            match p.netmask {
                _ if p.netmask.is_host() => {}
                Netmask::V4(mask) => write!(f, " -M {mask}")?,
                Netmask::V6Prefix(len) => write!(f, " -M {len}")?,
            }
        }
        if let Some(pe) = &service.pe_name {
            write!(f, " --pe {pe}")?;
        }
        if service.flags & ONE_PACKET != 0 {
            f.write_str(" -o")?;
        }
        let sched: Vec<&str> =
            SCHED_FLAGS.iter().filter(|(bit, _)| service.flags & bit != 0).map(|(_, name)| *name).collect();
        if !sched.is_empty() {
            write!(f, " -b {}", sched.join(","))?;
        }
        Ok(())
    }
}

/// The options of an `-a`/`-e` line after the real server: ` -m -w 1 ...`.
pub(crate) struct DestinationOptions<'a>(pub &'a Destination);

impl fmt::Display for DestinationOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dest = self.0;
        write!(f, " {} -w {}", dest.forwarding.switch(), dest.weight)?;
        // Current ipvsadm names the tunnel type of every tunnelled server.
        if let ForwardingMethod::Tunnel(kind) = dest.forwarding {
            match kind {
                TunnelType::Ipip => f.write_str(" --tun-type ipip")?,
                TunnelType::Gue { port, flags } => {
                    write!(f, " --tun-type gue --tun-port {port} {}", checksum_option(flags))?
                }
                TunnelType::Gre { flags } => write!(f, " --tun-type gre {}", checksum_option(flags))?,
            }
        }
        if dest.upper_threshold != 0 {
            write!(f, " -x {}", dest.upper_threshold)?;
        }
        if dest.lower_threshold != 0 {
            write!(f, " -y {}", dest.lower_threshold)?;
        }
        Ok(())
    }
}

fn checksum_option(flags: u16) -> &'static str {
    match flags {
        1 => "--tun-csum",
        2 => "--tun-remcsum",
        _ => "--tun-nocsum",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{Persistence, Protocol, Scheduler, ServiceKey};
    use std::net::{IpAddr, Ipv4Addr};

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    #[test]
    fn persistent_service_prints_mask_only_when_not_host() {
        let mut svc = Service::new(ServiceKey::tcp(ip("192.0.2.1"), 443), Scheduler::Rr);
        svc.persistence =
            Some(Persistence { timeout: 300, netmask: Netmask::V4(Ipv4Addr::new(255, 255, 255, 0)) });
        let t = Table { services: vec![svc.clone()] };
        assert_eq!(t.to_rules(), "-A -t 192.0.2.1:443 -s rr -p 300 -M 255.255.255.0\n");
        svc.persistence =
            Some(Persistence { timeout: 300, netmask: Netmask::host(crate::table::AddressFamily::Inet) });
        let t = Table { services: vec![svc] };
        assert_eq!(t.to_rules(), "-A -t 192.0.2.1:443 -s rr -p 300\n");
    }

    #[test]
    fn fwmark_udp_and_tunnel_lines() {
        let mut fw = Service::new(ServiceKey::fwmark(80), Scheduler::Wlc);
        fw.destinations.push(Destination::new(ip("10.0.0.4"), 0, ForwardingMethod::Masquerade, 1));
        let mut dns = Service::new(
            ServiceKey::Socket { protocol: Protocol::Udp, addr: ip("192.0.2.2"), port: 53 },
            Scheduler::Wrr,
        );
        dns.destinations.push(Destination::new(
            ip("10.0.0.5"),
            53,
            ForwardingMethod::Tunnel(TunnelType::Ipip),
            3,
        ));
        let t = Table { services: vec![fw, dns] };
        assert_eq!(
            t.to_rules(),
            "-A -f 80 -s wlc\n-a -f 80 -r 10.0.0.4:0 -m -w 1\n\
             -A -u 192.0.2.2:53 -s wrr\n-a -u 192.0.2.2:53 -r 10.0.0.5:53 -i -w 3 --tun-type ipip\n"
        );
    }

    #[test]
    fn ipv6_socket_is_bracketed() {
        let t = Table { services: vec![Service::new(ServiceKey::tcp(ip("2001:db8::1"), 80), Scheduler::Sh)] };
        assert_eq!(t.to_rules(), "-A -t [2001:db8::1]:80 -s sh\n");
    }

    #[test]
    fn scheduler_names_round_trip() {
        for s in Scheduler::KNOWN {
            assert_eq!(s.name().parse::<Scheduler>().expect("infallible"), s);
        }
        assert_eq!("xyz".parse::<Scheduler>().expect("infallible"), Scheduler::Other("xyz".into()));
    }
}
