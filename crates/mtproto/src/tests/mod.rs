//! Crate-internal test suites that need both roles and a look at the wire.

mod bind;
mod chaos;
mod end_to_end;
mod garbage;
mod harness;
mod session;
