//! What a worker tells lvsd, and how often (pure).
//!
//! Every probe of every server produces a [`Report::Probe`]; at 1,000 servers a second,
//! sending each one costs a write in nanny and a read and parse in lvsd for no news. The
//! [`ReportFilter`] lets a probe outcome through only when it differs from that server's
//! previous one (verdicts, `up` and `down`, always pass), and says when an interval went by
//! without any line, so the worker sends [`Report::Alive`] instead.

use std::collections::HashMap;

use health::protocol::{Report, ServerId};

/// The last outcome sent per server, and whether anything was sent this interval.
#[derive(Debug, Default)]
pub struct ReportFilter {
    last: HashMap<ServerId, (bool, Option<String>)>,
    sent_this_interval: bool,
}

impl ReportFilter {
    /// Whether `report` goes to lvsd.
    pub fn admit(&mut self, report: &Report) -> bool {
        let news = match report {
            Report::Probe { id, ok, reason } => {
                let outcome = (*ok, if *ok { None } else { reason.clone() });
                self.last.insert(*id, outcome.clone()) != Some(outcome)
            }
            Report::Up { .. } | Report::Down { .. } | Report::Alive => true,
        };
        self.sent_this_interval |= news;
        news
    }

    /// lvsd forgot `id`: its next outcome is news again.
    pub fn forget(&mut self, id: ServerId) {
        self.last.remove(&id);
    }

    /// An interval ended: the report to send if nothing was sent during it.
    pub fn interval_ended(&mut self) -> Option<Report> {
        let quiet = !std::mem::take(&mut self.sent_this_interval);
        quiet.then_some(Report::Alive)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(id: ServerId, ok: bool, reason: Option<&str>) -> Report {
        Report::Probe { id, ok, reason: reason.map(str::to_owned) }
    }

    #[test]
    fn only_changed_outcomes_pass() {
        let mut f = ReportFilter::default();
        assert!(f.admit(&probe(1, true, None)), "first outcome");
        assert!(!f.admit(&probe(1, true, None)));
        assert!(f.admit(&probe(2, true, None)), "per server");
        assert!(f.admit(&probe(1, false, Some("CONNECT to 10.0.0.1:80 timed out"))));
        assert!(!f.admit(&probe(1, false, Some("CONNECT to 10.0.0.1:80 timed out"))));
        assert!(f.admit(&probe(
            1,
            false,
            Some("Failed to connect 10.0.0.1:80 ping socket: Connection refused")
        )));
        assert!(f.admit(&probe(1, true, Some("ignored when ok"))));
        assert!(!f.admit(&probe(1, true, None)), "an ok's reason is no news");
    }

    #[test]
    fn verdicts_always_pass() {
        let mut f = ReportFilter::default();
        for _ in 0..2 {
            assert!(f.admit(&Report::Up { id: 1, weight: 5 }));
            assert!(f.admit(&Report::Down { id: 1 }));
        }
    }

    #[test]
    fn a_forgotten_server_starts_afresh() {
        let mut f = ReportFilter::default();
        assert!(f.admit(&probe(1, true, None)));
        f.forget(1);
        assert!(f.admit(&probe(1, true, None)));
    }

    #[test]
    fn alive_only_after_a_quiet_interval() {
        let mut f = ReportFilter::default();
        assert_eq!(f.interval_ended(), Some(Report::Alive), "nothing sent yet");
        assert!(f.admit(&probe(1, true, None)));
        assert_eq!(f.interval_ended(), None, "a probe line went out");
        assert!(!f.admit(&probe(1, true, None)));
        assert_eq!(f.interval_ended(), Some(Report::Alive), "the repeat was filtered");
    }
}
