use super::*;
use ipvs::plan;

const CONFIG: &str = "primary = 192.0.2.1
virtual www {
 active = 1
 address = 192.0.2.10 eth0:1
 sorry_server = 10.0.0.99
 server a {
  address = 10.0.0.1
  active = 1
  weight = 100
 }
 server b {
  address = 10.0.0.2
  active = 1
  weight = 4
 }
 server off {
  address = 10.0.0.3
 }
}
virtual dns {
 active = 1
 address = 192.0.2.10 eth0:1
 port = 53
 protocol = udp
 quiesce_server = 1
 server d {
  address = 10.0.0.4
  active = 1
 }
}
virtual inactive {
 address = 192.0.2.11 eth0:2
}
";

fn config(src: &str) -> Config {
    lvs_config::parse(src).expect("valid").config
}

fn www() -> ServiceKey {
    ServiceKey::tcp("192.0.2.10".parse().expect("ip"), 80)
}

fn dns() -> ServiceKey {
    ServiceKey::udp("192.0.2.10".parse().expect("ip"), 53)
}

fn id_of(c: &Controller, key: ServiceKey, name: &str) -> u32 {
    c.service(&key).and_then(|s| s.servers.iter().find(|x| x.name == name)).map(|x| x.id).expect("server")
}

#[test]
fn services_start_empty_and_servers_enter_on_first_success() {
    let mut c = Controller::new(&config(CONFIG), false);
    assert_eq!(c.services.len(), 2, "inactive service left out");
    assert_eq!(c.service(&www()).map(|s| s.servers.len()), Some(2), "inactive server left out");
    assert_eq!(c.desired().to_rules(), "-A -t 192.0.2.10:80 -s wlc\n-A -u 192.0.2.10:53 -s wlc\n");
    let a = id_of(&c, www(), "a");
    assert!(c.set_health(&www(), a, Health::Up { weight: 3 }));
    assert!(!c.set_health(&www(), a, Health::Up { weight: 3 }), "no change");
    assert!(c.desired().to_rules().contains("-a -t 192.0.2.10:80 -r 10.0.0.1:80 -m -w 3\n"));
    // Weights never exceed the configured one.
    c.set_health(&www(), a, Health::Up { weight: 500 });
    assert!(c.desired().to_rules().contains("-r 10.0.0.1:80 -m -w 100\n"));
    c.set_health(&www(), a, Health::Down);
    assert!(!c.desired().to_rules().contains("10.0.0.1"));
}

#[test]
fn quiesce_keeps_a_failed_server_at_weight_zero() {
    let mut c = Controller::new(&config(CONFIG), false);
    let d = id_of(&c, dns(), "d");
    c.set_health(&dns(), d, Health::Down);
    assert!(!c.desired().to_rules().contains("10.0.0.4"), "never in the table: stays out");
    c.set_health(&dns(), d, Health::Up { weight: 1 });
    c.set_health(&dns(), d, Health::Down);
    assert!(c.desired().to_rules().contains("-a -u 192.0.2.10:53 -r 10.0.0.4:53 -m -w 0\n"));
    c.set_health(&dns(), d, Health::Up { weight: 1 });
    assert!(c.desired().to_rules().contains("-r 10.0.0.4:53 -m -w 1\n"));
}

#[test]
fn sorry_server_while_no_real_server_is_up() {
    let mut c = Controller::new(&config(CONFIG), false);
    let (a, b) = (id_of(&c, www(), "a"), id_of(&c, www(), "b"));
    c.set_health(&www(), a, Health::Down);
    assert!(c.update_sorry().is_empty(), "b not judged yet");
    c.set_health(&www(), b, Health::Down);
    assert_eq!(
        c.update_sorry(),
        vec!["Virtual Server www: No real servers; activate sorry_server 10.0.0.99"]
    );
    assert!(c.desired().to_rules().contains("-a -t 192.0.2.10:80 -r 10.0.0.99:80 -m -w 1\n"));
    assert!(c.update_sorry().is_empty(), "no repeated transition");
    c.set_health(&www(), b, Health::Up { weight: 4 });
    assert_eq!(
        c.update_sorry(),
        vec!["Virtual Server www: 1 real servers; deactivate sorry_server 10.0.0.99"]
    );
    assert!(!c.desired().to_rules().contains("10.0.0.99"));
}

#[test]
fn adopting_the_kernel_table_does_not_blink_servers() {
    let mut c = Controller::new(&config(CONFIG), false);
    let kernel = lvs_config::desired::desired_table(&config(CONFIG));
    c.adopt(&kernel);
    let ops = plan(&c.desired(), &kernel);
    assert!(ops.is_empty(), "{ops:?}");
}

fn steady(c: &mut Controller) {
    for s in &mut c.services {
        for x in &mut s.servers {
            x.health = Health::Up { weight: x.dest.weight };
            x.in_table = true;
        }
    }
}

#[test]
fn reload_with_a_changed_weight_is_one_edit_and_one_watch() {
    let mut c = Controller::new(&config(CONFIG), false);
    steady(&mut c);
    let before = c.desired();
    let changes = c.reload(&config(&CONFIG.replace("weight = 4", "weight = 2")));
    let b = id_of(&c, www(), "b");
    assert_eq!(changes, vec![WorkerChange::Watch(www(), b)]);
    let ops = plan(&c.desired(), &before);
    assert_eq!(
        ops.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["-e -t 192.0.2.10:80 -r 10.0.0.2:80 -m -w 2"]
    );
}

#[test]
fn reload_scheduler_change_is_an_edit_without_worker_changes() {
    let mut c = Controller::new(&config(CONFIG), false);
    steady(&mut c);
    let before = c.desired();
    let changes = c.reload(&config(&CONFIG.replace(" port = 53\n", " port = 53\n scheduler = rr\n")));
    assert!(changes.is_empty(), "{changes:?}");
    let ops: Vec<String> = plan(&c.desired(), &before).iter().map(ToString::to_string).collect();
    assert_eq!(ops, ["-E -u 192.0.2.10:53 -s rr"]);
}

#[test]
fn reload_removed_server_is_forgotten_and_deleted() {
    let mut c = Controller::new(&config(CONFIG), false);
    steady(&mut c);
    let before = c.desired();
    let a = id_of(&c, www(), "a");
    let changes =
        c.reload(&config(&CONFIG.replace("  address = 10.0.0.1\n  active = 1\n", "  address = 10.0.0.1\n")));
    assert_eq!(changes, vec![WorkerChange::Forget(www(), a)]);
    let ops: Vec<String> = plan(&c.desired(), &before).iter().map(ToString::to_string).collect();
    assert_eq!(ops, ["-d -t 192.0.2.10:80 -r 10.0.0.1:80"]);
}

#[test]
fn reload_probe_settings_restart_only_that_worker() {
    let mut c = Controller::new(&config(CONFIG), false);
    steady(&mut c);
    let before = c.desired();
    let changes =
        c.reload(&config(&CONFIG.replace(" quiesce_server = 1\n", " quiesce_server = 1\n timeout = 3\n")));
    assert_eq!(changes, vec![WorkerChange::Restart(dns())]);
    assert!(plan(&c.desired(), &before).is_empty(), "health kept: nothing blinks");
}

#[test]
fn reload_adds_and_removes_services() {
    let mut c = Controller::new(&config(CONFIG), false);
    let changes = c.reload(&config(
        &CONFIG
            .replace("virtual inactive {\n", "virtual inactive {\n active = 1\n")
            .replace("virtual dns {\n active = 1", "virtual dns {\n active = 0"),
    ));
    let inactive = ServiceKey::tcp("192.0.2.11".parse().expect("ip"), 80);
    assert_eq!(changes, vec![WorkerChange::Stop(dns()), WorkerChange::Start(inactive)]);
}

#[test]
fn worker_arguments_follow_the_service() {
    let cfg = config(
        "rsh_command = ssh\nvirtual v {\n active = 1\n address = 192.0.2.1 eth0:1\n protocol = udp\n port = 53\n \
         send = \"\\n\"\n expect = '*'\n use_regex = 1\n timeout = 4\n reentry = 20\n load_monitor = uptime\n}\n",
    );
    let args = worker_args(&cfg, &cfg.virtual_services[0], true);
    assert_eq!(
        args,
        [
            "--worker", "-p", "53", "-u", "-s", "\\n", "-x", "'*'", "--regex", "-v", "-a", "20", "-t", "4",
            "-U", "ssh"
        ]
    );
}
