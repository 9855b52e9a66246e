//! An authenticated heartbeat (lvs.cf `heartbeat_key`) from arbitrary
//! bytes: `Decoder::decode_authenticated` never panics, and accepts a
//! datagram only when it is exactly what the partner's `Sealer` would send,
//! fresh and newer than the last one accepted.
//!
//! Input layout (the seeds under `corpus/heartbeat_authenticated/` follow it):
//! - byte 0 bit 0: 0 = the rest is a whole datagram; 1 = the rest is an XOR
//!   mask over a genuine datagram the partner sealed (the fuzzer flips bits
//!   of an authentic heartbeat; missing mask bytes are zero);
//! - byte 0 bit 1: the source is the partner (else a stranger);
//! - byte 0 bits 2–3: the receiver's clock is 0 s, +29 s, −31 s or +1 h from
//!   the sender's.

#![no_main]

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use heartbeat::auth::AUTH_PACKET_LEN;
use heartbeat::{DecodeError, Decoder, HeartbeatKey, Magic, Mode, Opener, Sealer};
use libfuzzer_sys::fuzz_target;

const PARTNER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
const STRANGER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 66));
const SENT: Duration = Duration::from_secs(1_795_000_000);

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let key = HeartbeatKey::from_file_contents(b"fuzzing key, 16+ bytes").expect("valid key");
    let mut sealer = Sealer::new(key.clone(), PARTNER);
    let genuine = sealer.seal(Magic::Running, SENT);
    let datagram: Vec<u8> = if flags & 1 == 0 {
        rest.to_vec()
    } else {
        genuine.iter().enumerate().map(|(i, b)| b ^ rest.get(i).copied().unwrap_or(0)).collect()
    };
    let source = if flags & 2 != 0 { PARTNER } else { STRANGER };
    let now = match (flags >> 2) & 3 {
        0 => SENT,
        1 => SENT + Duration::from_secs(29),
        2 => SENT - Duration::from_secs(31),
        _ => SENT + Duration::from_secs(3600),
    };
    let decoder = Decoder::new(Mode::Lvs, PARTNER, None);
    let mut opener = Opener::new(key, PARTNER);
    let verdict = decoder.decode_authenticated(&mut opener, &datagram, source, now);
    let in_window = (flags >> 2) & 3 <= 1;
    match &verdict {
        Ok(magic) => {
            assert_eq!(source, PARTNER);
            assert!(in_window, "accepted outside the clock window");
            assert_eq!(datagram.len(), AUTH_PACKET_LEN);
            // Only the genuine datagram verifies (a forgery would be an HMAC break).
            assert_eq!(datagram[..], genuine[..], "a datagram other than the sealed one was accepted");
            assert_eq!(*magic, Magic::Running);
            // Replaying it is refused.
            let again = decoder.decode_authenticated(&mut opener, &datagram, source, now);
            assert!(matches!(again, Err(DecodeError::Rejected { .. })), "replay accepted: {again:?}");
        }
        Err(error) => {
            assert!(!error.to_string().trim().is_empty());
            if source == PARTNER && in_window && datagram[..] == genuine[..] {
                panic!("the genuine datagram was refused: {error}");
            }
        }
    }
});
