use std::net::SocketAddr;
use std::path::PathBuf;

use super::*;

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("pulse-auth-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn key_file(&self, name: &str, contents: &[u8], mode: u32) -> PathBuf {
        let path = self.0.join(name);
        fs::write(&path, contents).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_private_key_file_loads() {
    let dir = Scratch::new("ok");
    let path = dir.key_file("a.key", b"0123456789abcdef0123\n", 0o600);
    assert_eq!(load_key(&path), Ok(HeartbeatKey::from_file_contents(b"0123456789abcdef0123").unwrap()));
    let read_only = dir.key_file("b.key", b"0123456789abcdef0123\n", 0o400);
    assert!(load_key(&read_only).is_ok());
}

#[test]
fn key_file_problems_name_the_file() {
    let dir = Scratch::new("bad");
    let open = dir.key_file("open.key", b"0123456789abcdef0123\n", 0o644);
    let e = load_key(&open).unwrap_err();
    assert!(e.starts_with(&format!("heartbeat_key {}: ", open.display())), "{e}");
    assert!(e.ends_with("group or others may access it (mode 0644); chmod 600 it"), "{e}");
    let group = dir.key_file("group.key", b"0123456789abcdef0123\n", 0o640);
    assert!(load_key(&group).unwrap_err().contains("mode 0640"));
    let short = dir.key_file("short.key", b"short\n", 0o600);
    assert!(load_key(&short).unwrap_err().ends_with("the key is 5 bytes long; at least 16 are needed"));
    let huge = dir.key_file("huge.key", &[b'k'; 10_000], 0o600);
    assert!(load_key(&huge).unwrap_err().contains("at most 4096"), "read bounded, then refused");
    assert!(load_key(&dir.0).unwrap_err().ends_with("not a regular file"));
    assert!(load_key(&dir.0.join("missing")).unwrap_err().contains("No such file"));
}

#[test]
fn configured_key_follows_lvs_cf() {
    let dir = Scratch::new("cf");
    let path = dir.key_file("cf.key", b"0123456789abcdef\n", 0o600);
    let mut config = lvs_config::Config::default();
    assert_eq!(configured_key(&config), Ok(None));
    config.heartbeat_key = Some(path.display().to_string());
    assert!(matches!(configured_key(&config), Ok(Some(_))));
}

fn channels() -> Channels {
    let at = |text: &str| SocketAddr::new(text.parse().unwrap(), 539);
    Channels {
        own_public: at("192.0.2.1"),
        own_private: None,
        partner_public: at("192.0.2.2"),
        partner_private: None,
    }
}

fn key(text: &str) -> HeartbeatKey {
    HeartbeatKey::from_file_contents(text.as_bytes()).unwrap()
}

const NOW: Duration = Duration::from_secs(1_795_000_000);

#[test]
fn plain_heartbeats_are_the_original_four_bytes() {
    let mut heartbeats = Heartbeats::new(&channels(), None);
    assert!(!heartbeats.authenticated());
    assert_eq!(heartbeats.encode(Magic::Running, NOW), Magic::Running.to_bytes());
    let partner: IpAddr = "192.0.2.2".parse().unwrap();
    assert_eq!(heartbeats.decode(&Magic::Stopped.to_bytes(), partner, NOW), Ok(Magic::Stopped));
}

#[test]
fn two_keyed_routers_understand_each_other() {
    let secret = key("shared secret, 16+ bytes");
    let mut ours = Heartbeats::new(&channels(), Some(secret.clone()));
    let theirs_channels = Channels {
        own_public: channels().partner_public,
        partner_public: channels().own_public,
        ..channels()
    };
    let mut theirs = Heartbeats::new(&theirs_channels, Some(secret));
    let datagram = theirs.encode(Magic::Running, NOW);
    assert_eq!(datagram.len(), heartbeat::auth::AUTH_PACKET_LEN);
    assert_eq!(ours.decode(&datagram, "192.0.2.2".parse().unwrap(), NOW), Ok(Magic::Running));
    // our own datagram reflected with the partner's address is refused
    let reflected = ours.encode(Magic::Stopped, NOW);
    assert!(matches!(
        ours.decode(&reflected, "192.0.2.2".parse().unwrap(), NOW),
        Err(DecodeError::Rejected { why: heartbeat::AuthError::BadTag, .. })
    ));
}

#[test]
fn set_key_reports_each_transition_once() {
    let mut heartbeats = Heartbeats::new(&channels(), None);
    assert_eq!(heartbeats.set_key(None), None);
    assert_eq!(
        heartbeats.set_key(Some(key("0123456789abcdef"))),
        Some("heartbeat authentication on (heartbeat_key)")
    );
    assert_eq!(heartbeats.set_key(Some(key("0123456789abcdef"))), None, "same key: nothing to say");
    assert_eq!(heartbeats.set_key(Some(key("fedcba9876543210"))), Some("heartbeat key changed"));
    assert!(heartbeats.authenticated());
    assert_eq!(
        heartbeats.set_key(None),
        Some("heartbeat authentication off: sending and accepting plain heartbeats")
    );
    assert_eq!(heartbeats.encode(Magic::Stopped, NOW).len(), 4);
}

#[test]
fn the_log_limiter_lets_one_line_a_second_through_and_counts_the_rest() {
    let mut limiter = LogLimiter::default();
    let at = Duration::from_millis;
    assert_eq!(limiter.admit(at(0)), Some(0));
    assert_eq!(limiter.admit(at(10)), None);
    assert_eq!(limiter.admit(at(999)), None);
    assert_eq!(limiter.admit(at(1000)), Some(2));
    assert_eq!(limiter.admit(at(1500)), None);
    assert_eq!(limiter.admit(at(5000)), Some(1));
    assert_eq!(limiter.admit(at(7000)), Some(0));
}

#[test]
fn copies_spread_over_the_keepalive() {
    let plain = Heartbeats::new(&channels(), None);
    assert_eq!(plain.repeat(), None, "one copy by default: the original");
    let three = Heartbeats::new(&channels(), None).with_copies(3, Duration::from_millis(600));
    assert_eq!(three.repeat(), Some((Duration::from_millis(200), 2)));
    let zero = Heartbeats::new(&channels(), None).with_copies(0, Duration::from_secs(1));
    assert_eq!(zero.repeat(), None, "0 means 1");
}
