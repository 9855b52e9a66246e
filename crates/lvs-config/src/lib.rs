//! Piranha's `/etc/sysconfig/ha/lvs.cf`: the configuration of an LVS router
//! pair, read exactly as the original `lvsconfig.c` reads it (spec §1), with
//! its CR line-ending bug fixed.
//!
//! Stages: [`lex`] (lines and tokens) → [`syntax`] (directives and blocks
//! with their lines) → [`parse()`] (typed [`Config`] plus semantic checks).
//! [`Document`] edits a file in place and re-emits every other byte as read;
//! [`write()`] prints a model as a fresh file; [`desired`] computes the IPVS
//! table the configuration asks for.
//!
//! The parser does no I/O: it never opens files, resolves names (a
//! [`Resolver`] is passed in) or looks at network interfaces. [`load()`] is
//! the one function that reads a file.
//!
//! ```
//! let parsed = lvs_config::parse(
//!     "primary = 192.0.2.1\nvirtual www {\n active = 1\n address = 192.0.2.10 eth0:1\n\
//!      server a {\n  address = 10.0.0.1\n  active = 1\n }\n}\n",
//! )
//! .unwrap();
//! let table = lvs_config::desired::desired_table(&parsed.config);
//! assert_eq!(table.to_rules(), "-A -t 192.0.2.10:80 -s wlc\n-a -t 192.0.2.10:80 -r 10.0.0.1:80 -m -w 1\n");
//! ```

#![forbid(unsafe_code)]

pub mod desired;
mod diag;
mod document;
pub mod lex;
mod load;
mod model;
mod parse;
pub mod syntax;
mod validate;
mod values;
mod write;

pub use diag::{Diagnostic, ErrorKind, ParseError, Severity};
pub use document::{Document, EditError, Scope};
pub use load::{DEFAULT_PATH, LoadError, Loaded, SourceText, SystemResolver, load, parse_services};
pub use model::{
    AddressOnDevice, Config, DEFAULT_CLIENT_MONITOR, DEFAULT_IPVSADM, ForwardingMethod, HeartbeatAddresses,
    Protocol, QuotedText, RealServer, ReservationConflictAction, Scheduler, ServiceType, VirtualService,
};
pub use parse::{
    GLOBAL_KEYWORDS, ORIGINAL_SCHEDULERS, Parsed, SERVER_KEYWORDS, VIRTUAL_KEYWORDS, parse, parse_with,
};
pub use syntax::BlockKind;
pub use values::{BuiltinResolver, Resolver, ValueError, inet_aton};
pub use write::{token, write};
