//! nanny: Piranha-compatible real-server monitor (work in progress).
fn main() {}
