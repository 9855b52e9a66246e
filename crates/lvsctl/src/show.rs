//! `lvsctl show [--rules]`.

use std::io::Write;
use std::path::Path;

use lvs_config::desired::desired_table;

/// Prints the configuration (canonical form) or its IPVS rules.
pub(crate) fn run(path: &Path, rules: bool, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<u8> {
    let Some(loaded) = crate::load(path, err)? else {
        return Ok(1);
    };
    let config = &loaded.parsed.config;
    if rules {
        out.write_all(desired_table(config).to_rules().as_bytes())?;
    } else {
        out.write_all(lvs_config::write(config).as_bytes())?;
    }
    Ok(0)
}
