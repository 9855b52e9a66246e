//! The event loop against the in-memory kernel and a scripted nanny.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;

use daemon::log::{Identity, MemoryLog};
use ipvs::fake::FakeKernel;

use super::*;

const CONFIG: &str = "primary = 192.0.2.1
virtual www {
 active = 1
 address = 192.0.2.10 eth0:1
 sorry_server = 10.0.0.99
 server a {
  address = 10.0.0.1
  active = 1
  weight = 5
 }
 server b {
  address = 10.0.0.2
  active = 1
  weight = 5
 }
}
";

/// A stand-in for nanny: a shell script that reads the server lines and
/// answers from a script of report lines.
fn fake_nanny(dir: &std::path::Path, body: &str) -> PathBuf {
    let path = dir.join("nanny");
    let mut f = std::fs::File::create(&path).expect("create script");
    writeln!(f, "#!/bin/sh\n{body}").expect("write script");
    drop(f);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lvsd-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn settings(dir: &std::path::Path, nanny: PathBuf) -> Settings {
    let config_path = dir.join("lvs.cf");
    std::fs::write(&config_path, CONFIG).expect("write config");
    Settings { config_path, verbose: false, test_start: false, nanny, standby: false }
}

/// What every test needs: a scratch directory with lvs.cf and a scripted
/// nanny, an empty fake kernel and a logger that keeps its lines.
struct Fixture {
    settings: Settings,
    kernel: FakeKernel,
    memory: MemoryLog,
    log: Logger,
}

fn fixture(name: &str, nanny_script: &str) -> Fixture {
    let dir = temp_dir(name);
    let nanny = fake_nanny(&dir, nanny_script);
    let memory = MemoryLog::new();
    let log = Logger::builder(Identity::lvsd()).memory(&memory).build();
    Fixture { settings: settings(&dir, nanny), kernel: FakeKernel::default(), memory, log }
}

fn config() -> Config {
    lvs_config::parse(CONFIG).expect("valid").config
}

async fn wait_for(
    lvsd: &mut Lvsd<'_>,
    rx: &mut mpsc::UnboundedReceiver<SignalEvent>,
    until: impl Fn(&Table) -> bool,
) {
    wait_for_state(lvsd, rx, |l| until(l.applied())).await;
}

/// Runs the worker side of the loop until `until` holds for lvsd.
async fn wait_for_state(
    lvsd: &mut Lvsd<'_>,
    rx: &mut mpsc::UnboundedReceiver<SignalEvent>,
    until: impl Fn(&Lvsd<'_>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !until(lvsd) {
        assert!(Instant::now() < deadline, "timed out; table:\n{}", lvsd.applied().to_rules());
        tokio::select! {
            Some(event) = lvsd.events_rx.recv() => { lvsd.on_worker_events(event).await; }
            Some((k, g)) = lvsd.restart_rx.recv() => lvsd.on_restart(k, g).await,
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            _ = rx.recv() => {}
        }
    }
}

#[tokio::test]
async fn servers_enter_when_nanny_says_up_and_shutdown_removes_services() {
    // Servers get ids 1 and 2 in file order.
    let Fixture { settings, mut kernel, memory, log } = fixture(
        "up",
        "read a; read b; echo 'probe 1 ok'; echo 'up 1 5'; echo 'probe 2 fail CONNECT to 10.0.0.2:80 timed out'; exec sleep 600",
    );
    let (_tx, mut rx) = mpsc::unbounded_channel();
    {
        let mut lvsd = Lvsd::new(settings, config(), &mut kernel, log);
        lvsd.start().await;
        assert!(memory.contains("starting virtual service www active: 80"));
        assert!(memory.contains("create_monitor for www/a running as pid"));
        wait_for(&mut lvsd, &mut rx, |t| t.to_rules().contains("10.0.0.1")).await;
        assert_eq!(
            lvsd.applied().to_rules(),
            "-A -t 192.0.2.10:80 -s wlc\n-a -t 192.0.2.10:80 -r 10.0.0.1:80 -m -w 5\n"
        );
        lvsd.shutdown().await;
    }
    assert!(memory.contains("shutting down virtual service www"));
    assert!(kernel.snapshot().expect("fake").services.is_empty());
}

#[tokio::test]
async fn sorry_server_when_every_server_fails_its_first_probe() {
    let Fixture { settings, mut kernel, memory, log } =
        fixture("sorry", "read a; read b; echo 'probe 1 fail x'; echo 'probe 2 fail y'; exec sleep 600");
    let (_tx, mut rx) = mpsc::unbounded_channel();
    let mut lvsd = Lvsd::new(settings, config(), &mut kernel, log);
    lvsd.start().await;
    wait_for(&mut lvsd, &mut rx, |t| t.to_rules().contains("10.0.0.99")).await;
    assert!(memory.contains("Virtual Server www: No real servers; activate sorry_server 10.0.0.99"));
    lvsd.shutdown().await;
}

#[tokio::test]
async fn a_dead_nanny_is_restarted_and_the_table_is_untouched() {
    // First run: say up, then die. Later runs: say up and stay.
    let marker = temp_dir("restart").join("ran-once");
    let body = format!(
        "read a; read b; echo 'up 1 5'; if [ -e {m} ]; then exec sleep 600; fi; touch {m}; exit 3",
        m = marker.display()
    );
    let Fixture { settings, mut kernel, memory, log } = fixture("restart", &body);
    let (_tx, mut rx) = mpsc::unbounded_channel();
    let mut lvsd = Lvsd::new(settings, config(), &mut kernel, log);
    lvsd.start().await;
    wait_for(&mut lvsd, &mut rx, |t| t.to_rules().contains("10.0.0.1")).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while memory.messages().iter().filter(|m| m.starts_with("create_monitor for www/a")).nth(1).is_none() {
        assert!(Instant::now() < deadline, "not restarted: {:?}", memory.messages());
        tokio::select! {
            Some(event) = lvsd.events_rx.recv() => { assert!(lvsd.on_worker_events(event).await); }
            Some((k, g)) = lvsd.restart_rx.recv() => lvsd.on_restart(k, g).await,
            _ = rx.recv() => {}
        }
    }
    assert!(memory.contains("nanny for virtual service www exited"));
    assert!(lvsd.applied().to_rules().contains("-r 10.0.0.1:80 -m -w 5"), "table kept");
    lvsd.shutdown().await;
}

#[tokio::test]
async fn reload_applies_only_the_difference_and_a_bad_file_keeps_the_running_config() {
    let Fixture { settings, mut kernel, memory, log } =
        fixture("reload", "read a; read b; echo 'up 1 5'; echo 'up 2 5'; exec cat >/dev/null");
    let path = settings.config_path.clone();
    let (_tx, mut rx) = mpsc::unbounded_channel();
    let mut lvsd = Lvsd::new(settings, config(), &mut kernel, log);
    lvsd.start().await;
    wait_for(&mut lvsd, &mut rx, |t| t.to_rules().contains("10.0.0.2")).await;
    let before = lvsd.applied().clone();

    std::fs::write(&path, "primary = 192.0.2.1\nvirtual www {\n port=80\n}\n").expect("write bad config");
    lvsd.reload().await;
    assert!(memory.contains(&format!("lvs: error parsing {} on line 3.", path.display())));
    assert_eq!(lvsd.applied(), &before, "bad file: nothing changed");

    std::fs::write(&path, CONFIG.replacen("weight = 5", "weight = 2", 1)).expect("write config");
    lvsd.reload().await;
    assert!(memory.contains("rereading configuration file"));
    let ops = plan(lvsd.applied(), &before);
    assert_eq!(
        ops.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["-e -t 192.0.2.10:80 -r 10.0.0.1:80 -m -w 2"]
    );
    lvsd.shutdown().await;
}

fn health_of(lvsd: &Lvsd<'_>, id: u32) -> Health {
    lvsd.controller().services[0].servers.iter().find(|x| x.id == id).map_or(Health::Unknown, |x| x.health)
}

#[tokio::test]
async fn a_standby_probes_but_leaves_the_kernel_alone_until_activated() {
    let Fixture { mut settings, mut kernel, memory, log } = fixture(
        "standby",
        "read a; read b; echo 'probe 1 ok'; echo 'up 1 5'; echo 'probe 2 fail refused'; exec sleep 600",
    );
    settings.standby = true;
    let (_tx, mut rx) = mpsc::unbounded_channel();
    {
        let mut lvsd = Lvsd::new(settings, config(), &mut kernel, log);
        lvsd.start().await;
        assert!(lvsd.is_standby());
        assert!(memory.contains("standby: monitoring the real servers"));
        assert!(memory.contains("create_monitor for www/b running as pid"));
        wait_for_state(&mut lvsd, &mut rx, |l| {
            health_of(l, 1) == Health::Up { weight: 5 } && health_of(l, 2) == Health::Down
        })
        .await;
        assert!(lvsd.applied().services.is_empty(), "standby: nothing applied");

        lvsd.activate();
        assert!(!lvsd.is_standby());
        let line = memory.messages().into_iter().find(|m| m.starts_with("takeover:")).expect("takeover line");
        assert!(
            line.starts_with(
                "takeover: IPVS table programmed from known health (1 of 2 real servers up), 2 changes in"
            ) && line.ends_with(" ms (planned against the table read in standby)"),
            "{line}"
        );
        assert!(memory.contains("starting virtual service www active: 80"));
        assert_eq!(
            lvsd.applied().to_rules(),
            "-A -t 192.0.2.10:80 -s wlc\n-a -t 192.0.2.10:80 -r 10.0.0.1:80 -m -w 5\n"
        );
        lvsd.shutdown().await;
    }
    assert!(kernel.snapshot().expect("fake").services.is_empty());
}

#[tokio::test]
async fn a_takeover_whose_table_changed_since_standby_read_it_reads_it_and_converges() {
    let Fixture { mut settings, mut kernel, memory, log } =
        fixture("changed", "read a; read b; echo 'up 1 5'; echo 'up 2 5'; exec sleep 600");
    settings.standby = true;
    // The kernel refuses the batch's first change, as it would a service
    // someone added by hand since the standby read the table.
    kernel.fail_op(0, ipvs::Errno::EEXIST);
    let (_tx, mut rx) = mpsc::unbounded_channel();
    {
        let mut lvsd = Lvsd::new(settings, config(), &mut kernel, log);
        lvsd.start().await;
        wait_for_state(&mut lvsd, &mut rx, |l| {
            health_of(l, 1) == Health::Up { weight: 5 } && health_of(l, 2) == Health::Up { weight: 5 }
        })
        .await;
        lvsd.activate();
        let line = memory.messages().into_iter().find(|m| m.starts_with("takeover:")).expect("takeover line");
        assert!(line.ends_with(" ms reading the kernel's table)"), "{line}");
        assert!(
            !memory.contains("ipvsadm failed"),
            "the refused batch is not an error: {:?}",
            memory.messages()
        );
        assert_eq!(
            lvsd.applied().to_rules(),
            "-A -t 192.0.2.10:80 -s wlc\n-a -t 192.0.2.10:80 -r 10.0.0.1:80 -m -w 5\n\
             -a -t 192.0.2.10:80 -r 10.0.0.2:80 -m -w 5\n"
        );
        lvsd.shutdown().await;
    }
    // The refused service was added by the second try, once.
    let added: Vec<String> =
        kernel.log().iter().filter(|op| matches!(op, Op::AddService(_))).map(ToString::to_string).collect();
    assert_eq!(added, ["-A -t 192.0.2.10:80 -s wlc"]);
}

#[tokio::test]
async fn a_standby_whose_kernel_is_untouched_exits_when_pulse_goes_away() {
    let Fixture { mut settings, mut kernel, memory, log } =
        fixture("orphan", "read a; read b; echo 'up 1 5'; exec sleep 600");
    settings.standby = true;
    // Something lvsd does not own, to show the standby never touched the kernel.
    kernel
        .apply(&[Op::AddService(ipvs::Service::new(
            ServiceKey::Fwmark { family: ipvs::AddressFamily::Inet, mark: 9 },
            ipvs::Scheduler::Wlc,
        ))])
        .expect("fake");
    let before = kernel.snapshot().expect("fake");
    let (commands, standby_rx) = mpsc::unbounded_channel();
    let (_signals, mut rx) = mpsc::unbounded_channel();
    {
        let mut lvsd = Lvsd::new(settings, config(), &mut kernel, log).with_standby_commands(standby_rx);
        lvsd.start().await;
        commands.send(Standby::Orphaned).expect("lvsd listens");
        let outcome = tokio::time::timeout(Duration::from_secs(20), lvsd.run(&mut rx)).await;
        assert_eq!(outcome.expect("exits"), Outcome::Stopped);
    }
    assert!(memory.contains("standby: pulse has gone away; exiting"));
    assert_eq!(kernel.snapshot().expect("fake"), before);
}

#[tokio::test]
async fn an_active_lvsd_outlives_pulse_and_activates_on_command() {
    let Fixture { mut settings, mut kernel, memory, log } =
        fixture("outlive", "read a; read b; echo 'up 1 5'; echo 'up 2 5'; exec sleep 600");
    settings.standby = true;
    let (commands, standby_rx) = mpsc::unbounded_channel();
    let (signals, mut rx) = mpsc::unbounded_channel();
    let mut lvsd = Lvsd::new(settings, config(), &mut kernel, log).with_standby_commands(standby_rx);
    lvsd.start().await;
    commands.send(Standby::Activate).expect("lvsd listens");
    commands.send(Standby::Orphaned).expect("lvsd listens");
    let stop = async {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !memory.contains("takeover: IPVS table programmed") {
            assert!(Instant::now() < deadline, "no takeover: {:?}", memory.messages());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        signals.send(SignalEvent::Shutdown { signal: 15 }).expect("lvsd listens");
    };
    let (outcome, ()) = tokio::join!(lvsd.run(&mut rx), stop);
    assert_eq!(outcome, Outcome::Stopped);
    assert!(!memory.contains("standby: pulse has gone away"), "an active lvsd stays");
    assert!(memory.contains("shutting down due to signal 15"));
}

/// A writer whose bytes a test can read afterwards.
#[derive(Clone, Default)]
struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("not poisoned").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_released_lvsd_goes_back_to_standby_and_keeps_what_it_knows() {
    let Fixture { mut settings, mut kernel, memory, log } =
        fixture("demote", "read a; read b; echo 'up 1 5'; echo 'probe 2 fail refused'; exec sleep 600");
    settings.standby = true;
    let ack = Shared::default();
    let (_tx, mut rx) = mpsc::unbounded_channel();
    {
        let mut lvsd =
            Lvsd::new(settings, config(), &mut kernel, log).with_standby_ack(Box::new(ack.clone()));
        lvsd.start().await;
        wait_for_state(&mut lvsd, &mut rx, |l| {
            health_of(l, 1) == Health::Up { weight: 5 } && health_of(l, 2) == Health::Down
        })
        .await;
        lvsd.activate();
        let programmed = "-A -t 192.0.2.10:80 -s wlc\n-a -t 192.0.2.10:80 -r 10.0.0.1:80 -m -w 5\n";
        assert_eq!(lvsd.applied().to_rules(), programmed);

        lvsd.deactivate();
        assert!(lvsd.is_standby());
        assert!(lvsd.applied().services.is_empty());
        assert!(
            memory.contains("standby: released; 1 virtual services removed in"),
            "{:?}",
            memory.messages()
        );
        assert_eq!(*ack.0.lock().expect("not poisoned"), b"standby\n");
        // The worker was not restarted: the health is still known.
        assert_eq!(health_of(&lvsd, 1), Health::Up { weight: 5 });
        memory.clear();
        lvsd.activate();
        assert!(memory.contains("from known health (1 of 2 real servers up)"), "{:?}", memory.messages());
        assert_eq!(lvsd.applied().to_rules(), programmed);
        // A second release, and a repeated one, each acknowledged.
        lvsd.deactivate();
        lvsd.deactivate();
        assert_eq!(*ack.0.lock().expect("not poisoned"), b"standby\nstandby\nstandby\n");
        lvsd.shutdown().await;
    }
    assert!(kernel.snapshot().expect("fake").services.is_empty());
}

#[test]
fn standby_commands_are_one_word_lines() {
    assert_eq!(Standby::parse("active"), Some(Standby::Activate));
    assert_eq!(Standby::parse(" active\r"), Some(Standby::Activate));
    assert_eq!(Standby::parse("activ"), None);
    assert_eq!(Standby::parse("standby\n"), Some(Standby::Deactivate));
    assert_eq!(Standby::parse(""), None);
}

#[tokio::test]
async fn the_status_socket_answers_with_health_probes_and_nanny_pid() {
    let Fixture { settings, mut kernel, log, .. } = fixture(
        "status",
        "read a; read b; echo 'probe 1 ok'; echo 'up 1 5'; echo 'probe 2 fail CONNECT to 10.0.0.2:80 timed out'; exec sleep 600",
    );
    let dir = temp_dir("status-socket");
    let path = dir.join("lvsd.sock");
    let (status_tx, status_rx) = watch::channel(DaemonStatus::Lvsd(status::model::LvsdStatus {
        mode: status::model::LvsdMode::Standby,
        test_start: false,
        config: String::new(),
        started: 0.0,
        services: Vec::new(),
    }));
    let socket = status::server::StatusSocket::bind(&path).expect("bind");
    tokio::spawn(status::server::serve(socket, status_rx));
    let (_tx, mut rx) = mpsc::unbounded_channel();
    let mut lvsd = Lvsd::new(settings, config(), &mut kernel, log).with_status(status_tx);
    lvsd.start().await;
    wait_for_state(&mut lvsd, &mut rx, |l| {
        let s = l.status();
        s.services[0].real_servers[1].last_probe.is_some() && l.applied().to_rules().contains("10.0.0.1")
    })
    .await;
    lvsd.publish();
    let query_path = path.clone();
    let document = tokio::task::spawn_blocking(move || {
        status::client::query(&query_path, Duration::from_secs(5)).expect("lvsd answers")
    })
    .await
    .expect("query thread");
    let DaemonStatus::Lvsd(answer) = document.status else { panic!("an lvsd document") };
    assert_eq!(answer.mode, status::model::LvsdMode::Active);
    let www = &answer.services[0];
    assert_eq!(www.name, "www");
    assert!(www.nanny.is_some_and(|n| n.pid > 0), "nanny pid: {:?}", www.nanny);
    let a = &www.real_servers[0];
    assert_eq!(
        (a.name.as_str(), a.health, a.health_weight, a.in_table),
        ("a", status::model::Health::Up, Some(5), true)
    );
    assert!(a.since >= answer.started);
    let b = &www.real_servers[1];
    assert_eq!(b.health, status::model::Health::Down, "failed its first probe");
    assert_eq!(
        b.last_probe.as_ref().map(|p| (p.ok, p.reason.as_deref())),
        Some((false, Some("CONNECT to 10.0.0.2:80 timed out")))
    );
    lvsd.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
