//! The send_arp binary: usage errors everywhere; address errors and a frame on the wire in
//! network namespaces when root (skipped otherwise).

#[path = "../../netif/tests/lab/mod.rs"]
mod lab;

use std::process::{Command, Output};
use std::time::Duration;

use lab::Lab;
use netif::{GratuitousArp, MacAddr};

const BIN: &str = env!("CARGO_BIN_EXE_send_arp");

fn stderr(out: &Output) -> &str {
    std::str::from_utf8(&out.stderr).expect("utf-8 stderr")
}

#[test]
fn spec_5_usage_on_stderr_exit_1() {
    for args in
        [&[][..], &["1.2.3.4"][..], &["-x", "d", "a", "b", "c", "d"][..], &["a", "b", "c", "d", "e"][..]]
    {
        let out = Command::new(BIN).args(args).output().expect("run send_arp");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(out.stdout.is_empty());
        assert_eq!(stderr(&out), send_arp::USAGE, "{args:?}");
    }
}

/// Runs send_arp inside the lab's router namespace.
fn send_arp_in(lab: &Lab, args: &[&str]) -> Output {
    Command::new("ip").args(["netns", "exec", &lab.router, BIN]).args(args).output().expect("run")
}

#[test]
fn spec_5_address_errors_exit_1() {
    let Some(lab) = Lab::new() else { return };
    let dev = lab.router_if.clone();
    let cases: [(&[&str], &str); 4] = [
        (
            &["-i", &dev, "10.77.0.50", "001A4B3C2D", "10.77.0.255", "ffffffffffff"],
            "Invalid hardware address\n",
        ),
        (
            &["-i", &dev, "10.77.0.50", "001A4B3C2D1E", "10.77.0.255", "ff:ff:ff"],
            "Invalid hardware address\n",
        ),
        (
            &["-i", &dev, "nosuch.invalid", "001A4B3C2D1E", "10.77.0.255", "ffffffffffff"],
            "send_arp: unknown host nosuch.invalid\n",
        ),
        (
            &["-i", "nosuch0", "10.77.0.50", "001A4B3C2D1E", "10.77.0.255", "ffffffffffff"],
            "sendto: No such device\n",
        ),
    ];
    for (args, message) in cases {
        let out = send_arp_in(&lab, args);
        assert_eq!((out.status.code(), stderr(&out)), (Some(1), message), "{args:?}");
    }
}

#[test]
fn spec_5_one_frame_on_the_wire() {
    let Some(lab) = Lab::new() else { return };
    let dev = lab.router_if.clone();
    let (frames, out) = lab.capture_during(Duration::from_secs(1), Duration::from_secs(5), || {
        // The MAC need not be the interface's: send_arp puts what it is given.
        send_arp_in(&lab, &["-i", &dev, "10.77.0.50", "02:00:5e:10:00:01", "10.77.0.255", "FFFFFFFFFFFF"])
    });
    assert_eq!((out.status.code(), stderr(&out)), (Some(0), ""));
    let seen = lab::frames_from(&frames, "10.77.0.50".parse().unwrap());
    assert_eq!(seen.len(), 1, "exactly one frame per run");
    let expected =
        GratuitousArp::reply(MacAddr([2, 0, 0x5e, 0x10, 0, 1]), "10.77.0.50".parse().unwrap()).frame();
    assert_eq!(seen[0].1, expected);
}
