//! The nanny worker processes: one per active virtual service, fed the
//! service's real servers on stdin, reporting verdicts on stdout.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use health::lines::{Line, read_line};
use health::protocol::{MAX_LINE, Report, Request, parse_report};
use ipvs::ServiceKey;
use nix::sys::signal::Signal;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

use crate::controller::ServiceState;

/// What a worker's reader task tells the main loop.
#[derive(Debug)]
pub enum WorkerEvent {
    /// A report line.
    Report(ServiceKey, u64, Report),
    /// stdout closed: the worker exited (or closed it, which is as bad).
    Exited(ServiceKey, u64),
    /// A line that is not protocol (logged, ignored).
    Garbage(ServiceKey, String),
}

/// A running worker.
#[derive(Debug)]
pub struct Worker {
    /// Incremented at every start, so events of an older process are ignored.
    pub generation: u64,
    /// The process.
    pub child: Child,
    /// Its stdin.
    stdin: ChildStdin,
}

impl Worker {
    /// The process id (0 once reaped).
    pub fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }

    /// Sends one request line.
    ///
    /// # Errors
    /// When the pipe is broken (the worker died; its exit event follows).
    pub async fn send(&mut self, request: &Request) -> std::io::Result<()> {
        self.stdin.write_all(format!("{request}\n").as_bytes()).await?;
        self.stdin.flush().await
    }

    /// Asks the worker to stop (SIGTERM), waits up to `grace`, then kills it.
    pub async fn stop(mut self, grace: Duration) {
        if let Some(pid) = self.child.id().and_then(|p| i32::try_from(p).ok()) {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), Signal::SIGTERM);
        }
        if tokio::time::timeout(grace, self.child.wait()).await.is_err() {
            let _ = self.child.kill().await;
        }
    }

    /// Reaps a worker whose output has closed: it normally exits right
    /// away; one that lives on past `grace` is useless and is killed, so
    /// lvsd never waits for it forever. Returns how it ended, for the log.
    pub async fn reap(mut self, grace: Duration) -> String {
        match tokio::time::timeout(grace, self.child.wait()).await {
            Ok(status) => status.map(|s| s.to_string()).unwrap_or_default(),
            Err(_) => {
                let _ = self.child.kill().await;
                "killed: it closed its output but kept running".to_owned()
            }
        }
    }
}

/// The request that makes a worker watch `server`.
pub fn watch_request(server: &crate::controller::ServerState) -> Request {
    Request::Server {
        id: server.id,
        addr: server.dest.addr,
        port: server.probe_port,
        weight: server.dest.weight,
    }
}

/// Starts the worker of `service`, sends it the servers, and spawns the
/// task that forwards its reports to `events`.
///
/// # Errors
/// When the program cannot be started.
pub async fn spawn(
    program: &Path,
    service: &ServiceState,
    generation: u64,
    events: mpsc::UnboundedSender<WorkerEvent>,
) -> std::io::Result<Worker> {
    let mut command = std::process::Command::new(program);
    command.args(&service.worker_args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::inherit());
    // A worker must not outlive lvsd (spec §3.4: PR_SET_PDEATHSIG).
    daemon::daemonize::kill_on_parent_death(&mut command, Signal::SIGTERM);
    let mut command = Command::from(command);
    command.kill_on_drop(true);
    let mut child = command.spawn()?;
    let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Err(std::io::Error::other("worker pipes missing"));
    };
    let mut worker = Worker { generation, child, stdin };
    for server in &service.servers {
        worker.send(&watch_request(server)).await?;
    }
    let key = service.key();
    tokio::spawn(async move {
        let mut reader = BufReader::new(stdout);
        loop {
            let event = match read_line(&mut reader, MAX_LINE).await {
                Ok(Line::Complete(bytes)) => {
                    let line = String::from_utf8_lossy(&bytes);
                    match parse_report(&line) {
                        Ok(report) => WorkerEvent::Report(key, generation, report),
                        Err(_) => WorkerEvent::Garbage(key, line.into_owned()),
                    }
                }
                Ok(Line::TooLong) => WorkerEvent::Garbage(key, "(over-long line)".to_owned()),
                Ok(Line::Eof) | Err(_) => {
                    let _ = events.send(WorkerEvent::Exited(key, generation));
                    return;
                }
            };
            if events.send(event).is_err() {
                return;
            }
        }
    });
    Ok(worker)
}
