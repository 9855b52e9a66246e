//! Stage 2b: value syntax of spec §1.2 — C integers, booleans, ports,
//! `inet_aton` addresses, masks and (our extension) decimal seconds.
//!
//! Everything here is pure; names that need a lookup (host names, TCP
//! service names) go through a [`Resolver`] supplied by the caller.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use crate::diag::ErrorKind;

/// Looks up names the parser cannot know by itself.
///
/// The parser never touches the network or `/etc`; the caller decides how
/// names resolve (the daemons use [`crate::SystemResolver`]).
pub trait Resolver {
    /// The IPv4 address of a host name (`gethostbyname`, first address).
    fn resolve_host(&self, name: &str) -> Option<IpAddr>;
    /// The port of a TCP service name (`getservbyname(name, "tcp")`).
    fn service_port(&self, name: &str) -> Option<u16>;
}

/// A resolver that knows no host names and the common TCP service names of
/// `/etc/services`; used by [`crate::parse`], and enough for files that give
/// addresses as numbers.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuiltinResolver;

/// Common TCP services (IANA names as in Debian's and RHEL's `/etc/services`).
const WELL_KNOWN_TCP: &[(&str, u16)] = &[
    ("ftp-data", 20),
    ("ftp", 21),
    ("ssh", 22),
    ("telnet", 23),
    ("smtp", 25),
    ("domain", 53),
    ("gopher", 70),
    ("finger", 79),
    ("http", 80),
    ("www", 80),
    ("www-http", 80),
    ("kerberos", 88),
    ("pop3", 110),
    ("sunrpc", 111),
    ("auth", 113),
    ("nntp", 119),
    ("ntp", 123),
    ("imap", 143),
    ("imap2", 143),
    ("snmp", 161),
    ("bgp", 179),
    ("ldap", 389),
    ("https", 443),
    ("microsoft-ds", 445),
    ("submissions", 465),
    ("smtps", 465),
    ("rtsp", 554),
    ("submission", 587),
    ("ldaps", 636),
    ("rsync", 873),
    ("imaps", 993),
    ("pop3s", 995),
    ("ms-sql-s", 1433),
    ("openvpn", 1194),
    ("nfs", 2049),
    ("mysql", 3306),
    ("postgresql", 5432),
    ("sip", 5060),
    ("xmpp-client", 5222),
    ("http-alt", 8080),
    ("webcache", 8080),
];

impl Resolver for BuiltinResolver {
    fn resolve_host(&self, _name: &str) -> Option<IpAddr> {
        None
    }

    fn service_port(&self, name: &str) -> Option<u16> {
        WELL_KNOWN_TCP.iter().find(|(n, _)| *n == name).map(|(_, p)| *p)
    }
}

/// A value that did not parse: the original's error class and what to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    /// The original's error class.
    pub kind: ErrorKind,
    /// What exactly is wrong.
    pub detail: Option<String>,
    /// What to write instead.
    pub hint: Option<String>,
}

impl ValueError {
    pub(crate) fn new(kind: ErrorKind) -> Self {
        ValueError { kind, detail: None, hint: None }
    }

    pub(crate) fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = Some(d.into());
        self
    }

    pub(crate) fn hint(mut self, h: impl Into<String>) -> Self {
        self.hint = Some(h.into());
        self
    }
}

/// The digits of a C integer literal: `0x` hex, leading-`0` octal, decimal.
/// Returns the value (saturated) and the rest, or `None` when `input` does
/// not start with a digit. Like `strtol`, `"0x"` alone parses as `0`
/// followed by `x`, and `"09"` as `0` followed by `9`.
fn c_unsigned(input: &str) -> Option<(&str, u128)> {
    let bytes = input.as_bytes();
    let (radix, start) = match bytes {
        [b'0', b'x' | b'X', d, ..] if d.is_ascii_hexdigit() => (16, 2),
        [b'0', ..] => (8, 1),
        [d, ..] if d.is_ascii_digit() => (10, 0),
        _ => return None,
    };
    let mut value: u128 = 0;
    let mut end = start;
    while let Some(digit) = bytes.get(end).and_then(|b| char::from(*b).to_digit(radix)) {
        value = value.saturating_mul(u128::from(radix)).saturating_add(u128::from(digit));
        end += 1;
    }
    Some((&input[end..], value))
}

/// `strtol(tok, &end, 0)` with the whole token consumed, truncated to a C
/// `int` as the original stores it. An empty token is 0 (as in the original).
///
/// # Errors
/// `integer expected` (10) when anything is left over.
pub fn int(token: &str) -> Result<i32, ValueError> {
    if token.is_empty() {
        return Ok(0);
    }
    let body = token.trim_start_matches([' ', '\t', '\n', '\u{b}', '\u{c}', '\r']);
    let (negative, digits) = match body.as_bytes().first() {
        Some(b'-') => (true, &body[1..]),
        Some(b'+') => (false, &body[1..]),
        _ => (false, body),
    };
    match c_unsigned(digits) {
        Some(("", magnitude)) => {
            // strtol saturates at the range of `long`; the original then
            // truncates to `int`.
            let wide = if negative {
                i64::try_from(magnitude).map(|m| -m).unwrap_or(i64::MIN)
            } else {
                i64::try_from(magnitude).unwrap_or(i64::MAX)
            };
            #[allow(clippy::cast_possible_truncation)] // C's `int i = strtol(..)`, on purpose
            Ok(wide as i32)
        }
        _ => Err(ValueError::new(ErrorKind::IntegerExpected).detail(format!("`{token}`"))),
    }
}

/// A boolean: an integer equal to 0 or 1 (`0x1` and `01` included).
///
/// # Errors
/// `integer expected` (10) or `boolean expected` (11).
pub fn boolean(token: &str) -> Result<bool, ValueError> {
    let hint = "write 1 (on) or 0 (off)";
    match int(token) {
        Ok(0) => Ok(false),
        Ok(1) => Ok(true),
        Ok(n) => Err(ValueError::new(ErrorKind::BooleanExpected).detail(format!("`{n}`")).hint(hint)),
        Err(e) => Err(e.hint(hint)),
    }
}

/// A non-negative integer that must fit `u32` (seconds, marks, timeouts).
///
/// # Errors
/// `integer expected` (10), or `invalid argument` (9) for a negative value.
pub fn unsigned(token: &str, what: &str) -> Result<u32, ValueError> {
    let n = int(token)?;
    u32::try_from(n).map_err(|_| {
        ValueError::new(ErrorKind::InvalidArgument).detail(format!("{what} cannot be negative ({n})"))
    })
}

/// A port: an integer, or (when `names` is set) a TCP service name.
///
/// # Errors
/// `invalid argument` (9) for an unknown name or a number outside 0–65535;
/// `integer expected` (10) where names are not allowed.
pub fn port(token: &str, names: Option<&dyn Resolver>) -> Result<u16, ValueError> {
    let n = match (int(token), names) {
        (Ok(n), _) => n,
        (Err(e), None) => {
            return Err(e.hint("a real server's `port` must be a number"));
        }
        (Err(_), Some(resolver)) => {
            return resolver.service_port(token).ok_or_else(|| {
                ValueError::new(ErrorKind::InvalidArgument)
                    .detail(format!("`{token}` is neither a number nor a known TCP service name"))
            });
        }
    };
    u16::try_from(n).map_err(|_| {
        ValueError::new(ErrorKind::InvalidArgument).detail(format!("port {n} is outside 0-65535"))
    })
}

/// glibc `inet_aton`: 1 to 4 parts, each a C unsigned literal (hex, octal,
/// decimal), with the classic `a`, `a.b`, `a.b.c` forms. Text after a
/// whitespace character is ignored, as glibc does.
pub fn inet_aton(text: &str) -> Option<Ipv4Addr> {
    let end = text.find(|c: char| c.is_ascii_whitespace()).unwrap_or(text.len());
    let mut parts = [0u128; 4];
    let mut count = 0;
    let mut rest = &text[..end];
    loop {
        let (after, value) = c_unsigned(rest)?;
        if value > 0xffff_ffff || count == 4 {
            return None;
        }
        parts[count] = value;
        count += 1;
        match after.strip_prefix('.') {
            Some(next) => rest = next,
            None if after.is_empty() => break,
            None => return None,
        }
    }
    let (last, leading) = parts[..count].split_last()?;
    if leading.iter().any(|p| *p > 0xff) {
        return None;
    }
    let limit: u128 = match leading.len() {
        0 => 0xffff_ffff,
        1 => 0xff_ffff,
        2 => 0xffff,
        _ => 0xff,
    };
    if *last > limit {
        return None;
    }
    let value = leading.iter().enumerate().fold(*last, |acc, (i, p)| acc | (p << (24 - 8 * i)));
    u32::try_from(value).ok().map(Ipv4Addr::from)
}

/// A HOST value: an `inet_aton` address, else a name looked up once.
///
/// # Errors
/// `invalid argument` (9) when the name does not resolve (spec §1.2).
pub fn host(token: &str, resolver: &dyn Resolver) -> Result<IpAddr, ValueError> {
    if let Some(a) = inet_aton(token) {
        return Ok(IpAddr::V4(a));
    }
    resolver.resolve_host(token).ok_or_else(|| {
        ValueError::new(ErrorKind::InvalidArgument)
            .detail(format!("`{token}` is not an IPv4 address and does not resolve"))
    })
}

/// An IPADDR value (no name lookup), e.g. `sorry_server`.
///
/// # Errors
/// `invalid host name or ip address` (8).
pub fn ipaddr(token: &str) -> Result<IpAddr, ValueError> {
    inet_aton(token)
        .map(IpAddr::V4)
        .ok_or_else(|| ValueError::new(ErrorKind::InvalidHost).detail(format!("`{token}`")))
}

/// A MASK value (`inet_aton`; contiguity is not checked, as in the original).
///
/// # Errors
/// `Bad subnet mask specified` (16).
pub fn mask(token: &str) -> Result<Ipv4Addr, ValueError> {
    inet_aton(token).ok_or_else(|| ValueError::new(ErrorKind::BadNetmask).detail(format!("`{token}`")))
}

/// Seconds for `keepalive` and `deadtime`: a C integer exactly as the
/// original reads it, or (our extension) a decimal such as `0.05`.
///
/// # Errors
/// `integer expected` (10) when neither; `invalid argument` (9) if negative.
pub fn seconds(token: &str) -> Result<Duration, ValueError> {
    let negative = || ValueError::new(ErrorKind::InvalidArgument).detail(format!("`{token}` is negative"));
    match int(token) {
        Ok(n) => u64::try_from(n).map(Duration::from_secs).map_err(|_| negative()),
        Err(e) => {
            let (whole, fraction) = token.split_once('.').unwrap_or((token, "x"));
            let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
            if digits(whole) && digits(fraction) && token.len() > 1 {
                token.parse::<f64>().ok().and_then(|s| Duration::try_from_secs_f64(s).ok()).ok_or(e)
            } else {
                Err(e.hint("seconds: an integer, or a decimal such as 0.5"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_1_2_c_integers() {
        assert_eq!(int("80"), Ok(80));
        assert_eq!(int("0x50"), Ok(80));
        assert_eq!(int("0X1f"), Ok(31));
        assert_eq!(int("010"), Ok(8));
        assert_eq!(int("0"), Ok(0));
        assert_eq!(int("-5"), Ok(-5));
        assert_eq!(int("+7"), Ok(7));
        assert_eq!(int(""), Ok(0));
        for bad in ["08", "0x", "80a", "1.5", "-", "+", "yes", "0x1g", "8 0"] {
            assert_eq!(int(bad).map_err(|e| e.kind), Err(ErrorKind::IntegerExpected), "{bad}");
        }
    }

    #[test]
    fn int_truncates_like_c() {
        // 2^32 + 5 truncated to a 32-bit int.
        assert_eq!(int("4294967301"), Ok(5));
        // Beyond `long`: strtol saturates to LONG_MAX, whose low 32 bits are -1.
        assert_eq!(int("99999999999999999999999"), Ok(-1));
    }

    #[test]
    fn spec_1_2_booleans() {
        assert_eq!(boolean("1"), Ok(true));
        assert_eq!(boolean("0x1"), Ok(true));
        assert_eq!(boolean("01"), Ok(true));
        assert_eq!(boolean("0"), Ok(false));
        assert_eq!(boolean("2").map_err(|e| e.kind), Err(ErrorKind::BooleanExpected));
        assert_eq!(boolean("yes").map_err(|e| e.kind), Err(ErrorKind::IntegerExpected));
        assert_eq!(boolean("true").map_err(|e| e.kind), Err(ErrorKind::IntegerExpected));
    }

    #[test]
    fn spec_1_2_ports_numbers_and_names() {
        let r = BuiltinResolver;
        assert_eq!(port("80", Some(&r)), Ok(80));
        assert_eq!(port("http", Some(&r)), Ok(80));
        assert_eq!(port("https", Some(&r)), Ok(443));
        assert_eq!(port("0x1bb", Some(&r)), Ok(443));
        assert_eq!(port("nosuchservice", Some(&r)).map_err(|e| e.kind), Err(ErrorKind::InvalidArgument));
        assert_eq!(port("70000", Some(&r)).map_err(|e| e.kind), Err(ErrorKind::InvalidArgument));
        assert_eq!(port("-1", None).map_err(|e| e.kind), Err(ErrorKind::InvalidArgument));
        // Real-server ports take no names.
        assert_eq!(port("http", None).map_err(|e| e.kind), Err(ErrorKind::IntegerExpected));
    }

    #[test]
    fn spec_1_2_inet_aton_forms() {
        let a = |s: &str| inet_aton(s).map(|a| a.to_string());
        assert_eq!(a("192.168.1.2").as_deref(), Some("192.168.1.2"));
        assert_eq!(a("192.168.010.1").as_deref(), Some("192.168.8.1"));
        assert_eq!(a("0xc0.0xa8.1.2").as_deref(), Some("192.168.1.2"));
        assert_eq!(a("10.1").as_deref(), Some("10.0.0.1"));
        assert_eq!(a("10.1.2").as_deref(), Some("10.1.0.2"));
        assert_eq!(a("3232235777").as_deref(), Some("192.168.1.1"));
        assert_eq!(a("0").as_deref(), Some("0.0.0.0"));
        assert_eq!(a("255.255.255.255").as_deref(), Some("255.255.255.255"));
        for bad in
            ["", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "a.b.c.d", "1..2", "1.2.3.", "08.1.1.1", "0x", "-1"]
        {
            assert_eq!(inet_aton(bad), None, "{bad}");
        }
        assert_eq!(a("10.256").as_deref(), Some("10.0.1.0"));
        assert_eq!(a("10.16777216"), None);
    }

    #[test]
    fn hosts_need_the_resolver_for_names() {
        struct One;
        impl Resolver for One {
            fn resolve_host(&self, name: &str) -> Option<IpAddr> {
                (name == "lb1.example").then(|| IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1)))
            }
            fn service_port(&self, _: &str) -> Option<u16> {
                None
            }
        }
        assert_eq!(host("lb1.example", &One).map(|a| a.to_string()).as_deref(), Ok("198.51.100.1"));
        assert_eq!(host("lb2.example", &One).map_err(|e| e.kind), Err(ErrorKind::InvalidArgument));
        assert_eq!(
            host("lb1.example", &BuiltinResolver).map_err(|e| e.kind),
            Err(ErrorKind::InvalidArgument)
        );
        assert_eq!(ipaddr("lb1.example").map_err(|e| e.kind), Err(ErrorKind::InvalidHost));
        assert_eq!(mask("255.255.255.0"), Ok(Ipv4Addr::new(255, 255, 255, 0)));
        assert_eq!(mask("/24").map_err(|e| e.kind), Err(ErrorKind::BadNetmask));
    }

    #[test]
    fn seconds_integer_and_decimal() {
        assert_eq!(seconds("2"), Ok(Duration::from_secs(2)));
        assert_eq!(seconds("010"), Ok(Duration::from_secs(8)));
        assert_eq!(seconds("0.05"), Ok(Duration::from_millis(50)));
        assert_eq!(seconds(".2"), Ok(Duration::from_millis(200)));
        assert_eq!(seconds("3."), Ok(Duration::from_secs(3)));
        assert_eq!(seconds(".").map_err(|e| e.kind), Err(ErrorKind::IntegerExpected));
        assert_eq!(seconds("1e3").map_err(|e| e.kind), Err(ErrorKind::IntegerExpected));
        assert_eq!(seconds("-1").map_err(|e| e.kind), Err(ErrorKind::InvalidArgument));
        assert_eq!(seconds("-0.5").map_err(|e| e.kind), Err(ErrorKind::IntegerExpected));
    }
}
