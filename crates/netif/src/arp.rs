//! The gratuitous ARP frame that Piranha's `send_arp` sends (spec §5), built and parsed
//! without I/O.
//!
//! Layout of the 60-byte Ethernet frame (no FCS), with the offsets used below:
//!
//! | bytes  | field                          |
//! |--------|--------------------------------|
//! | 0..6   | Ethernet destination           |
//! | 6..12  | Ethernet source                |
//! | 12..14 | EtherType 0x0806               |
//! | 14..16 | hardware type 1 (Ethernet)     |
//! | 16..18 | protocol type 0x0800 (IPv4)    |
//! | 18     | hardware address length 6      |
//! | 19     | protocol address length 4      |
//! | 20..22 | opcode                         |
//! | 22..28 | sender MAC                     |
//! | 28..32 | sender IP                      |
//! | 32..38 | target MAC                     |
//! | 38..42 | target IP                      |
//! | 42..60 | zero padding                   |

use std::fmt;
use std::net::Ipv4Addr;

use thiserror::Error;

/// Length of the frame `send_arp` sends: the 42 bytes of header and ARP payload, padded with
/// 18 zero bytes to Ethernet's 60-byte minimum.
pub const FRAME_LEN: usize = 60;
/// EtherType of ARP.
pub const ETHERTYPE_ARP: u16 = 0x0806;
/// The part of a frame that carries information; the rest is padding.
const ARP_END: usize = 42;

const ETH_DST: usize = 0;
const ETH_SRC: usize = 6;
const ETH_TYPE: usize = 12;
const HTYPE: usize = 14;
const PTYPE: usize = 16;
const HLEN: usize = 18;
const PLEN: usize = 19;
const OPCODE: usize = 20;
const SENDER_MAC: usize = 22;
const SENDER_IP: usize = 28;
const TARGET_MAC: usize = 32;
const TARGET_IP: usize = 38;

const HTYPE_ETHERNET: u16 = 1;
const PTYPE_IPV4: u16 = 0x0800;

/// An Ethernet (EUI-48) hardware address.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// `ff:ff:ff:ff:ff:ff`, what pulse passes as TARGET_MAC.
    pub const BROADCAST: MacAddr = MacAddr([0xff; 6]);

    /// The six bytes.
    pub fn octets(self) -> [u8; 6] {
        self.0
    }
}

/// `00:1a:4b:3c:2d:1e`, as `ip link` prints it.
impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

impl fmt::Debug for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MacAddr({self})")
    }
}

/// `001A4B3C2D1E`: twelve upper-case digits, the form pulse puts on send_arp's command
/// line (spec §2.8).
impl fmt::UpperHex for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02X}"))
    }
}

/// The ARP operation code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArpOp {
    /// 1: request (`arping -U` style announcements).
    Request,
    /// 2: reply, what Piranha's send_arp sends (its constant is misnamed `OP_ARP_REQUEST`).
    Reply,
}

impl ArpOp {
    /// The wire value.
    pub fn code(self) -> u16 {
        match self {
            ArpOp::Request => 1,
            ArpOp::Reply => 2,
        }
    }

    /// The operation for a wire value, if it is one of the two.
    pub fn from_code(code: u16) -> Option<ArpOp> {
        match code {
            1 => Some(ArpOp::Request),
            2 => Some(ArpOp::Reply),
            _ => None,
        }
    }
}

/// A gratuitous ARP announcement of `ip` at `mac`, sent to `target_mac`.
///
/// The ARP target fields repeat the sender (MAC and IP), as Piranha's send_arp does; the
/// `TARGET_IP` of its command line never reaches the frame (spec §5, §8 item 28).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GratuitousArp {
    /// The announcing interface's MAC: Ethernet source, ARP sender and target MAC.
    pub mac: MacAddr,
    /// The announced address (the VIP): ARP sender and target IP.
    pub ip: Ipv4Addr,
    /// Ethernet destination; pulse uses [`MacAddr::BROADCAST`].
    pub target_mac: MacAddr,
    /// The operation; send_arp uses [`ArpOp::Reply`].
    pub opcode: ArpOp,
}

impl GratuitousArp {
    /// What pulse announces for a VIP: an ARP reply broadcast on the link.
    pub fn reply(mac: MacAddr, ip: Ipv4Addr) -> GratuitousArp {
        GratuitousArp { mac, ip, target_mac: MacAddr::BROADCAST, opcode: ArpOp::Reply }
    }

    /// The 60-byte Ethernet frame, byte for byte as send_arp builds it (spec §5).
    pub fn frame(&self) -> [u8; FRAME_LEN] {
        let mut frame = [0u8; FRAME_LEN];
        let mut put = |at: usize, bytes: &[u8]| frame[at..at + bytes.len()].copy_from_slice(bytes);
        put(ETH_DST, &self.target_mac.0);
        put(ETH_SRC, &self.mac.0);
        put(ETH_TYPE, &ETHERTYPE_ARP.to_be_bytes());
        put(HTYPE, &HTYPE_ETHERNET.to_be_bytes());
        put(PTYPE, &PTYPE_IPV4.to_be_bytes());
        put(HLEN, &[6]);
        put(PLEN, &[4]);
        put(OPCODE, &self.opcode.code().to_be_bytes());
        put(SENDER_MAC, &self.mac.0);
        put(SENDER_IP, &self.ip.octets());
        put(TARGET_MAC, &self.mac.0);
        put(TARGET_IP, &self.ip.octets());
        frame
    }

    /// Reads a frame back, checking every field that [`GratuitousArp::frame`] writes
    /// (padding included, when present).
    ///
    /// # Errors
    /// Any [`ArpParseError`]: too short, not Ethernet/IPv4 ARP, an unknown opcode, a frame
    /// whose sender and target differ, or non-zero padding.
    pub fn parse(bytes: &[u8]) -> Result<GratuitousArp, ArpParseError> {
        let packet = ArpPacket::parse(bytes)?;
        let opcode = ArpOp::from_code(packet.opcode).ok_or(ArpParseError::Opcode(packet.opcode))?;
        if packet.eth_src != packet.sender_mac
            || packet.target_mac != packet.sender_mac
            || packet.target_ip != packet.sender_ip
        {
            return Err(ArpParseError::NotGratuitous);
        }
        if bytes[ARP_END..].iter().any(|&b| b != 0) {
            return Err(ArpParseError::Padding);
        }
        Ok(GratuitousArp { mac: packet.sender_mac, ip: packet.sender_ip, target_mac: packet.eth_dst, opcode })
    }
}

/// Every field of an Ethernet/IPv4 ARP frame, as received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArpPacket {
    /// Ethernet destination.
    pub eth_dst: MacAddr,
    /// Ethernet source.
    pub eth_src: MacAddr,
    /// ARP opcode (1 request, 2 reply).
    pub opcode: u16,
    /// ARP sender hardware address.
    pub sender_mac: MacAddr,
    /// ARP sender protocol address.
    pub sender_ip: Ipv4Addr,
    /// ARP target hardware address.
    pub target_mac: MacAddr,
    /// ARP target protocol address.
    pub target_ip: Ipv4Addr,
}

impl ArpPacket {
    /// Parses the Ethernet header and ARP payload; bytes after offset 42 (padding) are not
    /// looked at.
    ///
    /// # Errors
    /// [`ArpParseError::Truncated`] below 42 bytes, [`ArpParseError::EtherType`] for another
    /// EtherType and [`ArpParseError::Format`] unless the hardware/protocol types and
    /// lengths are Ethernet (1, 6) and IPv4 (0x0800, 4).
    pub fn parse(bytes: &[u8]) -> Result<ArpPacket, ArpParseError> {
        let header: &[u8; ARP_END] = bytes
            .get(..ARP_END)
            .and_then(|h| h.try_into().ok())
            .ok_or(ArpParseError::Truncated(bytes.len()))?;
        let u16_at = |at: usize| u16::from_be_bytes([header[at], header[at + 1]]);
        let mac_at = |at: usize| {
            let mut mac = [0; 6];
            mac.copy_from_slice(&header[at..at + 6]);
            MacAddr(mac)
        };
        let ip_at = |at: usize| Ipv4Addr::new(header[at], header[at + 1], header[at + 2], header[at + 3]);
        let ethertype = u16_at(ETH_TYPE);
        if ethertype != ETHERTYPE_ARP {
            return Err(ArpParseError::EtherType(ethertype));
        }
        let format = (u16_at(HTYPE), u16_at(PTYPE), header[HLEN], header[PLEN]);
        if format != (HTYPE_ETHERNET, PTYPE_IPV4, 6, 4) {
            return Err(ArpParseError::Format {
                htype: format.0,
                ptype: format.1,
                hlen: format.2,
                plen: format.3,
            });
        }
        Ok(ArpPacket {
            eth_dst: mac_at(ETH_DST),
            eth_src: mac_at(ETH_SRC),
            opcode: u16_at(OPCODE),
            sender_mac: mac_at(SENDER_MAC),
            sender_ip: ip_at(SENDER_IP),
            target_mac: mac_at(TARGET_MAC),
            target_ip: ip_at(TARGET_IP),
        })
    }
}

/// Why bytes are not the expected ARP frame.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ArpParseError {
    /// Fewer than the 42 bytes of Ethernet header and ARP payload.
    #[error("ARP frame truncated: {0} bytes, need 42")]
    Truncated(usize),
    /// Not an ARP frame.
    #[error("not an ARP frame: EtherType {0:#06x}")]
    EtherType(u16),
    /// ARP for something other than IPv4 over Ethernet.
    #[error("not Ethernet/IPv4 ARP: htype {htype}, ptype {ptype:#06x}, hlen {hlen}, plen {plen}")]
    Format {
        /// Hardware type.
        htype: u16,
        /// Protocol type.
        ptype: u16,
        /// Hardware address length.
        hlen: u8,
        /// Protocol address length.
        plen: u8,
    },
    /// Neither request nor reply.
    #[error("unknown ARP opcode {0}")]
    Opcode(u16),
    /// Sender and target (or Ethernet source and sender) differ.
    #[error("not a gratuitous ARP: sender and target differ")]
    NotGratuitous,
    /// A non-zero byte after the ARP payload.
    #[error("non-zero padding after the ARP payload")]
    Padding,
}

#[cfg(test)]
mod tests;
