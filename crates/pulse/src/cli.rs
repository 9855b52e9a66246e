//! pulse's command line (spec §2.1).

use std::path::PathBuf;

use clap::Parser;
use lvs_config::DEFAULT_PATH;

/// The version block printed by `--version` (spec §0 format).
pub use daemon::VERSION_TEXT;

/// Default lvsd binary.
pub const DEFAULT_LVSD: &str = "/usr/sbin/lvsd";
/// Default of `--lvsd-restarts`.
pub const DEFAULT_LVSD_RESTARTS: u32 = 3;

/// Default of `--heartbeat-copies`.
pub const DEFAULT_HEARTBEAT_COPIES: u32 = 3;
/// Default fos binary.
pub const DEFAULT_FOS: &str = "/usr/sbin/fos";

/// The command line of the original pulse.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "pulse",
    disable_version_flag = true,
    about = "Heartbeat daemon of an LVS router pair: decides which router is active"
)]
pub struct Cli {
    /// Configuration file.
    #[arg(short = 'c', long = "configfile", value_name = "FILE", default_value = DEFAULT_PATH)]
    pub config: PathBuf,
    /// Stay in the foreground and log to stdout only.
    #[arg(short = 'n', long = "nodaemon")]
    pub nodaemon: bool,
    /// Debug logging; also passes -v to lvsd.
    #[arg(short, long)]
    pub verbose: bool,
    /// Become active immediately at start-up.
    #[arg(long)]
    pub forceactive: bool,
    /// Test mode: change nothing (no lvsd, commands, sync daemon, VIPs or
    /// ARPs), log what would be done.
    #[arg(short = 't', long = "test-start", visible_alias = "norun")]
    pub test_start: bool,
    /// The lvsd binary.
    #[arg(long = "lvsd", visible_alias = "lvs", value_name = "PATH", default_value = DEFAULT_LVSD)]
    pub lvsd: PathBuf,
    /// Restarts of a dead lvsd per activation before this router gives up
    /// the active role so the partner takes over (0: the original, which
    /// never restarts it and stays inactive).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_LVSD_RESTARTS)]
    pub lvsd_restarts: u32,
    /// The original's cold start: a backup activates on the primary's first
    /// STOPPED heartbeat. By default it waits until it has heard only STOPPED
    /// for a whole deadtime, so that when both routers start together the
    /// primary becomes active.
    #[arg(long)]
    pub no_cold_start_guard: bool,
    /// The original's dead verdict after a stall: a router whose own timer
    /// ran more than half a keepalive late (its machine or VM stalled) takes
    /// over at once, though the partner's heartbeats may be waiting unread.
    /// By default the partner gets one more keepalive to be heard first.
    #[arg(long)]
    pub no_stall_grace: bool,
    /// Send each heartbeat this many times, spread evenly over the keepalive
    /// interval, so that lost datagrams do not fake a dead partner (with 30 %
    /// loss and deadtime = 3 x keepalive, 9 losses in a row instead of 3).
    /// 1: the original's one per keepalive.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_HEARTBEAT_COPIES,
          value_parser = clap::value_parser!(u32).range(1..=10))]
    pub heartbeat_copies: u32,
    /// The fos binary (FOS mode, not supported yet).
    #[arg(long = "fos", value_name = "PATH", default_value = DEFAULT_FOS)]
    pub fos: PathBuf,
    /// Print the version and exit.
    #[arg(long)]
    pub version: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("pulse").chain(args.iter().copied())).expect("valid command line")
    }

    #[test]
    fn defaults() {
        let cli = parse(&[]);
        assert_eq!(cli.config, PathBuf::from("/etc/sysconfig/ha/lvs.cf"));
        assert_eq!(cli.lvsd, PathBuf::from("/usr/sbin/lvsd"));
        assert_eq!(cli.fos, PathBuf::from("/usr/sbin/fos"));
        assert!(!cli.nodaemon && !cli.verbose && !cli.forceactive && !cli.test_start && !cli.version);
        assert_eq!(cli.lvsd_restarts, 3);
        assert!(!cli.no_cold_start_guard);
        assert!(!cli.no_stall_grace);
        assert_eq!(cli.heartbeat_copies, 3);
    }

    #[test]
    fn extensions_can_restore_the_original() {
        let cli = parse(&[
            "--lvsd-restarts=0",
            "--no-cold-start-guard",
            "--heartbeat-copies=1",
            "--no-stall-grace",
        ]);
        assert!(cli.no_stall_grace);
        assert_eq!(cli.heartbeat_copies, 1);
        assert_eq!(cli.lvsd_restarts, 0);
        assert!(cli.no_cold_start_guard);
    }

    #[test]
    fn every_original_option() {
        let cli = parse(&[
            "-c",
            "/tmp/x.cf",
            "-n",
            "-v",
            "--forceactive",
            "-t",
            "--lvsd=/opt/lvsd",
            "--fos=/opt/fos",
        ]);
        assert_eq!(cli.config, PathBuf::from("/tmp/x.cf"));
        assert!(cli.nodaemon && cli.verbose && cli.forceactive && cli.test_start);
        assert_eq!(cli.lvsd, PathBuf::from("/opt/lvsd"));
        assert_eq!(cli.fos, PathBuf::from("/opt/fos"));
        let long = parse(&["--configfile=/a", "--nodaemon", "--verbose", "--test-start", "--version"]);
        assert_eq!(long.config, PathBuf::from("/a"));
        assert!(long.nodaemon && long.verbose && long.test_start && long.version);
    }

    #[test]
    fn man_page_spellings_are_aliases() {
        assert_eq!(parse(&["--lvs=/opt/lvsd"]).lvsd, PathBuf::from("/opt/lvsd"));
        assert!(parse(&["--norun"]).test_start);
    }

    #[test]
    fn positional_arguments_and_unknown_options_are_rejected() {
        assert!(Cli::try_parse_from(["pulse", "extra"]).is_err());
        assert!(Cli::try_parse_from(["pulse", "--standby"]).is_err());
    }

    #[test]
    fn version_block_has_three_lines() {
        let lines: Vec<_> = VERSION_TEXT.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("Program Version:\t"));
        assert!(lines[1].starts_with("Built:\t\t\t"));
        assert!(lines[2].starts_with("A component of:\t\tpiranha-"));
    }
}
