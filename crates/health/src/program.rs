//! External checkers (`send_program`, spec §4.4) and helper commands such as the load monitor.
//!
//! No shell is ever involved: the command is split on spaces into an argv, and a real server
//! address can only ever fill one argv element.

use std::net::IpAddr;
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::AsyncReadExt;
use tokio::process::Command;
use tokio::time::{Instant, sleep_until};

use crate::probe::{ProbeResult, endpoint};

/// Most output bytes kept from a helper (the original read at most 4095).
pub const MAX_OUTPUT: usize = 4096;

/// How long to wait for the output pipe to close after the helper exited and its process group
/// was killed.
const DRAIN_GRACE: Duration = Duration::from_millis(500);

/// Builds the argv of a `send_program` command line: words split on spaces (empty words
/// dropped); a word that is exactly `%h` becomes the real server address, exactly `%p` its port.
/// No other substitution, quoting or shell syntax exists.
///
/// ```
/// let argv = health::program::command_words("/usr/bin/check -H %h -p %p x%h", "10.0.0.1".parse().unwrap(), 443);
/// assert_eq!(argv, ["/usr/bin/check", "-H", "10.0.0.1", "-p", "443", "x%h"]);
/// ```
pub fn command_words(template: &str, host: IpAddr, port: u16) -> Vec<String> {
    substitute(template, &host.to_string(), &port.to_string())
}

/// [`command_words`] on text: `host` and `port` each become exactly one argv element, whatever
/// they contain.
fn substitute(template: &str, host: &str, port: &str) -> Vec<String> {
    template
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| match w {
            "%h" => host.to_owned(),
            "%p" => port.to_owned(),
            other => other.to_owned(),
        })
        .collect()
}

/// How a helper command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    /// It exited by itself.
    Exited {
        /// Exit status 0.
        success: bool,
        /// Its standard output, at most [`MAX_OUTPUT`] bytes.
        output: Vec<u8>,
    },
    /// It ran past the timeout and was killed with its whole process group.
    TimedOut,
    /// It could not be started (empty command, not found, not executable).
    SpawnFailed(String),
}

/// Kills a process group when dropped, so no helper survives a cancelled or finished check.
struct GroupKiller(Option<Pid>);

impl Drop for GroupKiller {
    fn drop(&mut self) {
        if let Some(pgid) = self.0 {
            // ESRCH (group already gone) is the normal case.
            let _ = killpg(pgid, Signal::SIGKILL);
        }
    }
}

/// Runs `argv` (PATH search, no shell) with stdin and stderr on /dev/null in its own process
/// group. At `timeout` the whole group is SIGKILLed; after a normal exit the group is killed
/// too, so children it left behind do not linger. The child is always reaped.
pub async fn run(argv: &[String], timeout: Duration) -> RunOutcome {
    let Some((program, args)) = argv.split_first() else {
        return RunOutcome::SpawnFailed("empty command".into());
    };
    let mut child = match Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .stdout(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
    {
        Ok(child) => child,
        Err(e) => return RunOutcome::SpawnFailed(e.to_string()),
    };
    let killer = GroupKiller(child.id().and_then(|id| i32::try_from(id).ok()).map(Pid::from_raw));
    let mut stdout = child.stdout.take();
    let mut output = Vec::new();
    let mut chunk = [0u8; 1024];
    let deadline = Instant::now() + timeout;
    let mut status = None;
    loop {
        tokio::select! {
            read = read_some(&mut stdout, &mut chunk) => keep(&mut output, &chunk, read, &mut stdout),
            exit = child.wait() => {
                status = exit.ok();
                break;
            }
            () = sleep_until(deadline) => break,
        }
    }
    // Kill what is left of the group (the timed-out helper, or children it left behind).
    drop(killer);
    let Some(status) = status else {
        let _ = child.wait().await;
        return RunOutcome::TimedOut;
    };
    // Collect what is still in the pipe; writers are gone now, so EOF comes quickly.
    let grace = Instant::now() + DRAIN_GRACE;
    while stdout.is_some() {
        tokio::select! {
            read = read_some(&mut stdout, &mut chunk) => keep(&mut output, &chunk, read, &mut stdout),
            () = sleep_until(grace) => break,
        }
    }
    RunOutcome::Exited { success: status.success(), output }
}

/// Reads from the pipe, or waits forever once it is closed (so `select!` ignores it).
async fn read_some(
    stdout: &mut Option<tokio::process::ChildStdout>,
    chunk: &mut [u8],
) -> std::io::Result<usize> {
    match stdout {
        Some(pipe) => pipe.read(chunk).await,
        None => std::future::pending().await,
    }
}

/// Appends a read result to the bounded output (the rest is drained and dropped, so a chatty
/// helper never blocks on a full pipe); closes the pipe at EOF or error.
fn keep(
    output: &mut Vec<u8>,
    chunk: &[u8],
    read: std::io::Result<usize>,
    stdout: &mut Option<tokio::process::ChildStdout>,
) {
    match read {
        Ok(0) | Err(_) => *stdout = None,
        Ok(n) => {
            let room = MAX_OUTPUT.saturating_sub(output.len());
            output.extend_from_slice(&chunk[..n.min(room)]);
        }
    }
}

/// Judges a `send_program` run (spec §4.4, with §8 item 10 fixed: a failed or timed-out
/// program is always DOWN, and only a trailing newline is stripped from its output).
pub fn judge(
    outcome: &RunOutcome,
    command: &str,
    expect: Option<&[u8]>,
    host: IpAddr,
    port: u16,
) -> ProbeResult {
    let output = match outcome {
        RunOutcome::TimedOut => {
            return ProbeResult::fail(format!("timeout running the following: {command}"));
        }
        RunOutcome::SpawnFailed(_) | RunOutcome::Exited { success: false, .. } => {
            return ProbeResult::fail(format!("The following exited abnormally: {command}"));
        }
        RunOutcome::Exited { success: true, output } => output.strip_suffix(b"\n").unwrap_or(output),
    };
    let at = endpoint(host, port);
    match expect {
        Some(_) if output.is_empty() => ProbeResult::fail(format!(
            "Ran the external sending program to ({at}) but didn't get anything back"
        )),
        None if output.is_empty() => ProbeResult::fail(
            "Ran the external sending program. The result and expected response are both NULL! \
             You may wish to revise your settings"
                .to_owned(),
        ),
        None => ProbeResult::fail(
            "Expect string is NULL, but the external sending program returned a non-NULL result".to_owned(),
        ),
        Some(expect) if output == expect => ProbeResult::ok(),
        Some(_) => {
            ProbeResult::fail(format!("Trouble. Received results are not what we expected from ({at})"))
        }
    }
}

/// Runs a `send_program` check against one real server with `timeout` (= the interval).
pub async fn check(
    template: &str,
    expect: Option<&[u8]>,
    host: IpAddr,
    port: u16,
    timeout: Duration,
) -> ProbeResult {
    let argv = command_words(template, host, port);
    let outcome = run(&argv, timeout).await;
    judge(&outcome, &argv.join(" "), expect, host, port)
}

#[cfg(test)]
mod tests;
