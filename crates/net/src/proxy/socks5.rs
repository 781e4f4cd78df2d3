//! The client half of SOCKS5 (RFC 1928) with optional username/password authentication
//! (RFC 1929), CONNECT command only.

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::{read_or_closed, Credentials, TargetAddr};
use crate::error::NetError;

const VERSION: u8 = 0x05;
const METHOD_NONE: u8 = 0x00;
const METHOD_PASSWORD: u8 = 0x02;
const NO_ACCEPTABLE_METHOD: u8 = 0xff;
const PASSWORD_VERSION: u8 = 0x01;
const CMD_CONNECT: u8 = 0x01;
const ATYP_IPV4: u8 = 0x01;
const ATYP_DOMAIN: u8 = 0x03;
const ATYP_IPV6: u8 = 0x04;

const WHO: &str = "SOCKS5";

fn protocol(detail: &'static str) -> NetError {
    NetError::ProxyProtocol { proxy: WHO, detail }
}

/// Asks the SOCKS5 proxy at the other end of `stream` for a tunnel to `target`. On success the
/// stream carries the tunnel.
///
/// # Errors
///
/// [`NetError::Socks5NoAcceptableMethod`] (also what a proxy that demands a password answers
/// when none is configured), [`NetError::ProxyAuthRejected`], [`NetError::Socks5Refused`] with the reply code,
/// [`NetError::ProxyProtocol`] for a malformed reply, [`NetError::FieldTooLong`], I/O errors.
pub async fn handshake<S>(
    stream: &mut S,
    target: &TargetAddr,
    credentials: Option<&Credentials>,
) -> Result<(), NetError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // Validate everything before the first byte goes out.
    let request = connect_request(target)?;
    let auth = credentials.map(auth_request).transpose()?;

    let greeting: &[u8] = if auth.is_some() {
        &[VERSION, 2, METHOD_NONE, METHOD_PASSWORD]
    } else {
        &[VERSION, 1, METHOD_NONE]
    };
    stream.write_all(greeting).await?;
    let mut choice = [0u8; 2];
    read_or_closed(stream, &mut choice, WHO).await?;
    if choice[0] != VERSION {
        return Err(protocol("wrong version in method selection"));
    }
    match (choice[1], auth) {
        (METHOD_NONE, _) => {}
        (METHOD_PASSWORD, Some(auth)) => {
            stream.write_all(&auth).await?;
            let mut status = [0u8; 2];
            read_or_closed(stream, &mut status, WHO).await?;
            if status[1] != 0 {
                return Err(NetError::ProxyAuthRejected);
            }
        }
        (NO_ACCEPTABLE_METHOD, _) => return Err(NetError::Socks5NoAcceptableMethod),
        _ => return Err(protocol("proxy chose a method that was not offered")),
    }

    stream.write_all(&request).await?;
    let mut reply = [0u8; 4];
    read_or_closed(stream, &mut reply, WHO).await?;
    if reply[0] != VERSION {
        return Err(protocol("wrong version in reply"));
    }
    if reply[1] != 0 {
        return Err(NetError::Socks5Refused { reply: reply[1] });
    }
    // Skip the bound address the proxy reports; it is of no use to a client.
    let skip = match reply[3] {
        ATYP_IPV4 => 4 + 2,
        ATYP_IPV6 => 16 + 2,
        ATYP_DOMAIN => {
            let mut len = [0u8; 1];
            read_or_closed(stream, &mut len, WHO).await?;
            usize::from(len[0]) + 2
        }
        _ => return Err(protocol("unknown address type in reply")),
    };
    let mut bound = [0u8; 255 + 2];
    read_or_closed(stream, &mut bound[..skip], WHO).await?;
    Ok(())
}

fn auth_request(c: &Credentials) -> Result<Vec<u8>, NetError> {
    let user = u8::try_from(c.username.len()).map_err(|_| NetError::FieldTooLong)?;
    let pass = u8::try_from(c.password.len()).map_err(|_| NetError::FieldTooLong)?;
    let mut out = Vec::with_capacity(3 + c.username.len() + c.password.len());
    out.extend_from_slice(&[PASSWORD_VERSION, user]);
    out.extend_from_slice(c.username.as_bytes());
    out.push(pass);
    out.extend_from_slice(c.password.as_bytes());
    Ok(out)
}

fn connect_request(target: &TargetAddr) -> Result<Vec<u8>, NetError> {
    let mut out = vec![VERSION, CMD_CONNECT, 0x00];
    let port = match target {
        TargetAddr::Ip(addr) => {
            match addr.ip() {
                std::net::IpAddr::V4(ip) => {
                    out.push(ATYP_IPV4);
                    out.extend_from_slice(&ip.octets());
                }
                std::net::IpAddr::V6(ip) => {
                    out.push(ATYP_IPV6);
                    out.extend_from_slice(&ip.octets());
                }
            }
            addr.port()
        }
        TargetAddr::Domain(host, port) => {
            let len = u8::try_from(host.len()).map_err(|_| NetError::FieldTooLong)?;
            out.extend_from_slice(&[ATYP_DOMAIN, len]);
            out.extend_from_slice(host.as_bytes());
            *port
        }
    };
    out.extend_from_slice(&port.to_be_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_follow_rfc_1928_and_1929() {
        let v4 = connect_request(&TargetAddr::Ip("149.154.167.51:443".parse().unwrap())).unwrap();
        assert_eq!(v4, [5, 1, 0, 1, 149, 154, 167, 51, 0x01, 0xbb]);
        let v6 = connect_request(&TargetAddr::Ip("[2001:db8::1]:80".parse().unwrap())).unwrap();
        assert_eq!(&v6[..4], &[5, 1, 0, 4]);
        assert_eq!(v6.len(), 4 + 16 + 2);
        let dom = connect_request(&TargetAddr::Domain("a.bc".into(), 8080)).unwrap();
        assert_eq!(dom, [5, 1, 0, 3, 4, b'a', b'.', b'b', b'c', 0x1f, 0x90]);
        let auth = auth_request(&Credentials::new("u", "pw")).unwrap();
        assert_eq!(auth, [1, 1, b'u', 2, b'p', b'w']);
        let long = Credentials::new("u".repeat(256), "");
        assert!(matches!(auth_request(&long), Err(NetError::FieldTooLong)));
    }
}
