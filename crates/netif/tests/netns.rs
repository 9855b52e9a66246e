//! Root-only tests in network namespaces: VIPs through rtnetlink checked with `ip`, and the
//! gratuitous ARPs captured on the far end of a veth. Each test skips (and passes) when not
//! root or without `ip netns`.

mod lab;

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use lab::{Lab, frames_from};
use netif::{AddressError, ArpPacket, Cadence, Interfaces, OperState, PacketSocket, Vip, announce};

fn ip(text: &str) -> Ipv4Addr {
    text.parse().expect("test address")
}

#[test]
fn spec_2_8_vip_add_with_label_prefix_broadcast_and_address_level_removal() {
    let Some(lab) = Lab::new() else { return };
    let dev = lab.router_if.clone();
    let vip24 = Vip::new(ip("10.77.0.50"), Some(ip("255.255.255.0")), &format!("{dev}:1")).unwrap();
    let vip32 = Vip::new(ip("10.99.0.7"), None, &format!("{dev}:2")).unwrap();
    let bare = Vip::new(ip("10.88.0.9"), Some(ip("255.255.0.0")), &dev).unwrap();

    Lab::block_on(&lab.router, || async {
        let interfaces = Interfaces::connect().unwrap();
        for vip in [&vip24, &vip32, &bare] {
            interfaces.add_vip(vip).await.unwrap();
        }
        // Adding what is there already is fine.
        interfaces.add_vip(&vip24).await.unwrap();
    });
    let lines = lab.router_inet_lines();
    let has = |want: &str| lines.iter().any(|l| l == want);
    assert!(has(&format!("inet 10.77.0.50/24 brd 10.77.0.255 scope global secondary {dev}:1")), "{lines:#?}");
    assert!(has(&format!("inet 10.99.0.7/32 scope global {dev}:2")), "{lines:#?}");
    assert!(has(&format!("inet 10.88.0.9/16 brd 10.88.255.255 scope global {dev}")), "{lines:#?}");
    assert_eq!(lines.iter().filter(|l| l.contains("10.77.0.50/")).count(), 1, "{lines:#?}");

    // An administrator's own alias with the same address but another label is not ours.
    lab.ip(&lab.router, &["addr", "add", "10.77.0.50/16", "dev", &dev, "label", &format!("{dev}:9")]);

    Lab::block_on(&lab.router, || async {
        let interfaces = Interfaces::connect().unwrap();
        for vip in [&vip24, &vip32, &bare] {
            interfaces.remove_vip(vip).await.unwrap();
            // Removing what is gone is fine.
            interfaces.remove_vip(vip).await.unwrap();
        }
    });
    let lines = lab.router_inet_lines();
    // What the lab and the administrator added (`ip addr add` without `brd`) stays.
    assert_eq!(
        lines,
        [
            format!("inet {}/24 scope global {dev}", lab::ROUTER_IP),
            format!("inet 10.77.0.50/16 scope global {dev}:9"),
        ]
    );
    // Releasing the bare-device VIP did not take the NIC down (spec §8 item 19).
    let link = lab.ip(&lab.router, &["link", "show", "dev", &dev]);
    assert!(link.contains(",UP") && link.contains("state UP"), "{link}");
}

/// The index of `dev` in `namespace`, as `ip link` reports it.
fn link_index(lab: &Lab, namespace: &str, dev: &str) -> u32 {
    let out = lab.ip(namespace, &["-o", "link", "show", "dev", dev]);
    out.split(':').next().and_then(|n| n.trim().parse().ok()).unwrap_or_else(|| panic!("no index in {out}"))
}

#[test]
fn a_takeover_adds_at_the_known_index_and_follows_a_recreated_device() {
    let Some(lab) = Lab::new() else { return };
    let dev = lab.router_if.clone();
    let vip = Vip::new(ip("10.77.0.60"), Some(ip("255.255.255.0")), &format!("{dev}:1")).unwrap();
    let index = link_index(&lab, &lab.router, &dev);

    // Unknown, then known and right: the same result, and a repeat is no error.
    let (first, second) = Lab::block_on(&lab.router, || async {
        let interfaces = Interfaces::connect().unwrap();
        let first = interfaces.bring_up_vip(&vip, None).await.unwrap();
        interfaces.remove_vip(&vip).await.unwrap();
        let second = interfaces.bring_up_vip(&vip, Some(index)).await.unwrap();
        assert_eq!(interfaces.bring_up_vip(&vip, Some(index)).await.unwrap(), second);
        (first, second)
    });
    assert_eq!(first, second);
    assert_eq!(first.0, index);
    let target = first.1.expect("a veth has a MAC");
    assert_eq!((target.vip, target.ifindex, target.mac), (vip.address(), index, lab.router_mac()));
    let lines = lab.router_inet_lines();
    assert!(
        lines.contains(&format!("inet 10.77.0.60/24 brd 10.77.0.255 scope global secondary {dev}:1")),
        "{lines:#?}"
    );

    // The device is re-created (a new index) and another device takes the
    // old index: the VIP ends up on the device of its name, not the other
    // (veth pairs: this kernel may lack the dummy driver).
    let (dummy, other) = (format!("{dev}d"), format!("{dev}o"));
    let add = |name: &str, index: Option<u32>| {
        let index = index.map(|i| i.to_string());
        let mut args = vec!["link", "add", name];
        if let Some(i) = &index {
            args.extend(["index", i.as_str()]);
        }
        let peer = format!("{name}p");
        args.extend(["type", "veth", "peer", "name", &peer]);
        lab.ip(&lab.router, &args);
    };
    add(&dummy, None);
    let old = link_index(&lab, &lab.router, &dummy);
    lab.ip(&lab.router, &["link", "del", &dummy]);
    add(&dummy, None);
    let new = link_index(&lab, &lab.router, &dummy);
    assert_ne!(old, new);
    add(&other, Some(old));
    let on_dummy = Vip::new(ip("10.66.0.1"), None, &format!("{dummy}:1")).unwrap();
    let found = Lab::block_on(&lab.router, || async {
        let interfaces = Interfaces::connect().unwrap();
        interfaces.bring_up_vip(&on_dummy, Some(old)).await.unwrap()
    });
    assert_eq!(found.0, new);
    let shown = |d: &str| lab.ip(&lab.router, &["-4", "-o", "addr", "show", "dev", d]);
    assert!(shown(&dummy).contains("10.66.0.1/32"), "{}", shown(&dummy));
    assert!(!shown(&other).contains("10.66.0.1"), "{}", shown(&other));

    // The device renamed: no device of the VIP's name, and nothing left on
    // the renamed one.
    let renamed = format!("{dev}r");
    lab.ip(&lab.router, &["addr", "del", "10.66.0.1/32", "dev", &dummy]);
    lab.ip(&lab.router, &["link", "set", &dummy, "name", &renamed]);
    let err = Lab::block_on(&lab.router, || async {
        let interfaces = Interfaces::connect().unwrap();
        interfaces.bring_up_vip(&on_dummy, Some(new)).await.unwrap_err()
    });
    assert!(matches!(err, AddressError::NoSuchLink(ref n) if *n == dummy), "{err:?}");
    assert!(!shown(&renamed).contains("10.66.0.1"), "{}", shown(&renamed));
    lab.ip(&lab.router, &["link", "set", &renamed, "name", &dummy]);

    // The old index gone altogether: the add there fails, the VIP still comes up.
    lab.ip(&lab.router, &["link", "del", &other]);
    let found = Lab::block_on(&lab.router, || async {
        let interfaces = Interfaces::connect().unwrap();
        interfaces.bring_up_vip(&on_dummy, Some(old)).await.unwrap()
    });
    assert_eq!(found.0, new);
    assert!(shown(&dummy).contains("10.66.0.1/32"), "{}", shown(&dummy));
}

#[test]
fn missing_interface() {
    let Some(lab) = Lab::new() else { return };
    Lab::block_on(&lab.router, || async {
        let interfaces = Interfaces::connect().unwrap();
        let vip = Vip::new(ip("10.77.0.50"), None, "nosuch0:1").unwrap();
        let err = interfaces.add_vip(&vip).await.unwrap_err();
        assert!(matches!(err, AddressError::NoSuchLink(ref n) if n == "nosuch0"), "{err:?}");
        assert_eq!(err.to_string(), "no such network interface: nosuch0");
        assert!(matches!(interfaces.vip_link(&vip).await, Err(AddressError::NoSuchLink(_))));
        let err = interfaces.add_vip_at(999_999, &vip).await.unwrap_err();
        assert!(err.to_string().contains("No such device"), "{err}");
        interfaces.remove_vip(&vip).await.expect("nothing to remove is success");
        assert!(matches!(interfaces.link_mac("nosuch0").await, Err(AddressError::NoSuchLink(_))));
    });
}

#[test]
fn spec_8_22_23_local_addresses_link_state_and_mac() {
    let Some(lab) = Lab::new() else { return };
    let dev = lab.router_if.clone();
    lab.ip(&lab.router, &["addr", "add", "10.77.0.70/24", "dev", &dev, "label", &format!("{dev}:7")]);
    let expected_mac = lab.router_mac();
    let (mac, index, addresses, state_up, unknown) = Lab::block_on(&lab.router, || async {
        let interfaces = Interfaces::connect().unwrap();
        (
            interfaces.link_mac(&dev).await.unwrap(),
            interfaces.link_index(&dev).await.unwrap(),
            interfaces.local_addresses().await.unwrap(),
            interfaces.link_state_of(ip("10.77.0.70")).await.unwrap(),
            interfaces.link_state_of(ip("10.1.1.1")).await.unwrap(),
        )
    });
    assert_eq!(mac, expected_mac);
    let on_dev: Vec<(Ipv4Addr, u8, &str)> = addresses
        .iter()
        .filter(|a| a.link_index == index)
        .map(|a| (a.address, a.prefix_len, a.label.as_str()))
        .collect();
    // The secondary alias is listed too, not only the primary.
    let alias = format!("{dev}:7");
    assert_eq!(on_dev, [(ip(lab::ROUTER_IP), 24, dev.as_str()), (ip("10.77.0.70"), 24, alias.as_str())]);

    let state = state_up.expect("the alias's interface");
    assert_eq!((state.index, state.name.as_str()), (index, dev.as_str()));
    assert!(state.admin_up && state.has_link(), "{state:?}");
    assert_eq!((state.operstate, state.carrier), (OperState::Up, Some(true)));
    assert_eq!(unknown, None);

    // The peer end going down takes the carrier away from this (still administratively up) end.
    lab.ip(&lab.peer, &["link", "set", &lab.peer_if, "down"]);
    let down = Lab::block_on(&lab.router, || async {
        Interfaces::connect().unwrap().link_state_of(ip("10.77.0.70")).await.unwrap()
    })
    .expect("still carried by the veth");
    assert!(down.admin_up && !down.has_link(), "{down:?}");
    assert_eq!(down.carrier, Some(false), "{down:?}");
    // veth reports DOWN (older kernels LOWERLAYERDOWN) for a lost peer.
    assert!(matches!(down.operstate, OperState::Down | OperState::LowerLayerDown), "{down:?}");
}

#[test]
fn spec_2_8_and_5_gratuitous_arps_on_the_wire() {
    let Some(lab) = Lab::new() else { return };
    let dev = lab.router_if.clone();
    let vips = [
        Vip::new(ip("10.77.0.50"), Some(ip("255.255.255.0")), &format!("{dev}:1")).unwrap(),
        Vip::new(ip("10.77.0.51"), None, &format!("{dev}:2")).unwrap(),
    ];
    let mac = lab.router_mac();
    let (frames, took) = lab.capture_during(Duration::from_secs(3), Duration::from_secs(15), || {
        Lab::block_on(&lab.router, || async {
            let interfaces = Interfaces::connect().unwrap();
            let mut targets = Vec::new();
            for vip in &vips {
                // pulse's takeover path: one lookup gives the index to add
                // the VIP on and the ARP target.
                let (index, target) = interfaces.vip_link(vip).await.unwrap();
                interfaces.add_vip_at(index, vip).await.unwrap();
                assert_eq!(target, Some(interfaces.arp_target(vip).await.unwrap()));
                targets.push(target.unwrap());
            }
            let socket = PacketSocket::sender().unwrap();
            let start = Instant::now();
            let failures = announce(&socket, &targets, Cadence::default()).await;
            assert!(failures.is_empty(), "{failures:?}");
            start.elapsed()
        })
    });

    // Returns after 5 frames and 5 pauses, as pulse's ≈5 s before `gratuitous lvs arps finished`.
    assert!((Duration::from_millis(4900)..Duration::from_millis(6000)).contains(&took), "{took:?}");
    for vip in &vips {
        let seen = frames_from(&frames, vip.address());
        assert_eq!(seen.len(), 5, "5 frames for {}", vip.address());
        for (_, bytes) in &seen {
            assert_eq!(bytes.len(), 60, "60-byte frame");
            assert_eq!(bytes[0..6], [0xff; 6], "Ethernet destination = broadcast");
            assert_eq!(bytes[6..12], mac.0, "Ethernet source = interface MAC");
            assert_eq!(bytes[12..14], [0x08, 0x06], "EtherType ARP");
            assert_eq!(bytes[14..20], [0, 1, 0x08, 0x00, 6, 4], "htype, ptype, hlen, plen");
            assert_eq!(bytes[20..22], [0, 2], "opcode reply");
            let packet = ArpPacket::parse(bytes).unwrap();
            assert_eq!((packet.sender_mac, packet.sender_ip), (mac, vip.address()));
            assert_eq!((packet.target_mac, packet.target_ip), (mac, vip.address()));
            assert_eq!(bytes[42..], [0; 18], "padding");
        }
        for pair in seen.windows(2) {
            let gap = pair[1].0.duration_since(pair[0].0);
            assert!(
                (Duration::from_millis(800)..Duration::from_millis(1300)).contains(&gap),
                "frames 1 s apart, got {gap:?}"
            );
        }
    }
    // Both VIPs are announced at the same time, not one after the other.
    let first = |vip: &Vip| frames_from(&frames, vip.address())[0].0;
    let skew = first(&vips[1]).max(first(&vips[0])) - first(&vips[1]).min(first(&vips[0]));
    assert!(skew < Duration::from_millis(300), "{skew:?}");
}
