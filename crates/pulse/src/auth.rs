//! lvs.cf `heartbeat_key` in pulse: reading the key file, sealing what we
//! send and opening what we receive (the format is in [`heartbeat::auth`]).
//!
//! Without a key every datagram is the original's 4 bytes and is judged as
//! the original judges it. With one, pulse sends and accepts only
//! authenticated datagrams. SIGHUP re-reads lvs.cf and the key file and
//! switches without a restart (the rolling path in docs/reliability.md).

use std::fs;
use std::io::Read;
use std::net::IpAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use heartbeat::auth::MAX_KEY_LEN;
use heartbeat::{DecodeError, Decoder, HeartbeatKey, Magic, Opener, Sealer};

use crate::addresses::Channels;

/// Reads the key in `path`: a regular file that only its owner may read
/// or write (as ssh demands of private keys), at most 4 KiB.
///
/// # Errors
/// A text naming the file and the problem.
pub fn load_key(path: &Path) -> Result<HeartbeatKey, String> {
    let fail = |why: String| format!("heartbeat_key {}: {why}", path.display());
    let file = fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    let meta = file.metadata().map_err(|e| fail(e.to_string()))?;
    if !meta.is_file() {
        return Err(fail("not a regular file".into()));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(fail(format!("group or others may access it (mode {mode:04o}); chmod 600 it")));
    }
    let mut contents = Vec::new();
    let limit = u64::try_from(MAX_KEY_LEN + 3).unwrap_or(u64::MAX);
    file.take(limit).read_to_end(&mut contents).map_err(|e| fail(e.to_string()))?;
    HeartbeatKey::from_file_contents(&contents).map_err(|e| fail(e.to_string()))
}

/// The key lvs.cf asks for: `None` without `heartbeat_key`.
///
/// # Errors
/// As [`load_key`].
pub fn configured_key(config: &lvs_config::Config) -> Result<Option<HeartbeatKey>, String> {
    config.heartbeat_key.as_deref().map(|p| load_key(Path::new(p))).transpose()
}

/// Time since the Unix epoch, the clock authenticated stamps use.
pub fn wall_clock() -> Duration {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default()
}

/// What pulse sends and how it judges what it receives.
#[derive(Debug)]
pub struct Heartbeats {
    decoder: Decoder,
    own: IpAddr,
    partner: IpAddr,
    keyed: Option<(Sealer, Opener)>,
    copies: u32,
    keepalive: Duration,
}

impl Heartbeats {
    /// Heartbeats on `channels`, authenticated when `key` is given.
    pub fn new(channels: &Channels, key: Option<HeartbeatKey>) -> Self {
        let mut heartbeats = Heartbeats {
            decoder: channels.decoder(),
            own: channels.own_public.ip(),
            partner: channels.partner_public.ip(),
            keyed: None,
            copies: 1,
            keepalive: Duration::ZERO,
        };
        heartbeats.set_key(key);
        heartbeats
    }

    /// Sends each heartbeat `copies` times, spread evenly over `keepalive`
    /// (pulse `--heartbeat-copies`): with independent loss `p` a deadtime of
    /// 3 keepalives then needs `3 × copies` consecutive losses, not 3, to
    /// fake a dead partner. 1 (the default here) is the original's rate.
    #[must_use]
    pub fn with_copies(mut self, copies: u32, keepalive: Duration) -> Self {
        self.copies = copies.max(1);
        self.keepalive = keepalive;
        self
    }

    /// After a heartbeat went out: the interval to the next copy and how
    /// many more copies to send, or `None` for one copy per keepalive.
    pub fn repeat(&self) -> Option<(Duration, u32)> {
        (self.copies > 1 && !self.keepalive.is_zero())
            .then(|| (self.keepalive / self.copies, self.copies - 1))
    }

    /// Whether datagrams are authenticated.
    pub fn authenticated(&self) -> bool {
        self.keyed.is_some()
    }

    /// Switches to `key` (or to plain datagrams); returns the line to log
    /// when something changed. A new key keeps the replay state.
    pub fn set_key(&mut self, key: Option<HeartbeatKey>) -> Option<&'static str> {
        match (&mut self.keyed, key) {
            (None, None) => None,
            (Some(_), None) => {
                self.keyed = None;
                Some("heartbeat authentication off: sending and accepting plain heartbeats")
            }
            (None, Some(key)) => {
                self.keyed = Some((Sealer::new(key.clone(), self.own), Opener::new(key, self.partner)));
                Some("heartbeat authentication on (heartbeat_key)")
            }
            (Some((sealer, opener)), Some(key)) => {
                if opener.key() == &key {
                    return None;
                }
                sealer.rekey(key.clone());
                opener.rekey(key);
                Some("heartbeat key changed")
            }
        }
    }

    /// The datagram carrying `magic`, sent at `now` (since the epoch).
    pub fn encode(&mut self, magic: Magic, now: Duration) -> Vec<u8> {
        match &mut self.keyed {
            Some((sealer, _)) => sealer.seal(magic, now).to_vec(),
            None => magic.to_bytes().to_vec(),
        }
    }

    /// Judges `datagram` from `source`, received at `now` (since the epoch).
    ///
    /// # Errors
    /// As [`Decoder::decode`] or [`Decoder::decode_authenticated`].
    pub fn decode(&mut self, datagram: &[u8], source: IpAddr, now: Duration) -> Result<Magic, DecodeError> {
        match &mut self.keyed {
            Some((_, opener)) => self.decoder.decode_authenticated(opener, datagram, source, now),
            None => self.decoder.decode(datagram, source),
        }
    }
}

/// What SIGHUP means for the heartbeat's authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rekey {
    /// Keep what runs (lvs.cf or the key file could not be read: logged).
    Keep,
    /// Use this key, or plain heartbeats for `None`.
    Use(Option<HeartbeatKey>),
}

/// Lets at most one line a second through, counting the others: a flood
/// of forged datagrams must not flood the log.
#[derive(Debug, Default)]
pub struct LogLimiter {
    last: Option<Duration>,
    suppressed: u64,
}

/// The interval of [`LogLimiter`].
pub const LOG_INTERVAL: Duration = Duration::from_secs(1);

impl LogLimiter {
    /// At monotonic `now`: `Some(n)` when a line may be logged, `n` being
    /// how many were suppressed since the last one; `None` to stay quiet.
    pub fn admit(&mut self, now: Duration) -> Option<u64> {
        if let Some(last) = self.last
            && now.saturating_sub(last) < LOG_INTERVAL
        {
            self.suppressed += 1;
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.suppressed))
    }
}

#[cfg(test)]
mod tests;
