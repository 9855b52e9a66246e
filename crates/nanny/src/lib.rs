//! nanny: probes real servers and reports their availability (spec §4), in two modes:
//!
//! * worker mode (`--worker`), started by lvsd once per virtual service: real servers arrive on
//!   stdin and reports leave on stdout in the [`health::protocol`] format; log lines go to
//!   syslog (and to stderr with `-n`);
//! * standalone mode (the original command line, one real server given with `-h`): verdicts
//!   are only logged, to syslog and with `-n` also to stdout as `nanny: <message>`.
//!
//! nanny never runs ipvsadm and changes no table; lvsd owns IPVS.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod args;
pub mod log;
pub mod messages;
pub mod reports;

use std::ffi::OsString;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Mutex;

use clap::CommandFactory;
use health::lines::{Line, read_line};
use health::monitor::{Event, EventKind, Monitor, Override};
use health::probe::{DEFAULT_HTTP_NOTICE, endpoint};
use health::protocol::{MAX_LINE, Request, parse_request};
use tokio::io::BufReader;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::args::{Options, Settings};
use crate::log::{Log, Prefixed, Syslog, Tee};

/// Runs nanny with `args` (including the program name) and returns the exit status:
/// 0 after SIGTERM/SIGINT or when lvsd closes stdin, 1 for argument errors and (FOS) a service
/// that never came up.
pub async fn run(args: Vec<OsString>) -> i32 {
    let options = match Options::parse_from_args(args) {
        Ok(o) => o,
        Err(e) => {
            let _ = e.print();
            return 1;
        }
    };
    if options.help {
        println!("{}", Options::command().render_help());
        return 0;
    }
    if options.usage {
        println!("{}", Options::command().render_usage());
        return 0;
    }
    if options.version {
        print!("{}", args::version_text());
        return 0;
    }
    let settings = match options.settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    let mut sinks: Vec<Box<dyn Log>> = vec![Box::new(Syslog::open())];
    if options.nodaemon {
        if options.worker {
            sinks.push(Box::new(Prefixed(Mutex::new(std::io::stderr()))));
        } else {
            sinks.push(Box::new(Prefixed(Mutex::new(std::io::stdout()))));
        }
    }
    let log = Tee(sinks);
    match serve(&options, settings, &log).await {
        Ok(code) => code,
        Err(e) => {
            log.info(&e.to_string());
            1
        }
    }
}

/// The event loop of both modes.
async fn serve(options: &Options, settings: Settings, log: &dyn Log) -> std::io::Result<i32> {
    if let (Some(program), Some(send)) = (&options.program, &options.send) {
        log.info(&format!(
            "External program use requested: ({program}), IGNORING send string option ({send})"
        ));
    }
    if settings.default_http {
        log.info(DEFAULT_HTTP_NOTICE);
    }
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut usr1 = signal(SignalKind::user_defined1())?;
    let mut usr2 = signal(SignalKind::user_defined2())?;
    let mut hup = signal(SignalKind::hangup())?;
    let vip = format!("{}:{}", settings.vip, options.port);
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let mut monitor = Monitor::new(settings.service.clone(), events_tx);
    let mut requests = None;
    if let Some((addr, port)) = settings.server {
        if settings.fos {
            log.info(&format!("Failover service monitor for {} started", endpoint(addr, port)));
        } else {
            log.info(&format!("starting LVS client monitor for {vip} -> {}", endpoint(addr, port)));
        }
        monitor.apply(Request::Server { id: 0, addr, port, weight: options.weight });
    } else {
        requests = Some(spawn_stdin_reader());
    }
    // Reports go out with a plain write: tokio's stdout hands every write to
    // a blocking thread, which cost more CPU than the probes themselves at
    // 1,000 reports a second. lvsd drains the pipe continuously. Events that
    // are ready together go out in one write.
    let mut stdout = std::io::stdout();
    let mut filter = reports::ReportFilter::default();
    let mut alive = tokio::time::interval_at(
        tokio::time::Instant::now() + settings.service.interval,
        settings.service.interval,
    );
    alive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut out = String::new();
    let mut fos = FosWatch::default();
    let mut known: std::collections::HashMap<u32, SocketAddr> = std::collections::HashMap::new();
    loop {
        tokio::select! {
            _ = term.recv() => return Ok(terminate(log, 15)),
            _ = int.recv() => return Ok(terminate(log, 2)),
            _ = usr1.recv() => {
                log.info("opaque glasses on");
                monitor.set_override(Override::Down);
            }
            _ = usr2.recv() => {
                log.info("rose-colored glasses on");
                monitor.set_override(Override::Up);
            }
            _ = hup.recv() => {
                log.info("DEBUG -- removing glasses");
                monitor.set_override(Override::Recheck);
            }
            Some(first) = events.recv() => {
                let mut next = Some(first);
                while let Some(event) = next {
                    if settings.fos {
                        if let Some(code) = fos.on_event(&event, log) {
                            return Ok(code);
                        }
                    } else {
                        for line in messages::event_lines(&event, options.verbose) {
                            log.info(&line);
                        }
                    }
                    if options.worker
                        && let Some(report) = event.report()
                        && filter.admit(&report)
                    {
                        out.push_str(&format!("{report}\n"));
                    }
                    next = events.try_recv().ok();
                }
                if !send(&mut stdout, &mut out) {
                    // lvsd is gone.
                    return Ok(0);
                }
            }
            _ = alive.tick(), if options.worker => {
                if let Some(report) = filter.interval_ended() {
                    out.push_str(&format!("{report}\n"));
                    if !send(&mut stdout, &mut out) {
                        return Ok(0);
                    }
                }
            }
            line = recv_line(&mut requests) => match line {
                None | Some(Line::Eof) => return Ok(0),
                Some(Line::TooLong) => log.info("ignoring request from lvsd: line too long"),
                Some(Line::Complete(bytes)) => {
                    let parsed = std::str::from_utf8(&bytes)
                        .map_err(|_| "not UTF-8".to_owned())
                        .and_then(|text| parse_request(text).map_err(|e| e.to_string()));
                    match parsed {
                        Err(e) => log.info(&format!("ignoring request from lvsd: {e}")),
                        Ok(request) => {
                            if let Request::Server { id, addr, port, .. } = request {
                                let server = SocketAddr::new(addr, port);
                                if known.insert(id, server) != Some(server) {
                                    log.info(&format!(
                                        "starting LVS client monitor for {vip} -> {}",
                                        endpoint(addr, port)
                                    ));
                                }
                            } else if let Request::Forget { id } = request {
                                known.remove(&id);
                                filter.forget(id);
                            }
                            monitor.apply(request);
                        }
                    }
                }
            },
        }
    }
}

/// Writes and empties `out` (nothing when empty); `false` once lvsd is gone.
fn send(stdout: &mut std::io::Stdout, out: &mut String) -> bool {
    if out.is_empty() {
        return true;
    }
    let sent = stdout.write_all(out.as_bytes()).is_ok() && stdout.flush().is_ok();
    out.clear();
    sent
}

fn terminate(log: &dyn Log, signal: i32) -> i32 {
    log.info(&format!("Terminating due to signal {signal}"));
    // Make sure a `-n` log line is out before the runtime (and its helpers) are torn down.
    let _ = std::io::stdout().flush();
    0
}

/// Reads stdin lines on their own task (a line read is not cancel-safe inside `select!`).
fn spawn_stdin_reader() -> mpsc::Receiver<Line> {
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        let mut stdin = BufReader::new(tokio::io::stdin());
        loop {
            let line = read_line(&mut stdin, MAX_LINE).await.unwrap_or(Line::Eof);
            let eof = line == Line::Eof;
            if tx.send(line).await.is_err() || eof {
                return;
            }
        }
    });
    rx
}

/// The next request line, or never when there is no request stream (standalone mode).
async fn recv_line(requests: &mut Option<mpsc::Receiver<Line>>) -> Option<Line> {
    match requests {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// FOS mode (spec §4.10): exit 0 when an available service fails, exit 1 after two failures
/// without any success.
#[derive(Default)]
struct FosWatch {
    ever_up: bool,
    failures: u32,
}

impl FosWatch {
    fn on_event(&mut self, event: &Event, log: &dyn Log) -> Option<i32> {
        let at = endpoint(event.server.ip(), event.server.port());
        match &event.kind {
            EventKind::Up { entered: true, .. } => {
                self.ever_up = true;
                log.info(&format!("Remote service {at} is available"));
                None
            }
            EventKind::Down => {
                log.info(&format!("Exiting due to connection failure of {at}"));
                Some(0)
            }
            EventKind::Probe(r) if !r.ok && !self.ever_up => {
                self.failures += 1;
                (self.failures >= 2).then(|| {
                    log.info("Timeout waiting for remote service -- triggering failover!");
                    1
                })
            }
            _ => None,
        }
    }
}
