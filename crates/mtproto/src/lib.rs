//! Sans-IO MTProto 2.0 for both ends of a connection: the auth-key exchange and the encrypted
//! session, in the client role and in the server role the test server uses.
//!
//! # Design: a protocol core without I/O
//!
//! Like `quinn-proto`, this crate never touches a socket, a clock, a task or a global random
//! generator. Its owner (the tokio driver in `tgwire-net`, or a test) moves bytes and time in
//! and out; everything here is a deterministic function of what it was given, so tests replay
//! exact bytes under a virtual clock.
//!
//! - **Time** is an [`Instant`] argument (wall-clock Unix time: msg_ids encode it). Nothing here
//!   reads a clock.
//! - **Randomness** comes from a seed ([`Session::new`], [`ServerSession::new`]) or an
//!   `&mut impl RngCore` argument (the auth-key exchange).
//! - **Buffers** belong to the caller: outgoing packets are appended to a `&mut Vec<u8>`.
//!
//! ## The contract of [`Session`] and [`ServerSession`]
//!
//! Four kinds of methods, called in this order every time the driver wakes up:
//!
//! 1. *Getters* (`session_id`, `salt`, `time_offset`, ...): no side effects.
//! 2. *Commands* queue work: [`Session::enqueue`] (returns a [`RequestId`] that stays valid
//!    across resends), [`Session::cancel`], [`Session::ping`], and for perfect forward secrecy
//!    [`Session::enqueue_bind_temp_key`] (whose body is built at packing time, from the msg_id
//!    it gets) and [`Session::rekey`] (move to a fresh temporary key); on the server
//!    [`ServerSession::respond`], [`ServerSession::respond_split`] (a file part sealed from
//!    where it is stored, [`SplitBody`]), [`ServerSession::respond_error`],
//!    [`ServerSession::push`].
//! 3. *`handle_*`* feed input: `handle_incoming(now, packet)` with each packet the transport
//!    delivered (`auth_key_id ‖ msg_key ‖ encrypted data`), `handle_timeout(now)` once the
//!    instant from `poll_timeout` has passed.
//! 4. *`poll_*`* drain output until empty: `poll_transmit(now, &mut buf)` (one packet per
//!    call), `poll_event()` (answers, updates, salt/time/session changes), then
//!    `poll_timeout()` for the next wake-up.
//!
//! ```text
//!             enqueue(body) ─┐                      ┌─> poll_event(): Response / RpcError /
//!                            v                      │   Dropped / Update / SaltChanged / ...
//!   transport ─bytes─> handle_incoming(now) ─> [ Session: msg_ids, seq_no, salts, acks,
//!   timer ──────────> handle_timeout(now)  ─>     pending requests, replay window ]
//!                                                   │
//!   transport <─bytes── poll_transmit(now, buf) <───┘  (containers, gzip, piggy-backed acks)
//! ```
//!
//! Every request ends exactly once, as [`Event::Response`], [`Event::RpcError`] or
//! [`Event::Dropped`]; lost packets are recovered by the protocol itself (same-id resends in a
//! container, `msgs_state_req`, `msg_detailed_info` / `msg_resend_req`, `msg_resend_ans_req`).
//! A packet that fails any check (auth_key_id, msg_key, session id, padding 12..=1024, msg_id
//! parity, freshness, duplicates) is refused with a [`SessionError`] and leaves the session
//! as it was.
//!
//! The auth-key exchange is a chain of typed states in [`auth::client`] and [`auth::server`];
//! each `handle(self, ...)` consumes the state, performs the spec's checks and returns the
//! next state (or an [`AuthError`]).
//!
//! # What this crate does not do
//!
//! Transports and framing (abridged, intermediate, obfuscation) and reconnecting live in
//! `tgwire-net`; TL types in `tgwire-tl-types`; cryptographic primitives in `tgwire-crypto`;
//! storage in `tgwire-session`. It does not interpret RPC bodies beyond the MTProto service
//! layer, and the server role does not route between sessions or DCs (the test server does).
//!
//! # Example
//!
//! ```
//! use tgwire_crypto::AuthKey;
//! use tgwire_mtproto::{
//!     ClientConfig, Event, Instant, SaltSchedule, ServerConfig, ServerEvent, ServerSession, Session,
//! };
//!
//! let now = Instant::from_unix_secs(1_700_000_000);
//! let key = || AuthKey::from_bytes([7; 256]);
//! let mut client = Session::new(key(), 0, 0, ClientConfig::default(), [1; 32]);
//! let mut server =
//!     ServerSession::new(key(), SaltSchedule::new([2; 32], 3600), ServerConfig::default(), [3; 32]);
//!
//! let request = client.enqueue(vec![0x11, 0x22, 0x33, 0x44]);
//! let mut packet = Vec::new();
//! for _ in 0..3 {
//!     // The client starts with salt 0, so the first round trip fetches the real salt.
//!     while client.poll_transmit(now, &mut packet) {
//!         server.handle_incoming(now, &packet)?;
//!         packet.clear();
//!     }
//!     while let Some(event) = server.poll_event() {
//!         if let ServerEvent::Request { msg_id, .. } = event {
//!             server.respond(msg_id, vec![0x55, 0x66, 0x77, 0x88]);
//!         }
//!     }
//!     while server.poll_transmit(now, &mut packet) {
//!         client.handle_incoming(now, &packet)?;
//!         packet.clear();
//!     }
//! }
//! let answer = std::iter::from_fn(|| client.poll_event())
//!     .find_map(|e| match e {
//!         Event::Response { request: r, body } if r == request => Some(body),
//!         _ => None,
//!     });
//! assert_eq!(answer.as_deref(), Some(&[0x55, 0x66, 0x77, 0x88][..]));
//! # Ok::<(), tgwire_mtproto::SessionError>(())
//! ```
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
pub use rpc_error::{names as error_names, KnownError, RpcError};
pub use salts::{FutureSalt, SaltSchedule};
pub use session::answer::Answer;
pub use session::body::SplitBody;
pub use session::client::{ClientConfig, DropReason, Event, RequestId, RequestOptions, Session};
pub use session::core::Limits;
pub use session::server::{ServerConfig, ServerEvent, ServerSession};
pub use tgwire_crypto::{open_side_by_side, Opening};
pub use time::Instant;

#[cfg(test)]
mod tests;

/// The auth_key_id a packet starts with: 0 for a plain message of the auth-key exchange,
/// otherwise the id of the key that encrypted it (route it to that key's session).
pub fn packet_auth_key_id(packet: &[u8]) -> Option<i64> {
    Some(i64::from_le_bytes(packet.get(..8)?.try_into().ok()?))
}
