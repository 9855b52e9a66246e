//! A two-namespace lab for root-only tests: a "router" namespace and a "peer" namespace
//! joined by a veth pair, both ends up and addressed in 10.77.0.0/24.
//!
//! [`Lab::new`] returns `None` (after printing why) when the tests cannot run here: not
//! root, or `ip netns` unavailable. Names are unique per process and lab, and dropping the
//! lab deletes both namespaces (which deletes the veth pair), even when a test fails.
//!
//! Shared by the netif and send_arp integration tests (`#[path]`).
#![allow(dead_code)]

use std::fs::File;
use std::io::ErrorKind;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use netif::{ArpPacket, MacAddr, PacketSocket};
use nix::sched::{CloneFlags, setns};

/// The router end's own address.
pub const ROUTER_IP: &str = "10.77.0.1";
/// The peer end's address.
pub const PEER_IP: &str = "10.77.0.2";

/// A pair of namespaces joined by a veth.
pub struct Lab {
    /// Namespace holding the router end.
    pub router: String,
    /// Namespace holding the peer end.
    pub peer: String,
    /// The veth end in the router namespace (≤ 15 bytes, so `NAME:1` labels fit).
    pub router_if: String,
    /// The veth end in the peer namespace.
    pub peer_if: String,
}

impl Lab {
    /// Builds the lab, or says why it cannot and returns `None`.
    pub fn new() -> Option<Lab> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        if !is_root() {
            eprintln!("skipped: needs root for network namespaces");
            return None;
        }
        let id = format!("{}x{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let lab = Lab {
            router: format!("netif-test-{id}-r"),
            peer: format!("netif-test-{id}-p"),
            router_if: format!("nr{id}"),
            peer_if: format!("np{id}"),
        };
        if let Err(why) = run_quiet("ip", &["netns", "add", &lab.router]) {
            eprintln!("skipped: `ip netns` is unavailable: {why}");
            return None;
        }
        // From here on, Drop removes whatever was created.
        let (r, p) = (lab.router.as_str(), lab.peer.as_str());
        let (ri, pi) = (lab.router_if.as_str(), lab.peer_if.as_str());
        let setup: &[&[&str]] = &[
            &["netns", "add", p],
            &["-n", r, "link", "add", ri, "type", "veth", "peer", "name", pi, "netns", p],
            &["-n", r, "link", "set", ri, "up"],
            &["-n", p, "link", "set", pi, "up"],
            &["-n", r, "addr", "add", &format!("{ROUTER_IP}/24"), "dev", ri],
            &["-n", p, "addr", "add", &format!("{PEER_IP}/24"), "dev", pi],
        ];
        for args in setup {
            if let Err(why) = run_quiet("ip", args) {
                panic!("lab setup `ip {}` failed: {why}", args.join(" "));
            }
        }
        Some(lab)
    }

    /// Runs `ip -n NS ARGS…` and returns its standard output.
    pub fn ip(&self, namespace: &str, args: &[&str]) -> String {
        let mut full = vec!["-n", namespace];
        full.extend_from_slice(args);
        run_quiet("ip", &full).unwrap_or_else(|why| panic!("`ip {}`: {why}", full.join(" ")))
    }

    /// The `inet …` lines of `ip -4 addr show dev DEV` in the router namespace, trimmed.
    pub fn router_inet_lines(&self) -> Vec<String> {
        self.ip(&self.router, &["-4", "addr", "show", "dev", &self.router_if])
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("inet "))
            .map(str::to_owned)
            .collect()
    }

    /// The router end's MAC, as `ip link` reports it.
    pub fn router_mac(&self) -> MacAddr {
        let out = self.ip(&self.router, &["link", "show", "dev", &self.router_if]);
        let text = out
            .split_whitespace()
            .skip_while(|w| *w != "link/ether")
            .nth(1)
            .expect("`ip link` shows link/ether");
        let mut mac = [0u8; 6];
        for (byte, hex) in mac.iter_mut().zip(text.split(':')) {
            *byte = u8::from_str_radix(hex, 16).expect("hex MAC");
        }
        MacAddr(mac)
    }

    /// Runs `f` on a thread inside namespace `namespace` (sockets it opens belong there).
    pub fn within<T: Send>(namespace: &str, f: impl FnOnce() -> T + Send) -> T {
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let ns = File::open(format!("/run/netns/{namespace}")).expect("open netns");
                    setns(ns, CloneFlags::CLONE_NEWNET).expect("setns");
                    f()
                })
                .join()
                .expect("netns thread")
        })
    }

    /// Runs an async `f` on a current-thread runtime inside `namespace`.
    pub fn block_on<F: Future + Send>(namespace: &str, f: impl FnOnce() -> F + Send) -> F::Output
    where
        F::Output: Send,
    {
        Lab::within(namespace, || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime")
                .block_on(f())
        })
    }

    /// Captures the ARP frames arriving at the peer end while `action` runs (it starts once
    /// the capture socket is bound), until `quiet` passes without a frame after it or
    /// `limit` has passed; returns each frame with its arrival time, and what `action`
    /// returned.
    pub fn capture_during<T: Send>(
        &self,
        quiet: Duration,
        limit: Duration,
        action: impl FnOnce() -> T + Send,
    ) -> (Vec<(Instant, Vec<u8>)>, T) {
        let (ready_tx, ready_rx) = mpsc::channel();
        std::thread::scope(|scope| {
            let capture = scope.spawn(|| self.capture_on_peer(ready_tx, quiet, limit));
            ready_rx.recv().expect("capture ready");
            let result = action();
            (capture.join().expect("capture thread"), result)
        })
    }

    fn capture_on_peer(
        &self,
        ready: mpsc::Sender<()>,
        quiet: Duration,
        limit: Duration,
    ) -> Vec<(Instant, Vec<u8>)> {
        Lab::within(&self.peer, move || {
            let index = netif::interface_index(&self.peer_if).expect("peer interface");
            let socket = PacketSocket::arp_receiver(index).expect("AF_PACKET receiver");
            socket.set_read_timeout(Duration::from_millis(100)).expect("timeout");
            ready.send(()).expect("test waits for the capture");
            let start = Instant::now();
            let mut last = start;
            let mut frames = Vec::new();
            let mut buf = [0u8; 2048];
            while start.elapsed() < limit && last.elapsed() < quiet {
                match socket.recv(&mut buf) {
                    Ok(n) => {
                        last = Instant::now();
                        frames.push((last, buf[..n].to_vec()));
                    }
                    Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                    Err(e) => panic!("recv: {e}"),
                }
            }
            frames
        })
    }
}

/// The frames whose ARP sender IP is `ip`.
pub fn frames_from(frames: &[(Instant, Vec<u8>)], ip: std::net::Ipv4Addr) -> Vec<(Instant, Vec<u8>)> {
    frames
        .iter()
        .filter(|(_, bytes)| ArpPacket::parse(bytes).is_ok_and(|p| p.sender_ip == ip))
        .cloned()
        .collect()
}

impl Drop for Lab {
    fn drop(&mut self) {
        for namespace in [&self.router, &self.peer] {
            let _ = run_quiet("ip", &["netns", "del", namespace]);
        }
    }
}

fn is_root() -> bool {
    run_quiet("id", &["-u"]).is_ok_and(|uid| uid.trim() == "0")
}

fn run_quiet(program: &str, args: &[&str]) -> Result<String, String> {
    match Command::new(program).args(args).output() {
        Ok(out) if out.status.success() => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
        Ok(out) => Err(String::from_utf8_lossy(&out.stderr).trim().to_owned()),
        Err(e) => Err(format!("cannot run {program}: {e}")),
    }
}
