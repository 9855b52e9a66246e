//! lvsd's event loop: reconciles the IPVS table with the controller's
//! desired state as verdicts arrive, supervises the nanny workers, reloads
//! on SIGHUP and tears everything down on SIGTERM (spec §3.2–§3.8).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use daemon::{Logger, SignalEvent};
use health::protocol::{Report, Request};
use ipvs::{IpvsKernel, Op, ServiceKey, Table, Timeouts, plan};
use lvs_config::{Config, SystemResolver};
use status::model::DaemonStatus;
use tokio::sync::{mpsc, watch};

use crate::controller::{Controller, Health, WorkerChange};
use crate::status::{NannySeen, Observations, ProbeSeen, lvsd_status};
use crate::workers::{self, Worker, WorkerEvent};

/// How lvsd runs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The configuration file (re-read on SIGHUP).
    pub config_path: PathBuf,
    /// `-v`: passed on to the workers.
    pub verbose: bool,
    /// `-t`: change nothing, start no worker; log what would be done.
    pub test_start: bool,
    /// The nanny program to run as worker.
    pub nanny: PathBuf,
    /// `--standby`: monitor the real servers but leave the kernel alone
    /// until [`Standby::Activate`] (pulse's warm standby on the backup).
    pub standby: bool,
}

/// What pulse tells a standby lvsd, one line on its standard input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standby {
    /// `active`: this router took over; program the table now.
    Activate,
    /// `standby`: this router was released; remove the services lvsd owns
    /// but keep checking the real servers, and answer `standby` once the
    /// kernel no longer holds them (when standard input is a socket pulse
    /// can read). The next `active` programs the table from known health
    /// again, instead of a cold lvsd waiting for first probes.
    Deactivate,
    /// End of input: pulse is gone. A standby lvsd exits; an active one
    /// carries on, as the original's lvsd outlives its pulse.
    Orphaned,
}

impl Standby {
    /// The command on `line` (surrounding blanks ignored); `None` for
    /// anything else.
    pub fn parse(line: &str) -> Option<Standby> {
        match line.trim() {
            "active" => Some(Standby::Activate),
            "standby" => Some(Standby::Deactivate),
            _ => None,
        }
    }
}

/// Restarts allowed within [`RESTART_WINDOW`] before `hard_shutdown = 1`
/// gives up and shuts lvsd down (so pulse can fail over).
pub const RESTART_LIMIT: usize = 5;
/// See [`RESTART_LIMIT`].
pub const RESTART_WINDOW: Duration = Duration::from_secs(60);
/// The main loop's tick, as the original's `alarm(5)`.
const TICK: Duration = Duration::from_secs(5);
/// How often the owned part of the table is compared with the kernel.
const RESYNC: Duration = Duration::from_secs(60);
/// How long a stopping worker gets before SIGKILL.
const WORKER_GRACE: Duration = Duration::from_secs(2);

/// Why the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// SIGTERM/SIGINT: orderly stop (exit 0).
    Stopped,
    /// A worker kept dying with `hard_shutdown = 1` (exit 1).
    NannyDied,
}

struct Supervised {
    worker: Option<Worker>,
    generation: u64,
    restarts: Vec<Instant>,
    last_report: Instant,
}

/// The running daemon.
pub struct Lvsd<'k> {
    settings: Settings,
    config: Config,
    controller: Controller,
    kernel: &'k mut dyn IpvsKernel,
    log: Logger,
    applied: Table,
    workers: HashMap<ServiceKey, Supervised>,
    events_tx: mpsc::UnboundedSender<WorkerEvent>,
    events_rx: mpsc::UnboundedReceiver<WorkerEvent>,
    restart_tx: mpsc::UnboundedSender<(ServiceKey, u64)>,
    restart_rx: mpsc::UnboundedReceiver<(ServiceKey, u64)>,
    /// Verdicts changed since the last sync.
    dirty: bool,
    /// Still in standby: the kernel is not touched.
    standby: bool,
    /// Where [`Standby`] commands arrive (only with `--standby`).
    standby_rx: Option<mpsc::UnboundedReceiver<Standby>>,
    /// Where [`Standby::Deactivate`] is acknowledged (pulse's socket).
    standby_ack: Option<Box<dyn std::io::Write + Send>>,
    /// The kernel's table as a standby last read it (at start and after a
    /// release): a takeover plans against it instead of reading the table
    /// on its way.
    standby_view: Option<Table>,
    /// What the status answer shows besides the controller.
    seen: Observations,
    /// Where the status is published (the status socket's task reads it).
    status_tx: Option<watch::Sender<DaemonStatus>>,
}

fn timeouts_of(config: &Config) -> Timeouts {
    let (tcp, tcp_fin, udp) = config.ipvs_timeouts();
    Timeouts { tcp, tcp_fin, udp }
}

impl<'k> Lvsd<'k> {
    /// A daemon for `config`, not started yet.
    pub fn new(settings: Settings, config: Config, kernel: &'k mut dyn IpvsKernel, log: Logger) -> Self {
        let controller = Controller::new(&config, settings.verbose);
        let standby = settings.standby;
        let seen = Observations::new(
            SystemTime::now(),
            standby,
            settings.test_start,
            settings.config_path.display().to_string(),
        );
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let (restart_tx, restart_rx) = mpsc::unbounded_channel();
        Lvsd {
            settings,
            config,
            controller,
            kernel,
            log,
            applied: Table::default(),
            workers: HashMap::new(),
            events_tx,
            events_rx,
            restart_tx,
            restart_rx,
            dirty: false,
            standby,
            standby_rx: None,
            standby_ack: None,
            standby_view: None,
            seen,
            status_tx: None,
        }
    }

    /// Publishes the status into `status` after every event (see
    /// [`crate::status`]); the status socket answers from it.
    #[must_use]
    pub fn with_status(mut self, status: watch::Sender<DaemonStatus>) -> Self {
        self.status_tx = Some(status);
        self.publish();
        self
    }

    /// The status answer as of now.
    pub fn status(&self) -> status::model::LvsdStatus {
        lvsd_status(&self.controller, &self.seen)
    }

    /// Hands the current status to the status socket, if any.
    fn publish(&mut self) {
        if let Some(tx) = &self.status_tx {
            tx.send_replace(DaemonStatus::Lvsd(self.status()));
        }
    }

    /// Takes [`Standby`] commands from `commands` (pulse's pipe).
    #[must_use]
    pub fn with_standby_commands(mut self, commands: mpsc::UnboundedReceiver<Standby>) -> Self {
        self.standby_rx = Some(commands);
        self
    }

    /// Acknowledges [`Standby::Deactivate`] on `ack` with the line `standby`.
    #[must_use]
    pub fn with_standby_ack(mut self, ack: Box<dyn std::io::Write + Send>) -> Self {
        self.standby_ack = Some(ack);
        self
    }

    /// Whether lvsd is still a standby (kernel untouched).
    pub fn is_standby(&self) -> bool {
        self.standby
    }

    /// The table lvsd believes the kernel holds.
    pub fn applied(&self) -> &Table {
        &self.applied
    }

    /// The controller (for tests and status).
    pub fn controller(&self) -> &Controller {
        &self.controller
    }

    /// Start-up (spec §3.2): timeouts, services, workers. A standby starts
    /// only the workers.
    pub async fn start(&mut self) {
        if self.standby {
            self.log.info(
                "standby: monitoring the real servers; the IPVS table is left alone until this router takes over",
            );
            self.standby_view = self.read_view();
        } else {
            self.program_table();
        }
        let keys: Vec<ServiceKey> = self.controller.services.iter().map(|s| s.key()).collect();
        for key in keys {
            self.start_worker(key).await;
        }
        self.publish();
    }

    /// Leaves standby (pulse took over): the whole table in one batch, from
    /// the health the workers have already reported.
    pub fn activate(&mut self) {
        if !self.standby {
            return;
        }
        self.standby = false;
        self.seen.standby = false;
        let servers = self.controller.services.iter().flat_map(|s| &s.servers);
        let total = servers.clone().count();
        let up = servers.filter(|x| matches!(x.health, Health::Up { .. })).count();
        // Nothing is logged before the batch: on a slow log (a terminal, a
        // file on a network share) the lines would delay the table.
        let started = Instant::now();
        let (changes, how) = match self.standby_view.take().and_then(|view| self.converge_from(view)) {
            Some(changes) => (changes, "planned against the table read in standby".to_owned()),
            None => {
                let (changes, read) = self.program_table();
                (changes, format!("{} ms reading the kernel's table", read.as_millis()))
            }
        };
        self.log.info(format!(
            "takeover: IPVS table programmed from known health ({up} of {total} real servers up), {changes} \
             changes in {} ms ({how})",
            started.elapsed().as_millis()
        ));
    }

    /// The takeover's quick way: adopts `view` (the table as read in
    /// standby), plans against it and sends the batch, then logs what
    /// [`Lvsd::program_table`] logs. `None` when a change failed because
    /// the kernel's table changed since the read (someone's `ipvsadm`);
    /// then nothing but the sorry-server lines has been logged, and the
    /// caller reads the table and converges.
    fn converge_from(&mut self, view: Table) -> Option<usize> {
        if self.settings.test_start {
            return None;
        }
        self.adopt_table(&view);
        self.applied = view;
        let sorry = self.controller.update_sorry();
        let desired = self.controller.desired();
        let ops = plan(&desired, &self.applied);
        let done = ops.is_empty() || matches!(self.kernel.apply(&ops), Ok(report) if report.is_success());
        if !done {
            for line in sorry {
                self.log.info(line);
            }
            return None;
        }
        self.applied = desired;
        self.log_starting();
        for line in sorry {
            self.log.info(line);
        }
        for op in &ops {
            self.log.debug(format!("ipvsadm {op}"));
        }
        self.set_timeouts(None);
        Some(ops.len())
    }

    /// The kernel's table, or `None` (logged with -v) when it cannot be read.
    fn read_view(&mut self) -> Option<Table> {
        if self.settings.test_start {
            return None;
        }
        self.kernel
            .snapshot()
            .map_err(|e| self.log.debug(format!("standby: cannot read the IPVS table: {e}")))
            .ok()
    }

    /// Back to standby (pulse released this router): the services lvsd
    /// owns leave the kernel, the workers keep probing, and the health they
    /// know stays for the next [`Lvsd::activate`]. Acknowledged with the
    /// line `standby` when there is somewhere to say it.
    pub fn deactivate(&mut self) {
        if !self.standby {
            let started = Instant::now();
            let removed = self.remove_services();
            self.standby = true;
            self.seen.standby = true;
            self.log.info(format!(
                "standby: released; {removed} virtual services removed in {} ms, the real servers still monitored",
                started.elapsed().as_millis()
            ));
        }
        if let Some(ack) = &mut self.standby_ack
            && let Err(e) = ack.write_all(b"standby\n").and_then(|()| ack.flush())
        {
            self.log.debug(format!("standby: cannot acknowledge to pulse: {e}"));
            self.standby_ack = None;
        }
        // After the acknowledgement: pulse waits for that, not for this.
        self.standby_view = self.read_view();
    }

    /// Removes the services lvsd owns from the kernel (logging each, as
    /// the original does at shutdown); returns how many were there.
    fn remove_services(&mut self) -> usize {
        let mut ops = Vec::new();
        for s in &self.controller.services {
            self.log.info(format!("shutting down virtual service {}", s.name));
            if self.applied.service(&s.key()).is_some() {
                ops.push(Op::DeleteService(s.key()));
            }
        }
        if !self.settings.test_start && !ops.is_empty() {
            match self.kernel.apply(&ops) {
                Ok(report) => {
                    for f in &report.failures {
                        self.log_failure(&f.op, &f.errno.to_string());
                    }
                }
                Err(e) => self.log.info(format!("IPVS: {e}")),
            }
        }
        self.applied = Table::default();
        ops.len()
    }

    /// Timeouts, then the services: what the kernel already holds for them
    /// is adopted and the rest converged. Returns the number of changes
    /// sent and the time reading the kernel's table took.
    fn program_table(&mut self) -> (usize, Duration) {
        self.set_timeouts(None);
        let reading = Instant::now();
        let snapshot = self.kernel.snapshot();
        let read = reading.elapsed();
        let actual = match snapshot {
            Ok(t) => t,
            Err(e) => {
                self.log.info(format!("cannot read the IPVS table: {e}"));
                Table::default()
            }
        };
        self.adopt_table(&actual);
        self.log_starting();
        // The original cleared the whole table (`ipvsadm -C`); converging
        // removes what lvs.cf does not own without touching the rest.
        self.applied = actual;
        (self.sync(), read)
    }

    /// Real servers already in `actual` stay until nanny judges them, so an
    /// lvsd restart does not blink them.
    fn adopt_table(&mut self, actual: &Table) {
        self.controller.adopt(actual);
        let now = SystemTime::now();
        for s in &self.controller.services {
            for x in s.servers.iter().filter(|x| x.health != Health::Unknown) {
                self.seen.health_since.entry((s.key(), x.id)).or_insert(now);
            }
        }
    }

    fn log_starting(&self) {
        for s in &self.controller.services {
            // The original prints the port where it says "active" (spec §3.3).
            self.log.info(format!("starting virtual service {} active: {}", s.name, s.service.key.port()));
        }
    }

    fn set_timeouts(&mut self, previous: Option<Timeouts>) {
        let t = timeouts_of(&self.config);
        if previous == Some(t) || t == Timeouts::default() || self.settings.test_start || self.standby {
            return;
        }
        if let Err(e) = self.kernel.set_timeouts(&t) {
            self.log.info(format!("ipvsadm failed to set timeouts ({} {} {})", t.tcp, t.tcp_fin, t.udp));
            self.log.debug(format!("--set: {e}"));
        }
    }

    /// Makes the kernel hold the controller's desired table; returns the
    /// number of changes sent. A standby changes nothing.
    fn sync(&mut self) -> usize {
        if self.standby {
            return 0;
        }
        for line in self.controller.update_sorry() {
            self.log.info(line);
        }
        let desired = self.controller.desired();
        let ops = plan(&desired, &self.applied);
        if ops.is_empty() {
            return 0;
        }
        if self.settings.test_start {
            for op in &ops {
                self.log.info(format!("test start: would run ipvsadm {op}"));
            }
            self.applied = desired;
            return ops.len();
        }
        for op in &ops {
            self.log.debug(format!("ipvsadm {op}"));
        }
        match self.kernel.apply(&ops) {
            Ok(report) if report.is_success() => self.applied = desired,
            Ok(report) => {
                for f in &report.failures {
                    self.log_failure(&f.op, &f.errno.to_string());
                }
                self.resync(false);
            }
            Err(e) => {
                self.log.info(format!("IPVS: {e}"));
                self.resync(false);
            }
        }
        ops.len()
    }

    fn log_failure(&self, op: &Op, why: &str) {
        let name = self.controller.service(op.service()).map_or("?", |s| s.name.as_str());
        match op {
            Op::AddService(_) | Op::EditService(_) | Op::DeleteService(_) => {
                self.log.info(format!("ipvsadm failed for virtual server {name}!"));
            }
            _ => {}
        }
        self.log.info(format!("{}: {why}", op.target()));
    }

    /// Re-reads the kernel's table; with `repair`, also plans against it.
    fn resync(&mut self, repair: bool) {
        match self.kernel.snapshot() {
            Ok(actual) => {
                // Only what lvsd owns: services added by hand survive.
                let owned: Vec<ServiceKey> = self.controller.services.iter().map(|s| s.key()).collect();
                self.applied = Table {
                    services: actual.services.into_iter().filter(|s| owned.contains(&s.key)).collect(),
                };
                if repair {
                    self.sync();
                }
            }
            Err(e) => self.log.info(format!("cannot read the IPVS table: {e}")),
        }
    }

    async fn start_worker(&mut self, key: ServiceKey) {
        let Some(service) = self.controller.service(&key) else { return };
        if self.settings.test_start {
            return;
        }
        let entry = self.workers.entry(key).or_insert_with(|| Supervised {
            worker: None,
            generation: 0,
            restarts: Vec::new(),
            last_report: Instant::now(),
        });
        entry.generation += 1;
        entry.last_report = Instant::now();
        match workers::spawn(&self.settings.nanny, service, entry.generation, self.events_tx.clone()).await {
            Ok(worker) => {
                let pid = worker.pid();
                self.seen.nannies.insert(key, NannySeen { pid, last_report: SystemTime::now() });
                for server in &service.servers {
                    self.log.info(format!(
                        "create_monitor for {}/{} running as pid {pid}",
                        service.name, server.name
                    ));
                }
                entry.worker = Some(worker);
            }
            Err(e) => {
                self.log.info(format!(
                    "cannot start {} for {}: {e}",
                    self.settings.nanny.display(),
                    service.name
                ));
                let generation = entry.generation;
                self.schedule_restart(key, generation);
            }
        }
    }

    async fn stop_worker(&mut self, key: &ServiceKey) {
        self.seen.nannies.remove(key);
        if let Some(mut s) = self.workers.remove(key)
            && let Some(w) = s.worker.take()
        {
            w.stop(WORKER_GRACE).await;
        }
    }

    /// Backoff 1, 2, 4 … 30 s by recent restarts; `false` when
    /// `hard_shutdown = 1` and the worker keeps dying.
    fn schedule_restart(&mut self, key: ServiceKey, generation: u64) -> bool {
        let Some(entry) = self.workers.get_mut(&key) else { return true };
        let now = Instant::now();
        entry.restarts.retain(|t| now.duration_since(*t) < RESTART_WINDOW);
        entry.restarts.push(now);
        let recent = entry.restarts.len();
        if self.config.hard_shutdown && recent > RESTART_LIMIT {
            return false;
        }
        let delay = Duration::from_secs(1u64 << (recent - 1).min(5)).min(Duration::from_secs(30));
        let tx = self.restart_tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let _ = tx.send((key, generation));
        });
        let name = self.controller.service(&key).map_or("?", |s| s.name.as_str());
        self.log
            .info(format!("nanny for virtual service {name} died; restarting it in {} s", delay.as_secs()));
        true
    }

    fn on_report(&mut self, key: ServiceKey, report: Report) {
        if let Some(s) = self.workers.get_mut(&key) {
            s.last_report = Instant::now();
        }
        let now = SystemTime::now();
        if let Some(n) = self.seen.nannies.get_mut(&key) {
            n.last_report = now;
        }
        let changed = match report {
            Report::Up { id, weight } => {
                let was_up = self.is_up(&key, id);
                let changed = self.controller.set_health(&key, id, Health::Up { weight });
                // A weight change (slow start) is no change of health.
                if changed && !was_up {
                    self.seen.health_since.insert((key, id), now);
                }
                changed
            }
            Report::Down { id } => {
                let changed = self.controller.set_health(&key, id, Health::Down);
                if changed {
                    self.seen.health_since.insert((key, id), now);
                }
                changed
            }
            // Only proof of life (handled above).
            Report::Alive => false,
            Report::Probe { id, ok, reason } => {
                self.seen.last_probe.insert((key, id), ProbeSeen { ok, reason, at: now });
                // A server that never came up has failed its first probes:
                // known down (it stays out of the table, and the sorry
                // server may take over).
                let unknown = self
                    .controller
                    .service(&key)
                    .and_then(|s| s.servers.iter().find(|x| x.id == id))
                    .is_some_and(|x| x.health == Health::Unknown);
                let judged = !ok && unknown && self.controller.set_health(&key, id, Health::Down);
                if judged {
                    self.seen.health_since.insert((key, id), now);
                }
                judged
            }
        };
        self.dirty |= changed;
    }

    fn is_up(&self, key: &ServiceKey, id: u32) -> bool {
        self.controller
            .service(key)
            .and_then(|s| s.servers.iter().find(|x| x.id == id))
            .is_some_and(|x| matches!(x.health, Health::Up { .. }))
    }

    /// Handles `event` and every other event already waiting, then brings
    /// the kernel up to date once: a burst of verdicts (1,000 servers coming
    /// up together) costs one plan and one batch, not one per verdict.
    /// `true` to keep running.
    async fn on_worker_events(&mut self, event: WorkerEvent) -> bool {
        let mut keep_running = self.on_worker_event(event).await;
        while keep_running && let Ok(next) = self.events_rx.try_recv() {
            keep_running = self.on_worker_event(next).await;
        }
        if std::mem::take(&mut self.dirty) {
            self.sync();
        }
        keep_running
    }

    /// `true` to keep running.
    async fn on_worker_event(&mut self, event: WorkerEvent) -> bool {
        match event {
            WorkerEvent::Report(key, generation, report) => {
                if self.workers.get(&key).is_some_and(|s| s.generation == generation) {
                    self.on_report(key, report);
                }
                true
            }
            WorkerEvent::Garbage(key, line) => {
                let name = self.controller.service(&key).map_or("?", |s| s.name.as_str());
                self.log.debug(format!("nanny for {name}: unexpected output: {line}"));
                true
            }
            WorkerEvent::Exited(key, generation) => {
                let Some(entry) = self.workers.get_mut(&key).filter(|s| s.generation == generation) else {
                    return true;
                };
                self.seen.nannies.remove(&key);
                let status = match entry.worker.take() {
                    Some(w) => w.reap(WORKER_GRACE).await,
                    None => String::new(),
                };
                let name = self.controller.service(&key).map_or("?", |s| s.name.as_str()).to_owned();
                self.log.info(format!("nanny for virtual service {name} exited ({status})"));
                if self.schedule_restart(key, generation) {
                    true
                } else {
                    // §3.5 with hard_shutdown = 1: a nanny that cannot be
                    // kept alive shuts lvsd down, so pulse fails over.
                    self.log.info("nanny died! shutting down lvs");
                    false
                }
            }
        }
    }

    async fn on_restart(&mut self, key: ServiceKey, generation: u64) {
        if self.workers.get(&key).is_some_and(|s| s.generation == generation && s.worker.is_none()) {
            self.start_worker(key).await;
        }
    }

    /// Kills workers that have gone quiet for much longer than their probe
    /// interval (a hung nanny); their exit then restarts them.
    fn check_hung(&mut self) {
        let now = Instant::now();
        for s in &self.controller.services {
            let Some(entry) = self.workers.get_mut(&s.key()) else { continue };
            let Some(worker) = entry.worker.as_mut() else { continue };
            let limit = Duration::from_secs(3 * u64::from(s.probe_interval.max(1)) + 30);
            if !s.servers.is_empty() && now.duration_since(entry.last_report) > limit {
                self.log.info(format!("nanny for virtual service {} is not reporting; killing it", s.name));
                let _ = worker.child.start_kill();
                entry.last_report = now;
            }
        }
    }

    /// SIGHUP: re-read lvs.cf; a bad file keeps the running configuration.
    pub async fn reload(&mut self) {
        self.log.info("rereading configuration file");
        let path = self.settings.config_path.clone();
        let config = match lvs_config::load(&path, &SystemResolver::new()) {
            Ok(loaded) => loaded.parsed.config,
            Err(lvs_config::LoadError::Read { .. }) => {
                self.log.info(format!("lvs: failed to open {}", path.display()));
                return;
            }
            Err(e) => {
                let line = e.first().map_or(0, |d| d.line);
                self.log.info(format!("lvs: error parsing {} on line {line}.", path.display()));
                for detail in e.rendered() {
                    self.log.debug(detail);
                }
                return;
            }
        };
        let previous = timeouts_of(&self.config);
        self.config = config;
        self.set_timeouts(Some(previous));
        let changes = self.controller.reload(&self.config);
        let servers: std::collections::HashSet<(ServiceKey, u32)> = self
            .controller
            .services
            .iter()
            .flat_map(|s| s.servers.iter().map(move |x| (s.key(), x.id)))
            .collect();
        self.seen.health_since.retain(|k, _| servers.contains(k));
        self.seen.last_probe.retain(|k, _| servers.contains(k));
        for change in changes {
            match change {
                WorkerChange::Start(key) => {
                    if let Some(s) = self.controller.service(&key) {
                        self.log.info(format!("starting virtual service {} active: {}", s.name, key.port()));
                    }
                    self.start_worker(key).await;
                }
                WorkerChange::Stop(key) => {
                    self.stop_worker(&key).await;
                }
                WorkerChange::Restart(key) => {
                    self.stop_worker(&key).await;
                    self.start_worker(key).await;
                }
                WorkerChange::Watch(key, id) => {
                    let request = self
                        .controller
                        .service(&key)
                        .and_then(|s| s.servers.iter().find(|x| x.id == id))
                        .map(workers::watch_request);
                    self.send(key, request).await;
                }
                WorkerChange::Forget(key, id) => self.send(key, Some(Request::Forget { id })).await,
            }
        }
        self.sync();
    }

    async fn send(&mut self, key: ServiceKey, request: Option<Request>) {
        let (Some(request), Some(worker)) =
            (request, self.workers.get_mut(&key).and_then(|s| s.worker.as_mut()))
        else {
            return;
        };
        // A broken pipe means the worker died; its exit event restarts it
        // with the current servers.
        let _ = worker.send(&request).await;
    }

    /// SIGTERM: stop the workers, remove the services lvsd owns (spec §3.5).
    pub async fn shutdown(&mut self) {
        let keys: Vec<ServiceKey> = self.workers.keys().copied().collect();
        for key in &keys {
            self.stop_worker(key).await;
        }
        self.remove_services();
    }

    /// Runs until a shutdown signal (or a fatal nanny death).
    pub async fn run(&mut self, signals: &mut mpsc::UnboundedReceiver<SignalEvent>) -> Outcome {
        let mut tick = tokio::time::interval(TICK);
        let mut last_resync = Instant::now();
        loop {
            tokio::select! {
                signal = signals.recv() => match signal {
                    Some(SignalEvent::Shutdown { signal }) => {
                        self.log.info(format!("shutting down due to signal {signal}"));
                        self.shutdown().await;
                        return Outcome::Stopped;
                    }
                    Some(SignalEvent::Reload) => self.reload().await,
                    // The original died on SIGUSR1/2 (spec §3.8); ignore them.
                    Some(SignalEvent::User1 | SignalEvent::User2) => {}
                    None => {
                        self.shutdown().await;
                        return Outcome::Stopped;
                    }
                },
                Some(event) = self.events_rx.recv() => {
                    if !self.on_worker_events(event).await {
                        self.shutdown().await;
                        return Outcome::NannyDied;
                    }
                }
                Some((key, generation)) = self.restart_rx.recv() => self.on_restart(key, generation).await,
                command = next_command(&mut self.standby_rx) => match command {
                    Some(Standby::Activate) => self.activate(),
                    Some(Standby::Deactivate) => self.deactivate(),
                    Some(Standby::Orphaned) | None => {
                        self.standby_rx = None;
                        if self.standby {
                            self.log.info("standby: pulse has gone away; exiting");
                            self.shutdown().await;
                            return Outcome::Stopped;
                        }
                    }
                },
                _ = tick.tick() => {
                    self.check_hung();
                    if last_resync.elapsed() >= RESYNC && !self.settings.test_start && !self.standby {
                        last_resync = Instant::now();
                        self.resync(true);
                    }
                }
            }
            self.publish();
        }
    }
}

/// The next standby command; never resolves without a command channel.
async fn next_command(commands: &mut Option<mpsc::UnboundedReceiver<Standby>>) -> Option<Standby> {
    match commands {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests;
