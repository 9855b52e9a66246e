//! The signals a daemon reacts to, as one async stream (spec §2.12, §3.8,
//! §4.7).
//!
//! | Signal | Event |
//! |---|---|
//! | SIGTERM, SIGINT | [`SignalEvent::Shutdown`] with the number, for `Terminating due to signal %d` |
//! | SIGHUP | [`SignalEvent::Reload`] |
//! | SIGUSR1, SIGUSR2 | [`SignalEvent::User1`], [`SignalEvent::User2`]: nanny's manual down/up; lvsd ignores them |
//! | SIGPIPE | swallowed (spec §8 #27): a write to a reset connection returns `EPIPE` instead |
//!
//! Registering installs the handlers for the whole process, from
//! [`Signals::new`] on; from then on these signals no longer have their
//! default action (termination), even while nobody awaits [`Signals::next`].
//! Signals that arrive while nobody waits are kept, several of one kind may
//! coalesce into one event.

use std::io;

use tokio::signal::unix::{Signal, SignalKind, signal};

/// What a received signal asks of the daemon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignalEvent {
    /// SIGTERM or SIGINT: orderly shutdown.
    Shutdown {
        /// The signal number (15 or 2), as the logs print it.
        signal: i32,
    },
    /// SIGHUP: reload the configuration (lvsd), forward it (pulse) or
    /// recheck (nanny).
    Reload,
    /// SIGUSR1.
    User1,
    /// SIGUSR2.
    User2,
}

impl SignalEvent {
    /// The signal number behind the event.
    pub fn number(self) -> i32 {
        match self {
            Self::Shutdown { signal } => signal,
            Self::Reload => libc::SIGHUP,
            Self::User1 => libc::SIGUSR1,
            Self::User2 => libc::SIGUSR2,
        }
    }
}

/// The daemon's signal handlers; see the [module docs](self).
#[derive(Debug)]
pub struct Signals {
    term: Signal,
    interrupt: Signal,
    hangup: Signal,
    user1: Signal,
    user2: Signal,
    pipe: Signal,
}

impl Signals {
    /// Installs the handlers. Must be called inside a tokio runtime.
    ///
    /// # Errors
    /// When a handler cannot be registered.
    pub fn new() -> io::Result<Self> {
        Ok(Self {
            term: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
            hangup: signal(SignalKind::hangup())?,
            user1: signal(SignalKind::user_defined1())?,
            user2: signal(SignalKind::user_defined2())?,
            pipe: signal(SignalKind::pipe())?,
        })
    }

    /// The next signal event. Cancel-safe: usable in `tokio::select!`.
    pub async fn next(&mut self) -> SignalEvent {
        loop {
            tokio::select! {
                Some(()) = self.term.recv() => {
                    return SignalEvent::Shutdown { signal: libc::SIGTERM };
                }
                Some(()) = self.interrupt.recv() => {
                    return SignalEvent::Shutdown { signal: libc::SIGINT };
                }
                Some(()) = self.hangup.recv() => return SignalEvent::Reload,
                Some(()) = self.user1.recv() => return SignalEvent::User1,
                Some(()) = self.user2.recv() => return SignalEvent::User2,
                Some(()) = self.pipe.recv() => {}
                // Only if every stream ended, which tokio never does.
                else => std::future::pending::<()>().await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use nix::sys::signal::{Signal as NixSignal, raise};

    use super::*;

    /// One test for all signals: they are process-wide, and tests run in
    /// parallel threads of one process.
    #[tokio::test]
    async fn each_signal_maps_to_its_event_and_sigpipe_is_swallowed() {
        let mut signals = Signals::new().unwrap();
        let cases = [
            (NixSignal::SIGPIPE, None),
            (NixSignal::SIGTERM, Some(SignalEvent::Shutdown { signal: 15 })),
            (NixSignal::SIGINT, Some(SignalEvent::Shutdown { signal: 2 })),
            (NixSignal::SIGHUP, Some(SignalEvent::Reload)),
            (NixSignal::SIGUSR1, Some(SignalEvent::User1)),
            (NixSignal::SIGUSR2, Some(SignalEvent::User2)),
        ];
        for (signal, expected) in cases {
            raise(signal).unwrap();
            let got = tokio::time::timeout(Duration::from_millis(300), signals.next()).await;
            match expected {
                Some(event) => {
                    let event_got = got.unwrap_or_else(|_| panic!("{signal} not delivered"));
                    assert_eq!(event_got, event);
                    assert_eq!(event_got.number(), signal as i32);
                }
                None => assert!(got.is_err(), "{signal} must not produce an event"),
            }
        }
    }
}
