//! Stage 1: physical lines and the original tokenizer.
//!
//! Lines end at `\n`, `\r\n` or a lone `\r` (spec §1.1 rule 2, fixing §8 #1).
//! Tokens follow `lvsconfig.c` exactly (spec §1.1 rules 3–6): blanks are
//! spaces and tabs only, a `#` is a comment only as the first non-blank
//! character, and a token starting with `"` or `'` is quoted — the closing
//! quote is searched from the end of the blank-delimited word, which is why
//! `"HTTP"␠␠` and `"1.2.3.4" eth0:1` are quotation mismatches while
//! `"a b" c` is two tokens.

use smallvec::SmallVec;

/// The tokens of a line. Most lines have three or four (`key = value`,
/// `address = IP DEV`); keeping those inline saves an allocation per line.
pub type Tokens<'a> = SmallVec<[Token<'a>; 4]>;

/// The original keeps at most this many tokens per line and drops the rest.
pub const MAX_TOKENS: usize = 99;

/// How a physical line ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineEnding {
    /// `\n`
    Lf,
    /// `\r\n`
    CrLf,
    /// a lone `\r` (classic Mac OS)
    Cr,
    /// the last line of a file without a final newline
    None,
}

impl LineEnding {
    /// The bytes of this ending.
    pub fn as_str(self) -> &'static str {
        match self {
            LineEnding::Lf => "\n",
            LineEnding::CrLf => "\r\n",
            LineEnding::Cr => "\r",
            LineEnding::None => "",
        }
    }
}

/// One physical line, without its ending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawLine<'a> {
    /// The text between the previous line ending and this one.
    pub text: &'a str,
    /// How the line ends.
    pub ending: LineEnding,
}

/// Splits a file into physical lines. Concatenating each line's text and
/// ending gives back the input exactly; a file ending in a line ending has no
/// empty last line.
pub fn split_lines(src: &str) -> Vec<RawLine<'_>> {
    let bytes = src.as_bytes();
    let mut lines = Vec::with_capacity(bytes.len() / 24 + 1);
    let mut start = 0;
    while start < bytes.len() {
        let Some(offset) = bytes[start..].iter().position(|b| *b == b'\n' || *b == b'\r') else {
            lines.push(RawLine { text: &src[start..], ending: LineEnding::None });
            break;
        };
        let at = start + offset;
        let (ending, width) = match (bytes[at], bytes.get(at + 1)) {
            (b'\r', Some(b'\n')) => (LineEnding::CrLf, 2),
            (b'\r', _) => (LineEnding::Cr, 1),
            _ => (LineEnding::Lf, 1),
        };
        lines.push(RawLine { text: &src[start..at], ending });
        start = at + width;
    }
    lines
}

/// A token of a line, with its place in the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    /// The token's text, without its quotes.
    pub text: &'a str,
    /// The quote character that enclosed it, if any.
    pub quote: Option<char>,
    /// Byte offset of the token (of its opening quote) in the line.
    pub start: usize,
    /// Byte offset just past the token (past its closing quote).
    pub end: usize,
}

impl Token<'_> {
    /// 1-based column of the token, for diagnostics.
    pub fn column(&self) -> usize {
        self.start + 1
    }
}

/// What a line holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineKind<'a> {
    /// Only spaces and tabs.
    Blank,
    /// First non-blank character is `#`.
    Comment,
    /// One or more tokens; `dropped` counts tokens beyond [`MAX_TOKENS`].
    Tokens {
        /// The tokens, at most [`MAX_TOKENS`].
        tokens: Tokens<'a>,
        /// How many further tokens the original would silently drop.
        dropped: usize,
    },
}

/// A quotation mismatch at a 1-based column (spec §1.9 code 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuoteMismatch {
    /// Column of the token whose quoting is wrong.
    pub column: usize,
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn skip_blanks(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && is_blank(bytes[i]) {
        i += 1;
    }
    i
}

/// Tokenizes one line the way the original does.
///
/// # Errors
/// [`QuoteMismatch`] where the original reports "quotation mismatch"; a lone
/// quote at the end of a line (undefined behaviour in the original) is one too.
pub fn tokenize(line: &str) -> Result<LineKind<'_>, QuoteMismatch> {
    let bytes = line.as_bytes();
    let mut i = skip_blanks(bytes, 0);
    if i == bytes.len() {
        return Ok(LineKind::Blank);
    }
    if bytes[i] == b'#' {
        return Ok(LineKind::Comment);
    }
    let mut tokens = Tokens::new();
    let mut dropped = 0;
    while i < bytes.len() {
        let start = i;
        let mut end = i;
        while end < bytes.len() && !is_blank(bytes[end]) {
            end += 1;
        }
        let token = match bytes[start] {
            q @ (b'"' | b'\'') => {
                let inner = start + 1;
                // The search for the closing quote starts where the
                // blank-delimited word ends, not after the opening quote.
                while end < bytes.len() && bytes[end] != q {
                    end += 1;
                }
                if end < bytes.len() {
                    end += 1;
                }
                if end <= inner || bytes[end - 1] != q {
                    return Err(QuoteMismatch { column: start + 1 });
                }
                Token { text: &line[inner..end - 1], quote: Some(char::from(q)), start, end }
            }
            _ => Token { text: &line[start..end], quote: None, start, end },
        };
        if tokens.len() < MAX_TOKENS {
            tokens.push(token);
        } else {
            dropped += 1;
        }
        i = skip_blanks(bytes, end);
    }
    Ok(LineKind::Tokens { tokens, dropped })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(line: &str) -> Vec<&str> {
        match tokenize(line).expect("tokenizes") {
            LineKind::Tokens { tokens, .. } => tokens.iter().map(|t| t.text).collect(),
            other => panic!("not tokens: {other:?}"),
        }
    }

    #[test]
    fn spec_1_1_line_endings_lf_crlf_cr() {
        let src = "a\nb\r\nc\rd";
        let lines = split_lines(src);
        let got: Vec<_> = lines.iter().map(|l| (l.text, l.ending)).collect();
        assert_eq!(
            got,
            vec![
                ("a", LineEnding::Lf),
                ("b", LineEnding::CrLf),
                ("c", LineEnding::Cr),
                ("d", LineEnding::None)
            ]
        );
        let back: String = lines.iter().map(|l| format!("{}{}", l.text, l.ending.as_str())).collect();
        assert_eq!(back, src);
    }

    #[test]
    fn empty_lines_are_kept() {
        let lines = split_lines("\n\n\r\n");
        assert_eq!(lines.len(), 3);
        assert!(lines.iter().all(|l| l.text.is_empty()));
        assert!(split_lines("").is_empty());
    }

    #[test]
    fn blank_and_comment_lines() {
        assert_eq!(tokenize(""), Ok(LineKind::Blank));
        assert_eq!(tokenize(" \t "), Ok(LineKind::Blank));
        assert_eq!(tokenize("  # port = 80"), Ok(LineKind::Comment));
        // A `#` after the first token is an ordinary character.
        assert_eq!(texts("port = 80 # web"), vec!["port", "=", "80", "#", "web"]);
    }

    #[test]
    fn blanks_are_space_and_tab_only() {
        assert_eq!(texts("a\tb  c"), vec!["a", "b", "c"]);
        assert_eq!(texts("a\u{b}b"), vec!["a\u{b}b"]);
    }

    #[test]
    fn quoted_tokens() {
        assert_eq!(texts(r#"send = "GET / HTTP/1.0\r\n\r\n""#), vec!["send", "=", r"GET / HTTP/1.0\r\n\r\n"]);
        assert_eq!(texts(r#"expect = "HTTP""#), vec!["expect", "=", "HTTP"]);
        assert_eq!(texts(r#"x = """#), vec!["x", "=", ""]);
        assert_eq!(texts(r#"x = 'it "is" so'"#), vec!["x", "=", r#"it "is" so"#]);
        // Inner blanks: tokens may follow the closing quote.
        assert_eq!(texts(r#"x = "a b" c"#), vec!["x", "=", "a b", "c"]);
        // A quote inside a word is not quoting.
        assert_eq!(texts(r#"x = GET"x y""#), vec!["x", "=", "GET\"x", "y\""]);
    }

    #[test]
    fn quote_kind_is_remembered() {
        let LineKind::Tokens { tokens, .. } = tokenize("send = 'abc'").expect("ok") else {
            panic!("tokens expected")
        };
        assert_eq!(tokens[2].quote, Some('\''));
        assert_eq!(tokens[2].column(), 8);
        assert_eq!((tokens[2].start, tokens[2].end), (7, 12));
    }

    #[test]
    fn spec_1_1_quotation_mismatches() {
        // Trailing blanks after a quoted token without inner blanks.
        assert_eq!(tokenize("expect = \"HTTP\"  "), Err(QuoteMismatch { column: 10 }));
        assert_eq!(tokenize("address = \"1.2.3.4\" eth0:1"), Err(QuoteMismatch { column: 11 }));
        assert_eq!(tokenize("send = \"abc"), Err(QuoteMismatch { column: 8 }));
        assert_eq!(tokenize("send = \"a\"b"), Err(QuoteMismatch { column: 8 }));
        assert_eq!(tokenize("send = \""), Err(QuoteMismatch { column: 8 }));
        assert_eq!(tokenize("send = 'abc\""), Err(QuoteMismatch { column: 8 }));
    }

    #[test]
    fn at_most_99_tokens_are_kept() {
        let line = vec!["t"; 120].join(" ");
        let LineKind::Tokens { tokens, dropped } = tokenize(&line).expect("ok") else {
            panic!("tokens expected")
        };
        assert_eq!(tokens.len(), MAX_TOKENS);
        assert_eq!(dropped, 21);
    }

    #[test]
    fn multibyte_text_is_sliced_safely() {
        assert_eq!(texts("name = \"Zürich web\" é"), vec!["name", "=", "Zürich web", "é"]);
    }
}
