//! The netlink client: the one [`IpvsKernel`] that talks to the kernel, and
//! the only code touching a socket.
//!
//! Operations are sent in batches: many requests per `send`, the last with
//! `NLM_F_ACK`; error replies are matched back to their op by sequence
//! number. Dumps (services, then each service's real servers) are
//! one request each, since a netlink socket runs one dump at a time.

use std::fmt::Debug;
use std::io;

use netlink_packet_core::{DecodeError, Emitable, ParseableParametrized};
use netlink_packet_generic::{GenlFamily, GenlHeader};
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_GENERIC};

use crate::codec::ctrl::CtrlMessage;
use crate::codec::message::{FAMILY_NAME, IpvsAttr, IpvsMessage};
use crate::codec::netlink::{Acks, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, Transaction, encode_request};
use crate::codec::{config, daemon, dest, info, request, service};
use crate::error::{Errno, IpvsError};
use crate::kernel::{ApplyReport, IpvsKernel, OpFailure};
use crate::plan::Op;
use crate::settings::{DaemonState, Info, SyncDaemon, Timeouts, stop_daemon_text};
use crate::table::{ServiceKey, Table};

/// How many requests go into one `send` by default.
pub const DEFAULT_BATCH: usize = 128;
/// Receive buffer size; the kernel never sends a datagram larger than 32 KiB
/// to a reader offering this much.
const RECV_BUFFER: usize = 64 * 1024;

/// The datagram pipe under a [`Client`]: a netlink socket, or a script in tests.
pub trait Transport {
    /// Sends one datagram (possibly holding many netlink messages).
    ///
    /// # Errors
    /// The system error.
    fn send(&mut self, datagram: &[u8]) -> io::Result<()>;

    /// Receives one datagram.
    ///
    /// # Errors
    /// The system error.
    fn recv(&mut self) -> io::Result<Vec<u8>>;
}

/// A `NETLINK_GENERIC` socket connected to the kernel.
#[derive(Debug)]
pub struct NetlinkSocket(Socket);

impl NetlinkSocket {
    /// Opens, binds and connects the socket.
    ///
    /// # Errors
    /// When the socket cannot be created or bound.
    pub fn open() -> Result<Self, IpvsError> {
        let socket_error = |step| move |source| IpvsError::Socket { step, source };
        let mut socket = Socket::new(NETLINK_GENERIC).map_err(socket_error("open"))?;
        socket.bind_auto().map_err(socket_error("bind"))?;
        socket.connect(&SocketAddr::new(0, 0)).map_err(socket_error("connect"))?;
        // Errors then echo only the request header, not the whole request.
        // Kernels before 4.2 lack the option; that only costs buffer space.
        let _ = socket.set_cap_ack(true);
        Ok(NetlinkSocket(socket))
    }
}

impl Transport for NetlinkSocket {
    fn send(&mut self, datagram: &[u8]) -> io::Result<()> {
        let sent = self.0.send(datagram, 0)?;
        if sent != datagram.len() {
            return Err(io::Error::other(format!("short send: {sent} of {} bytes", datagram.len())));
        }
        Ok(())
    }

    fn recv(&mut self) -> io::Result<Vec<u8>> {
        let mut buf = Vec::with_capacity(RECV_BUFFER);
        // MSG_TRUNC makes recv return the real datagram length.
        let len = self.0.recv(&mut buf, libc::MSG_TRUNC)?;
        if len > buf.len() {
            return Err(io::Error::other(format!("reply of {len} bytes truncated to {}", buf.len())));
        }
        Ok(buf)
    }
}

/// An IPVS generic netlink client (what `ipvsadm` does, as a library).
#[derive(Debug)]
pub struct Client<T: Transport = NetlinkSocket> {
    transport: T,
    family: u16,
    seq: u32,
    batch: usize,
}

impl Client<NetlinkSocket> {
    /// Connects to this network namespace's IPVS.
    ///
    /// # Errors
    /// [`IpvsError::NotAvailable`] when the kernel has no IPVS; socket errors.
    pub fn open() -> Result<Self, IpvsError> {
        Client::with_transport(NetlinkSocket::open()?)
    }
}

impl<T: Transport> Client<T> {
    /// A client over `transport`; resolves the "IPVS" family id first.
    ///
    /// # Errors
    /// [`IpvsError::NotAvailable`] when the family does not exist.
    pub fn with_transport(transport: T) -> Result<Self, IpvsError> {
        let mut client = Client { transport, family: 0, seq: 0, batch: DEFAULT_BATCH };
        let what = "resolve generic netlink family IPVS";
        let replies = client.transaction(CtrlMessage::get_family(FAMILY_NAME), 0, NLM_F_ACK, what).map_err(
            |e| match e {
                IpvsError::Rejected { errno: Errno::ENOENT, .. } => IpvsError::NotAvailable,
                other => other,
            },
        )?;
        client.family = replies.iter().find_map(CtrlMessage::family_id).ok_or_else(|| IpvsError::Decode {
            request: what.to_owned(),
            source: DecodeError::from("no CTRL_ATTR_FAMILY_ID in the reply"),
        })?;
        Ok(client)
    }

    /// Sets how many operations go into one `send` (at least 1).
    pub fn set_batch_size(&mut self, batch: usize) {
        self.batch = batch.max(1);
    }

    /// The resolved IPVS family id.
    pub fn family_id(&self) -> u16 {
        self.family
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    fn send(&mut self, datagram: &[u8]) -> Result<(), IpvsError> {
        self.transport.send(datagram).map_err(|source| IpvsError::Socket { step: "send", source })
    }

    fn recv(&mut self) -> Result<Vec<u8>, IpvsError> {
        self.transport.recv().map_err(|source| IpvsError::Socket { step: "receive", source })
    }

    /// Sends one request and collects its data replies until DONE or the ack.
    fn transaction<F>(&mut self, message: F, family: u16, flags: u16, what: &str) -> Result<Vec<F>, IpvsError>
    where
        F: GenlFamily + Emitable + ParseableParametrized<[u8], GenlHeader> + Debug,
    {
        let seq = self.next_seq();
        let mut datagram = Vec::new();
        encode_request(message, family, NLM_F_REQUEST | flags, seq, &mut datagram);
        self.send(&datagram)?;
        let mut transaction = Transaction::<F>::new(seq);
        while !transaction.is_complete() {
            let reply = self.recv()?;
            transaction.feed(&reply).map_err(|source| decode_error(what, source))?;
        }
        transaction.finish().map_err(|errno| IpvsError::Rejected { request: what.to_owned(), errno })
    }

    fn ipvs(&mut self, message: IpvsMessage, flags: u16, what: &str) -> Result<Vec<IpvsMessage>, IpvsError> {
        self.transaction(message, self.family, flags, what)
    }

    /// IPVS version and connection table size (`ipvsadm --version`).
    ///
    /// # Errors
    /// When the kernel refuses or the reply is malformed.
    pub fn info(&mut self) -> Result<Info, IpvsError> {
        let what = "--version";
        let replies = self.ipvs(request::get_info(), NLM_F_ACK, what)?;
        let attrs = replies.first().map(|m| m.attrs.as_slice()).unwrap_or_default();
        info::parse_info(attrs).map_err(|e| decode_error(what, e))
    }

    /// The virtual services, without their real servers.
    ///
    /// # Errors
    /// When the kernel refuses or a reply is malformed.
    pub fn services(&mut self) -> Result<Table, IpvsError> {
        let what = "-L -n";
        let replies = self.ipvs(request::dump_services(), NLM_F_DUMP, what)?;
        let services = nested(&replies, |a| match a {
            IpvsAttr::Service(attrs) => Some(service::parse_service(attrs)),
            _ => None,
        });
        Ok(Table { services: services.map_err(|e| decode_error(what, e))? })
    }

    /// The real servers of one service.
    ///
    /// # Errors
    /// When the kernel refuses (`ESRCH`: no such service) or a reply is malformed.
    pub fn destinations(&mut self, key: &ServiceKey) -> Result<Vec<crate::Destination>, IpvsError> {
        let what = format!("-L -n {key}");
        let replies = self.ipvs(request::dump_destinations(key), NLM_F_DUMP, &what)?;
        nested(&replies, |a| match a {
            IpvsAttr::Dest(attrs) => Some(dest::parse_dest(key.family(), attrs)),
            _ => None,
        })
        .map_err(|e| decode_error(&what, e))
    }

    fn simple(&mut self, message: IpvsMessage, what: &str) -> Result<(), IpvsError> {
        self.ipvs(message, NLM_F_ACK, what).map(drop)
    }
}

fn decode_error(what: &str, source: DecodeError) -> IpvsError {
    IpvsError::Decode { request: what.to_owned(), source }
}

/// Parses the nested object of each reply message that `pick` recognises.
fn nested<V>(
    replies: &[IpvsMessage],
    pick: impl Fn(&IpvsAttr) -> Option<Result<V, DecodeError>>,
) -> Result<Vec<V>, DecodeError> {
    replies.iter().flat_map(|m| m.attrs.iter().filter_map(&pick)).collect()
}

impl<T: Transport> IpvsKernel for Client<T> {
    fn snapshot(&mut self) -> Result<Table, IpvsError> {
        let mut table = self.services()?;
        for service in &mut table.services {
            service.destinations = self.destinations(&service.key)?;
        }
        Ok(table)
    }

    fn apply(&mut self, ops: &[Op]) -> Result<ApplyReport, IpvsError> {
        let mut report = ApplyReport { attempted: ops.len(), failures: Vec::new() };
        for (chunk_number, chunk) in ops.chunks(self.batch).enumerate() {
            let first_seq = self.seq.wrapping_add(1);
            let mut datagram = Vec::new();
            for (i, op) in chunk.iter().enumerate() {
                let seq = self.next_seq();
                // Failures are reported anyway; only the last one asks for
                // an ack, which tells that the whole batch is done.
                let ack = if i + 1 == chunk.len() { NLM_F_ACK } else { 0 };
                encode_request(request::op_request(op), self.family, NLM_F_REQUEST | ack, seq, &mut datagram);
            }
            self.send(&datagram)?;
            let mut acks = Acks::new(first_seq, chunk.len());
            while !acks.is_complete() {
                let reply = self.recv()?;
                acks.feed::<IpvsMessage>(&reply).map_err(|e| decode_error("acknowledgements", e))?;
            }
            for (i, result) in acks.results().enumerate() {
                if let Err(errno) = result {
                    let index = chunk_number * self.batch + i;
                    report.failures.push(OpFailure { index, op: chunk[i].clone(), errno });
                }
            }
        }
        Ok(report)
    }

    fn flush(&mut self) -> Result<(), IpvsError> {
        self.simple(request::flush(), "-C")
    }

    fn timeouts(&mut self) -> Result<Timeouts, IpvsError> {
        let replies = self.ipvs(request::get_config(), NLM_F_ACK, "-L --timeout")?;
        Ok(config::parse_timeouts(replies.first().map(|m| m.attrs.as_slice()).unwrap_or_default()))
    }

    fn set_timeouts(&mut self, t: &Timeouts) -> Result<(), IpvsError> {
        self.simple(request::set_config(t), &format!("--set {} {} {}", t.tcp, t.tcp_fin, t.udp))
    }

    fn daemons(&mut self) -> Result<Vec<SyncDaemon>, IpvsError> {
        let what = "-L --daemon";
        let replies = self.ipvs(request::dump_daemons(), NLM_F_DUMP, what)?;
        nested(&replies, |a| match a {
            IpvsAttr::Daemon(attrs) => Some(daemon::parse_daemon(attrs)),
            _ => None,
        })
        .map_err(|e| decode_error(what, e))
    }

    fn start_daemon(&mut self, d: &SyncDaemon) -> Result<(), IpvsError> {
        self.simple(request::new_daemon(d), &d.to_string())
    }

    fn stop_daemon(&mut self, state: DaemonState) -> Result<(), IpvsError> {
        self.simple(request::del_daemon(state), &stop_daemon_text(state))
    }
}

#[cfg(test)]
mod tests;
