//! lvsd: builds and maintains the IPVS table of the active LVS router from
//! lvs.cf and the verdicts of its nanny health checkers (spec §3).

pub mod controller;
