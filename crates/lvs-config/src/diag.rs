//! Diagnostics: the original's error codes and texts (spec §1.9), plus our
//! own semantic checks, each tied to a line.

use std::fmt;

/// What went wrong, as the original's `lvsStrerror` codes (spec §1.9) plus
/// [`ErrorKind::Semantic`] for the checks the original never made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// 1 `Empty configuration`
    EmptyConfiguration,
    /// 2 `I/O error while reading configuration`
    Io,
    /// 3 `quotation mismatch`
    QuotationMismatch,
    /// 4 `unexpected end of file`
    UnexpectedEof,
    /// 5 `unexpected arguments`
    UnexpectedArguments,
    /// 6 `equal (=) expected after command`
    EqualExpected,
    /// 7 `missing arguments`
    MissingArguments,
    /// 8 `invalid host name or ip address`
    InvalidHost,
    /// 9 `invalid argument`
    InvalidArgument,
    /// 10 `integer expected`
    IntegerExpected,
    /// 11 `boolean expected`
    BooleanExpected,
    /// 12 `unknown command`
    UnknownCommand,
    /// 13 `list expected`
    ListExpected,
    /// 16 `Bad subnet mask specified`
    BadNetmask,
    /// A problem found by validation after parsing (no original code).
    Semantic,
}

impl ErrorKind {
    /// The original's numeric code (0 for [`ErrorKind::Semantic`]).
    pub fn code(self) -> u32 {
        match self {
            ErrorKind::EmptyConfiguration => 1,
            ErrorKind::Io => 2,
            ErrorKind::QuotationMismatch => 3,
            ErrorKind::UnexpectedEof => 4,
            ErrorKind::UnexpectedArguments => 5,
            ErrorKind::EqualExpected => 6,
            ErrorKind::MissingArguments => 7,
            ErrorKind::InvalidHost => 8,
            ErrorKind::InvalidArgument => 9,
            ErrorKind::IntegerExpected => 10,
            ErrorKind::BooleanExpected => 11,
            ErrorKind::UnknownCommand => 12,
            ErrorKind::ListExpected => 13,
            ErrorKind::BadNetmask => 16,
            ErrorKind::Semantic => 0,
        }
    }

    /// The original's text, verbatim (operators grep for it).
    pub fn text(self) -> &'static str {
        match self {
            ErrorKind::EmptyConfiguration => "Empty configuration",
            ErrorKind::Io => "I/O error while reading configuration",
            ErrorKind::QuotationMismatch => "quotation mismatch",
            ErrorKind::UnexpectedEof => "unexpected end of file",
            ErrorKind::UnexpectedArguments => "unexpected arguments",
            ErrorKind::EqualExpected => "equal (=) expected after command",
            ErrorKind::MissingArguments => "missing arguments",
            ErrorKind::InvalidHost => "invalid host name or ip address",
            ErrorKind::InvalidArgument => "invalid argument",
            ErrorKind::IntegerExpected => "integer expected",
            ErrorKind::BooleanExpected => "boolean expected",
            ErrorKind::UnknownCommand => "unknown command",
            ErrorKind::ListExpected => "list expected",
            ErrorKind::BadNetmask => "Bad subnet mask specified",
            ErrorKind::Semantic => "invalid configuration",
        }
    }
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The file cannot be used.
    Error,
    /// The file works, but probably not as meant, or not on the original.
    Warning,
}

/// One problem, tied to a 1-based line (0 when it concerns the whole file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The original's error class.
    pub kind: ErrorKind,
    /// 1-based physical line; 0 for the file as a whole.
    pub line: usize,
    /// 1-based column of the offending token, when known.
    pub column: Option<usize>,
    /// What is wrong beyond the original's text (e.g. the offending token).
    pub detail: Option<String>,
    /// What to do about it.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// An error of `kind` at `line`.
    pub fn error(kind: ErrorKind, line: usize) -> Self {
        Diagnostic { severity: Severity::Error, kind, line, column: None, detail: None, hint: None }
    }

    /// A semantic error with its own message.
    pub fn semantic_error(line: usize, message: impl Into<String>) -> Self {
        Diagnostic::error(ErrorKind::Semantic, line).with_detail(message)
    }

    /// A semantic warning with its own message.
    pub fn warning(line: usize, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            kind: ErrorKind::Semantic,
            line,
            column: None,
            detail: Some(message.into()),
            hint: None,
        }
    }

    /// Sets the column.
    #[must_use]
    pub fn at_column(mut self, column: usize) -> Self {
        self.column = Some(column);
        self
    }

    /// Sets the detail.
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Sets the hint.
    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The message: the original's text, then the detail; semantic
    /// diagnostics are their detail alone.
    pub fn message(&self) -> String {
        match (&self.kind, &self.detail) {
            (ErrorKind::Semantic, Some(d)) => d.clone(),
            (kind, Some(d)) => format!("{}: {d}", kind.text()),
            (kind, None) => kind.text().to_owned(),
        }
    }

    /// `FILE:LINE[:COL]: [warning: ]MESSAGE`, then an indented hint line.
    pub fn render(&self, file: &str) -> String {
        let mut out = String::from(file);
        if self.line > 0 {
            out.push_str(&format!(":{}", self.line));
            if let Some(c) = self.column {
                out.push_str(&format!(":{c}"));
            }
        }
        out.push_str(": ");
        if self.severity == Severity::Warning {
            out.push_str("warning: ");
        }
        out.push_str(&self.message());
        if let Some(h) = &self.hint {
            out.push_str("\n  hint: ");
            out.push_str(h);
        }
        out
    }

    /// The message pulse prints for the first error (spec §1.9):
    /// `pulse: error parsing FILE at line N: TEXT`.
    pub fn pulse_text(&self, file: &str) -> String {
        format!("pulse: error parsing {file} at line {}: {}", self.line, self.kind.text())
    }

    /// The message lvsd prints for the first error (spec §1.9):
    /// `lvs: error parsing FILE on line N.`
    pub fn lvsd_text(&self, file: &str) -> String {
        format!("lvs: error parsing {file} on line {}.", self.line)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render("lvs.cf"))
    }
}

/// The diagnostics of a file that could not be used: at least one error, in
/// line order, with the warnings found on the way.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .diagnostics.first().map(Diagnostic::message).unwrap_or_default())]
pub struct ParseError {
    /// Errors and warnings, sorted by line; errors first on the same line.
    pub diagnostics: Vec<Diagnostic>,
}

impl ParseError {
    /// The errors only.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    /// The error the original would have reported: it stops at the first
    /// syntax error, and makes none of our semantic checks, so those come
    /// only when the file has no syntax error.
    pub fn first_error(&self) -> Option<&Diagnostic> {
        self.errors().find(|d| d.kind != ErrorKind::Semantic).or_else(|| self.errors().next())
    }
}

/// Sorts diagnostics by line, errors before warnings on the same line.
pub(crate) fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by_key(|d| (d.line, d.severity, d.column));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_1_9_texts_and_codes() {
        let all = [
            (ErrorKind::EmptyConfiguration, 1, "Empty configuration"),
            (ErrorKind::Io, 2, "I/O error while reading configuration"),
            (ErrorKind::QuotationMismatch, 3, "quotation mismatch"),
            (ErrorKind::UnexpectedEof, 4, "unexpected end of file"),
            (ErrorKind::UnexpectedArguments, 5, "unexpected arguments"),
            (ErrorKind::EqualExpected, 6, "equal (=) expected after command"),
            (ErrorKind::MissingArguments, 7, "missing arguments"),
            (ErrorKind::InvalidHost, 8, "invalid host name or ip address"),
            (ErrorKind::InvalidArgument, 9, "invalid argument"),
            (ErrorKind::IntegerExpected, 10, "integer expected"),
            (ErrorKind::BooleanExpected, 11, "boolean expected"),
            (ErrorKind::UnknownCommand, 12, "unknown command"),
            (ErrorKind::ListExpected, 13, "list expected"),
            (ErrorKind::BadNetmask, 16, "Bad subnet mask specified"),
        ];
        for (kind, code, text) in all {
            assert_eq!(kind.code(), code);
            assert_eq!(kind.text(), text);
        }
    }

    #[test]
    fn render_forms() {
        let d = Diagnostic::error(ErrorKind::UnknownCommand, 12)
            .at_column(2)
            .with_detail("`schedular`")
            .with_hint("did you mean `scheduler`?");
        assert_eq!(
            d.render("/etc/sysconfig/ha/lvs.cf"),
            "/etc/sysconfig/ha/lvs.cf:12:2: unknown command: `schedular`\n  hint: did you mean `scheduler`?"
        );
        let w = Diagnostic::warning(3, "`backup_active = 1` but no `backup` is set");
        assert_eq!(w.render("lvs.cf"), "lvs.cf:3: warning: `backup_active = 1` but no `backup` is set");
        let e = Diagnostic::error(ErrorKind::EmptyConfiguration, 0);
        assert_eq!(e.render("x.cf"), "x.cf: Empty configuration");
    }

    #[test]
    fn legacy_daemon_texts() {
        let d = Diagnostic::error(ErrorKind::EqualExpected, 7);
        assert_eq!(
            d.pulse_text("lvs.cf"),
            "pulse: error parsing lvs.cf at line 7: equal (=) expected after command"
        );
        assert_eq!(d.lvsd_text("lvs.cf"), "lvs: error parsing lvs.cf on line 7.");
    }
}
