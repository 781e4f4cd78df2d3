//! Plain TCP to an IPv4 or IPv6 address.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;

use crate::error::NetError;

/// Opens a TCP connection to `addr` within `timeout`, with Nagle's algorithm off (MTProto
/// packets are small and latency-bound).
///
/// # Errors
///
/// [`NetError::ConnectTimeout`] or the socket's [`NetError::Io`].
pub async fn connect_tcp(addr: SocketAddr, timeout: Duration) -> Result<TcpStream, NetError> {
    let stream = tokio::time::timeout(timeout, TcpStream::connect(addr))
        .await
        .map_err(|_| NetError::ConnectTimeout { addr })??;
    stream.set_nodelay(true)?;
    Ok(stream)
}
