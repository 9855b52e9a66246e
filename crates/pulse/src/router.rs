//! What the machine's actions act on: lvsd, `active_cmd`/`inactive_cmd`,
//! the IPVS sync daemon, the VIPs and the gratuitous ARPs.
//!
//! [`crate::processes::ProcessRouter`] is the real implementation for
//! processes; VIPs and ARP come from the `netif` crate once it exists.
//! [`RecordingRouter`] records calls for tests.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use heartbeat::{ChildExit, SyncRole};
use status::model::{HeldVip, LvsdMode, LvsdProcess};
use tokio::sync::mpsc;

/// Why an action failed. pulse logs it and carries on, as the original
/// ignores the status of its helpers.
#[derive(Debug, thiserror::Error)]
pub enum RouterError {
    /// A program could not be started.
    #[error("cannot run {program}: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Waiting for or signalling a child failed.
    #[error("{what}: {source}")]
    Child {
        /// What was being done.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// Which configured command to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// lvs.cf `active_cmd`.
    Active,
    /// lvs.cf `inactive_cmd`.
    Inactive,
}

/// The side effects of pulse. Methods must not block the event loop for
/// long: what takes seconds (the 5 ARPs per VIP, spec §2.8) runs in the
/// background, as the original's double fork does.
pub trait Router {
    /// Runs `active_cmd` or `inactive_cmd` if set; not waited for.
    fn run_command(&mut self, command: Command) -> Result<(), RouterError>;
    /// Starts lvsd (spec §2.6 step 2).
    fn start_lvsd(&mut self) -> Result<(), RouterError>;
    /// Stops lvsd: SIGTERM, a bounded wait, then SIGKILL (spec §8 #20). A
    /// router with a warm standby may instead send the active lvsd back to
    /// standby once its services are out of the kernel.
    fn stop_lvsd(&mut self) -> impl Future<Output = Result<(), RouterError>>;
    /// pulse is exiting: stop whatever still runs (a warm standby), and
    /// wait for it, bounded.
    fn finish(&mut self) -> impl Future<Output = ()> {
        std::future::ready(())
    }
    /// Forwards SIGHUP to lvsd if one runs; returns whether it did (spec §8 #3).
    fn reload_lvsd(&mut self) -> bool;
    /// While inactive: keep a warm-standby lvsd running if the router does
    /// that (started again later if it died); called after every event.
    fn keep_standby(&mut self) {}
    /// Resolves when the running lvsd exits, with its pid and how it ended;
    /// never resolves while none runs. Must be cancel-safe.
    fn lvsd_exited(&mut self) -> impl Future<Output = (u32, ChildExit)>;
    /// The sync-daemon sequence of spec §2.9 (if `syncdaemon = 1`).
    fn sync_daemon(&mut self, role: SyncRole) -> impl Future<Output = Result<(), RouterError>>;
    /// Brings up the VIPs (and NAT router address) of active services.
    fn bring_up_vips(&mut self) -> impl Future<Output = Result<(), RouterError>>;
    /// Takes them down (spec §2.7 steps 5–6).
    fn take_down_vips(&mut self) -> impl Future<Output = Result<(), RouterError>>;
    /// Sends the gratuitous ARPs (spec §2.8), in the background.
    fn send_arps(&mut self) -> impl Future<Output = Result<(), RouterError>>;
    /// The VIPs brought up and not released, for the status socket.
    fn held_vips(&self) -> Vec<HeldVip> {
        Vec::new()
    }
    /// The lvsd that runs (active, else a warm standby), for the status socket.
    fn lvsd_process(&self) -> Option<LvsdProcess> {
        None
    }
}

/// A [`Router`] that only records what it was asked to do, as text
/// (`start_lvsd`, `sync_daemon master`, …). Its lvsd "runs" from
/// `start_lvsd` until `stop_lvsd` or until the test makes it die through
/// [`RecordingRouter::lvsd_killer`].
#[derive(Debug)]
pub struct RecordingRouter {
    calls: Arc<Mutex<Vec<String>>>,
    lvsd_pid: Option<u32>,
    next_pid: u32,
    deaths: mpsc::UnboundedReceiver<ChildExit>,
    killer: mpsc::UnboundedSender<ChildExit>,
}

impl Default for RecordingRouter {
    fn default() -> Self {
        let (killer, deaths) = mpsc::unbounded_channel();
        RecordingRouter { calls: Arc::default(), lvsd_pid: None, next_pid: 1000, deaths, killer }
    }
}

impl RecordingRouter {
    /// A router with an empty record.
    pub fn new() -> Self {
        Self::default()
    }

    /// A handle on the record, readable while the router is in use.
    pub fn calls(&self) -> Arc<Mutex<Vec<String>>> {
        Arc::clone(&self.calls)
    }

    /// Sending a [`ChildExit`] here makes the running lvsd (if any) exit so.
    pub fn lvsd_killer(&self) -> mpsc::UnboundedSender<ChildExit> {
        self.killer.clone()
    }

    /// Whether lvsd "runs".
    pub fn lvsd_running(&self) -> bool {
        self.lvsd_pid.is_some()
    }

    fn record(&self, call: impl Into<String>) {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner).push(call.into());
    }
}

impl Router for RecordingRouter {
    fn run_command(&mut self, command: Command) -> Result<(), RouterError> {
        self.record(match command {
            Command::Active => "active_cmd",
            Command::Inactive => "inactive_cmd",
        });
        Ok(())
    }

    fn start_lvsd(&mut self) -> Result<(), RouterError> {
        self.record("start_lvsd");
        self.next_pid += 1;
        self.lvsd_pid = Some(self.next_pid);
        Ok(())
    }

    async fn stop_lvsd(&mut self) -> Result<(), RouterError> {
        self.record("stop_lvsd");
        self.lvsd_pid = None;
        Ok(())
    }

    fn reload_lvsd(&mut self) -> bool {
        self.record("reload_lvsd");
        self.lvsd_pid.is_some()
    }

    async fn lvsd_exited(&mut self) -> (u32, ChildExit) {
        let Some(pid) = self.lvsd_pid else { return std::future::pending().await };
        match self.deaths.recv().await {
            Some(exit) => {
                self.lvsd_pid = None;
                (pid, exit)
            }
            None => std::future::pending().await,
        }
    }

    async fn sync_daemon(&mut self, role: SyncRole) -> Result<(), RouterError> {
        self.record(match role {
            SyncRole::Master => "sync_daemon master",
            SyncRole::Backup => "sync_daemon backup",
        });
        Ok(())
    }

    async fn bring_up_vips(&mut self) -> Result<(), RouterError> {
        self.record("bring_up_vips");
        Ok(())
    }

    async fn take_down_vips(&mut self) -> Result<(), RouterError> {
        self.record("take_down_vips");
        Ok(())
    }

    async fn send_arps(&mut self) -> Result<(), RouterError> {
        self.record("send_arps");
        Ok(())
    }

    fn lvsd_process(&self) -> Option<LvsdProcess> {
        self.lvsd_pid.map(|pid| LvsdProcess { pid, mode: LvsdMode::Active })
    }
}
