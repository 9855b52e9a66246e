//! Errors of the IPVS client.

use std::fmt;
use std::io;

use netlink_packet_core::DecodeError;

/// A positive Linux errno value as the kernel returns it in `NLMSG_ERROR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Errno(pub i32);

impl Errno {
    /// `EPERM`: missing `CAP_NET_ADMIN`.
    pub const EPERM: Errno = Errno(1);
    /// `ENOENT`: no such destination, scheduler or family.
    pub const ENOENT: Errno = Errno(2);
    /// `ESRCH`: no such service or daemon.
    pub const ESRCH: Errno = Errno(3);
    /// `EBUSY`: a dump is already running on the socket.
    pub const EBUSY: Errno = Errno(16);
    /// `EEXIST`: the service, destination or daemon already exists.
    pub const EEXIST: Errno = Errno(17);
    /// `EINVAL`: malformed request.
    pub const EINVAL: Errno = Errno(22);
    /// `ERANGE`: lower threshold above upper threshold.
    pub const ERANGE: Errno = Errno(34);
}

impl fmt::Display for Errno {
    /// The C library's text, e.g. `File exists`, without Rust's `(os error N)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = io::Error::from_raw_os_error(self.0).to_string();
        let suffix = format!(" (os error {})", self.0);
        f.write_str(text.strip_suffix(&suffix).unwrap_or(&text))
    }
}

/// Everything that can go wrong talking to IPVS.
#[derive(Debug, thiserror::Error)]
pub enum IpvsError {
    /// The kernel has no IPVS (module not loaded or not built).
    #[error(
        "IPVS is not available in this kernel (generic netlink family \"IPVS\" not found; modprobe ip_vs?)"
    )]
    NotAvailable,
    /// The netlink socket failed (open, bind, send or receive).
    #[error("netlink socket {step} failed")]
    Socket {
        /// What was being done: `open`, `bind`, `send`, `receive`.
        step: &'static str,
        /// The system error.
        #[source]
        source: io::Error,
    },
    /// The kernel refused a request; `request` is the equivalent ipvsadm
    /// command, e.g. `-a -t 192.0.2.1:80 -r 10.0.0.1:80: File exists`.
    #[error("{request}: {errno}")]
    Rejected {
        /// The ipvsadm-style request that failed.
        request: String,
        /// The kernel's error.
        errno: Errno,
    },
    /// A kernel reply could not be decoded.
    #[error("cannot decode the kernel's reply to {request}: {source}")]
    Decode {
        /// The ipvsadm-style request whose reply was bad.
        request: String,
        /// What was wrong.
        #[source]
        source: DecodeError,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_text_has_no_rust_suffix() {
        assert_eq!(Errno::EEXIST.to_string(), "File exists");
        assert_eq!(Errno::ESRCH.to_string(), "No such process");
    }

    #[test]
    fn rejected_reads_like_ipvsadm() {
        let e =
            IpvsError::Rejected { request: "-a -t 192.0.2.1:80 -r 10.0.0.1:80".into(), errno: Errno::EEXIST };
        assert_eq!(e.to_string(), "-a -t 192.0.2.1:80 -r 10.0.0.1:80: File exists");
    }
}
