//! The server and client over a real Unix socket in a temporary directory.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use status::client::{QueryError, query};
use status::model::{DaemonStatus, LvsdMode, LvsdStatus};
use status::server::{BindError, StatusSocket, serve};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("status-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn standby(started: f64) -> DaemonStatus {
    DaemonStatus::Lvsd(LvsdStatus {
        mode: LvsdMode::Standby,
        test_start: false,
        config: "lvs.cf".into(),
        started,
        services: vec![],
    })
}

/// Runs a current-thread runtime serving `socket` on a thread of its own;
/// returns the publisher.
fn spawn_server(socket: StatusSocket, first: DaemonStatus) -> tokio::sync::watch::Sender<DaemonStatus> {
    let (tx, rx) = tokio::sync::watch::channel(first);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async move {
            let _ = serve(socket, rx).await;
        });
    });
    tx
}

#[test]
fn a_client_gets_the_latest_published_status() {
    let dir = temp_dir("latest");
    let path = dir.join("lvsd.sock");
    let socket = StatusSocket::bind(&path).expect("bind");
    let mode = std::fs::metadata(&path).expect("socket file").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "root-only socket");
    let publisher = spawn_server(socket, standby(1.0));
    let document = query(&path, Duration::from_secs(5)).expect("answer");
    assert_eq!(document.status, standby(1.0));
    assert_eq!(document.pid, std::process::id());
    publisher.send_replace(standby(2.0));
    assert_eq!(query(&path, Duration::from_secs(5)).expect("answer").status, standby(2.0));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_second_instance_does_not_steal_a_live_socket_but_replaces_a_stale_one() {
    let dir = temp_dir("stale");
    let path = dir.join("pulse.sock");
    let first = StatusSocket::bind(&path).expect("bind");
    let _publisher = spawn_server(first, standby(1.0));
    // Wait until it answers, then try a second bind.
    query(&path, Duration::from_secs(5)).expect("answer");
    assert!(matches!(StatusSocket::bind(&path), Err(BindError::InUse(_))));

    // A socket file nobody listens on (a daemon killed with -9).
    let stale = dir.join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).expect("bind"));
    assert!(stale.exists());
    assert!(matches!(query(&stale, Duration::from_secs(1)), Err(QueryError::NotRunning(_))));
    let replaced = StatusSocket::bind(&stale).expect("stale socket replaced");
    drop(replaced);
    assert!(!stale.exists(), "removed when dropped");

    let file = dir.join("file.sock");
    std::fs::write(&file, "data").expect("write");
    assert!(matches!(StatusSocket::bind(&file), Err(BindError::NotASocket(_))));
    assert_eq!(std::fs::read_to_string(&file).expect("kept"), "data");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn nothing_running_is_reported_as_such() {
    let dir = temp_dir("absent");
    match query(&dir.join("pulse.sock"), Duration::from_secs(1)) {
        Err(e @ QueryError::NotRunning(_)) => assert!(e.to_string().starts_with("not running"), "{e}"),
        other => panic!("expected NotRunning, got {other:?}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_silent_or_garbage_client_does_not_block_the_others() {
    let dir = temp_dir("silent");
    let path = dir.join("lvsd.sock");
    let _publisher = spawn_server(StatusSocket::bind(&path).expect("bind"), standby(3.0));
    query(&path, Duration::from_secs(5)).expect("answer");
    // Connections that send nothing hold at most their slot, for at most
    // the server's timeout; a client arriving meanwhile is still answered
    // once a slot is free.
    let silent: Vec<UnixStream> = (0..2).map(|_| UnixStream::connect(&path).expect("connect")).collect();
    assert_eq!(query(&path, Duration::from_secs(5)).expect("answer").status, standby(3.0));
    drop(silent);

    // An over-long request without a line end gets an error document, and
    // the rest of it left unread by the server must not reset the client
    // before it has read that answer (it did, now and then, in CI).
    for _ in 0..20 {
        let mut stream = UnixStream::connect(&path).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
        stream.write_all(&[b'x'; 1000]).expect("write");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read");
        assert!(answer.contains("\"error\""), "{answer}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_hung_client_is_dropped_after_the_timeout() {
    let dir = temp_dir("hung");
    let path = dir.join("lvsd.sock");
    let _publisher = spawn_server(StatusSocket::bind(&path).expect("bind"), standby(4.0));
    let mut stream = UnixStream::connect(&path).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let started = std::time::Instant::now();
    let mut rest = Vec::new();
    // The server closes the connection without an answer.
    let _ = stream.read_to_end(&mut rest);
    assert!(rest.is_empty());
    assert!(started.elapsed() < Duration::from_secs(9), "closed by the server's timeout");
    let _ = std::fs::remove_dir_all(&dir);
}
