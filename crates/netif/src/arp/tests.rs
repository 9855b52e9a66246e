use std::net::Ipv4Addr;

use proptest::prelude::*;

use super::*;

const MAC: MacAddr = MacAddr([0x00, 0x1a, 0x4b, 0x3c, 0x2d, 0x1e]);
const VIP: Ipv4Addr = Ipv4Addr::new(192, 168, 10, 50);

/// What `send_arp -i eth0 192.168.10.50 001A4B3C2D1E 192.168.10.255 ffffffffffff` puts on the
/// wire (spec §5), written out field by field.
#[rustfmt::skip]
const GOLDEN_REPLY: [u8; 60] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff,         // Ethernet destination = TARGET_MAC
    0x00, 0x1a, 0x4b, 0x3c, 0x2d, 0x1e,         // Ethernet source = SRC_MAC
    0x08, 0x06,                                 // EtherType ARP
    0x00, 0x01,                                 // htype Ethernet
    0x08, 0x00,                                 // ptype IPv4
    0x06, 0x04,                                 // hlen, plen
    0x00, 0x02,                                 // opcode 2 (reply)
    0x00, 0x1a, 0x4b, 0x3c, 0x2d, 0x1e,         // sender MAC = SRC_MAC
    192, 168, 10, 50,                           // sender IP = SRC_IP
    0x00, 0x1a, 0x4b, 0x3c, 0x2d, 0x1e,         // target MAC = SRC_MAC
    192, 168, 10, 50,                           // target IP = SRC_IP (TARGET_IP ignored)
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 18 bytes padding
];

#[test]
fn spec_5_reply_frame_golden_bytes() {
    assert_eq!(GratuitousArp::reply(MAC, VIP).frame(), GOLDEN_REPLY);
}

#[test]
fn golden_bytes_parse_back() {
    assert_eq!(GratuitousArp::parse(&GOLDEN_REPLY), Ok(GratuitousArp::reply(MAC, VIP)));
    let packet = ArpPacket::parse(&GOLDEN_REPLY).expect("golden frame parses");
    assert_eq!(packet.opcode, 2);
    assert_eq!(packet.eth_dst, MacAddr::BROADCAST);
    assert_eq!((packet.sender_mac, packet.sender_ip), (MAC, VIP));
    assert_eq!((packet.target_mac, packet.target_ip), (MAC, VIP));
}

#[test]
fn request_and_unicast_destination() {
    let arp =
        GratuitousArp { mac: MAC, ip: VIP, target_mac: MacAddr([2, 0, 0, 0, 0, 1]), opcode: ArpOp::Request };
    let frame = arp.frame();
    assert_eq!(frame[..6], [2, 0, 0, 0, 0, 1]);
    assert_eq!(frame[20..22], [0, 1]);
    assert_eq!(
        frame[..20],
        {
            let mut expected = GOLDEN_REPLY;
            expected[..6].copy_from_slice(&[2, 0, 0, 0, 0, 1]);
            expected
        }[..20]
    );
    assert_eq!(frame[22..], GOLDEN_REPLY[22..]);
}

#[test]
fn parse_rejects_what_is_not_the_frame() {
    assert_eq!(GratuitousArp::parse(&GOLDEN_REPLY[..41]), Err(ArpParseError::Truncated(41)));
    // The 42 meaningful bytes alone are accepted (no padding to check).
    assert_eq!(GratuitousArp::parse(&GOLDEN_REPLY[..42]), Ok(GratuitousArp::reply(MAC, VIP)));

    let mut ipv4 = GOLDEN_REPLY;
    ipv4[12..14].copy_from_slice(&[0x08, 0x00]);
    assert_eq!(GratuitousArp::parse(&ipv4), Err(ArpParseError::EtherType(0x0800)));

    let mut hlen = GOLDEN_REPLY;
    hlen[18] = 8;
    assert!(matches!(GratuitousArp::parse(&hlen), Err(ArpParseError::Format { hlen: 8, .. })));

    let mut opcode = GOLDEN_REPLY;
    opcode[21] = 3;
    assert_eq!(GratuitousArp::parse(&opcode), Err(ArpParseError::Opcode(3)));

    let mut target = GOLDEN_REPLY;
    target[41] = 255;
    assert_eq!(GratuitousArp::parse(&target), Err(ArpParseError::NotGratuitous));
    // ...but the plain packet parser reports it as it is.
    assert_eq!(ArpPacket::parse(&target).map(|p| p.target_ip), Ok(Ipv4Addr::new(192, 168, 10, 255)));

    let mut padding = GOLDEN_REPLY;
    padding[59] = 1;
    assert_eq!(GratuitousArp::parse(&padding), Err(ArpParseError::Padding));
}

#[test]
fn mac_formats() {
    assert_eq!(MAC.to_string(), "00:1a:4b:3c:2d:1e");
    assert_eq!(format!("{MAC:X}"), "001A4B3C2D1E");
    assert_eq!(format!("{:?}", MacAddr::BROADCAST), "MacAddr(ff:ff:ff:ff:ff:ff)");
}

fn any_arp() -> impl Strategy<Value = GratuitousArp> {
    (any::<[u8; 6]>(), any::<u32>(), any::<[u8; 6]>(), any::<bool>()).prop_map(
        |(mac, ip, target, request)| GratuitousArp {
            mac: MacAddr(mac),
            ip: Ipv4Addr::from(ip),
            target_mac: MacAddr(target),
            opcode: if request { ArpOp::Request } else { ArpOp::Reply },
        },
    )
}

proptest! {
    #[test]
    fn frame_round_trip(arp in any_arp()) {
        let frame = arp.frame();
        prop_assert_eq!(GratuitousArp::parse(&frame), Ok(arp));
        prop_assert_eq!(&frame[42..], &[0u8; 18][..]);
    }

    #[test]
    fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        let _ = GratuitousArp::parse(&bytes);
    }
}
