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

/// Serves `status` on `dir/name` from a thread of its own, as a daemon would.
fn serve_status(dir: &Path, name: &str, status: status::model::DaemonStatus) {
    let socket = status::server::StatusSocket::bind(&dir.join(name)).expect("bind status socket");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let (_publisher, receiver) = tokio::sync::watch::channel(status);
        runtime.block_on(async move {
            let _ = status::server::serve(socket, receiver).await;
        });
    });
}

fn run_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lvsctl-status-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("run dir");
    dir
}

#[test]
fn status_with_nothing_running_says_so_and_exits_1() {
    let dir = run_dir("none");
    let out = lvsctl(&["status", "--run-dir", dir.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("lvsctl: neither pulse nor lvsd is running on this router"), "{stderr}");
    assert!(stderr.contains("pulse: not running (nothing answers on"), "{stderr}");
    assert!(text(&out.stdout).starts_with("router   unknown"), "{}", text(&out.stdout));
}

#[test]
fn status_with_lvsd_alone_shows_its_services() {
    use status::model::*;
    let dir = run_dir("lvsd");
    let rs = RealServerStatus {
        name: "rs1".into(),
        address: "192.0.2.11".parse().expect("ip"),
        port: 80,
        weight: 1,
        health: Health::Up,
        health_weight: Some(1),
        since: unix_seconds(std::time::SystemTime::now()) - 30.0,
        last_probe: Some(ProbeOutcome { ok: true, reason: None, since: 1.0 }),
        in_table: true,
    };
    let lvsd = LvsdStatus {
        mode: LvsdMode::Active,
        test_start: true,
        config: "lvs.cf".into(),
        started: 1.0,
        services: vec![ServiceStatus {
            name: "web".into(),
            id: ServiceId {
                protocol: ServiceProtocol::Tcp,
                address: Some("192.0.2.100".parse().expect("ip")),
                port: 80,
                fwmark: None,
            },
            scheduler: "wlc".into(),
            nanny: Some(NannyStatus { pid: 4321, last_report: 1.0 }),
            sorry_server: None,
            real_servers: vec![rs],
        }],
    };
    serve_status(&dir, "lvsd.sock", DaemonStatus::Lvsd(lvsd));
    let dir_arg = dir.to_str().expect("utf-8");
    let out = lvsctl(&["status", "--run-dir", dir_arg]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("router   active (lvsd runs without pulse)\n"), "{stdout}");
    assert!(stdout.contains("pulse    not answering"), "{stdout}");
    assert!(stdout.contains("nanny    pid 4321 (web)"), "{stdout}");
    assert!(stdout.contains("-> 192.0.2.11:80"), "{stdout}");
    assert!(stdout.contains("rs1, up for 3"), "{stdout}");
    assert!(text(&out.stderr).contains("lvsctl: pulse: not running"));

    let out = lvsctl(&["status", "--json", "--run-dir", dir_arg]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(json["format"], 1);
    assert_eq!(json["router"]["state"], "active");
    assert_eq!(json["pulse"], serde_json::Value::Null);
    assert_eq!(json["lvsd"]["mode"], "active");
    assert_eq!(json["nannies"][0]["pid"], 4321);
    let service = &json["services"][0];
    assert_eq!(service["name"], "web");
    assert_eq!(service["real_servers"][0]["health"], "up");
    let _ = std::fs::remove_dir_all(&dir);
}
