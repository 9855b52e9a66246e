//! The failover state machine of pulse in LVS mode (spec §2.5), with the
//! activation (§2.6) and deactivation (§2.7) sequences as ordered
//! [`Action`]s.
//!
//! Time is a monotonic [`Duration`] since any fixed origin, passed with
//! every event (spec §8 #14: no wall clock, sub-second timers allowed). The
//! caller delivers [`Event::Tick`] at [`Machine::next_deadline`]; early or
//! late ticks are harmless.

use std::time::Duration;

use crate::wire::{Magic, Mode};

/// The log texts of spec §6.2 the machine emits.
mod text {
    pub const MASTER: &str = "STARTING PULSE AS MASTER";
    pub const BACKUP: &str = "STARTING PULSE AS BACKUP";
    pub const BACKUP_DISABLED: &str = "We are backup node and backup is marked inactive -- exiting pulse";
    pub const FORCED: &str = "Forced active on startup: activating lvs";
    pub const PARTNER_DEAD: &str = "partner dead: activating lvs";
    pub const BACKUP_INACTIVE: &str = "backup inactive: activating lvs";
    pub const PRIMARY_INACTIVE: &str = "primary inactive: activating lvs";
    pub const PARTNER_ACTIVE: &str = "partner active: deactivating LVS";
    pub const RESENDING_ARPS: &str = "partner active: resending arps";
    pub const LINK_FAILURE: &str = "Local NIC link failure: Pulse disabled";
    pub const LINK_DEACTIVATE: &str = "local link failure: deactivating LVS";
    pub const LINK_RESTORED: &str = "Local NIC link(s) restored: Pulse enabled";
    pub const SENDING: &str = "DEBUG -- Sending heartbeat...";
    pub const RECEIVED: &str = "DEBUG -- Received Heartbeat from partner";
}

/// The router's fixed role: primary ("master") ⇔ the `primary` address of
/// lvs.cf is local (spec §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The primary router (the original's `MASTER` bit).
    Primary,
    /// The backup router.
    Backup,
}

impl Role {
    /// The role of a router whose local addresses are `local`: primary when
    /// `primary` is any of them. Pass every address of every interface, not
    /// only each interface's first (spec §8 #23).
    pub fn detect(primary: std::net::IpAddr, local: &[std::net::IpAddr]) -> Role {
        if local.contains(&primary) { Role::Primary } else { Role::Backup }
    }
}

/// Which way the IPVS connection sync daemon runs (spec §2.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyncRole {
    /// `ipvsadm --start-daemon master` (on activation).
    Master,
    /// `ipvsadm --start-daemon backup` (at start, on deactivation and exit).
    Backup,
}

/// How the lvsd child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChildExit {
    /// It exited with this status.
    Exited(i32),
    /// A signal with this number killed it.
    Signaled(i32),
}

impl ChildExit {
    /// `Child process 123 exited with status 1` (the original's words), with
    /// `what` for "Child process".
    pub fn describe(self, what: &str, pid: u32) -> String {
        match self {
            ChildExit::Exited(status) => format!("{what} {pid} exited with status {status}"),
            ChildExit::Signaled(signal) => format!("{what} {pid} terminated with signal {signal}"),
        }
    }
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// pulse enters its main loop (spec §2.2 step 8 onwards). Deliver once,
    /// first.
    Start,
    /// Time passed; the machine checks its send and dead timers.
    Tick,
    /// A heartbeat that passed [`crate::Decoder`] arrived from the partner.
    Heartbeat(Magic),
    /// The link of one of our own heartbeat NICs went down (spec §2.11).
    LinkDown,
    /// All our heartbeat NICs have link again.
    LinkUp,
    /// The lvsd child exited.
    ChildExited {
        /// Its process id (for the log line).
        pid: u32,
        /// How it ended.
        exit: ChildExit,
    },
    /// SIGTERM or SIGINT with this signal number: deactivate and exit 0.
    Shutdown {
        /// The signal number, for `Terminating due to signal %d`.
        signal: i32,
    },
}

/// What the caller must do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Log this operator text (spec §6.2).
    Log(String),
    /// Log this text only in verbose mode (`-v`).
    Debug(String),
    /// Send this magic to the partner on every heartbeat channel.
    SendHeartbeat(Magic),
    /// Run `inactive_cmd` (if set), not waited for.
    RunInactiveCmd,
    /// Run `active_cmd` (if set), not waited for.
    RunActiveCmd,
    /// Start the lvsd child.
    StartLvsd,
    /// Stop the lvsd child: SIGTERM, bounded wait, then SIGKILL (spec §8 #20).
    StopLvsd,
    /// Run the sync-daemon sequence of spec §2.9 (if `syncdaemon = 1`).
    SyncDaemon(SyncRole),
    /// Bring up the VIPs (and the NAT router address) of active services.
    BringUpVips,
    /// Take them down again (spec §2.7 steps 5–6).
    TakeDownVips,
    /// Send the gratuitous ARPs for them (spec §2.8).
    SendArps,
    /// Leave the main loop and exit with this status.
    Exit(u8),
}

/// Tunables; [`Settings::new`] gives the original's behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Interval between heartbeats (lvs.cf `keepalive`).
    pub keepalive: Duration,
    /// Silence after which the partner is dead (lvs.cf `deadtime`).
    pub deadtime: Duration,
    /// Whether a backup router takes part (`backup_active = 1` with a
    /// `backup` address). Without one, no heartbeat is sent and a backup
    /// exits at start.
    pub has_backup: bool,
    /// `--forceactive`: activate at start.
    pub force_active: bool,
    /// Restarts of a dead lvsd allowed per activation before the active role
    /// is given up (spec §8 #8). 0, the default, is the original: never
    /// restart, deactivate at once and set CHILDFAIL.
    pub lvsd_restarts: u32,
    /// Spec §8 #17: when set, an inactive backup activates on STOPPED only
    /// once it has heard nothing but STOPPED for a whole `deadtime`, which
    /// removes the dual-active window of a cold start of both routers. Off
    /// by default (the original activates on the first STOPPED).
    pub cold_start_guard: bool,
    /// When a tick comes more than half a keepalive after its deadline,
    /// this router itself was not running (its machine or VM stalled, or
    /// pulse was kept off the CPU): a partner's heartbeats sent meanwhile
    /// may be waiting in the socket, or were held back by the same stall.
    /// With this set, the partner then has one more keepalive from that tick
    /// to be heard before it is declared dead, once per silence, so a router
    /// that keeps stalling still takes over, one keepalive later at worst.
    /// Off in the original, where a stalled backup takes over from a live
    /// primary whose heartbeats wait unread in its socket.
    pub stall_grace: bool,
}

impl Settings {
    /// The original's behaviour with these timers, a backup present.
    pub const fn new(keepalive: Duration, deadtime: Duration) -> Self {
        Settings {
            keepalive,
            deadtime,
            has_backup: true,
            force_active: false,
            lvsd_restarts: 0,
            cold_start_guard: false,
            stall_grace: false,
        }
    }
}

/// The state bits of the original besides the role (spec §2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags {
    /// We hold the VIPs and run lvsd.
    pub active: bool,
    /// One of our heartbeat NICs has no link.
    pub link_fail: bool,
    /// Our lvsd died; cleared by the partner's next RUNNING.
    pub child_fail: bool,
}

/// pulse's decision core.
#[derive(Debug, Clone)]
pub struct Machine {
    role: Role,
    settings: Settings,
    flags: Flags,
    started: bool,
    finished: bool,
    send_at: Duration,
    dead_at: Duration,
    /// Since when only STOPPED was heard (for `cold_start_guard`).
    stopped_since: Option<Duration>,
    restarts_used: u32,
    /// When the primary last re-announced on the partner's RUNNING.
    resent_at: Option<Duration>,
    /// Whether this silence had its stall excuse
    /// ([`Settings::stall_grace`]).
    excused: bool,
}

impl Machine {
    /// A machine for `role`, not yet started.
    pub fn new(role: Role, settings: Settings) -> Self {
        Machine {
            role,
            settings,
            flags: Flags::default(),
            started: false,
            finished: false,
            send_at: Duration::ZERO,
            dead_at: Duration::ZERO,
            stopped_since: None,
            restarts_used: 0,
            resent_at: None,
            excused: false,
        }
    }

    /// The fixed role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The state bits.
    pub fn flags(&self) -> Flags {
        self.flags
    }

    /// Whether we are the active router.
    pub fn is_active(&self) -> bool {
        self.flags.active
    }

    /// Whether the machine has emitted [`Action::Exit`].
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The tunables it runs with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The magic our heartbeats carry now.
    pub fn magic(&self) -> Magic {
        Magic::for_state(Mode::Lvs, self.flags.active)
    }

    /// When the next [`Event::Tick`] is due; `None` before start and after exit.
    pub fn next_deadline(&self) -> Option<Duration> {
        if !self.started || self.finished {
            return None;
        }
        Some(self.due())
    }

    fn due(&self) -> Duration {
        if self.settings.has_backup { self.send_at.min(self.dead_at) } else { self.dead_at }
    }

    /// Handles `event` happening at `now`; returns what to do, in order.
    pub fn on_event(&mut self, event: Event, now: Duration) -> Vec<Action> {
        let mut out = Vec::new();
        if self.finished {
            return out;
        }
        match event {
            Event::Start => self.start(now, &mut out),
            _ if !self.started => {}
            Event::Tick => self.tick(now, &mut out),
            Event::Heartbeat(magic) => self.heartbeat(magic, now, &mut out),
            Event::LinkDown => self.link_down(&mut out),
            Event::LinkUp => {
                if self.flags.link_fail {
                    out.push(log(text::LINK_RESTORED));
                    self.flags.link_fail = false;
                }
            }
            Event::ChildExited { pid, exit } => self.child_exited(pid, exit, &mut out),
            Event::Shutdown { signal } => {
                out.push(Action::Log(format!("Terminating due to signal {signal}")));
                self.deactivate(&mut out);
                out.push(Action::Exit(0));
                self.finished = true;
            }
        }
        out
    }

    fn start(&mut self, now: Duration, out: &mut Vec<Action>) {
        if self.started {
            return;
        }
        self.started = true;
        out.push(log(match self.role {
            Role::Primary => text::MASTER,
            Role::Backup => text::BACKUP,
        }));
        if self.role == Role::Backup && !self.settings.has_backup {
            out.push(log(text::BACKUP_DISABLED));
            out.push(Action::Exit(255));
            self.finished = true;
            return;
        }
        // The node begins inactive (spec §2.5 "Start", §2.10).
        out.push(Action::RunInactiveCmd);
        out.push(Action::SyncDaemon(SyncRole::Backup));
        if self.settings.force_active {
            out.push(log(text::FORCED));
            self.activate(out);
        }
        // The first heartbeat goes out one keepalive after start (spec §2.4).
        self.send_at = now + self.settings.keepalive;
        self.dead_at = now + self.settings.deadtime;
    }

    fn tick(&mut self, now: Duration, out: &mut Vec<Action>) {
        let late = now.saturating_sub(self.due());
        let excuse = if self.settings.stall_grace && late > self.settings.keepalive / 2 {
            self.excuse_stall(late, now)
        } else {
            None
        };
        if self.settings.has_backup && now >= self.send_at {
            // The heartbeat first: a log write that blocks (a slow syslog,
            // a busy disk) must not hold back what the partner waits for.
            out.push(Action::SendHeartbeat(self.magic()));
            out.push(debug(text::SENDING));
            self.send_at = now + self.settings.keepalive;
        }
        out.extend(excuse.map(Action::Log));
        if now >= self.dead_at {
            if self.can_take_over() {
                out.push(log(text::PARTNER_DEAD));
                self.activate(out);
            }
            self.dead_at = now + self.settings.deadtime;
            self.excused = false;
        }
    }

    /// We ran `late` past a deadline: unless this silence had its excuse
    /// already, the partner gets one more keepalive from `now` to be heard
    /// ([`Settings::stall_grace`]). Returns the line to log when that
    /// postponed a takeover.
    fn excuse_stall(&mut self, late: Duration, now: Duration) -> Option<String> {
        let listen_until = now + self.settings.keepalive;
        if self.excused || listen_until <= self.dead_at {
            return None;
        }
        let line = (now >= self.dead_at && self.can_take_over()).then(|| {
            let silent = now.saturating_sub(self.dead_at.saturating_sub(self.settings.deadtime));
            format!(
                "partner silent for {} ms, but pulse itself ran {} ms late: listening {} ms more before declaring it dead",
                silent.as_millis(),
                late.as_millis(),
                self.settings.keepalive.as_millis()
            )
        });
        self.dead_at = listen_until;
        self.excused = true;
        line
    }

    fn heartbeat(&mut self, magic: Magic, now: Duration, out: &mut Vec<Action>) {
        out.push(debug(text::RECEIVED));
        match magic {
            // An LVS peer never sends STOPME; treating it as RUNNING is what
            // the original ends up doing (spec §2.5).
            Magic::Running | Magic::StopMe => {
                self.stopped_since = None;
                self.flags.child_fail = false;
                if self.flags.active {
                    match self.role {
                        Role::Backup => {
                            // One RUNNING first, so the master re-ARPs.
                            out.push(Action::SendHeartbeat(Magic::Running));
                            out.push(log(text::PARTNER_ACTIVE));
                            self.deactivate(out);
                        }
                        Role::Primary => {
                            // At most once a deadtime: the original
                            // re-announces on every RUNNING, so a backup
                            // slow to step down (or several heartbeats per
                            // keepalive) started a storm of active_cmd runs
                            // and ARP bursts, the burst itself delaying the
                            // step-down under load.
                            let recent = self
                                .resent_at
                                .is_some_and(|at| now.saturating_sub(at) < self.settings.deadtime);
                            if !recent {
                                self.resent_at = Some(now);
                                out.push(log(text::RESENDING_ARPS));
                                out.extend([Action::RunActiveCmd, Action::BringUpVips, Action::SendArps]);
                            }
                        }
                    }
                }
            }
            Magic::Stopped => {
                let since = *self.stopped_since.get_or_insert(now);
                let guarded = self.settings.cold_start_guard
                    && self.role == Role::Backup
                    && now.saturating_sub(since) < self.settings.deadtime;
                if self.can_take_over() && !guarded {
                    out.push(log(match self.role {
                        Role::Primary => text::BACKUP_INACTIVE,
                        Role::Backup => text::PRIMARY_INACTIVE,
                    }));
                    self.activate(out);
                }
            }
            // Liveness only (the original's handling is compiled out).
            Magic::Hold | Magic::Held => {}
            // Another mode's heartbeat: the decoder refuses it; if one gets
            // here anyway it is not proof of life.
            Magic::FosRunning | Magic::FosStopped => return,
        }
        self.dead_at = now + self.settings.deadtime;
        self.excused = false;
    }

    fn link_down(&mut self, out: &mut Vec<Action>) {
        if self.flags.link_fail {
            return;
        }
        out.push(log(text::LINK_FAILURE));
        self.flags.link_fail = true;
        if self.flags.active {
            out.push(log(text::LINK_DEACTIVATE));
            self.deactivate(out);
        }
    }

    fn child_exited(&mut self, pid: u32, exit: ChildExit, out: &mut Vec<Action>) {
        out.push(Action::Log(exit.describe("Child process", pid)));
        if !self.flags.active {
            return;
        }
        if self.restarts_used < self.settings.lvsd_restarts {
            self.restarts_used += 1;
            out.push(Action::Log(format!(
                "restarting lvsd ({} of {})",
                self.restarts_used, self.settings.lvsd_restarts
            )));
            out.push(Action::StartLvsd);
            return;
        }
        // The child is gone: release everything else, then stay inactive
        // until the partner proves alive (CHILDFAIL).
        self.release(out, false);
        self.flags.child_fail = true;
    }

    fn can_take_over(&self) -> bool {
        !self.flags.active && !self.flags.link_fail && !self.flags.child_fail
    }

    /// Spec §2.6: active_cmd, lvsd, sync daemon master, VIPs and ARPs.
    fn activate(&mut self, out: &mut Vec<Action>) {
        out.extend([
            Action::RunActiveCmd,
            Action::StartLvsd,
            Action::SyncDaemon(SyncRole::Master),
            Action::BringUpVips,
            Action::SendArps,
        ]);
        self.flags.active = true;
        self.restarts_used = 0;
    }

    /// Spec §2.7: inactive_cmd and sync daemon backup always; VIPs and lvsd
    /// only when active.
    fn deactivate(&mut self, out: &mut Vec<Action>) {
        self.release(out, true);
    }

    fn release(&mut self, out: &mut Vec<Action>, stop_lvsd: bool) {
        out.extend([Action::RunInactiveCmd, Action::SyncDaemon(SyncRole::Backup)]);
        if !self.flags.active {
            return;
        }
        // The VIPs go before lvsd (the original stops lvsd first and waits for
        // it): the address then leaves this router the moment it steps down,
        // not after lvsd's shutdown, which shortens the window in which both
        // routers hold it after a partition heals (VM scenario 36).
        out.push(Action::TakeDownVips);
        if stop_lvsd {
            out.push(Action::StopLvsd);
        }
        self.flags.active = false;
    }
}

fn log(text: &str) -> Action {
    Action::Log(text.to_owned())
}

fn debug(text: &str) -> Action {
    Action::Debug(text.to_owned())
}

#[cfg(test)]
mod tests;
