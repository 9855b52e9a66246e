//! The real [`Router`] for what runs as processes: `active_cmd` and
//! `inactive_cmd` (spec §2.10), lvsd (spec §2.6 step 2, §2.7 step 4) and
//! the sync-daemon sequence (spec §2.9, over netlink instead of ipvsadm).
//!
//! With our lvsd ([`lvsd_has_standby`]) the inactive router keeps a warm
//! standby: `lvsd --standby`, whose health checks run while it leaves the
//! IPVS table alone; on takeover pulse writes `active` to its standard input
//! and it programs the whole table at once from the health it already knows,
//! instead of starting cold and waiting for first probes. On release pulse
//! writes `standby`: lvsd removes its services, answers `standby` on the
//! same socket, and stays warm for the next takeover (a flapping partner
//! costs no process restart and no health knowledge). The original lvsd
//! is started cold on takeover, as the original pulse does.
//!
//! VIPs and gratuitous ARP go to its [`VipHandler`] (`netif`). SIGHUP
//! re-reads lvs.cf (a bad file keeps the running configuration) and is
//! forwarded to a live lvsd only (spec §8 #3). With `--test-start` nothing
//! is run at all; each action is logged as what would have been done (spec
//! §8 #18).

use std::io::Write;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use daemon::Logger;
use daemon::notify::Notifier;
use heartbeat::{ChildExit, SyncRole};
use ipvs::{DaemonState, IpvsError, IpvsKernel, SyncDaemon};
use lvs_config::{Config, SystemResolver};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::process::{Child, Command as Process};

use crate::router::{Command, Router, RouterError};
use crate::vips::{VipHandler, vip_plan};

/// How long lvsd gets to exit after SIGTERM before SIGKILL (spec §8 #20;
/// the original waits forever).
pub const LVSD_STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// The wait before a standby lvsd that died is started again; doubles per
/// death up to [`STANDBY_RETRY_MAX`].
const STANDBY_RETRY: Duration = Duration::from_secs(5);
const STANDBY_RETRY_MAX: Duration = Duration::from_secs(120);

/// Whether the lvsd at `program` is ours, so it understands `--standby`:
/// its file carries our version text. Read, never run: another lvsd (or a
/// stand-in script) might not handle `--version`, or do something else.
pub fn lvsd_has_standby(program: &Path) -> bool {
    const MARK: &[u8] = b"A component of:\t\tpiranha-rs-";
    const LARGEST: u64 = 256 << 20;
    std::fs::metadata(program).is_ok_and(|m| m.is_file() && m.len() <= LARGEST)
        && std::fs::read(program).is_ok_and(|bytes| bytes.windows(MARK.len()).any(|w| w == MARK))
}

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
    /// lvs.cf `syncd_iface`.
    pub syncd_iface: String,
    /// `syncd_id & 0xff`.
    pub syncd_id: u8,
    /// Keep `lvsd --standby` running while inactive (see the module docs).
    pub warm_standby: bool,
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
            syncd_iface: String::new(),
            syncd_id: 0,
            warm_standby: false,
        };
        settings.apply_config(config);
        settings
    }

    /// Takes what lvs.cf decides (commands, sync daemon) from `config`.
    pub fn apply_config(&mut self, config: &Config) {
        self.active_cmd.clone_from(&config.active_cmd);
        self.inactive_cmd.clone_from(&config.inactive_cmd);
        self.syncdaemon = config.syncdaemon;
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

    /// The sync daemon to run for `role` (`syncd_iface`, `syncd_id`).
    pub fn sync_daemon(&self, role: SyncRole) -> SyncDaemon {
        let state = match role {
            SyncRole::Master => DaemonState::Master,
            SyncRole::Backup => DaemonState::Backup,
        };
        SyncDaemon { state, interface: self.syncd_iface.clone(), sync_id: u32::from(self.syncd_id) }
    }
}

/// Spec §2.9 over netlink: stop the backup and the master daemon (either may
/// not run; the original ignored ipvsadm's status too), then start `daemon`.
pub fn switch_sync_daemon(kernel: &mut dyn IpvsKernel, daemon: &SyncDaemon) -> Result<(), IpvsError> {
    for state in [DaemonState::Backup, DaemonState::Master] {
        match kernel.stop_daemon(state) {
            Ok(()) => {}
            Err(IpvsError::Rejected { errno, .. }) if errno == ipvs::Errno::ESRCH => {}
            Err(e) => return Err(e),
        }
    }
    kernel.start_daemon(daemon)
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
    /// Our end of the active lvsd's standard input when it was a standby:
    /// `standby` sends it back to standby on release.
    lvsd_input: Option<UnixStream>,
    standby: Option<Standby>,
    /// No standby is started before this (after one died).
    standby_retry_at: Instant,
    standby_retry: Duration,
    vips: VipHandler,
    notifier: Notifier,
    kernel: KernelSlot,
}

/// The IPVS connection for the sync daemon, opened on first use.
#[derive(Default)]
struct KernelSlot(Option<Box<dyn IpvsKernel>>);

impl std::fmt::Debug for KernelSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "KernelSlot(open)" } else { "KernelSlot(closed)" })
    }
}

/// A warm-standby lvsd and our end of the socket that is its standard
/// input (commands go in, acknowledgements come back).
#[derive(Debug)]
struct Standby {
    child: Child,
    input: UnixStream,
}

/// How long a released lvsd gets to remove its services and acknowledge
/// before it is stopped instead.
pub const LVSD_DEMOTE_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends `standby` to the lvsd on `input` and waits up to `timeout` for its
/// `standby` line back (read on a blocking thread: the socket stays a plain
/// blocking one, as lvsd's standard input must be).
async fn demote(input: &mut UnixStream, timeout: Duration) -> std::io::Result<()> {
    input.write_all(b"standby\n")?;
    let reader = input.try_clone()?;
    reader.set_read_timeout(Some(timeout))?;
    let answer = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(std::io::Read::take(reader, 64)),
            &mut line,
        )?;
        if line.is_empty() {
            return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof));
        }
        Ok(line)
    })
    .await
    .map_err(std::io::Error::other)??;
    if answer == "standby\n" {
        Ok(())
    } else {
        Err(std::io::Error::other(format!("unexpected answer {answer:?}")))
    }
}

impl ProcessRouter {
    /// A router running what `settings` names, logging to `log`, with no
    /// VIPs (see [`ProcessRouter::with_vips`]).
    pub fn new(settings: ProcessSettings, log: Logger) -> Self {
        let vips = VipHandler::new(Vec::new(), settings.test_start, log.clone());
        ProcessRouter {
            settings,
            log,
            lvsd: None,
            lvsd_input: None,
            standby: None,
            standby_retry_at: Instant::now(),
            standby_retry: STANDBY_RETRY,
            vips,
            notifier: Notifier::disabled(),
            kernel: KernelSlot::default(),
        }
    }

    /// Uses `vips` for the VIPs and ARPs.
    #[must_use]
    pub fn with_vips(mut self, vips: VipHandler) -> Self {
        self.vips = vips;
        self
    }

    /// Uses `kernel` for the sync daemon instead of opening netlink.
    #[must_use]
    pub fn with_kernel(mut self, kernel: Box<dyn IpvsKernel>) -> Self {
        self.kernel = KernelSlot(Some(kernel));
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
        self.spawn_with_input(program, args, Stdio::null())
    }

    fn spawn_with_input(&self, program: &str, args: &[&str], stdin: Stdio) -> Result<Child, RouterError> {
        Process::new(program)
            .args(args)
            .stdin(stdin)
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

impl ProcessRouter {
    fn standby_failed(&mut self) {
        self.standby_retry_at = Instant::now() + self.standby_retry;
        self.standby_retry = (self.standby_retry * 2).min(STANDBY_RETRY_MAX);
    }
}

/// SIGHUP to `child` if it still runs; whether it was sent.
fn hang_up(child: Option<&mut Child>) -> bool {
    let Some(child) = child else { return false };
    if !matches!(child.try_wait(), Ok(None)) {
        return false;
    }
    child
        .id()
        .and_then(|pid| i32::try_from(pid).ok())
        .is_some_and(|pid| kill(Pid::from_raw(pid), Signal::SIGHUP).is_ok())
}

async fn wait_exit(child: &mut Child) -> ChildExit {
    match child.wait().await {
        Ok(status) => child_exit(status),
        Err(_) => ChildExit::Exited(-1),
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
        if let Some(mut standby) = self.standby.take() {
            let pid = standby.child.id().unwrap_or_default();
            let alive = matches!(standby.child.try_wait(), Ok(None));
            // A pipe with room never blocks a 7-byte write.
            match standby.input.write_all(b"active\n") {
                Ok(()) if alive => {
                    self.log.info(format!("activating standby lvsd {pid}"));
                    self.lvsd = Some(standby.child);
                    self.lvsd_input = Some(standby.input);
                    return Ok(());
                }
                Ok(()) => self.log.info(format!("standby lvsd {pid} is gone; starting lvsd")),
                Err(e) => {
                    self.log.info(format!("standby lvsd {pid} did not take the command ({e}); starting lvsd"))
                }
            }
        }
        if self.settings.test_start {
            self.log.info(format!("--test-start: not starting {program} {}", args.join(" ")));
            return Ok(());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.lvsd = Some(self.spawn(&program, &args)?);
        Ok(())
    }

    async fn stop_lvsd(&mut self) -> Result<(), RouterError> {
        let input = self.lvsd_input.take();
        let Some(mut child) = self.lvsd.take() else { return Ok(()) };
        let Some(pid) = child.id() else { return Ok(()) };
        if let Some(mut input) = input
            && matches!(child.try_wait(), Ok(None))
        {
            match demote(&mut input, LVSD_DEMOTE_TIMEOUT).await {
                Ok(()) => {
                    self.log.info(format!("lvsd {pid} back to standby"));
                    self.standby = Some(Standby { child, input });
                    return Ok(());
                }
                Err(e) => self.log.info(format!("lvsd {pid} did not go back to standby ({e}); stopping it")),
            }
        }
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
        // group, and livelocked (spec §8 #3). A standby reloads too, so its
        // checks follow the new file.
        let forwarded = hang_up(self.lvsd.as_mut());
        hang_up(self.standby.as_mut().map(|s| &mut s.child));
        let _ = self.notifier.ready();
        forwarded
    }

    fn keep_standby(&mut self) {
        if !self.settings.warm_standby
            || self.settings.test_start
            || self.lvsd.is_some()
            || self.standby.is_some()
            || Instant::now() < self.standby_retry_at
        {
            return;
        }
        let program = self.settings.lvsd.display().to_string();
        let mut args = self.settings.lvsd_args();
        args.push("--standby".to_owned());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let spawned = UnixStream::pair()
            .map_err(|source| RouterError::Child { what: "standby lvsd's socket".to_owned(), source })
            .and_then(|(ours, theirs)| {
                let child = self.spawn_with_input(&program, &args, Stdio::from(OwnedFd::from(theirs)))?;
                Ok(Standby { child, input: ours })
            });
        match spawned {
            Ok(standby) => {
                let pid = standby.child.id().unwrap_or_default();
                self.log.info(format!("standby lvsd running as pid {pid}"));
                self.standby = Some(standby);
            }
            Err(e) => {
                self.log.info(e);
                self.standby_failed();
            }
        }
    }

    async fn finish(&mut self) {
        let Some(Standby { mut child, input }) = self.standby.take() else { return };
        let pid = child.id().unwrap_or_default();
        // End of its standard input: a standby lvsd stops its nannies and exits.
        drop(input);
        if tokio::time::timeout(LVSD_STOP_TIMEOUT, child.wait()).await.is_err() {
            self.log.info(format!("standby lvsd {pid} did not exit; killing it"));
            let _ = child.kill().await;
        }
    }

    async fn lvsd_exited(&mut self) -> (u32, ChildExit) {
        loop {
            let (lvsd, standby) = (&mut self.lvsd, &mut self.standby);
            let active = async {
                match lvsd.as_mut() {
                    Some(child) => (child.id().unwrap_or_default(), wait_exit(child).await),
                    None => std::future::pending().await,
                }
            };
            let warm = async {
                match standby.as_mut() {
                    Some(s) => (s.child.id().unwrap_or_default(), wait_exit(&mut s.child).await),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                (pid, exit) = active => {
                    self.lvsd = None;
                    self.lvsd_input = None;
                    return (pid, exit);
                }
                (pid, exit) = warm => {
                    // Not the machine's business: takeover starts a cold
                    // lvsd if no standby is back by then.
                    self.log.info(exit.describe("standby lvsd", pid));
                    self.standby = None;
                    self.standby_failed();
                }
            }
        }
    }

    async fn sync_daemon(&mut self, role: SyncRole) -> Result<(), RouterError> {
        if !self.settings.syncdaemon {
            return Ok(());
        }
        let daemon = self.settings.sync_daemon(role);
        if self.settings.test_start {
            self.log.info(format!("--test-start: not switching the IPVS sync daemon to '{daemon}'"));
            return Ok(());
        }
        self.log.debug(format!("DEBUG -- IPVS sync daemon: {daemon}"));
        let kernel = match self.kernel.0.as_mut() {
            Some(k) => k,
            None => match ipvs::Client::open() {
                Ok(client) => self.kernel.0.insert(Box::new(client)),
                Err(e) => {
                    self.log.info(format!("cannot switch the IPVS sync daemon to '{daemon}': {e}"));
                    return Ok(());
                }
            },
        };
        if let Err(e) = switch_sync_daemon(kernel.as_mut(), &daemon) {
            self.log.info(format!("cannot switch the IPVS sync daemon to '{daemon}': {e}"));
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

    fn held_vips(&self) -> Vec<status::model::HeldVip> {
        self.vips
            .held()
            .iter()
            .map(|v| status::model::HeldVip {
                address: v.address().into(),
                prefix_len: v.prefix_len(),
                label: v.label().to_owned(),
            })
            .collect()
    }

    fn lvsd_process(&self) -> Option<status::model::LvsdProcess> {
        use status::model::{LvsdMode, LvsdProcess};
        let active =
            self.lvsd.as_ref().and_then(Child::id).map(|pid| LvsdProcess { pid, mode: LvsdMode::Active });
        active.or_else(|| {
            self.standby
                .as_ref()
                .and_then(|s| s.child.id())
                .map(|pid| LvsdProcess { pid, mode: LvsdMode::Standby })
        })
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
            syncd_iface: "eth1".into(),
            syncd_id: 7,
            warm_standby: false,
        }
    }

    #[test]
    fn lvsd_argv_spec_2_6() {
        assert_eq!(settings().lvsd_args(), ["--nofork", "-c", "/etc/sysconfig/ha/lvs.cf"]);
        let foreground = ProcessSettings { daemon: false, verbose: true, ..settings() };
        assert_eq!(foreground.lvsd_args(), ["--nodaemon", "-c", "/etc/sysconfig/ha/lvs.cf", "-v"]);
    }

    #[test]
    fn sync_daemon_sequence_spec_2_9() {
        let mut kernel = ipvs::fake::FakeKernel::default();
        let master = settings().sync_daemon(SyncRole::Master);
        assert_eq!(master.to_string(), "--start-daemon master --mcast-interface eth1 --syncid 7");
        // Nothing runs yet: the stops are no errors.
        switch_sync_daemon(&mut kernel, &master).expect("switch");
        assert_eq!(kernel.daemons().expect("fake"), [master]);
        let backup = settings().sync_daemon(SyncRole::Backup);
        switch_sync_daemon(&mut kernel, &backup).expect("switch");
        assert_eq!(kernel.daemons().expect("fake"), [backup]);
    }

    #[tokio::test]
    async fn the_router_switches_the_sync_daemon_only_when_configured() {
        let log = Logger::builder(daemon::log::Identity::pulse()).build();
        let kernel = ipvs::fake::FakeKernel::default();
        let mut router = ProcessRouter::new(settings(), log.clone()).with_kernel(Box::new(kernel));
        router.sync_daemon(SyncRole::Master).await.expect("switch");
        let daemons = router.kernel.0.as_mut().expect("kernel").daemons().expect("fake");
        assert_eq!(daemons[0].state, DaemonState::Master);

        let off = ProcessSettings { syncdaemon: false, ..settings() };
        let mut router =
            ProcessRouter::new(off, log).with_kernel(Box::new(ipvs::fake::FakeKernel::default()));
        router.sync_daemon(SyncRole::Master).await.expect("nothing to do");
        assert!(router.kernel.0.as_mut().expect("kernel").daemons().expect("fake").is_empty());
    }

    /// A stand-in lvsd (bash) that writes each command it reads to LOG,
    /// answers `standby` on its standard input when `answer` is set, and
    /// otherwise exits on `standby`.
    fn fake_lvsd(name: &str, answer: bool) -> (PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!("pulse-fake-lvsd-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let (script, log) = (dir.join("lvsd"), dir.join("log"));
        let on_standby = if answer { "echo standby >&0" } else { "exit 3" };
        std::fs::write(
            &script,
            format!(
                "#!/bin/bash\nwhile read -r line; do\n  echo \"$line\" >>{log}\n  \
                 [[ $line == standby ]] && {{ {on_standby}; }}\ndone\necho eof >>{log}\n",
                log = log.display()
            ),
        )
        .expect("script");
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
        (script, log)
    }

    /// A router whose stand-in lvsd (see [`fake_lvsd`]) was started as a
    /// standby, activated and released: the router, its log, the lvsd's pid
    /// and the file of the commands it read.
    async fn released(name: &str, answer: bool) -> (ProcessRouter, daemon::log::MemoryLog, u32, PathBuf) {
        let (script, commands) = fake_lvsd(name, answer);
        let memory = daemon::log::MemoryLog::new();
        let log = Logger::builder(daemon::log::Identity::pulse()).memory(&memory).build();
        let settings = ProcessSettings { lvsd: script, warm_standby: true, syncdaemon: false, ..settings() };
        let mut attempts = 0;
        let mut router = loop {
            let mut router = ProcessRouter::new(settings.clone(), log.clone());
            router.keep_standby();
            if router.lvsd_process().is_some() {
                break router;
            }
            // The script was written an instant ago: another test's child,
            // forked while the file was open for writing and not yet past
            // its exec, makes running it fail with ETXTBSY for that instant.
            attempts += 1;
            assert!(attempts < 100 && memory.contains("Text file busy"), "{:?}", memory.messages());
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        };
        let pid = router.lvsd_process().expect("a standby runs").pid;
        router.start_lvsd().expect("activate");
        assert!(memory.contains(&format!("activating standby lvsd {pid}")));
        router.stop_lvsd().await.expect("release");
        (router, memory, pid, commands)
    }

    #[tokio::test]
    async fn a_released_lvsd_goes_back_to_standby_and_the_next_takeover_reuses_it() {
        let (mut router, memory, pid, commands) = released("demote", true).await;
        assert!(memory.contains(&format!("lvsd {pid} back to standby")), "{:?}", memory.messages());
        assert_eq!(
            router.lvsd_process().map(|p| (p.pid, p.mode)),
            Some((pid, status::model::LvsdMode::Standby))
        );
        router.keep_standby();
        assert_eq!(router.lvsd_process().expect("still one").pid, pid, "no second standby");
        router.start_lvsd().expect("activate again");
        assert_eq!(memory.messages().iter().filter(|m| m.starts_with("activating standby lvsd")).count(), 2);
        router.stop_lvsd().await.expect("release again");
        router.finish().await;
        assert!(router.lvsd_process().is_none());
        assert_eq!(
            std::fs::read_to_string(&commands).expect("commands"),
            "active\nstandby\nactive\nstandby\neof\n"
        );
    }

    #[tokio::test]
    async fn an_lvsd_that_does_not_answer_is_stopped_instead() {
        let (router, memory, pid, commands) = released("silent", false).await;
        assert!(
            memory.contains(&format!("lvsd {pid} did not go back to standby")),
            "{:?}",
            memory.messages()
        );
        assert!(router.lvsd_process().is_none(), "nothing runs any more");
        assert_eq!(std::fs::read_to_string(&commands).expect("commands"), "active\nstandby\n");
    }

    #[test]
    fn commands_split_on_spaces_like_strtok() {
        assert_eq!(command_words("/bin/echo  a b"), ["/bin/echo", "a", "b"]);
        assert_eq!(command_words("/bin/x \"a b\""), ["/bin/x", "\"a", "b\""]);
        assert!(command_words("   ").is_empty());
        assert_eq!(command_words(&"w ".repeat(50)).len(), 39);
    }
}
