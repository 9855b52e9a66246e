//! Runs `examples/detach.rs` (built by `cargo test`, which builds examples) and
//! checks the daemon it leaves behind (spec §2.13).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

fn example() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/detach-<hash> -> target/<profile>/examples/detach
    let path = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in target/<profile>/deps")
        .join("examples/detach");
    assert!(
        path.exists(),
        "{} missing: run `cargo test -p daemon`, which builds the examples",
        path.display()
    );
    path
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("daemon-detach-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn spawn(mode: &str, pid_file: &Path, report: &Path) -> Child {
    Command::new(example())
        .args([mode.as_ref(), pid_file.as_os_str(), report.as_os_str()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn wait(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "the process did not exit");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn report(path: &Path) -> HashMap<String, String> {
    wait_until("the report", || path.exists());
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn terminate(pid: &str) {
    let pid = Pid::from_raw(pid.parse().unwrap());
    kill(pid, Signal::SIGTERM).unwrap();
}

#[test]
fn fork_parent_exits_0_after_the_daemon_wrote_its_pid_file() {
    let dir = temp_dir("fork");
    let (pid_file, report_file) = (dir.join("pulse.pid"), dir.join("report"));
    let mut parent = spawn("fork", &pid_file, &report_file);
    let status = wait(&mut parent);
    assert_eq!(status.code(), Some(0));

    // Already there when the parent returned: systemd's PIDFile= can read it.
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let pid = pid.strip_suffix('\n').expect("<pid>\\n").to_owned();
    assert_ne!(pid, parent.id().to_string(), "the daemon is a new process");

    let report = report(&report_file);
    assert_eq!(report["pid"], pid);
    assert_eq!(report["sid"], pid, "setsid: the daemon leads its session");
    assert_ne!(report["ppid"], parent.id().to_string());
    assert_eq!(report["cwd"], "/");
    for fd in ["fd0", "fd1", "fd2"] {
        assert_eq!(report[fd], "/dev/null", "{fd}");
    }
    assert_eq!(report["pidfile"], format!("written {}", pid_file.display()));

    terminate(&pid);
    wait_until("the pid file's removal", || !pid_file.exists());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn nofork_detaches_in_place() {
    let dir = temp_dir("nofork");
    let (pid_file, report_file) = (dir.join("lvs.pid"), dir.join("report"));
    let mut daemon = spawn("nofork", &pid_file, &report_file);
    let report = report(&report_file);
    let pid = daemon.id().to_string();
    assert_eq!(report["pid"], pid);
    assert_eq!(report["sid"], pid);
    assert_eq!(report["cwd"], "/");
    assert_eq!(report["fd1"], "/dev/null");
    assert_eq!(std::fs::read_to_string(&pid_file).unwrap(), pid + "\n");

    terminate(&daemon.id().to_string());
    assert_eq!(wait(&mut daemon).code(), Some(0));
    assert!(!pid_file.exists(), "removed at exit");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn pid_file_failure_is_reported_and_the_daemon_carries_on() {
    let dir = temp_dir("nopidfile");
    let report_file = dir.join("report");
    let pid_file = Path::new("/nonexistent-daemon-test/pulse.pid");
    let mut parent = spawn("fork", pid_file, &report_file);
    assert_eq!(wait(&mut parent).code(), Some(0));
    let report = report(&report_file);
    assert_eq!(
        report["pidfile"],
        "failed to open /nonexistent-daemon-test/pulse.pid: No such file or directory"
    );
    terminate(&report["pid"]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn refuses_after_threads_started() {
    let dir = temp_dir("threaded");
    let (pid_file, report_file) = (dir.join("pulse.pid"), dir.join("report"));
    let mut process = spawn("threaded", &pid_file, &report_file);
    assert_eq!(wait(&mut process).code(), Some(1));
    assert!(!pid_file.exists());
    assert!(!report_file.exists());
    std::fs::remove_dir_all(dir).unwrap();
}
