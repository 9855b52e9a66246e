//! pulse's event loop over real UDP sockets on loopback addresses
//! (127.0.0.2 and 127.0.0.3 are local on Linux), with short timers:
//! two of our nodes against each other, and one of ours against a Python
//! peer speaking the original protocol byte for byte (`tests/peer.py`).

use std::net::{IpAddr, SocketAddr};
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use daemon::log::{Identity, Logger, MemoryLog};
use heartbeat::HeartbeatKey;
use heartbeat::{ChildExit, Machine, Role, Settings};
use pulse::{Channels, Control, HeartbeatSockets, Heartbeats, RecordingRouter, Rekey};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

const MASTER_IP: &str = "127.0.0.2";
const BACKUP_IP: &str = "127.0.0.3";

fn ip(text: &str) -> IpAddr {
    text.parse().expect("literal")
}

/// A port free on both loopback addresses (checked, then released).
fn free_port() -> u16 {
    for _ in 0..50 {
        let Ok(first) = std::net::UdpSocket::bind((ip(MASTER_IP), 0)) else { continue };
        let Ok(port) = first.local_addr().map(|a| a.port()) else { continue };
        if std::net::UdpSocket::bind((ip(BACKUP_IP), port)).is_ok() {
            return port;
        }
    }
    panic!("no free UDP port on {MASTER_IP} and {BACKUP_IP}");
}

struct Node {
    log: MemoryLog,
    calls: Arc<Mutex<Vec<String>>>,
    controls: mpsc::UnboundedSender<Control>,
    kill_lvsd: mpsc::UnboundedSender<ChildExit>,
    task: JoinHandle<u8>,
}

impl Node {
    fn start(role: Role, port: u16, settings: Settings) -> Node {
        Node::start_with(role, port, settings, None, 1)
    }

    /// A node whose heartbeats are authenticated with `key`.
    fn start_keyed(role: Role, port: u16, settings: Settings, key: Option<HeartbeatKey>) -> Node {
        Node::start_with(role, port, settings, key, 1)
    }

    /// A node authenticated with `key` when given, sending `copies` of each
    /// heartbeat (`--heartbeat-copies`).
    fn start_with(role: Role, port: u16, settings: Settings, key: Option<HeartbeatKey>, copies: u32) -> Node {
        let (own, partner) = match role {
            Role::Primary => (MASTER_IP, BACKUP_IP),
            Role::Backup => (BACKUP_IP, MASTER_IP),
        };
        let channels = Channels {
            own_public: SocketAddr::new(ip(own), port),
            own_private: None,
            partner_public: SocketAddr::new(ip(partner), port),
            partner_private: None,
        };
        let sockets = HeartbeatSockets::bind(channels).expect("bind loopback heartbeat socket");
        let mut heartbeats = Heartbeats::new(&channels, key).with_copies(copies, settings.keepalive);
        let memory = MemoryLog::new();
        let log = Logger::builder(Identity::pulse()).verbose(true).memory(&memory).build();
        let mut router = RecordingRouter::new();
        let calls = router.calls();
        let kill_lvsd = router.lvsd_killer();
        let (controls, mut receiver) = mpsc::unbounded_channel();
        let task = tokio::task::spawn_local(async move {
            let mut machine = Machine::new(role, settings);
            pulse::run(&mut machine, &sockets, &mut heartbeats, &mut router, &log, &mut receiver).await
        });
        Node { log: memory, calls, controls, kill_lvsd, task }
    }

    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Whether the recorded calls leave lvsd running (= active).
    fn active(&self) -> bool {
        let calls = self.calls();
        let starts = calls.iter().filter(|c| *c == "start_lvsd").count();
        let stops = calls.iter().filter(|c| *c == "stop_lvsd").count();
        starts > stops && !self.log.contains("Child process")
    }

    async fn wait_log(&self, text: &str) {
        wait_for(|| self.log.contains(text), &format!("log line {text:?}; have {:?}", self.log.messages()))
            .await;
    }
}

async fn wait_for(mut condition: impl FnMut() -> bool, what: &str) {
    for _ in 0..300 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

fn fast() -> Settings {
    Settings::new(Duration::from_millis(50), Duration::from_millis(150))
}

/// Timers that tolerate a loaded test machine, where nothing must fail over.
fn sturdy() -> Settings {
    Settings::new(Duration::from_millis(100), Duration::from_secs(2))
}

fn forced(mut settings: Settings) -> Settings {
    settings.force_active = true;
    settings
}

async fn local<F: std::future::Future>(test: F) -> F::Output {
    tokio::task::LocalSet::new().run_until(test).await
}

#[tokio::test(flavor = "current_thread")]
async fn cold_start_master_wins_then_backup_takes_over_when_master_falls_silent() {
    local(async {
        let port = free_port();
        let master = Node::start(Role::Primary, port, fast());
        let backup = Node::start(Role::Backup, port, fast());
        master.wait_log("backup inactive: activating lvs").await;
        // the spec §8 #17 window closes: the backup yields to the master
        backup.wait_log("partner active: deactivating LVS").await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(master.active() && !backup.active());
        assert!(!backup.log.contains("partner dead"));
        // the master crashes: no more heartbeats
        master.task.abort();
        backup.wait_log("partner dead: activating lvs").await;
        assert!(backup.active());
        let calls = backup.calls();
        assert_eq!(
            calls[calls.len() - 5..],
            ["active_cmd", "start_lvsd", "sync_daemon master", "bring_up_vips", "send_arps"]
        );
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn master_saying_stopped_makes_the_backup_activate_and_there_is_no_failback() {
    local(async {
        let port = free_port();
        let master = Node::start(Role::Primary, port, forced(fast()));
        let backup = Node::start(Role::Backup, port, fast());
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(master.active() && !backup.active());
        // the master's lvsd dies: it goes inactive (CHILDFAIL) and says STOPPED
        master.kill_lvsd.send(ChildExit::Signaled(9)).expect("router alive");
        master.wait_log("terminated with signal 9").await;
        backup.wait_log("primary inactive: activating lvs").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(backup.active());
        assert!(master.log.messages().iter().all(|m| !m.contains("inactive: activating")));
        assert_eq!(master.calls().iter().filter(|c| *c == "start_lvsd").count(), 1, "no fail-back");
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn both_forced_active_the_backup_steps_down() {
    local(async {
        let port = free_port();
        let master = Node::start(Role::Primary, port, forced(fast()));
        let backup = Node::start(Role::Backup, port, forced(fast()));
        backup.wait_log("partner active: deactivating LVS").await;
        master.wait_log("partner active: resending arps").await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(master.active() && !backup.active());
        let calls = backup.calls();
        let stop = calls.iter().position(|c| c == "stop_lvsd").expect("backup stopped lvsd");
        assert_eq!(
            calls[stop - 3..=stop],
            ["inactive_cmd", "sync_daemon backup", "take_down_vips", "stop_lvsd"]
        );
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn terminate_deactivates_and_returns_0() {
    local(async {
        let port = free_port();
        let master = Node::start(Role::Primary, port, forced(fast()));
        master.wait_log("Forced active on startup: activating lvs").await;
        master.controls.send(Control::Reload(Rekey::Keep)).expect("loop alive");
        master.controls.send(Control::Terminate(15)).expect("loop alive");
        let Node { log, calls, task, .. } = master;
        assert_eq!(task.await.expect("loop finished"), 0);
        let master = (log, calls.lock().unwrap_or_else(PoisonError::into_inner).clone());
        assert!(master.0.contains("Terminating due to signal 15"));
        assert!(master.1.ends_with(&[
            "inactive_cmd".into(),
            "sync_daemon backup".into(),
            "take_down_vips".into(),
            "stop_lvsd".into()
        ]));
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn strangers_and_garbage_are_logged_and_ignored() {
    local(async {
        let port = free_port();
        let backup =
            Node::start(Role::Backup, port, Settings::new(Duration::from_millis(50), Duration::from_secs(5)));
        let stranger = std::net::UdpSocket::bind((ip("127.0.0.4"), 0)).expect("bind 127.0.0.4");
        let master = std::net::UdpSocket::bind((ip(MASTER_IP), port)).expect("bind master address");
        let to = SocketAddr::new(ip(BACKUP_IP), port);
        stranger.send_to(&heartbeat::Magic::Stopped.to_bytes(), to).expect("send");
        backup.wait_log("Unexpected heartbeat from 127.0.0.4").await;
        master.send_to(&[1, 2], to).expect("send");
        backup.wait_log("bad heartbeat packet").await;
        master.send_to(&heartbeat::Magic::FosStopped.to_bytes(), to).expect("send");
        backup.wait_log("Incompatible heartbeat received -- other system not using identical services").await;
        assert!(!backup.active());
        // a longer datagram starting with STOPPED is accepted, as by the original
        master.send_to(&[0xbd, 0xda, 0xbd, 0xad, 0, 0], to).expect("send");
        backup.wait_log("primary inactive: activating lvs").await;
    })
    .await;
}

fn key(text: &str) -> HeartbeatKey {
    HeartbeatKey::from_file_contents(text.as_bytes()).expect("valid key")
}

/// A forger on the master's address (another port: the source port is not
/// checked), as any host that can spoof one UDP datagram.
fn forger() -> std::net::UdpSocket {
    std::net::UdpSocket::bind((ip(MASTER_IP), 0)).expect("bind the master's address")
}

#[tokio::test(flavor = "current_thread")]
async fn plain_heartbeats_one_forged_stopped_makes_the_backup_take_over() {
    // The original's hole, kept in compatibility mode (documented in
    // docs/reliability.md): one spoofed STOPPED suffices.
    local(async {
        let port = free_port();
        let master = Node::start(Role::Primary, port, forced(sturdy()));
        let backup = Node::start(Role::Backup, port, sturdy());
        wait_for(|| master.active() && !backup.active(), "the master active, the backup not").await;
        forger()
            .send_to(&heartbeat::Magic::Stopped.to_bytes(), SocketAddr::new(ip(BACKUP_IP), port))
            .expect("send");
        backup.wait_log("primary inactive: activating lvs").await;
        // it took the VIPs while the master still holds them (the master's
        // next RUNNING makes it step down again: a flap from one datagram)
        assert!(backup.calls().iter().any(|c| c == "bring_up_vips"), "{:?}", backup.calls());
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn authenticated_heartbeats_keep_the_pair_and_reject_forgeries() {
    local(async {
        let port = free_port();
        let secret = key("a shared secret of 32 bytes.....");
        let master = Node::start_keyed(Role::Primary, port, forced(sturdy()), Some(secret.clone()));
        let backup = Node::start_keyed(Role::Backup, port, sturdy(), Some(secret));
        wait_for(|| master.active() && !backup.active(), "authenticated heartbeats flowing both ways").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(master.active() && !backup.active(), "the pair stays so");
        let to = SocketAddr::new(ip(BACKUP_IP), port);
        let forger = forger();
        let mark = backup.log.messages().len();
        // the original's STOPPED
        forger.send_to(&heartbeat::Magic::Stopped.to_bytes(), to).expect("send");
        backup.wait_log("heartbeat from 127.0.0.2 dropped: not authenticated").await;
        // sealed with a guessed key
        let mut guess = heartbeat::Sealer::new(key("not the shared secret"), ip(MASTER_IP));
        tokio::time::sleep(Duration::from_millis(1100)).await; // past the log limiter
        forger.send_to(&guess.seal(heartbeat::Magic::Stopped, pulse::auth::wall_clock()), to).expect("send");
        backup.wait_log("dropped: authentication failed").await;
        // a flood is logged at most once a second
        for _ in 0..200 {
            forger.send_to(&heartbeat::Magic::Stopped.to_bytes(), to).expect("send");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let dropped = backup.log.messages().iter().filter(|m| m.contains("dropped:")).count();
        assert!(dropped <= 3, "{dropped} lines for a flood: {:?}", backup.log.messages());
        assert!(master.active() && !backup.active(), "no forged takeover");
        let since: Vec<String> = backup.log.messages().split_off(mark);
        assert!(since.iter().all(|m| !m.contains("activating lvs")), "{since:?}");
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_keyed_router_ignores_a_plain_partner_and_sighup_switches_it() {
    local(async {
        let port = free_port();
        let master = Node::start(Role::Primary, port, forced(fast()));
        let backup = Node::start_keyed(Role::Backup, port, fast(), Some(key("0123456789abcdef")));
        // the plain master is unheard: the keyed backup declares it dead
        backup.wait_log("dropped: not authenticated").await;
        backup.wait_log("partner dead: activating lvs").await;
        // SIGHUP with heartbeat_key removed from lvs.cf: plain again, the
        // active master makes the backup step down
        backup.controls.send(Control::Reload(Rekey::Use(None))).expect("loop alive");
        backup.wait_log("heartbeat authentication off").await;
        backup.wait_log("partner active: deactivating LVS").await;
        assert!(master.active() && !backup.active());
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn garbage_from_a_dead_partners_address_does_not_keep_it_alive() {
    // A dropped datagram must not count as a heartbeat: before this was
    // fixed, the event loop delivered the previous event again after every
    // dropped datagram (or SIGHUP), so garbage or forgeries arriving after a
    // real RUNNING counted as more heartbeats from the partner.
    local(async {
        let port = free_port();
        let backup = Node::start(Role::Backup, port, fast());
        let master = std::net::UdpSocket::bind((ip(MASTER_IP), port)).expect("bind master address");
        let to = SocketAddr::new(ip(BACKUP_IP), port);
        master.send_to(&heartbeat::Magic::Running.to_bytes(), to).expect("send");
        backup.wait_log("DEBUG -- Received Heartbeat from partner").await;
        // the master is dead; only garbage from its address, every 10 ms
        for _ in 0..100 {
            master.send_to(&[1, 2], to).expect("send");
            tokio::time::sleep(Duration::from_millis(10)).await;
            if backup.log.contains("partner dead: activating lvs") {
                break;
            }
        }
        let messages = backup.log.messages();
        assert!(backup.log.contains("partner dead: activating lvs"), "{messages:?}");
        let heard = messages.iter().filter(|m| m.contains("Received Heartbeat from partner")).count();
        assert_eq!(heard, 1, "each dropped datagram counted as a heartbeat: {messages:?}");
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn heartbeat_copies_spread_over_the_keepalive() {
    local(async {
        let port = free_port();
        let partner = std::net::UdpSocket::bind((ip(MASTER_IP), port)).expect("bind master address");
        partner.set_nonblocking(true).expect("nonblocking");
        let settings = Settings::new(Duration::from_millis(300), Duration::from_secs(10));
        let backup = Node::start_with(Role::Backup, port, settings, None, 3);
        backup.wait_log("DEBUG -- Sending heartbeat...").await;
        let drain = |partner: &std::net::UdpSocket| {
            let mut buffer = [0u8; 64];
            let mut n = 0;
            while let Ok((len, _)) = partner.recv_from(&mut buffer) {
                assert_eq!(buffer[..len], heartbeat::Magic::Stopped.to_bytes(), "plain STOPPED copies");
                n += 1;
            }
            n
        };
        drain(&partner);
        let sends_before = backup.log.messages().iter().filter(|m| m.contains("Sending heartbeat")).count();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let copies = drain(&partner);
        let sends =
            backup.log.messages().iter().filter(|m| m.contains("Sending heartbeat")).count() - sends_before;
        // each of the machine's sends is followed by 2 copies, 100 ms apart
        assert!(sends >= 3, "{sends} sends in 1.5 s at keepalive 0.3 s");
        assert!(copies >= 3 * sends - 3 && copies <= 3 * sends + 3, "{copies} datagrams for {sends} sends");
    })
    .await;
}

/// The original, played by `tests/peer.py`.
struct Peer {
    lines: Arc<Mutex<Vec<String>>>,
    child: tokio::process::Child,
}

impl Peer {
    async fn start(role: &str, port: u16, extra: &[&str]) -> Peer {
        let (own, partner) = if role == "master" { (MASTER_IP, BACKUP_IP) } else { (BACKUP_IP, MASTER_IP) };
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peer.py");
        let mut child = tokio::process::Command::new("python3")
            .arg(script)
            .args(["--role", role, "--local", own, "--partner", partner, "--port", &port.to_string()])
            .args(["--keepalive", "0.1", "--deadtime", "0.5"])
            .args(extra)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 runs");
        let stdout = child.stdout.take().expect("piped stdout");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        tokio::task::spawn_local(async move {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                sink.lock().unwrap_or_else(PoisonError::into_inner).push(line);
            }
        });
        let peer = Peer { lines, child };
        peer.wait_line("STARTING PULSE AS").await;
        peer
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn has(&self, text: &str) -> bool {
        self.lines().iter().any(|l| l.contains(text))
    }

    async fn wait_line(&self, text: &str) {
        wait_for(|| self.has(text), &format!("peer line {text:?}; have {:?}", self.lines())).await;
    }
}

fn peer_timers() -> Settings {
    Settings::new(Duration::from_millis(100), Duration::from_millis(500))
}

#[tokio::test(flavor = "current_thread")]
async fn original_master_falls_silent_our_backup_takes_over() {
    local(async {
        let port = free_port();
        let mut peer = Peer::start("master", port, &["--forceactive", "--lifetime", "1.0"]).await;
        let backup = Node::start(Role::Backup, port, peer_timers());
        backup.wait_log("DEBUG -- Received Heartbeat from partner").await;
        peer.child.wait().await.expect("peer exits");
        assert!(
            !backup.active(),
            "inactive while the original master was alive: {:?}",
            backup.log.messages()
        );
        assert!(peer.has("recv STOPPED"), "our STOPPED reached the original: {:?}", peer.lines());
        backup.wait_log("partner dead: activating lvs").await;
        assert!(backup.active());
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn original_master_says_stopped_our_backup_activates() {
    local(async {
        let port = free_port();
        let peer = Peer::start("master", port, &["--childfail", "--lifetime", "2.0"]).await;
        let backup = Node::start(Role::Backup, port, peer_timers());
        backup.wait_log("primary inactive: activating lvs").await;
        peer.wait_line("recv RUNNING").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(backup.active());
        // the original hears RUNNING and stays inactive (no fail-back)
        assert!(!peer.has("activating lvs"), "{:?}", peer.lines());
        let sent: Vec<_> = peer.lines().into_iter().filter(|l| l.starts_with("send ")).collect();
        assert!(sent.iter().all(|l| l == "send STOPPED"), "{sent:?}");
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn our_active_master_makes_the_original_backup_step_down() {
    local(async {
        let port = free_port();
        let peer = Peer::start("backup", port, &["--forceactive", "--lifetime", "2.0"]).await;
        let master = Node::start(Role::Primary, port, forced(peer_timers()));
        peer.wait_line("partner active: deactivating LVS").await;
        master.wait_log("partner active: resending arps").await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(master.active());
        let lines = peer.lines();
        let stepped =
            lines.iter().position(|l| l == "partner active: deactivating LVS").expect("stepped down");
        // one RUNNING right before stepping down, STOPPED from then on
        assert_eq!(lines[stepped - 1], "send RUNNING");
        let later: Vec<_> = lines[stepped + 1..].iter().filter(|l| l.starts_with("send ")).collect();
        assert!(!later.is_empty() && later.iter().all(|l| *l == "send STOPPED"), "{later:?}");
        let calls = master.calls();
        assert_eq!(calls.iter().filter(|c| *c == "stop_lvsd").count(), 0);
        assert!(calls.ends_with(&["active_cmd".into(), "bring_up_vips".into(), "send_arps".into()]));
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn original_active_master_makes_our_backup_step_down() {
    local(async {
        let port = free_port();
        let peer = Peer::start("master", port, &["--forceactive", "--lifetime", "2.0"]).await;
        let backup = Node::start(Role::Backup, port, forced(peer_timers()));
        backup.wait_log("partner active: deactivating LVS").await;
        // our one RUNNING made the original re-ARP, and it stays active
        peer.wait_line("partner active: resending arps").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!backup.active());
        assert!(!peer.has("deactivating"));
    })
    .await;
}

/// Two nodes whose boards publish what the status socket would answer.
#[tokio::test(flavor = "current_thread")]
async fn the_status_board_shows_state_partner_heard_and_lvsd() {
    use status::model::{DaemonStatus, LvsdMode, PulseStatus, RouterRole, RouterState};
    use tokio::sync::watch;

    fn start(role: Role, port: u16) -> watch::Receiver<DaemonStatus> {
        let (own, partner) = match role {
            Role::Primary => (MASTER_IP, BACKUP_IP),
            Role::Backup => (BACKUP_IP, MASTER_IP),
        };
        let channels = Channels {
            own_public: SocketAddr::new(ip(own), port),
            own_private: None,
            partner_public: SocketAddr::new(ip(partner), port),
            partner_private: None,
        };
        let sockets = HeartbeatSockets::bind(channels).expect("bind loopback heartbeat socket");
        let log = Logger::builder(Identity::pulse()).memory(&MemoryLog::new()).build();
        let (publisher, status) = watch::channel(DaemonStatus::Pulse(PulseStatus {
            role: RouterRole::Primary,
            state: RouterState::Inactive,
            state_since: 0.0,
            address: ip("0.0.0.0"),
            link_failed: false,
            partner: None,
            vips: vec![],
            lvsd: None,
        }));
        let mut board =
            pulse::status::StatusBoard::new(ip(own), Some(ip(partner)), std::time::SystemTime::now())
                .with_publisher(publisher);
        tokio::task::spawn_local(async move {
            let (_controls, mut receiver) = mpsc::unbounded_channel();
            let mut router = RecordingRouter::new();
            let mut machine = Machine::new(role, fast());
            let mut heartbeats = Heartbeats::new(sockets.channels(), None);
            pulse::run_with_status(
                &mut machine,
                &sockets,
                &mut heartbeats,
                &mut router,
                &log,
                &mut receiver,
                &mut board,
            )
            .await
        });
        status
    }

    fn pulse_status(rx: &watch::Receiver<DaemonStatus>) -> PulseStatus {
        match &*rx.borrow() {
            DaemonStatus::Pulse(s) => s.clone(),
            DaemonStatus::Lvsd(_) => panic!("pulse publishes pulse status"),
        }
    }

    local(async {
        let port = free_port();
        let master = start(Role::Primary, port);
        let backup = start(Role::Backup, port);
        let settled = |rx: &watch::Receiver<DaemonStatus>, state: RouterState, partner_state: RouterState| {
            let s = pulse_status(rx);
            s.state == state
                && s.partner
                    .as_ref()
                    .is_some_and(|p| p.last_state == Some(partner_state) && p.last_heard.is_some())
        };
        wait_for(
            || settled(&master, RouterState::Active, RouterState::Inactive),
            "master active, backup heard",
        )
        .await;
        wait_for(
            || settled(&backup, RouterState::Inactive, RouterState::Active),
            "backup inactive, master heard",
        )
        .await;
        let m = pulse_status(&master);
        assert_eq!((m.role, m.address), (RouterRole::Primary, ip(MASTER_IP)));
        assert_eq!(m.lvsd.map(|l| l.mode), Some(LvsdMode::Active), "the recording router's lvsd");
        assert_eq!(m.partner.map(|p| p.address), Some(ip(BACKUP_IP)));
        let b = pulse_status(&backup);
        assert_eq!((b.role, b.lvsd), (RouterRole::Backup, None));
        assert!(b.state_since <= m.state_since + 1.0);
    })
    .await;
}
