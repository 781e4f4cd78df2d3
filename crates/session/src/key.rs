//! Auth keys as stored by a session: raw bytes, wiped from memory when dropped.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::SessionError;

/// A 2048-bit MTProto authorization key, exactly as the key exchange produced it.
///
/// The bytes are overwritten with zeros when the value is dropped, and `Debug` never prints them.
/// This is a storage type only: `tgwire-crypto`'s key type (which also caches the key id and
/// derives message keys) will gain `From` conversions both ways once that crate settles.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct AuthKeyData([u8; AuthKeyData::LEN]);

impl AuthKeyData {
    /// Length of an auth key in bytes.
    pub const LEN: usize = 256;

    /// Wraps the key bytes.
    pub fn new(bytes: [u8; Self::LEN]) -> Self {
        AuthKeyData(bytes)
    }

    /// Copies a key out of a slice that must be exactly [`Self::LEN`] bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, SessionError> {
        let array: [u8; Self::LEN] = bytes.try_into().map_err(|_| {
            SessionError::corrupt(format!(
                "auth key is {} bytes, expected {}",
                bytes.len(),
                Self::LEN
            ))
        })?;
        Ok(AuthKeyData(array))
    }

    /// The raw key bytes.
    pub fn as_bytes(&self) -> &[u8; Self::LEN] {
        &self.0
    }
}

impl fmt::Debug for AuthKeyData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthKeyData(<redacted>)")
    }
}

/// A temporary auth key (bound to a permanent one for perfect forward secrecy) and when it expires.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TempAuthKey {
    /// The key bytes.
    pub key: AuthKeyData,
    /// Expiry as Unix time in seconds; after this the server forgets the key.
    pub expires_at: i64,
}
