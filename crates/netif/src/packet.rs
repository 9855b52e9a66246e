//! The AF_PACKET socket that puts ARP frames on a link — the only module of the workspace's
//! libraries with unsafe code.
//!
//! Piranha's send_arp used the obsolete `AF_INET/SOCK_PACKET` socket, which the kernel logs
//! a warning for; this is its replacement (spec §5, §8 item 28): `AF_PACKET/SOCK_RAW`,
//! frames written whole (Ethernet header included) and addressed by interface index in a
//! `sockaddr_ll`. Sending needs `CAP_NET_RAW`.
//!
//! The unsafe blocks are the three libc calls that std and nix have no safe form for:
//! `socket(2)` with an `AF_PACKET` protocol, and `sendto(2)`/`bind(2)` with a
//! `sockaddr_ll`.
#![allow(unsafe_code)]

use std::io;
use std::mem;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::time::Duration;

use nix::sys::socket::{MsgFlags, setsockopt, sockopt};
use nix::sys::time::{TimeVal, TimeValLike};

/// `ETH_P_ARP`, host order.
const ETH_P_ARP: u16 = 0x0806;
/// Length of the Ethernet header that every frame passed to [`PacketSocket::send`] starts
/// with.
const ETH_HEADER_LEN: usize = 14;

/// A raw `AF_PACKET` socket (close-on-exec).
#[derive(Debug)]
pub struct PacketSocket {
    fd: OwnedFd,
}

impl PacketSocket {
    /// A socket for sending ARP frames.
    ///
    /// It is opened with protocol 0 so that the kernel queues no received frames on it (a
    /// socket opened for `ETH_P_ARP` would collect every ARP frame of the host in a buffer
    /// nobody reads); each [`PacketSocket::send`] names `ETH_P_ARP` in its address instead.
    ///
    /// # Errors
    /// `socket(2)`'s error, typically `EPERM` without `CAP_NET_RAW`.
    pub fn sender() -> io::Result<PacketSocket> {
        PacketSocket::open(0)
    }

    /// A socket that receives the ARP frames arriving at (or leaving) one interface, as
    /// tests and diagnostics capture them.
    ///
    /// # Errors
    /// `socket(2)`'s or `bind(2)`'s error (`ENODEV` for an unknown index).
    pub fn arp_receiver(ifindex: u32) -> io::Result<PacketSocket> {
        let socket = PacketSocket::open(ETH_P_ARP.to_be())?;
        let address = link_address(ifindex, [0; 6])?;
        // SAFETY: `address` is an initialised sockaddr_ll that lives across the call, and the
        // length passed is its size; bind(2) only reads it. The descriptor is open (owned
        // by `socket`).
        let rc = unsafe {
            libc::bind(
                socket.fd.as_raw_fd(),
                (&raw const address).cast::<libc::sockaddr>(),
                sockaddr_ll_len(),
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(socket)
    }

    fn open(protocol_network_order: u16) -> io::Result<PacketSocket> {
        // SAFETY: socket(2) takes no pointers; it returns a new descriptor or -1.
        let fd = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                i32::from(protocol_network_order),
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just returned by socket(2), is valid and owned by nothing else.
        Ok(PacketSocket { fd: unsafe { OwnedFd::from_raw_fd(fd) } })
    }

    /// Sends one whole Ethernet frame (header included, no FCS) out of interface `ifindex`;
    /// the link-layer destination is the frame's first six bytes.
    ///
    /// The call blocks only as long as the kernel takes to queue a frame, which is short
    /// enough to be made from async code.
    ///
    /// # Errors
    /// `InvalidInput` for a frame shorter than an Ethernet header, else `sendto(2)`'s error
    /// (`ENXIO`/`ENODEV` for an unknown or absent interface, `ENETDOWN` when it is down).
    pub fn send(&self, ifindex: u32, frame: &[u8]) -> io::Result<()> {
        let destination: [u8; 6] = frame
            .get(..6)
            .filter(|_| frame.len() >= ETH_HEADER_LEN)
            .and_then(|d| d.try_into().ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "frame too short"))?;
        let address = link_address(ifindex, destination)?;
        // SAFETY: `frame` is valid for reads of `frame.len()` bytes and `address` is an
        // initialised sockaddr_ll of the length passed; both outlive the call, and
        // sendto(2) only reads them. The descriptor is open (owned by `self`).
        let sent = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                frame.as_ptr().cast::<libc::c_void>(),
                frame.len(),
                0,
                (&raw const address).cast::<libc::sockaddr>(),
                sockaddr_ll_len(),
            )
        };
        match usize::try_from(sent) {
            Err(_) => Err(io::Error::last_os_error()),
            Ok(n) if n == frame.len() => Ok(()),
            Ok(n) => {
                Err(io::Error::new(io::ErrorKind::WriteZero, format!("sent {n} of {} bytes", frame.len())))
            }
        }
    }

    /// Receives one frame into `buf` (blocking, up to the read timeout), returning its
    /// length.
    ///
    /// # Errors
    /// `recv(2)`'s error; `WouldBlock`/`TimedOut` when the read timeout expires.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        nix::sys::socket::recv(self.fd.as_raw_fd(), buf, MsgFlags::empty()).map_err(io::Error::from)
    }

    /// Bounds how long [`PacketSocket::recv`] waits (`SO_RCVTIMEO`).
    ///
    /// # Errors
    /// `setsockopt(2)`'s error.
    pub fn set_read_timeout(&self, timeout: Duration) -> io::Result<()> {
        let millis = i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX);
        setsockopt(&self.fd, sockopt::ReceiveTimeout, &TimeVal::milliseconds(millis)).map_err(io::Error::from)
    }
}

impl AsFd for PacketSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// The index of the interface called `name` (`if_nametoindex(3)`).
///
/// # Errors
/// `ENODEV` when there is no such interface.
pub fn interface_index(name: &str) -> io::Result<u32> {
    nix::net::if_::if_nametoindex(name).map_err(io::Error::from)
}

/// `sockaddr_ll` for ARP on interface `ifindex` towards `destination`.
fn link_address(ifindex: u32, destination: [u8; 6]) -> io::Result<libc::sockaddr_ll> {
    let sll_ifindex = i32::try_from(ifindex)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "interface index too large"))?;
    let mut sll_addr = [0u8; 8];
    sll_addr[..6].copy_from_slice(&destination);
    Ok(libc::sockaddr_ll {
        sll_family: libc::c_ushort::try_from(libc::AF_PACKET).expect("AF_PACKET is 17"),
        sll_protocol: ETH_P_ARP.to_be(),
        sll_ifindex,
        sll_hatype: 0,
        sll_pkttype: 0,
        sll_halen: 6,
        sll_addr,
    })
}

fn sockaddr_ll_len() -> libc::socklen_t {
    libc::socklen_t::try_from(mem::size_of::<libc::sockaddr_ll>()).expect("sockaddr_ll is 20 bytes")
}
