//! The heartbeat sockets: UDP, bound to our own public (and private)
//! address on `heartbeat_port`, sending to the partner (spec §2.4).

use std::io;
use std::net::SocketAddr;

use tokio::net::UdpSocket;

use crate::addresses::Channels;

/// Why the heartbeat sockets could not be set up. `Display` gives the
/// original's log text (spec §2.2 step 6).
#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    /// Binding to our address failed (not local, in use, no permission).
    #[error("failed to bind to heartbeat address: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// Registering the socket with the runtime failed.
    #[error("failed to create UDP socket: {0}")]
    Create(#[source] io::Error),
}

/// Which socket a datagram came in on or went out of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The public address.
    Public,
    /// The private address.
    Private,
}

/// Bound, not yet registered with a runtime: bind before daemonizing so
/// errors reach the terminal (spec §2.2 step 6).
#[derive(Debug)]
pub struct BoundSockets {
    public: std::net::UdpSocket,
    private: Option<std::net::UdpSocket>,
    channels: Channels,
}

impl BoundSockets {
    /// Binds the sockets `channels` asks for (close-on-exec, as Rust
    /// creates every descriptor).
    ///
    /// # Errors
    /// [`SocketError::Bind`] naming the address that failed.
    pub fn bind(channels: Channels) -> Result<Self, SocketError> {
        let bind = |address: SocketAddr| {
            std::net::UdpSocket::bind(address).map_err(|source| SocketError::Bind { address, source })
        };
        let public = bind(channels.own_public)?;
        let private = channels.own_private.map(bind).transpose()?;
        Ok(BoundSockets { public, private, channels })
    }

    /// Registers the sockets with the current tokio runtime.
    ///
    /// # Errors
    /// [`SocketError::Create`] outside a runtime or when the descriptor
    /// cannot be made non-blocking.
    pub fn into_async(self) -> Result<HeartbeatSockets, SocketError> {
        let register = |socket: std::net::UdpSocket| {
            socket
                .set_nonblocking(true)
                .and_then(|()| UdpSocket::from_std(socket))
                .map_err(SocketError::Create)
        };
        Ok(HeartbeatSockets {
            public: register(self.public)?,
            private: self.private.map(register).transpose()?,
            channels: self.channels,
        })
    }
}

/// The sockets, ready to send and receive.
#[derive(Debug)]
pub struct HeartbeatSockets {
    public: UdpSocket,
    private: Option<UdpSocket>,
    channels: Channels,
}

/// Receive buffer: a heartbeat is 4 bytes, an authenticated one 32;
/// anything past 64 is dropped by the kernel, which keeps the length checks
/// meaningful.
const RECEIVE_BUFFER: usize = 64;

/// One received datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    /// The socket it arrived on.
    pub channel: Channel,
    /// Its bytes (at most 64; longer datagrams are truncated).
    pub bytes: Vec<u8>,
    /// Its source.
    pub source: SocketAddr,
}

impl HeartbeatSockets {
    /// Binds and registers in one step (inside a runtime).
    ///
    /// # Errors
    /// As [`BoundSockets::bind`] and [`BoundSockets::into_async`].
    pub fn bind(channels: Channels) -> Result<Self, SocketError> {
        BoundSockets::bind(channels)?.into_async()
    }

    /// The channels these sockets serve.
    pub fn channels(&self) -> &Channels {
        &self.channels
    }

    /// Sends `datagram` (a heartbeat, see [`crate::auth::Heartbeats`]) to
    /// the partner on every channel; returns the channels whose send failed,
    /// with the error (the original logs them with `-v`).
    pub async fn send(&self, datagram: &[u8]) -> Vec<(Channel, io::Error)> {
        let mut failed = Vec::new();
        if let Err(e) = self.public.send_to(datagram, self.channels.partner_public).await {
            failed.push((Channel::Public, e));
        }
        if let (Some(socket), Some(partner)) = (&self.private, self.channels.partner_private)
            && let Err(e) = socket.send_to(datagram, partner).await
        {
            failed.push((Channel::Private, e));
        }
        failed
    }

    /// Waits for the next datagram on either socket, the private one
    /// first when both are ready (as the original services them).
    ///
    /// # Errors
    /// The receive error, with the channel it happened on.
    pub async fn recv(&self) -> Result<Datagram, (Channel, io::Error)> {
        let mut public_buffer = [0u8; RECEIVE_BUFFER];
        let mut private_buffer = [0u8; RECEIVE_BUFFER];
        let private = async {
            match &self.private {
                Some(socket) => socket.recv_from(&mut private_buffer).await,
                None => std::future::pending().await,
            }
        };
        let (channel, result) = tokio::select! {
            biased;
            r = private => (Channel::Private, r),
            r = self.public.recv_from(&mut public_buffer) => (Channel::Public, r),
        };
        let buffer = if channel == Channel::Private { &private_buffer } else { &public_buffer };
        match result {
            Ok((len, source)) => {
                Ok(Datagram { channel, bytes: buffer[..len.min(RECEIVE_BUFFER)].to_vec(), source })
            }
            Err(e) => Err((channel, e)),
        }
    }
}
