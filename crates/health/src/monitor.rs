//! Probing all real servers of one virtual service (the loop of nanny's worker and standalone
//! modes).
//!
//! Each real server gets its own task with its own schedule: probe, feed the
//! [`Availability`] machine, carry out its actions, sleep `interval`, repeat. Tasks report
//! through an unbounded channel of [`Event`]s; the [`Monitor`] owns them and aborts them when a
//! server is forgotten or replaced, or when the monitor is dropped (a running checker program
//! is then killed with its process group).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};

use crate::availability::{Action, Availability, AvailabilitySettings};
use crate::probe::{CheckSpec, ProbeResult};
use crate::protocol::{Report, Request, ServerId};
use crate::weight::{LoadError, load_command, parse_load};

/// Settings shared by all real servers of a virtual service.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    /// How each server is probed.
    pub check: CheckSpec,
    /// Pause after each probe (`-t`); also the timeout of the load command.
    pub interval: Duration,
    /// Readmission delay (`-a`).
    pub reentry: Duration,
    /// Load weighting scale (`-S`).
    pub scale: u32,
    /// Load command (`-U`); `None` or `none` disables load weighting.
    pub load_command: Option<String>,
}

impl ServiceSettings {
    fn load_monitor(&self) -> bool {
        self.load_command.as_deref().is_some_and(|c| !c.is_empty() && c != "none")
    }
}

/// Something that happened to one real server.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// lvsd's identifier of the server.
    pub id: ServerId,
    /// The probed address and port.
    pub server: SocketAddr,
    /// What happened.
    pub kind: EventKind,
}

/// The kinds of [`Event`].
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// A probe finished: every failed one, and a passed one when the previous probe of that
    /// server did not pass.
    Probe(ProbeResult),
    /// The server is available with this weight; `entered` is true when it just became
    /// available (log `[ active ] making %s:%d available`), false for a weight change.
    Up {
        /// Weight to program.
        weight: u32,
        /// Whether this is an (re)entry rather than a weight change.
        entered: bool,
    },
    /// The server became unavailable (log `[inactive] shutting down %s:%d due to connection
    /// failure`).
    Down,
    /// The load command ran: the 1-minute load average or why it could not be read.
    Load(Result<f64, LoadError>),
}

impl Event {
    /// The protocol report for lvsd, if this event has one.
    pub fn report(&self) -> Option<Report> {
        let id = self.id;
        match &self.kind {
            EventKind::Probe(r) => Some(Report::Probe { id, ok: r.ok, reason: r.reason.clone() }),
            EventKind::Up { weight, .. } => Some(Report::Up { id, weight: *weight }),
            EventKind::Down => Some(Report::Down { id }),
            EventKind::Load(_) => None,
        }
    }
}

/// A manual override applied to every server (nanny's signals, spec §4.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Override {
    /// SIGUSR1: hold down, stop probing.
    Down,
    /// SIGUSR2: hold up at full weight, stop probing.
    Up,
    /// SIGHUP: remove any override and probe at once, readmitting without the reentry wait.
    Recheck,
}

enum Control {
    SetWeight(u32),
    Override(Override),
}

/// The few control messages of one server's task (weight changes, overrides), in order.
///
/// A tokio channel would do, but costs about 700 bytes per real server
/// (cache-padded halves and a first block of 32 slots) for messages that
/// arrive once in a blue moon; a mutex-guarded queue (empty: no allocation)
/// and a [`Notify`] cost about 100.
#[derive(Default)]
struct Inbox {
    queue: Mutex<VecDeque<Control>>,
    notify: Notify,
}

impl Inbox {
    fn send(&self, control: Control) {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner).push_back(control);
        self.notify.notify_one();
    }

    /// The next message; waits for one. Cancel-safe: a message is only
    /// taken from the queue by a poll that returns it.
    async fn recv(&self) -> Control {
        loop {
            let next = self.queue.lock().unwrap_or_else(PoisonError::into_inner).pop_front();
            if let Some(control) = next {
                return control;
            }
            self.notify.notified().await;
        }
    }
}

struct Server {
    addr: SocketAddr,
    control: Arc<Inbox>,
    task: JoinHandle<()>,
}

/// The real servers of one virtual service and their probe tasks. Must be used inside a tokio
/// runtime.
pub struct Monitor {
    settings: Arc<ServiceSettings>,
    servers: HashMap<ServerId, Server>,
    events: UnboundedSender<Event>,
    started: Instant,
    glasses: Option<Override>,
}

impl Monitor {
    /// A monitor without servers that sends its events to `events`.
    pub fn new(settings: ServiceSettings, events: UnboundedSender<Event>) -> Self {
        Monitor {
            settings: Arc::new(settings),
            servers: HashMap::new(),
            events,
            started: Instant::now(),
            glasses: None,
        }
    }

    /// Number of monitored servers.
    pub fn len(&self) -> usize {
        self.servers.len()
    }

    /// Whether no server is monitored.
    pub fn is_empty(&self) -> bool {
        self.servers.is_empty()
    }

    /// Applies a request from lvsd: add a server, replace one (probing restarts only when its
    /// address or port changed; a weight change is passed to the running machine), or forget one.
    pub fn apply(&mut self, request: Request) {
        match request {
            Request::Forget { id } => {
                if let Some(old) = self.servers.remove(&id) {
                    old.task.abort();
                }
            }
            Request::Server { id, addr, port, weight } => {
                let addr = SocketAddr::new(addr, port);
                if let Some(old) = self.servers.get(&id)
                    && old.addr == addr
                {
                    old.control.send(Control::SetWeight(weight));
                    return;
                }
                if let Some(old) = self.servers.remove(&id) {
                    old.task.abort();
                }
                let control = Arc::new(Inbox::default());
                if let Some(o @ (Override::Down | Override::Up)) = self.glasses {
                    control.send(Control::Override(o));
                }
                let task = tokio::spawn(probe_loop(
                    id,
                    addr,
                    weight,
                    Arc::clone(&self.settings),
                    Arc::clone(&control),
                    self.events.clone(),
                    self.started,
                ));
                self.servers.insert(id, Server { addr, control, task });
            }
        }
    }

    /// Applies a manual override to every server (and to servers added later, until
    /// [`Override::Recheck`]).
    pub fn set_override(&mut self, o: Override) {
        self.glasses = (o != Override::Recheck).then_some(o);
        for server in self.servers.values() {
            server.control.send(Control::Override(o));
        }
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        for server in self.servers.values() {
            server.task.abort();
        }
    }
}

/// One real server's loop.
async fn probe_loop(
    id: ServerId,
    server: SocketAddr,
    weight: u32,
    settings: Arc<ServiceSettings>,
    inbox: Arc<Inbox>,
    events: UnboundedSender<Event>,
    started: Instant,
) {
    let mut machine = Availability::new(AvailabilitySettings {
        weight,
        interval: settings.interval,
        reentry: settings.reentry,
        scale: settings.scale,
        load_monitor: settings.load_monitor(),
    });
    let emit = |kind: EventKind| {
        // The receiver is gone only while shutting down.
        let _ = events.send(Event { id, server, kind });
    };
    let now = || Instant::now().saturating_duration_since(started);
    let mut next_probe = Instant::now();
    let mut last_ok = false;
    loop {
        let actions = tokio::select! {
            biased;
            control = inbox.recv() => match control {
                Control::SetWeight(w) => machine.set_weight(w),
                Control::Override(Override::Down) => machine.manual_down(),
                Control::Override(Override::Up) => machine.manual_up(now()),
                Control::Override(Override::Recheck) => {
                    machine.remove_glasses();
                    next_probe = Instant::now();
                    Vec::new()
                }
            },
            () = sleep_until(next_probe), if !machine.probing_suspended() => {
                let result = settings.check.probe(server.ip(), server.port()).await;
                let ok = result.ok;
                // An ok after an ok is no news: nothing is logged for it and
                // lvsd knows it already (1,000 servers are 1,000 events a
                // second otherwise). Failures always go out: each is logged.
                if !(ok && last_ok) {
                    emit(EventKind::Probe(result));
                }
                last_ok = ok;
                let done = Instant::now();
                next_probe = done + settings.interval;
                machine.on_probe(ok, done.saturating_duration_since(started))
            }
        };
        let mut pending = actions;
        while !pending.is_empty() {
            let mut more = Vec::new();
            for action in pending {
                match action {
                    Action::Enter { weight } => emit(EventKind::Up { weight, entered: true }),
                    Action::SetWeight { weight } => emit(EventKind::Up { weight, entered: false }),
                    Action::Leave => emit(EventKind::Down),
                    Action::MeasureLoad => {
                        let load = Box::pin(measure_load(&settings, server)).await;
                        emit(EventKind::Load(load.clone()));
                        if let Ok(load) = load {
                            more.extend(machine.on_load(load));
                        }
                    }
                }
            }
            pending = more;
        }
    }
}

/// Runs the load command for `server` and reads its 1-minute load average.
async fn measure_load(settings: &ServiceSettings, server: SocketAddr) -> Result<f64, LoadError> {
    let Some(argv) = settings.load_command.as_deref().and_then(|c| load_command(c, server.ip())) else {
        return Err(LoadError::NoOutput);
    };
    match crate::program::run(&argv, settings.interval).await {
        crate::program::RunOutcome::Exited { success: true, output } => parse_load(&output),
        _ => Err(LoadError::NoOutput),
    }
}

#[cfg(test)]
mod tests;
