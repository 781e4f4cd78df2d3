//! How tgwire's bytes reach a Telegram data centre: MTProto transports, proxies, and the async
//! sender that drives the sans-IO protocol core of `tgwire-mtproto` over tokio.
//!
//! # Design
//!
//! The crate is split by what needs I/O:
//!
//! - [`transport`] is sans-IO. Each codec ([`Abridged`], [`Intermediate`],
//!   [`PaddedIntermediate`], [`Full`], [`Obfuscated`]) implements [`Transport`] over buffers the
//!   caller owns, in either [`Role`]. Decoding answers with a range into the caller's buffer
//!   (obfuscated2 decrypts it in place), so received packets are never copied here. Randomness
//!   comes in as an argument, so tests are deterministic. [`transport::detect`] is the server side:
//!   it recognises a client's transport from its first bytes.
//! - [`proxy`] opens streams on tokio: direct TCP, SOCKS5, HTTP CONNECT and MTProxy (plain, `dd`,
//!   and `ee` fake TLS, whose handshake is itself sans-IO in [`proxy::mtproxy`]).
//!   [`server::accept`] is the accepting side the test server uses.
//! - [`Sender`] runs one connection: a tokio task that owns the stream, the codec and an
//!   [`tgwire_mtproto::Session`], and loops *read → `handle_incoming` → `poll_transmit` → write →
//!   sleep until `poll_timeout`*. It creates the auth key on the first connection (with PFS, also
//!   temporary keys, bound before use and renewed before expiry), wraps the first requests in
//!   `invokeWithLayer(initConnection)`, pings, detects a dead link, reconnects with backoff and
//!   jitter, and publishes its [`ConnectionState`]. Callers hold a cheap [`SenderHandle`] and
//!   `invoke`; concurrent calls are batched into containers by the core, and
//!   [`SenderHandle::invoke_batch_raw`] sends a batch in one container, optionally ordered.
//! - [`Pool`] keeps senders per DC id: opened on demand, several per DC for file transfers
//!   (sharing the DC's auth key), closed when idle.
//!
//! ```text
//!  client                                                     server / MTProxy
//!  payload ─ Transport::encode ─► NetStream ═══ TCP ═══► server::accept ─► detect
//!                                 (FakeTlsStream                          │
//!                                  for `ee`)          payload ◄─ Transport::decode (server role)
//! ```
//!
//! # Not here
//!
//! No MTProto semantics: message ids, encryption with the auth key, acks, salts, resends and
//! containers belong to `tgwire-mtproto`; the sender only moves packets, time and events between
//! the socket, the core and the callers. Quick acks are never requested, and a quick ack received
//! is an error. The HTTP transport is not implemented. With PFS ([`SenderConfig::pfs`]) the sender
//! creates and binds temporary keys, but the decisions inside (the binding message built from
//! the msg_id it is sent under, holding requests until bound, moving them to a new key) are the
//! core's: `Session::enqueue_bind_temp_key` and `Session::rekey`. No session storage: new keys and salts are reported as
//! [`SenderEvent`]s for the owner to persist.
//!
//! # Example
//!
//! A client's packet framed with obfuscated2, recognised and decoded by the server side:
//!
//! ```
//! use rand::{rngs::StdRng, SeedableRng};
//! use tgwire_net::transport::{detect, Decoded, Detection, Framing, Obfuscated};
//! use tgwire_net::Transport;
//!
//! let mut rng = StdRng::seed_from_u64(1);
//! let mut client = Obfuscated::client(Framing::Intermediate, 2, None, &mut rng);
//! let mut wire = Vec::new();
//! client.encode(b"an MTProto packet...", &mut wire)?;
//!
//! let Detection::Transport { mut transport, consumed, obfuscated, .. } =
//!     detect(&wire, None, &mut rng)?
//! else {
//!     panic!("64 bytes of header are there");
//! };
//! assert_eq!(obfuscated.map(|o| o.dc_id), Some(2));
//! let input = &mut wire[consumed..];
//! match transport.decode(input)? {
//!     Decoded::Frame { payload, .. } => assert_eq!(&input[payload], b"an MTProto packet..."),
//!     Decoded::NeedMore(n) => panic!("{n} bytes missing"),
//! }
//! # Ok::<(), tgwire_net::TransportError>(())
//! ```
//!
//! A sender: connect (creating an auth key), call, persist the key, shut down.
//!
//! ```no_run
//! use tgwire_net::{InitParams, Sender, SenderConfig, SenderEvent};
//! use tgwire_tl_types::{enums, functions};
//!
//! # async fn run(rsa_keys: Vec<tgwire_crypto::rsa::RsaPublicKey>) -> Result<(), Box<dyn std::error::Error>> {
//! let mut config = SenderConfig::new(2, "149.154.167.51:443".parse()?, rsa_keys);
//! config.init = Some(InitParams::new(12345));
//! let Sender { handle, mut events } = Sender::spawn(config);
//!
//! let enums::NearestDc::NearestDc(dc) = handle.invoke(&functions::help::GetNearestDc).await?;
//! println!("nearest DC: {}", dc.nearest_dc);
//! while let Ok(event) = events.try_recv() {
//!     if let SenderEvent::AuthKeyCreated { auth_key, .. } = event {
//!         // Store auth_key.as_bytes() with the session.
//!         # let _ = auth_key;
//!     }
//! }
//! handle.shutdown().await;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

pub mod error;
pub mod pool;
pub mod proxy;
pub mod queue;
mod sender;
pub mod server;
mod small_map;
mod stream;
pub mod transport;

pub use error::{InvokeError, LinkError, MtProxyError, NetError, PoolError, TransportError};
pub use pool::{Pool, PoolConfig, PoolEvent, Template};
pub use proxy::{connect, Connection, Credentials, MtProxySecret, Proxy, ProxyLink, TargetAddr};
pub use sender::{
    ConnectionState, DisconnectReason, InitParams, InvokeOptions, KeepAlive, OnDisconnect,
    ReconnectPolicy, Sender, SenderConfig, SenderEvent, SenderHandle,
};
pub use stream::NetStream;
pub use transport::{
    detect, Abridged, AnyTransport, Decoded, Detection, Framing, Full, Intermediate, Obfuscated,
    PaddedIntermediate, Role, Transport, TransportKind, MAX_FRAME_LEN,
};

/// The user guide, `docs/connections.md`, included here only so that `cargo test` compiles and
/// runs its examples.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/connections.md")]
pub struct ConnectionsGuide;
