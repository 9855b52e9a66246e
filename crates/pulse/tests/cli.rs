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
    // Neither address is local: a backup that cannot bind its own address.
    let cf = Cf::new(
        "bind",
        "primary = 192.0.2.1\nbackup = 192.0.2.2\nbackup_active = 1\n\
         virtual a {\n active = 1\n address = 192.0.2.9 eth0:1\n}\n",
    );
    let out = pulse(&["-c", cf.path()]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = stderr(&out);
    assert!(text.starts_with("pulse: failed to bind to heartbeat address: "), "{text}");
    assert!(text.ends_with("pulse: cannot create heartbeat socket. running as root?\n"), "{text}");
}
