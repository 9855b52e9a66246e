//! A kernel reply datagram for each request the IPVS client makes
//! (`ipvs::Client`: services, destinations of an IPv4 or IPv6 service,
//! sync daemons, version info, timeouts, the generic netlink family lookup,
//! acknowledgements of a batch), decoded from arbitrary bytes the way the
//! client decodes it:
//! - `codec::netlink::parse_datagram` never panics and stays bounded: every
//!   reply consumes at least a 16-byte `nlmsghdr`, every attribute at least
//!   its 4-byte header;
//! - a decoded message, encoded again by `encode_request`, decodes to the
//!   same `(sequence number, message)` (except for `known_library_bug`);
//! - `Transaction` ends on the first DONE, ack or error of its sequence
//!   number and returns exactly the data before it (or the error), replies
//!   to other requests being ignored; `Acks` has one result per request;
//! - a decoded `Service` has no destinations, no persistent or hashed bit in
//!   `flags`, a non-zero firewall mark and an IPv6 prefix of at most 128;
//!   planning a decoded table against itself gives no operation; a decoded
//!   `Service`, `Destination`, `SyncDaemon`, `Info` or `Timeouts` sent back
//!   through the codec's request builders (`op_request` for `-A`/`-E`/`-a`/`-e`,
//!   `new_daemon`, `set_config`) decodes to the same value.
//!
//! Input layout (the seeds under `corpus/ipvs_netlink_parse/` follow it):
//! byte 0 picks the request whose reply the rest is: 0 services dump,
//! 1 destinations of an IPv4 service, 2 of an IPv6 service, 3 daemons dump,
//! 4 GET_INFO, 5 GET_CONFIG, 6 family lookup (ctrl), 7 acknowledgements;
//! the value is taken modulo 8, bits 3–5 plus one are the number of requests
//! in the acknowledged batch.

#![no_main]

use std::fmt::Debug;
use std::net::IpAddr;

use ipvs::codec::ctrl::{CtrlMessage, GENL_ID_CTRL};
use ipvs::codec::info::InfoAttr;
use ipvs::codec::netlink::{Acks, NLM_F_REQUEST, Reply, Transaction, encode_request, parse_datagram};
use ipvs::codec::{IpvsAttr, IpvsCommand, IpvsMessage, config, daemon, dest, info, request, service};
use ipvs::{AddressFamily, Errno, Netmask, Op, ServiceKey, Table};
use libfuzzer_sys::fuzz_target;
use netlink_packet_core::{Emitable, ParseableParametrized};
use netlink_packet_generic::{GenlFamily, GenlHeader};

/// The family id the kernel is pretended to have given "IPVS".
const FAMILY: u16 = 0x1c;
/// `nlmsghdr` length: the least a reply can consume.
const NLMSG_HDR: usize = 16;

/// `message` encoded with sequence number `seq` and decoded again.
fn reencoded<F>(message: &F, family: u16, seq: u32) -> Vec<(u32, Reply<F>)>
where
    F: GenlFamily + Emitable + ParseableParametrized<[u8], GenlHeader> + Debug + Clone,
{
    let mut bytes = Vec::new();
    encode_request(message.clone(), family, NLM_F_REQUEST, seq, &mut bytes);
    parse_datagram::<F>(&bytes).unwrap_or_else(|e| panic!("{message:?} re-encoded does not decode: {e}"))
}

/// netlink-packet-core 0.9 drops `NLA_F_NET_BYTEORDER` when it emits an
/// attribute that also has `NLA_F_NESTED` (`NlaBuffer::set_nested_flag`
/// rereads the type through `NLA_TYPE_MASK`), so an unknown attribute
/// (`DefaultNla`) with both flags does not survive re-encoding (fixed upstream
/// in rust-netlink/netlink-packet-core#53). Our requests never carry unknown
/// attributes; such messages skip the round trip.
fn known_library_bug(message: &impl Debug) -> bool {
    format!("{message:?}").split("DefaultNla { kind: ").skip(1).any(|rest| {
        rest.split(',').next().and_then(|n| n.parse::<u16>().ok()).is_some_and(|kind| kind & 0xc000 == 0xc000)
    })
}

/// The datagram as `parse_datagram` and `Transaction` see it; the data
/// messages of the first reply's sequence number, or the error it ends with.
fn decode<F>(datagram: &[u8], family: u16) -> Option<Result<Vec<F>, Errno>>
where
    F: GenlFamily + Emitable + ParseableParametrized<[u8], GenlHeader> + Debug + Clone + PartialEq,
{
    let parsed = parse_datagram::<F>(datagram);
    let mut transaction = Transaction::<F>::new(parsed.as_ref().ok()?.first()?.0);
    assert_eq!(transaction.feed(datagram).is_ok(), parsed.is_ok());
    let replies = parsed.ok()?;
    assert!(
        replies.len() * NLMSG_HDR <= datagram.len(),
        "{} replies from {} bytes",
        replies.len(),
        datagram.len()
    );

    let seq = replies[0].0;
    let (mut data, mut outcome) = (Vec::new(), None);
    for (s, reply) in &replies {
        if let Reply::Data(message) = reply
            && !known_library_bug(message)
        {
            assert_eq!(reencoded(message, family, *s), vec![(*s, Reply::Data(message.clone()))]);
        }
        if *s != seq || outcome.is_some() {
            continue;
        }
        match reply {
            Reply::Data(message) => data.push(message.clone()),
            Reply::Done | Reply::Ack => outcome = Some(Ok(())),
            Reply::Error(errno) => outcome = Some(Err(*errno)),
        }
    }
    assert_eq!(transaction.is_complete(), outcome.is_some());
    let expected = match outcome {
        Some(Err(errno)) => Err(errno),
        _ => Ok(data),
    };
    let result = transaction.finish();
    assert_eq!(result, expected, "Transaction differs from the replies");
    Some(result)
}

/// The nested objects of the reply messages, as the client picks them.
fn nested<'a, V>(messages: &'a [IpvsMessage], pick: impl Fn(&'a IpvsAttr) -> Option<V>) -> Vec<V> {
    messages.iter().flat_map(|m| m.attrs.iter().filter_map(&pick)).collect()
}

/// Attribute `index` of the one message a re-encoded request decodes to.
fn sent_back(decoded: &[(u32, Reply<IpvsMessage>)], index: usize) -> &IpvsAttr {
    let [(_, Reply::Data(message))] = decoded else { panic!("one message expected: {decoded:?}") };
    &message.attrs[index]
}

fn check_services(messages: &[IpvsMessage]) {
    let services: Vec<_> = nested(messages, |a| match a {
        IpvsAttr::Service(attrs) => service::parse_service(attrs).ok(),
        _ => None,
    });
    for svc in &services {
        assert!(svc.destinations.is_empty());
        assert_eq!(svc.flags & 0x3, 0, "persistent/hashed bit kept in {svc:?}");
        if let ServiceKey::Fwmark { mark, .. } = svc.key {
            assert_ne!(mark, 0, "fwmark 0 is not a fwmark service");
        }
        if let Some(p) = &svc.persistence {
            match (svc.key.family(), p.netmask) {
                (AddressFamily::Inet6, Netmask::V6Prefix(len)) => assert!(len <= 128),
                (AddressFamily::Inet, Netmask::V4(_)) => {}
                other => panic!("netmask of the wrong family: {other:?}"),
            }
        }
        for op in [Op::AddService(svc.clone()), Op::EditService(svc.clone())] {
            let back = reencoded(&request::op_request(&op), FAMILY, 1);
            let IpvsAttr::Service(attrs) = sent_back(&back, 0) else { panic!("service nest: {back:?}") };
            assert_eq!(
                service::parse_service(attrs).map_err(|e| e.to_string()).as_ref(),
                Ok(svc),
                "{op} changes the service"
            );
        }
    }
    let table = Table { services };
    assert!(ipvs::plan(&table, &table).is_empty(), "a table differs from itself: {table:?}");
    let _ = table.to_rules();
}

fn check_destinations(messages: &[IpvsMessage], key: ServiceKey) {
    let destinations = nested(messages, |a| match a {
        IpvsAttr::Dest(attrs) => dest::parse_dest(key.family(), attrs).ok(),
        _ => None,
    });
    for d in destinations {
        for op in [Op::AddDestination(key, d.clone()), Op::EditDestination(key, d.clone())] {
            let back = reencoded(&request::op_request(&op), FAMILY, 1);
            let IpvsAttr::Dest(attrs) = sent_back(&back, 1) else { panic!("dest nest: {back:?}") };
            assert_eq!(
                dest::parse_dest(key.family(), attrs).map_err(|e| e.to_string()),
                Ok(d.clone()),
                "{op} changes the real server"
            );
        }
    }
}

fn check_daemons(messages: &[IpvsMessage]) {
    let daemons = nested(messages, |a| match a {
        IpvsAttr::Daemon(attrs) => daemon::parse_daemon(attrs).ok(),
        _ => None,
    });
    for d in daemons {
        let back = reencoded(&request::new_daemon(&d), FAMILY, 1);
        let IpvsAttr::Daemon(attrs) = sent_back(&back, 0) else { panic!("daemon nest: {back:?}") };
        assert_eq!(
            daemon::parse_daemon(attrs).map_err(|e| e.to_string()),
            Ok(d.clone()),
            "--start-daemon changes {d}"
        );
    }
}

fn check_info(messages: &[IpvsMessage]) {
    let attrs = messages.first().map(|m| m.attrs.as_slice()).unwrap_or_default();
    let Ok(parsed) = info::parse_info(attrs) else { return };
    let _ = parsed.to_string();
    let reply = IpvsMessage::new(
        IpvsCommand::SetInfo,
        vec![
            IpvsAttr::Info(InfoAttr::Version(parsed.version)),
            IpvsAttr::Info(InfoAttr::ConnTabSize(parsed.conn_tab_size)),
        ],
    );
    let back = reencoded(&reply, FAMILY, 1);
    let [(_, Reply::Data(message))] = back.as_slice() else { panic!("{back:?}") };
    assert_eq!(info::parse_info(&message.attrs).map_err(|e| e.to_string()), Ok(parsed));
}

fn check_timeouts(messages: &[IpvsMessage]) {
    let timeouts = config::parse_timeouts(messages.first().map(|m| m.attrs.as_slice()).unwrap_or_default());
    let back = reencoded(&request::set_config(&timeouts), FAMILY, 1);
    let [(_, Reply::Data(message))] = back.as_slice() else { panic!("{back:?}") };
    assert_eq!(config::parse_timeouts(&message.attrs), timeouts, "--set changes the timeouts");
}

fn check_acks(datagram: &[u8], len: usize) {
    let first_seq = match parse_datagram::<IpvsMessage>(datagram) {
        Ok(replies) => replies.first().map_or(1, |r| r.0),
        Err(_) => 1,
    };
    let mut acks = Acks::new(first_seq, len);
    if acks.feed::<IpvsMessage>(datagram).is_ok() {
        assert_eq!(acks.results().count(), len);
    }
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("fuzz target address")
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, datagram)) = data.split_first() else { return };
    if selector % 8 == 6 {
        if let Some(Ok(messages)) = decode::<CtrlMessage>(datagram, GENL_ID_CTRL) {
            for m in &messages {
                let _ = m.family_id();
            }
        }
        return;
    }
    if selector % 8 == 7 {
        check_acks(datagram, usize::from((selector >> 3) & 7) + 1);
        return;
    }
    let Some(Ok(messages)) = decode::<IpvsMessage>(datagram, FAMILY) else { return };
    for m in &messages {
        assert!(
            m.attrs.len() * 4 <= datagram.len(),
            "{} attributes from {} bytes",
            m.attrs.len(),
            datagram.len()
        );
    }
    match selector % 8 {
        0 => check_services(&messages),
        1 => check_destinations(&messages, ServiceKey::tcp(ip("192.0.2.1"), 80)),
        2 => check_destinations(&messages, ServiceKey::tcp(ip("2001:db8::1"), 443)),
        3 => check_daemons(&messages),
        4 => check_info(&messages),
        _ => check_timeouts(&messages),
    }
});
