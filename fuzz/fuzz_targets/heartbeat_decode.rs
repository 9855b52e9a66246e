//! A received heartbeat from arbitrary bytes and an arbitrary source: the
//! `Decoder` pulse builds (`Channels::decoder`) gives exactly the verdict of
//! spec §2.4 "Receive validation" steps 3–5, written out again below from
//! the spec's table, and every verdict is usable:
//! - accepted only from one of the partner's configured addresses, with at
//!   least 4 bytes whose little-endian u32 is a magic the mode accepts; a
//!   longer datagram is judged by its first 4 bytes (the original receives
//!   into a 4-byte buffer), so an accepted 4-byte datagram is exactly the
//!   returned magic re-encoded;
//! - every rejection renders a non-empty log text.
//!
//! Input layout (the seeds under `corpus/heartbeat_decode/` follow it):
//! byte 0 picks the decoder and the source, the rest is the datagram.
//! - bit 0: mode, 0 = `service = lvs`, 1 = `service = fos`
//! - bit 1: a private channel exists (partner private address configured)
//! - bit 2: partner addresses are IPv6 instead of IPv4
//! - bits 3–4: source: 0 = partner public, 1 = partner private (also when
//!   no private channel exists), 2 = IPv4 from the next 4 bytes, 3 = IPv6
//!   from the next 16 bytes (missing bytes are zero)
//! - bits 5–7: unused

#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use heartbeat::{DecodeError, Decoder, Magic, Mode, PACKET_LEN};
use libfuzzer_sys::fuzz_target;

const PUBLIC_V4: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
const PRIVATE_V4: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 2));
const PUBLIC_V6: IpAddr = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2));
const PRIVATE_V6: IpAddr = IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 2));

/// The values a node of `mode` accepts (spec §2.4 step 5), copied from the
/// spec's table rather than from `Magic`, so a wrong constant there shows.
fn accepted_values(mode: Mode) -> [u32; 5] {
    let (running, stopped) = match mode {
        Mode::Lvs => (0xbdad_dbda, 0xadbd_dabd),
        Mode::Fos => (0xbeef_babe, 0xdead_beef),
    };
    // STOPME, HOLD, HELD are accepted in both modes.
    [running, stopped, 0xdead_dada, 0xdeaf_babe, 0xdeaf_dada]
}

struct Case<'a> {
    mode: Mode,
    partner_public: IpAddr,
    partner_private: Option<IpAddr>,
    source: IpAddr,
    datagram: &'a [u8],
}

/// Splits the input as the module doc describes; `None` for empty input.
fn case(data: &[u8]) -> Option<Case<'_>> {
    let (&flags, rest) = data.split_first()?;
    let mode = if flags & 1 == 0 { Mode::Lvs } else { Mode::Fos };
    let (public, private) = if flags & 4 == 0 { (PUBLIC_V4, PRIVATE_V4) } else { (PUBLIC_V6, PRIVATE_V6) };
    let partner_private = (flags & 2 != 0).then_some(private);
    let (source, datagram) = match (flags >> 3) & 3 {
        0 => (public, rest),
        1 => (private, rest),
        2 => {
            let (octets, datagram) = take::<4>(rest);
            (IpAddr::V4(Ipv4Addr::from(octets)), datagram)
        }
        _ => {
            let (octets, datagram) = take::<16>(rest);
            (IpAddr::V6(Ipv6Addr::from(octets)), datagram)
        }
    };
    Some(Case { mode, partner_public: public, partner_private, source, datagram })
}

/// The first `N` bytes (zero-filled when shorter) and what follows them.
fn take<const N: usize>(bytes: &[u8]) -> ([u8; N], &[u8]) {
    let n = bytes.len().min(N);
    let mut out = [0; N];
    out[..n].copy_from_slice(&bytes[..n]);
    (out, &bytes[n..])
}

/// Spec §2.4 steps 3–5, in that order.
fn expected(case: &Case<'_>) -> Result<u32, DecodeError> {
    if case.source != case.partner_public && Some(case.source) != case.partner_private {
        return Err(DecodeError::UnexpectedSource(case.source));
    }
    if case.datagram.len() < PACKET_LEN {
        return Err(DecodeError::BadLength(case.datagram.len()));
    }
    let mut first = [0; PACKET_LEN];
    first.copy_from_slice(&case.datagram[..PACKET_LEN]);
    let value = u32::from_le_bytes(first);
    if accepted_values(case.mode).contains(&value) {
        Ok(value)
    } else {
        Err(DecodeError::Incompatible(value))
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(case) = case(data) else { return };
    let decoder = Decoder::new(case.mode, case.partner_public, case.partner_private);
    let verdict = decoder.decode(case.datagram, case.source);
    assert_eq!(verdict.clone().map(Magic::value), expected(&case), "verdict differs from spec §2.4");
    match verdict {
        Ok(magic) => {
            let bytes = magic.to_bytes();
            assert_eq!(bytes[..], case.datagram[..PACKET_LEN], "re-encoding {magic} changed the bytes");
            assert_eq!(Magic::from_value(u32::from_le_bytes(bytes)), Some(magic));
            assert!(magic.accepted_in(case.mode), "{magic} accepted in {:?} mode", case.mode);
            assert!(!magic.to_string().is_empty(), "{magic:?} has no name");
            if case.datagram.len() > PACKET_LEN {
                // The original truncates to 4 bytes: the same verdict as the prefix alone.
                assert_eq!(decoder.decode(&bytes, case.source), Ok(magic));
            }
        }
        Err(error) => {
            let text = error.to_string();
            assert!(!text.trim().is_empty(), "{error:?} renders an empty log text");
            assert_eq!(error.verbose_only(), matches!(error, DecodeError::UnexpectedSource(_)));
            if let DecodeError::UnexpectedSource(ip) = error {
                assert!(text.ends_with(&ip.to_string()), "{text:?} does not name {ip}");
            }
        }
    }
});
