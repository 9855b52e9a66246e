use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use super::*;
use crate::testutil::Listener;

/// Records each `write` call separately, to check "one write per line".
#[derive(Clone, Default)]
struct Writes(Arc<Mutex<Vec<Vec<u8>>>>);

impl Write for Writes {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().push(buf.to_vec());
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Writes {
    fn strings(&self) -> Vec<String> {
        let writes = self.0.lock().unwrap();
        writes.iter().map(|w| String::from_utf8(w.clone()).unwrap()).collect()
    }
}

fn fixed_clock() -> SyslogTimestamp {
    SyslogTimestamp::new(11, 25, 10, 1, 15).expect("valid")
}

fn syslog_logger(identity: Identity, socket: &Listener) -> LoggerBuilder {
    let sink = SyslogSink::new(identity.ident().to_owned()).with_path(socket.path()).with_clock(fixed_clock);
    Logger::builder(identity).syslog_sink(sink)
}

#[test]
fn identities_match_spec_6_1() {
    let pairs: Vec<_> = [Identity::pulse(), Identity::lvsd(), Identity::nanny()]
        .iter()
        .map(|i| (i.ident().to_owned(), i.prefix().to_owned()))
        .collect();
    assert_eq!(
        pairs,
        [("pulse", "pulse"), ("lvsd", "lvs"), ("nanny", "nanny")].map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
}

#[test]
fn foreground_is_prefix_colon_message_in_one_write() {
    let writes = Writes::default();
    let log = Logger::builder(Identity::nanny()).foreground(writes.clone()).build();
    log.info("[ active ] making 10.0.0.1:80 available");
    log.info(format_args!("Terminating due to signal {}", 15));
    assert_eq!(
        writes.strings(),
        ["nanny: [ active ] making 10.0.0.1:80 available\n", "nanny: Terminating due to signal 15\n"]
    );
}

#[test]
fn foreground_cuts_message_at_255_bytes_on_a_char_boundary() {
    let writes = Writes::default();
    let log = Logger::builder(Identity::lvsd()).foreground(writes.clone()).build();
    log.info("x".repeat(300));
    // 254 ASCII bytes then a 2-byte 'é' would end at 256: it is left out whole.
    log.info(format!("{}é tail", "y".repeat(254)));
    let lines = writes.strings();
    assert_eq!(lines[0], format!("lvs: {}\n", "x".repeat(255)));
    assert_eq!(lines[1], format!("lvs: {}\n", "y".repeat(254)));
}

#[test]
fn trailing_newlines_are_stripped() {
    let writes = Writes::default();
    let memory = MemoryLog::new();
    let log = Logger::builder(Identity::nanny()).foreground(writes.clone()).memory(&memory).build();
    log.info("timeout running the following:\n");
    assert_eq!(writes.strings(), ["nanny: timeout running the following:\n"]);
    assert_eq!(memory.messages(), ["timeout running the following:"]);
}

#[test]
fn debug_only_when_verbose() {
    let quiet_memory = MemoryLog::new();
    let quiet = Logger::builder(Identity::pulse()).memory(&quiet_memory).build();
    quiet.debug("DEBUG -- Sending heartbeat...");
    quiet.info("STARTING PULSE AS MASTER");
    assert_eq!(quiet_memory.messages(), ["STARTING PULSE AS MASTER"]);

    let memory = MemoryLog::new();
    let verbose = Logger::builder(Identity::pulse()).memory(&memory).verbose(true).build();
    assert!(verbose.is_verbose());
    verbose.debug("DEBUG -- Sending heartbeat...");
    assert_eq!(
        memory.records(),
        [Record { level: Level::Debug, message: "DEBUG -- Sending heartbeat...".into() }]
    );
    assert!(memory.contains("heartbeat"));
    memory.clear();
    assert!(memory.records().is_empty());
}

#[test]
fn syslog_datagram_is_byte_exact_with_pid_and_daemon_info() {
    let socket = Listener::new("exact");
    let log = syslog_logger(Identity::lvsd(), &socket).build();
    log.info("shutting down due to signal 15");
    assert_eq!(
        socket.recv(),
        format!("<30>Nov 25 10:01:15 lvsd[{}]: shutting down due to signal 15", std::process::id())
    );
}

#[test]
fn spec_8_21_percent_in_data_is_not_a_format() {
    let socket = Listener::new("percent");
    let log = syslog_logger(Identity::nanny(), &socket).build();
    log.info("Sending len=4, text=\"%h %s %n\"");
    assert!(socket.recv().ends_with("]: Sending len=4, text=\"%h %s %n\""));
    log.info("100%");
    assert!(socket.recv().ends_with("]: 100%"));
}

#[test]
fn every_level_is_info_unless_mapped() {
    let socket = Listener::new("levels");
    let compat = syslog_logger(Identity::pulse(), &socket).verbose(true).build();
    compat.error("e");
    compat.debug("d");
    assert!(socket.recv().starts_with("<30>"));
    assert!(socket.recv().starts_with("<30>"));

    let mapped = syslog_logger(Identity::pulse(), &socket).verbose(true).map_severities(true).build();
    mapped.error("e");
    mapped.warn("w");
    mapped.notice("n");
    mapped.info("i");
    mapped.debug("d");
    let priorities: Vec<_> = (0..5).map(|_| socket.recv().split('>').next().unwrap().to_owned()).collect();
    assert_eq!(priorities, ["<27", "<28", "<29", "<30", "<31"]);
}

#[test]
fn syslog_message_is_cut_at_the_cap_not_at_255() {
    let socket = Listener::new("cap");
    let log = syslog_logger(Identity::lvsd(), &socket).build();
    log.info("z".repeat(300));
    assert!(socket.recv().ends_with(&format!("]: {}", "z".repeat(300))));
    log.info("z".repeat(SYSLOG_MAX_MESSAGE + 10));
    assert!(socket.recv().ends_with(&format!("]: {}", "z".repeat(SYSLOG_MAX_MESSAGE))));
}

#[test]
fn absent_syslog_is_silent() {
    let log = Logger::builder(Identity::pulse())
        .syslog_sink(SyslogSink::new("pulse").with_path("/nonexistent/dev/log"))
        .build();
    log.info("nobody listens");
    log.info("still nobody");
}

#[test]
fn syslog_reconnects_when_the_socket_is_recreated() {
    let mut listener = Listener::new("reconnect");
    let log = syslog_logger(Identity::lvsd(), &listener).build();
    log.info("one");
    assert!(listener.recv().ends_with("]: one"));
    listener.rebind(|| log.info("lost while syslog is down"));
    log.info("two");
    assert!(listener.recv().ends_with("]: two"));
    assert!(listener.nothing_pending());
}

#[test]
fn both_sinks_at_once_like_nanny_nodaemon() {
    let socket = Listener::new("both");
    let writes = Writes::default();
    let log = syslog_logger(Identity::nanny(), &socket).foreground(writes.clone()).build();
    log.info("[inactive] shutting down 10.0.0.1:80 due to connection failure");
    assert!(socket.recv().ends_with("]: [inactive] shutting down 10.0.0.1:80 due to connection failure"));
    assert_eq!(writes.strings(), ["nanny: [inactive] shutting down 10.0.0.1:80 due to connection failure\n"]);
}

#[test]
fn timestamp_pads_day_with_a_blank() {
    let at = SyslogTimestamp::new(1, 5, 0, 0, 9).unwrap();
    assert_eq!(at.to_string(), "Jan  5 00:00:09");
    assert_eq!(SyslogTimestamp::new(13, 1, 0, 0, 0), None);
    assert_eq!(SyslogTimestamp::new(12, 0, 0, 0, 0), None);
    // Whatever the zone, now() is a valid time stamp.
    let now = SyslogTimestamp::now().to_string();
    assert_eq!(now.len(), 15, "{now}");
}

#[test]
fn truncate_never_splits_a_char() {
    assert_eq!(truncate_utf8("aé", 2), "a");
    assert_eq!(truncate_utf8("aé", 3), "aé");
    assert_eq!(truncate_utf8("€", 2), "");
    assert_eq!(truncate_utf8("", 0), "");
}

#[tokio::test]
async fn clones_log_from_several_tasks() {
    let memory = MemoryLog::new();
    let log = Logger::builder(Identity::lvsd()).memory(&memory).build();
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let log = log.clone();
            tokio::spawn(async move { log.info(format_args!("task {i}")) })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let mut messages = memory.messages();
    messages.sort();
    assert_eq!(messages, ["task 0", "task 1", "task 2", "task 3"]);
}
