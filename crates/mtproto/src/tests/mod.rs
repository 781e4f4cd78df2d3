//! Crate-internal test suites that need both roles and a look at the wire.

mod harness;
mod session;
