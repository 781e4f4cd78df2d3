//! `tgwire-testserver`: a local, multi-DC Telegram that speaks real MTProto, so that clients —
//! tgwire's own, Telethon, anyone's — can be tested on loopback without an account or a network.
//!
//! # Design
//!
//! Two halves meet at one narrow interface ([`backend::Backend::call`] with a
//! [`backend::CallContext`], plus a per-session update channel):
//!
//! - the **protocol side** (this crate's `server` module) owns the sockets: one listener per DC,
//!   transport detection per connection (abridged, intermediate, padded intermediate, full,
//!   obfuscated2; MTProxy `dd`/`ee` on an extra port when a proxy secret is given), the
//!   auth-key exchange, the auth-key store shared by all DCs, and one `ServerSession` per
//!   (auth_key_id, session_id). It strips the generic wrappers (`invokeWithLayer`,
//!   `initConnection`, `invokeWithoutUpdates`, `invokeAfterMsg(s)`), answers
//!   `auth.bindTempAuthKey` itself (it needs the key store), and honours the protocol faults
//!   (disconnects, delayed answers, clock skew, salt expiry).
//! - the **backend** ([`backend`]) is the in-memory Telegram: accounts, chats, messages, pts,
//!   files and the RPC methods, plus the method faults of [`faults`].
//!
//! No protocol logic is written here a second time: framing is `tgwire-net`'s, the auth-key
//! exchange and the encrypted session (salts, acks, containers, gzip, resends, service messages)
//! are `tgwire-mtproto`'s server role; each connection task only drives those sans-IO cores.
//!
//! ```text
//!  TCP ─► net::server::accept (detect) ─► connection task ─┬─► auth-key exchange ─► AuthKeyStore
//!                                                          └─► ServerSession (per key+session)
//!                                                                │ requests    ▲ updates
//!                                                                ▼             │
//!                                                 unwrap ─► Backend::call ─► register_session
//! ```
//!
//! # Not here
//!
//! No HTTP transport, no real phone or SMS, no rate limiting beyond injected faults.
//! Known gaps that need the mtproto core (listed in `docs/testserver.md`): the server accepts
//! only its own salt schedule (so the salt from the key exchange gets one `bad_server_salt`),
//! `ping_delay_disconnect` is answered but its disconnect timer is not armed, and the
//! salt-expiry fault applies to sessions created after it fires.
//!
//! # Example
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), tgwire_testserver::Error> {
//! use tgwire_testserver::{Config, TestServer};
//!
//! let server = TestServer::start(Config { dc_count: 2, ..Config::default() }).await?;
//! assert_eq!(server.dcs().len(), 2);
//! assert!(server.rsa_public_key_pem().starts_with("-----BEGIN RSA PUBLIC KEY-----"));
//! let line: serde_json::Value = serde_json::from_str(&server.ready_line()).unwrap();
//! assert_eq!(line["dcs"][1]["port"], server.dcs()[1].port);
//! server.faults().flood_wait("messages.sendMessage", 3);
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod backend;
pub mod faults;
mod server;

pub use backend::{Backend, CdnConfig, CdnStats, DcAddr, UpdateLimits};
pub use faults::Faults;
pub use server::{
    ClientInfo, Config, Error, ProxyAddr, TestServer, BUILTIN_PRIVATE_KEY_PEM,
    BUILTIN_PUBLIC_KEY_PEM, CDN_DC_ID, MAX_DCS,
};

/// The user guide, `docs/testserver.md`, included here only so that `cargo test` compiles and
/// runs its examples.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/testserver.md")]
pub struct TestServerGuide;
