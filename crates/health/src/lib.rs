//! Real-server health checking for LVS, as Piranha's `nanny` does it (spec §4).
//!
//! * [`probe`]: one probe of one real server — TCP/UDP connect, send, bounded read matched by
//!   [`expect`], or an external checker via [`program`] — returning a [`ProbeResult`] whose
//!   reason is the nanny log text;
//! * [`availability`]: the pure availability machine (one failure removes, readmission after
//!   `reentry`, manual overrides), with weight slow start and load weighting from [`weight`];
//! * [`monitor`]: the async loop that probes all real servers of one virtual service, each on
//!   its own schedule, and emits [`monitor::Event`]s;
//! * [`protocol`]: the line protocol between lvsd and `nanny --worker` (pure), and [`lines`],
//!   a bounded line reader for either end;
//! * [`escape`]: backslash escapes of send/expect strings.
//!
//! This crate never touches the IPVS table: it judges health and reports; lvsd programs IPVS.
//!
//! ```
//! use health::availability::{Action, Availability, AvailabilitySettings};
//! use std::time::Duration;
//! let mut a = Availability::new(AvailabilitySettings {
//!     weight: 100,
//!     interval: Duration::from_secs(6),
//!     reentry: Duration::from_secs(18),
//!     scale: 10,
//!     load_monitor: false,
//! });
//! assert_eq!(a.on_probe(true, Duration::ZERO), [Action::Enter { weight: 3 }]);
//! assert_eq!(a.on_probe(false, Duration::from_secs(6)), [Action::Leave]);
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod availability;
pub mod escape;
pub mod expect;
pub mod lines;
pub mod monitor;
pub mod probe;
pub mod program;
pub mod protocol;
pub mod weight;

pub use probe::ProbeResult;
