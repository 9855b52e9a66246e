//! The exit statuses the original documents (spec §2.1, §2.2, §3.1, §4.9),
//! which init scripts, systemd's `Restart=on-failure` and pulse (watching
//! lvsd) act on.

use std::process::ExitCode;

/// A daemon's exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ExitStatus {
    /// 0: orderly stop after SIGTERM/SIGINT (and `--version`, `--help`).
    Stopped = 0,
    /// 1: a start-up error: bad argument, configuration error, socket that
    /// cannot be made; also nanny's failed final `ipvsadm -d`.
    StartupError = 1,
    /// 255: pulse's backup with `backup_active = 0` and its `select()`
    /// failure; nanny's `ipvsadm` failure while running.
    Fatal = 255,
}

impl ExitStatus {
    /// The numeric status.
    pub const fn code(self) -> u8 {
        self as u8
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_the_original() {
        assert_eq!(
            [ExitStatus::Stopped, ExitStatus::StartupError, ExitStatus::Fatal].map(ExitStatus::code),
            [0, 1, 255]
        );
        assert_eq!(ExitCode::from(ExitStatus::Fatal), ExitCode::from(255));
    }
}
