//! Crate-internal test suites that need both roles and a look at the wire.

mod chaos;
mod harness;
mod session;
