//! Detaching from the terminal (spec §2.13) and tying children to their
//! parent's life.
//!
//! **Call [`daemonize`] before starting any tokio runtime or any thread.**
//! `fork` copies only the calling thread; a runtime's worker threads, and any
//! lock they held, would be missing in the daemon. [`daemonize`] checks
//! `/proc/self/status` and refuses with [`DaemonizeError::Threads`] when the
//! process has more than one thread.
//!
//! The original forks, the child forks again and exits, and the parent exits 0
//! once that child is gone, i.e. once the daemon exists. Here the parent also
//! waits until the daemon has finished the detaching steps (session, pid file,
//! `/dev/null`), over a pipe, so an init system that reads the pid file right
//! after the command returns (`Type=forking`, `PIDFile=`) always finds it.
//! Sockets bound before the call are inherited: bind first, so that bind
//! errors reach the terminal and the exit status (spec Appendix A.5).

use std::io::{self, Write as _};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::Command;

use nix::errno::Errno;
use nix::fcntl::{OFlag, open};
use nix::sys::signal::{Signal, raise};
use nix::sys::stat::Mode;
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, chdir, dup2_stderr, dup2_stdin, dup2_stdout, getppid, setsid};

use crate::pidfile::{PidFile, PidFileError};

/// Whether [`daemonize`] forks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detach {
    /// Fork twice; the caller's process exits 0 once the daemon is set up.
    Fork,
    /// `--nofork`: the same detaching steps in the calling process (how pulse
    /// runs lvsd).
    NoFork,
}

/// What [`daemonize`] does.
#[derive(Clone, Debug)]
pub struct DaemonOptions {
    /// Fork or not.
    pub detach: Detach,
    /// The pid file to write in the daemon (e.g.
    /// [`pid_file_path("pulse")`](crate::pidfile::pid_file_path)); `None` for
    /// none (nanny).
    pub pid_file: Option<PathBuf>,
}

/// The daemon's side of a successful [`daemonize`].
#[derive(Debug)]
pub struct Daemonized {
    /// The pid file, or why it could not be written: the original logs
    /// `failed to open <path>: <strerror>` and carries on (the error's text).
    /// `None` when no pid file was asked for.
    pub pid_file: Option<Result<PidFile, PidFileError>>,
}

/// Why [`daemonize`] failed.
#[derive(Debug, thiserror::Error)]
pub enum DaemonizeError {
    /// The process already runs more than one thread (e.g. a tokio runtime).
    #[error("cannot daemonize a process with {count} threads: daemonize before starting any")]
    Threads {
        /// How many threads there are.
        count: usize,
    },
    /// The pipe to the waiting parent could not be made.
    #[error("cannot create a pipe: {0}")]
    Pipe(#[source] Errno),
    /// `fork` failed.
    #[error("cannot fork: {0}")]
    Fork(#[source] Errno),
    /// `chdir("/")` failed.
    #[error("cannot change directory to /: {0}")]
    Chdir(#[source] Errno),
    /// `/dev/null` could not be opened or put on fds 0–2.
    #[error("cannot redirect standard streams to /dev/null: {0}")]
    DevNull(#[source] Errno),
}

/// Detaches the calling process as the original's `daemonize` (spec §2.13):
/// a new session (`setsid`), the pid file (if any) with the daemon's pid,
/// cwd `/`, stdin/stdout/stderr on `/dev/null`.
///
/// With [`Detach::Fork`] this returns in the daemon (a grandchild) only; the
/// calling process waits until the daemon is set up and exits 0 — or 1 if the
/// daemon died or failed on the way. With [`Detach::NoFork`] the same steps
/// happen in the calling process, which returns.
///
/// Must run before any other thread exists; see the [module docs](self).
///
/// # Errors
/// [`DaemonizeError`]; in fork mode the waiting parent then exits 1. A pid
/// file failure is not an error: see [`Daemonized::pid_file`].
#[allow(unsafe_code)]
pub fn daemonize(options: &DaemonOptions) -> Result<Daemonized, DaemonizeError> {
    if let Some(count) = thread_count().filter(|&n| n > 1) {
        return Err(DaemonizeError::Threads { count });
    }
    if options.detach == Detach::NoFork {
        return detach_steps(options);
    }

    // Anything still buffered would otherwise be written twice.
    let _ = io::stdout().flush();
    let _ = io::stderr().flush();
    let (ready_read, ready_write) = nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(DaemonizeError::Pipe)?;

    // SAFETY: the process has a single thread (checked above), so the child
    // is a complete copy and may run arbitrary code.
    match unsafe { nix::unistd::fork() }.map_err(DaemonizeError::Fork)? {
        ForkResult::Parent { child } => {
            drop(ready_write);
            let _ = waitpid(child, None);
            std::process::exit(if wait_ready(&ready_read) { 0 } else { 1 });
        }
        ForkResult::Child => {}
    }
    drop(ready_read);
    // SAFETY: still single-threaded (the fork copied only this thread).
    match unsafe { nix::unistd::fork() } {
        Ok(ForkResult::Parent { .. }) => exit_now(0),
        Err(_) => exit_now(1),
        Ok(ForkResult::Child) => {}
    }
    // The daemon: the intermediate child is gone, so it cannot regain a
    // controlling terminal, and init reaps it.
    let daemonized = detach_steps(options)?;
    let _ = nix::unistd::write(&ready_write, b"R");
    Ok(daemonized)
}

/// Ends a forked child without running exit handlers or flushing buffers that
/// belong to the parent.
#[allow(unsafe_code)]
fn exit_now(status: i32) -> ! {
    // SAFETY: `_exit` is async-signal-safe and has no preconditions.
    unsafe { libc::_exit(status) }
}

/// Whether the daemon reported that it is set up (one byte) before closing
/// its end of the pipe.
fn wait_ready(ready_read: &OwnedFd) -> bool {
    let mut byte = [0u8; 1];
    loop {
        match nix::unistd::read(ready_read.as_fd(), &mut byte) {
            Err(Errno::EINTR) => continue,
            Ok(1) => return true,
            _ => return false,
        }
    }
}

/// setsid, pid file, cwd `/`, fds 0–2 on `/dev/null`.
fn detach_steps(options: &DaemonOptions) -> Result<Daemonized, DaemonizeError> {
    // Fails with EPERM when already a process-group leader (possible with
    // `--nofork`); the original ignores that too.
    let _ = setsid();
    // Before chdir, so that a relative pid file path means what it meant.
    let pid_file = options.pid_file.as_ref().map(PidFile::create);
    chdir("/").map_err(DaemonizeError::Chdir)?;
    let null = open("/dev/null", OFlag::O_RDWR, Mode::empty()).map_err(DaemonizeError::DevNull)?;
    dup2_stdin(&null).map_err(DaemonizeError::DevNull)?;
    dup2_stdout(&null).map_err(DaemonizeError::DevNull)?;
    dup2_stderr(&null).map_err(DaemonizeError::DevNull)?;
    Ok(Daemonized { pid_file })
}

/// The number of threads of this process, from `/proc/self/status`.
fn thread_count() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| line.strip_prefix("Threads:")).and_then(|n| n.trim().parse().ok())
}

/// Makes the kernel send `signal` to the calling process when its parent
/// thread exits (`prctl(PR_SET_PDEATHSIG)`).
///
/// # Errors
/// The `prctl` error.
pub fn set_parent_death_signal(signal: Signal) -> nix::Result<()> {
    nix::sys::prctl::set_pdeathsig(signal)
}

/// Arranges that the child `command` spawns gets `signal` when this process
/// dies, so that lvsd and its nannies do not outlive a killed pulse (spec
/// §2.12, §8 #20). Works for `tokio::process::Command` through `as_std_mut`.
///
/// Caveat: Linux sends the signal when the *thread* that spawned the child
/// exits. Spawn from the main thread or a `current_thread` runtime, not from
/// a blocking-pool thread.
#[allow(unsafe_code)]
pub fn kill_on_parent_death(command: &mut Command, signal: Signal) {
    let parent = nix::unistd::getpid();
    let hook = move || {
        set_parent_death_signal(signal)?;
        // The parent may have died between fork and prctl.
        if getppid() != parent {
            raise(signal)?;
        }
        Ok(())
    };
    // SAFETY: the hook runs between fork and exec and calls only prctl,
    // getppid and raise (async-signal-safe); it allocates nothing (the error
    // conversion from Errno builds an io::Error from the raw code).
    unsafe {
        command.pre_exec(hook);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_count_sees_this_multithreaded_test_process() {
        let count = thread_count().expect("/proc/self/status is readable");
        assert!(count >= 1);
    }

    #[test]
    fn refuses_with_threads() {
        // Without /proc the check cannot run, and daemonize would fork the
        // test process.
        assert!(thread_count().is_some());
        let handle = std::thread::spawn(|| std::thread::sleep(std::time::Duration::from_millis(100)));
        let err = daemonize(&DaemonOptions { detach: Detach::Fork, pid_file: None }).unwrap_err();
        assert!(matches!(err, DaemonizeError::Threads { count } if count > 1));
        assert!(err.to_string().starts_with("cannot daemonize a process with "));
        handle.join().unwrap();
    }

    #[test]
    fn child_gets_the_signal_when_its_parent_thread_dies() {
        use std::sync::mpsc;
        let (sender, receiver) = mpsc::channel();
        // The spawning thread exits right after the spawn: the child (a
        // `sleep 30`) must be killed with SIGTERM.
        std::thread::spawn(move || {
            let mut command = Command::new("sleep");
            command.arg("30");
            kill_on_parent_death(&mut command, Signal::SIGTERM);
            sender.send(command.spawn().unwrap()).unwrap();
        })
        .join()
        .unwrap();
        let mut child = receiver.recv().unwrap();
        let status = child.wait().unwrap();
        use std::os::unix::process::ExitStatusExt as _;
        assert_eq!(status.signal(), Some(libc::SIGTERM));
    }
}
