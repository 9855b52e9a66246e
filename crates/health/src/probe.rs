//! One probe of one real server (spec §4.3): TCP or UDP connect, optional send, optional read
//! matched against the expect string; or an external `send_program` (spec §4.4).
//!
//! Differences from the original, on purpose:
//! * no ICMP echo is sent (§8 item 12): the original never awaited the reply, so the echo only
//!   added a need for a raw socket (root or CAP_NET_RAW) and a failure mode of its own;
//! * reads are bounded by what matching needs (`strlen(expect)`, 254 bytes for a regex, one
//!   datagram for UDP) but may take several `read` calls within the timeout, so a reply split
//!   over TCP segments is not judged "too short";
//! * UDP without an expect string passes on any reply datagram (the original crashed, §8 #11).

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream, UdpSocket};
use tokio::time::{Instant, timeout_at};

use crate::expect::{Expect, Verdict};

/// Outcome of one probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeResult {
    /// Whether the server passed.
    pub ok: bool,
    /// Why it failed: the nanny log text of spec §6.2, e.g. `CONNECT to 10.0.0.1:80 timed out`.
    pub reason: Option<String>,
}

impl ProbeResult {
    /// A passed probe.
    pub fn ok() -> Self {
        ProbeResult { ok: true, reason: None }
    }

    /// A failed probe with its reason.
    pub fn fail(reason: String) -> Self {
        ProbeResult { ok: false, reason: Some(reason) }
    }
}

/// Formats an address and port as nanny's `%s:%d` (IPv6 in brackets).
pub fn endpoint(host: IpAddr, port: u16) -> String {
    match host {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

/// Transport of a send/expect probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// TCP (default).
    Tcp,
    /// UDP (`-u`).
    Udp,
}

/// How the real servers of one virtual service are checked (nanny's probe flags).
#[derive(Debug, Clone)]
pub struct CheckSpec {
    /// TCP or UDP.
    pub transport: Transport,
    /// Bytes written after connecting (`-s`, escapes already decoded).
    pub send: Option<Vec<u8>>,
    /// What the reply must look like (`-x`, `--regex`).
    pub expect: Option<Expect>,
    /// External checker command (`-e`); when set, replaces the socket probe.
    pub program: Option<String>,
    /// Connect, write, read and program timeout; nanny uses the interval (`-t`).
    pub timeout: Duration,
}

/// The default check of a virtual service on port 80 without `-s`, `-x` or `-e` (spec §4.2).
pub const DEFAULT_HTTP_SEND: &[u8] = b"GET / HTTP/1.0\r\n\r\n";
/// Expect string of the default port 80 check.
pub const DEFAULT_HTTP_EXPECT: &[u8] = b"HTTP";
/// Logged when the default port 80 check is used (text verbatim from the original).
pub const DEFAULT_HTTP_NOTICE: &str = "nanny: no monitor configured, assuming web service on port 80";

/// nanny's probe flags, as given on the command line (before escape decoding and defaults).
#[derive(Debug, Clone)]
pub struct CheckFlags {
    /// `-u`: UDP instead of TCP.
    pub transport: Transport,
    /// `-p`: the virtual port (80 selects the default HTTP check).
    pub vport: u16,
    /// `-s`: send string.
    pub send: Option<Vec<u8>>,
    /// `-x`: expect string.
    pub expect: Option<Vec<u8>>,
    /// `-e`: external checker command.
    pub program: Option<String>,
    /// `--regex`: the expect string is a regular expression.
    pub use_regex: bool,
    /// `-T`: do not decode backslash escapes.
    pub suppress_escapes: bool,
    /// `-t`: the interval, used as the timeout.
    pub timeout: Duration,
}

impl CheckSpec {
    /// Builds the check from nanny's flags: send and expect escape-decoded unless `-T`, and the
    /// default HTTP check when the virtual port is 80 and none of send, expect and program is
    /// given (spec §4.2). Returns the spec and whether the default was applied (the caller then
    /// logs [`DEFAULT_HTTP_NOTICE`]).
    pub fn from_flags(flags: &CheckFlags) -> (CheckSpec, bool) {
        let decode = |s: &[u8]| {
            if flags.suppress_escapes { s.to_vec() } else { crate::escape::decode(s) }
        };
        let default_http =
            flags.vport == 80 && flags.send.is_none() && flags.expect.is_none() && flags.program.is_none();
        let (send, expect) = if default_http {
            (Some(DEFAULT_HTTP_SEND.to_vec()), Some(Expect::new(DEFAULT_HTTP_EXPECT, false)))
        } else {
            (
                flags.send.as_deref().map(decode),
                flags.expect.as_deref().map(|e| Expect::new(&decode(e), flags.use_regex)),
            )
        };
        let spec = CheckSpec {
            transport: flags.transport,
            send,
            expect,
            program: flags.program.clone(),
            timeout: flags.timeout,
        };
        (spec, default_http)
    }

    /// Probes `host:port` once.
    pub async fn probe(&self, host: IpAddr, port: u16) -> ProbeResult {
        if let Some(program) = &self.program {
            let expect = self.expect.as_ref().map(Expect::text);
            // Boxed, like the UDP probe: each real server's task holds the
            // largest future it may await inline, and a TCP connect is by far
            // the common check (1,000 servers are 1,000 tasks).
            return Box::pin(crate::program::check(program, expect, host, port, self.timeout)).await;
        }
        let addr = SocketAddr::new(host, port);
        match self.transport {
            Transport::Tcp => self.probe_tcp(addr).await,
            Transport::Udp => Box::pin(self.probe_udp(addr)).await,
        }
    }

    async fn probe_tcp(&self, addr: SocketAddr) -> ProbeResult {
        let at = endpoint(addr.ip(), addr.port());
        let deadline = Instant::now() + self.timeout;
        let mut stream = match timeout_at(deadline, connect_abortive(addr)).await {
            Err(_) => return ProbeResult::fail(format!("CONNECT to {at} timed out")),
            Ok(Err(e)) => {
                return ProbeResult::fail(format!("Failed to connect {at} ping socket: {}", strerror(&e)));
            }
            Ok(Ok(stream)) => stream,
        };
        if let Some(send) = &self.send {
            let deadline = Instant::now() + self.timeout;
            let written = match timeout_at(deadline, stream.write_all(send)).await {
                Err(_) => Err(io::Error::from(io::ErrorKind::TimedOut)),
                Ok(r) => r,
            };
            if let Err(e) = written {
                return ProbeResult::fail(format!(
                    "WRITE operation for {at} returned error: {}",
                    strerror(&e)
                ));
            }
        }
        let Some(expect) = &self.expect else {
            return ProbeResult::ok();
        };
        let deadline = Instant::now() + self.timeout;
        let want = expect.read_len();
        let mut data = Vec::with_capacity(want);
        let mut chunk = vec![0u8; want.max(1)];
        loop {
            let room = want.saturating_sub(data.len()).max(1);
            match timeout_at(deadline, stream.read(&mut chunk[..room])).await {
                Err(_) if data.is_empty() => {
                    return ProbeResult::fail(format!("READ to {at} timed out"));
                }
                // Some bytes arrived but the reply stalled: judge what we have.
                Err(_) => return judge(expect, &data, true, &at),
                Ok(Err(e)) => {
                    return ProbeResult::fail(format!(
                        "READ returned error {}:{}",
                        e.raw_os_error().unwrap_or(0),
                        strerror(&e)
                    ));
                }
                Ok(Ok(0)) => return judge(expect, &data, true, &at),
                Ok(Ok(n)) => {
                    data.extend_from_slice(&chunk[..n]);
                    let complete = data.len() >= want;
                    let verdict = judge(expect, &data, complete, &at);
                    if complete || verdict.ok || verdict.reason.is_some() {
                        return verdict;
                    }
                }
            }
        }
    }

    async fn probe_udp(&self, addr: SocketAddr) -> ProbeResult {
        let at = endpoint(addr.ip(), addr.port());
        let local: SocketAddr = match addr {
            SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
            SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
        };
        let socket = match UdpSocket::bind(local).await {
            Ok(s) => s,
            Err(e) => {
                return ProbeResult::fail(format!("Failed to connect {at} ping socket: {}", strerror(&e)));
            }
        };
        if let Err(e) = socket.connect(addr).await {
            return ProbeResult::fail(format!("Failed to connect {at} ping socket: {}", strerror(&e)));
        }
        if let Some(send) = &self.send {
            let deadline = Instant::now() + self.timeout;
            let sent = match timeout_at(deadline, socket.send(send)).await {
                Err(_) => Err(io::Error::from(io::ErrorKind::TimedOut)),
                Ok(r) => r,
            };
            if let Err(e) = sent {
                return ProbeResult::fail(format!(
                    "WRITE operation for {at} returned error: {}",
                    strerror(&e)
                ));
            }
        }
        // UDP always waits for a reply (spec §4.3 step 5); one datagram is the whole reply.
        let deadline = Instant::now() + self.timeout;
        let mut buf = vec![0u8; 2048];
        match timeout_at(deadline, socket.recv(&mut buf)).await {
            Err(_) => ProbeResult::fail(format!("READ to {at} timed out")),
            Ok(Err(e)) => ProbeResult::fail(format!(
                "READ returned error {}:{}",
                e.raw_os_error().unwrap_or(0),
                strerror(&e)
            )),
            Ok(Ok(n)) => match &self.expect {
                None => ProbeResult::ok(),
                Some(expect) => {
                    let data = &buf[..n.min(expect.read_len())];
                    judge(expect, data, true, &at)
                }
            },
        }
    }
}

/// Turns a matcher verdict into a probe result; `NeedMore` becomes a result with neither `ok`
/// nor a reason, which callers treat as "keep reading".
fn judge(expect: &Expect, data: &[u8], complete: bool, at: &str) -> ProbeResult {
    match expect.judge(data, complete) {
        Verdict::Pass => ProbeResult::ok(),
        Verdict::NeedMore => ProbeResult { ok: false, reason: None },
        Verdict::TooShort { got, want } => {
            ProbeResult::fail(format!("READ from {at} was too short[{got}>={want}]"))
        }
        Verdict::Mismatch => ProbeResult::fail(format!("READ from {at} did not match the expected response")),
        Verdict::BadRegex(pattern) => {
            ProbeResult::fail(format!("Error '{pattern}' processing expected regular expression"))
        }
    }
}

/// The C library's text for an I/O error (`strerror`), without Rust's ` (os error N)` suffix.
fn strerror(e: &io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}
/// A TCP connection to `addr` that closes with a reset (`SO_LINGER` 0): a
/// probe has nothing left to say when it closes, so neither side keeps the
/// connection in FIN_WAIT/TIME_WAIT, and the teardown costs one segment
/// instead of four — per probe of every real server, every interval.
async fn connect_abortive(addr: SocketAddr) -> io::Result<TcpStream> {
    let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    socket.set_zero_linger()?;
    socket.connect(addr).await
}
