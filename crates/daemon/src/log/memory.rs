//! The in-memory sink for tests.

use std::sync::{Arc, Mutex, PoisonError};

use super::Level;

/// One logged message as a [`MemoryLog`] keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The level it was logged at (before any severity mapping).
    pub level: Level,
    /// The message, whole (not cut like the foreground's), trailing newlines
    /// stripped.
    pub message: String,
}

/// A shared, cloneable list of logged messages; give it to
/// [`LoggerBuilder::memory`](super::LoggerBuilder::memory) and inspect it.
#[derive(Clone, Debug, Default)]
pub struct MemoryLog {
    records: Arc<Mutex<Vec<Record>>>,
}

impl MemoryLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every record so far, oldest first.
    pub fn records(&self) -> Vec<Record> {
        self.lock().clone()
    }

    /// Every message so far, oldest first.
    pub fn messages(&self) -> Vec<String> {
        self.lock().iter().map(|r| r.message.clone()).collect()
    }

    /// Whether some message contains `needle`.
    pub fn contains(&self, needle: &str) -> bool {
        self.lock().iter().any(|r| r.message.contains(needle))
    }

    /// Forgets every record.
    pub fn clear(&self) {
        self.lock().clear();
    }

    pub(super) fn push(&self, level: Level, message: &str) {
        self.lock().push(Record { level, message: message.to_owned() });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Record>> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
