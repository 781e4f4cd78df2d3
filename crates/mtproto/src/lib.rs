//! Sans-IO MTProto 2.0 for both ends of a connection: the auth-key exchange and encrypted
//! sessions.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod auth;
mod error;
mod msg_id;
mod rpc_error;
mod salts;
mod seq_no;
mod service;
mod session;
mod time;
mod window;
mod wire;

pub use error::{AuthError, DecodeError, SessionError};
pub use msg_id::MsgId;
pub use rpc_error::RpcError;
pub use salts::{FutureSalt, SaltSchedule};
pub use session::client::{ClientConfig, DropReason, Event, RequestId, RequestOptions, Session};
pub use session::core::Limits;
pub use session::server::{ServerConfig, ServerEvent, ServerSession};
pub use time::Instant;

#[cfg(test)]
mod tests;
