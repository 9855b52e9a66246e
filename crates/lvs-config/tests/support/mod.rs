//! Helpers shared by the integration tests.

pub mod diff;
pub mod large;

use std::path::{Path, PathBuf};

/// `tests/data` of this crate.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("data")
}

/// The text of `tests/data/NAME`.
pub fn data(name: &str) -> String {
    let path = data_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
