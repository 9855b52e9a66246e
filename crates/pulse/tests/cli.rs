//! The `pulse` binary's start-up errors (spec §2.1, §2.2): texts on stderr
//! and exit statuses. No privileges needed.

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_pulse");

fn pulse(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run pulse")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A lvs.cf in the temp directory, removed on drop.
struct Cf(std::path::PathBuf);

impl Cf {
    fn new(name: &str, text: &str) -> Cf {
        let path = std::env::temp_dir().join(format!("pulse-cli-{}-{name}.cf", std::process::id()));
        std::fs::write(&path, text).expect("write lvs.cf");
        Cf(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("utf-8 temp path")
    }
}

impl Drop for Cf {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn spec_2_1_bad_option_and_positional_argument_exit_1() {
    let out = pulse(&["--standby"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "pulse: bad argument --standby: unknown option\n");
    let out = pulse(&["extra"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "pulse: unexpected arguments\n");
}

#[test]
fn version_exits_0() {
    let out = pulse(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), pulse::VERSION_TEXT);
}

#[test]
fn spec_2_2_configuration_errors_exit_1() {
    let out = pulse(&["-c", "/nonexistent/lvs.cf"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "pulse: failed to open /nonexistent/lvs.cf\n");

    let cf = Cf::new("bad", "primary = 192.0.2.1\nbogus = 1\n");
    let out = pulse(&["-c", cf.path()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!(
            "pulse: error parsing {} at line 2: unknown command: `bogus` in the global section\n",
            cf.path()
        )
    );

    let cf = Cf::new(
        "inactive",
        "primary = 192.0.2.1\nvirtual a {\n active = 0\n address = 192.0.2.9 eth0:1\n}\n",
    );
    let out = pulse(&["-c", cf.path()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), format!("pulse: no active lvs services defined in {}\n", cf.path()));
}

#[test]
fn spec_2_2_heartbeat_socket_failure_before_daemonizing() {
    // Our own heartbeat address and port are taken, so binding fails
    // (EADDRINUSE) whatever the sandbox allows for non-local addresses.
    let taken = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind a loopback port");
    let port = taken.local_addr().expect("local address").port();
    let cf = Cf::new(
        "bind",
        &format!(
            "primary = 127.0.0.1\nbackup = 127.0.0.2\nbackup_active = 1\nheartbeat_port = {port}\n\
             virtual a {{\n active = 1\n address = 192.0.2.9 lo:9\n}}\n"
        ),
    );
    // -n: should binding ever succeed, the test kills a foreground process
    // instead of leaving a daemon behind.
    let mut child = Command::new(BIN)
        .args(["-n", "-c", cf.path()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run pulse");
    let start = std::time::Instant::now();
    while child.try_wait().expect("try_wait").is_none() {
        if start.elapsed() > std::time::Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("pulse bound a taken heartbeat address");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("pulse output");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = stderr(&out);
    assert!(text.starts_with("pulse: failed to bind to heartbeat address: "), "{text}");
    assert!(text.ends_with("pulse: cannot create heartbeat socket. running as root?\n"), "{text}");
    drop(taken);
}
