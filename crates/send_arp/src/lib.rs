//! Piranha's `send_arp` (spec §5): `send_arp [-i DEV] SRC_IP SRC_MAC TARGET_IP TARGET_MAC`
//! sends one 60-byte ARP reply announcing SRC_IP at SRC_MAC to the Ethernet address
//! TARGET_MAC, out of DEV (default `eth0`). TARGET_IP is resolved but, as in the original,
//! never reaches the frame.
//!
//! The command line, the checks and their order, the messages and the exit statuses are
//! the original's, so pulse and operators' scripts can exec it unchanged. The frame goes
//! out through an `AF_PACKET` socket instead of the obsolete `SOCK_PACKET` (spec §8 item 28).

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, ToSocketAddrs};

use netif::{ArpOp, GratuitousArp, MacAddr, PacketSocket};
use nix::errno::Errno;

/// The original's usage text, printed to standard error.
pub const USAGE: &str = "usage: send_arp [-i <device>] src_ip_addr src_hw_addr targ_ip_addr tar_hw_addr\n";

/// The interface used without `-i`.
pub const DEFAULT_DEVICE: &str = "eth0";

/// The command line's five values, unchecked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arguments<'a> {
    /// `-i DEV`, else [`DEFAULT_DEVICE`].
    pub device: &'a str,
    /// SRC_IP.
    pub src_ip: &'a str,
    /// SRC_MAC.
    pub src_mac: &'a str,
    /// TARGET_IP.
    pub target_ip: &'a str,
    /// TARGET_MAC.
    pub target_mac: &'a str,
}

/// Splits the arguments (without the program name): exactly four, or six with `-i DEV`
/// first; anything else is a usage error (`None`).
pub fn parse_args(args: &[String]) -> Option<Arguments<'_>> {
    let (device, rest) = match args {
        [flag, device, rest @ ..] if rest.len() == 4 && flag == "-i" => (device.as_str(), rest),
        rest if rest.len() == 4 => (DEFAULT_DEVICE, rest),
        _ => return None,
    };
    let [src_ip, src_mac, target_ip, target_mac] = rest else { return None };
    Some(Arguments { device, src_ip, src_mac, target_ip, target_mac })
}

/// A hardware address as the original reads it: six pairs of hex digits (either case), each
/// optionally followed by `:`; whatever follows the sixth pair is ignored.
/// `001A4B3C2D1E`, `00:1a:4b:3c:2d:1e` and `00:1a4b3c:2d1eXYZ` all give the same address.
pub fn parse_mac(text: &str) -> Option<MacAddr> {
    let mut rest = text.as_bytes();
    let mut mac = [0u8; 6];
    for byte in &mut mac {
        let (pair, after) = rest.split_first_chunk::<2>()?;
        let digit = |c: u8| char::from(c).to_digit(16);
        *byte = u8::try_from(digit(pair[0])? << 4 | digit(pair[1])?).ok()?;
        rest = after.strip_prefix(b":").unwrap_or(after);
    }
    Some(MacAddr(mac))
}

/// An IPv4 address as the original resolves it: `inet_addr` forms (`10.1`, `0x0a000001`,
/// octal parts), else a host-name lookup.
pub fn resolve_ip(text: &str) -> Option<Ipv4Addr> {
    if let Some(ip) = lvs_config::inet_aton(text) {
        return Some(ip);
    }
    (text, 0).to_socket_addrs().ok()?.find_map(|a| match a.ip() {
        IpAddr::V4(ip) => Some(ip),
        IpAddr::V6(_) => None,
    })
}

/// Why send_arp exits with status 1; `Display` is the exact text it prints to standard
/// error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Wrong number of arguments, or six without `-i` first.
    Usage,
    /// The packet socket could not be opened (`perror("socket")`).
    Socket(Errno),
    /// SRC_MAC or TARGET_MAC is not six hex pairs.
    InvalidHardwareAddress,
    /// SRC_IP or TARGET_IP neither parses nor resolves.
    UnknownHost(String),
    /// The frame could not be sent (`perror("sendto")`); an unknown device is `ENODEV`.
    Sendto(Errno),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Usage => f.write_str(USAGE),
            Failure::Socket(errno) => writeln!(f, "socket: {}", errno.desc()),
            Failure::InvalidHardwareAddress => writeln!(f, "Invalid hardware address"),
            Failure::UnknownHost(host) => writeln!(f, "send_arp: unknown host {host}"),
            Failure::Sendto(errno) => writeln!(f, "sendto: {}", errno.desc()),
        }
    }
}

/// The frame the arguments ask for: checks SRC_MAC, TARGET_MAC, SRC_IP, TARGET_IP in the
/// original's order.
///
/// # Errors
/// [`Failure::InvalidHardwareAddress`] or [`Failure::UnknownHost`].
pub fn frame(args: &Arguments<'_>) -> Result<[u8; netif::arp::FRAME_LEN], Failure> {
    let src_mac = parse_mac(args.src_mac).ok_or(Failure::InvalidHardwareAddress)?;
    let target_mac = parse_mac(args.target_mac).ok_or(Failure::InvalidHardwareAddress)?;
    let resolve = |text: &str| resolve_ip(text).ok_or_else(|| Failure::UnknownHost(text.to_owned()));
    let src_ip = resolve(args.src_ip)?;
    // Resolved (an unknown name fails the run) but not used: spec §5.
    resolve(args.target_ip)?;
    Ok(GratuitousArp { mac: src_mac, ip: src_ip, target_mac, opcode: ArpOp::Reply }.frame())
}

/// send_arp itself: `args` without the program name. Opens the socket before looking at
/// the addresses, as the original does (so without `CAP_NET_RAW` every run fails with
/// `socket: Operation not permitted`).
///
/// # Errors
/// The [`Failure`] to print before exiting with status 1.
pub fn run(args: &[String]) -> Result<(), Failure> {
    let args = parse_args(args).ok_or(Failure::Usage)?;
    let socket = PacketSocket::sender().map_err(|e| Failure::Socket(errno(&e)))?;
    let frame = frame(&args)?;
    let ifindex = netif::interface_index(args.device).map_err(|e| Failure::Sendto(errno(&e)))?;
    socket.send(ifindex, &frame).map_err(|e| Failure::Sendto(errno(&e)))
}

fn errno(error: &io::Error) -> Errno {
    error.raw_os_error().map_or(Errno::UnknownErrno, Errno::from_raw)
}

#[cfg(test)]
mod tests;
