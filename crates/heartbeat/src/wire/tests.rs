use std::net::{IpAddr, Ipv4Addr};

use super::*;

const PARTNER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
const PARTNER_PRIVATE: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 2));
const STRANGER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 99));

fn lvs() -> Decoder {
    Decoder::new(Mode::Lvs, PARTNER, Some(PARTNER_PRIVATE))
}

#[test]
fn golden_bytes_of_every_magic() {
    let golden: [(Magic, [u8; 4]); 7] = [
        (Magic::Running, [0xda, 0xdb, 0xad, 0xbd]),
        (Magic::Stopped, [0xbd, 0xda, 0xbd, 0xad]),
        (Magic::Hold, [0xbe, 0xba, 0xaf, 0xde]),
        (Magic::Held, [0xda, 0xda, 0xaf, 0xde]),
        (Magic::FosRunning, [0xbe, 0xba, 0xef, 0xbe]),
        (Magic::FosStopped, [0xef, 0xbe, 0xad, 0xde]),
        (Magic::StopMe, [0xda, 0xda, 0xad, 0xde]),
    ];
    for (magic, bytes) in golden {
        assert_eq!(magic.to_bytes(), bytes, "{magic}");
        assert_eq!(HeartbeatPacket::new(magic).to_bytes(), bytes, "{magic}");
        assert_eq!(Magic::from_value(u32::from_le_bytes(bytes)), Some(magic));
    }
}

#[test]
fn spec_2_4_values() {
    assert_eq!(Magic::Running.value(), 0xbdaddbda);
    assert_eq!(Magic::Stopped.value(), 0xadbddabd);
    assert_eq!(Magic::Hold.value(), 0xdeafbabe);
    assert_eq!(Magic::Held.value(), 0xdeafdada);
    assert_eq!(Magic::FosRunning.value(), 0xbeefbabe);
    assert_eq!(Magic::FosStopped.value(), 0xdeadbeef);
    assert_eq!(Magic::StopMe.value(), 0xdeaddada);
}

#[test]
fn lvs_decoder_accepts_its_magics_from_either_partner_address() {
    for magic in [Magic::Running, Magic::Stopped, Magic::StopMe, Magic::Hold, Magic::Held] {
        assert_eq!(lvs().decode(&magic.to_bytes(), PARTNER), Ok(magic));
        assert_eq!(lvs().decode(&magic.to_bytes(), PARTNER_PRIVATE), Ok(magic));
    }
}

#[test]
fn fos_magics_are_incompatible_in_lvs_mode_and_vice_versa() {
    for magic in [Magic::FosRunning, Magic::FosStopped] {
        let err = lvs().decode(&magic.to_bytes(), PARTNER).unwrap_err();
        assert_eq!(err, DecodeError::Incompatible(magic.value()));
        assert_eq!(
            err.to_string(),
            "Incompatible heartbeat received -- other system not using identical services"
        );
    }
    let fos = Decoder::new(Mode::Fos, PARTNER, None);
    assert!(fos.decode(&Magic::Running.to_bytes(), PARTNER).is_err());
    assert_eq!(fos.decode(&Magic::FosRunning.to_bytes(), PARTNER), Ok(Magic::FosRunning));
    assert_eq!(fos.decode(&Magic::StopMe.to_bytes(), PARTNER), Ok(Magic::StopMe));
}

#[test]
fn network_byte_order_is_incompatible() {
    let be = Magic::Running.value().to_be_bytes();
    assert_eq!(lvs().decode(&be, PARTNER), Err(DecodeError::Incompatible(0xdadbadbd)));
}

#[test]
fn stranger_is_checked_before_length_and_magic() {
    for datagram in [&[][..], &[1, 2][..], &[0, 0, 0, 0][..], &Magic::Running.to_bytes()[..]] {
        let err = lvs().decode(datagram, STRANGER).unwrap_err();
        assert_eq!(err, DecodeError::UnexpectedSource(STRANGER));
        assert!(err.verbose_only());
        assert_eq!(err.to_string(), "Unexpected heartbeat from 10.0.0.99");
    }
}

#[test]
fn private_address_is_not_accepted_without_private_channel() {
    let public_only = Decoder::new(Mode::Lvs, PARTNER, None);
    assert_eq!(
        public_only.decode(&Magic::Running.to_bytes(), PARTNER_PRIVATE),
        Err(DecodeError::UnexpectedSource(PARTNER_PRIVATE))
    );
}

#[test]
fn ipv6_source_is_unexpected() {
    let v6: IpAddr = "::ffff:10.0.0.2".parse().expect("literal");
    assert_eq!(lvs().decode(&Magic::Running.to_bytes(), v6), Err(DecodeError::UnexpectedSource(v6)));
}

#[test]
fn short_datagrams_are_bad_packets() {
    for len in 0..4 {
        let datagram = &Magic::Running.to_bytes()[..len];
        let err = lvs().decode(datagram, PARTNER).unwrap_err();
        assert_eq!(err, DecodeError::BadLength(len));
        assert!(!err.verbose_only());
        assert_eq!(err.to_string(), "bad heartbeat packet");
    }
}

#[test]
fn length_is_checked_before_magic() {
    assert_eq!(lvs().decode(&[0xff, 0xff, 0xff], PARTNER), Err(DecodeError::BadLength(3)));
}

#[test]
fn longer_datagrams_are_judged_by_their_first_four_bytes_like_the_original() {
    let mut long = Magic::Stopped.to_bytes().to_vec();
    long.extend_from_slice(&[0xde, 0xad]);
    assert_eq!(lvs().decode(&long, PARTNER), Ok(Magic::Stopped));
    let mut jumbo = vec![0u8; 65_507];
    jumbo[..4].copy_from_slice(&Magic::Running.to_bytes());
    assert_eq!(lvs().decode(&jumbo, PARTNER), Ok(Magic::Running));
    let mut garbage = vec![0u8; 8];
    garbage[4..].copy_from_slice(&Magic::Running.to_bytes());
    assert_eq!(lvs().decode(&garbage, PARTNER), Err(DecodeError::Incompatible(0)));
}

#[test]
fn near_misses_are_incompatible() {
    for magic in Magic::ALL {
        for bit in 0..32 {
            let value = magic.value() ^ (1 << bit);
            if Magic::from_value(value).is_some() {
                continue;
            }
            assert_eq!(lvs().decode(&value.to_le_bytes(), PARTNER), Err(DecodeError::Incompatible(value)));
        }
    }
    for value in [0, u32::MAX, 1, 0x8000_0000] {
        assert_eq!(lvs().decode(&value.to_le_bytes(), PARTNER), Err(DecodeError::Incompatible(value)));
    }
}

#[test]
fn decoder_never_panics_on_arbitrary_bytes() {
    // A cheap deterministic sweep (the fuzz target covers the rest): every
    // length up to 16 with pseudo-random contents, from every kind of source.
    let mut state: u32 = 0x1234_5678;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state.to_le_bytes()[0]
    };
    for _ in 0..2_000 {
        let len = usize::from(next() % 17);
        let datagram: Vec<u8> = (0..len).map(|_| next()).collect();
        for source in [PARTNER, PARTNER_PRIVATE, STRANGER] {
            let _ = lvs().decode(&datagram, source);
        }
    }
}

#[test]
fn sent_magic_follows_state_and_mode() {
    assert_eq!(Magic::for_state(Mode::Lvs, true), Magic::Running);
    assert_eq!(Magic::for_state(Mode::Lvs, false), Magic::Stopped);
    assert_eq!(Magic::for_state(Mode::Fos, true), Magic::FosRunning);
    assert_eq!(Magic::for_state(Mode::Fos, false), Magic::FosStopped);
}
