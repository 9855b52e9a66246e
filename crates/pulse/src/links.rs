//! `monitor_links` (spec §2.11): the link state of the interfaces carrying
//! our own public and private heartbeat addresses, polled through `netif`,
//! becomes [`Control::LinkDown`] / [`Control::LinkUp`] for the event loop.
//!
//! Unlike the original, the interface is the one matched by address (spec
//! §8 #22) and its state is the kernel's operstate/carrier. As in the
//! original, an address that no interface carries counts as up.

use std::net::IpAddr;
use std::time::Duration;

use daemon::Logger;
use netif::Interfaces;
use tokio::sync::mpsc;

use crate::runtime::Control;

/// How often the links are checked (the original checks at every loop
/// iteration, i.e. at least every `keepalive`).
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// Which of our addresses a link carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nic {
    /// Our public heartbeat address (the backup says "Primary NIC" too).
    Primary,
    /// Our private heartbeat address.
    Private,
}

impl Nic {
    /// The original's log line for this NIC's first failure (spec §6.2).
    pub fn down_text(self) -> &'static str {
        match self {
            Nic::Primary => "Primary NIC: link down",
            Nic::Private => "Private NIC: link down",
        }
    }
}

/// The pure part: remembers which NICs are down and says what to log and
/// which control to send for each observation.
#[derive(Debug, Clone, Default)]
pub struct LinkWatch {
    primary_down: bool,
    private_down: bool,
}

impl LinkWatch {
    /// A watch that believes every link is up.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one observation (`private` is `None` without a private
    /// channel); returns the lines to log and the control to send, if any.
    pub fn observe(
        &mut self,
        primary_up: bool,
        private_up: Option<bool>,
    ) -> (Vec<&'static str>, Option<Control>) {
        let was_down = self.primary_down || self.private_down;
        let mut logs = Vec::new();
        if !primary_up && !self.primary_down {
            logs.push(Nic::Primary.down_text());
        }
        let private_down = private_up == Some(false);
        if private_down && !self.private_down {
            logs.push(Nic::Private.down_text());
        }
        self.primary_down = !primary_up;
        self.private_down = private_down;
        let down = self.primary_down || self.private_down;
        let control = match (was_down, down) {
            (false, true) => Some(Control::LinkDown),
            (true, false) => Some(Control::LinkUp),
            _ => None,
        };
        (logs, control)
    }
}

/// Polls the links of `public` (and `private`) every `interval` and sends
/// the controls to `controls` until the channel closes. Kernel errors are
/// logged once per kind of failure and count as "up" (nothing known).
pub async fn monitor(
    public: IpAddr,
    private: Option<IpAddr>,
    interval: Duration,
    log: Logger,
    controls: mpsc::UnboundedSender<Control>,
) {
    let interfaces = match Interfaces::connect() {
        Ok(i) => i,
        Err(e) => {
            log.info(format!("monitor_links: cannot reach the kernel's interfaces: {e}"));
            return;
        }
    };
    let mut watch = LinkWatch::new();
    let mut reported_error = false;
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if controls.is_closed() {
            return;
        }
        let primary = link_up(&interfaces, public).await;
        let secondary = match private {
            Some(p) => Some(link_up(&interfaces, p).await),
            None => None,
        };
        let mut known = |r: Result<bool, netif::AddressError>| match r {
            Ok(up) => up,
            Err(e) => {
                if !reported_error {
                    log.info(format!("monitor_links: {e}"));
                    reported_error = true;
                }
                true
            }
        };
        let primary = known(primary);
        let secondary = secondary.map(&mut known);
        let (logs, control) = watch.observe(primary, secondary);
        for line in logs {
            log.info(line);
        }
        if let Some(control) = control
            && controls.send(control).is_err()
        {
            return;
        }
    }
}

async fn link_up(interfaces: &Interfaces, address: IpAddr) -> Result<bool, netif::AddressError> {
    let IpAddr::V4(address) = address else { return Ok(true) };
    Ok(interfaces.link_state_of(address).await?.is_none_or(|state| state.has_link()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_2_11_first_failure_logged_once_then_restored() {
        let mut watch = LinkWatch::new();
        assert_eq!(watch.observe(true, None), (vec![], None));
        assert_eq!(watch.observe(false, None), (vec!["Primary NIC: link down"], Some(Control::LinkDown)));
        assert_eq!(watch.observe(false, None), (vec![], None));
        assert_eq!(watch.observe(true, None), (vec![], Some(Control::LinkUp)));
        assert_eq!(watch.observe(true, None), (vec![], None));
    }

    #[test]
    fn both_nics_must_be_back() {
        let mut watch = LinkWatch::new();
        assert_eq!(
            watch.observe(true, Some(false)),
            (vec!["Private NIC: link down"], Some(Control::LinkDown))
        );
        assert_eq!(watch.observe(false, Some(false)), (vec!["Primary NIC: link down"], None));
        assert_eq!(watch.observe(true, Some(false)), (vec![], None));
        assert_eq!(watch.observe(true, Some(true)), (vec![], Some(Control::LinkUp)));
    }
}
