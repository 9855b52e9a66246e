//! Runs the real `lvsctl` binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../lvs-config/tests/data").join(name)
}

fn lvsctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lvsctl")).args(args).output().expect("lvsctl runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Writes `content` to a fresh file in the temp directory.
fn temp_file(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lvsctl-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write temp file");
    path
}

#[test]
fn check_valid_file_prints_summary_and_warnings() {
    let file = data("spec-annotated.cf");
    let out = lvsctl(&["check", "-c", file.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert!(
        stdout.ends_with(
            "OK: 3 virtual services (3 active), 4 real servers (4 active in active services), 1 warning\n"
        ),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), 1);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("spec-annotated.cf:88: warning: firewall-mark service `secure` has no `persistent`"),
        "{stderr}"
    );
}

#[test]
fn check_bad_file_names_file_line_and_problem() {
    let path = temp_file("bad.cf", "primary = 192.0.2.1\nkeepalive=2\nvirtual v {\n schedular = rr\n}\n");
    let out = lvsctl(&["check", "-c", path.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    let p = path.display();
    assert!(stderr.contains(&format!("{p}:2:1: unknown command: `keepalive=2` in the global section\n  hint: put blanks around `=`: `keepalive = 2`")), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{p}:4:2: unknown command: `schedular` in a `virtual` block\n  hint: did you mean `scheduler`?"
        )),
        "{stderr}"
    );
}

#[test]
fn check_missing_file() {
    let out = lvsctl(&["check", "-c", "/nonexistent/lvs.cf"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("/nonexistent/lvs.cf: cannot read:"));
}

#[test]
fn show_rules_prints_ipvsadm_save_format() {
    let file = data("spec-annotated.cf");
    let out = lvsctl(&["show", "--rules", "-c", file.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        "-A -t 203.0.113.100:80 -s wlc -p 300 -M 255.255.255.0\n\
         -a -t 203.0.113.100:80 -r 192.168.10.2:80 -m -w 100\n\
         -a -t 203.0.113.100:80 -r 192.168.10.3:8080 -m -w 50\n\
         -A -f 80 -s rr\n\
         -a -f 80 -r 192.168.10.4:443 -m -w 1\n\
         -A -u 203.0.113.102:53 -s wrr\n\
         -a -u 203.0.113.102:53 -r 192.168.10.5:53 -m -w 1\n"
    );
}

#[test]
fn show_prints_the_configuration_that_reads_back_the_same() {
    let file = data("spec-annotated.cf");
    let out = lvsctl(&["show", "-c", file.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(0));
    let shown = text(&out.stdout);
    let original = lvs_config_parse(&std::fs::read_to_string(&file).expect("read"));
    assert_eq!(lvs_config_parse(&shown), original);
}

fn lvs_config_parse(text: &str) -> String {
    // Compare through the rules and the canonical text, which cover the model.
    let path = temp_file("shown.cf", text);
    let out = lvsctl(&["show", "-c", path.to_str().expect("utf-8 path")]);
    text_of(out)
}

fn text_of(out: Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(lvsctl(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(lvsctl(&[]).status.code(), Some(2));
}
