//! nanny's command line (spec §4.1): the original popt options, the man-page aliases and
//! `--worker`.

use std::ffi::OsString;
use std::net::IpAddr;
use std::time::Duration;

use clap::Parser;
use health::monitor::ServiceSettings;
use health::probe::{CheckFlags, CheckSpec, Transport};

/// The raw options as written by the user or lvsd.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "nanny",
    disable_help_flag = true,
    disable_version_flag = true,
    about = "Real-server health monitor (Piranha nanny compatible). It judges health and reports; \
             it never changes the IPVS table: in worker mode lvsd applies the reports, in \
             standalone mode the verdicts are only logged."
)]
pub struct Options {
    /// Worker mode for lvsd: real servers come on stdin (`server ID ADDR PORT WEIGHT`,
    /// `forget ID`), reports go to stdout (`up ID W`, `down ID`, `probe ID ok|fail ...`).
    #[arg(long)]
    pub worker: bool,
    /// Accepted for compatibility (nanny never forks).
    #[arg(short = 'c', long = "nofork")]
    pub nofork: bool,
    /// Real server to probe (standalone mode).
    #[arg(short = 'h', long = "server", value_name = "RIP")]
    pub server: Option<String>,
    /// Virtual port (80 selects the default HTTP check).
    #[arg(short = 'p', long = "port", default_value_t = 80)]
    pub port: u16,
    /// Real port to probe (default: the virtual port).
    #[arg(short = 'r', long = "rport")]
    pub rport: Option<u16>,
    /// Virtual address, used in log lines.
    #[arg(short = 'V', long = "virtaddress", value_name = "VIP")]
    pub virtaddress: Option<String>,
    /// Firewall mark of the service (accepted, unused: nanny changes no table).
    #[arg(short = 'f', long = "fwmark", default_value_t = 0)]
    pub fwmark: u32,
    /// Probe over UDP.
    #[arg(short = 'u', long = "udp", visible_alias = "UDP")]
    pub udp: bool,
    /// Seconds between probes, and the I/O and program timeout.
    #[arg(short = 't', long = "interval", default_value_t = 10)]
    pub interval: u64,
    /// Seconds before a failed server is readmitted (0 = 180, or the interval with --fos).
    #[arg(short = 'a', long = "reentrytime", default_value_t = 0)]
    pub reentry: u64,
    /// Weight of the real server.
    #[arg(short = 'w', long = "weight", default_value_t = 1)]
    pub weight: u32,
    /// Maximum multiple of the weight for load-based raising.
    #[arg(short = 'S', long = "scale", default_value_t = 10)]
    pub scale: u32,
    /// Load command (rup, ruptime, rsh, ssh, a path, or none).
    #[arg(short = 'U', long = "loadcmd", default_value = "none")]
    pub loadcmd: String,
    /// Forwarding method (accepted, unused).
    #[arg(short = 'M', long = "method", default_value = "m", allow_hyphen_values = true)]
    pub method: String,
    /// ipvsadm path (accepted, unused: nanny never runs ipvsadm).
    #[arg(short = 'I', long = "ipvsadm", default_value = "/sbin/ipvsadm")]
    pub ipvsadm: String,
    /// String sent after connecting.
    #[arg(short = 's', long = "send_string", visible_alias = "send_str")]
    pub send: Option<String>,
    /// Expected reply (prefix; `*` = anything).
    #[arg(short = 'x', long = "expect_string", visible_alias = "expect_str")]
    pub expect: Option<String>,
    /// External checker; `%h` and `%p` words become the address and port.
    #[arg(short = 'e', long = "send_program")]
    pub program: Option<String>,
    /// The expect string is an extended regular expression.
    #[arg(long = "regex")]
    pub regex: bool,
    /// Do not decode backslash escapes in send/expect strings.
    #[arg(short = 'T', long = "suppress")]
    pub suppress: bool,
    /// Quiesce (weight 0) instead of removing (decided by lvsd; accepted).
    #[arg(short = 'q', long = "quiesce_server", visible_alias = "quiesce-server")]
    pub quiesce: bool,
    /// Foreground: log lines also to stdout (stderr in worker mode).
    #[arg(short = 'n', long = "nodaemon")]
    pub nodaemon: bool,
    /// Verbose (debug) logging.
    #[arg(short = 'v', long = "verbose")]
    pub verbose: bool,
    /// Accepted for compatibility (nanny never runs ipvsadm anyway).
    #[arg(long = "test-start", visible_alias = "norun")]
    pub test_start: bool,
    /// LVS service type.
    #[arg(long = "lvs")]
    pub lvs: bool,
    /// FOS (failover service) type.
    #[arg(long = "fos")]
    pub fos: bool,
    /// Print the version.
    #[arg(long = "version")]
    pub version: bool,
    /// Print this help.
    #[arg(short = '?', long = "help")]
    pub help: bool,
    /// Print a short usage message.
    #[arg(long = "usage")]
    pub usage: bool,
}

/// An argument error: the message printed to stderr before exiting with status 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ArgError(pub String);

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The probe/availability settings of the service.
    pub service: ServiceSettings,
    /// Whether the default port-80 HTTP check applies (log the notice).
    pub default_http: bool,
    /// Standalone: the real server; `None` in worker mode.
    pub server: Option<(IpAddr, u16)>,
    /// VIP for log lines.
    pub vip: String,
    /// FOS mode.
    pub fos: bool,
}

impl Options {
    /// Parses argv (including the program name).
    ///
    /// # Errors
    /// clap's error for unknown options or bad values.
    pub fn parse_from_args(args: impl IntoIterator<Item = OsString>) -> Result<Options, clap::Error> {
        Options::try_parse_from(args)
    }

    /// Checks the options and derives the settings (spec §4.2).
    ///
    /// # Errors
    /// The original's messages: `nanny: No address supplied. Use '--help' for help. `,
    /// `nanny: bad IP address -- %s`, `nanny: unknown service type`.
    pub fn settings(&self) -> Result<Settings, ArgError> {
        let server = if self.worker {
            None
        } else {
            let text = self
                .server
                .as_deref()
                .ok_or_else(|| ArgError("nanny: No address supplied. Use '--help' for help. ".into()))?;
            let addr: IpAddr =
                text.parse().map_err(|_| ArgError(format!("nanny: bad IP address -- {text}")))?;
            Some((addr, self.rport.unwrap_or(self.port)))
        };
        if self.lvs == self.fos && !self.worker {
            return Err(ArgError("nanny: unknown service type".into()));
        }
        if self.interval == 0 {
            // The original divided by zero here (spec §4.2).
            return Err(ArgError("nanny: interval must be at least 1 second".into()));
        }
        let interval = Duration::from_secs(self.interval);
        let reentry = match self.reentry {
            0 if self.fos => interval,
            0 => Duration::from_secs(180),
            n => Duration::from_secs(n),
        };
        let (check, default_http) = CheckSpec::from_flags(&CheckFlags {
            transport: if self.udp { Transport::Udp } else { Transport::Tcp },
            vport: self.port,
            // `-e` overrides `-s` (spec §4.1).
            send: if self.program.is_some() {
                None
            } else {
                self.send.as_ref().map(|s| s.as_bytes().to_vec())
            },
            expect: self.expect.as_ref().map(|s| s.as_bytes().to_vec()),
            program: self.program.clone(),
            use_regex: self.regex,
            suppress_escapes: self.suppress,
            timeout: interval,
        });
        Ok(Settings {
            service: ServiceSettings {
                check,
                interval,
                reentry,
                scale: self.scale,
                load_command: Some(self.loadcmd.clone()),
            },
            default_http,
            server,
            vip: self.virtaddress.clone().unwrap_or_else(|| "0.0.0.0".into()),
            fos: self.fos,
        })
    }
}

/// The `--version` text: spec §0's three lines with our own version.
pub fn version_text() -> String {
    let v = env!("CARGO_PKG_VERSION");
    format!("Program Version:\t{v}\nBuilt:\t\t\tfrom source\nA component of:\t\tpiranha-rs-{v}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(args: &[&str]) -> Options {
        Options::parse_from_args(std::iter::once("nanny").chain(args.iter().copied()).map(OsString::from))
            .expect("valid options")
    }

    #[test]
    fn lvsd_style_command_line() {
        let o = opts(&[
            "-c",
            "-h",
            "10.0.0.11",
            "-p",
            "80",
            "-r",
            "8080",
            "-s",
            "GET / HTTP/1.0\\r\\n\\r\\n",
            "-x",
            "HTTP",
            "-a",
            "6",
            "-I",
            "/sbin/ipvsadm",
            "-t",
            "2",
            "-w",
            "100",
            "-V",
            "192.0.2.1",
            "-M",
            "-g",
            "--lvs",
        ]);
        let s = o.settings().expect("settings");
        assert_eq!(s.server, Some(("10.0.0.11".parse().expect("ip"), 8080)));
        assert!(!s.default_http);
        assert_eq!(s.service.reentry, Duration::from_secs(6));
        assert_eq!(s.service.check.send.as_deref(), Some(&b"GET / HTTP/1.0\r\n\r\n"[..]));
        assert_eq!(s.vip, "192.0.2.1");
    }

    #[test]
    fn man_page_aliases() {
        let o = opts(&[
            "-h",
            "10.0.0.1",
            "--UDP",
            "--send_str",
            "a",
            "--expect_str",
            "b",
            "--quiesce-server",
            "--fos",
        ]);
        assert!(o.udp && o.quiesce && o.fos);
        assert_eq!(o.settings().expect("settings").service.reentry, Duration::from_secs(10));
    }

    #[test]
    fn argument_errors_have_the_original_texts() {
        assert_eq!(
            opts(&["--lvs"]).settings().err(),
            Some(ArgError("nanny: No address supplied. Use '--help' for help. ".into()))
        );
        assert_eq!(
            opts(&["-h", "1.2.3.4;rm", "--lvs"]).settings().err(),
            Some(ArgError("nanny: bad IP address -- 1.2.3.4;rm".into()))
        );
        assert_eq!(
            opts(&["-h", "10.0.0.1"]).settings().err(),
            Some(ArgError("nanny: unknown service type".into()))
        );
        assert!(opts(&["-h", "10.0.0.1", "--lvs", "-t", "0"]).settings().is_err());
        assert!(Options::parse_from_args(["nanny", "-R"].map(OsString::from)).is_err());
    }

    #[test]
    fn worker_needs_no_server_and_defaults_reentry() {
        let s = opts(&["--worker", "-p", "80"]).settings().expect("settings");
        assert!(s.server.is_none());
        assert!(s.default_http);
        assert_eq!(s.service.reentry, Duration::from_secs(180));
    }

    #[test]
    fn program_overrides_send() {
        let s = opts(&["--worker", "-p", "443", "-e", "/bin/check %h", "-s", "x", "-x", "OK"])
            .settings()
            .expect("s");
        assert!(s.service.check.send.is_none());
        assert_eq!(s.service.check.program.as_deref(), Some("/bin/check %h"));
    }

    #[test]
    fn version_has_three_lines() {
        let v = version_text();
        assert_eq!(v.lines().count(), 3);
        assert!(v.starts_with("Program Version:\t"));
    }
}
