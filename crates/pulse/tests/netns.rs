//! The `pulse` binary end to end in network namespaces (root only; each
//! test skips, passing, when not root or without `ip netns`): two routers
//! joined by a veth fail over a VIP and announce it with gratuitous ARP;
//! `--test-start` changes nothing; `monitor_links` gives up the active role
//! when the link goes.
//!
//! lvsd needs IPVS, which the CI kernel lacks: a shell script that sleeps
//! stands in for it.

#[path = "../../netif/tests/lab/mod.rs"]
mod lab;

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use lab::Lab;
use netif::{ArpPacket, PacketSocket};
use nix::sched::{CloneFlags, setns};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

const BIN: &str = env!("CARGO_BIN_EXE_pulse");
const VIP: &str = "10.77.0.100";
const PORT: u16 = 1539;

/// Polls `condition` every 50 ms until it holds or `limit` passes.
fn wait_for(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if condition() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A scratch directory with the lvs.cf files and the lvsd stand-in.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "pulse-netns-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("scratch directory");
        Scratch(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write scratch file");
        path
    }

    /// An executable lvsd stand-in: touches `marker`, then sleeps (and dies
    /// of the SIGTERM pulse sends it).
    fn lvsd(&self, marker: &Path) -> PathBuf {
        let path = self.write(
            "lvsd",
            &format!("#!/bin/sh\necho \"$@\" > {}\nexec sleep 120 >/dev/null 2>&1\n", marker.display()),
        );
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// lvs.cf for a pair (`backup_active = 1`) or a lone primary.
fn lvs_cf(device: &str, pair: bool, monitor_links: bool) -> String {
    format!(
        "serial_no = 1\nprimary = {primary}\nservice = lvs\nbackup_active = {pair}\nbackup = {backup}\n\
         heartbeat = 1\nheartbeat_port = {PORT}\nkeepalive = 0.2\ndeadtime = 1\nnetwork = direct\n\
         monitor_links = {links}\n\
         virtual web {{\n\tactive = 1\n\taddress = {VIP} {device}:1\n\tvip_nmask = 255.255.255.0\n\
         \tport = 80\n\tscheduler = wlc\n\tserver one {{\n\t\taddress = 10.77.0.50\n\t\tactive = 1\n\t}}\n}}\n",
        primary = lab::ROUTER_IP,
        backup = lab::PEER_IP,
        pair = u8::from(pair),
        links = u8::from(monitor_links),
    )
}

fn argv(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// A `pulse -n` running in a namespace, its stdout collected line by line.
struct Pulse {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    reader: Option<JoinHandle<()>>,
}

impl Pulse {
    fn start(namespace: &str, args: &[&str]) -> Pulse {
        let mut child = Command::new("ip")
            .args(["netns", "exec", namespace, BIN, "-n"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start pulse");
        let stdout = child.stdout.take().expect("piped stdout");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                sink.lock().unwrap_or_else(PoisonError::into_inner).push(line);
            }
        });
        Pulse { child, lines, reader: Some(reader) }
    }

    /// pulse keeps CAP_NET_ADMIN, CAP_NET_RAW and CAP_NET_BIND_SERVICE (of
    /// those the test holds: all of them as root) and leaves its bounding set
    /// as it was, for `active_cmd`.
    fn holds_only_its_three_capabilities(&self) {
        use daemon::privilege::{Capability, CapsHashSet, Names, Sets};
        // `ip netns exec` execs pulse in place: same pid.
        let pid = self.child.id();
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).expect("exe");
        assert_eq!(exe, std::fs::canonicalize(BIN).expect("bin"), "pid {pid} is pulse");
        let ours = Sets::current().expect("the test's sets");
        let sets = Sets::of_process(pid).expect("pulse's sets");
        let wanted: CapsHashSet =
            [Capability::CAP_NET_ADMIN, Capability::CAP_NET_RAW, Capability::CAP_NET_BIND_SERVICE].into();
        let expected: CapsHashSet = ours.permitted.intersection(&wanted).copied().collect();
        assert_eq!(sets.effective, expected, "effective: {}", Names(&sets.effective));
        assert_eq!(sets.permitted, expected, "permitted: {}", Names(&sets.permitted));
        assert!(sets.ambient.is_subset(&expected), "ambient: {}", Names(&sets.ambient));
        assert_eq!(sets.bounding, ours.bounding, "the bounding set is left to the service manager");
        assert!(!sets.no_new_privs, "active_cmd may run set-user-ID programs");
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn logged(&self, text: &str) -> bool {
        self.lines().iter().any(|l| l == &format!("pulse: {text}"))
    }

    fn wait_logged(&self, text: &str, limit: Duration) {
        assert!(wait_for(limit, || self.logged(text)), "no `{text}` within {limit:?}: {:#?}", self.lines());
    }

    fn signal(&self, signal: Signal) {
        let pid = i32::try_from(self.child.id()).expect("pid fits");
        kill(Pid::from_raw(pid), signal).expect("signal pulse");
    }

    /// Waits up to `limit` for the process to exit.
    fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let mut status = None;
        wait_for(limit, || {
            status = self.child.try_wait().expect("try_wait");
            status.is_some()
        });
        let status =
            status.unwrap_or_else(|| panic!("pulse still runs after {limit:?}: {:#?}", self.lines()));
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        status
    }
}

impl Drop for Pulse {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Kills whatever still runs in the lab's namespaces (an lvsd stand-in
/// orphaned by a SIGKILLed pulse) before the namespaces go.
struct Reaper<'a>(&'a Lab);

impl Drop for Reaper<'_> {
    fn drop(&mut self) {
        for namespace in [&self.0.router, &self.0.peer] {
            let Ok(out) = Command::new("ip").args(["netns", "pids", namespace]).output() else { continue };
            for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                if let Ok(pid) = pid.parse::<i32>() {
                    let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
                }
            }
        }
    }
}

/// Gratuitous ARPs for [`VIP`] arriving at one interface, captured in the
/// background until dropped.
struct Capture {
    stop: Arc<AtomicBool>,
    senders: Arc<Mutex<Vec<[u8; 6]>>>,
    thread: Option<JoinHandle<()>>,
}

impl Capture {
    fn start(namespace: &str, interface: &str) -> Capture {
        let stop = Arc::new(AtomicBool::new(false));
        let senders = Arc::new(Mutex::new(Vec::new()));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (namespace, interface) = (namespace.to_owned(), interface.to_owned());
        let (stop_flag, sink) = (Arc::clone(&stop), Arc::clone(&senders));
        let thread = std::thread::spawn(move || {
            let ns = File::open(format!("/run/netns/{namespace}")).expect("open netns");
            setns(ns, CloneFlags::CLONE_NEWNET).expect("setns");
            let index = netif::interface_index(&interface).expect("capture interface");
            let socket = PacketSocket::arp_receiver(index).expect("AF_PACKET receiver");
            socket.set_read_timeout(Duration::from_millis(100)).expect("read timeout");
            ready_tx.send(()).expect("test waits");
            let vip: Ipv4Addr = VIP.parse().expect("literal");
            let mut buf = [0u8; 2048];
            while !stop_flag.load(Ordering::Relaxed) {
                if let Ok(n) = socket.recv(&mut buf)
                    && let Ok(packet) = ArpPacket::parse(&buf[..n])
                    && packet.sender_ip == vip
                    && packet.target_ip == vip
                {
                    sink.lock().unwrap_or_else(PoisonError::into_inner).push(packet.sender_mac.octets());
                }
            }
        });
        ready_rx.recv_timeout(Duration::from_secs(10)).expect("capture ready");
        Capture { stop, senders, thread: Some(thread) }
    }

    fn seen_from(&self, mac: [u8; 6]) -> bool {
        self.senders.lock().unwrap_or_else(PoisonError::into_inner).contains(&mac)
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn mac_of(lab: &Lab, namespace: &str, interface: &str) -> [u8; 6] {
    let out = lab.ip(namespace, &["link", "show", "dev", interface]);
    let text = out.split_whitespace().skip_while(|w| *w != "link/ether").nth(1).expect("link/ether");
    let mut mac = [0u8; 6];
    for (byte, hex) in mac.iter_mut().zip(text.split(':')) {
        *byte = u8::from_str_radix(hex, 16).expect("hex MAC");
    }
    mac
}

/// Whether `ip -4 addr show` in `namespace` lists the VIP with label `label`.
fn holds_vip(lab: &Lab, namespace: &str, label: &str) -> bool {
    lab.ip(namespace, &["-4", "addr", "show"])
        .lines()
        .any(|l| l.contains(&format!("inet {VIP}/24")) && l.trim_end().ends_with(label))
}

#[test]
fn spec_2_5_failover_moves_the_vip_and_announces_it() {
    let Some(lab) = Lab::new() else { return };
    let _reaper = Reaper(&lab);
    let scratch = Scratch::new();
    let (router_label, peer_label) = (format!("{}:1", lab.router_if), format!("{}:1", lab.peer_if));
    let master_cf = scratch.write("master.cf", &lvs_cf(&lab.router_if, true, false));
    let backup_cf = scratch.write("backup.cf", &lvs_cf(&lab.peer_if, true, false));
    let lvsd = scratch.lvsd(&scratch.0.join("lvsd-ran"));
    let lvsd_arg = format!("--lvsd={}", lvsd.display());
    let args = |cf: &Path| vec!["-c".to_owned(), cf.display().to_string(), lvsd_arg.clone()];
    let (master_args, backup_args) = (args(&master_cf), args(&backup_cf));

    // The primary alone: its partner is dead after deadtime, it takes over.
    let on_peer = Capture::start(&lab.peer, &lab.peer_if);
    let mut master = Pulse::start(&lab.router, &argv(&master_args));
    master.wait_logged("STARTING PULSE AS MASTER", Duration::from_secs(10));
    master.wait_logged("partner dead: activating lvs", Duration::from_secs(10));
    assert!(
        wait_for(Duration::from_secs(10), || holds_vip(&lab, &lab.router, &router_label)),
        "{:#?}",
        lab.ip(&lab.router, &["-4", "addr", "show"])
    );
    let router_mac = mac_of(&lab, &lab.router, &lab.router_if);
    assert!(
        wait_for(Duration::from_secs(10), || on_peer.seen_from(router_mac)),
        "no gratuitous ARP from the master"
    );
    master.wait_logged("gratuitous lvs arps finished", Duration::from_secs(15));
    drop(on_peer);

    // The backup joins, hears RUNNING and stays inactive.
    let mut backup = Pulse::start(&lab.peer, &argv(&backup_args));
    backup.wait_logged("STARTING PULSE AS BACKUP", Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!holds_vip(&lab, &lab.peer, &peer_label), "{:#?}", backup.lines());
    assert!(!backup.logged("partner dead: activating lvs"), "{:#?}", backup.lines());

    // The primary dies without a word: the backup takes over after deadtime.
    let on_router = Capture::start(&lab.router, &lab.router_if);
    master.signal(Signal::SIGKILL);
    master.wait_exit(Duration::from_secs(10));
    backup.wait_logged("partner dead: activating lvs", Duration::from_secs(10));
    assert!(
        wait_for(Duration::from_secs(10), || holds_vip(&lab, &lab.peer, &peer_label)),
        "{:#?}",
        lab.ip(&lab.peer, &["-4", "addr", "show"])
    );
    let peer_mac = mac_of(&lab, &lab.peer, &lab.peer_if);
    assert!(
        wait_for(Duration::from_secs(10), || on_router.seen_from(peer_mac)),
        "no gratuitous ARP from the backup"
    );
    drop(on_router);

    // SIGTERM: release, exit 0.
    backup.signal(Signal::SIGTERM);
    let status = backup.wait_exit(Duration::from_secs(40));
    assert_eq!(status.code(), Some(0), "{:#?}", backup.lines());
    assert!(backup.logged("Terminating due to signal 15"), "{:#?}", backup.lines());
    assert!(!holds_vip(&lab, &lab.peer, &peer_label), "{}", lab.ip(&lab.peer, &["-4", "addr", "show"]));
    // Only the address went: the NIC is up.
    assert!(lab.ip(&lab.peer, &["link", "show", "dev", &lab.peer_if]).contains("state UP"));
}

#[test]
fn spec_8_18_test_start_changes_nothing() {
    let Some(lab) = Lab::new() else { return };
    let _reaper = Reaper(&lab);
    let scratch = Scratch::new();
    let cf = scratch.write("lvs.cf", &lvs_cf(&lab.router_if, false, false));
    let marker = scratch.0.join("lvsd-ran");
    let lvsd = scratch.lvsd(&marker);
    let before = lab.ip(&lab.router, &["-4", "addr", "show"]);
    let cf_arg = cf.display().to_string();
    let lvsd_arg = format!("--lvsd={}", lvsd.display());
    let mut pulse = Pulse::start(&lab.router, &["-c", &cf_arg, &lvsd_arg, "--test-start"]);
    pulse.wait_logged("partner dead: activating lvs", Duration::from_secs(10));
    pulse.holds_only_its_three_capabilities();
    pulse.wait_logged(
        &format!("--test-start: not adding {VIP}/24 on {}:1", lab.router_if),
        Duration::from_secs(10),
    );
    assert!(
        pulse.lines().iter().any(|l| l.starts_with("pulse: --test-start: not starting ")),
        "{:#?}",
        pulse.lines()
    );
    pulse.signal(Signal::SIGTERM);
    assert_eq!(pulse.wait_exit(Duration::from_secs(20)).code(), Some(0), "{:#?}", pulse.lines());
    assert_eq!(lab.ip(&lab.router, &["-4", "addr", "show"]), before);
    assert!(!marker.exists(), "lvsd was started");
    assert!(!pulse.logged(pulse::vips::ARPS_FINISHED), "{:#?}", pulse.lines());
}

#[test]
fn spec_2_11_monitor_links_gives_up_the_active_role() {
    let Some(lab) = Lab::new() else { return };
    let _reaper = Reaper(&lab);
    let scratch = Scratch::new();
    let cf = scratch.write("lvs.cf", &lvs_cf(&lab.router_if, true, true));
    let lvsd = scratch.lvsd(&scratch.0.join("lvsd-ran"));
    let cf_arg = cf.display().to_string();
    let lvsd_arg = format!("--lvsd={}", lvsd.display());
    let label = format!("{}:1", lab.router_if);
    let mut pulse = Pulse::start(&lab.router, &["-c", &cf_arg, &lvsd_arg]);
    pulse.wait_logged("partner dead: activating lvs", Duration::from_secs(10));
    assert!(wait_for(Duration::from_secs(10), || holds_vip(&lab, &lab.router, &label)));

    lab.ip(&lab.peer, &["link", "set", &lab.peer_if, "down"]);
    pulse.wait_logged("Primary NIC: link down", Duration::from_secs(10));
    pulse.wait_logged("Local NIC link failure: Pulse disabled", Duration::from_secs(10));
    pulse.wait_logged("local link failure: deactivating LVS", Duration::from_secs(10));
    assert!(wait_for(Duration::from_secs(10), || !holds_vip(&lab, &lab.router, &label)));

    lab.ip(&lab.peer, &["link", "set", &lab.peer_if, "up"]);
    pulse.wait_logged("Local NIC link(s) restored: Pulse enabled", Duration::from_secs(10));
    pulse.signal(Signal::SIGTERM);
    assert_eq!(pulse.wait_exit(Duration::from_secs(40)).code(), Some(0), "{:#?}", pulse.lines());
}
