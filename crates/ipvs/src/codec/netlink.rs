//! Netlink framing: requests as `nlmsghdr` + genl header + attributes, and
//! replies (data, `NLMSG_DONE`, `NLMSG_ERROR` acks and errors) matched to
//! their request by sequence number. Pure: bytes in, values out.

use std::fmt::Debug;

use netlink_packet_core::{
    DecodeError, Emitable, NetlinkHeader, NetlinkMessage, NetlinkPayload, ParseableParametrized,
};
use netlink_packet_generic::{GenlFamily, GenlHeader, GenlMessage};

use crate::error::Errno;

pub use netlink_packet_core::{NLM_F_ACK, NLM_F_DUMP, NLM_F_MULTIPART, NLM_F_REQUEST};

/// Appends one request to `out`: a `nlmsghdr` (type = `family_id`, pid 0),
/// the genl header of `payload` and its attributes.
pub fn encode_request<F>(payload: F, family_id: u16, flags: u16, seq: u32, out: &mut Vec<u8>)
where
    F: GenlFamily + Emitable + Debug,
{
    let header = GenlHeader { cmd: payload.command(), version: payload.version() };
    let genl = GenlMessage::new(header, payload, family_id);
    let mut nl_header = NetlinkHeader::default();
    nl_header.flags = flags;
    nl_header.sequence_number = seq;
    let mut message = NetlinkMessage::new(nl_header, NetlinkPayload::InnerMessage(genl));
    message.finalize();
    let start = out.len();
    out.resize(start + message.buffer_len(), 0);
    message.serialize(&mut out[start..]);
}

/// What one netlink message of a reply says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply<F> {
    /// A data message (one entry of a dump, or a GET reply).
    Data(F),
    /// `NLMSG_DONE`: the dump is complete.
    Done,
    /// `NLMSG_ERROR` with error 0: the request succeeded.
    Ack,
    /// `NLMSG_ERROR` with a negative errno (or a `NLMSG_DONE` carrying one).
    Error(Errno),
}

/// Splits a received datagram into `(sequence number, reply)` pairs.
///
/// # Errors
/// When a message is truncated or its payload cannot be decoded.
pub fn parse_datagram<F>(mut buf: &[u8]) -> Result<Vec<(u32, Reply<F>)>, DecodeError>
where
    F: ParseableParametrized<[u8], GenlHeader> + Debug,
{
    let mut replies = Vec::new();
    while !buf.is_empty() {
        let message = NetlinkMessage::<GenlMessage<F>>::deserialize(buf)?;
        let seq = message.header.sequence_number;
        // The header length was checked against the buffer by deserialize;
        // messages are padded to 4 bytes.
        let advance = (message.header.length as usize).div_ceil(4) * 4;
        let reply = match message.payload {
            NetlinkPayload::InnerMessage(genl) => Reply::Data(genl.payload),
            NetlinkPayload::Done(done) if done.code < 0 => Reply::Error(Errno(done.code.saturating_neg())),
            NetlinkPayload::Done(_) => Reply::Done,
            NetlinkPayload::Error(err) => match err.code {
                None => Reply::Ack,
                Some(code) => Reply::Error(Errno(code.get().saturating_abs())),
            },
            NetlinkPayload::Noop => {
                buf = buf.get(advance..).unwrap_or_default();
                continue;
            }
            NetlinkPayload::Overrun(_) => return Err(DecodeError::from("netlink overrun")),
            _ => return Err(DecodeError::from("unknown netlink payload")),
        };
        replies.push((seq, reply));
        buf = buf.get(advance..).unwrap_or_default();
    }
    Ok(replies)
}

/// Collects the replies to one request (a dump, or a GET/SET sent with
/// `NLM_F_ACK`) across as many datagrams as the kernel sends.
#[derive(Debug)]
pub struct Transaction<F> {
    seq: u32,
    data: Vec<F>,
    outcome: Option<Result<(), Errno>>,
}

impl<F> Transaction<F>
where
    F: ParseableParametrized<[u8], GenlHeader> + Debug,
{
    /// Waits for the replies to request `seq`.
    pub fn new(seq: u32) -> Self {
        Transaction { seq, data: Vec::new(), outcome: None }
    }

    /// Takes in one datagram; replies to other requests are ignored.
    ///
    /// # Errors
    /// When the datagram cannot be decoded.
    pub fn feed(&mut self, datagram: &[u8]) -> Result<(), DecodeError> {
        for (seq, reply) in parse_datagram::<F>(datagram)? {
            if seq != self.seq || self.outcome.is_some() {
                continue;
            }
            match reply {
                Reply::Data(message) => self.data.push(message),
                Reply::Done | Reply::Ack => self.outcome = Some(Ok(())),
                Reply::Error(errno) => self.outcome = Some(Err(errno)),
            }
        }
        Ok(())
    }

    /// Whether the final DONE, ack or error has arrived.
    pub fn is_complete(&self) -> bool {
        self.outcome.is_some()
    }

    /// The data messages, or the kernel's error.
    ///
    /// # Errors
    /// The errno the kernel answered with.
    pub fn finish(self) -> Result<Vec<F>, Errno> {
        match self.outcome {
            Some(Err(errno)) => Err(errno),
            _ => Ok(self.data),
        }
    }
}

/// Collects the acknowledgements of a batch of requests sent with
/// consecutive sequence numbers `first_seq..first_seq + len`.
#[derive(Debug)]
pub struct Acks {
    first_seq: u32,
    results: Vec<Option<Result<(), Errno>>>,
}

impl Acks {
    /// Waits for the answers to `len` requests starting at `first_seq`.
    ///
    /// Only the last request of a batch needs `NLM_F_ACK`: the kernel
    /// handles the requests of a datagram in order and reports every failed
    /// one even without the flag, so once the last is answered, a request
    /// without an answer succeeded. This saves one receive per operation.
    pub fn new(first_seq: u32, len: usize) -> Self {
        Acks { first_seq, results: vec![None; len] }
    }

    /// Takes in one datagram; replies outside the batch are ignored.
    ///
    /// # Errors
    /// When the datagram cannot be decoded.
    pub fn feed<F>(&mut self, datagram: &[u8]) -> Result<(), DecodeError>
    where
        F: ParseableParametrized<[u8], GenlHeader> + Debug,
    {
        for (seq, reply) in parse_datagram::<F>(datagram)? {
            let index = seq.wrapping_sub(self.first_seq) as usize;
            let result = match reply {
                Reply::Ack => Ok(()),
                Reply::Error(errno) => Err(errno),
                Reply::Data(_) | Reply::Done => continue,
            };
            if let Some(slot @ None) = self.results.get_mut(index) {
                *slot = Some(result);
            }
        }
        Ok(())
    }

    /// Whether the last request of the batch has been answered (and so,
    /// the replies being in order, every one before it).
    pub fn is_complete(&self) -> bool {
        self.results.last().is_none_or(Option::is_some)
    }

    /// Per request (in sending order): `Ok`, or the kernel's error.
    pub fn results(&self) -> impl Iterator<Item = Result<(), Errno>> + '_ {
        self.results.iter().map(|r| r.unwrap_or(Ok(())))
    }
}
