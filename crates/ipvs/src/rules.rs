//! The `ipvsadm -Sn` (save, numeric) text form of a table.

use std::fmt::Write as _;

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
            service_rule(&mut out, service);
            for dest in &service.destinations {
                destination_rule(&mut out, service, dest);
            }
        }
        out
    }
}

fn service_rule(out: &mut String, service: &Service) {
    // Writing to a String cannot fail.
    let _ = write!(out, "-A {} -s {}", service.key, service.scheduler);
    if let Some(p) = &service.persistence {
        let _ = write!(out, " -p {}", p.timeout);
        match p.netmask {
            _ if p.netmask.is_host() => {}
            Netmask::V4(mask) => {
                let _ = write!(out, " -M {mask}");
            }
            Netmask::V6Prefix(len) => {
                let _ = write!(out, " -M {len}");
            }
        }
    }
    if let Some(pe) = &service.pe_name {
        let _ = write!(out, " --pe {pe}");
    }
    if service.flags & ONE_PACKET != 0 {
        out.push_str(" -o");
    }
    let sched: Vec<&str> =
        SCHED_FLAGS.iter().filter(|(bit, _)| service.flags & bit != 0).map(|(_, name)| *name).collect();
    if !sched.is_empty() {
        let _ = write!(out, " -b {}", sched.join(","));
    }
    out.push('\n');
}

fn destination_rule(out: &mut String, service: &Service, dest: &Destination) {
    let _ = write!(
        out,
        "-a {} -r {} {} -w {}",
        service.key,
        SocketText(dest.addr, dest.port),
        dest.forwarding.switch(),
        dest.weight
    );
    // Current ipvsadm names the tunnel type of every tunnelled server.
    if let ForwardingMethod::Tunnel(kind) = dest.forwarding {
        match kind {
            TunnelType::Ipip => out.push_str(" --tun-type ipip"),
            TunnelType::Gue { port, flags } => {
                let _ = write!(out, " --tun-type gue --tun-port {port} {}", checksum_option(flags));
            }
            TunnelType::Gre { flags } => {
                let _ = write!(out, " --tun-type gre {}", checksum_option(flags));
            }
        }
    }
    if dest.upper_threshold != 0 {
        let _ = write!(out, " -x {}", dest.upper_threshold);
    }
    if dest.lower_threshold != 0 {
        let _ = write!(out, " -y {}", dest.lower_threshold);
    }
    out.push('\n');
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
