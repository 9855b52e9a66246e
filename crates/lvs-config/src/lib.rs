//! lvs.cf toolkit (under construction).
