//! Announcing VIPs with gratuitous ARP, as pulse's `sendLvsArps` did (spec §2.8): for every
//! VIP at once, send the frame, wait, and again, `count` times.

use std::io;
use std::net::Ipv4Addr;
use std::time::Duration;

use futures::future::join_all;
use thiserror::Error;

use crate::arp::{FRAME_LEN, GratuitousArp, MacAddr};
use crate::packet::PacketSocket;

/// How often and how far apart the frames go out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cadence {
    /// Frames per VIP (pulse: 5 runs of send_arp).
    pub count: u32,
    /// Pause after each frame (pulse: `sleep(1)`).
    pub interval: Duration,
}

impl Default for Cadence {
    /// Piranha's: 5 frames, 1 s apart.
    fn default() -> Cadence {
        Cadence { count: 5, interval: Duration::from_secs(1) }
    }
}

/// One VIP to announce and the interface it is announced on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArpTarget {
    /// The VIP.
    pub vip: Ipv4Addr,
    /// Index of the base device (`eth0` for `eth0:1`).
    pub ifindex: u32,
    /// The base device's MAC.
    pub mac: MacAddr,
}

/// Puts a frame on a link. [`PacketSocket`] is the real one; tests record instead.
pub trait FrameSender {
    /// Sends one Ethernet frame out of interface `ifindex`.
    ///
    /// # Errors
    /// The operating system's error.
    fn send_frame(&self, ifindex: u32, frame: &[u8; FRAME_LEN]) -> io::Result<()>;
}

impl FrameSender for PacketSocket {
    fn send_frame(&self, ifindex: u32, frame: &[u8; FRAME_LEN]) -> io::Result<()> {
        self.send(ifindex, frame)
    }
}

/// Sends `cadence.count` broadcast gratuitous ARP replies for every target, all targets at
/// the same time, each frame followed by `cadence.interval`; returns when every target is
/// done (after `count * interval`, like pulse's ≈5 s), which is when the caller logs
/// `gratuitous lvs arps finished`.
///
/// A failed send does not stop the others, nor the remaining sends for the same VIP (each
/// was a separate send_arp run in Piranha); the failures are returned, in the order they
/// happened per target.
pub async fn announce<S: FrameSender>(
    sender: &S,
    targets: &[ArpTarget],
    cadence: Cadence,
) -> Vec<SendFailure> {
    let per_target = targets.iter().map(|target| announce_one(sender, *target, cadence));
    join_all(per_target).await.into_iter().flatten().collect()
}

async fn announce_one<S: FrameSender>(sender: &S, target: ArpTarget, cadence: Cadence) -> Vec<SendFailure> {
    let frame = GratuitousArp::reply(target.mac, target.vip).frame();
    let mut failures = Vec::new();
    for attempt in 1..=cadence.count {
        if let Err(source) = sender.send_frame(target.ifindex, &frame) {
            failures.push(SendFailure { vip: target.vip, ifindex: target.ifindex, attempt, source });
        }
        tokio::time::sleep(cadence.interval).await;
    }
    failures
}

/// One gratuitous ARP frame that could not be sent.
#[derive(Debug, Error)]
#[error("gratuitous ARP {attempt} for {vip} on interface {ifindex}: {source}")]
pub struct SendFailure {
    /// The VIP announced.
    pub vip: Ipv4Addr,
    /// The interface index.
    pub ifindex: u32,
    /// Which of the `count` frames (from 1).
    pub attempt: u32,
    /// The operating system's error.
    #[source]
    pub source: io::Error,
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use tokio::time::Instant;

    use super::*;

    /// Records what would have been sent, and when; fails on the listed interfaces.
    #[derive(Default)]
    struct Recorder {
        sent: RefCell<Vec<(Instant, u32, [u8; FRAME_LEN])>>,
        failing: Vec<u32>,
    }

    impl FrameSender for Recorder {
        fn send_frame(&self, ifindex: u32, frame: &[u8; FRAME_LEN]) -> io::Result<()> {
            if self.failing.contains(&ifindex) {
                return Err(io::Error::from_raw_os_error(libc::ENETDOWN));
            }
            self.sent.borrow_mut().push((Instant::now(), ifindex, *frame));
            Ok(())
        }
    }

    fn target(last: u8, ifindex: u32) -> ArpTarget {
        ArpTarget { vip: Ipv4Addr::new(192, 168, 10, last), ifindex, mac: MacAddr([2, 0, 0, 0, 0, last]) }
    }

    #[tokio::test(start_paused = true)]
    async fn spec_2_8_five_frames_one_second_apart_for_every_vip_at_once() {
        let recorder = Recorder::default();
        let start = Instant::now();
        let targets = [target(50, 2), target(51, 3)];
        let failures = announce(&recorder, &targets, Cadence::default()).await;
        assert!(failures.is_empty());
        assert_eq!(start.elapsed(), Duration::from_secs(5), "returns after the last pause");

        let sent = recorder.sent.borrow();
        assert_eq!(sent.len(), 10);
        for t in &targets {
            let times: Vec<Duration> = sent
                .iter()
                .filter(|(_, ifindex, _)| *ifindex == t.ifindex)
                .map(|(at, _, frame)| {
                    assert_eq!(*frame, GratuitousArp::reply(t.mac, t.vip).frame());
                    at.duration_since(start)
                })
                .collect();
            let expected: Vec<Duration> = (0..5).map(Duration::from_secs).collect();
            assert_eq!(times, expected, "VIPs are announced concurrently, not one after another");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_interface_does_not_stop_the_others() {
        let recorder = Recorder { failing: vec![3], ..Recorder::default() };
        let cadence = Cadence { count: 2, interval: Duration::from_millis(100) };
        let failures = announce(&recorder, &[target(50, 2), target(51, 3)], cadence).await;
        assert_eq!(
            failures.iter().map(|f| (f.vip.octets()[3], f.attempt)).collect::<Vec<_>>(),
            [(51, 1), (51, 2)]
        );
        assert_eq!(
            failures[0].to_string(),
            "gratuitous ARP 1 for 192.168.10.51 on interface 3: Network is down (os error 100)"
        );
        assert_eq!(recorder.sent.borrow().len(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_to_announce_returns_at_once() {
        let start = Instant::now();
        assert!(announce(&Recorder::default(), &[], Cadence::default()).await.is_empty());
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
