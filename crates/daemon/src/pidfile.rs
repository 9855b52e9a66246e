//! The pid file (spec §2.13, §7.1): `/var/run/NAME.pid` holding `<pid>\n`.
//!
//! Names are the original's logging names: `pulse`, `lvs` (for lvsd); nanny
//! has none. Unlike the original, the file is written atomically (temporary
//! file in the same directory, then `rename`), so a reader never sees it empty
//! or half written, and an existing file is inspected first so a second
//! instance can refuse to start ([`PidFile::acquire`]).
//!
//! A failure reads exactly like the original's log line,
//! `failed to open <path>: <strerror>`; the original logs it and carries on,
//! and so should the caller.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sys::signal::kill;
use nix::unistd::Pid;

/// Where pid files live.
pub const PID_DIR: &str = "/var/run";

/// `/var/run/<name>.pid`.
pub fn pid_file_path(name: &str) -> PathBuf {
    Path::new(PID_DIR).join(format!("{name}.pid"))
}

/// What an existing pid file says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PidFileState {
    /// There is no pid file.
    Absent,
    /// The file names no live process: a dead one, this very process, or
    /// (`pid: None`) no pid at all (empty or garbage content).
    Stale {
        /// The pid in the file, if it held one.
        pid: Option<u32>,
    },
    /// The file names another live process. The pid may have been reused by
    /// an unrelated program since; `command` (from `/proc/PID/comm`, when
    /// readable) lets the caller judge.
    Running {
        /// The live process.
        pid: u32,
        /// Its command name, e.g. `pulse`.
        command: Option<String>,
    },
}

/// Failures around the pid file.
#[derive(Debug, thiserror::Error)]
pub enum PidFileError {
    /// Writing (or reading) the file failed; the text is the original's.
    #[error("failed to open {}: {}", path.display(), strerror(source))]
    Open {
        /// The pid file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// [`PidFile::acquire`] found another live instance.
    #[error("{} belongs to running process {pid}", path.display())]
    AlreadyRunning {
        /// The pid file.
        path: PathBuf,
        /// The live process it names.
        pid: u32,
    },
    /// Removing the file failed.
    #[error("failed to remove {}: {}", path.display(), strerror(source))]
    Remove {
        /// The pid file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
}

/// `strerror(errno)` as C prints it (`No such file or directory`), without
/// std's ` (os error N)` suffix.
fn strerror(error: &io::Error) -> String {
    match error.raw_os_error() {
        Some(code) => Errno::from_raw(code).desc().to_owned(),
        None => error.to_string(),
    }
}

/// This process's pid file. Dropping it removes the file, but only in the
/// process that wrote it (not in a forked child) and only while it still
/// holds this pid.
#[derive(Debug)]
pub struct PidFile {
    path: PathBuf,
    pid: u32,
    removed: bool,
}

impl PidFile {
    /// Writes `<pid>\n` for this process to `path` (mode 0644), replacing any
    /// existing file, as the original does.
    ///
    /// # Errors
    /// [`PidFileError::Open`] when the directory is missing or not writable.
    pub fn create(path: impl Into<PathBuf>) -> Result<Self, PidFileError> {
        let path = path.into();
        let pid = std::process::id();
        write_atomically(&path, format!("{pid}\n").as_bytes())
            .map_err(|source| PidFileError::Open { path: path.clone(), source })?;
        Ok(Self { path, pid, removed: false })
    }

    /// Like [`create`](Self::create), but refuses when the file names another
    /// live process; a stale file is replaced.
    ///
    /// # Errors
    /// [`PidFileError::AlreadyRunning`], or [`PidFileError::Open`] when the
    /// file cannot be read or written.
    pub fn acquire(path: impl Into<PathBuf>) -> Result<Self, PidFileError> {
        let path = path.into();
        if let PidFileState::Running { pid, .. } = Self::inspect(&path)? {
            return Err(PidFileError::AlreadyRunning { path, pid });
        }
        Self::create(path)
    }

    /// Reads the pid file at `path` and checks whether its process lives
    /// (`kill(pid, 0)`; `EPERM` means it lives under another user).
    ///
    /// # Errors
    /// [`PidFileError::Open`] when the file exists but cannot be read.
    pub fn inspect(path: &Path) -> Result<PidFileState, PidFileError> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(PidFileState::Absent),
            Err(source) => {
                return Err(PidFileError::Open { path: path.to_owned(), source });
            }
        };
        let Some(pid) = text.trim().parse::<u32>().ok().filter(|&p| p > 0 && i32::try_from(p).is_ok()) else {
            return Ok(PidFileState::Stale { pid: None });
        };
        if pid == std::process::id() {
            return Ok(PidFileState::Stale { pid: Some(pid) });
        }
        let raw = i32::try_from(pid).expect("checked by the filter above");
        match kill(Pid::from_raw(raw), None) {
            Ok(()) | Err(Errno::EPERM) => Ok(PidFileState::Running {
                pid,
                command: fs::read_to_string(format!("/proc/{pid}/comm"))
                    .ok()
                    .map(|c| c.trim_end().to_owned()),
            }),
            Err(_) => Ok(PidFileState::Stale { pid: Some(pid) }),
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The pid written.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Removes the file now (pulse does so at exit, spec §2.2 step 9).
    ///
    /// # Errors
    /// [`PidFileError::Remove`]; a file already gone is not an error.
    pub fn remove(mut self) -> Result<(), PidFileError> {
        self.removed = true;
        self.remove_if_ours()
    }

    fn remove_if_ours(&self) -> Result<(), PidFileError> {
        if std::process::id() != self.pid {
            return Ok(());
        }
        match fs::read_to_string(&self.path) {
            Ok(text) if text.trim() == self.pid.to_string() => {}
            _ => return Ok(()),
        }
        match fs::remove_file(&self.path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                Err(PidFileError::Remove { path: self.path.clone(), source: e })
            }
            _ => Ok(()),
        }
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        if !self.removed {
            let _ = self.remove_if_ours();
        }
    }
}

/// Writes `contents` to a temporary file beside `path`, then renames it over
/// `path`.
fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    let name = path.file_name().ok_or_else(|| io::Error::from_raw_os_error(Errno::EISDIR as i32))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp = path.with_file_name(temp_name);

    let result = (|| {
        let mut file =
            fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o644).open(&temp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::TempDir;

    /// A pid that is certainly dead: a reaped child's.
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    #[test]
    fn path_is_var_run_name_pid() {
        assert_eq!(pid_file_path("lvs"), Path::new("/var/run/lvs.pid"));
    }

    #[test]
    fn create_writes_pid_newline_and_leaves_no_temp_file() {
        let dir = TempDir::new("create");
        let path = dir.path().join("pulse.pid");
        let pid_file = PidFile::create(&path).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), format!("{}\n", std::process::id()));
        assert_eq!(pid_file.pid(), std::process::id());
        assert_eq!(pid_file.path(), path);
        let entries: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(entries.len(), 1, "only the pid file remains");
        drop(pid_file);
        assert!(!path.exists(), "dropping removes it");
    }

    #[test]
    fn create_replaces_an_existing_file_by_rename() {
        use std::os::unix::fs::MetadataExt;
        let dir = TempDir::new("replace");
        let path = dir.path().join("lvs.pid");
        fs::write(&path, "99999999\n").unwrap();
        let old_inode = fs::metadata(&path).unwrap().ino();
        let reader = fs::File::open(&path).unwrap();
        let pid_file = PidFile::create(&path).unwrap();
        // A new inode: readers see the old or the new file, never a mix.
        assert_ne!(fs::metadata(&path).unwrap().ino(), old_inode);
        assert_eq!(io::read_to_string(reader).unwrap(), "99999999\n", "an open reader keeps the old content");
        pid_file.remove().unwrap();
        assert!(!path.exists());
    }

    #[test]
    fn failure_reads_like_the_original() {
        let err = PidFile::create("/nonexistent-dir/pulse.pid").unwrap_err();
        assert_eq!(err.to_string(), "failed to open /nonexistent-dir/pulse.pid: No such file or directory");
    }

    #[test]
    fn inspect_tells_absent_stale_and_running() {
        let dir = TempDir::new("inspect");
        let path = dir.path().join("pulse.pid");
        assert_eq!(PidFile::inspect(&path).unwrap(), PidFileState::Absent);

        let dead = dead_pid();
        fs::write(&path, format!("{dead}\n")).unwrap();
        assert_eq!(PidFile::inspect(&path).unwrap(), PidFileState::Stale { pid: Some(dead) });

        fs::write(&path, "garbage\n").unwrap();
        assert_eq!(PidFile::inspect(&path).unwrap(), PidFileState::Stale { pid: None });

        let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        // spawn returns once the child exists, maybe before it has exec'd
        // sleep (its name is then still the test thread's): wait for the exec.
        let comm = format!("/proc/{}/comm", child.id());
        for _ in 0..500 {
            if fs::read_to_string(&comm).is_ok_and(|c| c.trim() == "sleep") {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        fs::write(&path, format!("{}\n", child.id())).unwrap();
        let state = PidFile::inspect(&path).unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(state, PidFileState::Running { pid: child.id(), command: Some("sleep".into()) });
    }

    #[test]
    fn acquire_refuses_a_live_instance_and_replaces_a_stale_one() {
        let dir = TempDir::new("acquire");
        let path = dir.path().join("lvs.pid");
        let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        fs::write(&path, format!("{}\n", child.id())).unwrap();
        let refused = PidFile::acquire(&path).unwrap_err();
        assert!(
            matches!(refused, PidFileError::AlreadyRunning { pid, .. } if pid == child.id()),
            "{refused}"
        );
        child.kill().unwrap();
        child.wait().unwrap();

        let pid_file = PidFile::acquire(&path).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), format!("{}\n", std::process::id()));
        // Our own pid in the file is not "another instance".
        assert_eq!(PidFile::inspect(&path).unwrap(), PidFileState::Stale { pid: Some(std::process::id()) });
        drop(pid_file);
    }

    #[test]
    fn drop_leaves_a_file_that_another_process_rewrote() {
        let dir = TempDir::new("rewritten");
        let path = dir.path().join("pulse.pid");
        let pid_file = PidFile::create(&path).unwrap();
        fs::write(&path, "1\n").unwrap();
        drop(pid_file);
        assert_eq!(fs::read_to_string(&path).unwrap(), "1\n");
    }
}
