use std::net::{IpAddr, Ipv4Addr};

use tokio::net::TcpListener;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio::time::timeout;

use super::*;
use crate::probe::Transport;

const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn settings(interval_ms: u64) -> ServiceSettings {
    ServiceSettings {
        check: CheckSpec {
            transport: Transport::Tcp,
            send: None,
            expect: None,
            program: None,
            timeout: Duration::from_secs(5),
        },
        interval: Duration::from_millis(interval_ms),
        reentry: Duration::from_millis(interval_ms * 3),
        scale: 10,
        load_command: None,
    }
}

async fn next(events: &mut UnboundedReceiver<Event>) -> Event {
    timeout(Duration::from_secs(10), events.recv()).await.expect("an event in time").expect("channel open")
}

/// Skips probe events until a non-probe event arrives.
async fn next_change(events: &mut UnboundedReceiver<Event>) -> Event {
    loop {
        let e = next(events).await;
        if !matches!(e.kind, EventKind::Probe(_)) {
            return e;
        }
    }
}

#[tokio::test]
async fn server_goes_up_and_down_and_is_forgotten() {
    let listener = TcpListener::bind((LOCAL, 0)).await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (tx, mut rx) = unbounded_channel();
    let mut monitor = Monitor::new(settings(50), tx);
    monitor.apply(Request::Server { id: 7, addr: LOCAL, port, weight: 100 });
    let first = next(&mut rx).await;
    assert_eq!(first.id, 7);
    assert_eq!(first.kind, EventKind::Probe(ProbeResult::ok()));
    assert_eq!(first.report(), Some(Report::Probe { id: 7, ok: true, reason: None }));
    let up = next(&mut rx).await;
    assert_eq!(up.kind, EventKind::Up { weight: 3, entered: true });
    assert_eq!(up.report(), Some(Report::Up { id: 7, weight: 3 }));
    drop(listener);
    let down = next_change(&mut rx).await;
    assert_eq!(down.kind, EventKind::Down);
    assert_eq!(down.server, SocketAddr::new(LOCAL, port));
    monitor.apply(Request::Forget { id: 7 });
    assert!(monitor.is_empty());
    // The task is gone: the channel only closes once the monitor (the last sender) is dropped.
    drop(monitor);
    while let Some(e) = rx.recv().await {
        assert!(matches!(e.kind, EventKind::Probe(_)), "{e:?}");
    }
}

#[tokio::test]
async fn overrides_reach_every_server() {
    let listener = TcpListener::bind((LOCAL, 0)).await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (tx, mut rx) = unbounded_channel();
    let mut monitor = Monitor::new(settings(50), tx);
    monitor.apply(Request::Server { id: 1, addr: LOCAL, port, weight: 1 });
    assert_eq!(next_change(&mut rx).await.kind, EventKind::Up { weight: 1, entered: true });
    monitor.set_override(Override::Down);
    assert_eq!(next_change(&mut rx).await.kind, EventKind::Down);
    // A weight change while held down changes nothing.
    monitor.apply(Request::Server { id: 1, addr: LOCAL, port, weight: 2 });
    monitor.set_override(Override::Recheck);
    assert_eq!(next_change(&mut rx).await.kind, EventKind::Up { weight: 1, entered: true });
    monitor.set_override(Override::Up);
    // Already up: nothing happens; after Down, Up enters at full weight.
    monitor.set_override(Override::Down);
    assert_eq!(next_change(&mut rx).await.kind, EventKind::Down);
    monitor.set_override(Override::Up);
    assert_eq!(next_change(&mut rx).await.kind, EventKind::Up { weight: 2, entered: true });
}

/// 1,000 real servers are 1,000 tasks, each as big as the largest future it
/// awaits inline: the rare checks (send_program, UDP, load command) are boxed
/// so that a task stays well under a kilobyte (2 KiB before).
#[tokio::test]
async fn a_servers_task_stays_small() {
    let (tx, _rx) = unbounded_channel();
    let task = probe_loop(
        1,
        (LOCAL, 80).into(),
        1,
        Arc::new(settings(1000)),
        Arc::new(Inbox::default()),
        tx,
        Instant::now(),
    );
    let size = std::mem::size_of_val(&task);
    assert!(size <= 1024, "a server's task future is {size} bytes");
}
