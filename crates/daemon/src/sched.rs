//! Real-time scheduling for a daemon that must not wait for the CPU.
//!
//! pulse runs at real-time round robin (the unit's `CPUSchedulingPolicy=rr`)
//! with reset on fork, so lvsd starts under the normal scheduler. At a
//! takeover pulse tells the standby lvsd to program the IPVS table while it
//! brings the VIPs up; a normal-priority lvsd then waits for the CPU behind
//! whatever else the router runs, 30 ms once in the failover benchmark.
//! [`below_parent`] decides the priority lvsd takes instead: one step below
//! its parent's, within `RLIMIT_RTPRIO` (the unit's `LimitRTPRIO=`), since
//! lvsd keeps no `CAP_SYS_NICE`. [`round_robin`] switches the calling thread
//! to it with reset on fork, so that the nannies lvsd starts run under the
//! normal scheduler.
//!
//! The policy belongs to a thread, and reset on fork applies to every task
//! the thread creates, threads included: switch after any fork, and have a
//! thread that must run at this priority too call [`round_robin`] itself.

use std::io;

use nix::unistd::Pid;

/// A process's scheduling, as far as the choice here needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// `SCHED_OTHER`, `SCHED_BATCH` or `SCHED_IDLE`.
    Normal,
    /// `SCHED_RR` or `SCHED_FIFO`, at this priority (1-99).
    RealTime(i32),
}

/// What [`below_parent`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// The parent runs under the normal scheduler: so does this process.
    Normal,
    /// Round robin at this priority.
    RoundRobin(i32),
    /// The parent runs at real-time priority `parent`, and `RLIMIT_RTPRIO`
    /// (`limit`) leaves no priority below it.
    NotAllowed {
        /// The parent's priority.
        parent: i32,
        /// The soft `RLIMIT_RTPRIO`.
        limit: u64,
    },
}

/// The priority to run at, one below `parent`'s real-time priority and at
/// most `limit` (`RLIMIT_RTPRIO`). Pure.
#[must_use]
pub fn choose(parent: Policy, limit: u64) -> Choice {
    let Policy::RealTime(priority) = parent else { return Choice::Normal };
    let below = i64::from(priority) - 1;
    let allowed = below.min(i64::try_from(limit).unwrap_or(i64::MAX));
    match i32::try_from(allowed) {
        Ok(p) if p >= 1 => Choice::RoundRobin(p),
        _ => Choice::NotAllowed { parent: priority, limit },
    }
}

/// [`choose`] for this process: its parent's policy and its own
/// `RLIMIT_RTPRIO`. Call it while the parent is still the parent (before
/// daemonizing).
///
/// # Errors
/// When the parent's policy or the limit cannot be read.
pub fn below_parent() -> io::Result<Choice> {
    let parent = policy_of(nix::unistd::getppid())?;
    let (limit, _) = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_RTPRIO)?;
    Ok(choose(parent, limit))
}

/// The scheduling policy of process `pid` (its main thread).
///
/// # Errors
/// The system error (`ESRCH` for no such process).
#[allow(unsafe_code)]
pub fn policy_of(pid: Pid) -> io::Result<Policy> {
    // SAFETY: sched_getscheduler only reads the pid passed by value.
    let policy = unsafe { libc::sched_getscheduler(pid.as_raw()) };
    if policy < 0 {
        return Err(io::Error::last_os_error());
    }
    let policy = policy & !libc::SCHED_RESET_ON_FORK;
    if policy != libc::SCHED_RR && policy != libc::SCHED_FIFO {
        return Ok(Policy::Normal);
    }
    let mut param = libc::sched_param { sched_priority: 0 };
    // SAFETY: `param` is a valid, writable sched_param for the call.
    if unsafe { libc::sched_getparam(pid.as_raw(), &raw mut param) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Policy::RealTime(param.sched_priority))
}

/// Switches the calling thread to `SCHED_RR` at `priority`, with
/// `SCHED_RESET_ON_FORK` (children start under the normal scheduler).
///
/// # Errors
/// `EPERM` without `CAP_SYS_NICE` above `RLIMIT_RTPRIO`, `EINVAL` for a
/// priority outside 1-99.
#[allow(unsafe_code)]
pub fn round_robin(priority: i32) -> io::Result<()> {
    let param = libc::sched_param { sched_priority: priority };
    // SAFETY: `param` is a valid sched_param that outlives the call; pid 0
    // is the calling thread.
    if unsafe { libc::sched_setscheduler(0, libc::SCHED_RR | libc::SCHED_RESET_ON_FORK, &raw const param) }
        < 0
    {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_normal_parent_keeps_its_child_normal() {
        assert_eq!(choose(Policy::Normal, 99), Choice::Normal);
        assert_eq!(choose(Policy::Normal, 0), Choice::Normal);
    }

    #[test]
    fn one_below_a_real_time_parent_within_the_limit() {
        assert_eq!(choose(Policy::RealTime(10), 9), Choice::RoundRobin(9));
        assert_eq!(choose(Policy::RealTime(10), 99), Choice::RoundRobin(9));
        assert_eq!(choose(Policy::RealTime(10), u64::MAX), Choice::RoundRobin(9));
        // A limit lower than the parent's priority caps it.
        assert_eq!(choose(Policy::RealTime(50), 9), Choice::RoundRobin(9));
    }

    #[test]
    fn no_priority_left_is_said() {
        assert_eq!(choose(Policy::RealTime(10), 0), Choice::NotAllowed { parent: 10, limit: 0 });
        // Nothing below 1: the child would compete with its parent.
        assert_eq!(choose(Policy::RealTime(1), 99), Choice::NotAllowed { parent: 1, limit: 99 });
    }

    #[test]
    fn this_test_process_runs_under_the_normal_scheduler() {
        assert_eq!(policy_of(nix::unistd::getpid()).expect("own policy"), Policy::Normal);
        assert!(below_parent().is_ok());
    }

    #[test]
    fn priority_zero_is_no_round_robin_priority() {
        let e = round_robin(0).expect_err("SCHED_RR takes 1-99");
        assert_eq!(e.raw_os_error(), Some(libc::EINVAL));
    }
}
