//! Runs the real `nanny` binary against loopback servers.

use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::TcpListener;
use tokio::process::{Child, ChildStdout, Command};
use tokio::time::timeout;

const NANNY: &str = env!("CARGO_BIN_EXE_nanny");
const WAIT: Duration = Duration::from_secs(20);

fn spawn(args: &[&str]) -> Child {
    Command::new(NANNY)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("nanny starts")
}

fn lines(child: &mut Child) -> Lines<BufReader<ChildStdout>> {
    BufReader::new(child.stdout.take().expect("stdout")).lines()
}

/// Reads lines until one satisfies `want`, returning it.
async fn read_until(out: &mut Lines<BufReader<ChildStdout>>, want: impl Fn(&str) -> bool) -> String {
    timeout(WAIT, async {
        loop {
            let line = out.next_line().await.expect("read").expect("nanny still running");
            if want(&line) {
                return line;
            }
        }
    })
    .await
    .expect("expected line in time")
}

async fn accepting_listener() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    (listener, port)
}

#[tokio::test]
async fn worker_reports_up_and_down_and_exits_on_eof() {
    let (listener, port) = accepting_listener().await;
    let mut nanny = spawn(&["--worker", "-p", "8080", "-t", "1", "-a", "1", "-w", "100"]);
    let mut out = lines(&mut nanny);
    let mut stdin = nanny.stdin.take().expect("stdin");
    stdin.write_all(format!("server 0 127.0.0.1 {port} 100\n").as_bytes()).await.expect("write");
    assert_eq!(read_until(&mut out, |_| true).await, "probe 0 ok");
    assert_eq!(read_until(&mut out, |_| true).await, "up 0 3");
    // Repeated ok probes are no news (the weight ramp-up may still be): a
    // quiet interval says `alive` instead.
    assert_eq!(read_until(&mut out, |l| !l.starts_with("up 0 ")).await, "alive");
    drop(listener);
    let fail = read_until(&mut out, |l| l.starts_with("probe 0 fail")).await;
    assert_eq!(
        fail,
        format!("probe 0 fail Failed to connect 127.0.0.1:{port} ping socket: Connection refused")
    );
    assert_eq!(read_until(&mut out, |l| l != "alive").await, "down 0");
    // Garbage is ignored, not fatal.
    stdin.write_all(b"server x\n\xff\xfe\n").await.expect("write");
    drop(stdin);
    let status = timeout(WAIT, nanny.wait()).await.expect("exits").expect("status");
    assert_eq!(status.code(), Some(0));
}

#[tokio::test]
async fn worker_forget_stops_reports() {
    let (_listener, port) = accepting_listener().await;
    let mut nanny = spawn(&["--worker", "-p", "8080", "-t", "1"]);
    let mut out = lines(&mut nanny);
    let mut stdin = nanny.stdin.take().expect("stdin");
    stdin.write_all(format!("server 3 127.0.0.1 {port} 1\n").as_bytes()).await.expect("write");
    assert_eq!(read_until(&mut out, |l| l.starts_with("up")).await, "up 3 1");
    stdin.write_all(b"forget 3\nserver 4 127.0.0.1 1 1\n").await.expect("write");
    // The next report is about server 4 only.
    let next = read_until(&mut out, |l| l != "alive").await;
    assert!(next.starts_with("probe 4 fail"), "{next}");
    let _ = nanny.kill().await;
}

#[tokio::test]
async fn standalone_logs_verdicts_and_terminates_on_sigterm() {
    let (_listener, port) = accepting_listener().await;
    let port_text = port.to_string();
    let mut nanny =
        spawn(&["-c", "-h", "127.0.0.1", "-p", &port_text, "-t", "1", "-V", "192.0.2.1", "--lvs", "-n"]);
    let mut out = lines(&mut nanny);
    assert_eq!(
        read_until(&mut out, |_| true).await,
        format!("nanny: starting LVS client monitor for 192.0.2.1:{port} -> 127.0.0.1:{port}")
    );
    assert_eq!(
        read_until(&mut out, |_| true).await,
        format!("nanny: [ active ] making 127.0.0.1:{port} available")
    );
    let pid = Pid::from_raw(i32::try_from(nanny.id().expect("pid")).expect("pid fits"));
    kill(pid, Signal::SIGTERM).expect("signal");
    assert_eq!(read_until(&mut out, |_| true).await, "nanny: Terminating due to signal 15");
    let status = timeout(WAIT, nanny.wait()).await.expect("exits").expect("status");
    assert_eq!(status.code(), Some(0));
}

#[tokio::test]
async fn standalone_manual_glasses() {
    let (_listener, port) = accepting_listener().await;
    let port_text = port.to_string();
    let mut nanny = spawn(&["-h", "127.0.0.1", "-p", &port_text, "-t", "1", "--lvs", "-n"]);
    let mut out = lines(&mut nanny);
    read_until(&mut out, |l| l.contains("[ active ]")).await;
    let pid = Pid::from_raw(i32::try_from(nanny.id().expect("pid")).expect("pid fits"));
    kill(pid, Signal::SIGUSR1).expect("signal");
    assert_eq!(read_until(&mut out, |_| true).await, "nanny: opaque glasses on");
    assert!(read_until(&mut out, |_| true).await.contains("[inactive] shutting down"));
    kill(pid, Signal::SIGHUP).expect("signal");
    assert_eq!(read_until(&mut out, |_| true).await, "nanny: DEBUG -- removing glasses");
    assert!(read_until(&mut out, |_| true).await.contains("[ active ] making"));
    let _ = nanny.kill().await;
}

async fn run_to_end(args: &[&str]) -> (Option<i32>, String, String) {
    let out = timeout(WAIT, Command::new(NANNY).args(args).stdin(Stdio::null()).output())
        .await
        .expect("exits")
        .expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn argument_errors_exit_1() {
    let (code, _, err) = run_to_end(&["-h", "10.0.0.1"]).await;
    assert_eq!((code, err.as_str()), (Some(1), "nanny: unknown service type\n"));
    let (code, _, err) = run_to_end(&["--lvs"]).await;
    assert_eq!((code, err.as_str()), (Some(1), "nanny: No address supplied. Use '--help' for help. \n"));
    let (code, _, err) = run_to_end(&["-h", "nonsense", "--lvs"]).await;
    assert_eq!((code, err.as_str()), (Some(1), "nanny: bad IP address -- nonsense\n"));
    let (code, _, _) = run_to_end(&["-D"]).await;
    assert_eq!(code, Some(1));
}

#[tokio::test]
async fn version_and_help() {
    let (code, out, _) = run_to_end(&["--version"]).await;
    assert_eq!(code, Some(0));
    assert!(out.starts_with("Program Version:\t"), "{out}");
    assert_eq!(out.lines().count(), 3);
    let (code, out, _) = run_to_end(&["--help"]).await;
    assert_eq!(code, Some(0));
    // clap wraps the text to the terminal's width: compare words, not lines.
    let words = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("never changes the IPVS table"), "{out}");
}

/// nanny holds no capability, whoever starts it, and neither does the
/// `send_program` it runs (its bounding set is empty, so not even a program
/// exec'd as root gets one back). As root (CI) the sets start full, so the
/// drop is real; unprivileged they start empty and stay so.
#[tokio::test]
async fn holds_no_capability_and_neither_does_its_send_program() {
    use daemon::privilege::Sets;
    let dir = std::env::temp_dir().join(format!("nanny-caps-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let seen = dir.join("program-status");
    let program = dir.join("check");
    std::fs::write(&program, format!("#!/bin/sh\ncat /proc/self/status > {}\necho OK\n", seen.display()))
        .expect("write program");
    std::fs::set_permissions(
        &program,
        <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o755),
    )
    .expect("chmod");
    let (_listener, port) = accepting_listener().await;
    let port_text = port.to_string();
    let program_text = format!("{} %h", program.display());
    let mut nanny = spawn(&[
        "-c",
        "-h",
        "127.0.0.1",
        "-p",
        &port_text,
        "-t",
        "1",
        "-V",
        "192.0.2.1",
        "--lvs",
        "-n",
        "-e",
        &program_text,
        "-x",
        "OK",
    ]);
    let mut out = lines(&mut nanny);
    read_until(&mut out, |l| l.contains("[ active ]")).await;
    let sets = Sets::of_process(nanny.id().expect("pid")).expect("nanny's status");
    for (name, set) in [
        ("effective", &sets.effective),
        ("permitted", &sets.permitted),
        ("inheritable", &sets.inheritable),
        ("ambient", &sets.ambient),
        ("bounding", &sets.bounding),
    ] {
        assert!(set.is_empty(), "nanny's {name} set: {}", daemon::privilege::Names(set));
    }
    assert!(sets.no_new_privs, "nanny: no_new_privs");
    let program_sets = Sets::from_proc_status(&std::fs::read_to_string(&seen).expect("the program ran"))
        .expect("capability lines");
    assert_eq!(
        program_sets,
        Sets { no_new_privs: true, ..Sets::default() },
        "the send_program's sets: nothing, and no set-user-ID gain either"
    );
    let _ = nanny.kill().await;
    let _ = std::fs::remove_dir_all(&dir);
}
