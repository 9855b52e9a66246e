//! nanny's send/expect escape decoder (`health::escape::decode`, spec §4
//! "unless -T" and §8 item 2) on arbitrary bytes, checked against a
//! reference decoder written out again below from the spec:
//! - `\\ \r \n \t \' \"` become one byte each; any other `\x` and a
//!   trailing lone backslash are kept as they are (the original looped
//!   forever on them); strings of at most one byte are untouched;
//! - so decoding is total, never lengthens its input, shortens it by
//!   exactly one byte per decoded escape, returns input without a
//!   backslash unchanged, and never makes a backslash that was not there;
//! - escaping any bytes the way an admin writes them in lvs.cf and
//!   decoding gives the bytes back.
//!
//! Input: the send or expect string, as raw bytes (not necessarily UTF-8).

#![no_main]

use health::escape::decode;
use libfuzzer_sys::fuzz_target;

/// The byte a recognised escape `\c` stands for (spec §4), if any.
fn unescape(c: u8) -> Option<u8> {
    match c {
        b'\\' => Some(b'\\'),
        b'r' => Some(b'\r'),
        b'n' => Some(b'\n'),
        b't' => Some(b'\t'),
        b'\'' => Some(b'\''),
        b'"' => Some(b'"'),
        _ => None,
    }
}

/// The spec's decoder by index, and how many escapes it decoded.
fn reference(input: &[u8]) -> (Vec<u8>, usize) {
    if input.len() <= 1 {
        return (input.to_vec(), 0);
    }
    let (mut out, mut escapes, mut i) = (Vec::new(), 0, 0);
    while i < input.len() {
        match (input[i], input.get(i + 1).copied().and_then(unescape)) {
            (b'\\', Some(byte)) => {
                out.push(byte);
                escapes += 1;
                i += 2;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    (out, escapes)
}

/// `bytes` as an admin would write them in a send string.
fn escape(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for &b in bytes {
        match b {
            b'\\' => out.extend_from_slice(br"\\"),
            b'\r' => out.extend_from_slice(br"\r"),
            b'\n' => out.extend_from_slice(br"\n"),
            b'\t' => out.extend_from_slice(br"\t"),
            _ => out.push(b),
        }
    }
    out
}

fn backslashes(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\\').count()
}

fuzz_target!(|data: &[u8]| {
    let decoded = decode(data);
    let (expected, escapes) = reference(data);
    assert_eq!(decoded, expected, "differs from the spec's decoder");
    assert_eq!(decoded.len(), data.len() - escapes, "one byte less per decoded escape");
    assert!(decoded.len() <= data.len());
    if !data.contains(&b'\\') || data.len() <= 1 {
        assert_eq!(decoded, data, "nothing to decode, yet the string changed");
    }
    assert!(backslashes(&decoded) <= backslashes(data), "a backslash appeared");
    assert_eq!(decode(&escape(data)), data, "escaping then decoding is not the identity");
});
