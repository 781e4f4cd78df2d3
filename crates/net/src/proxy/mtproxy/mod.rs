//! MTProxy: Telegram's own proxy, reached with obfuscated2 keyed by the proxy's secret.
//!
//! - plain secret (16 bytes): obfuscated2 with `SHA256(key ‖ secret)` keys, any framing;
//! - `dd` secret: the same, padded intermediate framing only;
//! - `ee` secret: the same inside a fake TLS 1.3 session (see [`FakeTlsClient`] and
//!   [`accept_client_hello`]), so the connection looks like HTTPS to the secret's domain.
//!
//! The handshake logic is sans-IO ([`FakeTlsClient`], [`accept_client_hello`],
//! [`Obfuscated`]); [`connect`] here and
//! [`server::accept`](crate::server::accept) run it over tokio.

pub(crate) mod fake_tls;
pub(crate) mod records;
pub(crate) mod secret;
pub(crate) mod stream;

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::rngs::StdRng;
use rand::SeedableRng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::error::{MtProxyError, NetError};
use crate::stream::NetStream;
use crate::transport::{Framing, Obfuscated};

pub use fake_tls::{accept_client_hello, AcceptedHello, FakeTlsClient, HelloProgress};
pub use secret::MtProxySecret;
pub use stream::FakeTlsStream;

/// The framing to use with `secret` when the caller asks for `wanted` (`None`: the secret's
/// requirement, or intermediate).
///
/// # Errors
///
/// [`MtProxyError::UnsupportedTransport`] when the secret requires another framing.
pub fn framing_for(
    secret: &MtProxySecret,
    wanted: Option<Framing>,
) -> Result<Framing, MtProxyError> {
    match (secret.required_framing(), wanted) {
        (Some(required), Some(w)) if w != required => Err(MtProxyError::UnsupportedTransport),
        (Some(required), _) => Ok(required),
        (None, Some(w)) => Ok(w),
        (None, None) => Ok(Framing::Intermediate),
    }
}

/// Seconds since the Unix epoch, as the fake-TLS timestamp carries them (wraps in 2106).
pub(crate) fn unix_now() -> u32 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as u32)
}

/// Connects to the MTProxy at `proxy` and prepares the obfuscated2 codec for DC `dc_id`.
/// For `ee` secrets the fake-TLS handshake is done before this returns; the obfuscated2 header
/// goes out with the first packet the codec encodes.
///
/// # Errors
///
/// [`NetError::ConnectTimeout`], [`MtProxyError::UnsupportedTransport`] for a framing the secret
/// does not allow, fake-TLS errors ([`MtProxyError::ServerDigestMismatch`] when the proxy does
/// not know the secret), [`NetError::ClosedDuringHandshake`], I/O errors.
pub async fn connect(
    proxy: SocketAddr,
    secret: &MtProxySecret,
    dc_id: i16,
    framing: Option<Framing>,
    timeout: Duration,
) -> Result<(NetStream, Obfuscated), NetError> {
    let framing = framing_for(secret, framing)?;
    let mut rng = StdRng::from_entropy();
    let handshake = async {
        let mut tcp = super::direct::connect_tcp(proxy, timeout).await?;
        let stream = match secret {
            MtProxySecret::FakeTls { key, domain } => {
                let mut hello = Vec::with_capacity(520);
                let client = FakeTlsClient::start(key, domain, unix_now(), &mut rng, &mut hello);
                tcp.write_all(&hello).await?;
                let mut buf = Vec::with_capacity(8 * 1024);
                loop {
                    match client.read_server_hello(&buf)? {
                        HelloProgress::NeedMore(_) => {
                            if tcp.read_buf(&mut buf).await? == 0 {
                                return Err(NetError::ClosedDuringHandshake { during: "fake-TLS" });
                            }
                        }
                        HelloProgress::Done { consumed, .. } => {
                            let rest = buf.split_off(consumed);
                            break NetStream::FakeTls(FakeTlsStream::client(tcp, rest));
                        }
                    }
                }
            }
            _ => NetStream::Tcp(tcp),
        };
        Ok::<_, NetError>(stream)
    };
    let stream = tokio::time::timeout(timeout, handshake)
        .await
        .map_err(|_| NetError::ConnectTimeout { addr: proxy })??;
    let codec = Obfuscated::client(framing, dc_id, Some(secret.key()), &mut rng);
    Ok((stream, codec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_follows_the_secret() {
        let plain = MtProxySecret::Plain([1; 16]);
        let dd = MtProxySecret::Padded([1; 16]);
        assert_eq!(framing_for(&plain, None), Ok(Framing::Intermediate));
        assert_eq!(
            framing_for(&plain, Some(Framing::Abridged)),
            Ok(Framing::Abridged)
        );
        assert_eq!(framing_for(&dd, None), Ok(Framing::PaddedIntermediate));
        assert_eq!(
            framing_for(&dd, Some(Framing::Abridged)),
            Err(MtProxyError::UnsupportedTransport)
        );
    }
}
