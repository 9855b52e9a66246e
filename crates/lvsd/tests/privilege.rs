//! The real `lvsd` binary keeps CAP_NET_ADMIN only, and bounds what it
//! starts (the nannies) to it. Run with `-t` (the in-memory kernel: this
//! machine's kernel has no IPVS); the VM tier checks the whole chain
//! pulse → lvsd → nanny on a real kernel (scenario 39).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use daemon::privilege::{Capability, CapsHashSet, Names, Sets};

const LVSD: &str = env!("CARGO_BIN_EXE_lvsd");

#[test]
fn keeps_net_admin_alone_and_bounds_its_children_to_it() {
    let dir = std::env::temp_dir().join(format!("lvsd-caps-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let cf = dir.join("lvs.cf");
    std::fs::write(
        &cf,
        "primary = 127.0.0.1\nvirtual www {\n active = 1\n address = 192.0.2.10 eth0:1\n \
         server a {\n  address = 127.0.0.1\n  active = 1\n }\n}\n",
    )
    .expect("write lvs.cf");
    let mut lvsd = Command::new(LVSD)
        .args(["-n", "-t", "-c"])
        .arg(&cf)
        .env("LVS_RUN_DIR", &dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("lvsd starts");
    // It has dropped them before its first line.
    let mut first = String::new();
    BufReader::new(lvsd.stdout.take().expect("stdout")).read_line(&mut first).expect("a line");
    let sets = Sets::of_process(lvsd.id()).expect("lvsd's sets");
    let _ = lvsd.kill();
    let _ = lvsd.wait();
    let _ = std::fs::remove_dir_all(&dir);

    let ours = Sets::current().expect("the test's sets");
    let net_admin: CapsHashSet = [Capability::CAP_NET_ADMIN].into();
    let expected: CapsHashSet = ours.permitted.intersection(&net_admin).copied().collect();
    assert_eq!(sets.effective, expected, "effective: {} ({first})", Names(&sets.effective));
    assert_eq!(sets.permitted, expected, "permitted: {}", Names(&sets.permitted));
    assert!(sets.ambient.is_subset(&expected), "ambient: {}", Names(&sets.ambient));
    assert!(sets.no_new_privs, "no_new_privs: a nanny gets no more than lvsd keeps");
    if ours.permitted.contains(&Capability::CAP_SETPCAP) {
        // As root (CI): nothing lvsd execs can get more than CAP_NET_ADMIN.
        assert_eq!(sets.bounding, net_admin, "bounding: {}", Names(&sets.bounding));
    }
}
