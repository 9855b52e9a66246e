use super::*;

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| (*a).to_owned()).collect()
}

const MAC: MacAddr = MacAddr([0x00, 0x1a, 0x4b, 0x3c, 0x2d, 0x1e]);

#[test]
fn spec_5_argument_count_and_device() {
    let four = strings(&["10.0.0.1", "001A4B3C2D1E", "10.0.0.255", "ffffffffffff"]);
    let parsed = parse_args(&four).expect("four arguments");
    assert_eq!(parsed.device, "eth0");
    assert_eq!((parsed.src_ip, parsed.target_mac), ("10.0.0.1", "ffffffffffff"));

    let six = strings(&["-i", "bond0", "10.0.0.1", "001A4B3C2D1E", "10.0.0.255", "ffffffffffff"]);
    assert_eq!(parse_args(&six).map(|a| a.device), Some("bond0"));

    for bad in [
        &[][..],
        &["10.0.0.1", "001A4B3C2D1E", "10.0.0.255"][..],
        &["10.0.0.1", "001A4B3C2D1E", "10.0.0.255", "ffffffffffff", "x"][..],
        &["-x", "bond0", "10.0.0.1", "001A4B3C2D1E", "10.0.0.255", "ffffffffffff"][..],
        // -i only counts as the first argument.
        &["10.0.0.1", "001A4B3C2D1E", "10.0.0.255", "ffffffffffff", "-i", "bond0"][..],
    ] {
        assert_eq!(parse_args(&strings(bad)), None, "{bad:?}");
    }
    // With four arguments nothing is an option, as in the original: `-i` is SRC_IP.
    let four = strings(&["-i", "bond0", "10.0.0.1", "001A4B3C2D1E"]);
    assert_eq!(parse_args(&four).map(|a| (a.device, a.src_ip)), Some(("eth0", "-i")));
}

#[test]
fn spec_5_hardware_addresses() {
    for good in [
        "001A4B3C2D1E",
        "001a4b3c2d1e",
        "00:1a:4b:3c:2d:1e",
        "00:1A4B:3c2d:1E",
        "00:1a:4b:3c:2d:1e:",
        "001A4B3C2D1Etrailing junk",
        "00:1a:4b:3c:2d:1e:ff",
    ] {
        assert_eq!(parse_mac(good), Some(MAC), "{good}");
    }
    assert_eq!(parse_mac("ffffffffffff"), Some(MacAddr::BROADCAST));
    for bad in [
        "",
        "001A4B3C2D1",
        "00:1a:4b:3c:2d",
        "0:1a:4b:3c:2d:1e",
        "00-1a-4b-3c-2d-1e",
        "g01A4B3C2D1E",
        "00::1a4b3c2d1e",
        "é01A4B3C2D1E",
    ] {
        assert_eq!(parse_mac(bad), None, "{bad}");
    }
}

#[test]
fn spec_5_ip_addresses() {
    assert_eq!(resolve_ip("192.168.10.50"), Some(Ipv4Addr::new(192, 168, 10, 50)));
    // inet_addr's classic forms.
    assert_eq!(resolve_ip("10.1"), Some(Ipv4Addr::new(10, 0, 0, 1)));
    assert_eq!(resolve_ip("0x7f.1"), Some(Ipv4Addr::new(127, 0, 0, 1)));
    // inet_addr fails on it (INADDR_NONE), the host lookup then gives it back.
    assert_eq!(resolve_ip("255.255.255.255"), Some(Ipv4Addr::BROADCAST));
    assert_eq!(resolve_ip("localhost"), Some(Ipv4Addr::LOCALHOST));
    assert_eq!(resolve_ip("no-such-host.invalid"), None);
}

#[test]
fn spec_5_frame_is_the_reply_with_target_ip_ignored() {
    let args = Arguments {
        device: "eth0",
        src_ip: "192.168.10.50",
        src_mac: "001A4B3C2D1E",
        target_ip: "192.168.10.255",
        target_mac: "ffffffffffff",
    };
    let expected = GratuitousArp::reply(MAC, Ipv4Addr::new(192, 168, 10, 50)).frame();
    assert_eq!(frame(&args), Ok(expected));
    assert_eq!(frame(&Arguments { target_ip: "10.9.9.9", ..args }), Ok(expected));
    let unicast = frame(&Arguments { target_mac: "02:00:00:00:00:01", ..args }).unwrap();
    assert_eq!(unicast[..6], [2, 0, 0, 0, 0, 1]);
    assert_eq!(unicast[6..], expected[6..]);
}

#[test]
fn spec_5_errors_in_the_original_order_and_words() {
    let args = Arguments {
        device: "eth0",
        src_ip: "nosuch.invalid",
        src_mac: "001A4B3C2D1E",
        target_ip: "other.invalid",
        target_mac: "ffffffffff",
    };
    // Hardware addresses are checked before IP addresses, source before target.
    assert_eq!(frame(&args), Err(Failure::InvalidHardwareAddress));
    let args = Arguments { target_mac: "ffffffffffff", ..args };
    assert_eq!(frame(&args), Err(Failure::UnknownHost("nosuch.invalid".into())));
    let args = Arguments { src_ip: "10.0.0.1", ..args };
    assert_eq!(frame(&args), Err(Failure::UnknownHost("other.invalid".into())));

    assert_eq!(Failure::InvalidHardwareAddress.to_string(), "Invalid hardware address\n");
    assert_eq!(Failure::UnknownHost("x".into()).to_string(), "send_arp: unknown host x\n");
    assert_eq!(Failure::Socket(Errno::EPERM).to_string(), "socket: Operation not permitted\n");
    assert_eq!(Failure::Sendto(Errno::ENODEV).to_string(), "sendto: No such device\n");
    assert_eq!(Failure::Usage.to_string(), USAGE);
    assert_eq!(run(&strings(&["1", "2", "3"])), Err(Failure::Usage));
}
