//! The heartbeat datagram (spec §2.4): exactly one 32-bit magic in the
//! sender's native byte order, which on every known deployment (x86) is
//! little-endian. We always send `u32::to_le_bytes`, never network order.
//!
//! There is no sequence number, node id or checksum; a datagram is judged
//! only by its source address, its length and its magic.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use crate::auth::{AuthError, Opener};

/// Bytes in a heartbeat datagram.
pub const PACKET_LEN: usize = 4;

/// The seven magic values of Piranha's `globals.h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Magic {
    /// `HEARTBEAT_RUNNING_MAGIC` 0xbdaddbda: LVS mode, the sender is active.
    Running,
    /// `HEARTBEAT_STOPPED_MAGIC` 0xadbddabd: LVS mode, the sender is inactive.
    Stopped,
    /// `HEARTBEAT_HOLD_MAGIC` 0xdeafbabe: reserved, never sent; liveness only.
    Hold,
    /// `HEARTBEAT_HELD_MAGIC` 0xdeafdada: reserved, never sent; liveness only.
    Held,
    /// `FOS_HEARTBEAT_RUNNING_MAGIC` 0xbeefbabe: FOS mode, active.
    FosRunning,
    /// `FOS_HEARTBEAT_STOPPED_MAGIC` 0xdeadbeef: FOS mode, inactive.
    FosStopped,
    /// `FOS_HEARTBEAT_STOPME_MAGIC` 0xdeaddada: "I am taking control, you go
    /// inactive" (FOS take-control; LVS peers never send it).
    StopMe,
}

impl Magic {
    /// Every magic, in `globals.h` order.
    pub const ALL: [Magic; 7] = [
        Magic::Running,
        Magic::Stopped,
        Magic::Hold,
        Magic::Held,
        Magic::FosRunning,
        Magic::FosStopped,
        Magic::StopMe,
    ];

    /// The 32-bit value.
    pub const fn value(self) -> u32 {
        match self {
            Magic::Running => 0xbdad_dbda,
            Magic::Stopped => 0xadbd_dabd,
            Magic::Hold => 0xdeaf_babe,
            Magic::Held => 0xdeaf_dada,
            Magic::FosRunning => 0xbeef_babe,
            Magic::FosStopped => 0xdead_beef,
            Magic::StopMe => 0xdead_dada,
        }
    }

    /// The magic with this value, if any.
    pub fn from_value(value: u32) -> Option<Magic> {
        Magic::ALL.into_iter().find(|m| m.value() == value)
    }

    /// The bytes on the wire: `value().to_le_bytes()`.
    pub const fn to_bytes(self) -> [u8; PACKET_LEN] {
        self.value().to_le_bytes()
    }

    /// The magic a node of `mode` sends: RUNNING when active, else STOPPED.
    pub const fn for_state(mode: Mode, active: bool) -> Magic {
        match (mode, active) {
            (Mode::Lvs, true) => Magic::Running,
            (Mode::Lvs, false) => Magic::Stopped,
            (Mode::Fos, true) => Magic::FosRunning,
            (Mode::Fos, false) => Magic::FosStopped,
        }
    }

    /// Whether a node of `mode` accepts this magic (spec §2.4 step 5): its
    /// own RUNNING and STOPPED, STOPME, HOLD and HELD. The other mode's
    /// RUNNING/STOPPED are refused, so mixed clusters reject each other.
    pub const fn accepted_in(self, mode: Mode) -> bool {
        match self {
            Magic::StopMe | Magic::Hold | Magic::Held => true,
            Magic::Running | Magic::Stopped => matches!(mode, Mode::Lvs),
            Magic::FosRunning | Magic::FosStopped => matches!(mode, Mode::Fos),
        }
    }
}

impl fmt::Display for Magic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Magic::Running => "RUNNING",
            Magic::Stopped => "STOPPED",
            Magic::Hold => "HOLD",
            Magic::Held => "HELD",
            Magic::FosRunning => "FOS RUNNING",
            Magic::FosStopped => "FOS STOPPED",
            Magic::StopMe => "FOS STOPME",
        };
        f.write_str(name)
    }
}

/// The service type whose heartbeats a node speaks (lvs.cf `service`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// `service = lvs` (the default).
    #[default]
    Lvs,
    /// `service = fos` (legacy failover services).
    Fos,
}

/// One heartbeat datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HeartbeatPacket {
    /// The magic it carries.
    pub magic: Magic,
}

impl HeartbeatPacket {
    /// A packet carrying `magic`.
    pub const fn new(magic: Magic) -> Self {
        HeartbeatPacket { magic }
    }

    /// The datagram's bytes.
    pub const fn to_bytes(self) -> [u8; PACKET_LEN] {
        self.magic.to_bytes()
    }
}

/// Why a received datagram is not a heartbeat to act on. `Display` gives
/// the original's log text (spec §6.2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The source is neither of the partner's addresses. Logged only with
    /// `-v` (see [`DecodeError::verbose_only`]).
    #[error("Unexpected heartbeat from {0}")]
    UnexpectedSource(IpAddr),
    /// Shorter than 4 bytes (the length received is kept).
    #[error("bad heartbeat packet")]
    BadLength(usize),
    /// Four bytes, but not a magic this mode accepts (the value is kept).
    #[error("Incompatible heartbeat received -- other system not using identical services")]
    Incompatible(u32),
    /// With `heartbeat_key`: from the partner's address, but not an
    /// authentic, fresh heartbeat (our extension; no original text).
    #[error("heartbeat from {from} dropped: {why}")]
    Rejected {
        /// Where it came from.
        from: IpAddr,
        /// Why it was dropped.
        why: AuthError,
    },
}

impl DecodeError {
    /// Whether the original logs this only in verbose mode.
    pub const fn verbose_only(&self) -> bool {
        matches!(self, DecodeError::UnexpectedSource(_))
    }
}

/// Validates received datagrams for one node (spec §2.4 "Receive
/// validation", steps 3–5, in that order).
///
/// Datagrams longer than 4 bytes are **accepted**, judged by their first 4
/// bytes, as the original does (it receives into a 4-byte buffer, so the
/// kernel truncates). Keeping that keeps us interoperable with any peer the
/// original accepts; a future authenticated format must therefore not rely
/// on old receivers rejecting longer datagrams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoder {
    mode: Mode,
    partner_public: IpAddr,
    partner_private: Option<IpAddr>,
}

impl Decoder {
    /// A decoder accepting heartbeats of `mode` from `partner_public` and,
    /// when the private channel exists, `partner_private`. Either socket
    /// accepts either address; the source port is not checked.
    pub fn new(mode: Mode, partner_public: IpAddr, partner_private: Option<IpAddr>) -> Self {
        Decoder { mode, partner_public, partner_private }
    }

    /// Judges `datagram` received from `source`.
    ///
    /// # Errors
    /// [`DecodeError::UnexpectedSource`], [`DecodeError::BadLength`] or
    /// [`DecodeError::Incompatible`], checked in that order.
    pub fn decode(&self, datagram: &[u8], source: IpAddr) -> Result<Magic, DecodeError> {
        self.check_source(source)?;
        let Some(bytes) = datagram.first_chunk::<PACKET_LEN>() else {
            return Err(DecodeError::BadLength(datagram.len()));
        };
        self.magic(u32::from_le_bytes(*bytes))
    }

    /// Judges `datagram` received from `source` at `now` (time since the
    /// Unix epoch) when `heartbeat_key` is set: the source as
    /// [`Decoder::decode`], then the authentication of [`Opener::verify`],
    /// then the magic. Only a datagram that passes all three moves the
    /// opener's replay state.
    ///
    /// # Errors
    /// [`DecodeError::UnexpectedSource`], [`DecodeError::Rejected`] or
    /// [`DecodeError::Incompatible`], checked in that order.
    pub fn decode_authenticated(
        &self,
        opener: &mut Opener,
        datagram: &[u8],
        source: IpAddr,
        now: Duration,
    ) -> Result<Magic, DecodeError> {
        self.check_source(source)?;
        let verified =
            opener.verify(datagram, now).map_err(|why| DecodeError::Rejected { from: source, why })?;
        let magic = self.magic(verified.value)?;
        opener.accept(verified);
        Ok(magic)
    }

    fn check_source(&self, source: IpAddr) -> Result<(), DecodeError> {
        if source != self.partner_public && Some(source) != self.partner_private {
            return Err(DecodeError::UnexpectedSource(source));
        }
        Ok(())
    }

    fn magic(&self, value: u32) -> Result<Magic, DecodeError> {
        match Magic::from_value(value) {
            Some(magic) if magic.accepted_in(self.mode) => Ok(magic),
            _ => Err(DecodeError::Incompatible(value)),
        }
    }
}

#[cfg(test)]
mod tests;
