//! Least privilege: each daemon keeps only the capabilities it needs.
//!
//! | daemon | keeps | bounding set |
//! |---|---|---|
//! | `pulse` | `CAP_NET_ADMIN` (VIPs, sync daemon), `CAP_NET_RAW` (gratuitous ARP), `CAP_NET_BIND_SERVICE` (port 539) | left as the service manager set it, so that `active_cmd` / `inactive_cmd` run as they did under the original |
//! | `lvsd` | `CAP_NET_ADMIN` (IPVS) | shrunk to that: a nanny gets nothing more |
//! | `nanny` | nothing | emptied: a `send_program` gets no capability either |
//!
//! Under the systemd unit lvsd and nanny lack `CAP_SETPCAP` and cannot shrink
//! their bounding sets, and an exec as root would hand the unit's capabilities
//! back. So [`Children::Limited`] also sets `no_new_privs`: the kernel then
//! gives an exec'd program no more than the permitted set of its parent.
//!
//! Capabilities belong to a thread, not to the process: [`keep_only`] must
//! run before any thread exists (before the tokio runtime, before
//! daemonizing), so that every thread started later inherits the reduced
//! sets.
//!
//! The decision is a pure function of the sets the kernel reports
//! ([`plan`]); [`keep_only`] reads them, applies the plan and reads them
//! back. An unprivileged run (no capability at all) makes it a no-op.

use std::fmt;

pub use caps::{CapSet, Capability, CapsHashSet};

/// Whether what a daemon exec's may regain more than the daemon keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Children {
    /// The bounding set stays: a program exec'd as root gets what the
    /// service manager allows (pulse's `active_cmd` / `inactive_cmd`).
    Unlimited,
    /// The bounding set shrinks to what the daemon keeps (when it can), and
    /// `no_new_privs` is set: nothing exec'd gets more than the daemon keeps,
    /// not even a set-user-ID or file-capability program.
    Limited,
}

/// A thread's five capability sets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sets {
    /// Effective: what the kernel checks.
    pub effective: CapsHashSet,
    /// Permitted: what may be made effective.
    pub permitted: CapsHashSet,
    /// Inheritable: what may pass an exec (with file capabilities).
    pub inheritable: CapsHashSet,
    /// Ambient: what passes an exec of an ordinary program by a non-root user.
    pub ambient: CapsHashSet,
    /// Bounding: the limit on what an exec may grant (a root exec gets all of it).
    pub bounding: CapsHashSet,
    /// `no_new_privs`: an exec grants nothing beyond the permitted set.
    pub no_new_privs: bool,
}

impl Sets {
    /// The current thread's sets.
    ///
    /// # Errors
    /// When the kernel cannot be asked (no `/proc`, an old kernel).
    pub fn current() -> Result<Sets, PrivilegeError> {
        let read = |set| caps::read(None, set).map_err(|e| PrivilegeError(format!("reading {set:?}: {e}")));
        Ok(Sets {
            effective: read(CapSet::Effective)?,
            permitted: read(CapSet::Permitted)?,
            inheritable: read(CapSet::Inheritable)?,
            ambient: if caps::runtime::ambient_set_supported().is_ok() {
                read(CapSet::Ambient)?
            } else {
                CapsHashSet::new()
            },
            bounding: read(CapSet::Bounding)?,
            no_new_privs: nix::sys::prctl::get_no_new_privs()
                .map_err(|e| PrivilegeError(format!("reading no_new_privs: {e}")))?,
        })
    }

    /// The sets of process `pid`'s main thread, from `/proc/PID/status`.
    ///
    /// # Errors
    /// When the file cannot be read (no such process) or lacks a set.
    pub fn of_process(pid: u32) -> std::io::Result<Sets> {
        Sets::from_proc_status(&std::fs::read_to_string(format!("/proc/{pid}/status"))?)
            .ok_or_else(|| std::io::Error::other(format!("/proc/{pid}/status: no capability lines")))
    }

    /// Parses the `CapInh:` … `CapAmb:` lines of a `/proc/PID/status` text.
    #[must_use]
    pub fn from_proc_status(text: &str) -> Option<Sets> {
        let mask = |key: &str| {
            let value = text.lines().find_map(|line| line.strip_prefix(key))?.trim();
            let bits = u64::from_str_radix(value, 16).ok()?;
            Some(caps::all().into_iter().filter(|cap| bits & cap.bitmask() != 0).collect::<CapsHashSet>())
        };
        Some(Sets {
            effective: mask("CapEff:")?,
            permitted: mask("CapPrm:")?,
            inheritable: mask("CapInh:")?,
            ambient: mask("CapAmb:").unwrap_or_default(),
            bounding: mask("CapBnd:")?,
            no_new_privs: text
                .lines()
                .find_map(|line| line.strip_prefix("NoNewPrivs:"))
                .is_some_and(|v| v.trim() == "1"),
        })
    }
}

/// What [`keep_only`] changes, computed by [`plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The new effective and permitted sets.
    pub keep: CapsHashSet,
    /// The new inheritable set.
    pub inheritable: CapsHashSet,
    /// Capabilities to lower in the ambient set.
    pub ambient_drops: CapsHashSet,
    /// Capabilities to drop from the bounding set (needs `CAP_SETPCAP`,
    /// made effective for the purpose first).
    pub bounding_drops: CapsHashSet,
    /// The bounding set had to stay larger than asked: no `CAP_SETPCAP`
    /// (`no_new_privs` covers it).
    pub bounding_kept: bool,
    /// Set `no_new_privs`.
    pub no_new_privs: bool,
}

/// What to change so that `current` holds at most `wanted`.
///
/// Nothing is ever raised: a capability the process lacks stays missing
/// (the daemon then fails where it needs it, with the kernel's error).
#[must_use]
pub fn plan(current: &Sets, wanted: &[Capability], children: Children) -> Plan {
    let wanted: CapsHashSet = wanted.iter().copied().collect();
    let keep: CapsHashSet = current.permitted.intersection(&wanted).copied().collect();
    let inheritable = current.inheritable.intersection(&keep).copied().collect();
    let ambient_drops = current.ambient.difference(&keep).copied().collect();
    let excess: CapsHashSet = match children {
        Children::Unlimited => CapsHashSet::new(),
        Children::Limited => current.bounding.difference(&wanted).copied().collect(),
    };
    let can_drop = current.permitted.contains(&Capability::CAP_SETPCAP);
    Plan {
        keep,
        inheritable,
        ambient_drops,
        bounding_kept: !excess.is_empty() && !can_drop,
        bounding_drops: if can_drop { excess } else { CapsHashSet::new() },
        no_new_privs: children == Children::Limited,
    }
}

/// Capabilities could not be dropped.
#[derive(Debug, thiserror::Error)]
#[error("cannot drop capabilities: {0}")]
pub struct PrivilegeError(String);

/// Reduces the calling thread to `wanted` (those of it it holds) and, with
/// [`Children::Limited`], its bounding set too; returns the sets it then
/// holds, read back from the kernel.
///
/// Call it before any thread exists.
///
/// # Errors
/// When a set cannot be read or written, or reads back other than planned.
pub fn keep_only(wanted: &[Capability], children: Children) -> Result<Sets, PrivilegeError> {
    let current = Sets::current()?;
    let plan = plan(&current, wanted, children);
    let failed = |what: &str, e: caps::errors::CapsError| PrivilegeError(format!("{what}: {e}"));
    if !plan.bounding_drops.is_empty() {
        caps::raise(None, CapSet::Effective, Capability::CAP_SETPCAP)
            .map_err(|e| failed("raising CAP_SETPCAP", e))?;
        for &cap in &plan.bounding_drops {
            caps::drop(None, CapSet::Bounding, cap).map_err(|e| failed(&format!("bounding {cap}"), e))?;
        }
    }
    for &cap in &plan.ambient_drops {
        caps::drop(None, CapSet::Ambient, cap).map_err(|e| failed(&format!("ambient {cap}"), e))?;
    }
    caps::set(None, CapSet::Effective, &plan.keep).map_err(|e| failed("effective", e))?;
    caps::set(None, CapSet::Inheritable, &plan.inheritable).map_err(|e| failed("inheritable", e))?;
    caps::set(None, CapSet::Permitted, &plan.keep).map_err(|e| failed("permitted", e))?;
    if plan.no_new_privs {
        nix::sys::prctl::set_no_new_privs()
            .map_err(|e| PrivilegeError(format!("setting no_new_privs: {e}")))?;
    }
    let now = Sets::current()?;
    if now.effective != plan.keep
        || now.permitted != plan.keep
        || !now.ambient.is_subset(&plan.keep)
        || (plan.no_new_privs && !now.no_new_privs)
    {
        return Err(PrivilegeError(format!("still holding {}", Names(&now.permitted))));
    }
    Ok(now)
}

/// A set as the kernel's names, sorted, or `none`.
#[derive(Debug)]
pub struct Names<'a>(pub &'a CapsHashSet);

impl fmt::Display for Names<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        if names.is_empty() {
            return f.write_str("none");
        }
        names.sort();
        f.write_str(&names.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Capability::{CAP_NET_ADMIN, CAP_NET_BIND_SERVICE, CAP_NET_RAW, CAP_SETPCAP, CAP_SYS_ADMIN};

    fn set(caps: &[Capability]) -> CapsHashSet {
        caps.iter().copied().collect()
    }

    /// Root as systemd starts it: everything.
    fn root() -> Sets {
        let all = caps::all();
        Sets {
            effective: all.clone(),
            permitted: all.clone(),
            inheritable: CapsHashSet::new(),
            ambient: CapsHashSet::new(),
            bounding: all,
            no_new_privs: false,
        }
    }

    /// The unit's bounding and ambient sets (systemd/pulse.service).
    fn under_the_unit() -> Sets {
        let unit = set(&[CAP_NET_ADMIN, CAP_NET_RAW, CAP_NET_BIND_SERVICE]);
        Sets {
            effective: unit.clone(),
            permitted: unit.clone(),
            inheritable: unit.clone(),
            ambient: unit.clone(),
            bounding: unit,
            no_new_privs: false,
        }
    }

    #[test]
    fn nanny_keeps_nothing_and_empties_the_bounding_set() {
        let plan = plan(&root(), &[], Children::Limited);
        assert!(plan.keep.is_empty());
        assert!(plan.inheritable.is_empty());
        assert_eq!(plan.bounding_drops, caps::all());
        assert!(!plan.bounding_kept);
        assert!(plan.no_new_privs);
    }

    #[test]
    fn lvsd_keeps_net_admin_and_bounds_its_children_to_it() {
        let plan = plan(&root(), &[CAP_NET_ADMIN], Children::Limited);
        assert_eq!(plan.keep, set(&[CAP_NET_ADMIN]));
        let mut expected = caps::all();
        expected.remove(&CAP_NET_ADMIN);
        assert_eq!(plan.bounding_drops, expected);
    }

    #[test]
    fn pulse_keeps_its_three_and_leaves_the_bounding_set_to_its_commands() {
        let wanted = [CAP_NET_ADMIN, CAP_NET_RAW, CAP_NET_BIND_SERVICE];
        let plan = plan(&root(), &wanted, Children::Unlimited);
        assert_eq!(plan.keep, set(&wanted));
        assert!(plan.bounding_drops.is_empty());
        assert!(!plan.bounding_kept);
        assert!(!plan.no_new_privs, "active_cmd may need set-user-ID programs");
    }

    #[test]
    fn under_the_unit_the_ambient_set_shrinks_with_the_rest() {
        // lvsd started by pulse under the unit without CAP_SETPCAP: the
        // bounding set cannot shrink, the ambient one can.
        let plan = plan(&under_the_unit(), &[CAP_NET_ADMIN], Children::Limited);
        assert_eq!(plan.keep, set(&[CAP_NET_ADMIN]));
        assert_eq!(plan.inheritable, set(&[CAP_NET_ADMIN]));
        assert_eq!(plan.ambient_drops, set(&[CAP_NET_RAW, CAP_NET_BIND_SERVICE]));
        assert!(plan.bounding_drops.is_empty());
        assert!(plan.bounding_kept, "no CAP_SETPCAP: told, not hidden");
        assert!(plan.no_new_privs, "which is what keeps the nannies at nothing");
    }

    #[test]
    fn nothing_is_raised_that_the_process_lacks() {
        let only_raw =
            Sets { permitted: set(&[CAP_NET_RAW]), effective: set(&[CAP_NET_RAW]), ..Sets::default() };
        let plan = plan(&only_raw, &[CAP_NET_ADMIN, CAP_NET_RAW], Children::Unlimited);
        assert_eq!(plan.keep, set(&[CAP_NET_RAW]));
    }

    #[test]
    fn an_unprivileged_process_has_nothing_to_do() {
        let plan = plan(&Sets::default(), &[CAP_NET_ADMIN], Children::Limited);
        assert_eq!(
            plan,
            Plan {
                keep: CapsHashSet::new(),
                inheritable: CapsHashSet::new(),
                ambient_drops: CapsHashSet::new(),
                bounding_drops: CapsHashSet::new(),
                bounding_kept: false,
                no_new_privs: true,
            }
        );
    }

    #[test]
    fn a_bounding_set_already_small_enough_needs_no_setpcap() {
        let small = Sets { bounding: set(&[CAP_NET_ADMIN]), ..Sets::default() };
        let plan = plan(&small, &[CAP_NET_ADMIN], Children::Limited);
        assert!(plan.bounding_drops.is_empty());
        assert!(!plan.bounding_kept);
    }

    #[test]
    fn setpcap_itself_is_dropped_from_the_bounding_set() {
        let plan = plan(&root(), &[], Children::Limited);
        assert!(plan.bounding_drops.contains(&CAP_SETPCAP));
        assert!(plan.bounding_drops.contains(&CAP_SYS_ADMIN));
    }

    #[test]
    fn proc_status_lines_are_parsed() {
        let text = "Name:\tlvsd\nCapInh:\t0000000000000000\nCapPrm:\t0000000000001000\n\
                    CapEff:\t0000000000001000\nCapBnd:\t0000000000003400\nCapAmb:\t0000000000000000\n\
                    NoNewPrivs:\t1\n";
        let sets = Sets::from_proc_status(text).expect("parsed");
        assert_eq!(sets.effective, set(&[CAP_NET_ADMIN]));
        assert_eq!(sets.permitted, set(&[CAP_NET_ADMIN]));
        assert_eq!(sets.bounding, set(&[CAP_NET_BIND_SERVICE, CAP_NET_ADMIN, CAP_NET_RAW]));
        assert!(sets.inheritable.is_empty() && sets.ambient.is_empty());
        assert!(sets.no_new_privs);
        assert_eq!(Sets::from_proc_status("Name:\tx\n"), None);
        let own = Sets::of_process(std::process::id()).expect("own status");
        assert_eq!(own.bounding, Sets::current().expect("read").bounding);
    }

    #[test]
    fn names_are_sorted_and_empty_is_none() {
        assert_eq!(Names(&CapsHashSet::new()).to_string(), "none");
        assert_eq!(Names(&set(&[CAP_NET_RAW, CAP_NET_ADMIN])).to_string(), "CAP_NET_ADMIN CAP_NET_RAW");
    }

    #[test]
    fn keep_only_in_a_child_thread_drops_for_that_thread_alone() {
        // Capabilities are per thread: a scratch thread can drop
        // everything without touching the test runner's other threads.
        let before = Sets::current().expect("read");
        // (no_new_privs is per thread too, but only Limited sets it.)
        let after = std::thread::spawn(|| keep_only(&[], Children::Unlimited))
            .join()
            .expect("thread")
            .expect("dropped");
        assert!(after.effective.is_empty() && after.permitted.is_empty() && after.ambient.is_empty());
        assert_eq!(Sets::current().expect("read").permitted, before.permitted);
    }
}
