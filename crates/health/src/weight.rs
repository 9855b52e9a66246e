//! Weight slow start and load-based weighting (spec §4.6); pure functions.

use std::net::IpAddr;

/// Largest weight IPVS accepts.
pub const MAX_WEIGHT: u32 = i32::MAX as u32;

/// The weight a server enters with: `max(1, weight >> 5)` (3 for weight 100).
pub fn initial_weight(weight: u32) -> u32 {
    (weight >> 5).max(1)
}

/// Slow start: doubles `last` up to the configured `weight`; `None` once it is reached.
/// For weight 100: 3, 6, 12, 24, 48, 96, 100.
pub fn slow_start(last: u32, weight: u32) -> Option<u32> {
    (last < weight).then(|| last.saturating_mul(2).min(weight))
}

/// Load weighting (spec §4.6): with S = weight / 2 (integer division), a load below 1 raises the
/// weight by `S·cbrt(1 − load)` up to `scale·weight`, a load above 1 lowers it by
/// `S·cbrt(load − 1)` down to `weight`. The change is applied only when it is at least
/// weight / 4; `None` means "keep `last`". A negative load or exactly 1.0 changes nothing.
pub fn load_weight(last: u32, weight: u32, scale: u32, load: f64) -> Option<u32> {
    if load.is_nan() || load < 0.0 || load == 1.0 {
        return None;
    }
    let step = f64::from(weight / 2);
    let last_f = f64::from(last);
    let ceiling = (u64::from(weight) * u64::from(scale)).min(u64::from(MAX_WEIGHT));
    // C converts the double to int by truncation; the clamps keep the cast in range.
    let new = if load < 1.0 {
        (last_f + step * (1.0 - load).cbrt()).min(ceiling as f64)
    } else {
        (last_f - step * (load - 1.0).cbrt()).max(f64::from(weight))
    };
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let new = new.trunc().clamp(0.0, f64::from(MAX_WEIGHT)) as u32;
    (new != last && new.abs_diff(last) >= weight / 4).then_some(new)
}

/// The argv that asks a real server for its load: `[loadcmd, RIP]`, plus `uptime` when the
/// command is exactly `rsh` or `ssh`; `None` for `none` (no load monitoring).
pub fn load_command(loadcmd: &str, host: IpAddr) -> Option<Vec<String>> {
    if loadcmd == "none" || loadcmd.is_empty() {
        return None;
    }
    let mut argv = vec![loadcmd.to_owned(), host.to_string()];
    if loadcmd == "rsh" || loadcmd == "ssh" {
        argv.push("uptime".to_owned());
    }
    Some(argv)
}

/// Why no load average could be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// The load command failed or printed nothing.
    #[error("failed to read remote load")]
    NoOutput,
    /// The output has no parsable `load average: N,` part.
    #[error("bad load average returned: {0}")]
    BadOutput(String),
}

/// Reads the 1-minute load average from `uptime`-style output, as the original does: the first
/// `load`, then the first `:` after it, skip two characters, read `[0-9.]*`, which must be
/// followed by `,` or a space.
///
/// ```
/// let out = b" 10:01:15 up 3 days,  2 users,  load average: 0.12, 0.30, 0.25\n";
/// assert_eq!(health::weight::parse_load(out), Ok(0.12));
/// ```
///
/// # Errors
/// [`LoadError::NoOutput`] for empty output, [`LoadError::BadOutput`] otherwise.
pub fn parse_load(output: &[u8]) -> Result<f64, LoadError> {
    let text = String::from_utf8_lossy(output);
    let text = text.trim_end_matches('\n');
    if text.is_empty() {
        return Err(LoadError::NoOutput);
    }
    let bad = || LoadError::BadOutput(text.to_owned());
    let after_load = text.find("load").ok_or_else(bad)?;
    let colon = text[after_load..].find(':').ok_or_else(bad)? + after_load;
    let start = colon + 2;
    let rest = text.get(start..).ok_or_else(bad)?;
    let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(bad)?;
    if !matches!(rest.as_bytes().get(digits), Some(b',' | b' ')) {
        return Err(bad());
    }
    rest[..digits].parse().map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramp_for_weight_100() {
        let mut w = initial_weight(100);
        let mut seen = vec![w];
        while let Some(next) = slow_start(w, 100) {
            w = next;
            seen.push(w);
        }
        assert_eq!(seen, [3, 6, 12, 24, 48, 96, 100]);
    }

    #[test]
    fn initial_weight_is_at_least_one() {
        assert_eq!(initial_weight(0), 1);
        assert_eq!(initial_weight(31), 1);
        assert_eq!(initial_weight(64), 2);
    }

    #[test]
    fn load_weighting() {
        // load 0: +50·1 = 150.
        assert_eq!(load_weight(100, 100, 10, 0.0), Some(150));
        // capped at scale·weight.
        assert_eq!(load_weight(960, 100, 10, 0.0), Some(1000));
        assert_eq!(load_weight(980, 100, 10, 0.0), None, "change below weight/4");
        assert_eq!(load_weight(1000, 100, 10, 0.0), None);
        // load 9: −50·2 = 100 below 200 → 100; floored at weight.
        assert_eq!(load_weight(200, 100, 10, 9.0), Some(100));
        assert_eq!(load_weight(150, 100, 10, 9.0), Some(100));
        assert_eq!(load_weight(100, 100, 10, 9.0), None);
        // a change below weight/4 is not applied: load 0.999 → +50·0.1 = 5.
        assert_eq!(load_weight(100, 100, 10, 0.999), None);
        // exactly 1 and negative: nothing.
        assert_eq!(load_weight(100, 100, 10, 1.0), None);
        assert_eq!(load_weight(100, 100, 10, -1.0), None);
        assert_eq!(load_weight(100, 100, 10, f64::NAN), None);
    }

    #[test]
    fn load_command_argv() {
        let h: IpAddr = "10.0.0.1".parse().expect("test address");
        assert_eq!(load_command("none", h), None);
        assert_eq!(load_command("ssh", h).expect("argv"), ["ssh", "10.0.0.1", "uptime"]);
        assert_eq!(load_command("rup", h).expect("argv"), ["rup", "10.0.0.1"]);
        assert_eq!(load_command("/usr/bin/ssh", h).expect("argv"), ["/usr/bin/ssh", "10.0.0.1"]);
    }

    #[test]
    fn load_parsing() {
        assert_eq!(parse_load(b"load average: 1.50, 1.0, 0.5"), Ok(1.5));
        assert_eq!(
            parse_load(b"host  up 1 day, load 0.10 0.20 0.30"),
            Err(LoadError::BadOutput("host  up 1 day, load 0.10 0.20 0.30".into()))
        );
        assert_eq!(parse_load(b""), Err(LoadError::NoOutput));
        assert_eq!(parse_load(b"\n"), Err(LoadError::NoOutput));
        assert!(matches!(parse_load(b"load:"), Err(LoadError::BadOutput(_))));
        assert!(matches!(parse_load(b"load: 0.5"), Err(LoadError::BadOutput(_))));
        assert!(matches!(parse_load(b"load: 1.2.3,"), Err(LoadError::BadOutput(_))));
        assert!(matches!(parse_load(b"load:\xff\xfe1,"), Err(LoadError::BadOutput(_))));
        assert_eq!(LoadError::BadOutput("x".into()).to_string(), "bad load average returned: x");
    }
}
