//! The event loop: heartbeats, timers, lvsd's exit and signals become
//! [`Event`]s for the [`Machine`]; its [`Action`]s go to the [`Router`] and
//! the sockets.

use std::time::{Duration, SystemTime};

use daemon::Logger;
use heartbeat::{Action, Event, Machine};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::auth::{Heartbeats, LogLimiter, Rekey, wall_clock};
use crate::router::{Command, Router};
use crate::status::StatusBoard;
use crate::transport::{Channel, HeartbeatSockets};

/// What the outside world tells the loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// SIGTERM/SIGINT with this number: deactivate and return 0.
    Terminate(i32),
    /// SIGHUP: switch the heartbeat's authentication as lvs.cf now says,
    /// and forward to lvsd if it runs (spec §2.12, §8 #3).
    Reload(Rekey),
    /// One of our heartbeat NICs lost its link (spec §2.11).
    LinkDown,
    /// The links are back.
    LinkUp,
}

/// Runs `machine` until it exits; returns the exit status (0 after a
/// signal, 255 for a backup with `backup_active = 0`).
///
/// Delivers [`Event::Start`] first. A closed `controls` channel is ignored.
/// `heartbeats` encodes what we send and judges what we receive (plain or
/// authenticated, lvs.cf `heartbeat_key`).
pub async fn run<R: Router>(
    machine: &mut Machine,
    sockets: &HeartbeatSockets,
    heartbeats: &mut Heartbeats,
    router: &mut R,
    log: &Logger,
    controls: &mut mpsc::UnboundedReceiver<Control>,
) -> u8 {
    let channels = sockets.channels();
    let mut board =
        StatusBoard::new(channels.own_public.ip(), Some(channels.partner_public.ip()), SystemTime::now());
    run_with_status(machine, sockets, heartbeats, router, log, controls, &mut board).await
}

/// [`run`], keeping `board` up to date after every event (heartbeats heard,
/// state, VIPs, lvsd) for the status socket.
pub async fn run_with_status<R: Router>(
    machine: &mut Machine,
    sockets: &HeartbeatSockets,
    heartbeats: &mut Heartbeats,
    router: &mut R,
    log: &Logger,
    controls: &mut mpsc::UnboundedReceiver<Control>,
    board: &mut StatusBoard,
) -> u8 {
    let origin = Instant::now();
    let mut rejections = LogLimiter::default();
    // `None` after what is not an event for the machine (a dropped
    // datagram, SIGHUP): nothing is delivered then.
    let mut event = Some(Event::Start);
    // The next copy of the last heartbeat (`--heartbeat-copies`): when, and
    // how many are left.
    let mut copy: Option<(Instant, u32)> = None;
    loop {
        if let Some(event) = event.take() {
            let actions = machine.on_event(event, origin.elapsed());
            let sends = actions.iter().any(|a| matches!(a, Action::SendHeartbeat(_)));
            if let Some(status) = perform(actions, sockets, heartbeats, router, log).await {
                return status;
            }
            if sends {
                copy = heartbeats.repeat().map(|(interval, left)| (Instant::now() + interval, left));
            }
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
        let next_copy = async {
            match copy {
                Some((at, _)) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        event = tokio::select! {
            biased;
            Some(control) = controls.recv() => match control {
                Control::Terminate(signal) => Some(Event::Shutdown { signal }),
                Control::Reload(rekey) => {
                    if let Rekey::Use(key) = rekey
                        && let Some(line) = heartbeats.set_key(key)
                    {
                        log.info(line);
                    }
                    router.reload_lvsd();
                    None
                }
                Control::LinkDown => Some(Event::LinkDown),
                Control::LinkUp => Some(Event::LinkUp),
            },
            (pid, exit) = router.lvsd_exited() => Some(Event::ChildExited { pid, exit }),
            received = sockets.recv() => match received {
                Ok(datagram) => match heartbeats.decode(&datagram.bytes, datagram.source.ip(), wall_clock()) {
                    Ok(magic) => {
                        board.heard(magic, SystemTime::now());
                        Some(Event::Heartbeat(magic))
                    }
                    Err(e @ heartbeat::DecodeError::Rejected { .. }) => {
                        match rejections.admit(origin.elapsed()) {
                            Some(0) => log.info(&e),
                            Some(n) => log.info(format!("{e} ({n} more dropped since the last such line)")),
                            None => {}
                        }
                        None
                    }
                    Err(e) => {
                        if e.verbose_only() { log.debug(&e) } else { log.info(&e) }
                        None
                    }
                },
                Err((_, e)) => {
                    if e.kind() != std::io::ErrorKind::ConnectionRefused {
                        log.info(format!("recvfrom() failed: {e}"));
                        // Do not spin on a persistent error.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    None
                }
            },
            () = sleep => Some(Event::Tick),
            () = next_copy => {
                // A copy carries the state as it is now (a backup that sent
                // one RUNNING before stepping down repeats STOPPED).
                send(sockets, heartbeats, machine.magic(), log).await;
                copy = match (copy, heartbeats.repeat()) {
                    (Some((at, left)), Some((interval, _))) if left > 1 => Some((at + interval, left - 1)),
                    _ => None,
                };
                None
            }
        };
    }
}

/// Performs `actions` in order; returns the exit status if one says exit.
async fn perform<R: Router>(
    actions: Vec<Action>,
    sockets: &HeartbeatSockets,
    heartbeats: &mut Heartbeats,
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
                send(sockets, heartbeats, magic, log).await;
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

/// Sends `magic` to the partner on every channel, plain or sealed.
async fn send(
    sockets: &HeartbeatSockets,
    heartbeats: &mut Heartbeats,
    magic: heartbeat::Magic,
    log: &Logger,
) {
    let datagram = heartbeats.encode(magic, wall_clock());
    for (channel, e) in sockets.send(&datagram).await {
        let name = match channel {
            Channel::Public => "public",
            Channel::Private => "private",
        };
        log.debug(format!("Warning -- failed to send heartbeat ({name} if): {e}"));
    }
}
