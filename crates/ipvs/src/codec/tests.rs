//! Golden bytes for every request the client sends, hand-derived from the
//! uapi layout (nlmsghdr 16 bytes, genlmsghdr 4, NLA headers 4, values padded
//! to 4; ports and IPv4 netmasks in network order, everything else host
//! order, i.e. little endian on the machines we test on), and parse tests of
//! kernel replies, including dumps split over several datagrams.
#![cfg(target_endian = "little")]

use std::net::{IpAddr, Ipv4Addr};

use super::ctrl::CtrlMessage;
use super::message::{IpvsAttr, IpvsCommand, IpvsMessage};
use super::netlink::{
    Acks, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, Reply, Transaction, encode_request, parse_datagram,
};
use super::{config, daemon, dest, info, request, service};
use crate::error::Errno;
use crate::plan::Op;
use crate::settings::{DaemonState, Info, SyncDaemon, Timeouts};
use crate::table::{
    AddressFamily, Destination, ForwardingMethod, Netmask, Persistence, Protocol, Scheduler, Service,
    ServiceKey, TunnelType,
};

/// The family id our tests pretend the kernel assigned to "IPVS".
const FAMILY: u16 = 0x1c;

/// Bytes from hex text; `#` starts a comment to the end of the line.
fn hex(text: &str) -> Vec<u8> {
    let digits: String = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .collect::<String>()
        .split_whitespace()
        .collect();
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).expect("test hex"))
        .collect()
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

fn vip80() -> ServiceKey {
    ServiceKey::tcp(ip("192.0.2.1"), 80)
}

fn encode_ipvs(message: IpvsMessage, flags: u16, seq: u32) -> Vec<u8> {
    let mut out = Vec::new();
    encode_request(message, FAMILY, flags, seq, &mut out);
    out
}

fn encode_op(op: &Op, seq: u32) -> Vec<u8> {
    encode_ipvs(request::op_request(op), NLM_F_REQUEST | NLM_F_ACK, seq)
}

/// SERVICE nest identifying `-t 192.0.2.1:80` (48 bytes).
const SERVICE_ID_TCP_VIP80: &str = "
    30 00 01 80                                     # len 48, IPVS_CMD_ATTR_SERVICE | NLA_F_NESTED
    06 00 01 00  02 00 00 00                        # AF = AF_INET (u16) + pad
    06 00 02 00  06 00 00 00                        # PROTOCOL = 6 (u16) + pad
    14 00 03 00  c0 00 02 01 00 00 00 00            # ADDR: 16 bytes nf_inet_addr
                 00 00 00 00 00 00 00 00
    06 00 04 00  00 50 00 00                        # PORT = 80, network order + pad
";

#[test]
fn golden_new_service_persistent_with_netmask() {
    let mut svc = Service::new(vip80(), Scheduler::Wlc);
    svc.persistence =
        Some(Persistence { timeout: 300, netmask: Netmask::V4(Ipv4Addr::new(255, 255, 255, 0)) });
    let op = Op::AddService(svc);
    assert_eq!(op.to_string(), "-A -t 192.0.2.1:80 -s wlc -p 300 -M 255.255.255.0");
    let expected = hex("
        68 00 00 00  1c 00  05 00  01 00 00 00  00 00 00 00  # nlmsghdr: len 104, type, REQUEST|ACK, seq 1, pid 0
        01 01 00 00                                          # genl: NEW_SERVICE, version 1
        54 00 01 80                                          # SERVICE nest, len 84
        06 00 01 00  02 00 00 00                             # AF_INET
        06 00 02 00  06 00 00 00                             # TCP
        14 00 03 00  c0 00 02 01 00 00 00 00 00 00 00 00 00 00 00 00
        06 00 04 00  00 50 00 00                             # port 80
        08 00 06 00  77 6c 63 00                             # SCHED_NAME \"wlc\\0\"
        0c 00 07 00  01 00 00 00  ff ff ff ff                # FLAGS {PERSISTENT, mask ~0}
        08 00 08 00  2c 01 00 00                             # TIMEOUT 300
        08 00 09 00  ff ff ff 00                             # NETMASK be32 255.255.255.0
    ");
    assert_eq!(encode_op(&op, 1), expected);
}

#[test]
fn golden_new_service_plain_one_packet() {
    let mut svc = Service::new(ServiceKey::udp(ip("192.0.2.1"), 53), Scheduler::Rr);
    svc.flags = 0x0004;
    let expected = hex("
        68 00 00 00  1c 00  05 00  02 00 00 00  00 00 00 00
        01 01 00 00
        54 00 01 80
        06 00 01 00  02 00 00 00
        06 00 02 00  11 00 00 00                             # UDP
        14 00 03 00  c0 00 02 01 00 00 00 00 00 00 00 00 00 00 00 00
        06 00 04 00  00 35 00 00                             # port 53
        07 00 06 00  72 72 00 00                             # \"rr\\0\", len 7 + 1 pad
        0c 00 07 00  04 00 00 00  ff ff ff ff                # FLAGS {ONEPACKET, mask ~0}
        08 00 08 00  00 00 00 00                             # no persistence: timeout 0
        08 00 09 00  ff ff ff ff                             # host netmask
    ");
    assert_eq!(encode_op(&Op::AddService(svc), 2), expected);
}

#[test]
fn golden_set_service_ipv6_fwmark_prefix() {
    let mut svc = Service::new(ServiceKey::Fwmark { family: AddressFamily::Inet6, mark: 7 }, Scheduler::Sh);
    svc.persistence = Some(Persistence { timeout: 60, netmask: Netmask::V6Prefix(64) });
    let op = Op::EditService(svc);
    assert_eq!(op.to_string(), "-E -f 7 -6 -s sh -p 60 -M 64");
    let expected = hex("
        4c 00 00 00  1c 00  05 00  03 00 00 00  00 00 00 00  # len 76
        02 01 00 00                                          # SET_SERVICE
        38 00 01 80                                          # SERVICE nest, len 56
        06 00 01 00  0a 00 00 00                             # AF_INET6
        08 00 05 00  07 00 00 00                             # FWMARK 7
        07 00 06 00  73 68 00 00                             # \"sh\\0\"
        0c 00 07 00  01 00 00 00  ff ff ff ff
        08 00 08 00  3c 00 00 00                             # TIMEOUT 60
        08 00 09 00  40 00 00 00                             # IPv6: prefix length 64 (host order)
    ");
    assert_eq!(encode_op(&op, 3), expected);
}

#[test]
fn golden_del_service() {
    let op = Op::DeleteService(vip80());
    let expected = hex(&format!(
        "44 00 00 00  1c 00  05 00  04 00 00 00  00 00 00 00  # len 68
         03 01 00 00                                          # DEL_SERVICE
         {SERVICE_ID_TCP_VIP80}"
    ));
    assert_eq!(encode_op(&op, 4), expected);
}

#[test]
fn golden_new_dest_masquerade() {
    let op =
        Op::AddDestination(vip80(), Destination::new(ip("10.0.0.1"), 80, ForwardingMethod::Masquerade, 1));
    assert_eq!(op.to_string(), "-a -t 192.0.2.1:80 -r 10.0.0.1:80 -m -w 1");
    let expected = hex(&format!(
        "84 00 00 00  1c 00  05 00  05 00 00 00  00 00 00 00  # len 132
         05 01 00 00                                          # NEW_DEST
         {SERVICE_ID_TCP_VIP80}
         40 00 02 80                                          # DEST nest, len 64
         14 00 01 00  0a 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00
         06 00 02 00  00 50 00 00                             # port 80
         08 00 03 00  00 00 00 00                             # FWD_METHOD MASQ
         08 00 04 00  01 00 00 00                             # WEIGHT 1
         08 00 05 00  00 00 00 00                             # U_THRESH
         08 00 06 00  00 00 00 00                             # L_THRESH"
    ));
    assert_eq!(encode_op(&op, 5), expected);
}

#[test]
fn golden_set_dest_gue_tunnel_with_thresholds() {
    let mut d = Destination::new(
        ip("10.0.0.3"),
        80,
        ForwardingMethod::Tunnel(TunnelType::Gue { port: 6080, flags: 1 }),
        2,
    );
    d.upper_threshold = 100;
    d.lower_threshold = 10;
    let op = Op::EditDestination(vip80(), d);
    assert_eq!(
        op.to_string(),
        "-e -t 192.0.2.1:80 -r 10.0.0.3:80 -i -w 2 --tun-type gue --tun-port 6080 --tun-csum -x 100 -y 10"
    );
    let expected = hex(&format!(
        "9c 00 00 00  1c 00  05 00  06 00 00 00  00 00 00 00  # len 156
         06 01 00 00                                          # SET_DEST
         {SERVICE_ID_TCP_VIP80}
         58 00 02 80                                          # DEST nest, len 88
         14 00 01 00  0a 00 00 03 00 00 00 00 00 00 00 00 00 00 00 00
         06 00 02 00  00 50 00 00
         08 00 03 00  02 00 00 00                             # FWD_METHOD TUNNEL
         08 00 04 00  02 00 00 00
         08 00 05 00  64 00 00 00                             # U_THRESH 100
         08 00 06 00  0a 00 00 00                             # L_THRESH 10
         05 00 0d 00  01 00 00 00                             # TUN_TYPE GUE (u8) + pad
         06 00 0e 00  17 c0 00 00                             # TUN_PORT 6080, network order
         06 00 0f 00  01 00 00 00                             # TUN_FLAGS CSUM"
    ));
    assert_eq!(encode_op(&op, 6), expected);
}

#[test]
fn golden_del_dest_of_fwmark_service() {
    let op = Op::DeleteDestination { service: ServiceKey::fwmark(7), addr: ip("10.0.0.2"), port: 8080 };
    assert_eq!(op.to_string(), "-d -f 7 -r 10.0.0.2:8080");
    let expected = hex("
        48 00 00 00  1c 00  05 00  07 00 00 00  00 00 00 00  # len 72
        07 01 00 00                                          # DEL_DEST
        14 00 01 80                                          # SERVICE nest, len 20
        06 00 01 00  02 00 00 00
        08 00 05 00  07 00 00 00                             # FWMARK 7
        20 00 02 80                                          # DEST nest, len 32
        14 00 01 00  0a 00 00 02 00 00 00 00 00 00 00 00 00 00 00 00
        06 00 02 00  1f 90 00 00                             # port 8080
    ");
    assert_eq!(encode_op(&op, 7), expected);
}

#[test]
fn golden_ipv4_dest_of_ipv6_service_names_its_family() {
    let key = ServiceKey::tcp(ip("2001:db8::1"), 80);
    let attrs = dest::dest_id(key.family(), ip("10.0.0.9"), 80);
    assert_eq!(attrs[1], dest::DestAttr::Family(2));
}

#[test]
fn golden_daemons() {
    let d = SyncDaemon { state: DaemonState::Master, interface: "eth0".into(), sync_id: 5 };
    let expected = hex("
        34 00 00 00  1c 00  05 00  08 00 00 00  00 00 00 00  # len 52
        09 01 00 00                                          # NEW_DAEMON
        20 00 03 80                                          # DAEMON nest, len 32
        08 00 01 00  01 00 00 00                             # STATE MASTER
        09 00 02 00  65 74 68 30 00 00 00 00                 # MCAST_IFN \"eth0\\0\" + 3 pad
        08 00 03 00  05 00 00 00                             # SYNC_ID 5
    ");
    assert_eq!(encode_ipvs(request::new_daemon(&d), NLM_F_REQUEST | NLM_F_ACK, 8), expected);
    let expected = hex("
        20 00 00 00  1c 00  05 00  09 00 00 00  00 00 00 00  # len 32
        0a 01 00 00                                          # DEL_DAEMON
        0c 00 03 80  08 00 01 00  02 00 00 00                # DAEMON { STATE BACKUP }
    ");
    assert_eq!(encode_ipvs(request::del_daemon(DaemonState::Backup), NLM_F_REQUEST | NLM_F_ACK, 9), expected);
}

#[test]
fn golden_set_config() {
    let t = Timeouts { tcp: 900, tcp_fin: 120, udp: 300 };
    let expected = hex("
        2c 00 00 00  1c 00  05 00  0a 00 00 00  00 00 00 00  # len 44
        0c 01 00 00                                          # SET_CONFIG
        08 00 04 00  84 03 00 00                             # TIMEOUT_TCP 900
        08 00 05 00  78 00 00 00                             # TIMEOUT_TCP_FIN 120
        08 00 06 00  2c 01 00 00                             # TIMEOUT_UDP 300
    ");
    assert_eq!(encode_ipvs(request::set_config(&t), NLM_F_REQUEST | NLM_F_ACK, 10), expected);
}

#[test]
fn golden_attributeless_requests() {
    // len 20, type, flags, seq 11, pid 0, then the genl header alone.
    let cases = [
        (request::dump_services(), NLM_F_REQUEST | NLM_F_DUMP, "01 03", "04"),
        (request::dump_daemons(), NLM_F_REQUEST | NLM_F_DUMP, "01 03", "0b"),
        (request::get_config(), NLM_F_REQUEST | NLM_F_ACK, "05 00", "0d"),
        (request::get_info(), NLM_F_REQUEST | NLM_F_ACK, "05 00", "0f"),
        (request::flush(), NLM_F_REQUEST | NLM_F_ACK, "05 00", "11"),
    ];
    for (message, flags, flag_bytes, cmd) in cases {
        let expected = hex(&format!("14 00 00 00 1c 00 {flag_bytes} 0b 00 00 00 00 00 00 00 {cmd} 01 00 00"));
        assert_eq!(encode_ipvs(message, flags, 11), expected, "command {cmd}");
    }
}

#[test]
fn golden_dump_destinations() {
    let expected = hex(&format!(
        "44 00 00 00  1c 00  01 03  0c 00 00 00  00 00 00 00  # len 68, REQUEST|DUMP
         08 01 00 00                                          # GET_DEST
         {SERVICE_ID_TCP_VIP80}"
    ));
    assert_eq!(encode_ipvs(request::dump_destinations(&vip80()), NLM_F_REQUEST | NLM_F_DUMP, 12), expected);
}

#[test]
fn golden_resolve_family() {
    let expected = hex("
        20 00 00 00  10 00  05 00  01 00 00 00  00 00 00 00  # len 32, GENL_ID_CTRL
        03 02 00 00                                          # CTRL_CMD_GETFAMILY, version 2
        09 00 02 00  49 50 56 53 00 00 00 00                 # FAMILY_NAME \"IPVS\\0\"
    ");
    let mut out = Vec::new();
    encode_request(CtrlMessage::get_family("IPVS"), 0, NLM_F_REQUEST | NLM_F_ACK, 1, &mut out);
    assert_eq!(out, expected);
}

// ---- replies ----

/// A services dump in two datagrams: two NEW_SERVICE messages (NLM_F_MULTI),
/// then NLMSG_DONE.
fn services_dump() -> (Vec<u8>, Vec<u8>) {
    let first = hex("
        74 00 00 00  1c 00  02 00  05 00 00 00  34 12 00 00  # len 116, MULTI, seq 5, pid 0x1234
        01 01 00 00                                          # NEW_SERVICE
        60 00 01 80                                          # SERVICE nest, len 96
        06 00 01 00  02 00 00 00
        06 00 02 00  06 00 00 00
        14 00 03 00  c0 00 02 01 00 00 00 00 00 00 00 00 00 00 00 00
        06 00 04 00  00 50 00 00
        08 00 06 00  77 6c 63 00
        0c 00 07 00  03 00 00 00  ff ff ff ff                # PERSISTENT | HASHED
        08 00 08 00  2c 01 00 00
        08 00 09 00  ff ff ff 00
        0c 00 0a 80  08 00 01 00  05 00 00 00                # STATS { CONNS 5 }
        54 00 00 00  1c 00  02 00  05 00 00 00  34 12 00 00  # len 84
        01 01 00 00
        40 00 01 80                                          # SERVICE nest, len 64
        06 00 01 00  02 00 00 00
        08 00 05 00  07 00 00 00                             # FWMARK 7
        07 00 06 00  72 72 00 00                             # rr
        0c 00 07 00  02 00 00 00  ff ff ff ff                # HASHED only
        08 00 08 00  00 00 00 00
        08 00 09 00  ff ff ff ff
        08 00 1f 00  de ad be ef                             # an attribute from the future
    ");
    let done = hex("14 00 00 00  03 00  02 00  05 00 00 00  34 12 00 00  00 00 00 00");
    (first, done)
}

#[test]
fn parse_services_dump_over_two_datagrams() {
    let (first, done) = services_dump();
    let mut t = Transaction::<IpvsMessage>::new(5);
    t.feed(&first).expect("first datagram");
    assert!(!t.is_complete());
    t.feed(&done).expect("done");
    assert!(t.is_complete());
    let messages = t.finish().expect("no error");
    assert_eq!(messages.len(), 2);
    let services: Vec<Service> = messages
        .iter()
        .flat_map(|m| &m.attrs)
        .filter_map(|a| match a {
            IpvsAttr::Service(attrs) => Some(service::parse_service(attrs).expect("service")),
            _ => None,
        })
        .collect();
    let mut web = Service::new(vip80(), Scheduler::Wlc);
    web.persistence =
        Some(Persistence { timeout: 300, netmask: Netmask::V4(Ipv4Addr::new(255, 255, 255, 0)) });
    assert_eq!(services, vec![web, Service::new(ServiceKey::fwmark(7), Scheduler::Rr)]);
    // The unknown attribute survives as Other and emits identically.
    let IpvsAttr::Service(attrs) = &messages[1].attrs[0] else { panic!("service nest") };
    assert!(matches!(attrs.last(), Some(service::ServiceAttr::Other(_))));
    assert_eq!(super::attr::emit_attributes(attrs), first[116 + 24..].to_vec());
}

#[test]
fn parse_ignores_replies_to_other_requests() {
    let (first, done) = services_dump();
    let mut t = Transaction::<IpvsMessage>::new(6);
    t.feed(&first).expect("parse");
    t.feed(&done).expect("parse");
    assert!(!t.is_complete());
}

#[test]
fn parse_error_with_negative_errno() {
    let reply = hex("
        24 00 00 00  02 00  00 01  09 00 00 00  34 12 00 00  # NLMSG_ERROR, CAPPED, seq 9
        fd ff ff ff                                          # -ESRCH
        44 00 00 00  1c 00  05 00  09 00 00 00  00 00 00 00  # the request's header
    ");
    let mut t = Transaction::<IpvsMessage>::new(9);
    t.feed(&reply).expect("parse");
    assert!(t.is_complete());
    assert_eq!(t.finish(), Err(Errno::ESRCH));
}

#[test]
fn parse_done_with_negative_code_is_an_error() {
    let done = hex("14 00 00 00  03 00  02 00  05 00 00 00  00 00 00 00  f0 ff ff ff");
    assert_eq!(parse_datagram::<IpvsMessage>(&done).expect("parse"), vec![(5, Reply::Error(Errno(16)))]);
}

// Found by the `ipvs_netlink_parse` fuzz target: negating i32::MIN panicked (overflow).
#[test]
fn parse_done_with_the_most_negative_code_is_an_error() {
    let done = hex("14 00 00 00  03 00  02 00  05 00 00 00  00 00 00 00  00 00 00 80");
    assert_eq!(
        parse_datagram::<IpvsMessage>(&done).expect("parse"),
        vec![(5, Reply::Error(Errno(i32::MAX)))]
    );
}

#[test]
fn parse_truncated_datagram_is_an_error() {
    let (first, _) = services_dump();
    assert!(parse_datagram::<IpvsMessage>(&first[..100]).is_err());
}

#[test]
fn acks_are_matched_by_sequence_number() {
    let ack = |seq: u8, code: &str| {
        hex(&format!(
            "24 00 00 00 02 00 00 01 {seq:02x} 00 00 00 00 00 00 00 {code} 14 00 00 00 1c 00 05 00 {seq:02x} 00 00 00 00 00 00 00"
        ))
    };
    // Only the last request (12) asks for an ack; the kernel answers in
    // order, reporting the failed 11 without being asked, and not the 10.
    let mut acks = Acks::new(10, 3);
    acks.feed::<IpvsMessage>(&ack(11, "ef ff ff ff")).expect("parse");
    assert!(!acks.is_complete());
    acks.feed::<IpvsMessage>(&ack(99, "00 00 00 00")).expect("stray ack ignored");
    assert!(!acks.is_complete());
    acks.feed::<IpvsMessage>(&ack(12, "00 00 00 00")).expect("parse");
    assert!(acks.is_complete());
    assert_eq!(acks.results().collect::<Vec<_>>(), vec![Ok(()), Err(Errno::EEXIST), Ok(())]);
}

#[test]
fn parse_destination_dump_entry() {
    let reply = hex("
        98 00 00 00  1c 00  02 00  07 00 00 00  34 12 00 00  # len 152
        05 01 00 00                                          # NEW_DEST
        84 00 02 80                                          # DEST nest, len 132
        14 00 01 00  0a 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00
        06 00 02 00  00 50 00 00
        08 00 03 00  03 00 00 00                             # DROUTE
        08 00 04 00  05 00 00 00                             # weight 5
        05 00 0d 00  00 00 00 00                             # TUN_TYPE 0
        06 00 0e 00  00 00 00 00
        06 00 0f 00  00 00 00 00
        08 00 05 00  00 00 00 00
        08 00 06 00  00 00 00 00
        08 00 07 00  02 00 00 00                             # ACTIVE_CONNS
        08 00 08 00  01 00 00 00                             # INACT_CONNS
        08 00 09 00  00 00 00 00                             # PERSIST_CONNS
        06 00 0b 00  02 00 00 00                             # ADDR_FAMILY
        0c 00 0a 80  08 00 01 00  05 00 00 00                # STATS
    ");
    let replies = parse_datagram::<IpvsMessage>(&reply).expect("parse");
    let [(7, Reply::Data(message))] = replies.as_slice() else { panic!("one data reply: {replies:?}") };
    let IpvsAttr::Dest(attrs) = &message.attrs[0] else { panic!("dest nest") };
    assert_eq!(
        dest::parse_dest(AddressFamily::Inet, attrs).expect("dest"),
        Destination::new(ip("10.0.0.1"), 80, ForwardingMethod::DirectRoute, 5)
    );
}

#[test]
fn parse_info_config_and_daemon_replies() {
    let info_reply = hex("
        24 00 00 00  1c 00  00 00  03 00 00 00  34 12 00 00
        0e 01 00 00                                          # SET_INFO
        08 00 01 00  01 02 01 00                             # VERSION 0x010201
        08 00 02 00  00 10 00 00                             # CONN_TAB_SIZE 4096
    ");
    let replies = parse_datagram::<IpvsMessage>(&info_reply).expect("parse");
    let [(3, Reply::Data(m))] = replies.as_slice() else { panic!("{replies:?}") };
    let parsed = info::parse_info(&m.attrs).expect("info");
    assert_eq!(parsed, Info { version: 0x010201, conn_tab_size: 4096 });
    assert_eq!(parsed.to_string(), "IP Virtual Server version 1.2.1 (size=4096)");

    let config_reply = hex("
        2c 00 00 00  1c 00  00 00  04 00 00 00  34 12 00 00
        0c 01 00 00                                          # SET_CONFIG
        08 00 04 00  84 03 00 00  08 00 05 00  78 00 00 00  08 00 06 00  2c 01 00 00
    ");
    let replies = parse_datagram::<IpvsMessage>(&config_reply).expect("parse");
    let [(4, Reply::Data(m))] = replies.as_slice() else { panic!("{replies:?}") };
    assert_eq!(m.cmd, IpvsCommand::SetConfig);
    assert_eq!(config::parse_timeouts(&m.attrs), Timeouts { tcp: 900, tcp_fin: 120, udp: 300 });

    let daemon_reply = hex("
        3c 00 00 00  1c 00  02 00  05 00 00 00  34 12 00 00  # len 60
        09 01 00 00                                          # NEW_DAEMON
        28 00 03 80                                          # DAEMON nest, len 40
        08 00 01 00  02 00 00 00                             # BACKUP
        14 00 02 00  65 74 68 31 00 00 00 00 00 00 00 00 00 00 00 00  # \"eth1\" in 16 bytes
        08 00 03 00  09 00 00 00                             # SYNC_ID 9
    ");
    let replies = parse_datagram::<IpvsMessage>(&daemon_reply).expect("parse");
    let [(5, Reply::Data(m))] = replies.as_slice() else { panic!("{replies:?}") };
    let IpvsAttr::Daemon(attrs) = &m.attrs[0] else { panic!("daemon nest") };
    assert_eq!(
        daemon::parse_daemon(attrs).expect("daemon"),
        SyncDaemon { state: DaemonState::Backup, interface: "eth1".into(), sync_id: 9 }
    );
}

#[test]
fn parse_family_reply_with_attributes_we_do_not_know() {
    let reply = hex("
        3c 00 00 00  10 00  00 00  01 00 00 00  34 12 00 00  # len 60
        01 02 00 00                                          # NEWFAMILY
        09 00 02 00  49 50 56 53 00 00 00 00                 # FAMILY_NAME
        06 00 01 00  1c 00 00 00                             # FAMILY_ID 0x1c
        08 00 03 00  01 00 00 00                             # VERSION
        0c 00 06 80  08 00 01 00  01 00 00 00                # OPS (nested)
        24 00 00 00  02 00  00 01  01 00 00 00  34 12 00 00  00 00 00 00
        20 00 00 00  10 00  05 00  01 00 00 00  00 00 00 00
    ");
    let mut t = Transaction::<CtrlMessage>::new(1);
    t.feed(&reply).expect("parse");
    assert!(t.is_complete());
    let messages = t.finish().expect("ok");
    assert_eq!(messages[0].family_id(), Some(FAMILY));
}

#[test]
fn every_request_round_trips_through_the_parser() {
    let mut svc = Service::new(ServiceKey::tcp(ip("2001:db8::1"), 443), Scheduler::Mh);
    svc.pe_name = Some("sip".into());
    svc.persistence = Some(Persistence { timeout: 30, netmask: Netmask::V6Prefix(48) });
    let parsed_back = |message: IpvsMessage| {
        let bytes = encode_ipvs(message.clone(), NLM_F_REQUEST, 1);
        let replies = parse_datagram::<IpvsMessage>(&bytes).expect("parse");
        assert_eq!(replies, vec![(1, Reply::Data(message.clone()))]);
        message
    };
    let message = parsed_back(request::op_request(&Op::AddService(svc.clone())));
    let IpvsAttr::Service(attrs) = &message.attrs[0] else { panic!("service nest") };
    assert_eq!(service::parse_service(attrs).expect("service"), svc);
    for forwarding in [
        ForwardingMethod::Masquerade,
        ForwardingMethod::DirectRoute,
        ForwardingMethod::Local,
        ForwardingMethod::Bypass,
        ForwardingMethod::Tunnel(TunnelType::Ipip),
        ForwardingMethod::Tunnel(TunnelType::Gre { flags: 2 }),
        ForwardingMethod::Tunnel(TunnelType::Gue { port: 5555, flags: 0 }),
    ] {
        let d = Destination::new(ip("2001:db8::10"), 443, forwarding, 3);
        let message = parsed_back(request::op_request(&Op::AddDestination(svc.key, d.clone())));
        let IpvsAttr::Dest(attrs) = &message.attrs[1] else { panic!("dest nest") };
        assert_eq!(dest::parse_dest(svc.key.family(), attrs).expect("dest"), d);
    }
    let _ = Protocol::Sctp;
}
