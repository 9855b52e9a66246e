use super::*;

const S: Duration = Duration::from_secs(1);

fn settings(weight: u32, interval: u64, reentry: u64) -> AvailabilitySettings {
    AvailabilitySettings {
        weight,
        interval: S * u32::try_from(interval).expect("small"),
        reentry: S * u32::try_from(reentry).expect("small"),
        scale: 10,
        load_monitor: false,
    }
}

/// Feeds a timeline of probe outcomes, one every `interval` seconds (probe time 0), and
/// returns the actions with the time they happened at.
fn run(machine: &mut Availability, interval: u64, outcomes: &str) -> Vec<(u64, Action)> {
    let mut out = Vec::new();
    for (i, c) in outcomes.chars().enumerate() {
        let t = u64::try_from(i).expect("small") * interval;
        for a in machine.on_probe(c == '+', Duration::from_secs(t)) {
            out.push((t, a));
        }
    }
    out
}

#[test]
fn first_success_admits_immediately() {
    let mut m = Availability::new(settings(1, 10, 180));
    assert_eq!(m.count_thresh(), 18);
    assert_eq!(run(&mut m, 10, "+"), [(0, Action::Enter { weight: 1 })]);
    assert!(m.is_active());
}

#[test]
fn one_failure_removes_and_reentry_needs_count_thresh_successes() {
    // interval 2, reentry 6 -> 3 consecutive successes.
    let mut m = Availability::new(settings(1, 2, 6));
    let got = run(&mut m, 2, "++-++-+++");
    assert_eq!(
        got,
        [(0, Action::Enter { weight: 1 }), (4, Action::Leave), (16, Action::Enter { weight: 1 }),]
    );
}

#[test]
fn first_probe_failing_needs_full_reentry() {
    let mut m = Availability::new(settings(1, 10, 30));
    assert_eq!(run(&mut m, 10, "-++"), []);
    assert_eq!(m.on_probe(true, 30 * S), [Action::Enter { weight: 1 }]);
}

#[test]
fn reentry_shorter_than_interval_admits_on_every_success() {
    let mut m = Availability::new(settings(1, 10, 5));
    assert_eq!(m.count_thresh(), 0);
    assert_eq!(
        run(&mut m, 10, "+-+"),
        [(0, Action::Enter { weight: 1 }), (10, Action::Leave), (20, Action::Enter { weight: 1 }),]
    );
}

#[test]
fn slow_start_ramps_every_20_seconds() {
    let mut m = Availability::new(settings(100, 5, 180));
    let got = run(&mut m, 5, &"+".repeat(40));
    let weights: Vec<(u64, u32)> = got
        .iter()
        .map(|(t, a)| match a {
            Action::Enter { weight } | Action::SetWeight { weight } => (*t, *weight),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(weights, [(0, 3), (20, 6), (40, 12), (60, 24), (80, 48), (100, 96), (120, 100)]);
}

#[test]
fn long_interval_manages_weight_every_probe() {
    let mut m = Availability::new(settings(100, 30, 180));
    assert_eq!(
        run(&mut m, 30, "++"),
        [
            (0, Action::Enter { weight: 3 }),
            (0, Action::SetWeight { weight: 6 }),
            (30, Action::SetWeight { weight: 12 }),
        ]
    );
}

#[test]
fn failure_during_ramp_restarts_it() {
    let mut m = Availability::new(settings(100, 10, 10));
    let got = run(&mut m, 10, "+++-+");
    assert_eq!(
        got,
        [
            (0, Action::Enter { weight: 3 }),
            (20, Action::SetWeight { weight: 6 }),
            (30, Action::Leave),
            (40, Action::Enter { weight: 3 }),
        ]
    );
}

#[test]
fn load_weighting_after_ramp() {
    let mut s = settings(100, 10, 10);
    s.load_monitor = true;
    let mut m = Availability::new(s);
    let got = run(&mut m, 10, &"+".repeat(16));
    let loads: Vec<u64> = got.iter().filter(|(_, a)| *a == Action::MeasureLoad).map(|(t, _)| *t).collect();
    // Ramp reaches 100 at 120 s; load is measured every 20 s afterwards.
    assert_eq!(loads, [140]);
    assert_eq!(m.on_load(0.0), [Action::SetWeight { weight: 150 }]);
    assert_eq!(m.on_load(0.999), []);
    assert_eq!(m.on_load(9.0), [Action::SetWeight { weight: 100 }]);
    assert_eq!(m.last_weight(), 100);
}

#[test]
fn load_is_ignored_when_inactive() {
    let mut s = settings(100, 10, 10);
    s.load_monitor = true;
    let mut m = Availability::new(s);
    assert_eq!(m.on_load(0.0), []);
}

#[test]
fn opaque_glasses_hold_down_and_suspend_probing() {
    let mut m = Availability::new(settings(100, 10, 60));
    assert_eq!(m.on_probe(true, S), [Action::Enter { weight: 3 }]);
    assert_eq!(m.manual_down(), [Action::Leave]);
    assert_eq!(m.glasses(), Glasses::Opaque);
    assert!(m.probing_suspended());
    assert_eq!(m.on_probe(true, 10 * S), []);
    assert_eq!(m.manual_down(), []);
    // SIGHUP: a passing probe readmits without the reentry wait.
    m.remove_glasses();
    assert_eq!(m.on_probe(true, 20 * S), [Action::Enter { weight: 3 }]);
}

#[test]
fn rose_colored_glasses_hold_up_at_full_weight() {
    let mut m = Availability::new(settings(100, 10, 60));
    assert_eq!(m.on_probe(false, S), []);
    assert_eq!(m.manual_up(2 * S), [Action::Enter { weight: 100 }]);
    assert_eq!(m.glasses(), Glasses::RoseColored);
    assert_eq!(m.on_probe(false, 10 * S), [], "failures ignored");
    assert!(m.is_active());
    assert_eq!(m.manual_up(3 * S), []);
    m.remove_glasses();
    assert_eq!(m.on_probe(false, 20 * S), [Action::Leave]);
}

#[test]
fn spec_4_7_hup_readmits_a_down_server_at_once() {
    let mut m = Availability::new(settings(1, 10, 180));
    assert_eq!(run(&mut m, 10, "+-+"), [(0, Action::Enter { weight: 1 }), (10, Action::Leave)]);
    m.remove_glasses();
    assert_eq!(m.on_probe(true, 30 * S), [Action::Enter { weight: 1 }]);
}

#[test]
fn weight_change_from_lvsd() {
    let mut m = Availability::new(settings(100, 10, 10));
    let _ = run(&mut m, 10, &"+".repeat(14));
    assert_eq!(m.last_weight(), 100);
    assert_eq!(m.set_weight(50), [Action::SetWeight { weight: 50 }]);
    assert_eq!(m.set_weight(80), []);
    assert_eq!(m.on_probe(true, 200 * S), [Action::SetWeight { weight: 80 }]);
}

#[test]
fn weights_stay_within_ipvs_limits() {
    let mut m = Availability::new(settings(u32::MAX, 30, 30));
    let got = run(&mut m, 30, "++");
    assert_eq!(got[0], (0, Action::Enter { weight: MAX_WEIGHT >> 5 }));
    assert!(m.last_weight() <= MAX_WEIGHT);
    assert_eq!(m.set_weight(0), [Action::SetWeight { weight: 1 }]);
}
