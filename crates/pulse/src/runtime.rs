//! The event loop: heartbeats, timers, lvsd's exit and signals become
//! [`Event`]s for the [`Machine`]; its [`Action`]s go to the [`Router`] and
//! the sockets.

use std::time::{Duration, SystemTime};

use daemon::Logger;
use heartbeat::{Action, Event, Machine};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::router::{Command, Router};
use crate::status::StatusBoard;
use crate::transport::{Channel, HeartbeatSockets};

/// What the outside world tells the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// SIGTERM/SIGINT with this number: deactivate and return 0.
    Terminate(i32),
    /// SIGHUP: forward to lvsd if it runs (spec §2.12, §8 #3).
    Reload,
    /// One of our heartbeat NICs lost its link (spec §2.11).
    LinkDown,
    /// The links are back.
    LinkUp,
}

/// Runs `machine` until it exits; returns the exit status (0 after a
/// signal, 255 for a backup with `backup_active = 0`).
///
/// Delivers [`Event::Start`] first. A closed `controls` channel is ignored.
pub async fn run<R: Router>(
    machine: &mut Machine,
    sockets: &HeartbeatSockets,
    router: &mut R,
    log: &Logger,
    controls: &mut mpsc::UnboundedReceiver<Control>,
) -> u8 {
    let channels = sockets.channels();
    let mut board =
        StatusBoard::new(channels.own_public.ip(), Some(channels.partner_public.ip()), SystemTime::now());
    run_with_status(machine, sockets, router, log, controls, &mut board).await
}

/// [`run`], keeping `board` up to date after every event (heartbeats heard,
/// state, VIPs, lvsd) for the status socket.
pub async fn run_with_status<R: Router>(
    machine: &mut Machine,
    sockets: &HeartbeatSockets,
    router: &mut R,
    log: &Logger,
    controls: &mut mpsc::UnboundedReceiver<Control>,
    board: &mut StatusBoard,
) -> u8 {
    let origin = Instant::now();
    let decoder = sockets.channels().decoder();
    let mut event = Event::Start;
    loop {
        let actions = machine.on_event(event, origin.elapsed());
        if let Some(status) = perform(actions, sockets, router, log).await {
            return status;
        }
        if !machine.is_active() {
            router.keep_standby();
        }
        board.update(machine, router.held_vips(), router.lvsd_process(), SystemTime::now());
        let deadline = machine.next_deadline().map(|d| origin + d);
        let sleep = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        event = tokio::select! {
            biased;
            Some(control) = controls.recv() => match control {
                Control::Terminate(signal) => Event::Shutdown { signal },
                Control::Reload => {
                    router.reload_lvsd();
                    continue;
                }
                Control::LinkDown => Event::LinkDown,
                Control::LinkUp => Event::LinkUp,
            },
            (pid, exit) = router.lvsd_exited() => Event::ChildExited { pid, exit },
            received = sockets.recv() => match received {
                Ok(datagram) => match decoder.decode(&datagram.bytes, datagram.source.ip()) {
                    Ok(magic) => {
                        board.heard(magic, SystemTime::now());
                        Event::Heartbeat(magic)
                    }
                    Err(e) => {
                        if e.verbose_only() { log.debug(&e) } else { log.info(&e) }
                        continue;
                    }
                },
                Err((_, e)) => {
                    if e.kind() != std::io::ErrorKind::ConnectionRefused {
                        log.info(format!("recvfrom() failed: {e}"));
                        // Do not spin on a persistent error.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    continue;
                }
            },
            () = sleep => Event::Tick,
        };
    }
}

/// Performs `actions` in order; returns the exit status if one says exit.
async fn perform<R: Router>(
    actions: Vec<Action>,
    sockets: &HeartbeatSockets,
    router: &mut R,
    log: &Logger,
) -> Option<u8> {
    for action in actions {
        let result = match action {
            Action::Log(text) => {
                log.info(text);
                Ok(())
            }
            Action::Debug(text) => {
                log.debug(text);
                Ok(())
            }
            Action::SendHeartbeat(magic) => {
                for (channel, e) in sockets.send(magic).await {
                    let name = match channel {
                        Channel::Public => "public",
                        Channel::Private => "private",
                    };
                    log.debug(format!("Warning -- failed to send heartbeat ({name} if): {e}"));
                }
                Ok(())
            }
            Action::RunActiveCmd => router.run_command(Command::Active),
            Action::RunInactiveCmd => router.run_command(Command::Inactive),
            Action::StartLvsd => router.start_lvsd(),
            Action::StopLvsd => router.stop_lvsd().await,
            Action::SyncDaemon(role) => router.sync_daemon(role).await,
            Action::BringUpVips => router.bring_up_vips().await,
            Action::TakeDownVips => router.take_down_vips().await,
            Action::SendArps => router.send_arps().await,
            Action::Exit(status) => return Some(status),
        };
        if let Err(e) = result {
            log.info(e);
        }
    }
    None
}
