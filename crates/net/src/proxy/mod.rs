//! Async connectors: how a TCP stream to a data centre is opened, directly or through a proxy.
//!
//! [`connect`] is the one entry point a connection driver needs: it picks the route, runs the
//! proxy handshake, and returns the stream together with the transport codec the route demands
//! (an MTProxy fixes obfuscation and, for `dd`/`ee` secrets, the framing). The per-protocol
//! handshakes are public too, for callers that bring their own stream.

pub mod direct;
pub mod http;
mod link;
pub mod mtproxy;
pub mod socks5;

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::SeedableRng;
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::error::{MtProxyError, NetError};
use crate::stream::NetStream;
use crate::transport::{AnyTransport, Framing, TransportKind};

pub use link::ProxyLink;
pub use mtproxy::{FakeTlsStream, MtProxySecret};

/// A username and password for SOCKS5 or HTTP proxies.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name (at most 255 bytes for SOCKS5).
    pub username: String,
    /// The password (at most 255 bytes for SOCKS5).
    pub password: String,
}

impl Credentials {
    /// Credentials from a user name and password.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials {
            username: username.into(),
            password: password.into(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Where a proxy should open its tunnel to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetAddr {
    /// An IPv4 or IPv6 address and port (Telegram DCs are always addressed this way).
    Ip(SocketAddr),
    /// A host name the proxy resolves, and a port.
    Domain(String, u16),
}

impl From<SocketAddr> for TargetAddr {
    fn from(addr: SocketAddr) -> Self {
        TargetAddr::Ip(addr)
    }
}

impl fmt::Display for TargetAddr {
    /// `host:port`, with IPv6 addresses in brackets, as HTTP's authority form wants.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetAddr::Ip(addr) => write!(f, "{addr}"),
            TargetAddr::Domain(host, port) => write!(f, "{host}:{port}"),
        }
    }
}

/// A proxy to reach the data centres through.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Proxy {
    /// A SOCKS5 proxy, with or without username/password.
    Socks5 {
        /// The proxy's address.
        addr: SocketAddr,
        /// Optional credentials.
        credentials: Option<Credentials>,
    },
    /// An HTTP proxy that supports `CONNECT`, with or without Basic authentication.
    Http {
        /// The proxy's address.
        addr: SocketAddr,
        /// Optional credentials.
        credentials: Option<Credentials>,
    },
    /// An MTProxy; it routes by the DC id inside the obfuscated2 header.
    MtProxy {
        /// The proxy's address.
        addr: SocketAddr,
        /// Its secret.
        secret: MtProxySecret,
    },
}

impl Proxy {
    /// The address the TCP connection actually goes to.
    pub fn addr(&self) -> SocketAddr {
        match self {
            Proxy::Socks5 { addr, .. } | Proxy::Http { addr, .. } | Proxy::MtProxy { addr, .. } => {
                *addr
            }
        }
    }
}

/// A connected stream and the client-role codec to run over it.
#[derive(Debug)]
pub struct Connection {
    /// The byte stream.
    pub stream: NetStream,
    /// The codec; its first `encode` writes the transport's marker or header.
    pub transport: AnyTransport,
}

/// Connects to the data centre `dc_id` at `target`, through `proxy` if given, all within
/// `timeout`.
///
/// Through an MTProxy, `target` is unused (the proxy knows the DCs) and `kind` must be one
/// obfuscated2 can carry: `Abridged`, `Intermediate` and `PaddedIntermediate` are obfuscated with
/// the secret, and `dd`/`ee` secrets accept only padded intermediate.
///
/// # Errors
///
/// [`NetError::ConnectTimeout`], the proxy handshakes' errors, and
/// [`MtProxyError::UnsupportedTransport`] for a transport the MTProxy secret cannot carry.
pub async fn connect(
    target: SocketAddr,
    dc_id: i16,
    kind: TransportKind,
    proxy: Option<&Proxy>,
    timeout: Duration,
) -> Result<Connection, NetError> {
    let addr = proxy.map_or(target, Proxy::addr);
    log::debug!("connecting to DC {dc_id} at {target} via {addr} with {kind:?}");
    // One clock for the whole route: TCP connect plus any handshake.
    tokio::time::timeout(timeout, open(target, dc_id, kind, proxy, timeout))
        .await
        .map_err(|_| NetError::ConnectTimeout { addr })?
}

async fn open(
    target: SocketAddr,
    dc_id: i16,
    kind: TransportKind,
    proxy: Option<&Proxy>,
    timeout: Duration,
) -> Result<Connection, NetError> {
    let tunnelled = |stream| Connection {
        stream: NetStream::Tcp(stream),
        transport: AnyTransport::client(kind, dc_id, &mut StdRng::from_entropy()),
    };
    match proxy {
        None => Ok(tunnelled(direct::connect_tcp(target, timeout).await?)),
        Some(Proxy::Socks5 { addr, credentials }) => {
            let mut stream = direct::connect_tcp(*addr, timeout).await?;
            socks5::handshake(&mut stream, &target.into(), credentials.as_ref()).await?;
            Ok(tunnelled(stream))
        }
        Some(Proxy::Http { addr, credentials }) => {
            let mut stream = direct::connect_tcp(*addr, timeout).await?;
            http::handshake(&mut stream, &target.into(), credentials.as_ref()).await?;
            Ok(tunnelled(stream))
        }
        Some(Proxy::MtProxy { addr, secret }) => {
            let framing = match kind {
                TransportKind::Abridged => Framing::Abridged,
                TransportKind::Intermediate => Framing::Intermediate,
                TransportKind::PaddedIntermediate => Framing::PaddedIntermediate,
                TransportKind::Obfuscated(f) => f,
                TransportKind::Full => return Err(MtProxyError::UnsupportedTransport.into()),
            };
            let (stream, codec) =
                mtproxy::connect(*addr, secret, dc_id, Some(framing), timeout).await?;
            Ok(Connection {
                stream,
                transport: AnyTransport::Obfuscated(codec),
            })
        }
    }
}

/// `read_exact` that reports a peer hanging up mid-handshake as such.
pub(crate) async fn read_or_closed<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut [u8],
    during: &'static str,
) -> Result<(), NetError> {
    match stream.read_exact(buf).await {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Err(NetError::ClosedDuringHandshake { during })
        }
        Err(e) => Err(e.into()),
    }
}
