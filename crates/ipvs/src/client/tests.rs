//! Client tests over a scripted transport: the bytes the client sends, and
//! replies built the way the kernel builds them.
#![cfg(target_endian = "little")]

use std::collections::VecDeque;
use std::net::IpAddr;

use super::*;
use crate::codec::ctrl::{CTRL_CMD_NEWFAMILY, CtrlAttr};
use crate::codec::message::IpvsCommand;
use crate::codec::netlink::{NLM_F_MULTIPART, Reply, parse_datagram};
use crate::table::{Destination, ForwardingMethod, Scheduler, Service};

const FAMILY: u16 = 0x1c;

type Respond = Box<dyn FnMut(&[u8]) -> Vec<Vec<u8>>>;

/// Answers family resolution, then replies to each sent datagram with what
/// `respond` computes from it.
struct Script {
    respond: Respond,
    resolved: bool,
    sent: Vec<Vec<u8>>,
    queue: VecDeque<Vec<u8>>,
}

impl Script {
    fn new(resolved: bool, respond: impl FnMut(&[u8]) -> Vec<Vec<u8>> + 'static) -> Self {
        Script { respond: Box::new(respond), resolved, sent: Vec::new(), queue: VecDeque::new() }
    }
}

impl std::fmt::Debug for Script {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Script({} sent)", self.sent.len())
    }
}

impl Transport for Script {
    fn send(&mut self, datagram: &[u8]) -> io::Result<()> {
        self.sent.push(datagram.to_vec());
        let replies =
            if self.resolved { (self.respond)(datagram) } else { family_reply(header_fields(datagram).1) };
        self.resolved = true;
        self.queue.extend(replies);
        Ok(())
    }

    fn recv(&mut self) -> io::Result<Vec<u8>> {
        self.queue.pop_front().ok_or_else(|| io::Error::other("script has no more replies"))
    }
}

fn header_fields(datagram: &[u8]) -> (u16, u32) {
    (
        u16::from_ne_bytes([datagram[4], datagram[5]]),
        u32::from_ne_bytes([datagram[8], datagram[9], datagram[10], datagram[11]]),
    )
}

/// `NLMSG_ERROR` for `seq` with `-errno` (0 = ack) and the 16-byte request header.
fn ack(seq: u32, errno: i32) -> Vec<u8> {
    let mut out = 36u32.to_ne_bytes().to_vec();
    out.extend(2u16.to_ne_bytes());
    out.extend(0x100u16.to_ne_bytes());
    out.extend(seq.to_ne_bytes());
    out.extend(0u32.to_ne_bytes());
    out.extend((-errno).to_ne_bytes());
    out.extend([0; 16]);
    out
}

fn done(seq: u32) -> Vec<u8> {
    let mut out = 20u32.to_ne_bytes().to_vec();
    out.extend(3u16.to_ne_bytes());
    out.extend(2u16.to_ne_bytes());
    out.extend(seq.to_ne_bytes());
    out.extend([0; 8]);
    out
}

fn family_reply(seq: u32) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let message = CtrlMessage {
        cmd: CTRL_CMD_NEWFAMILY,
        attrs: vec![CtrlAttr::FamilyName("IPVS".into()), CtrlAttr::FamilyId(FAMILY)],
    };
    encode_request(message, 0, 0, seq, &mut out);
    vec![out, ack(seq, 0)]
}

fn requests(datagram: &[u8]) -> Vec<(u32, IpvsMessage)> {
    parse_datagram::<IpvsMessage>(datagram)
        .expect("client sends valid messages")
        .into_iter()
        .filter_map(|(seq, r)| match r {
            Reply::Data(m) => Some((seq, m)),
            _ => None,
        })
        .collect()
}

/// The `nlmsg_flags` of each message of a datagram.
fn flags(datagram: &[u8]) -> Vec<u16> {
    let mut out = Vec::new();
    let mut rest = datagram;
    while rest.len() >= 16 {
        let len = u32::from_ne_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        out.push(u16::from_ne_bytes([rest[6], rest[7]]));
        rest = &rest[len.next_multiple_of(4).min(rest.len())..];
    }
    out
}

fn client(respond: impl FnMut(&[u8]) -> Vec<Vec<u8>> + 'static) -> Client<Script> {
    Client::with_transport(Script::new(false, respond)).expect("family resolves")
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

#[test]
fn kernel_without_ipvs_gives_a_clear_error() {
    let script = Script::new(true, |d: &[u8]| vec![ack(header_fields(d).1, 2)]);
    let err = Client::with_transport(script).expect_err("no IPVS");
    assert_eq!(
        err.to_string(),
        "IPVS is not available in this kernel (generic netlink family \"IPVS\" not found; modprobe ip_vs?)"
    );
}

#[test]
fn apply_batches_requests_and_maps_errors_to_ops() {
    let key = ServiceKey::tcp(ip("192.0.2.1"), 80);
    let mut ops = vec![Op::AddService(Service::new(key, Scheduler::Wlc))];
    for i in 1..=4 {
        let d = Destination::new(ip(&format!("10.0.0.{i}")), 80, ForwardingMethod::Masquerade, 1);
        ops.push(Op::AddDestination(key, d));
    }
    let mut c = client(|datagram| {
        // Like the kernel: an answer for each request that asks for an ack,
        // and for each refused one (the third, with EEXIST) even unasked.
        requests(datagram)
            .into_iter()
            .zip(flags(datagram))
            .filter_map(|((seq, m), flags)| {
                let refuse = m.cmd == IpvsCommand::NewDest && format!("{m:?}").contains("[10, 0, 0, 2,");
                (refuse || flags & NLM_F_ACK != 0).then(|| ack(seq, if refuse { 17 } else { 0 }))
            })
            .collect()
    });
    c.set_batch_size(2);
    let report = c.apply(&ops).expect("apply");
    assert_eq!(report.attempted, 5);
    assert_eq!(report.failures.len(), 1);
    assert_eq!(report.failures[0].index, 2);
    assert_eq!(report.failures[0].to_string(), "-a -t 192.0.2.1:80 -r 10.0.0.2:80: File exists");
    // Family resolution, then 3 batches of 2, 2 and 1 requests.
    let counts: Vec<usize> = c.transport.sent[1..].iter().map(|d| requests(d).len()).collect();
    assert_eq!(counts, [2, 2, 1]);
    // Only the last request of each batch asks for an ack.
    let acked: Vec<Vec<bool>> =
        c.transport.sent[1..].iter().map(|d| flags(d).iter().map(|f| f & NLM_F_ACK != 0).collect()).collect();
    assert_eq!(acked, [vec![false, true], vec![false, true], vec![true]]);
    // The sequence numbers are distinct.
    let seqs: Vec<u32> = c.transport.sent[1..].iter().flat_map(|d| requests(d)).map(|(s, _)| s).collect();
    assert_eq!(seqs, [2, 3, 4, 5, 6]);
}

#[test]
fn snapshot_dumps_services_then_each_services_destinations() {
    let key = ServiceKey::tcp(ip("192.0.2.1"), 80);
    let mut web = Service::new(key, Scheduler::Wlc);
    web.destinations.push(Destination::new(ip("10.0.0.1"), 80, ForwardingMethod::DirectRoute, 3));
    let reply_to = web.clone();
    let mut c = client(move |datagram| {
        let (seq, message) = requests(datagram).pop().expect("one request");
        let attrs = match message.cmd {
            IpvsCommand::GetService => vec![IpvsAttr::Service(service::service_entry(&reply_to))],
            IpvsCommand::GetDest => {
                vec![IpvsAttr::Dest(dest::dest_entry(key.family(), &reply_to.destinations[0]))]
            }
            other => panic!("unexpected {other:?}"),
        };
        let cmd = if message.cmd == IpvsCommand::GetService {
            IpvsCommand::NewService
        } else {
            IpvsCommand::NewDest
        };
        let mut data = Vec::new();
        encode_request(IpvsMessage::new(cmd, attrs), FAMILY, NLM_F_MULTIPART, seq, &mut data);
        // The entry and the DONE arrive in separate datagrams.
        vec![data, done(seq)]
    });
    let table = c.snapshot().expect("snapshot");
    assert_eq!(table, Table { services: vec![web] });
    assert_eq!(table.to_rules(), "-A -t 192.0.2.1:80 -s wlc\n-a -t 192.0.2.1:80 -r 10.0.0.1:80 -g -w 3\n");
}

#[test]
fn refused_request_names_the_ipvsadm_equivalent() {
    let mut c = client(|datagram| vec![ack(header_fields(datagram).1, 3)]);
    let err = c.stop_daemon(DaemonState::Backup).expect_err("none running");
    assert_eq!(err.to_string(), "--stop-daemon backup: No such process");
    let err = c.snapshot().expect_err("refused");
    assert_eq!(err.to_string(), "-L -n: No such process");
}

// ---- against this machine's kernel (no IPVS needed) ----

/// A client on a real socket without resolving IPVS, or None where netlink
/// sockets are not allowed.
fn real_socket() -> Option<Client<NetlinkSocket>> {
    let transport = NetlinkSocket::open().ok()?;
    Some(Client { transport, family: 0, seq: 0, batch: DEFAULT_BATCH })
}

#[test]
fn real_kernel_resolves_the_controller_and_reports_ipvs_state() {
    let Some(mut c) = real_socket() else { return };
    let replies = c
        .transaction(CtrlMessage::get_family("nlctrl"), 0, NLM_F_ACK, "resolve nlctrl")
        .expect("nlctrl always exists");
    assert_eq!(replies.iter().find_map(CtrlMessage::family_id), Some(0x10));
    // Either this kernel has IPVS, or the error is the clear one.
    match Client::open() {
        Ok(client) => assert_ne!(client.family_id(), 0),
        Err(e) => assert!(matches!(e, IpvsError::NotAvailable), "{e}"),
    }
}

#[test]
fn real_kernel_dump_is_collected_until_done() {
    let Some(mut c) = real_socket() else { return };
    let all = CtrlMessage { cmd: crate::codec::ctrl::CTRL_CMD_GETFAMILY, attrs: Vec::new() };
    let families = c.transaction(all, 0, NLM_F_DUMP, "dump families").expect("dump");
    let names: Vec<&str> = families
        .iter()
        .flat_map(|m| &m.attrs)
        .filter_map(|a| match a {
            CtrlAttr::FamilyName(n) => Some(n.as_str()),
            _ => None,
        })
        .collect();
    assert!(names.contains(&"nlctrl"), "{names:?}");
}
