//! Server side of a connection: recognise what a freshly accepted client speaks and hand back a
//! server-role codec. Used by the test server, both as a data centre and as an MTProxy.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::SeedableRng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::error::{MtProxyError, NetError};
use crate::proxy::mtproxy::{accept_client_hello, unix_now, FakeTlsStream, HelloProgress};
use crate::proxy::MtProxySecret;
use crate::stream::NetStream;
use crate::transport::obfuscated::{ObfuscatedHello, HEADER_LEN};
use crate::transport::{detect, AnyTransport, Detection, Obfuscated};

/// How [`accept`] treats a new connection.
#[derive(Debug, Clone)]
pub struct AcceptOptions {
    /// Serve as an MTProxy with this secret: only obfuscated2 keyed with it (inside fake TLS for
    /// `ee` secrets) is accepted. `None`: serve every plain transport and unkeyed obfuscated2.
    pub secret: Option<MtProxySecret>,
    /// How far a fake-TLS client's clock may be from ours.
    pub max_clock_skew: Duration,
    /// How long the client has to identify itself.
    pub timeout: Duration,
}

impl Default for AcceptOptions {
    fn default() -> Self {
        AcceptOptions {
            secret: None,
            max_clock_skew: Duration::from_secs(120),
            timeout: Duration::from_secs(10),
        }
    }
}

/// An identified client connection.
#[derive(Debug)]
pub struct Accepted {
    /// The stream (unwrapped from fake TLS if need be).
    pub stream: NetStream,
    /// The server-role codec.
    pub transport: AnyTransport,
    /// The DC id and framing, when the client used obfuscated2.
    pub obfuscated: Option<ObfuscatedHello>,
    /// Bytes already read past the transport marker: feed them to `transport.decode` first.
    pub buffered: Vec<u8>,
}

/// Reads a new client's first bytes and returns the transport it speaks.
///
/// # Errors
///
/// [`NetError::ConnectTimeout`] if the client says too little within `options.timeout`;
/// detection errors ([`TransportError`](crate::TransportError)); fake-TLS errors; and
/// [`MtProxyError::UnsupportedTransport`] when an MTProxy secret forbids what the client chose.
pub async fn accept(stream: TcpStream, options: &AcceptOptions) -> Result<Accepted, NetError> {
    let addr = stream.peer_addr()?;
    tokio::time::timeout(options.timeout, identify(stream, options))
        .await
        .map_err(|_| NetError::ConnectTimeout { addr })?
}

async fn identify(mut stream: TcpStream, options: &AcceptOptions) -> Result<Accepted, NetError> {
    let mut rng = StdRng::from_entropy();
    let secret = options.secret.as_ref();
    let key = secret.map(MtProxySecret::key);
    let mut buf = Vec::with_capacity(1024);
    loop {
        match detect(&buf, key, &mut rng)? {
            Detection::NeedMore(_) => read_more(&mut stream, &mut buf).await?,
            Detection::Transport {
                transport,
                consumed,
                obfuscated,
            } => {
                check_framing(secret, obfuscated)?;
                log::debug!("client speaks {transport:?} ({obfuscated:?})");
                buf.drain(..consumed);
                return Ok(Accepted {
                    stream: NetStream::Tcp(stream),
                    transport,
                    obfuscated,
                    buffered: buf,
                });
            }
            Detection::FakeTls => break,
        }
    }

    let Some(MtProxySecret::FakeTls { key, domain }) = secret else {
        return Err(MtProxyError::UnsupportedTransport.into());
    };
    let skew = u32::try_from(options.max_clock_skew.as_secs()).unwrap_or(u32::MAX);
    let rest = loop {
        match accept_client_hello(&buf, key, domain, unix_now(), skew, &mut rng)? {
            HelloProgress::NeedMore(_) => read_more(&mut stream, &mut buf).await?,
            HelloProgress::Done { consumed, value } => {
                log::debug!("fake-TLS hello accepted, clock skew {} s", value.skew_secs);
                stream.write_all(&value.response).await?;
                break buf.split_off(consumed);
            }
        }
    };
    let mut tls = FakeTlsStream::server(stream, rest);
    let mut header = [0u8; HEADER_LEN];
    crate::proxy::read_or_closed(&mut tls, &mut header, "obfuscated2").await?;
    let (codec, hello) = Obfuscated::server(&header, Some(key), &mut rng)?;
    check_framing(secret, Some(hello))?;
    Ok(Accepted {
        stream: NetStream::FakeTls(tls),
        transport: AnyTransport::Obfuscated(codec),
        obfuscated: Some(hello),
        buffered: Vec::new(),
    })
}

/// `dd` and `ee` secrets admit only padded intermediate.
fn check_framing(
    secret: Option<&MtProxySecret>,
    hello: Option<ObfuscatedHello>,
) -> Result<(), MtProxyError> {
    match (secret.and_then(MtProxySecret::required_framing), hello) {
        (Some(required), Some(h)) if h.framing != required => {
            Err(MtProxyError::UnsupportedTransport)
        }
        _ => Ok(()),
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<(), NetError> {
    if stream.read_buf(buf).await? == 0 {
        return Err(NetError::ClosedDuringHandshake {
            during: "transport detection",
        });
    }
    Ok(())
}
