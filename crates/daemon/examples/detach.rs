//! Daemonizes like pulse does and reports what the daemon looks like; used by
//! `tests/detach.rs`, handy to try by hand.
//!
//! `detach <fork|nofork|threaded> <pid-file> <report-file>`
//!
//! The daemon writes `<report-file>` (`key=value` lines: pid, ppid, sid, cwd,
//! fd0–fd2 targets, pid file outcome), then waits for SIGTERM/SIGINT, removes
//! its pid file and exits 0. `threaded` starts a thread first and so shows
//! the refusal (exit 1).

use std::path::PathBuf;
use std::process::ExitCode;

use daemon::ExitStatus;
use daemon::daemonize::{DaemonOptions, Detach, daemonize};
use daemon::signals::{SignalEvent, Signals};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, pid_file, report] = &args[..] else {
        eprintln!("usage: detach <fork|nofork|threaded> <pid-file> <report-file>");
        return ExitStatus::StartupError.into();
    };
    let detach = match mode.as_str() {
        "fork" => Detach::Fork,
        "nofork" => Detach::NoFork,
        "threaded" => {
            std::thread::spawn(|| std::thread::sleep(std::time::Duration::from_secs(5)));
            Detach::Fork
        }
        _ => {
            eprintln!("detach: unknown mode {mode}");
            return ExitStatus::StartupError.into();
        }
    };
    let options = DaemonOptions { detach, pid_file: Some(PathBuf::from(pid_file)) };
    let daemonized = match daemonize(&options) {
        Ok(daemonized) => daemonized,
        Err(e) => {
            eprintln!("detach: {e}");
            return ExitStatus::StartupError.into();
        }
    };

    // Only now may threads and a runtime start.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime builds");
    runtime.block_on(async {
        let Ok(mut signals) = Signals::new() else {
            return ExitStatus::StartupError.into();
        };
        // Handlers are installed: the test may now send SIGTERM.
        let pid_file_outcome = match &daemonized.pid_file {
            Some(Ok(file)) => format!("written {}", file.path().display()),
            Some(Err(e)) => e.to_string(),
            None => "none".into(),
        };
        let fd = |n: u8| {
            std::fs::read_link(format!("/proc/self/fd/{n}"))
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        };
        let text = format!(
            "pid={}\nppid={}\nsid={}\ncwd={}\nfd0={}\nfd1={}\nfd2={}\npidfile={}\n",
            std::process::id(),
            nix::unistd::getppid(),
            nix::unistd::getsid(None).map_or(-1, |p| p.as_raw()),
            std::env::current_dir().map_or_else(|e| e.to_string(), |d| d.display().to_string()),
            fd(0),
            fd(1),
            fd(2),
            pid_file_outcome,
        );
        let temp = format!("{report}.tmp");
        if std::fs::write(&temp, text).is_err() || std::fs::rename(&temp, report).is_err() {
            return ExitStatus::StartupError.into();
        }
        loop {
            if let SignalEvent::Shutdown { .. } = signals.next().await {
                break;
            }
        }
        drop(daemonized);
        ExitStatus::Stopped.into()
    })
}
