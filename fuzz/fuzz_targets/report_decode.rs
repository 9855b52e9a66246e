//! The lvsd ↔ nanny line protocol (`health::protocol`) from arbitrary bytes,
//! both ways:
//! - the whole input, as (lossy UTF-8) text, is one line read by lvsd
//!   (`parse_report`) and by a worker (`parse_request`): neither panics; a
//!   rejection renders a short, non-empty error; a line that parses is at
//!   most `MAX_LINE` bytes without control characters, parses the same with
//!   `\n` or `\r\n` after it, and its encoding (`Display`) parses to the same
//!   value;
//! - the input also builds a `Report::Probe` with hostile reason text and a
//!   `Request::Server`, as a worker or lvsd would send them: every encoded
//!   line is at most `MAX_LINE` bytes, has no control characters and no
//!   trailing blank, and parses back to the value with the reason sanitized as
//!   `Display` documents it (control characters become spaces, the line is cut
//!   to `MAX_LINE` at a character boundary, trailing blanks go, an empty
//!   reason is none, and an `ok` probe has none).
//!
//! Input layout for the built values (the seeds under
//! `corpus/report_decode/` are protocol lines, so they exercise the parsers
//! first): byte 0 flags (bit 0 probe ok, bit 1 no reason, bit 2 IPv6
//! server), bytes 1–4 the id, 5–8 the weight, 9–10 the port, 11–26 the
//! address (the first 4 for IPv4), the rest the reason (lossy UTF-8); missing
//! bytes are zero.

#![no_main]

use std::fmt::{Debug, Display};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use health::protocol::{MAX_LINE, ProtocolError, Report, Request, parse_report, parse_request};
use libfuzzer_sys::fuzz_target;

/// The first `N` bytes (zero-filled when shorter) and what follows them.
fn take<const N: usize>(bytes: &[u8]) -> ([u8; N], &[u8]) {
    let n = bytes.len().min(N);
    let mut out = [0; N];
    out[..n].copy_from_slice(&bytes[..n]);
    (out, &bytes[n..])
}

/// What every encoded line must look like.
fn assert_clean(line: &str) {
    assert!(line.len() <= MAX_LINE, "encoded line of {} bytes", line.len());
    assert!(!line.chars().any(char::is_control), "control character in {line:?}");
    assert!(!line.ends_with(char::is_whitespace), "trailing blank in {line:?}");
    assert!(!line.is_empty());
}

fn assert_error(error: &ProtocolError) {
    let text = error.to_string();
    assert!(!text.trim().is_empty(), "{error:?} renders an empty text");
    // Offending input is quoted as an excerpt of at most 64 characters.
    assert!(text.chars().count() <= 160, "error text not shortened: {text:?}");
}

/// The reason `parse_report` gives back for a failed probe with `reason`
/// after `head` (`probe ID fail`), per `Display`'s documentation.
fn sanitized(head: &str, reason: Option<&str>) -> Option<String> {
    let room = MAX_LINE - head.len() - 1;
    let mut out = String::new();
    for c in reason?.chars() {
        let c = if c.is_control() { ' ' } else { c };
        if out.len() + c.len_utf8() > room {
            break;
        }
        out.push(c);
    }
    let out = out.trim_end();
    (!out.is_empty()).then(|| out.to_owned())
}

/// A received line: parsers are total, and what parses re-encodes faithfully.
fn check_line<T>(line: &str, parse: fn(&str) -> Result<T, ProtocolError>)
where
    T: Clone + Debug + Display + PartialEq,
{
    let bare = line.strip_suffix('\n').unwrap_or(line);
    let bare = bare.strip_suffix('\r').unwrap_or(bare);
    match parse(line) {
        Ok(value) => {
            assert!(bare.len() <= MAX_LINE && !bare.chars().any(char::is_control), "accepted {line:?}");
            let encoded = value.to_string();
            assert_clean(&encoded);
            assert_eq!(parse(&encoded), Ok(value.clone()), "{line:?} re-encoded as {encoded:?}");
            assert_eq!(parse(&format!("{bare}\r\n")), Ok(value.clone()));
            assert_eq!(parse(&format!("{bare}\n")), Ok(value));
        }
        Err(error) => assert_error(&error),
    }
}

/// Values built from the input: every encoding is clean and parses back.
fn check_built(data: &[u8]) {
    let (flags, rest) = take::<1>(data);
    let (id, rest) = take::<4>(rest);
    let (weight, rest) = take::<4>(rest);
    let (port, rest) = take::<2>(rest);
    let (addr, rest) = take::<16>(rest);
    let (flags, id, weight, port) =
        (flags[0], u32::from_le_bytes(id), u32::from_le_bytes(weight), u16::from_le_bytes(port));
    let text = String::from_utf8_lossy(rest);
    let ok = flags & 1 != 0;
    let reason = (flags & 2 == 0).then(|| text.into_owned());

    let probe = Report::Probe { id, ok, reason: reason.clone() };
    let line = probe.to_string();
    assert_clean(&line);
    let reason = if ok { None } else { sanitized(&format!("probe {id} fail"), reason.as_deref()) };
    assert_eq!(parse_report(&line), Ok(Report::Probe { id, ok, reason }), "{probe:?} encoded as {line:?}");

    for report in [Report::Up { id, weight }, Report::Down { id }, Report::Alive] {
        let line = report.to_string();
        assert_clean(&line);
        assert_eq!(parse_report(&line), Ok(report));
    }

    let addr = if flags & 4 == 0 {
        IpAddr::V4(Ipv4Addr::new(addr[0], addr[1], addr[2], addr[3]))
    } else {
        IpAddr::V6(Ipv6Addr::from(addr))
    };
    for request in [Request::Server { id, addr, port, weight }, Request::Forget { id }] {
        let line = request.to_string();
        assert_clean(&line);
        assert_eq!(parse_request(&line), Ok(request));
    }
}

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data);
    check_line(&line, parse_report);
    check_line(&line, parse_request);
    check_built(data);
});
