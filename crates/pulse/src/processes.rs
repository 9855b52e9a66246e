//! The real [`Router`] for what runs as processes: `active_cmd` and
//! `inactive_cmd` (spec §2.10), lvsd (spec §2.6 step 2, §2.7 step 4) and
//! the ipvsadm sync-daemon sequence (spec §2.9).
//!
//! VIPs and gratuitous ARP go to its [`VipHandler`] (`netif`). SIGHUP
//! re-reads lvs.cf (a bad file keeps the running configuration) and is
//! forwarded to a live lvsd only (spec §8 #3). With `--test-start` nothing
//! is run at all; each action is logged as what would have been done (spec
//! §8 #18).

use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use daemon::Logger;
use daemon::notify::Notifier;
use heartbeat::{ChildExit, SyncRole};
use lvs_config::{Config, SystemResolver};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::process::{Child, Command as Process};

use crate::router::{Command, Router, RouterError};
use crate::vips::{VipHandler, vip_plan};

/// How long lvsd gets to exit after SIGTERM before SIGKILL (spec §8 #20;
/// the original waits forever).
pub const LVSD_STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// What [`ProcessRouter`] runs, filled from the command line and lvs.cf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessSettings {
    /// `--lvsd=PATH`.
    pub lvsd: PathBuf,
    /// `-c FILE`, passed on to lvsd.
    pub config_path: PathBuf,
    /// pulse runs as a daemon: lvsd gets `--nofork`, else `--nodaemon`.
    pub daemon: bool,
    /// `-v`, passed on to lvsd.
    pub verbose: bool,
    /// `--test-start`: run nothing.
    pub test_start: bool,
    /// lvs.cf `active_cmd`.
    pub active_cmd: Option<String>,
    /// lvs.cf `inactive_cmd`.
    pub inactive_cmd: Option<String>,
    /// lvs.cf `syncdaemon = 1`.
    pub syncdaemon: bool,
    /// lvs.cf `ipvsadm`.
    pub ipvsadm: String,
    /// lvs.cf `syncd_iface`.
    pub syncd_iface: String,
    /// `syncd_id & 0xff`.
    pub syncd_id: u8,
}

impl ProcessSettings {
    /// The settings for `config` read from `config_path`, with the command
    /// line's choices.
    pub fn new(
        lvsd: PathBuf,
        config_path: PathBuf,
        daemon: bool,
        verbose: bool,
        test_start: bool,
        config: &Config,
    ) -> Self {
        let mut settings = ProcessSettings {
            lvsd,
            config_path,
            daemon,
            verbose,
            test_start,
            active_cmd: None,
            inactive_cmd: None,
            syncdaemon: false,
            ipvsadm: String::new(),
            syncd_iface: String::new(),
            syncd_id: 0,
        };
        settings.apply_config(config);
        settings
    }

    /// Takes what lvs.cf decides (commands, sync daemon) from `config`.
    pub fn apply_config(&mut self, config: &Config) {
        self.active_cmd.clone_from(&config.active_cmd);
        self.inactive_cmd.clone_from(&config.inactive_cmd);
        self.syncdaemon = config.syncdaemon;
        self.ipvsadm.clone_from(&config.ipvsadm);
        self.syncd_iface.clone_from(&config.syncd_iface);
        self.syncd_id = config.sync_id();
    }

    /// lvsd's argument vector (spec §2.6 step 2), without the program.
    pub fn lvsd_args(&self) -> Vec<String> {
        let mut args = vec![
            if self.daemon { "--nofork" } else { "--nodaemon" }.to_owned(),
            "-c".to_owned(),
            self.config_path.display().to_string(),
        ];
        if self.verbose {
            args.push("-v".to_owned());
        }
        args
    }

    /// The three ipvsadm argument vectors of spec §2.9.
    pub fn sync_daemon_args(&self, role: SyncRole) -> [Vec<String>; 3] {
        let role = match role {
            SyncRole::Master => "master",
            SyncRole::Backup => "backup",
        };
        let words = |w: &[&str]| w.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        [
            words(&["--stop-daemon", "backup"]),
            words(&["--stop-daemon", "master"]),
            words(&[
                "--start-daemon",
                role,
                "--mcast-interface",
                &self.syncd_iface,
                "--syncid",
                &self.syncd_id.to_string(),
            ]),
        ]
    }
}

/// `active_cmd`'s words: split on single spaces like `strtok(" ")` (runs of
/// spaces collapse), at most 39 words, no shell, no `PATH` search.
pub fn command_words(command: &str) -> Vec<&str> {
    command.split(' ').filter(|w| !w.is_empty()).take(39).collect()
}

/// The real [`Router`] for processes; see the [module docs](self).
#[derive(Debug)]
pub struct ProcessRouter {
    settings: ProcessSettings,
    log: Logger,
    lvsd: Option<Child>,
    vips: VipHandler,
    notifier: Notifier,
}

impl ProcessRouter {
    /// A router running what `settings` names, logging to `log`, with no
    /// VIPs (see [`ProcessRouter::with_vips`]).
    pub fn new(settings: ProcessSettings, log: Logger) -> Self {
        let vips = VipHandler::new(Vec::new(), settings.test_start, log.clone());
        ProcessRouter { settings, log, lvsd: None, vips, notifier: Notifier::disabled() }
    }

    /// Uses `vips` for the VIPs and ARPs.
    #[must_use]
    pub fn with_vips(mut self, vips: VipHandler) -> Self {
        self.vips = vips;
        self
    }

    /// Tells systemd `READY=1` once a reload is done.
    #[must_use]
    pub fn with_notifier(mut self, notifier: Notifier) -> Self {
        self.notifier = notifier;
        self
    }

    /// Re-reads lvs.cf; on success takes its commands, sync-daemon
    /// settings and VIPs, otherwise logs why and keeps the running ones.
    fn reread_config(&mut self) {
        let path = self.settings.config_path.clone();
        self.log.info("rereading configuration file");
        match lvs_config::load(&path, &SystemResolver::new()) {
            Ok(loaded) => {
                let config = loaded.parsed.config;
                self.settings.apply_config(&config);
                let (plan, problems) = vip_plan(&config);
                for problem in problems {
                    self.log.info(problem);
                }
                self.vips.set_plan(plan);
            }
            Err(e) => {
                self.log.info(format!(
                    "{}; keeping the running configuration",
                    crate::start::config_error(&path, &e)
                ));
            }
        }
    }

    fn spawn(&self, program: &str, args: &[&str]) -> Result<Child, RouterError> {
        Process::new(program)
            .args(args)
            .stdin(Stdio::null())
            // Only pulse talks to systemd.
            .env_remove("NOTIFY_SOCKET")
            .spawn()
            .map_err(|source| RouterError::Spawn { program: program.to_owned(), source })
    }
}

fn child_exit(status: ExitStatus) -> ChildExit {
    match (status.code(), status.signal()) {
        (Some(code), _) => ChildExit::Exited(code),
        (None, Some(signal)) => ChildExit::Signaled(signal),
        (None, None) => ChildExit::Exited(-1),
    }
}

impl Router for ProcessRouter {
    fn run_command(&mut self, command: Command) -> Result<(), RouterError> {
        let text = match command {
            Command::Active => &self.settings.active_cmd,
            Command::Inactive => &self.settings.inactive_cmd,
        };
        let Some(text) = text.as_deref() else { return Ok(()) };
        let words = command_words(text);
        let Some((program, args)) = words.split_first() else { return Ok(()) };
        if self.settings.test_start {
            self.log.info(format!("--test-start: not executing '{text}'"));
            return Ok(());
        }
        self.log.debug(format!("DEBUG -- Executing '{text}'"));
        let mut child = self.spawn(program, args)?;
        // Not waited for by pulse; reaped in the background and logged as
        // the original's SIGCHLD handler does.
        let log = self.log.clone();
        tokio::spawn(async move {
            let pid = child.id().unwrap_or_default();
            let _ = child.wait().await;
            log.info(format!("Skipping death of unknown child {pid}"));
        });
        Ok(())
    }

    fn start_lvsd(&mut self) -> Result<(), RouterError> {
        let program = self.settings.lvsd.display().to_string();
        let args = self.settings.lvsd_args();
        if self.settings.test_start {
            self.log.info(format!("--test-start: not starting {program} {}", args.join(" ")));
            return Ok(());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.lvsd = Some(self.spawn(&program, &args)?);
        Ok(())
    }

    async fn stop_lvsd(&mut self) -> Result<(), RouterError> {
        let Some(mut child) = self.lvsd.take() else { return Ok(()) };
        let Some(pid) = child.id() else { return Ok(()) };
        let failed =
            |what: &str, source: std::io::Error| RouterError::Child { what: what.to_owned(), source };
        if let Ok(pid) = i32::try_from(pid) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
        }
        match tokio::time::timeout(LVSD_STOP_TIMEOUT, child.wait()).await {
            Ok(result) => result.map(|_| ()).map_err(|e| failed("waiting for lvsd", e)),
            Err(_) => {
                self.log.info(format!("lvsd {pid} did not exit after SIGTERM; killing it"));
                child.kill().await.map_err(|e| failed("killing lvsd", e))
            }
        }
    }

    fn reload_lvsd(&mut self) -> bool {
        self.reread_config();
        // Only a live child: the original signalled pid 0, its own process
        // group, and livelocked (spec §8 #3).
        let alive = self.lvsd.as_mut().is_some_and(|child| matches!(child.try_wait(), Ok(None)));
        let forwarded = alive
            && self
                .lvsd
                .as_ref()
                .and_then(Child::id)
                .and_then(|pid| i32::try_from(pid).ok())
                .is_some_and(|pid| kill(Pid::from_raw(pid), Signal::SIGHUP).is_ok());
        let _ = self.notifier.ready();
        forwarded
    }

    async fn lvsd_exited(&mut self) -> (u32, ChildExit) {
        let Some(child) = self.lvsd.as_mut() else { return std::future::pending().await };
        let pid = child.id().unwrap_or_default();
        let exit = match child.wait().await {
            Ok(status) => child_exit(status),
            Err(_) => ChildExit::Exited(-1),
        };
        self.lvsd = None;
        (pid, exit)
    }

    async fn sync_daemon(&mut self, role: SyncRole) -> Result<(), RouterError> {
        if !self.settings.syncdaemon {
            return Ok(());
        }
        for args in self.settings.sync_daemon_args(role) {
            let line = args.join(" ");
            if self.settings.test_start {
                self.log.info(format!("--test-start: not executing 'ipvsadm {line}'"));
                continue;
            }
            self.log.debug(format!("DEBUG -- Executing 'ipvsadm {line}'"));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            // Waited for, status ignored (spec §2.9).
            match self.spawn(&self.settings.ipvsadm, &args) {
                Ok(mut child) => {
                    let _ = child.wait().await;
                }
                Err(e) => self.log.info(e.to_string()),
            }
        }
        Ok(())
    }

    async fn bring_up_vips(&mut self) -> Result<(), RouterError> {
        self.vips.bring_up().await;
        Ok(())
    }

    async fn take_down_vips(&mut self) -> Result<(), RouterError> {
        self.vips.take_down().await;
        Ok(())
    }

    async fn send_arps(&mut self) -> Result<(), RouterError> {
        self.vips.send_arps().await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ProcessSettings {
        ProcessSettings {
            lvsd: "/usr/sbin/lvsd".into(),
            config_path: "/etc/sysconfig/ha/lvs.cf".into(),
            daemon: true,
            verbose: false,
            test_start: false,
            active_cmd: None,
            inactive_cmd: None,
            syncdaemon: true,
            ipvsadm: "/sbin/ipvsadm".into(),
            syncd_iface: "eth1".into(),
            syncd_id: 7,
        }
    }

    #[test]
    fn lvsd_argv_spec_2_6() {
        assert_eq!(settings().lvsd_args(), ["--nofork", "-c", "/etc/sysconfig/ha/lvs.cf"]);
        let foreground = ProcessSettings { daemon: false, verbose: true, ..settings() };
        assert_eq!(foreground.lvsd_args(), ["--nodaemon", "-c", "/etc/sysconfig/ha/lvs.cf", "-v"]);
    }

    #[test]
    fn sync_daemon_argv_spec_2_9() {
        let [a, b, c] = settings().sync_daemon_args(SyncRole::Master);
        assert_eq!(a, ["--stop-daemon", "backup"]);
        assert_eq!(b, ["--stop-daemon", "master"]);
        assert_eq!(c, ["--start-daemon", "master", "--mcast-interface", "eth1", "--syncid", "7"]);
        assert_eq!(settings().sync_daemon_args(SyncRole::Backup)[2][1], "backup");
    }

    #[test]
    fn commands_split_on_spaces_like_strtok() {
        assert_eq!(command_words("/bin/echo  a b"), ["/bin/echo", "a", "b"]);
        assert_eq!(command_words("/bin/x \"a b\""), ["/bin/x", "\"a", "b\""]);
        assert!(command_words("   ").is_empty());
        assert_eq!(command_words(&"w ".repeat(50)).len(), 39);
    }
}
