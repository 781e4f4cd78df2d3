//! The client half of an HTTP `CONNECT` tunnel (RFC 9110 §9.3.6), with optional Basic
//! proxy authentication (RFC 7617).

use base64::Engine as _;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::{Credentials, TargetAddr};
use crate::error::NetError;

/// The longest response head accepted; proxies send a few hundred bytes.
const MAX_RESPONSE_HEAD: usize = 8 * 1024;

const WHO: &str = "HTTP";

fn protocol(detail: &'static str) -> NetError {
    NetError::ProxyProtocol { proxy: WHO, detail }
}

/// Asks the HTTP proxy at the other end of `stream` to open a tunnel to `target`. On success the
/// stream carries the tunnel.
///
/// # Errors
///
/// [`NetError::ProxyAuthRejected`] or [`NetError::ProxyAuthRequired`] on status 407,
/// [`NetError::HttpProxyStatus`] on any other non-2xx status, [`NetError::ProxyProtocol`] for a
/// malformed or oversized response, I/O errors.
pub async fn handshake<S>(
    stream: &mut S,
    target: &TargetAddr,
    credentials: Option<&Credentials>,
) -> Result<(), NetError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let authority = target.to_string();
    let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(c) = credentials {
        let token = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", c.username, c.password));
        request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await?;

    // Read byte by byte: the tunnel's first bytes may follow the head in the same segment, and
    // they belong to the caller, not to us.
    let mut head = Vec::with_capacity(256);
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_RESPONSE_HEAD {
            return Err(protocol("response head too long"));
        }
        match stream.read_u8().await {
            Ok(b) => head.push(b),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Err(NetError::ClosedDuringHandshake {
                    during: "HTTP CONNECT",
                })
            }
            Err(e) => return Err(e.into()),
        }
    }
    let status = parse_status(&head)?;
    match status {
        200..=299 => Ok(()),
        407 if credentials.is_some() => Err(NetError::ProxyAuthRejected),
        407 => Err(NetError::ProxyAuthRequired),
        _ => Err(NetError::HttpProxyStatus { status }),
    }
}

/// Reads the status code from `HTTP/1.x NNN reason`.
fn parse_status(head: &[u8]) -> Result<u16, NetError> {
    let line = head
        .split(|&b| b == b'\r')
        .next()
        .ok_or(protocol("empty response"))?;
    let mut parts = line.split(|&b| b == b' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with(b"HTTP/1.") {
        return Err(protocol("not an HTTP/1.x status line"));
    }
    let code = parts.next().unwrap_or_default();
    if code.len() != 3 || !code.iter().all(u8::is_ascii_digit) {
        return Err(protocol("malformed status code"));
    }
    Ok(code
        .iter()
        .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        assert_eq!(
            parse_status(b"HTTP/1.1 200 Connection established\r\n\r\n").unwrap(),
            200
        );
        assert_eq!(parse_status(b"HTTP/1.0 407 Auth\r\n\r\n").unwrap(), 407);
        assert!(parse_status(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
        assert!(parse_status(b"HTTP/1.1 20x OK\r\n\r\n").is_err());
        assert!(parse_status(b"HTTP/1.1\r\n\r\n").is_err());
    }
}
