//! The MTProto service schema (`mtproto.tl`): the auth-key exchange and the service messages.
//!
//! `types`, `enums` and `functions` are generated like the API's; [`service`] holds the constructors
//! with `Object` fields, written by hand.

pub use crate::generated::mtproto::{enums, functions, types};

pub mod service;
