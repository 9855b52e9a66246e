//! What pulse answers on its status socket (`/var/run/pulse.sock`, see the
//! `status` crate): role and state, the partner as last heard, the VIPs
//! held and the lvsd that runs.
//!
//! [`StatusBoard`] keeps what the machine does not (when the partner was
//! last heard and what it said, since when the state holds) and builds the
//! answer; the event loop feeds it and publishes after every event.

use std::net::IpAddr;
use std::time::SystemTime;

use heartbeat::{Machine, Magic, Role};
use status::model::{
    DaemonStatus, HeldVip, LvsdProcess, Partner, PulseStatus, RouterRole, RouterState, unix_seconds,
};
use tokio::sync::watch;

/// The state a heartbeat reports; `None` for the liveness-only magics.
pub fn reported_state(magic: Magic) -> Option<RouterState> {
    match magic {
        Magic::Running | Magic::FosRunning | Magic::StopMe => Some(RouterState::Active),
        Magic::Stopped | Magic::FosStopped => Some(RouterState::Inactive),
        Magic::Hold | Magic::Held => None,
    }
}

/// pulse's memory for the status answer.
#[derive(Debug)]
pub struct StatusBoard {
    address: IpAddr,
    partner: Option<IpAddr>,
    last_heard: Option<SystemTime>,
    last_state: Option<RouterState>,
    active: bool,
    state_since: SystemTime,
    publisher: Option<watch::Sender<DaemonStatus>>,
}

impl StatusBoard {
    /// A board for the router at `address` whose partner is `partner`
    /// (`None` without a backup), started at `now`.
    pub fn new(address: IpAddr, partner: Option<IpAddr>, now: SystemTime) -> Self {
        StatusBoard {
            address,
            partner,
            last_heard: None,
            last_state: None,
            active: false,
            state_since: now,
            publisher: None,
        }
    }

    /// Publishes every [`StatusBoard::update`] into `publisher`.
    #[must_use]
    pub fn with_publisher(mut self, publisher: watch::Sender<DaemonStatus>) -> Self {
        self.publisher = Some(publisher);
        self
    }

    /// A heartbeat from the partner arrived at `at`.
    pub fn heard(&mut self, magic: Magic, at: SystemTime) {
        self.last_heard = Some(at);
        if let Some(state) = reported_state(magic) {
            self.last_state = Some(state);
        }
    }

    /// The answer after the machine handled an event at `now`; publishes it.
    pub fn update(
        &mut self,
        machine: &Machine,
        vips: Vec<HeldVip>,
        lvsd: Option<LvsdProcess>,
        now: SystemTime,
    ) -> PulseStatus {
        if machine.is_active() != self.active {
            self.active = machine.is_active();
            self.state_since = now;
        }
        let status = PulseStatus {
            role: match machine.role() {
                Role::Primary => RouterRole::Primary,
                Role::Backup => RouterRole::Backup,
            },
            state: if self.active { RouterState::Active } else { RouterState::Inactive },
            state_since: unix_seconds(self.state_since),
            address: self.address,
            link_failed: machine.flags().link_fail,
            partner: self.partner.map(|address| Partner {
                address,
                last_heard: self.last_heard.map(unix_seconds),
                last_state: self.last_state,
            }),
            vips,
            lvsd,
        };
        if let Some(publisher) = &self.publisher {
            publisher.send_replace(DaemonStatus::Pulse(status.clone()));
        }
        status
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use heartbeat::{Event, Settings};
    use status::model::LvsdMode;

    use super::*;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("literal")
    }

    #[test]
    fn heartbeat_magics_report_the_partners_state() {
        assert_eq!(reported_state(Magic::Running), Some(RouterState::Active));
        assert_eq!(reported_state(Magic::Stopped), Some(RouterState::Inactive));
        assert_eq!(reported_state(Magic::Hold), None);
    }

    #[test]
    fn the_board_follows_the_machine_and_the_partner() {
        let settings = Settings::new(Duration::from_secs(1), Duration::from_secs(3));
        let mut machine = Machine::new(Role::Backup, settings);
        let (tx, rx) = watch::channel(DaemonStatus::Pulse(PulseStatus {
            role: RouterRole::Primary,
            state: RouterState::Inactive,
            state_since: 0.0,
            address: ip("0.0.0.0"),
            link_failed: false,
            partner: None,
            vips: vec![],
            lvsd: None,
        }));
        let mut board = StatusBoard::new(ip("192.0.2.2"), Some(ip("192.0.2.1")), at(100)).with_publisher(tx);
        machine.on_event(Event::Start, Duration::ZERO);
        let standby = Some(LvsdProcess { pid: 50, mode: LvsdMode::Standby });
        let s = board.update(&machine, vec![], standby, at(101));
        assert_eq!((s.role, s.state, s.state_since), (RouterRole::Backup, RouterState::Inactive, 100.0));
        assert_eq!(s.partner, Some(Partner { address: ip("192.0.2.1"), last_heard: None, last_state: None }));

        board.heard(Magic::Running, at(102));
        board.heard(Magic::Hold, at(103));
        machine.on_event(Event::Heartbeat(Magic::Running), Duration::from_secs(3));
        let s = board.update(&machine, vec![], standby, at(103));
        let partner = s.partner.expect("partner");
        assert_eq!((partner.last_heard, partner.last_state), (Some(103.0), Some(RouterState::Active)));
        assert_eq!(s.state, RouterState::Inactive);
        assert_eq!(s.lvsd, standby);

        // The primary says it is inactive: the backup takes over.
        board.heard(Magic::Stopped, at(104));
        machine.on_event(Event::Heartbeat(Magic::Stopped), Duration::from_secs(4));
        let vip = HeldVip { address: ip("192.0.2.100"), prefix_len: 32, label: "eth0:1".into() };
        let s = board.update(
            &machine,
            vec![vip.clone()],
            Some(LvsdProcess { pid: 50, mode: LvsdMode::Active }),
            at(104),
        );
        assert_eq!((s.state, s.state_since), (RouterState::Active, 104.0));
        assert_eq!(s.partner.and_then(|p| p.last_state), Some(RouterState::Inactive));
        assert_eq!(s.vips, [vip]);
        let DaemonStatus::Pulse(published) = &*rx.borrow() else { panic!("pulse status") };
        assert_eq!(published.state, RouterState::Active, "published");
    }
}
