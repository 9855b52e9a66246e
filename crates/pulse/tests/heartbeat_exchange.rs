//! pulse's event loop over real UDP sockets on loopback addresses
//! (127.0.0.2 and 127.0.0.3 are local on Linux), with short timers:
//! two of our nodes against each other, and one of ours against a Python
//! peer speaking the original protocol byte for byte (`tests/peer.py`).

use std::net::{IpAddr, SocketAddr};
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use daemon::log::{Identity, Logger, MemoryLog};
use heartbeat::{ChildExit, Machine, Role, Settings};
use pulse::{Channels, Control, HeartbeatSockets, RecordingRouter};
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
        let memory = MemoryLog::new();
        let log = Logger::builder(Identity::pulse()).verbose(true).memory(&memory).build();
        let mut router = RecordingRouter::new();
        let calls = router.calls();
        let kill_lvsd = router.lvsd_killer();
        let (controls, mut receiver) = mpsc::unbounded_channel();
        let task = tokio::task::spawn_local(async move {
            let mut machine = Machine::new(role, settings);
            pulse::run(&mut machine, &sockets, &mut router, &log, &mut receiver).await
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
            calls[stop - 2..=stop + 1],
            ["inactive_cmd", "sync_daemon backup", "stop_lvsd", "take_down_vips"]
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
        master.controls.send(Control::Reload).expect("loop alive");
        master.controls.send(Control::Terminate(15)).expect("loop alive");
        let Node { log, calls, task, .. } = master;
        assert_eq!(task.await.expect("loop finished"), 0);
        let master = (log, calls.lock().unwrap_or_else(PoisonError::into_inner).clone());
        assert!(master.0.contains("Terminating due to signal 15"));
        assert!(master.1.ends_with(&[
            "inactive_cmd".into(),
            "sync_daemon backup".into(),
            "stop_lvsd".into(),
            "take_down_vips".into()
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
            pulse::run_with_status(&mut machine, &sockets, &mut router, &log, &mut receiver, &mut board).await
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
