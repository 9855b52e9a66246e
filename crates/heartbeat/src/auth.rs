//! Authenticated heartbeats: our opt-in extension (lvs.cf `heartbeat_key`).
//!
//! The original datagram (spec §2.4) is 4 bytes that anyone can forge: one
//! UDP datagram with the partner's source address and the STOPPED magic
//! makes the backup take over. With a shared key each datagram becomes 32
//! bytes:
//!
//! | bytes  | content                                                        |
//! |--------|----------------------------------------------------------------|
//! | 0..4   | the magic, little-endian, as in the original                   |
//! | 4..8   | the format tag [`FORMAT`] (`LVH1`)                             |
//! | 8..16  | the stamp: microseconds since the Unix epoch, big-endian, strictly increasing per sender |
//! | 16..32 | the first 16 bytes of HMAC-SHA256(key, bytes 0..16 ‖ the sender's public address as 16 bytes, IPv4 mapped) |
//!
//! The receiver accepts a datagram only when the tag verifies for the
//! partner's public address (so our own datagrams reflected back at us
//! fail), the stamp is newer than the last one accepted (replay), and the
//! stamp is within [`STAMP_WINDOW`] of its own clock (replay across a
//! restart of the receiver, which forgets the last stamp). Everything here
//! is pure: callers pass the time in.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::wire::Magic;

/// Bytes in an authenticated heartbeat.
pub const AUTH_PACKET_LEN: usize = 32;

/// Bytes 4..8 of an authenticated heartbeat.
pub const FORMAT: [u8; 4] = *b"LVH1";

/// Shortest accepted key.
pub const MIN_KEY_LEN: usize = 16;

/// Longest accepted key (a key file is read whole).
pub const MAX_KEY_LEN: usize = 4096;

/// How far a stamp may be from the receiver's clock.
pub const STAMP_WINDOW: Duration = Duration::from_secs(30);

const TAG_LEN: usize = 16;

/// A shared heartbeat secret. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct HeartbeatKey {
    secret: Vec<u8>,
}

/// Why bytes cannot be a heartbeat key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Fewer than [`MIN_KEY_LEN`] bytes once trailing line ends are gone.
    #[error("the key is {0} bytes long; at least {MIN_KEY_LEN} are needed")]
    TooShort(usize),
    /// More than [`MAX_KEY_LEN`] bytes.
    #[error("the key is {0} bytes long; at most {MAX_KEY_LEN} are allowed")]
    TooLong(usize),
}

impl HeartbeatKey {
    /// The key in a key file's contents: everything but trailing CR/LF.
    ///
    /// # Errors
    /// [`KeyError`] when the rest is shorter than [`MIN_KEY_LEN`] or longer
    /// than [`MAX_KEY_LEN`].
    pub fn from_file_contents(contents: &[u8]) -> Result<Self, KeyError> {
        let end = contents.iter().rposition(|b| !matches!(b, b'\n' | b'\r')).map_or(0, |i| i + 1);
        let secret = &contents[..end];
        if secret.len() < MIN_KEY_LEN {
            return Err(KeyError::TooShort(secret.len()));
        }
        if secret.len() > MAX_KEY_LEN {
            return Err(KeyError::TooLong(secret.len()));
        }
        Ok(HeartbeatKey { secret: secret.to_vec() })
    }

    fn mac(&self, head: &[u8; 16], sender: IpAddr) -> Hmac<Sha256> {
        // HMAC takes keys of any length: this cannot fail.
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.secret).expect("HMAC accepts any key length");
        mac.update(head);
        mac.update(&address_bytes(sender));
        mac
    }
}

impl fmt::Debug for HeartbeatKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HeartbeatKey({} bytes)", self.secret.len())
    }
}

fn address_bytes(address: IpAddr) -> [u8; 16] {
    match address {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

fn micros(since_epoch: Duration) -> u64 {
    u64::try_from(since_epoch.as_micros()).unwrap_or(u64::MAX)
}

/// Builds our authenticated datagrams.
#[derive(Debug, Clone)]
pub struct Sealer {
    key: HeartbeatKey,
    sender: IpAddr,
    last_stamp: u64,
}

impl Sealer {
    /// Seals datagrams sent from `sender`, our public heartbeat address.
    pub fn new(key: HeartbeatKey, sender: IpAddr) -> Self {
        Sealer { key, sender, last_stamp: 0 }
    }

    /// Uses `key` from now on; stamps keep increasing.
    pub fn rekey(&mut self, key: HeartbeatKey) {
        self.key = key;
    }

    /// The datagram carrying `magic`, sent at `now` (time since the Unix
    /// epoch). Stamps strictly increase even when the clock steps back.
    pub fn seal(&mut self, magic: Magic, now: Duration) -> [u8; AUTH_PACKET_LEN] {
        let stamp = micros(now).max(self.last_stamp.saturating_add(1));
        self.last_stamp = stamp;
        let mut out = [0u8; AUTH_PACKET_LEN];
        out[0..4].copy_from_slice(&magic.to_bytes());
        out[4..8].copy_from_slice(&FORMAT);
        out[8..16].copy_from_slice(&stamp.to_be_bytes());
        let head: [u8; 16] = out[0..16].try_into().expect("16 bytes");
        let tag = self.key.mac(&head, self.sender).finalize().into_bytes();
        out[16..32].copy_from_slice(&tag[..TAG_LEN]);
        out
    }
}

/// Why an authenticated receiver drops a datagram. `Display` is the log
/// text after "heartbeat from ADDRESS dropped: ".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// A plain 4-byte heartbeat (an original pulse, a partner without the
    /// key, or a forger).
    #[error("not authenticated (heartbeat_key is set here; is it set on the partner?)")]
    Unauthenticated,
    /// Neither 4 nor 32 bytes, or 32 bytes without the format tag.
    #[error("{0} bytes that are not an authenticated heartbeat")]
    Malformed(usize),
    /// The tag does not verify: forged, reflected, or another key.
    #[error("authentication failed (forged, or a different heartbeat_key)")]
    BadTag,
    /// The stamp is not newer than the last accepted one.
    #[error("replayed (stamp {stamp} is not newer than {last})")]
    Replayed {
        /// The datagram's stamp (µs since the epoch).
        stamp: u64,
        /// The last accepted stamp.
        last: u64,
    },
    /// The stamp is too far from our clock.
    #[error("its clock is {} s {} ours (more than {} s): synchronise the routers' clocks", .offset.as_secs_f64(), if *.ahead { "ahead of" } else { "behind" }, STAMP_WINDOW.as_secs())]
    Skewed {
        /// How far.
        offset: Duration,
        /// Whether the stamp is in our future.
        ahead: bool,
    },
}

/// A datagram whose tag and stamp verified, not yet accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// The magic's value (not yet checked against the mode).
    pub value: u32,
    stamp: u64,
}

/// Checks the partner's authenticated datagrams and remembers the last
/// stamp accepted.
#[derive(Debug, Clone)]
pub struct Opener {
    key: HeartbeatKey,
    partner: IpAddr,
    last_stamp: Option<u64>,
}

impl Opener {
    /// Opens datagrams sealed by the partner whose public heartbeat address
    /// is `partner` (whichever channel they arrive on).
    pub fn new(key: HeartbeatKey, partner: IpAddr) -> Self {
        Opener { key, partner, last_stamp: None }
    }

    /// Uses `key` from now on; the replay state is kept.
    pub fn rekey(&mut self, key: HeartbeatKey) {
        self.key = key;
    }

    /// The key in use.
    pub fn key(&self) -> &HeartbeatKey {
        &self.key
    }

    /// Verifies `datagram` received at `now` (since the Unix epoch) without
    /// changing any state; [`Opener::accept`] then records it.
    ///
    /// # Errors
    /// [`AuthError`], checked in the order: length, format, tag, replay,
    /// clock window.
    pub fn verify(&self, datagram: &[u8], now: Duration) -> Result<Verified, AuthError> {
        if datagram.len() == crate::wire::PACKET_LEN {
            return Err(AuthError::Unauthenticated);
        }
        let Some(bytes) =
            datagram.first_chunk::<AUTH_PACKET_LEN>().filter(|_| datagram.len() == AUTH_PACKET_LEN)
        else {
            return Err(AuthError::Malformed(datagram.len()));
        };
        if bytes[4..8] != FORMAT {
            return Err(AuthError::Malformed(datagram.len()));
        }
        let head: [u8; 16] = bytes[0..16].try_into().expect("16 bytes");
        self.key
            .mac(&head, self.partner)
            .verify_truncated_left(&bytes[16..32])
            .map_err(|_| AuthError::BadTag)?;
        let stamp = u64::from_be_bytes(bytes[8..16].try_into().expect("8 bytes"));
        if let Some(last) = self.last_stamp
            && stamp <= last
        {
            return Err(AuthError::Replayed { stamp, last });
        }
        let now = micros(now);
        let window = micros(STAMP_WINDOW);
        if stamp.abs_diff(now) > window {
            return Err(AuthError::Skewed {
                offset: Duration::from_micros(stamp.abs_diff(now)),
                ahead: stamp > now,
            });
        }
        let value = u32::from_le_bytes(bytes[0..4].try_into().expect("4 bytes"));
        Ok(Verified { value, stamp })
    }

    /// Records `verified` as the newest datagram accepted.
    pub fn accept(&mut self, verified: Verified) {
        self.last_stamp = Some(verified.stamp);
    }
}

#[cfg(test)]
mod tests;
