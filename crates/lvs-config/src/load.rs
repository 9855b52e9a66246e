//! The I/O edge: reading a file from disk and resolving names through the
//! system. Everything else in the crate is pure.

use std::fs;
use std::io;
use std::net::{IpAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, ParseError};
use crate::parse::{Parsed, parse_with};
use crate::values::{BuiltinResolver, Resolver};

/// The default configuration path of every daemon.
pub const DEFAULT_PATH: &str = "/etc/sysconfig/ha/lvs.cf";

/// A file's text, decoded. Files that are not UTF-8 (an old Latin-1
/// comment, say) are read as Latin-1 so that nothing is lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceText {
    /// The decoded text.
    pub text: String,
    /// Whether the bytes were Latin-1 rather than UTF-8.
    pub latin1: bool,
}

impl SourceText {
    /// Decodes bytes as UTF-8, else as Latin-1.
    pub fn decode(bytes: Vec<u8>) -> Self {
        match String::from_utf8(bytes) {
            Ok(text) => SourceText { text, latin1: false },
            Err(e) => {
                SourceText { text: e.into_bytes().iter().map(|b| char::from(*b)).collect(), latin1: true }
            }
        }
    }

    /// Encodes `text` back the way the file was: UTF-8, or Latin-1 (where
    /// characters outside Latin-1 become `?`).
    pub fn encode(&self, text: &str) -> Vec<u8> {
        if self.latin1 {
            text.chars().map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')).collect()
        } else {
            text.as_bytes().to_vec()
        }
    }
}

/// Why a file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The file has errors.
    #[error("{}: {source}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The diagnostics.
        #[source]
        source: ParseError,
    },
}

impl LoadError {
    /// Every diagnostic rendered as `FILE:LINE: …`, one per entry.
    pub fn rendered(&self) -> Vec<String> {
        match self {
            LoadError::Read { .. } => vec![self.to_string()],
            LoadError::Parse { path, source } => {
                source.diagnostics.iter().map(|d| d.render(&path.display().to_string())).collect()
            }
        }
    }

    /// The first error, as the original would have reported it.
    pub fn first(&self) -> Option<&Diagnostic> {
        match self {
            LoadError::Read { .. } => None,
            LoadError::Parse { source, .. } => source.first_error(),
        }
    }
}

/// A loaded file: its text and the parsed configuration.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The file.
    pub path: PathBuf,
    /// The text as read.
    pub source: SourceText,
    /// The configuration and warnings.
    pub parsed: Parsed,
}

/// Reads and parses `path`, resolving names with `resolver`.
///
/// # Errors
/// [`LoadError::Read`] when the file cannot be read, [`LoadError::Parse`]
/// with every diagnostic otherwise.
pub fn load(path: &Path, resolver: &dyn Resolver) -> Result<Loaded, LoadError> {
    let bytes = fs::read(path).map_err(|source| LoadError::Read { path: path.to_owned(), source })?;
    let source = SourceText::decode(bytes);
    let parsed = parse_with(&source.text, resolver)
        .map_err(|source| LoadError::Parse { path: path.to_owned(), source })?;
    Ok(Loaded { path: path.to_owned(), source, parsed })
}

/// The operating system's resolver: `/etc/services` for TCP service names
/// (falling back to the built-in list) and the system's host lookup
/// (first IPv4 address), as `getservbyname`/`gethostbyname` do.
#[derive(Debug, Clone, Default)]
pub struct SystemResolver {
    services: Vec<(String, u16)>,
}

impl SystemResolver {
    /// Reads `/etc/services` once (a missing file is fine).
    pub fn new() -> Self {
        let text = fs::read_to_string("/etc/services").unwrap_or_default();
        SystemResolver { services: parse_services(&text) }
    }
}

/// The `name port/tcp aliases…` lines of an `/etc/services` text.
pub fn parse_services(text: &str) -> Vec<(String, u16)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or_default();
        let mut words = line.split_whitespace();
        let (Some(name), Some(spec)) = (words.next(), words.next()) else { continue };
        let Some((port, "tcp")) = spec.split_once('/') else { continue };
        let Ok(port) = port.parse::<u16>() else { continue };
        out.push((name.to_owned(), port));
        out.extend(words.map(|alias| (alias.to_owned(), port)));
    }
    out
}

impl Resolver for SystemResolver {
    fn resolve_host(&self, name: &str) -> Option<IpAddr> {
        (name, 0).to_socket_addrs().ok()?.map(|a| a.ip()).find(IpAddr::is_ipv4)
    }

    fn service_port(&self, name: &str) -> Option<u16> {
        self.services
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| *p)
            .or_else(|| BuiltinResolver.service_port(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etc_services_lines() {
        let text = "# comment\nhttp\t\t80/tcp\t\twww # WorldWideWeb\nhttp 80/udp\ndomain 53/tcp\nbad x/tcp\n";
        assert_eq!(
            parse_services(text),
            vec![("http".into(), 80), ("www".into(), 80), ("domain".into(), 53)]
        );
    }

    #[test]
    fn latin1_round_trip() {
        let bytes = b"# caf\xe9\nport = 80\n".to_vec();
        let s = SourceText::decode(bytes.clone());
        assert!(s.latin1);
        assert_eq!(s.encode(&s.text), bytes);
        let u = SourceText::decode("# café\n".as_bytes().to_vec());
        assert!(!u.latin1);
    }

    #[test]
    fn missing_file_is_a_read_error() {
        let e = load(Path::new("/nonexistent/lvs.cf"), &BuiltinResolver).expect_err("no such file");
        assert!(e.to_string().starts_with("/nonexistent/lvs.cf: cannot read:"), "{e}");
    }
}
