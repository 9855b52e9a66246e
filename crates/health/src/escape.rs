//! Backslash escapes in nanny's send and expect strings (spec §4.2).

/// Decodes `\n`, `\r`, `\t`, `\\`, `\'` and `\"` in a send or expect string, as nanny does
/// unless `-T`/`--suppress` is given.
///
/// Strings of at most one byte are returned unchanged, like the original. Any other escape
/// (`\x`, `\0`, …) and a trailing lone backslash are kept as they are; the original looped
/// forever on them (spec §8 item 2).
///
/// ```
/// assert_eq!(health::escape::decode(br"GET / HTTP/1.0\r\n\r\n"), b"GET / HTTP/1.0\r\n\r\n");
/// assert_eq!(health::escape::decode(br"a\qb\"), br"a\qb\");
/// ```
pub fn decode(input: &[u8]) -> Vec<u8> {
    if input.len() <= 1 {
        return input.to_vec();
    }
    let mut out = Vec::with_capacity(input.len());
    let mut bytes = input.iter().copied().peekable();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        let decoded = match bytes.peek() {
            Some(b'n') => b'\n',
            Some(b'r') => b'\r',
            Some(b't') => b'\t',
            Some(b'\\') => b'\\',
            Some(b'\'') => b'\'',
            Some(b'"') => b'"',
            // Unknown escape or trailing backslash: keep the backslash; the next byte (if any)
            // is handled on its own by the loop.
            _ => {
                out.push(b'\\');
                continue;
            }
        };
        bytes.next();
        out.push(decoded);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn known_escapes() {
        assert_eq!(decode(br#"\n\r\t\\\'\"x"#), b"\n\r\t\\'\"x");
        assert_eq!(decode(br"a\\nb"), br"a\nb");
    }

    #[test]
    fn short_strings_are_untouched() {
        assert_eq!(decode(br"\"), br"\");
        assert_eq!(decode(b""), b"");
        assert_eq!(decode(b"*"), b"*");
    }

    #[test]
    fn spec_8_2_unknown_escapes_and_trailing_backslash_survive() {
        assert_eq!(decode(br"\x41\0"), br"\x41\0");
        assert_eq!(decode(br"ab\"), br"ab\");
        assert_eq!(decode(br"\\\"), b"\\\\");
        assert_eq!(decode(br"\q\n"), b"\\q\n");
    }

    #[test]
    fn non_utf8_passes_through() {
        assert_eq!(decode(b"\xff\\n\xfe"), b"\xff\n\xfe");
    }
}
