//! The log lines nanny writes for monitor events (spec §6.2, verbatim); pure.

use health::monitor::{Event, EventKind};
use health::probe::endpoint;

/// The log lines for one event; `verbose` adds the `-v` lines.
pub fn event_lines(event: &Event, verbose: bool) -> Vec<String> {
    let at = endpoint(event.server.ip(), event.server.port());
    match &event.kind {
        EventKind::Probe(result) => match &result.reason {
            // The original logs refused connections only in verbose mode.
            Some(r) if verbose || !r.starts_with("Failed to connect ") => vec![r.clone()],
            _ => Vec::new(),
        },
        EventKind::Up { entered: true, .. } => vec![format!("[ active ] making {at} available")],
        EventKind::Up { weight, entered: false } if verbose => {
            vec![format!("Adjusting weight of {at} to {weight}")]
        }
        EventKind::Up { .. } => Vec::new(),
        EventKind::Down => vec![format!("[inactive] shutting down {at} due to connection failure")],
        EventKind::Load(Ok(load)) if verbose => {
            vec![format!("Loadavg of {} is {load:.6}", event.server.ip())]
        }
        EventKind::Load(Ok(_)) => Vec::new(),
        EventKind::Load(Err(e)) => vec![e.to_string()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use health::ProbeResult;

    fn event(kind: EventKind) -> Event {
        Event { id: 0, server: "10.0.0.1:80".parse().expect("addr"), kind }
    }

    #[test]
    fn spec_6_2_texts() {
        assert_eq!(
            event_lines(&event(EventKind::Up { weight: 3, entered: true }), false),
            ["[ active ] making 10.0.0.1:80 available"]
        );
        assert_eq!(
            event_lines(&event(EventKind::Down), false),
            ["[inactive] shutting down 10.0.0.1:80 due to connection failure"]
        );
        assert!(event_lines(&event(EventKind::Up { weight: 6, entered: false }), false).is_empty());
        assert_eq!(
            event_lines(&event(EventKind::Up { weight: 6, entered: false }), true),
            ["Adjusting weight of 10.0.0.1:80 to 6"]
        );
        let timeout = ProbeResult::fail("CONNECT to 10.0.0.1:80 timed out".into());
        assert_eq!(
            event_lines(&event(EventKind::Probe(timeout)), false),
            ["CONNECT to 10.0.0.1:80 timed out"]
        );
        let refused =
            ProbeResult::fail("Failed to connect 10.0.0.1:80 ping socket: Connection refused".into());
        assert!(event_lines(&event(EventKind::Probe(refused.clone())), false).is_empty());
        assert_eq!(event_lines(&event(EventKind::Probe(refused)), true).len(), 1);
        assert_eq!(event_lines(&event(EventKind::Load(Ok(0.5))), true), ["Loadavg of 10.0.0.1 is 0.500000"]);
    }
}
