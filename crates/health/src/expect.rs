//! Matching a probe reply against nanny's expect string (spec §4.3 step 6).

use regex::bytes::{Regex, RegexBuilder};

/// Bytes read in regex mode, like the original's single 254-byte read.
pub const REGEX_READ_LEN: usize = 254;

/// What a reply must look like.
#[derive(Debug, Clone)]
pub enum Expect {
    /// `*` (not in regex mode): any successful read passes, even of 0 bytes (end of stream).
    Any,
    /// The reply must start with these bytes (case-sensitive).
    Prefix(Vec<u8>),
    /// `--regex`: an extended regular expression searched (unanchored) in the first
    /// [`REGEX_READ_LEN`] bytes.
    Regex {
        /// The expression as given.
        pattern: String,
        /// The compiled expression, or why it did not compile (every probe then fails).
        compiled: Result<Regex, String>,
    },
}

/// The verdict on the bytes read so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The reply matches.
    Pass,
    /// Not decided yet; read more (up to [`Expect::read_len`] bytes in total).
    NeedMore,
    /// The reply ended before the prefix was complete (`READ from %s:%d was too short[%d>=%d]`).
    TooShort {
        /// Bytes received.
        got: usize,
        /// Bytes needed.
        want: usize,
    },
    /// The reply does not match.
    Mismatch,
    /// The regular expression does not compile
    /// (`Error '%s' processing expected regular expression`).
    BadRegex(String),
}

impl Expect {
    /// Builds the matcher for an (already escape-decoded) expect string.
    pub fn new(text: &[u8], use_regex: bool) -> Expect {
        if use_regex {
            let pattern = String::from_utf8_lossy(text).into_owned();
            // Bytes mode without Unicode: `.` matches any byte, like regexec in the C locale.
            let compiled = RegexBuilder::new(&pattern).unicode(false).build().map_err(|_| pattern.clone());
            Expect::Regex { pattern, compiled }
        } else if text == b"*" {
            Expect::Any
        } else {
            Expect::Prefix(text.to_vec())
        }
    }

    /// The most bytes the matcher needs: `strlen(expect)` for a prefix, 254 for a regex, 1 for
    /// `*`. A probe never reads more than this, however much the server sends.
    pub fn read_len(&self) -> usize {
        match self {
            Expect::Any => 1,
            Expect::Prefix(p) => p.len(),
            Expect::Regex { .. } => REGEX_READ_LEN,
        }
    }

    /// Judges `data`, the reply bytes read so far; `complete` is true when no more bytes will
    /// come (end of stream, datagram received, or [`read_len`](Self::read_len) reached).
    pub fn judge(&self, data: &[u8], complete: bool) -> Verdict {
        match self {
            Expect::Any => {
                if complete || !data.is_empty() {
                    Verdict::Pass
                } else {
                    Verdict::NeedMore
                }
            }
            Expect::Prefix(prefix) => {
                let n = data.len().min(prefix.len());
                if data[..n] != prefix[..n] {
                    Verdict::Mismatch
                } else if n == prefix.len() {
                    Verdict::Pass
                } else if complete {
                    Verdict::TooShort { got: data.len(), want: prefix.len() }
                } else {
                    Verdict::NeedMore
                }
            }
            Expect::Regex { compiled, .. } => match compiled {
                Err(pattern) => Verdict::BadRegex(pattern.clone()),
                Ok(regex) => {
                    let data = &data[..data.len().min(REGEX_READ_LEN)];
                    if regex.is_match(data) {
                        Verdict::Pass
                    } else if complete || data.len() >= REGEX_READ_LEN {
                        Verdict::Mismatch
                    } else {
                        Verdict::NeedMore
                    }
                }
            },
        }
    }

    /// The expect string as given, for `send_program` output comparison (exact, spec §4.4).
    pub fn text(&self) -> &[u8] {
        match self {
            Expect::Any => b"*",
            Expect::Prefix(p) => p,
            Expect::Regex { pattern, .. } => pattern.as_bytes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_matching() {
        let e = Expect::new(b"HTTP", false);
        assert_eq!(e.read_len(), 4);
        assert_eq!(e.judge(b"HTTP/1.0 200 OK", true), Verdict::Pass);
        assert_eq!(e.judge(b"HTTP", false), Verdict::Pass);
        assert_eq!(e.judge(b"HT", false), Verdict::NeedMore);
        assert_eq!(e.judge(b"HT", true), Verdict::TooShort { got: 2, want: 4 });
        assert_eq!(e.judge(b"", true), Verdict::TooShort { got: 0, want: 4 });
        assert_eq!(e.judge(b"http", true), Verdict::Mismatch);
        assert_eq!(e.judge(b"HX", false), Verdict::Mismatch, "decided early");
    }

    #[test]
    fn star_accepts_anything_even_nothing() {
        let e = Expect::new(b"*", false);
        assert_eq!(e.judge(b"", true), Verdict::Pass);
        assert_eq!(e.judge(b"x", false), Verdict::Pass);
        assert_eq!(e.judge(b"", false), Verdict::NeedMore);
    }

    #[test]
    fn regex_is_unanchored() {
        let e = Expect::new(b"200 (OK|Found)", true);
        assert_eq!(e.read_len(), REGEX_READ_LEN);
        assert_eq!(e.judge(b"HTTP/1.1 200 OK\r\n", false), Verdict::Pass);
        assert_eq!(e.judge(b"HTTP/1.1 500 Oops", false), Verdict::NeedMore);
        assert_eq!(e.judge(b"HTTP/1.1 500 Oops", true), Verdict::Mismatch);
        let long = vec![b'x'; 1000];
        assert_eq!(e.judge(&long, false), Verdict::Mismatch);
    }

    #[test]
    fn regex_sees_only_the_first_254_bytes() {
        let e = Expect::new(b"needle", true);
        let mut data = vec![b'x'; 300];
        data.extend_from_slice(b"needle");
        assert_eq!(e.judge(&data, true), Verdict::Mismatch);
    }

    #[test]
    fn regex_on_binary_data() {
        let e = Expect::new(b"^.OK", true);
        assert_eq!(e.judge(b"\xffOK", true), Verdict::Pass);
    }

    #[test]
    fn bad_regex_fails_every_probe() {
        let e = Expect::new(b"(unclosed", true);
        assert_eq!(e.judge(b"(unclosed", true), Verdict::BadRegex("(unclosed".into()));
        assert_eq!(e.text(), b"(unclosed");
    }
}
