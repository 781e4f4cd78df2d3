//! How tgwire's bytes reach a Telegram data centre: MTProto transports, proxies, and (later) the
//! async driver of the sans-IO protocol core.
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
//! No MTProto semantics: message ids, encryption with the auth key, acks and salts belong to
//! `tgwire-mtproto`; this crate moves opaque packets. Quick acks are never requested, and a quick
//! ack received is an error. The HTTP transport is not implemented.
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
#![forbid(unsafe_code)]

pub mod error;
pub mod proxy;
pub mod server;
mod stream;
pub mod transport;

pub use error::{MtProxyError, NetError, TransportError};
pub use proxy::{connect, Connection, Credentials, MtProxySecret, Proxy, TargetAddr};
pub use stream::NetStream;
pub use transport::{
    detect, Abridged, AnyTransport, Decoded, Detection, Framing, Full, Intermediate, Obfuscated,
    PaddedIntermediate, Role, Transport, TransportKind, MAX_FRAME_LEN,
};
