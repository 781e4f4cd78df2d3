//! `serde` for the types a storage persists (feature `serde`), so a storage of your own can write
//! a whole session, or one batch of [`Changes`](crate::Changes), in any serde format.
//!
//! Most types derive the obvious shape. Two are written by hand because their fields must be
//! checked on the way in: a [`PeerRef`] is its text form (`"u42.1234"`, see its `FromStr`), and an
//! [`AuthKeyData`] is its 256 bytes, as standard base64 in human-readable formats (JSON, TOML) and
//! as raw bytes in binary ones. Anything malformed is a deserialisation error, never a panic.

use std::fmt;

use base64::Engine as _;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::{AuthKeyData, PeerRef};

impl Serialize for PeerRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PeerRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl Visitor<'_> for Text {
            type Value = PeerRef;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a peer reference such as \"u42.1234\"")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<PeerRef, E> {
                text.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Text)
    }
}

impl Serialize for AuthKeyData {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            // The encoded copy is not wiped; a session file holds the key in the clear anyway.
            serializer
                .serialize_str(&base64::engine::general_purpose::STANDARD.encode(self.as_bytes()))
        } else {
            serializer.serialize_bytes(self.as_bytes())
        }
    }
}

impl<'de> Deserialize<'de> for AuthKeyData {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Key;
        impl<'de> Visitor<'de> for Key {
            type Value = AuthKeyData;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(
                    f,
                    "{} bytes of auth key (base64 in text formats)",
                    AuthKeyData::LEN
                )
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<AuthKeyData, E> {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .map_err(E::custom)?;
                AuthKeyData::from_slice(&bytes).map_err(E::custom)
            }
            fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<AuthKeyData, E> {
                AuthKeyData::from_slice(bytes).map_err(E::custom)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<AuthKeyData, A::Error> {
                // Formats without a bytes type hand bytes over as a sequence of numbers.
                let mut bytes = [0u8; AuthKeyData::LEN];
                for (i, byte) in bytes.iter_mut().enumerate() {
                    *byte = seq
                        .next_element()?
                        .ok_or_else(|| de::Error::invalid_length(i, &self))?;
                }
                if seq.next_element::<u8>()?.is_some() {
                    return Err(de::Error::invalid_length(AuthKeyData::LEN + 1, &self));
                }
                Ok(AuthKeyData::new(bytes))
            }
        }
        if deserializer.is_human_readable() {
            deserializer.deserialize_str(Key)
        } else {
            deserializer.deserialize_bytes(Key)
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{AuthKeyData, Changes, PeerKind, PeerRef};

    #[test]
    fn malformed_values_are_errors() {
        assert!(serde_json::from_str::<PeerRef>("\"z1\"").is_err());
        assert!(serde_json::from_str::<PeerRef>("42").is_err());
        assert!(serde_json::from_str::<AuthKeyData>("\"AAAA\"").is_err());
        assert!(serde_json::from_str::<AuthKeyData>("\"not base64!\"").is_err());
        assert!(serde_json::from_str::<Changes>("{\"wipe\": 1}").is_err());
    }

    #[test]
    fn peer_refs_and_keys_round_trip() {
        let peer = PeerRef::new(PeerKind::Supergroup, 77, Some(-5)).unwrap();
        let text = serde_json::to_string(&peer).unwrap();
        assert_eq!(text, "\"s77.fffffffffffffffb\"");
        assert_eq!(serde_json::from_str::<PeerRef>(&text).unwrap(), peer);
        let key = AuthKeyData::new([7; 256]);
        let text = serde_json::to_string(&key).unwrap();
        assert_eq!(serde_json::from_str::<AuthKeyData>(&text).unwrap(), key);
    }
}
