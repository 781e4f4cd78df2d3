//! MTProxy secrets: 16 key bytes, optionally prefixed by a mode byte (`dd` or `ee`) and, for
//! `ee`, followed by the domain the fake TLS pretends to reach.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;

use crate::error::MtProxyError;
use crate::transport::Framing;

/// The longest DNS name; also what fits a TLS server_name with room left for the padding.
const MAX_DOMAIN_LEN: usize = 253;

/// A parsed MTProxy secret.
///
/// Parse one from the hex (or base64, as some `tg://proxy` links carry it) string a proxy
/// operator publishes:
///
/// ```
/// use tgwire_net::proxy::MtProxySecret;
///
/// let s: MtProxySecret = "ee000102030405060708090a0b0c0d0e0f6578616d706c652e636f6d".parse()?;
/// assert_eq!(s.domain(), Some("example.com"));
/// assert_eq!(s.key()[15], 0x0f);
/// # Ok::<(), tgwire_net::MtProxyError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MtProxySecret {
    /// 16 bytes with no prefix: obfuscated2 with any framing.
    Plain([u8; 16]),
    /// `dd` + 16 bytes: obfuscated2 with padded intermediate framing.
    Padded([u8; 16]),
    /// `ee` + 16 bytes + domain: obfuscated2 with padded intermediate framing inside fake TLS.
    FakeTls {
        /// The 16 key bytes.
        key: [u8; 16],
        /// The server name put in the ClientHello.
        domain: String,
    },
}

impl MtProxySecret {
    /// The 16 key bytes that key the obfuscation and the fake-TLS digests.
    pub fn key(&self) -> &[u8; 16] {
        match self {
            MtProxySecret::Plain(k) | MtProxySecret::Padded(k) => k,
            MtProxySecret::FakeTls { key, .. } => key,
        }
    }

    /// The fake-TLS domain, for `ee` secrets.
    pub fn domain(&self) -> Option<&str> {
        match self {
            MtProxySecret::FakeTls { domain, .. } => Some(domain),
            _ => None,
        }
    }

    /// The framing this secret requires, if it requires one (`dd` and `ee` require padded
    /// intermediate; plain secrets leave the choice to the client).
    pub fn required_framing(&self) -> Option<Framing> {
        match self {
            MtProxySecret::Plain(_) => None,
            MtProxySecret::Padded(_) | MtProxySecret::FakeTls { .. } => {
                Some(Framing::PaddedIntermediate)
            }
        }
    }

    /// Parses the raw secret bytes (mode byte, key, domain).
    ///
    /// # Errors
    ///
    /// [`MtProxyError::InvalidSecret`] for a wrong length or mode byte,
    /// [`MtProxyError::InvalidDomain`] for an `ee` domain that is empty, longer than 253 bytes
    /// or not printable ASCII.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MtProxyError> {
        let key_at = |at: usize| -> Result<[u8; 16], MtProxyError> {
            bytes
                .get(at..at + 16)
                .and_then(|k| k.try_into().ok())
                .ok_or(MtProxyError::InvalidSecret("the key must be 16 bytes"))
        };
        match bytes.first() {
            _ if bytes.len() == 16 => Ok(MtProxySecret::Plain(key_at(0)?)),
            Some(0xdd) if bytes.len() == 17 => Ok(MtProxySecret::Padded(key_at(1)?)),
            Some(0xee) if bytes.len() > 17 => {
                let key = key_at(1)?;
                let domain = &bytes[17..];
                let printable = domain.iter().all(|b| b.is_ascii_graphic());
                if domain.len() > MAX_DOMAIN_LEN || !printable {
                    return Err(MtProxyError::InvalidDomain);
                }
                let domain =
                    String::from_utf8(domain.to_vec()).map_err(|_| MtProxyError::InvalidDomain)?;
                Ok(MtProxySecret::FakeTls { key, domain })
            }
            Some(0xee) => Err(MtProxyError::InvalidDomain),
            Some(0xdd) => Err(MtProxyError::InvalidSecret("the key must be 16 bytes")),
            _ => Err(MtProxyError::InvalidSecret(
                "expected 16 bytes, or a dd or ee prefix",
            )),
        }
    }

    /// The raw secret bytes, as [`from_bytes`](Self::from_bytes) reads them.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(17 + self.domain().map_or(0, str::len));
        match self {
            MtProxySecret::Plain(_) => {}
            MtProxySecret::Padded(_) => out.push(0xdd),
            MtProxySecret::FakeTls { .. } => out.push(0xee),
        }
        out.extend_from_slice(self.key());
        if let Some(d) = self.domain() {
            out.extend_from_slice(d.as_bytes());
        }
        out
    }
}

impl FromStr for MtProxySecret {
    type Err = MtProxyError;

    /// Hex first (what proxy operators publish), then base64 in either alphabet, padded or not.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let bytes = decode_hex(s)
            .or_else(|| {
                let engines = [
                    base64::engine::general_purpose::URL_SAFE_NO_PAD,
                    base64::engine::general_purpose::STANDARD_NO_PAD,
                ];
                let unpadded = s.trim_end_matches('=');
                engines.iter().find_map(|e| e.decode(unpadded).ok())
            })
            .ok_or(MtProxyError::InvalidSecret("neither hex nor base64"))?;
        MtProxySecret::from_bytes(&bytes)
    }
}

impl fmt::Debug for MtProxySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never log the key: it is the proxy's only credential.
        let mode = match self {
            MtProxySecret::Plain(_) => "plain",
            MtProxySecret::Padded(_) => "dd",
            MtProxySecret::FakeTls { .. } => "ee",
        };
        f.debug_struct("MtProxySecret")
            .field("mode", &mode)
            .field("domain", &self.domain())
            .finish_non_exhaustive()
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    let digit = |c: u8| -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    };
    s.as_bytes()
        .chunks_exact(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_modes_from_hex() {
        let plain: MtProxySecret = "00112233445566778899aabbccddeeff".parse().unwrap();
        assert_eq!(plain.required_framing(), None);
        assert_eq!(plain.key()[1], 0x11);

        let dd: MtProxySecret = "DD00112233445566778899AABBCCDDEEFF".parse().unwrap();
        assert!(matches!(dd, MtProxySecret::Padded(_)));
        assert_eq!(dd.required_framing(), Some(Framing::PaddedIntermediate));

        let ee: MtProxySecret = "ee00112233445566778899aabbccddeeff676f6f676c652e636f6d"
            .parse()
            .unwrap();
        assert_eq!(ee.domain(), Some("google.com"));
        assert_eq!(
            ee.to_bytes(),
            hex::decode("ee00112233445566778899aabbccddeeff676f6f676c652e636f6d").unwrap()
        );
    }

    #[test]
    fn parses_base64_links() {
        let bytes = hex::decode("ee00112233445566778899aabbccddeeff676f6f676c652e636f6d").unwrap();
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes);
        let s: MtProxySecret = b64.parse().unwrap();
        assert_eq!(s.to_bytes(), bytes);
    }

    #[test]
    fn rejects_malformed_secrets() {
        for bad in [
            "",
            "0011",
            "dd0011",
            "ff00112233445566778899aabbccddeeff",
            "ee00112233445566778899aabbccddeeff",
            "zz",
        ] {
            assert!(bad.parse::<MtProxySecret>().is_err(), "{bad:?}");
        }
        let mut long = vec![0xee];
        long.extend([1; 16]);
        long.extend([b'a'; 254]);
        assert_eq!(
            MtProxySecret::from_bytes(&long),
            Err(MtProxyError::InvalidDomain)
        );
        long.truncate(17 + 3);
        long[18] = b' ';
        assert_eq!(
            MtProxySecret::from_bytes(&long),
            Err(MtProxyError::InvalidDomain)
        );
    }

    #[test]
    fn debug_hides_the_key() {
        let s: MtProxySecret = "dd00112233445566778899aabbccddeeff".parse().unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains("17") && shown.contains("dd"), "{shown}");
    }
}
