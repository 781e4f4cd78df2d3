//! Proxy links as Telegram apps share them: `tg://proxy?server=…&port=…&secret=…` (or
//! `https://t.me/proxy?…`) for MTProxy, `tg://socks?server=…&port=…&user=…&pass=…` (or
//! `https://t.me/socks?…`) for SOCKS5.

use std::str::FromStr;

use super::{Credentials, MtProxySecret, Proxy};
use crate::error::{LinkError, NetError};

/// A parsed proxy link; [`resolve`](Self::resolve) turns it into a [`Proxy`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyLink {
    /// An MTProxy.
    MtProxy {
        /// Host name or IP address.
        server: String,
        /// TCP port.
        port: u16,
        /// The secret.
        secret: MtProxySecret,
    },
    /// A SOCKS5 proxy.
    Socks5 {
        /// Host name or IP address.
        server: String,
        /// TCP port.
        port: u16,
        /// User and password, when the link has them.
        credentials: Option<Credentials>,
    },
}

impl FromStr for ProxyLink {
    type Err = LinkError;

    fn from_str(link: &str) -> Result<Self, LinkError> {
        let link = link.trim();
        let (kind, query) = ["tg://", "https://t.me/", "http://t.me/", "t.me/"]
            .iter()
            .find_map(|prefix| link.strip_prefix(prefix))
            .and_then(|rest| rest.split_once('?'))
            .ok_or(LinkError::NotAProxyLink)?;
        let mut server = None;
        let mut port = None;
        let mut secret = None;
        let mut user = None;
        let mut pass = None;
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode(value).ok_or(LinkError::BadEscape)?;
            match key {
                "server" => server = Some(value),
                "port" => port = Some(value.parse::<u16>().map_err(|_| LinkError::BadPort)?),
                "secret" => secret = Some(value),
                "user" => user = Some(value),
                "pass" => pass = Some(value),
                _ => {}
            }
        }
        let server = server
            .filter(|s| !s.is_empty())
            .ok_or(LinkError::Missing("server"))?;
        let port = port.ok_or(LinkError::Missing("port"))?;
        match kind.trim_end_matches('/') {
            "proxy" => {
                let secret = secret.ok_or(LinkError::Missing("secret"))?;
                Ok(ProxyLink::MtProxy {
                    server,
                    port,
                    secret: secret.parse().map_err(LinkError::Secret)?,
                })
            }
            "socks" => Ok(ProxyLink::Socks5 {
                server,
                port,
                credentials: user.map(|u| Credentials {
                    username: u,
                    password: pass.unwrap_or_default(),
                }),
            }),
            _ => Err(LinkError::NotAProxyLink),
        }
    }
}

impl ProxyLink {
    /// Resolves the server name (the first address found is used).
    ///
    /// # Errors
    ///
    /// [`NetError::Io`] when the name does not resolve.
    pub async fn resolve(&self) -> Result<Proxy, NetError> {
        let (server, port) = match self {
            ProxyLink::MtProxy { server, port, .. } | ProxyLink::Socks5 { server, port, .. } => {
                (server.as_str(), *port)
            }
        };
        let addr = tokio::net::lookup_host((server, port))
            .await?
            .next()
            .ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::NotFound, "proxy name has no address")
            })?;
        Ok(match self {
            ProxyLink::MtProxy { secret, .. } => Proxy::MtProxy {
                addr,
                secret: secret.clone(),
            },
            ProxyLink::Socks5 { credentials, .. } => Proxy::Socks5 {
                addr,
                credentials: credentials.clone(),
            },
        })
    }
}

/// `%XX` escapes and `+` for space, as in URL query strings; `None` on a broken escape or
/// bytes that are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'%' => {
                let hi = (bytes.next()? as char).to_digit(16)?;
                let lo = (bytes.next()? as char).to_digit(16)?;
                out.push((hi * 16 + lo) as u8);
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mtproxy_links_in_every_spelling() {
        let ee = "ee0123456789abcdef0123456789abcdef6578616d706c652e636f6d";
        for link in [
            format!("tg://proxy?server=proxy.example&port=443&secret={ee}"),
            format!("https://t.me/proxy?secret={ee}&server=proxy.example&port=443"),
            format!("t.me/proxy?server=proxy.example&port=443&secret={ee}&extra=1"),
        ] {
            let parsed: ProxyLink = link.parse().unwrap();
            let ProxyLink::MtProxy {
                server,
                port,
                secret,
            } = parsed
            else {
                panic!("{link}");
            };
            assert_eq!((server.as_str(), port), ("proxy.example", 443));
            assert_eq!(secret.domain(), Some("example.com"));
        }
        // The same dd secret, hex and URL-safe base64 with an escaped '='.
        let hex: ProxyLink =
            "tg://proxy?server=1.2.3.4&port=8888&secret=dd000102030405060708090a0b0c0d0e0f"
                .parse()
                .unwrap();
        let b64: ProxyLink =
            "tg://proxy?server=1.2.3.4&port=8888&secret=3QABAgMEBQYHCAkKCwwNDg8%3D"
                .parse()
                .unwrap();
        assert_eq!(hex, b64);
    }

    #[test]
    fn socks_links_with_and_without_credentials() {
        let l: ProxyLink = "tg://socks?server=10.0.0.1&port=1080&user=al+ice&pass=p%40ss"
            .parse()
            .unwrap();
        assert_eq!(
            l,
            ProxyLink::Socks5 {
                server: "10.0.0.1".into(),
                port: 1080,
                credentials: Some(Credentials {
                    username: "al ice".into(),
                    password: "p@ss".into()
                }),
            }
        );
        let l: ProxyLink = "https://t.me/socks?server=h&port=1".parse().unwrap();
        assert!(matches!(
            l,
            ProxyLink::Socks5 {
                credentials: None,
                ..
            }
        ));
    }

    #[test]
    fn broken_links_are_typed_errors() {
        let e = |s: &str| s.parse::<ProxyLink>().unwrap_err();
        assert_eq!(e("https://example.com/?a=b"), LinkError::NotAProxyLink);
        assert_eq!(e("tg://proxy"), LinkError::NotAProxyLink);
        assert_eq!(e("tg://resolve?domain=x"), LinkError::Missing("server"));
        assert_eq!(
            e("tg://proxy?server=h&port=99999&secret=00"),
            LinkError::BadPort
        );
        assert_eq!(
            e("tg://proxy?server=h&port=1"),
            LinkError::Missing("secret")
        );
        assert_eq!(e("tg://proxy?server=%zz&port=1"), LinkError::BadEscape);
        assert!(matches!(
            e("tg://proxy?server=h&port=1&secret=abc"),
            LinkError::Secret(_)
        ));
    }

    #[tokio::test]
    async fn resolving_gives_a_proxy() {
        let l: ProxyLink = "tg://socks?server=127.0.0.1&port=1080".parse().unwrap();
        let p = l.resolve().await.unwrap();
        assert_eq!(p.addr(), "127.0.0.1:1080".parse().unwrap());
    }
}
