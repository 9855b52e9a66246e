//! nanny's availability state machine (spec §4.5), weight management (§4.6) and the manual
//! overrides of §4.7, as a pure struct: the caller passes each probe outcome and the monotonic
//! time since monitoring started, and carries out the returned [`Action`]s.

use std::time::Duration;

use crate::weight::{MAX_WEIGHT, initial_weight, load_weight, slow_start};

/// Weight management runs about this often (the original: every `20 / interval` probes).
pub const WEIGHT_PERIOD: Duration = Duration::from_secs(20);

/// Settings of one real server's availability machine.
#[derive(Debug, Clone, PartialEq)]
pub struct AvailabilitySettings {
    /// Configured weight (lvs.cf `weight`).
    pub weight: u32,
    /// Probe period (`-t`).
    pub interval: Duration,
    /// Readmission delay (`-a`; lvs.cf `reentry`).
    pub reentry: Duration,
    /// Maximum multiple of the weight for load-based raising (`-S`).
    pub scale: u32,
    /// Whether a load command is configured (`-U` other than `none`).
    pub load_monitor: bool,
}

/// What the caller must do after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The server becomes available with this weight (`[ active ] making %s:%d available`).
    Enter {
        /// Weight to program.
        weight: u32,
    },
    /// The server is no longer available (`[inactive] shutting down %s:%d due to connection
    /// failure`).
    Leave,
    /// The available server's weight changes.
    SetWeight {
        /// Weight to program.
        weight: u32,
    },
    /// Run the load command and pass its result to [`Availability::on_load`].
    MeasureLoad,
}

/// Manual override state, set by signals (spec §4.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Glasses {
    /// Normal probing.
    Off,
    /// SIGUSR1, `opaque glasses on`: held down, probing suspended.
    Opaque,
    /// SIGUSR2, `rose-colored glasses on`: held up at full weight, probing suspended.
    RoseColored,
}

/// One real server's availability.
#[derive(Debug, Clone)]
pub struct Availability {
    settings: AvailabilitySettings,
    /// `reentry / interval`: successes needed for readmission.
    count_thresh: u64,
    count: u64,
    active: bool,
    last_weight: u32,
    /// When the weight was last managed (entry, change or load measurement).
    last_adjust: Duration,
    glasses: Glasses,
}

impl Availability {
    /// A server not yet available; its count starts at the threshold so that the first
    /// successful probe admits it at once (spec §4.5).
    pub fn new(mut settings: AvailabilitySettings) -> Self {
        settings.weight = settings.weight.min(MAX_WEIGHT);
        let interval = settings.interval.as_millis().max(1);
        let count_thresh = u64::try_from(settings.reentry.as_millis() / interval).unwrap_or(u64::MAX);
        Availability {
            settings,
            count_thresh,
            count: count_thresh,
            active: false,
            last_weight: 0,
            last_adjust: Duration::ZERO,
            glasses: Glasses::Off,
        }
    }

    /// Whether the server is currently available.
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// The weight last reported with `Enter`/`SetWeight`.
    pub fn last_weight(&self) -> u32 {
        self.last_weight
    }

    /// The manual override state.
    pub fn glasses(&self) -> Glasses {
        self.glasses
    }

    /// Whether probing is suspended by a manual override.
    pub fn probing_suspended(&self) -> bool {
        self.glasses != Glasses::Off
    }

    /// Successes needed for readmission (`reentry / interval`).
    pub fn count_thresh(&self) -> u64 {
        self.count_thresh
    }

    /// Feeds one probe outcome at `now` (monotonic, since monitoring started). Ignored while a
    /// manual override is on.
    pub fn on_probe(&mut self, ok: bool, now: Duration) -> Vec<Action> {
        let mut actions = Vec::new();
        if self.probing_suspended() {
            return actions;
        }
        if ok {
            self.count = self.count.saturating_add(1);
            if !self.active && self.count >= self.count_thresh {
                self.active = true;
                self.last_weight = initial_weight(self.settings.weight);
                self.last_adjust = now;
                actions.push(Action::Enter { weight: self.last_weight });
            }
        } else {
            // One failure removes the server (spec §8 item 9 keeps this for compatibility).
            self.count = 0;
            if self.active {
                self.active = false;
                actions.push(Action::Leave);
            }
        }
        if self.active && self.weight_due(now) {
            self.last_adjust = now;
            if let Some(weight) = slow_start(self.last_weight, self.settings.weight) {
                self.last_weight = weight;
                actions.push(Action::SetWeight { weight });
            } else if self.settings.load_monitor {
                actions.push(Action::MeasureLoad);
            }
        }
        actions
    }

    /// Feeds a measured 1-minute load average (after [`Action::MeasureLoad`]).
    pub fn on_load(&mut self, load: f64) -> Vec<Action> {
        if !self.active || self.probing_suspended() {
            return Vec::new();
        }
        let s = &self.settings;
        match load_weight(self.last_weight, s.weight, s.scale, load) {
            Some(weight) => {
                self.last_weight = weight;
                vec![Action::SetWeight { weight }]
            }
            None => Vec::new(),
        }
    }

    /// SIGUSR1: hold the server down (`opaque glasses on`).
    pub fn manual_down(&mut self) -> Vec<Action> {
        self.glasses = Glasses::Opaque;
        if self.active {
            self.active = false;
            vec![Action::Leave]
        } else {
            Vec::new()
        }
    }

    /// SIGUSR2: hold the server up at its full weight (`rose-colored glasses on`).
    pub fn manual_up(&mut self, now: Duration) -> Vec<Action> {
        self.glasses = Glasses::RoseColored;
        if self.active {
            Vec::new()
        } else {
            self.active = true;
            self.last_weight = self.settings.weight.min(MAX_WEIGHT);
            self.last_adjust = now;
            vec![Action::Enter { weight: self.last_weight }]
        }
    }

    /// SIGHUP: leave manual mode and recheck (`DEBUG -- removing glasses`): the count is reset
    /// to the threshold, so a down server that passes the next probe is readmitted at once.
    /// The caller probes immediately.
    pub fn remove_glasses(&mut self) {
        self.glasses = Glasses::Off;
        self.count = self.count_thresh;
    }

    /// lvsd changed the configured weight. An available server above the new weight is lowered
    /// at once; slow start continues towards a higher one.
    pub fn set_weight(&mut self, weight: u32) -> Vec<Action> {
        let weight = weight.min(MAX_WEIGHT);
        self.settings.weight = weight;
        if self.active && self.last_weight > weight && !self.settings.load_monitor {
            self.last_weight = weight.clamp(1, MAX_WEIGHT);
            return vec![Action::SetWeight { weight: self.last_weight }];
        }
        Vec::new()
    }

    fn weight_due(&self, now: Duration) -> bool {
        self.settings.interval > WEIGHT_PERIOD || now.saturating_sub(self.last_adjust) >= WEIGHT_PERIOD
    }
}

#[cfg(test)]
mod tests;
