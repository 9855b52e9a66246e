use std::net::IpAddr;
use std::time::Duration;

use super::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn settings() -> Settings {
    Settings::new(secs(2), secs(5))
}

fn started(role: Role, settings: Settings) -> Machine {
    let mut machine = Machine::new(role, settings);
    machine.on_event(Event::Start, Duration::ZERO);
    machine
}

fn logs(actions: &[Action]) -> Vec<&str> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Log(text) => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

/// The actions without log lines.
fn effects(actions: &[Action]) -> Vec<Action> {
    actions.iter().filter(|a| !matches!(a, Action::Log(_) | Action::Debug(_))).cloned().collect()
}

const ACTIVATION: [Action; 5] = [
    Action::RunActiveCmd,
    Action::StartLvsd,
    Action::SyncDaemon(SyncRole::Master),
    Action::BringUpVips,
    Action::SendArps,
];

const DEACTIVATION: [Action; 4] =
    [Action::RunInactiveCmd, Action::SyncDaemon(SyncRole::Backup), Action::TakeDownVips, Action::StopLvsd];

/// Ticks at every deadline up to `until`, feeding `incoming` heartbeats at
/// their times; returns everything that happened, with the time.
fn run(machine: &mut Machine, until: Duration, incoming: &[(Duration, Magic)]) -> Vec<(Duration, Action)> {
    let mut out = Vec::new();
    let mut incoming = incoming.iter().peekable();
    loop {
        let tick = machine.next_deadline().unwrap_or(until);
        match incoming.peek() {
            Some(&&(at, magic)) if at <= tick && at <= until => {
                incoming.next();
                out.extend(machine.on_event(Event::Heartbeat(magic), at).into_iter().map(|a| (at, a)));
            }
            _ if tick <= until => {
                out.extend(machine.on_event(Event::Tick, tick).into_iter().map(|a| (tick, a)))
            }
            _ => return out,
        }
    }
}

fn every(start: Duration, step: Duration, until: Duration, magic: Magic) -> Vec<(Duration, Magic)> {
    let mut out = Vec::new();
    let mut at = start;
    while at <= until {
        out.push((at, magic));
        at += step;
    }
    out
}

#[test]
fn role_is_primary_when_primary_address_is_any_local_address() {
    let primary: IpAddr = "10.0.0.1".parse().expect("literal");
    let secondary = ["127.0.0.1", "192.168.1.5", "10.0.0.1"].map(|a| a.parse().expect("literal"));
    assert_eq!(Role::detect(primary, &secondary), Role::Primary);
    assert_eq!(Role::detect(primary, &secondary[..2]), Role::Backup);
    assert_eq!(Role::detect(primary, &[]), Role::Backup);
}

#[test]
fn start_logs_role_runs_inactive_cmd_and_sync_backup() {
    let mut machine = Machine::new(Role::Primary, settings());
    assert_eq!(machine.next_deadline(), None);
    let actions = machine.on_event(Event::Start, Duration::ZERO);
    assert_eq!(
        actions,
        [
            Action::Log("STARTING PULSE AS MASTER".into()),
            Action::RunInactiveCmd,
            Action::SyncDaemon(SyncRole::Backup)
        ]
    );
    assert!(!machine.is_active());
    assert_eq!(machine.next_deadline(), Some(secs(2)));
    let mut backup = Machine::new(Role::Backup, settings());
    assert_eq!(logs(&backup.on_event(Event::Start, Duration::ZERO)), ["STARTING PULSE AS BACKUP"]);
}

#[test]
fn events_before_start_are_ignored() {
    let mut machine = Machine::new(Role::Backup, settings());
    assert!(machine.on_event(Event::Heartbeat(Magic::Stopped), secs(1)).is_empty());
    assert!(machine.on_event(Event::Tick, secs(10)).is_empty());
    assert!(!machine.is_active());
}

#[test]
fn activation_order_is_spec_2_6() {
    let mut machine = started(Role::Backup, settings());
    let actions = machine.on_event(Event::Heartbeat(Magic::Stopped), secs(1));
    assert_eq!(
        actions[1..],
        [
            Action::Log("primary inactive: activating lvs".into()),
            Action::RunActiveCmd,
            Action::StartLvsd,
            Action::SyncDaemon(SyncRole::Master),
            Action::BringUpVips,
            Action::SendArps,
        ]
    );
    assert!(machine.is_active());
}

#[test]
fn deactivation_order_is_spec_2_7_with_the_vips_before_lvsd() {
    let mut machine = started(Role::Backup, settings());
    machine.on_event(Event::Heartbeat(Magic::Stopped), secs(1));
    let actions = machine.on_event(Event::Heartbeat(Magic::Running), secs(2));
    assert_eq!(
        actions[1..],
        [
            Action::SendHeartbeat(Magic::Running),
            Action::Log("partner active: deactivating LVS".into()),
            Action::RunInactiveCmd,
            Action::SyncDaemon(SyncRole::Backup),
            Action::TakeDownVips,
            Action::StopLvsd,
        ]
    );
    assert!(!machine.is_active());
}

#[test]
fn partner_silence_activates_after_deadtime() {
    let mut machine = started(Role::Backup, settings());
    let history = run(&mut machine, secs(20), &every(secs(1), secs(2), secs(7), Magic::Running));
    let activated: Vec<_> =
        history.iter().filter(|(_, a)| *a == Action::Log("partner dead: activating lvs".into())).collect();
    // last heartbeat at 7 s, dead at 12 s; only once
    assert_eq!(activated.len(), 1);
    assert_eq!(activated[0].0, secs(12));
    assert!(machine.is_active());
}

#[test]
fn late_heartbeats_within_deadtime_keep_the_backup_inactive() {
    let mut machine = started(Role::Backup, settings());
    // heartbeats 4.9 s apart: late, but always before the dead timer
    let history = run(&mut machine, secs(30), &every(ms(4_900), ms(4_900), secs(30), Magic::Running));
    assert!(history.iter().all(|(_, a)| !matches!(a, Action::StartLvsd)));
    assert!(!machine.is_active());
    // one that is 5.1 s late is too late
    let mut machine = started(Role::Backup, settings());
    let history = run(&mut machine, secs(6), &[(ms(5_100), Magic::Running)]);
    assert!(history.iter().any(|(at, a)| *at == secs(5) && *a == Action::StartLvsd));
}

#[test]
fn heartbeats_are_sent_every_keepalive_in_every_state() {
    let mut machine = started(Role::Backup, settings());
    let history = run(&mut machine, secs(10), &[]);
    let sent: Vec<_> = history
        .iter()
        .filter_map(|(at, a)| match a {
            Action::SendHeartbeat(m) => Some((*at, *m)),
            _ => None,
        })
        .collect();
    assert_eq!(
        sent,
        [
            (secs(2), Magic::Stopped),
            (secs(4), Magic::Stopped),
            (secs(6), Magic::Running), // active since the dead timer at 5 s
            (secs(8), Magic::Running),
            (secs(10), Magic::Running),
        ]
    );
}

#[test]
fn stopped_heartbeats_continue_while_childfail() {
    let mut machine = started(Role::Primary, settings());
    machine.on_event(Event::Heartbeat(Magic::Stopped), secs(1));
    machine.on_event(Event::ChildExited { pid: 42, exit: ChildExit::Exited(1) }, ms(1_500));
    assert!(machine.flags().child_fail);
    let history = run(&mut machine, secs(4), &[]);
    assert!(history.contains(&(secs(2), Action::SendHeartbeat(Magic::Stopped))));
    assert!(history.contains(&(secs(4), Action::SendHeartbeat(Magic::Stopped))));
}

#[test]
fn stopped_received_while_inactive_activates_master_and_backup() {
    let mut master = started(Role::Primary, settings());
    assert_eq!(
        logs(&master.on_event(Event::Heartbeat(Magic::Stopped), secs(2))),
        ["backup inactive: activating lvs"]
    );
    let mut backup = started(Role::Backup, settings());
    assert_eq!(
        logs(&backup.on_event(Event::Heartbeat(Magic::Stopped), secs(2))),
        ["primary inactive: activating lvs"]
    );
    // while active, STOPPED changes nothing
    assert_eq!(effects(&backup.on_event(Event::Heartbeat(Magic::Stopped), secs(3))), []);
}

#[test]
fn spec_8_17_cold_start_both_nodes_dual_active_then_master_wins() {
    let mut master = started(Role::Primary, settings());
    let mut backup = started(Role::Backup, settings());
    // both send STOPPED at 2 s; each activates on the other's
    assert!(
        logs(&master.on_event(Event::Heartbeat(Magic::Stopped), secs(2)))
            .contains(&"backup inactive: activating lvs")
    );
    assert!(
        logs(&backup.on_event(Event::Heartbeat(Magic::Stopped), secs(2)))
            .contains(&"primary inactive: activating lvs")
    );
    assert!(master.is_active() && backup.is_active()); // the quirk
    // at 4 s both send RUNNING: the backup yields, the master re-ARPs
    let b = backup.on_event(Event::Heartbeat(Magic::Running), secs(4));
    let m = master.on_event(Event::Heartbeat(Magic::Running), secs(4));
    assert!(logs(&b).contains(&"partner active: deactivating LVS"));
    assert_eq!(logs(&m), ["partner active: resending arps"]);
    assert!(master.is_active() && !backup.is_active());
}

#[test]
fn cold_start_guard_delays_backup_activation_by_one_deadtime() {
    let mut guarded = Settings::new(secs(2), secs(5));
    guarded.cold_start_guard = true;
    let mut backup = started(Role::Backup, guarded);
    assert_eq!(effects(&backup.on_event(Event::Heartbeat(Magic::Stopped), secs(2))), []);
    // the master activated on our STOPPED: RUNNING resets the guard
    backup.on_event(Event::Heartbeat(Magic::Running), secs(4));
    assert_eq!(effects(&backup.on_event(Event::Heartbeat(Magic::Stopped), secs(6))), []);
    assert_eq!(effects(&backup.on_event(Event::Heartbeat(Magic::Stopped), secs(8))), []);
    // only STOPPED for a whole deadtime: the primary really is inactive
    let actions = backup.on_event(Event::Heartbeat(Magic::Stopped), secs(11));
    assert_eq!(logs(&actions), ["primary inactive: activating lvs"]);
    // the master is never delayed
    let mut master = started(Role::Primary, guarded);
    assert!(
        logs(&master.on_event(Event::Heartbeat(Magic::Stopped), secs(2)))
            .contains(&"backup inactive: activating lvs")
    );
}

#[test]
fn running_while_active_on_master_resends_arps_and_stays() {
    let mut master = started(Role::Primary, settings());
    master.on_event(Event::Heartbeat(Magic::Stopped), secs(1));
    let actions = master.on_event(Event::Heartbeat(Magic::Running), secs(3));
    assert_eq!(
        actions[1..],
        [
            Action::Log("partner active: resending arps".into()),
            Action::RunActiveCmd,
            Action::BringUpVips,
            Action::SendArps
        ]
    );
    assert!(master.is_active());
}

#[test]
fn the_master_re_announces_at_most_once_a_deadtime() {
    let mut master = started(Role::Primary, settings());
    master.on_event(Event::Heartbeat(Magic::Stopped), secs(1));
    assert_eq!(
        logs(&master.on_event(Event::Heartbeat(Magic::Running), secs(3))),
        ["partner active: resending arps"]
    );
    // the backup has not stepped down yet: more RUNNING within the deadtime (5 s)
    for at in [ms(3_100), ms(3_200), ms(7_900)] {
        assert_eq!(effects(&master.on_event(Event::Heartbeat(Magic::Running), at)), [], "at {at:?}");
    }
    assert!(master.is_active());
    // a deadtime later it re-announces again
    assert_eq!(
        logs(&master.on_event(Event::Heartbeat(Magic::Running), secs(8))),
        ["partner active: resending arps"]
    );
}

#[test]
fn stopme_is_treated_as_running() {
    let mut backup = started(Role::Backup, settings());
    backup.on_event(Event::Heartbeat(Magic::Stopped), secs(1));
    assert!(
        logs(&backup.on_event(Event::Heartbeat(Magic::StopMe), secs(2)))
            .contains(&"partner active: deactivating LVS")
    );
}

#[test]
fn no_automatic_failback() {
    // the backup took over; the primary returns inactive and hears RUNNING
    let mut primary = started(Role::Primary, settings());
    let history = run(&mut primary, secs(60), &every(secs(1), secs(2), secs(60), Magic::Running));
    assert!(!primary.is_active());
    assert!(history.iter().all(|(_, a)| !matches!(a, Action::StartLvsd | Action::BringUpVips)));
}

#[test]
fn forceactive_activates_at_start() {
    let mut forced = Settings::new(secs(2), secs(5));
    forced.force_active = true;
    let mut machine = Machine::new(Role::Primary, forced);
    let actions = machine.on_event(Event::Start, Duration::ZERO);
    assert_eq!(logs(&actions), ["STARTING PULSE AS MASTER", "Forced active on startup: activating lvs"]);
    let mut expected = vec![Action::RunInactiveCmd, Action::SyncDaemon(SyncRole::Backup)];
    expected.extend(ACTIVATION);
    assert_eq!(effects(&actions), expected);
    assert!(machine.is_active());
}

#[test]
fn forceactive_on_the_backup_yields_to_an_active_master() {
    let mut forced = Settings::new(secs(2), secs(5));
    forced.force_active = true;
    let mut backup = started(Role::Backup, forced);
    assert!(backup.is_active());
    backup.on_event(Event::Heartbeat(Magic::Running), secs(1));
    assert!(!backup.is_active());
}

#[test]
fn backup_with_backup_inactive_exits_255() {
    let mut standalone = Settings::new(secs(2), secs(5));
    standalone.has_backup = false;
    let mut machine = Machine::new(Role::Backup, standalone);
    let actions = machine.on_event(Event::Start, Duration::ZERO);
    assert_eq!(
        actions,
        [
            Action::Log("STARTING PULSE AS BACKUP".into()),
            Action::Log("We are backup node and backup is marked inactive -- exiting pulse".into()),
            Action::Exit(255)
        ]
    );
    assert!(machine.is_finished());
    assert_eq!(machine.next_deadline(), None);
    assert!(machine.on_event(Event::Tick, secs(10)).is_empty());
}

#[test]
fn master_without_backup_activates_after_deadtime_and_never_sends() {
    let mut standalone = Settings::new(secs(2), secs(5));
    standalone.has_backup = false;
    let mut machine = started(Role::Primary, standalone);
    assert_eq!(machine.next_deadline(), Some(secs(5)));
    let history = run(&mut machine, secs(30), &[]);
    assert!(history.iter().all(|(_, a)| !matches!(a, Action::SendHeartbeat(_))));
    assert_eq!(history.iter().filter(|(_, a)| *a == Action::StartLvsd).count(), 1);
    assert!(history.contains(&(secs(5), Action::Log("partner dead: activating lvs".into()))));
    // lvsd dies: CHILDFAIL is never cleared, so it stays inactive
    machine.on_event(Event::ChildExited { pid: 7, exit: ChildExit::Signaled(9) }, secs(31));
    let history = run(&mut machine, secs(90), &[]);
    assert!(!machine.is_active());
    assert!(history.iter().all(|(_, a)| *a != Action::StartLvsd));
}

#[test]
fn sub_second_timers() {
    let mut fast = Settings::new(ms(50), ms(150));
    fast.has_backup = true;
    let mut backup = started(Role::Backup, fast);
    let history = run(&mut backup, ms(1_000), &every(ms(40), ms(50), ms(400), Magic::Running));
    let sent = history.iter().filter(|(_, a)| matches!(a, Action::SendHeartbeat(_))).count();
    assert_eq!(sent, 20);
    let taken: Vec<_> = history.iter().filter(|(_, a)| *a == Action::StartLvsd).map(|(at, _)| *at).collect();
    // last RUNNING at 390 ms → dead at 540 ms
    assert_eq!(taken, [ms(540)]);
}

#[test]
fn link_down_deactivates_and_blocks_takeover_until_link_up() {
    let mut backup = started(Role::Backup, settings());
    backup.on_event(Event::Heartbeat(Magic::Stopped), secs(1));
    let actions = backup.on_event(Event::LinkDown, secs(2));
    assert_eq!(
        logs(&actions),
        ["Local NIC link failure: Pulse disabled", "local link failure: deactivating LVS"]
    );
    assert_eq!(effects(&actions), DEACTIVATION);
    assert!(backup.flags().link_fail);
    // repeated detection logs nothing
    assert!(backup.on_event(Event::LinkDown, secs(3)).is_empty());
    // neither STOPPED nor silence activates while the link is down
    assert_eq!(effects(&backup.on_event(Event::Heartbeat(Magic::Stopped), secs(4))), []);
    let history = run(&mut backup, secs(20), &[]);
    assert!(history.iter().all(|(_, a)| *a != Action::StartLvsd));
    assert!(history.iter().all(|(_, a)| *a != Action::SendHeartbeat(Magic::Running)));
    // restored: logs, but does not activate by itself
    let actions = backup.on_event(Event::LinkUp, secs(21));
    assert_eq!(actions, [Action::Log("Local NIC link(s) restored: Pulse enabled".into())]);
    assert!(!backup.is_active());
    assert!(backup.on_event(Event::LinkUp, secs(22)).is_empty());
    let actions = backup.on_event(Event::Heartbeat(Magic::Stopped), secs(23));
    assert_eq!(logs(&actions), ["primary inactive: activating lvs"]);
}

#[test]
fn link_down_while_inactive_only_sets_linkfail() {
    let mut machine = started(Role::Primary, settings());
    assert_eq!(logs(&machine.on_event(Event::LinkDown, secs(1))), ["Local NIC link failure: Pulse disabled"]);
    assert!(!machine.is_active());
}

#[test]
fn lvsd_death_deactivates_sets_childfail_and_running_clears_it() {
    let mut master = started(Role::Primary, settings());
    master.on_event(Event::Heartbeat(Magic::Stopped), secs(1));
    let actions = master.on_event(Event::ChildExited { pid: 1234, exit: ChildExit::Exited(1) }, secs(2));
    assert_eq!(logs(&actions), ["Child process 1234 exited with status 1"]);
    // lvsd is already gone: no StopLvsd
    assert_eq!(
        effects(&actions),
        [Action::RunInactiveCmd, Action::SyncDaemon(SyncRole::Backup), Action::TakeDownVips]
    );
    assert!(!master.is_active() && master.flags().child_fail);
    assert_eq!(effects(&master.on_event(Event::Heartbeat(Magic::Stopped), secs(3))), []);
    // the backup took over and says RUNNING: CHILDFAIL cleared
    master.on_event(Event::Heartbeat(Magic::Running), secs(4));
    assert!(!master.flags().child_fail);
    let logged = master.on_event(Event::ChildExited { pid: 9, exit: ChildExit::Signaled(15) }, secs(5));
    assert_eq!(logs(&logged), ["Child process 9 terminated with signal 15"]);
    assert!(!master.flags().child_fail, "a child exit while inactive changes nothing");
}

#[test]
fn spec_8_8_bounded_lvsd_restart_then_give_up() {
    let mut restarting = Settings::new(secs(2), secs(5));
    restarting.lvsd_restarts = 2;
    let mut master = started(Role::Primary, restarting);
    master.on_event(Event::Heartbeat(Magic::Stopped), secs(1));
    let died = Event::ChildExited { pid: 1, exit: ChildExit::Exited(1) };
    let first = master.on_event(died, secs(2));
    assert_eq!(logs(&first)[1], "restarting lvsd (1 of 2)");
    assert_eq!(effects(&first), [Action::StartLvsd]);
    assert_eq!(effects(&master.on_event(died, secs(3))), [Action::StartLvsd]);
    let third = master.on_event(died, secs(4));
    assert_eq!(
        effects(&third),
        [Action::RunInactiveCmd, Action::SyncDaemon(SyncRole::Backup), Action::TakeDownVips]
    );
    assert!(!master.is_active() && master.flags().child_fail);
    // the next heartbeat says STOPPED, so the partner takes over
    assert!(run(&mut master, secs(6), &[]).contains(&(secs(6), Action::SendHeartbeat(Magic::Stopped))));
}

#[test]
fn shutdown_deactivates_and_exits_0() {
    let mut backup = started(Role::Backup, settings());
    backup.on_event(Event::Heartbeat(Magic::Stopped), secs(1));
    let actions = backup.on_event(Event::Shutdown { signal: 15 }, secs(2));
    assert_eq!(actions[0], Action::Log("Terminating due to signal 15".into()));
    let mut expected = DEACTIVATION.to_vec();
    expected.push(Action::Exit(0));
    assert_eq!(effects(&actions), expected);
    assert!(backup.is_finished());
    // inactive: inactive_cmd and sync backup still run
    let mut idle = started(Role::Primary, settings());
    assert_eq!(
        effects(&idle.on_event(Event::Shutdown { signal: 2 }, secs(1))),
        [Action::RunInactiveCmd, Action::SyncDaemon(SyncRole::Backup), Action::Exit(0)]
    );
}

#[test]
fn hold_and_held_are_liveness_only() {
    let mut backup = started(Role::Backup, settings());
    let history = run(&mut backup, secs(20), &every(secs(1), secs(3), secs(20), Magic::Hold));
    assert!(!backup.is_active());
    assert!(history.iter().all(|(_, a)| *a != Action::StartLvsd));
    let actions = backup.on_event(Event::Heartbeat(Magic::Held), secs(21));
    assert_eq!(effects(&actions), []);
}

#[test]
fn other_mode_magic_is_not_liveness() {
    let mut backup = started(Role::Backup, settings());
    let history = run(&mut backup, secs(6), &every(secs(1), secs(1), secs(6), Magic::FosRunning));
    assert!(history.contains(&(secs(5), Action::StartLvsd)));
}

#[test]
fn debug_lines_for_send_and_receive() {
    let mut backup = started(Role::Backup, settings());
    assert_eq!(
        backup.on_event(Event::Tick, secs(2))[..2],
        [Action::SendHeartbeat(Magic::Stopped), Action::Debug("DEBUG -- Sending heartbeat...".into())]
    );
    assert_eq!(
        backup.on_event(Event::Heartbeat(Magic::Running), secs(3)),
        [Action::Debug("DEBUG -- Received Heartbeat from partner".into())]
    );
}

#[test]
fn early_ticks_do_nothing() {
    let mut backup = started(Role::Backup, settings());
    assert!(backup.on_event(Event::Tick, secs(1)).is_empty());
    assert_eq!(backup.next_deadline(), Some(secs(2)));
}

/// Sub-second timers with the stall grace on or off: keepalive 50 ms,
/// deadtime 150 ms, the primary last heard 40 ms after start, our own
/// heartbeats sent until 150 ms: the next dead verdict is due at 190 ms.
fn sub_second_backup(stall_grace: bool) -> Machine {
    let mut settings = Settings::new(ms(50), ms(150));
    settings.stall_grace = stall_grace;
    let mut backup = started(Role::Backup, settings);
    run(&mut backup, ms(150), &[(ms(40), Magic::Running)]);
    assert_eq!(backup.next_deadline(), Some(ms(190)));
    backup
}

/// Ticks `late` after every deadline until `until` or a takeover; returns
/// when the takeover happened, if it did, and the log lines.
fn tick_late(machine: &mut Machine, late: Duration, until: Duration) -> (Option<Duration>, Vec<String>) {
    let mut lines = Vec::new();
    while let Some(due) = machine.next_deadline() {
        let now = due + late;
        if now > until {
            break;
        }
        let actions = machine.on_event(Event::Tick, now);
        lines.extend(logs(&actions).into_iter().map(str::to_owned));
        if actions.contains(&Action::StartLvsd) {
            return (Some(now), lines);
        }
    }
    (None, lines)
}

#[test]
fn a_stalled_backup_listens_before_declaring_the_partner_dead() {
    let mut backup = sub_second_backup(true);
    // The whole VM stalls 115 ms: the verdict due at 190 ms comes at 305 ms,
    // and the primary's heartbeats of that time are still in the socket.
    let actions = backup.on_event(Event::Tick, ms(305));
    assert_eq!(
        logs(&actions),
        [
            "partner silent for 265 ms, but pulse itself ran 115 ms late: listening 50 ms more before declaring it dead"
        ]
    );
    assert_eq!(effects(&actions), [Action::SendHeartbeat(Magic::Stopped)], "no takeover");
    assert_eq!(backup.next_deadline(), Some(ms(355)));
    assert_eq!(effects(&backup.on_event(Event::Heartbeat(Magic::Running), ms(306))), []);
    let (takeover, _) = tick_late(&mut backup, Duration::ZERO, ms(1000));
    assert_eq!(takeover, Some(ms(456)), "a fresh deadtime from the heartbeat read after the stall");
}

#[test]
fn without_the_stall_grace_a_stalled_backup_takes_over_at_once() {
    let mut backup = sub_second_backup(false);
    let actions = backup.on_event(Event::Tick, ms(305));
    assert_eq!(logs(&actions), ["partner dead: activating lvs"]);
    assert!(actions.contains(&Action::StartLvsd));
    // The primary's queued RUNNING then makes it step down: a flap.
    let actions = backup.on_event(Event::Heartbeat(Magic::Running), ms(306));
    assert_eq!(logs(&actions), ["partner active: deactivating LVS"]);
}

#[test]
fn a_dead_partner_is_declared_dead_one_keepalive_after_the_stall() {
    let mut backup = sub_second_backup(true);
    backup.on_event(Event::Tick, ms(305));
    let (takeover, lines) = tick_late(&mut backup, Duration::ZERO, ms(1000));
    assert_eq!(takeover, Some(ms(355)));
    assert_eq!(lines, ["partner dead: activating lvs"]);
}

#[test]
fn a_router_that_keeps_stalling_still_takes_over() {
    // Every tick 100 ms late: without the grace the verdict due at 190 ms
    // takes over at 290 ms; with it, the partner gets one keepalive more
    // (due at 340 ms), and then no more excuse.
    let (without, _) = tick_late(&mut sub_second_backup(false), ms(100), secs(10));
    assert_eq!(without, Some(ms(290)));
    let (with, lines) = tick_late(&mut sub_second_backup(true), ms(100), secs(10));
    assert_eq!(with, Some(ms(440)));
    assert_eq!(
        lines,
        [
            "partner silent for 250 ms, but pulse itself ran 100 ms late: listening 50 ms more before declaring it dead",
            "partner dead: activating lvs"
        ]
    );
}

#[test]
fn a_stall_at_a_send_tick_is_not_silence_either() {
    let mut settings = Settings::new(ms(50), ms(150));
    settings.stall_grace = true;
    let mut backup = started(Role::Backup, settings);
    run(&mut backup, ms(100), &[(ms(40), Magic::Running)]);
    assert_eq!(backup.next_deadline(), Some(ms(150)));
    // The send due at 150 ms runs 30 ms late: the verdict moves from 190 to
    // 230 ms, and nothing is logged (no takeover was due yet).
    let actions = backup.on_event(Event::Tick, ms(180));
    assert_eq!(logs(&actions), Vec::<&str>::new());
    assert_eq!(effects(&actions), [Action::SendHeartbeat(Magic::Stopped)]);
    assert_eq!(backup.next_deadline(), Some(ms(230)));
}

#[test]
fn a_stall_far_from_the_verdict_keeps_the_excuse_for_later() {
    let mut settings = Settings::new(secs(1), secs(6));
    settings.stall_grace = true;
    let mut backup = started(Role::Backup, settings);
    // 600 ms late at the first send: the verdict (6 s) is further away than
    // a keepalive, nothing changes.
    backup.on_event(Event::Tick, ms(1600));
    assert_eq!(backup.next_deadline(), Some(ms(2600)));
    run(&mut backup, ms(5000), &[]);
    // 1100 ms late at the send due at 5.6 s, past the verdict (6 s): now
    // the excuse is used.
    assert_eq!(backup.next_deadline(), Some(ms(5600)));
    let actions = backup.on_event(Event::Tick, ms(6700));
    assert!(!actions.contains(&Action::StartLvsd));
    assert_eq!(
        logs(&actions),
        [
            "partner silent for 6700 ms, but pulse itself ran 1100 ms late: listening 1000 ms more before declaring it dead"
        ]
    );
}

#[test]
fn lateness_up_to_half_a_keepalive_is_ordinary() {
    let mut backup = sub_second_backup(true);
    let actions = backup.on_event(Event::Tick, ms(215));
    assert_eq!(logs(&actions), ["partner dead: activating lvs"], "25 ms late is not a stall");
}

#[test]
fn the_excuse_is_renewed_by_each_heartbeat() {
    let mut backup = sub_second_backup(true);
    assert!(!backup.on_event(Event::Tick, ms(300)).contains(&Action::StartLvsd));
    backup.on_event(Event::Heartbeat(Magic::Running), ms(320));
    assert_eq!(backup.next_deadline(), Some(ms(350)), "our own heartbeat");
    backup.on_event(Event::Tick, ms(350));
    assert_eq!(backup.next_deadline(), Some(ms(400)));
    backup.on_event(Event::Tick, ms(400));
    assert_eq!(backup.next_deadline(), Some(ms(450)));
    backup.on_event(Event::Tick, ms(450));
    // The verdict due at 470 ms is late (the tick of 500 ms comes at 560):
    // a fresh excuse after the heartbeat.
    let actions = backup.on_event(Event::Tick, ms(560));
    assert!(!actions.contains(&Action::StartLvsd));
    assert_eq!(backup.next_deadline(), Some(ms(610)));
    assert!(backup.on_event(Event::Tick, ms(610)).contains(&Action::StartLvsd));
}
