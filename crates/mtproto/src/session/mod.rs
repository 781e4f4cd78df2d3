//! Encrypted sessions: the shared core and its client and server roles.

pub(crate) mod answer;
pub(crate) mod bind;
pub(crate) mod body;
pub(crate) mod client;
pub(crate) mod core;
pub(crate) mod server;
