use std::net::IpAddr;
use std::time::Duration;

use super::*;
use crate::wire::{DecodeError, Decoder, Mode};

const PRIMARY: &str = "192.0.2.1";
const BACKUP: &str = "192.0.2.2";
const BACKUP_PRIVATE: &str = "10.9.9.2";
/// A moment in 2026, as time since the epoch.
const NOW: Duration = Duration::from_secs(1_795_000_000);

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn key(text: &str) -> HeartbeatKey {
    HeartbeatKey::from_file_contents(text.as_bytes()).unwrap()
}

fn secret() -> HeartbeatKey {
    key("correct horse battery staple\n")
}

/// The backup's sealer and the primary's opener and decoder.
fn pair() -> (Sealer, Opener, Decoder) {
    (
        Sealer::new(secret(), ip(BACKUP)),
        Opener::new(secret(), ip(BACKUP)),
        Decoder::new(Mode::Lvs, ip(BACKUP), Some(ip(BACKUP_PRIVATE))),
    )
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn keys_drop_trailing_line_ends_and_need_16_bytes() {
    assert_eq!(key("0123456789abcdef\r\n"), key("0123456789abcdef"));
    assert_eq!(HeartbeatKey::from_file_contents(b"0123456789abcde\n"), Err(KeyError::TooShort(15)));
    assert_eq!(HeartbeatKey::from_file_contents(b"\n\n"), Err(KeyError::TooShort(0)));
    assert_eq!(
        HeartbeatKey::from_file_contents(&[7; MAX_KEY_LEN + 1]),
        Err(KeyError::TooLong(MAX_KEY_LEN + 1))
    );
    assert!(HeartbeatKey::from_file_contents(&[0; MAX_KEY_LEN]).is_ok(), "any bytes, binary included");
    // interior line ends are part of the secret
    assert_ne!(key("0123456789\nabcdef"), key("0123456789abcdef"));
}

#[test]
fn debug_never_shows_the_secret() {
    let text = format!("{:?} {:?}", secret(), Sealer::new(secret(), ip(BACKUP)));
    assert!(!text.contains("horse"), "{text}");
    assert!(text.contains("28 bytes"), "{text}");
}

#[test]
fn layout_magic_format_stamp_tag() {
    let (mut sealer, ..) = pair();
    let bytes = sealer.seal(Magic::Stopped, NOW + Duration::from_micros(7));
    assert_eq!(bytes.len(), AUTH_PACKET_LEN);
    assert_eq!(bytes[0..4], Magic::Stopped.to_bytes(), "the original's 4 bytes come first");
    assert_eq!(&bytes[4..8], b"LVH1");
    assert_eq!(u64::from_be_bytes(bytes[8..16].try_into().unwrap()), 1_795_000_000_000_007);
    // the tag is the truncated HMAC-SHA256 of the head and the sender's mapped address
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"correct horse battery staple").unwrap();
    mac.update(&bytes[0..16]);
    let mut mapped = [0u8; 16];
    mapped[10] = 0xff;
    mapped[11] = 0xff;
    mapped[12..].copy_from_slice(&[192, 0, 2, 2]);
    mac.update(&mapped);
    assert_eq!(bytes[16..32], mac.finalize().into_bytes()[..16]);
}

#[test]
fn stamps_strictly_increase_even_when_the_clock_steps_back() {
    let (mut sealer, ..) = pair();
    let stamp = |b: [u8; 32]| u64::from_be_bytes(b[8..16].try_into().unwrap());
    let a = stamp(sealer.seal(Magic::Running, NOW));
    let b = stamp(sealer.seal(Magic::Running, NOW));
    let c = stamp(sealer.seal(Magic::Running, NOW - Duration::from_secs(100)));
    let d = stamp(sealer.seal(Magic::Running, NOW + ms(1)));
    assert!(a < b && b < c && c < d, "{a} {b} {c} {d}");
}

#[test]
fn an_authentic_heartbeat_is_accepted_on_either_channel() {
    let (mut sealer, mut opener, decoder) = pair();
    for (i, source) in [BACKUP, BACKUP_PRIVATE].into_iter().enumerate() {
        let now = NOW + ms(i as u64 * 1000);
        let datagram = sealer.seal(Magic::Running, now);
        assert_eq!(
            decoder.decode_authenticated(&mut opener, &datagram, ip(source), now + ms(3)),
            Ok(Magic::Running)
        );
    }
}

#[test]
fn a_plain_heartbeat_is_rejected_naming_the_cause() {
    let (_, mut opener, decoder) = pair();
    let got = decoder.decode_authenticated(&mut opener, &Magic::Stopped.to_bytes(), ip(BACKUP), NOW);
    assert_eq!(got, Err(DecodeError::Rejected { from: ip(BACKUP), why: AuthError::Unauthenticated }));
    assert_eq!(
        got.unwrap_err().to_string(),
        "heartbeat from 192.0.2.2 dropped: not authenticated (heartbeat_key is set here; is it set on the partner?)"
    );
}

#[test]
fn strangers_are_refused_before_any_crypto() {
    let (mut sealer, mut opener, decoder) = pair();
    let datagram = sealer.seal(Magic::Running, NOW);
    assert_eq!(
        decoder.decode_authenticated(&mut opener, &datagram, ip("198.51.100.7"), NOW),
        Err(DecodeError::UnexpectedSource(ip("198.51.100.7")))
    );
}

#[test]
fn every_length_but_32_is_malformed() {
    let (mut sealer, opener, _) = pair();
    let good = sealer.seal(Magic::Running, NOW);
    for len in (0..=64).filter(|&n| n != 4 && n != AUTH_PACKET_LEN) {
        let mut bytes = good.to_vec();
        bytes.resize(len, 0);
        assert_eq!(opener.verify(&bytes, NOW), Err(AuthError::Malformed(len)), "length {len}");
    }
    let mut wrong_format = good;
    wrong_format[7] = b'2';
    assert_eq!(opener.verify(&wrong_format, NOW), Err(AuthError::Malformed(32)));
}

#[test]
fn any_flipped_bit_fails_the_tag() {
    let (mut sealer, opener, _) = pair();
    let good = sealer.seal(Magic::Running, NOW);
    for byte in (0..AUTH_PACKET_LEN).filter(|b| !(4..8).contains(b)) {
        for bit in 0..8 {
            let mut bad = good;
            bad[byte] ^= 1 << bit;
            assert_eq!(opener.verify(&bad, NOW), Err(AuthError::BadTag), "byte {byte} bit {bit}");
        }
    }
}

#[test]
fn another_key_or_a_reflected_datagram_fails_the_tag() {
    let (_, opener, _) = pair();
    let mut stranger = Sealer::new(key("another secret of 16+ bytes"), ip(BACKUP));
    assert_eq!(opener.verify(&stranger.seal(Magic::Stopped, NOW), NOW), Err(AuthError::BadTag));
    // our own datagram (sealed for the primary's address) sent back to us
    // with the backup's source address
    let mut ours = Sealer::new(secret(), ip(PRIMARY));
    assert_eq!(opener.verify(&ours.seal(Magic::Stopped, NOW), NOW), Err(AuthError::BadTag));
}

#[test]
fn replays_are_rejected_and_do_not_move_the_state() {
    let (mut sealer, mut opener, decoder) = pair();
    let first = sealer.seal(Magic::Running, NOW);
    let second = sealer.seal(Magic::Running, NOW + ms(50));
    assert_eq!(
        decoder.decode_authenticated(&mut opener, &second, ip(BACKUP), NOW + ms(60)),
        Ok(Magic::Running)
    );
    let old = decoder.decode_authenticated(&mut opener, &first, ip(BACKUP), NOW + ms(70));
    assert!(matches!(old, Err(DecodeError::Rejected { why: AuthError::Replayed { .. }, .. })), "{old:?}");
    let again = decoder.decode_authenticated(&mut opener, &second, ip(BACKUP), NOW + ms(80));
    assert!(matches!(again, Err(DecodeError::Rejected { why: AuthError::Replayed { .. }, .. })), "{again:?}");
    let third = sealer.seal(Magic::Stopped, NOW + ms(100));
    assert_eq!(
        decoder.decode_authenticated(&mut opener, &third, ip(BACKUP), NOW + ms(110)),
        Ok(Magic::Stopped)
    );
}

#[test]
fn stamps_outside_the_window_are_rejected_with_the_offset() {
    let (mut sealer, opener, _) = pair();
    let fresh = sealer.seal(Magic::Running, NOW);
    assert!(opener.verify(&fresh, NOW + STAMP_WINDOW).is_ok(), "the window's edge is inside");
    assert!(opener.verify(&fresh, NOW - STAMP_WINDOW).is_ok());
    let late = opener.verify(&fresh, NOW + STAMP_WINDOW + ms(1));
    assert_eq!(late, Err(AuthError::Skewed { offset: STAMP_WINDOW + ms(1), ahead: false }));
    let early = opener.verify(&fresh, NOW - Duration::from_secs(45));
    assert_eq!(early, Err(AuthError::Skewed { offset: Duration::from_secs(45), ahead: true }));
    assert_eq!(
        early.unwrap_err().to_string(),
        "its clock is 45 s ahead of ours (more than 30 s): synchronise the routers' clocks"
    );
}

#[test]
fn a_restarted_receiver_accepts_only_fresh_datagrams() {
    let (mut sealer, mut opener, decoder) = pair();
    let captured = sealer.seal(Magic::Stopped, NOW);
    assert!(decoder.decode_authenticated(&mut opener, &captured, ip(BACKUP), NOW).is_ok());
    // the receiver restarts (no replay state) a minute later: the captured
    // datagram is out of the window
    let mut restarted = Opener::new(secret(), ip(BACKUP));
    let replay =
        decoder.decode_authenticated(&mut restarted, &captured, ip(BACKUP), NOW + Duration::from_secs(60));
    assert!(matches!(replay, Err(DecodeError::Rejected { why: AuthError::Skewed { .. }, .. })), "{replay:?}");
}

#[test]
fn an_authentic_but_incompatible_magic_is_refused_without_moving_the_state() {
    let (mut sealer, mut opener, decoder) = pair();
    let fos = sealer.seal(Magic::FosRunning, NOW);
    assert_eq!(
        decoder.decode_authenticated(&mut opener, &fos, ip(BACKUP), NOW),
        Err(DecodeError::Incompatible(Magic::FosRunning.value()))
    );
    // an older authentic heartbeat is still acceptable: the refused one did not count
    let mut earlier = Sealer::new(secret(), ip(BACKUP));
    let older = earlier.seal(Magic::Running, NOW - ms(10));
    assert_eq!(decoder.decode_authenticated(&mut opener, &older, ip(BACKUP), NOW), Ok(Magic::Running));
}

#[test]
fn rekeying_keeps_the_replay_state() {
    let (mut sealer, mut opener, decoder) = pair();
    let before = sealer.seal(Magic::Running, NOW);
    assert!(decoder.decode_authenticated(&mut opener, &before, ip(BACKUP), NOW).is_ok());
    let new_key = key("the next secret, rotated");
    sealer.rekey(new_key.clone());
    opener.rekey(new_key);
    let after = sealer.seal(Magic::Running, NOW + ms(20));
    assert!(decoder.decode_authenticated(&mut opener, &after, ip(BACKUP), NOW + ms(20)).is_ok());
    assert!(matches!(
        decoder.decode_authenticated(&mut opener, &after, ip(BACKUP), NOW + ms(30)),
        Err(DecodeError::Rejected { why: AuthError::Replayed { .. }, .. })
    ));
}

#[test]
fn arbitrary_bytes_never_panic_and_are_never_accepted() {
    // a cheap exhaustive-ish sweep: every 32-byte pattern built from a seed
    let (_, opener, _) = pair();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..20_000 {
        let mut bytes = [0u8; AUTH_PACKET_LEN];
        for b in &mut bytes {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *b = state.to_le_bytes()[0];
        }
        bytes[4..8].copy_from_slice(&FORMAT);
        assert_eq!(opener.verify(&bytes, NOW), Err(AuthError::BadTag));
    }
}
