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
    let mut punctuality = Punctuality::new(machine.settings().keepalive);
    // `None` after what is not an event for the machine (a dropped
    // datagram, SIGHUP): nothing is delivered then.
    let mut event = Some(Event::Start);
    // The next copy of the last heartbeat (`--heartbeat-copies`): when, and
    // how many are left.
    let mut copy: Option<(Instant, u32)> = None;
    // The two timers live across iterations and are moved only when their
    // deadline changes, instead of being registered with tokio's timer
    // anew after every event (most events, a heartbeat heard, move neither).
    // `*_at` is where each is set, `None` while it is not armed.
    let idle = || Instant::now() + Duration::from_secs(86_400);
    let tick = tokio::time::sleep_until(idle());
    let copy_timer = tokio::time::sleep_until(idle());
    tokio::pin!(tick, copy_timer);
    let (mut tick_at, mut copy_timer_at): (Option<Instant>, Option<Instant>) = (None, None);
    loop {
        if let Some(event) = event.take() {
            let actions = machine.on_event(event, origin.elapsed());
            let sends = actions.iter().any(|a| matches!(a, Action::SendHeartbeat(_)));
            let (exit, slowest) = perform(actions, sockets, heartbeats, router, log).await;
            if let Some(status) = exit {
                router.finish().await;
                return status;
            }
            if let Some((what, took)) = slowest
                && let Some(line) = punctuality.busy(what, took, origin.elapsed())
            {
                log.info(line);
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
        if deadline != tick_at {
            if let Some(at) = deadline {
                tick.as_mut().reset(at);
            }
            tick_at = deadline;
        }
        let copy_at = copy.map(|(at, _)| at);
        if copy_at != copy_timer_at {
            if let Some(at) = copy_at {
                copy_timer.as_mut().reset(at);
            }
            copy_timer_at = copy_at;
        }
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
            () = &mut tick, if tick_at.is_some() => {
                if let Some(at) = tick_at.take()
                    && let Some(line) = punctuality.late(Instant::now().saturating_duration_since(at), origin.elapsed())
                {
                    log.info(line);
                }
                Some(Event::Tick)
            }
            () = &mut copy_timer, if copy_timer_at.is_some() => {
                copy_timer_at = None;
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

/// Performs `actions` in order; returns the exit status if one says exit,
/// and the slowest action with the time it took.
async fn perform<R: Router>(
    actions: Vec<Action>,
    sockets: &HeartbeatSockets,
    heartbeats: &mut Heartbeats,
    router: &mut R,
    log: &Logger,
) -> (Option<u8>, Option<(&'static str, Duration)>) {
    let mut slowest: Option<(&'static str, Duration)> = None;
    // One clock read per action: each ends where the next one starts.
    let mut mark = Instant::now();
    for action in actions {
        let what = action_name(&action);
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
            Action::Exit(status) => return (Some(status), slowest),
        };
        if let Err(e) = result {
            log.info(e);
        }
        let ended = Instant::now();
        let took = ended - mark;
        mark = ended;
        if slowest.is_none_or(|(_, t)| took > t) {
            slowest = Some((what, took));
        }
    }
    (None, slowest)
}

/// A short name of `action` for [`Punctuality`]'s lines.
fn action_name(action: &Action) -> &'static str {
    match action {
        Action::Log(_) | Action::Debug(_) => "writing a log line",
        Action::SendHeartbeat(_) => "sending a heartbeat",
        Action::RunActiveCmd => "starting active_cmd",
        Action::RunInactiveCmd => "starting inactive_cmd",
        Action::StartLvsd => "starting lvsd",
        Action::StopLvsd => "stopping lvsd",
        Action::SyncDaemon(_) => "switching the sync daemon",
        Action::BringUpVips => "bringing up the VIPs",
        Action::TakeDownVips => "taking down the VIPs",
        Action::SendArps => "preparing the gratuitous ARPs",
        Action::Exit(_) => "exiting",
    }
}

/// Watches whether pulse keeps its own heartbeat on time. A heartbeat that
/// leaves late, because pulse was kept off the CPU or because one of its
/// steps took long, eats into the partner's deadtime, and past it the
/// partner takes over: these lines tell an admin why a takeover happened
/// while this router was alive. Half a keepalive late counts; at most one
/// line a second.
#[derive(Debug)]
pub struct Punctuality {
    limit: Duration,
    keepalive: Duration,
    limiter: LogLimiter,
}

impl Punctuality {
    /// For heartbeats every `keepalive`.
    pub fn new(keepalive: Duration) -> Self {
        Punctuality { limit: keepalive / 2, keepalive, limiter: LogLimiter::default() }
    }

    /// The timer of the next tick fired `late` after its deadline, at
    /// monotonic `now`: the line to log, if any.
    pub fn late(&mut self, late: Duration, now: Duration) -> Option<String> {
        self.line(
            late,
            now,
            |ms| format!("heartbeat timer ran {ms} ms late"),
            "pulse was not scheduled in time",
        )
    }

    /// Performing an event's actions took `took`, the longest being `what`:
    /// the line to log, if any.
    pub fn busy(&mut self, what: &str, took: Duration, now: Duration) -> Option<String> {
        self.line(took, now, |ms| format!("{what} took {ms} ms"), "heartbeats waited")
    }

    /// The line for a `delay` past the limit: `head` (given the delay in
    /// ms), the keepalive and `why`; `None` within the limit or the rate.
    fn line(
        &mut self,
        delay: Duration,
        now: Duration,
        head: impl FnOnce(u128) -> String,
        why: &str,
    ) -> Option<String> {
        if delay <= self.limit {
            return None;
        }
        let more = self.limiter.admit(now)?;
        Some(format!(
            "{} (keepalive {} ms): {why}{}",
            head(delay.as_millis()),
            self.keepalive.as_millis(),
            suppressed(more)
        ))
    }
}

fn suppressed(more: u64) -> String {
    if more == 0 { String::new() } else { format!(" ({more} more such lines dropped)") }
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

#[cfg(test)]
mod punctuality_tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn half_a_keepalive_late_is_reported_once_a_second() {
        let mut p = Punctuality::new(MS(50));
        assert_eq!(p.late(MS(25), MS(1000)), None, "exactly half a keepalive is on time");
        assert_eq!(
            p.late(MS(183), MS(1000)).as_deref(),
            Some("heartbeat timer ran 183 ms late (keepalive 50 ms): pulse was not scheduled in time")
        );
        assert_eq!(p.late(MS(90), MS(1500)), None, "within a second of the last line");
        assert_eq!(p.busy("writing a log line", MS(60), MS(1900)), None, "the same limit for both kinds");
        assert_eq!(
            p.busy("writing a log line", MS(120), MS(2000)).as_deref(),
            Some(
                "writing a log line took 120 ms (keepalive 50 ms): heartbeats waited (2 more such lines dropped)"
            )
        );
    }

    #[test]
    fn slow_steps_under_the_limit_say_nothing() {
        let mut p = Punctuality::new(Duration::from_secs(6));
        assert_eq!(p.busy("stopping lvsd", Duration::from_secs(3), MS(0)), None);
        assert_eq!(p.late(MS(2999), MS(0)), None);
        assert!(p.late(MS(3001), MS(0)).is_some());
    }
}
