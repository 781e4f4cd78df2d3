//! Sessions as strings: tgwire's own compact format, and Telethon's `StringSession` format.
//!
//! # tgwire format, version 1
//!
//! `tw1` followed by unpadded URL-safe base64 of:
//!
//! | bytes | field |
//! |---|---|
//! | 1 | flags: bit 0 address is IPv6, bit 1 user id present, bit 2 user is a bot; others zero |
//! | 4 | home DC id, big-endian signed |
//! | 4 or 16 | DC address (IPv4 or IPv6, network order) |
//! | 2 | port, big-endian |
//! | 256 | auth key |
//! | 0 or 8 | user id, big-endian signed |
//! | 4 | CRC-32 (IEEE) of every byte above, big-endian |
//!
//! The checksum catches strings damaged by copy and paste. A later version gets a new prefix
//! (`tw2`…), and decoders keep reading the old ones.
//!
//! # Telethon format
//!
//! Character `1`, then padded URL-safe base64 of the big-endian struct `>B4sH256s` (IPv4) or
//! `>B16sH256s` (IPv6): DC id (one byte), packed address, port, auth key — 263 or 275 bytes. It holds
//! no user id and no checksum.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use base64::alphabet::URL_SAFE;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use zeroize::Zeroizing;

use crate::{AuthKeyData, Changes, DcFlags, DcOption, SelfUser, SessionError, Storage};

const TGWIRE_PREFIX: &str = "tw1";
const TELETHON_VERSION: char = '1';

const FLAG_IPV6: u8 = 1 << 0;
const FLAG_USER: u8 = 1 << 1;
const FLAG_BOT: u8 = 1 << 2;
const KNOWN_FLAGS: u8 = FLAG_IPV6 | FLAG_USER | FLAG_BOT;

/// Padding written for Telethon, accepted or not when reading (people trim it).
const TELETHON_B64: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
const TGWIRE_B64: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

/// What a string session carries: enough to reconnect to the home DC as the same account.
///
/// The peer cache and update state are not included (they would make the string huge); a client
/// started from a string session rebuilds them.
///
/// ```
/// use std::net::{IpAddr, Ipv4Addr};
/// use tgwire_session::{AuthKeyData, StringSession};
///
/// let session = StringSession {
///     dc_id: 2,
///     addr: IpAddr::V4(Ipv4Addr::new(149, 154, 167, 51)),
///     port: 443,
///     auth_key: AuthKeyData::new([7; 256]),
///     user: None,
/// };
/// let ours = session.encode();
/// assert!(ours.starts_with("tw1"));
/// assert_eq!(StringSession::decode(&ours)?, session);
///
/// let telethon = session.encode_telethon()?;
/// assert!(telethon.starts_with('1'));
/// assert_eq!(StringSession::decode(&telethon)?, session);
/// # Ok::<(), tgwire_session::SessionError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StringSession {
    /// The home DC.
    pub dc_id: i32,
    /// The home DC's address.
    pub addr: IpAddr,
    /// The home DC's port.
    pub port: u16,
    /// The permanent auth key for the home DC.
    pub auth_key: AuthKeyData,
    /// The signed-in account, if known (Telethon's format cannot carry it).
    pub user: Option<SelfUser>,
}

impl StringSession {
    /// Collects the home DC, its first usable address and its auth key from a storage.
    pub fn from_storage(storage: &dyn Storage) -> Result<Self, SessionError> {
        let dc_id = storage
            .home_dc()
            .ok_or(SessionError::Incomplete { missing: "home DC" })?;
        let auth_key = storage.auth_key(dc_id).ok_or(SessionError::Incomplete {
            missing: "auth key for the home DC",
        })?;
        let options = storage.dc_options();
        let usable = |o: &&DcOption| o.id == dc_id && !o.flags.media_only && !o.flags.cdn;
        let option = options
            .iter()
            .find(|o| usable(o) && o.ipv4.is_some())
            .or_else(|| options.iter().find(usable))
            .ok_or(SessionError::Incomplete {
                missing: "address of the home DC",
            })?;
        let addr = option
            .socket_addr()
            .ok_or(SessionError::Incomplete {
                missing: "address of the home DC",
            })?
            .ip();
        Ok(StringSession {
            dc_id,
            addr,
            port: option.port,
            auth_key,
            user: storage.self_user(),
        })
    }

    /// The writes that turn an empty storage into this session. Applied to a storage that already
    /// has DC addresses, the address list is replaced by this one address; the client refreshes the
    /// list from `help.getConfig` after connecting.
    pub fn to_changes(&self) -> Changes {
        let (ipv4, ipv6) = match self.addr {
            IpAddr::V4(v4) => (Some(v4), None),
            IpAddr::V6(v6) => (None, Some(v6)),
        };
        let mut changes = Changes::new();
        changes
            .set_home_dc(self.dc_id)
            .set_dc_options(vec![DcOption {
                id: self.dc_id,
                ipv4,
                ipv6,
                port: self.port,
                flags: DcFlags::default(),
            }])
            .set_auth_key(self.dc_id, Some(self.auth_key.clone()));
        if self.user.is_some() {
            changes.set_self_user(self.user);
        }
        changes
    }

    /// Encodes in tgwire's own format (see the module docs).
    pub fn encode(&self) -> String {
        let mut body = Zeroizing::new(Vec::with_capacity(1 + 4 + 16 + 2 + 256 + 8 + 4));
        let mut flags = 0;
        if self.addr.is_ipv6() {
            flags |= FLAG_IPV6;
        }
        if let Some(user) = self.user {
            flags |= FLAG_USER;
            if user.bot {
                flags |= FLAG_BOT;
            }
        }
        body.push(flags);
        body.extend_from_slice(&self.dc_id.to_be_bytes());
        push_ip(&mut body, self.addr);
        body.extend_from_slice(&self.port.to_be_bytes());
        body.extend_from_slice(self.auth_key.as_bytes());
        if let Some(user) = self.user {
            body.extend_from_slice(&user.id.to_be_bytes());
        }
        let crc = crc32fast::hash(&body);
        body.extend_from_slice(&crc.to_be_bytes());
        format!("{TGWIRE_PREFIX}{}", TGWIRE_B64.encode(&*body))
    }

    /// Encodes in Telethon's `StringSession` format, readable by `telethon.sessions.StringSession`.
    /// Fails if the DC id does not fit in Telethon's one byte. The user id is not carried.
    pub fn encode_telethon(&self) -> Result<String, SessionError> {
        let dc = u8::try_from(self.dc_id).map_err(|_| SessionError::Unrepresentable {
            what: "DC id outside 0..=255 (Telethon stores it in one byte)",
        })?;
        let mut body = Zeroizing::new(Vec::with_capacity(1 + 16 + 2 + 256));
        body.push(dc);
        push_ip(&mut body, self.addr);
        body.extend_from_slice(&self.port.to_be_bytes());
        body.extend_from_slice(self.auth_key.as_bytes());
        Ok(format!("{TELETHON_VERSION}{}", TELETHON_B64.encode(&*body)))
    }

    /// Decodes either format, told apart by the prefix (`tw1` or Telethon's `1`). Surrounding
    /// whitespace is ignored.
    pub fn decode(text: &str) -> Result<Self, SessionError> {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix(TGWIRE_PREFIX) {
            decode_tgwire(rest)
        } else if let Some(rest) = text.strip_prefix(TELETHON_VERSION) {
            decode_telethon(rest)
        } else {
            Err(invalid("unknown prefix (expected `tw1` or Telethon's `1`)"))
        }
    }
}

fn invalid(reason: &'static str) -> SessionError {
    SessionError::InvalidString { reason }
}

fn push_ip(body: &mut Vec<u8>, addr: IpAddr) {
    match addr {
        IpAddr::V4(v4) => body.extend_from_slice(&v4.octets()),
        IpAddr::V6(v6) => body.extend_from_slice(&v6.octets()),
    }
}

/// A cursor over decoded bytes whose reads fail instead of panicking when input runs short.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SessionError> {
        if self.0.len() < n {
            return Err(invalid("too short"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], SessionError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn ip(&mut self, v6: bool) -> Result<IpAddr, SessionError> {
        Ok(if v6 {
            IpAddr::V6(Ipv6Addr::from(self.array::<16>()?))
        } else {
            IpAddr::V4(Ipv4Addr::from(self.array::<4>()?))
        })
    }

    fn auth_key(&mut self) -> Result<AuthKeyData, SessionError> {
        let key = self.take(AuthKeyData::LEN)?;
        if key.iter().all(|b| *b == 0) {
            return Err(invalid("auth key is all zeros"));
        }
        AuthKeyData::from_slice(key)
    }
}

fn decode_tgwire(encoded: &str) -> Result<StringSession, SessionError> {
    let bytes = Zeroizing::new(
        TGWIRE_B64
            .decode(encoded)
            .map_err(|_| invalid("not unpadded URL-safe base64"))?,
    );
    let (body, crc) = bytes
        .len()
        .checked_sub(4)
        .map(|at| bytes.split_at(at))
        .ok_or_else(|| invalid("too short"))?;
    let crc: [u8; 4] = crc.try_into().map_err(|_| invalid("too short"))?;
    if crc32fast::hash(body) != u32::from_be_bytes(crc) {
        return Err(invalid("checksum mismatch (damaged or truncated string)"));
    }
    let mut r = Reader(body);
    let [flags] = r.array::<1>()?;
    if flags & !KNOWN_FLAGS != 0 {
        return Err(invalid("unknown flags (made by a newer tgwire?)"));
    }
    let dc_id = i32::from_be_bytes(r.array()?);
    let addr = r.ip(flags & FLAG_IPV6 != 0)?;
    let port = u16::from_be_bytes(r.array()?);
    let auth_key = r.auth_key()?;
    let user = if flags & FLAG_USER != 0 {
        Some(SelfUser {
            id: i64::from_be_bytes(r.array()?),
            bot: flags & FLAG_BOT != 0,
        })
    } else if flags & FLAG_BOT != 0 {
        return Err(invalid("bot flag without a user"));
    } else {
        None
    };
    if !r.0.is_empty() {
        return Err(invalid("trailing bytes"));
    }
    Ok(StringSession {
        dc_id,
        addr,
        port,
        auth_key,
        user,
    })
}

fn decode_telethon(encoded: &str) -> Result<StringSession, SessionError> {
    let bytes = Zeroizing::new(
        TELETHON_B64
            .decode(encoded)
            .map_err(|_| invalid("not URL-safe base64"))?,
    );
    let v6 = match bytes.len() {
        263 => false,
        275 => true,
        _ => return Err(invalid("Telethon string must decode to 263 or 275 bytes")),
    };
    let mut r = Reader(&bytes);
    let [dc] = r.array::<1>()?;
    let addr = r.ip(v6)?;
    let port = u16::from_be_bytes(r.array()?);
    let auth_key = r.auth_key()?;
    Ok(StringSession {
        dc_id: i32::from(dc),
        addr,
        port,
        auth_key,
        user: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample(addr: IpAddr, user: Option<SelfUser>) -> StringSession {
        let mut key = [0u8; 256];
        for (i, b) in key.iter_mut().enumerate() {
            *b = i as u8;
        }
        StringSession {
            dc_id: 4,
            addr,
            port: 443,
            auth_key: AuthKeyData::new(key),
            user,
        }
    }

    #[test]
    fn tgwire_format_round_trips_every_shape() {
        let v4 = IpAddr::V4(Ipv4Addr::new(149, 154, 167, 91));
        let v6: IpAddr = "2001:67c:4e8:f004::b".parse().unwrap();
        for addr in [v4, v6] {
            for user in [
                None,
                Some(SelfUser {
                    id: 12345,
                    bot: false,
                }),
                Some(SelfUser { id: 7, bot: true }),
            ] {
                let s = sample(addr, user);
                let text = s.encode();
                assert!(text
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
                assert_eq!(StringSession::decode(&text).unwrap(), s);
            }
        }
    }

    #[test]
    fn telethon_layout_is_byte_exact() {
        let s = sample(IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4)), None);
        let text = s.encode_telethon().unwrap();
        // 263 bytes -> 352 base64 characters (one `=` of padding), plus the version char.
        assert_eq!(text.len(), 353);
        assert!(text.ends_with('='));
        let raw = TELETHON_B64.decode(&text[1..]).unwrap();
        assert_eq!(&raw[..7], &[4, 1, 2, 3, 4, 0x01, 0xbb]);
        assert_eq!(&raw[7..], s.auth_key.as_bytes());

        let v6 = sample("::1".parse().unwrap(), None)
            .encode_telethon()
            .unwrap();
        assert_eq!(v6.len(), 1 + 368);
    }

    #[test]
    fn telethon_strings_without_padding_are_accepted() {
        let s = sample(IpAddr::V4(Ipv4Addr::LOCALHOST), None);
        let text = s.encode_telethon().unwrap();
        assert_eq!(
            StringSession::decode(text.trim_end_matches('=')).unwrap(),
            s
        );
    }

    #[test]
    fn damaged_strings_are_rejected() {
        let s = sample(
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            Some(SelfUser { id: 1, bot: false }),
        );
        let text = s.encode();
        // Flip one character in the middle.
        let mut bytes = text.clone().into_bytes();
        bytes[100] = if bytes[100] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(bytes).unwrap();
        assert!(matches!(
            StringSession::decode(&flipped),
            Err(SessionError::InvalidString { .. })
        ));
        // Truncated.
        assert!(StringSession::decode(&text[..text.len() - 8]).is_err());
        // Unknown prefix.
        assert!(StringSession::decode("2abc").is_err());
        assert!(StringSession::decode("").is_err());
    }

    #[test]
    fn all_zero_key_and_wide_dc_are_rejected() {
        let mut s = sample(IpAddr::V4(Ipv4Addr::LOCALHOST), None);
        s.auth_key = AuthKeyData::new([0; 256]);
        assert!(StringSession::decode(&s.encode()).is_err());
        assert!(StringSession::decode(&s.encode_telethon().unwrap()).is_err());

        let mut wide = sample(IpAddr::V4(Ipv4Addr::LOCALHOST), None);
        wide.dc_id = 256;
        assert!(matches!(
            wide.encode_telethon(),
            Err(SessionError::Unrepresentable { .. })
        ));
    }

    proptest! {
        #[test]
        fn decoding_garbage_never_panics(text in "\\PC{0,400}") {
            let _ = StringSession::decode(&text);
            let _ = StringSession::decode(&format!("tw1{text}"));
            let _ = StringSession::decode(&format!("1{text}"));
        }

        #[test]
        fn decoding_random_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
            let _ = StringSession::decode(&format!("tw1{}", TGWIRE_B64.encode(&bytes)));
            let _ = StringSession::decode(&format!("1{}", TELETHON_B64.encode(&bytes)));
        }
    }
}
