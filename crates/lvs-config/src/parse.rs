//! Stage 3: syntax tree → [`Config`], with the keyword tables of spec
//! §1.3–§1.6 and the original's argument checks (`CHECK_ARGS`).

use std::net::IpAddr;

use crate::diag::{self, Diagnostic, ErrorKind, ParseError};
use crate::lex::Token;
use crate::model::{
    AddressOnDevice, Config, ForwardingMethod, Protocol, QuotedText, RealServer, ReservationConflictAction,
    Scheduler, ServiceType, VirtualService,
};
use crate::syntax::{Block, BlockKind, Directive, Item, SyntaxTree};
use crate::validate;
use crate::values::{self, BuiltinResolver, Resolver, ValueError};

/// Global keywords (spec §1.3).
pub const GLOBAL_KEYWORDS: &[&str] = &[
    "serial_no",
    "service",
    "primary",
    "primary_private",
    "primary_shared",
    "backup",
    "backup_private",
    "backup_shared",
    "backup_active",
    "heartbeat",
    "heartbeat_port",
    "heartbeat_key",
    "keepalive",
    "deadtime",
    "network",
    "nat_router",
    "nat_nmask",
    "ipvsadm",
    "rsh_command",
    "syncdaemon",
    "syncd_iface",
    "syncd_id",
    "tcp_timeout",
    "tcpfin_timeout",
    "udp_timeout",
    "active_cmd",
    "inactive_cmd",
    "monitor_links",
    "hard_shutdown",
    "debug_level",
    "sync",
    "reservation_conflict_action",
    "virtual",
    "failover",
];

/// Keywords of `virtual` and `failover` blocks (spec §1.4, §1.6).
pub const VIRTUAL_KEYWORDS: &[&str] = &[
    "active",
    "address",
    "vip_nmask",
    "port",
    "protocol",
    "fwmark",
    "scheduler",
    "persistent",
    "pmask",
    "timeout",
    "reentry",
    "send",
    "expect",
    "use_regex",
    "send_program",
    "load_monitor",
    "quiesce_server",
    "sorry_server",
    "client_monitor",
    "start_cmd",
    "stop_cmd",
    "master",
    "dirs",
    "server",
];

/// Keywords of `server` blocks (spec §1.5).
pub const SERVER_KEYWORDS: &[&str] = &["address", "active", "weight", "port"];

/// The schedulers the original 0.8.6 accepts; the others are our extension.
pub const ORIGINAL_SCHEDULERS: &[&str] = &["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh"];

/// A parsed, validated file with the warnings found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The model.
    pub config: Config,
    /// Warnings, by line.
    pub warnings: Vec<Diagnostic>,
}

/// Parses lvs.cf text, resolving only numeric addresses and the common TCP
/// service names (see [`BuiltinResolver`]).
///
/// # Errors
/// [`ParseError`] holding every error (and the warnings) by line when the
/// file is not usable.
pub fn parse(src: &str) -> Result<Parsed, ParseError> {
    parse_with(src, &BuiltinResolver)
}

/// Parses lvs.cf text with `resolver` for host and service names.
///
/// # Errors
/// As [`parse`].
pub fn parse_with(src: &str, resolver: &dyn Resolver) -> Result<Parsed, ParseError> {
    if src.is_empty() {
        return Err(ParseError { diagnostics: vec![Diagnostic::error(ErrorKind::EmptyConfiguration, 0)] });
    }
    let mut tree = SyntaxTree::build(src);
    let mut parser =
        Parser { resolver, diagnostics: std::mem::take(&mut tree.diagnostics), origins: Origins::default() };
    let config = parser.file(&tree);
    let mut diagnostics = parser.diagnostics;
    diagnostics.extend(validate::check(&config, &parser.origins, src));
    diag::sort(&mut diagnostics);
    if diagnostics.iter().any(Diagnostic::is_error) {
        Err(ParseError { diagnostics })
    } else {
        Ok(Parsed { config, warnings: diagnostics })
    }
}

/// Where things were written, for validation messages.
#[derive(Debug, Default)]
pub(crate) struct Origins<'a> {
    /// Global keywords and the last line each was set on.
    pub global: Keys<'a>,
    /// One per entry of `Config::virtual_services`.
    pub virtuals: Vec<BlockOrigin<'a>>,
    /// One per entry of `Config::failover_services`.
    pub failovers: Vec<BlockOrigin<'a>>,
}

/// Keywords and the last line each was set on. A block has a few dozen at
/// most, so a vector beats a map (and a 1,000-service file has 20,000 blocks).
#[derive(Debug, Default, Clone)]
pub(crate) struct Keys<'a>(Vec<(&'a str, usize)>);

impl<'a> Keys<'a> {
    /// The line of `key`, if it was written.
    pub fn get(&self, key: &str) -> Option<usize> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, line)| *line)
    }

    /// Whether `key` was written.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Records `key` at `line`; returns the line it was set on before.
    fn insert(&mut self, key: &'a str, line: usize) -> Option<usize> {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => Some(std::mem::replace(&mut slot.1, line)),
            None => {
                self.0.push((key, line));
                None
            }
        }
    }
}

/// Where a block and its keywords were written.
#[derive(Debug, Default, Clone)]
pub(crate) struct BlockOrigin<'a> {
    /// The header line.
    pub header: usize,
    /// Keywords and their lines.
    pub keys: Keys<'a>,
    /// The servers of a virtual block.
    pub servers: Vec<BlockOrigin<'a>>,
}

impl BlockOrigin<'_> {
    /// The line of `key`, or the header line when the key was not written.
    pub fn line_of(&self, key: &str) -> usize {
        self.keys.get(key).unwrap_or(self.header)
    }
}

struct Parser<'r, 'a> {
    resolver: &'r dyn Resolver,
    diagnostics: Vec<Diagnostic>,
    origins: Origins<'a>,
}

fn value_error(d: &Directive<'_>, token: &Token<'_>, e: ValueError) -> Diagnostic {
    let mut diag = Diagnostic::error(e.kind, d.line).at_column(token.column());
    diag.detail = e.detail;
    diag.hint = e.hint;
    diag
}

/// `CHECK_ARGS(n)`: `KEY = V1 … Vn`, exactly.
fn check_args<'d, 'a>(d: &'d Directive<'a>, n: usize) -> Result<&'d [Token<'a>], Diagnostic> {
    check_equal(d)?;
    let t = &d.tokens;
    if t.len() < n + 2 {
        let column = t.last().map_or(1, |t| t.end + 1);
        let what = if n == 2 { "two values" } else { "a value" };
        return Err(Diagnostic::error(ErrorKind::MissingArguments, d.line)
            .at_column(column)
            .with_hint(format!("`{}` takes {what}", d.key())));
    }
    if t.len() > n + 2 {
        let extra = &t[n + 2];
        let mut e = Diagnostic::error(ErrorKind::UnexpectedArguments, d.line)
            .at_column(extra.column())
            .with_detail(format!("`{}`", extra.text));
        e.hint = Some(if extra.text.starts_with('#') {
            "comments must be on a line of their own".to_owned()
        } else if n == 1 {
            format!("quote a value that contains blanks: `{} = \"…\"`", d.key())
        } else {
            format!("`{}` takes exactly {n} values", d.key())
        });
        return Err(e);
    }
    Ok(&t[2..])
}

/// `CHECK_EQUAL`: the second token must be `=`.
fn check_equal(d: &Directive<'_>) -> Result<(), Diagnostic> {
    match d.tokens.get(1) {
        Some(t) if t.text == "=" => Ok(()),
        Some(t) => {
            let hint = if t.text.starts_with('=') {
                "put blanks on both sides of `=`".to_owned()
            } else {
                format!("write `{} = VALUE`", d.key())
            };
            Err(Diagnostic::error(ErrorKind::EqualExpected, d.line).at_column(t.column()).with_hint(hint))
        }
        None => Err(Diagnostic::error(ErrorKind::EqualExpected, d.line)
            .at_column(d.tokens[0].end + 1)
            .with_hint(format!("write `{} = VALUE`", d.key()))),
    }
}

/// The single value of `KEY = VALUE`, converted by `f`.
fn one<T>(d: &Directive<'_>, f: impl FnOnce(&str) -> Result<T, ValueError>) -> Result<T, Diagnostic> {
    let args = check_args(d, 1)?;
    f(args[0].text).map_err(|e| value_error(d, &args[0], e))
}

fn text(d: &Directive<'_>) -> Result<String, Diagnostic> {
    one(d, |t| Ok(t.to_owned()))
}

fn quoted(d: &Directive<'_>) -> Result<QuotedText, Diagnostic> {
    let args = check_args(d, 1)?;
    Ok(QuotedText { text: args[0].text.to_owned(), quote: args[0].quote })
}

/// `KEY = ADDRESS DEVICE`.
fn on_device(d: &Directive<'_>, resolver: &dyn Resolver) -> Result<AddressOnDevice, Diagnostic> {
    let args = check_args(d, 2)?;
    let addr = values::host(args[0].text, resolver).map_err(|e| value_error(d, &args[0], e))?;
    Ok(AddressOnDevice { addr, device: args[1].text.to_owned() })
}

/// A HOST value that may not be 0.0.0.0 (`primary`, `*_private`).
fn required_host(d: &Directive<'_>, resolver: &dyn Resolver) -> Result<IpAddr, Diagnostic> {
    let args = check_args(d, 1)?;
    let addr = values::host(args[0].text, resolver).map_err(|e| value_error(d, &args[0], e))?;
    if addr.is_unspecified() {
        return Err(Diagnostic::error(ErrorKind::InvalidHost, d.line)
            .at_column(args[0].column())
            .with_detail(format!("`{}` is 0.0.0.0", args[0].text)));
    }
    Ok(addr)
}

fn nonzero_mask(d: &Directive<'_>) -> Result<Option<std::net::Ipv4Addr>, Diagnostic> {
    one(d, values::mask).map(|m| (!m.is_unspecified()).then_some(m))
}

fn choice<T: Copy>(d: &Directive<'_>, options: &[(&str, T)]) -> Result<T, Diagnostic> {
    one(d, |t| {
        options.iter().find(|(name, _)| *name == t).map(|(_, v)| *v).ok_or_else(|| {
            let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
            ValueError::new(ErrorKind::InvalidArgument)
                .detail(format!("`{t}`"))
                .hint(format!("one of: {}", names.join(", ")))
        })
    })
}

/// Levenshtein distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The diagnostic for a keyword that is not valid in `scope`.
fn unknown(d: &Directive<'_>, scope: Option<BlockKind>) -> Diagnostic {
    let key = d.key();
    let (here, where_) = match scope {
        None => (GLOBAL_KEYWORDS, "the global section"),
        Some(BlockKind::Server) => (SERVER_KEYWORDS, "a `server` block"),
        Some(_) => (VIRTUAL_KEYWORDS, "a `virtual` block"),
    };
    let mut e = Diagnostic::error(ErrorKind::UnknownCommand, d.line)
        .at_column(d.tokens[0].column())
        .with_detail(format!("`{key}` in {where_}"));
    let hint = if let Some((name, value)) = key.split_once('=') {
        Some(format!("put blanks around `=`: `{name} = {value}`"))
    } else if key == "}" {
        Some("no block is open here".to_owned())
    } else if key == "{" {
        Some("`{` belongs on the header line: `virtual NAME {`".to_owned())
    } else if matches!(key, "virtual" | "failover") && scope.is_some() {
        Some("blocks do not nest: close the previous block with `}` first".to_owned())
    } else if key == "weight" && scope != Some(BlockKind::Server) {
        Some("`weight` belongs in a `server NAME { }` block".to_owned())
    } else if scope.is_some() && GLOBAL_KEYWORDS.contains(&key) {
        Some(format!("`{key}` is a global setting: put it before the first block"))
    } else if scope != Some(BlockKind::Virtual) && VIRTUAL_KEYWORDS.contains(&key) {
        Some(format!("`{key}` belongs in a `virtual NAME {{ }}` block"))
    } else {
        here.iter()
            .map(|k| (distance(key, k), *k))
            .filter(|(dist, _)| *dist <= 2)
            .min()
            .map(|(_, k)| format!("did you mean `{k}`?"))
    };
    e.hint = hint;
    e
}

impl<'a> Parser<'_, 'a> {
    fn report(&mut self, result: Result<(), Diagnostic>) {
        if let Err(d) = result {
            self.diagnostics.push(d);
        }
    }

    fn remember(keys: &mut Keys<'a>, diagnostics: &mut Vec<Diagnostic>, d: &Directive<'a>) {
        if let Some(first) = keys.insert(d.key(), d.line) {
            diagnostics.push(Diagnostic::warning(
                d.line,
                format!("`{}` is set again (also on line {first}); the last value wins", d.key()),
            ));
        }
    }

    fn file(&mut self, tree: &SyntaxTree<'a>) -> Config {
        let mut config = Config::default();
        for item in &tree.items {
            match item {
                Item::Directive(d) => {
                    let result = self.global(&mut config, d);
                    if result.is_ok() {
                        Self::remember(&mut self.origins.global, &mut self.diagnostics, d);
                    }
                    self.report(result);
                }
                Item::Block(b) => {
                    let (service, origin) = self.virtual_block(b);
                    if b.kind == BlockKind::Failover {
                        config.failover_services.push(service);
                        self.origins.failovers.push(origin);
                    } else {
                        config.virtual_services.push(service);
                        self.origins.virtuals.push(origin);
                    }
                }
            }
        }
        config
    }

    fn global(&mut self, c: &mut Config, d: &Directive<'_>) -> Result<(), Diagnostic> {
        let r = self.resolver;
        match d.key() {
            "serial_no" => c.serial_no = one(d, values::int)?,
            "service" => c.service = choice(d, &[("lvs", ServiceType::Lvs), ("fos", ServiceType::Fos)])?,
            "primary" => c.primary = Some(required_host(d, r)?),
            "primary_private" => c.primary_private = Some(required_host(d, r)?),
            "primary_shared" => c.primary_shared = Some(text(d)?),
            "backup" => c.backup = Some(one(d, |t| values::host(t, r))?),
            "backup_private" => c.backup_private = Some(required_host(d, r)?),
            "backup_shared" => c.backup_shared = Some(text(d)?),
            "backup_active" => c.backup_active = one(d, values::boolean)?,
            "heartbeat" => c.heartbeat = one(d, values::boolean)?,
            "heartbeat_port" => c.heartbeat_port = one(d, |t| values::port(t, Some(r)))?,
            "heartbeat_key" => c.heartbeat_key = Some(text(d)?),
            "keepalive" => c.keepalive = one(d, values::seconds)?,
            "deadtime" => c.deadtime = one(d, values::seconds)?,
            "network" => {
                c.network = choice(
                    d,
                    &[
                        ("nat", ForwardingMethod::Nat),
                        ("direct", ForwardingMethod::Direct),
                        ("tunnel", ForwardingMethod::Tunnel),
                    ],
                )?;
            }
            "nat_router" => c.nat_router = Some(on_device(d, r)?),
            "nat_nmask" => c.nat_nmask = nonzero_mask(d)?,
            "ipvsadm" => c.ipvsadm = text(d)?,
            "rsh_command" => c.rsh_command = text(d)?,
            "syncdaemon" => c.syncdaemon = one(d, values::boolean)?,
            "syncd_iface" => c.syncd_iface = text(d)?,
            "syncd_id" => c.syncd_id = one(d, values::int)?,
            "tcp_timeout" => c.tcp_timeout = one(d, |t| values::unsigned(t, "a timeout"))?,
            "tcpfin_timeout" => c.tcpfin_timeout = one(d, |t| values::unsigned(t, "a timeout"))?,
            "udp_timeout" => c.udp_timeout = one(d, |t| values::unsigned(t, "a timeout"))?,
            "active_cmd" => c.active_cmd = Some(text(d)?),
            "inactive_cmd" => c.inactive_cmd = Some(text(d)?),
            "monitor_links" => c.monitor_links = one(d, values::int)?,
            "hard_shutdown" => c.hard_shutdown = one(d, values::boolean)?,
            "debug_level" => c.debug_level = text(d)?,
            "sync" => c.sync = one(d, values::boolean)?,
            "reservation_conflict_action" => {
                c.reservation_conflict_action = Some(choice(
                    d,
                    &[
                        ("nothing", ReservationConflictAction::Nothing),
                        ("preempt", ReservationConflictAction::Preempt),
                    ],
                )?);
            }
            _ => return Err(unknown(d, None)),
        }
        Ok(())
    }

    fn virtual_block(&mut self, b: &Block<'a>) -> (VirtualService, BlockOrigin<'a>) {
        let mut v = VirtualService::new(b.name);
        let mut origin = BlockOrigin { header: b.header.line, ..BlockOrigin::default() };
        for item in &b.items {
            match item {
                Item::Directive(d) => {
                    let result = self.virtual_directive(&mut v, d);
                    if result.is_ok() {
                        Self::remember(&mut origin.keys, &mut self.diagnostics, d);
                    }
                    self.report(result);
                }
                Item::Block(s) => {
                    let (server, server_origin) = self.server_block(s, v.port);
                    v.servers.push(server);
                    origin.servers.push(server_origin);
                }
            }
        }
        (v, origin)
    }

    fn virtual_directive(&mut self, v: &mut VirtualService, d: &Directive<'_>) -> Result<(), Diagnostic> {
        let r = self.resolver;
        match d.key() {
            "active" => v.active = one(d, values::boolean)?,
            "address" => v.address = Some(on_device(d, r)?),
            "vip_nmask" => v.vip_nmask = nonzero_mask(d)?,
            "port" => v.port = one(d, |t| values::port(t, Some(r)))?,
            "protocol" => v.protocol = choice(d, &[("tcp", Protocol::Tcp), ("udp", Protocol::Udp)])?,
            "fwmark" => {
                let mark = one(d, values::int)?;
                // The original stores the int in an unsigned field.
                v.fwmark = Some(u32::from_ne_bytes(mark.to_ne_bytes())).filter(|m| *m != 0);
            }
            "scheduler" => {
                v.scheduler = one(d, |t| match t.parse::<Scheduler>() {
                    Ok(Scheduler::Other(_)) | Err(_) => Err(ValueError::new(ErrorKind::InvalidArgument)
                        .detail(format!("`{t}` is not a scheduler"))
                        .hint(format!(
                            "one of: {}",
                            Scheduler::KNOWN.iter().map(Scheduler::name).collect::<Vec<_>>().join(" ")
                        ))),
                    Ok(s) => Ok(s),
                })?;
            }
            "persistent" => v.persistent = one(d, |t| values::unsigned(t, "`persistent`"))?,
            "pmask" => {
                let args = check_args(d, 1)?;
                // Spec §1.4: an unparseable pmask is ignored; all-ones means no mask.
                match values::inet_aton(args[0].text) {
                    Some(m) => v.pmask = Some(m).filter(|m| !m.is_unspecified() && !m.is_broadcast()),
                    None => self.diagnostics.push(
                        Diagnostic::warning(
                            d.line,
                            format!("`pmask = {}` is not a netmask and is ignored", args[0].text),
                        )
                        .at_column(args[0].column()),
                    ),
                }
            }
            "timeout" => v.timeout = one(d, |t| values::unsigned(t, "`timeout`"))?,
            "reentry" => v.reentry = one(d, |t| values::unsigned(t, "`reentry`"))?,
            "send" => v.send = Some(quoted(d)?),
            "expect" => v.expect = Some(quoted(d)?),
            "use_regex" => v.use_regex = one(d, values::boolean)?,
            "send_program" => v.send_program = Some(quoted(d)?),
            "load_monitor" => v.load_monitor = Some(text(d)?),
            "quiesce_server" => v.quiesce_server = one(d, values::boolean)?,
            "sorry_server" => {
                v.sorry_server = Some(one(d, values::ipaddr)?).filter(|a| !a.is_unspecified());
            }
            "client_monitor" => v.client_monitor = text(d)?,
            "start_cmd" => v.start_cmd = Some(quoted(d)?),
            "stop_cmd" => v.stop_cmd = Some(quoted(d)?),
            "master" => v.master = Some(one(d, |t| values::host(t, r))?),
            "dirs" => v.dirs = Some(list(d)?),
            _ => return Err(unknown(d, Some(BlockKind::Virtual))),
        }
        Ok(())
    }

    fn server_block(&mut self, b: &Block<'a>, inherited_port: u16) -> (RealServer, BlockOrigin<'a>) {
        let mut s = RealServer::new(b.name, inherited_port);
        let mut origin = BlockOrigin { header: b.header.line, ..BlockOrigin::default() };
        for item in &b.items {
            // A server block holds no blocks (the tree never opens one there).
            let Item::Directive(d) = item else { continue };
            let r = self.resolver;
            let result = match d.key() {
                "address" => one(d, |t| values::host(t, r)).map(|a| s.address = Some(a)),
                "active" => one(d, values::boolean).map(|a| s.active = a),
                "weight" => one(d, values::int).map(|w| s.weight = w),
                "port" => one(d, |t| values::port(t, None)).map(|p| s.port = p),
                _ => Err(unknown(d, Some(BlockKind::Server))),
            };
            if result.is_ok() {
                Self::remember(&mut origin.keys, &mut self.diagnostics, d);
            }
            self.report(result);
        }
        (s, origin)
    }
}

/// `dirs = [ a b c ]`.
fn list(d: &Directive<'_>) -> Result<Vec<String>, Diagnostic> {
    check_equal(d)?;
    let rest = &d.tokens[2..];
    let list_expected = |column: usize| {
        Diagnostic::error(ErrorKind::ListExpected, d.line)
            .at_column(column)
            .with_hint("write `[ a b c ]` with `[` and `]` as separate words")
    };
    match rest.first() {
        Some(t) if t.text == "[" => {}
        Some(t) => return Err(list_expected(t.column())),
        None => return Err(list_expected(d.tokens[1].end + 1)),
    }
    let close = rest
        .iter()
        .position(|t| t.text == "]")
        .ok_or_else(|| list_expected(rest.last().map_or(1, |t| t.end + 1)))?;
    Ok(rest[1..close].iter().map(|t| t.text.to_owned()).collect())
}

#[cfg(test)]
mod tests;
